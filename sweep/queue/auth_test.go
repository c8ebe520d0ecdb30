package queue

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.3.4.5": true, "::1": true, "[::1]": true,
		"": false, "0.0.0.0": false, "::": false, "10.0.0.1": false, "example.com": false, "192.168.1.1": false,
	} {
		if got := Loopback(host); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", host, got, want)
		}
	}
}

// otherAddr returns a non-loopback address of this machine, or skips.
func otherAddr(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skip("no interface addresses:", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	t.Skip("this machine has no non-loopback IPv4 address")
	return ""
}

func TestServeRefusesOpenServerBeyondLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		s, err := Serve(ServerOptions{Addr: addr, StoreDir: t.TempDir()})
		if err == nil {
			s.Shutdown()
			t.Errorf("Serve(%q) without auth started", addr)
		} else if !strings.Contains(err.Error(), "without authentication") {
			t.Errorf("Serve(%q): %v", addr, err)
		}
	}
	for _, a := range []Auth{{Token: "t", User: "u", Password: "p"}, {User: "u"}, {Password: "p"}} {
		if s, err := Serve(ServerOptions{Addr: "127.0.0.1:0", Auth: a, StoreDir: t.TempDir()}); err == nil {
			s.Shutdown()
			t.Errorf("Serve with %+v started", a)
		}
	}
	if s, err := Serve(ServerOptions{Addr: "127.0.0.1:0", Auth: Auth{TLSCert: "x.pem"}, StoreDir: t.TempDir()}); err == nil {
		s.Shutdown()
		t.Error("Serve with a certificate and no key started")
	}
}

func TestTokenAuthBeyondLoopback(t *testing.T) {
	host := otherAddr(t)
	s, err := Serve(ServerOptions{Addr: net.JoinHostPort(host, "0"), Auth: Auth{Token: "s3cret"}, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	if !strings.Contains(s.URL(), host) {
		t.Errorf("URL %s does not name %s", s.URL(), host)
	}
	// The client refuses to try without credentials...
	if nc, err := Connect(s.URL(), "test", Auth{}); err == nil {
		nc.Close()
		t.Fatal("Connect without credentials to a non-loopback server succeeded")
	} else if !strings.Contains(err.Error(), "without credentials") {
		t.Errorf("Connect without credentials: %v", err)
	}
	// ...the server refuses a wrong token...
	if nc, err := Connect(s.URL(), "test", Auth{Token: "wrong"}); err == nil {
		nc.Close()
		t.Fatal("Connect with a wrong token succeeded")
	}
	// ...and accepts the right one.
	nc, err := Connect(s.URL(), "test", Auth{Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
}

func TestUserPasswordAuth(t *testing.T) {
	s, err := Serve(ServerOptions{Addr: "127.0.0.1:0", Auth: Auth{User: "ann", Password: "pw"}, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	for _, a := range []Auth{{}, {User: "ann", Password: "nope"}, {Token: "pw"}} {
		if nc, err := Connect(s.URL(), "test", a); err == nil {
			nc.Close()
			t.Errorf("Connect with %+v succeeded", a)
		}
	}
	nc, err := Connect(s.URL(), "test", Auth{User: "ann", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fluens test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func TestTLS(t *testing.T) {
	cert, key := selfSigned(t)
	s, err := Serve(ServerOptions{Addr: "127.0.0.1:0", Auth: Auth{Token: "tok", TLSCert: cert, TLSKey: key}, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	if !strings.HasPrefix(s.URL(), "tls://") {
		t.Errorf("URL %s: want tls://", s.URL())
	}
	// An unknown authority is refused.
	if nc, err := Connect(s.URL(), "test", Auth{Token: "tok"}); err == nil {
		nc.Close()
		t.Error("TLS connection trusting the system roots succeeded with a self-signed certificate")
	}
	nc, err := Connect(s.URL(), "test", Auth{Token: "tok", TLSCA: cert})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if !nc.TLSRequired() {
		t.Error("connection is not TLS")
	}
}

func TestConnectRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "http://127.0.0.1:4222", "127.0.0.1:4222", "nats://"} {
		if nc, err := Connect(u, "test", Auth{}); err == nil {
			nc.Close()
			t.Errorf("Connect(%q) succeeded", u)
		}
	}
	// Credentials in the URL count as credentials (the server is absent
	// here, so the error is about connecting, not about refusing).
	_, err := Connect("nats://tok@192.0.2.1:1", "test", Auth{})
	if err == nil || strings.Contains(err.Error(), "without credentials") {
		t.Errorf("Connect with URL credentials: %v", err)
	}
	if strings.Contains(err.Error(), "tok@") {
		t.Errorf("error shows the token: %v", err)
	}
}
