package queue

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Auth holds the credentials of a NATS connection or server: a token, or
// a user and password (not both). TLS is used when a certificate and key
// are given to a server, or a CA file (or a tls:// URL) to a client.
type Auth struct {
	Token    string
	User     string
	Password string
	// TLSCert and TLSKey are PEM files of a server's certificate and key.
	TLSCert, TLSKey string
	// TLSCA is a PEM file of the certificate authority a client trusts
	// (empty: the system's roots).
	TLSCA string
}

// credentials reports whether a is a usable set of credentials and
// rejects a half-given or mixed one.
func (a Auth) credentials() (bool, error) {
	switch {
	case a.Token != "" && (a.User != "" || a.Password != ""):
		return false, errors.New("give a token or a user and password, not both")
	case (a.User == "") != (a.Password == ""):
		return false, errors.New("a user needs a password and a password a user")
	}
	return a.Token != "" || a.User != "", nil
}

// ServerOptions configure Serve.
type ServerOptions struct {
	// Addr is host:port to listen on; "" means 127.0.0.1:4222. Port 0
	// picks a free port (see Server.URL).
	Addr string
	// Auth: a server whose host is not a loopback address refuses to
	// start without a token or a user and password.
	Auth Auth
	// StoreDir is where JetStream keeps its streams; "" means a
	// temporary folder chosen by the server.
	StoreDir string
	// MaxPayload is the largest message in bytes; 0 means 8 MiB, enough
	// for a result with the perceptron's weights.
	MaxPayload int32
	// Logf, when not nil, receives the server's notices and errors.
	Logf func(format string, args ...any)
}

// DefaultAddr is where Serve listens when no address is given: loopback
// only, on NATS's standard port.
const DefaultAddr = "127.0.0.1:4222"

// Server is an embedded NATS server with JetStream.
type Server struct {
	ns  *server.Server
	url string
}

// Loopback reports whether host (a name or an address, without port) is
// a loopback address: "localhost", 127.0.0.0/8 or ::1. The empty host and
// the unspecified addresses (0.0.0.0, ::) listen on every interface and
// are not loopback.
func Loopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve starts an embedded NATS server with JetStream and waits until it
// accepts connections. It refuses to listen beyond loopback without
// authentication.
func Serve(o ServerOptions) (*Server, error) {
	addr := o.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("queue: address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("queue: address %q: bad port", addr)
	}
	hasAuth, err := o.Auth.credentials()
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	if !Loopback(host) && !hasAuth {
		return nil, fmt.Errorf("queue: refusing to listen on %s, beyond loopback, without authentication: give a token or a user and password", addr)
	}
	opts := &server.Options{
		ServerName: "fluens",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		MaxPayload: o.MaxPayload,
		NoSigs:     true,
		NoLog:      o.Logf == nil,
	}
	if opts.Host == "" {
		opts.Host = "0.0.0.0"
	}
	if opts.Port == 0 {
		opts.Port = server.RANDOM_PORT
	}
	if opts.MaxPayload == 0 {
		opts.MaxPayload = 8 << 20
	}
	if o.Auth.Token != "" {
		opts.Authorization = o.Auth.Token
	} else if o.Auth.User != "" {
		opts.Username, opts.Password = o.Auth.User, o.Auth.Password
	}
	switch {
	case o.Auth.TLSCert != "" && o.Auth.TLSKey != "":
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: o.Auth.TLSCert, KeyFile: o.Auth.TLSKey})
		if err != nil {
			return nil, fmt.Errorf("queue: TLS certificate %s, key %s: %w", o.Auth.TLSCert, o.Auth.TLSKey, err)
		}
		tc.MinVersion = tls.VersionTLS12
		opts.TLS, opts.TLSConfig, opts.TLSTimeout = true, tc, 5
	case o.Auth.TLSCert != "" || o.Auth.TLSKey != "":
		return nil, errors.New("queue: TLS needs both a certificate and a key")
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	if o.Logf != nil {
		ns.SetLoggerV2(logger(o.Logf), false, false, false)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("queue: NATS server on %s did not start within 10 s", addr)
	}
	scheme := "nats"
	if opts.TLS {
		scheme = "tls"
	}
	a := ns.Addr().(*net.TCPAddr)
	h := host
	if h == "" || net.ParseIP(h) != nil && net.ParseIP(h).IsUnspecified() {
		h = "127.0.0.1"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(h, strconv.Itoa(a.Port))}
	return &Server{ns: ns, url: u.String()}, nil
}

// URL is the address clients on this machine connect to, e.g.
// nats://127.0.0.1:4222 (credentials not included).
func (s *Server) URL() string { return s.url }

// Shutdown stops the server and waits until it has stopped.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// logger adapts a printf function to the server's Logger interface.
type logger func(format string, args ...any)

func (l logger) Noticef(format string, v ...any) { l("nats: "+format, v...) }
func (l logger) Warnf(format string, v ...any)   { l("nats: warning: "+format, v...) }
func (l logger) Fatalf(format string, v ...any)  { l("nats: fatal: "+format, v...) }
func (l logger) Errorf(format string, v ...any)  { l("nats: error: "+format, v...) }
func (l logger) Debugf(format string, v ...any)  {}
func (l logger) Tracef(format string, v ...any)  {}
