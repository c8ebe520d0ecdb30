package main

import (
	"net"
	"strings"
	"testing"
)

// TestServeDefaultsToLoopback checks that fluens serve, given no --addr,
// listens on a loopback address only.
func TestServeDefaultsToLoopback(t *testing.T) {
	f := newServeCmd().Flags().Lookup("addr")
	if f == nil {
		t.Fatal("serve has no --addr flag")
	}
	host, _, err := net.SplitHostPort(f.DefValue)
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Errorf("serve's default --addr %q is not a loopback address", f.DefValue)
	}
	if err := checkServeAddr(f.DefValue, false); err != nil {
		t.Errorf("the default address is refused: %v", err)
	}
	if p := newServeCmd().Flags().Lookup("public"); p == nil || p.DefValue != "false" {
		t.Errorf("--public must default to false")
	}
}

// FuzzCheckServeAddr feeds arbitrary --addr values to serve's check: what
// it lets through without --public must, once listened on (with the port
// replaced by 0), be bound to a loopback address only.
func FuzzCheckServeAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1:8080", "localhost:0", "[::1]:1", ":8080", "0.0.0.0:80", "[::]:80",
		"[::ffff:127.0.0.1]:80", "127.1:80", "0x7f.0.0.1:80", "[fe80::1%lo]:80", "127.0.0.1%eth0:80", "LOCALHOST:1", "nonsense"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		if err := checkServeAddr(addr, false); err != nil {
			if !strings.HasPrefix(err.Error(), "serve: --addr") {
				t.Fatalf("error %q does not name the flag", err)
			}
			return
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("accepted %q that does not split: %v", addr, err)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return // nothing listens: harmless
		}
		defer ln.Close()
		if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
			t.Fatalf("--addr %q accepted without --public listens on %v", addr, ln.Addr())
		}
	})
}
