package queue

import (
	"fmt"
	"net/url"
	"time"

	"github.com/nats-io/nats.go"
)

// Connect connects to the NATS server at rawURL (nats://host:port,
// tls://host:port, or a comma-separated list of them) with the
// credentials in a. It refuses to connect to a host beyond loopback
// without credentials (given in a or in the URL's user part), so a worker
// never talks to an open server on the network by mistake.
func Connect(rawURL, name string, a Auth) (*nats.Conn, error) {
	hasAuth, err := a.credentials()
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	if rawURL == "" {
		return nil, fmt.Errorf("queue: no NATS URL (give --nats nats://host:4222)")
	}
	tlsURL := false
	for _, one := range splitURLs(rawURL) {
		u, err := url.Parse(one)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("queue: NATS URL %q: want nats://host:port", one)
		}
		switch u.Scheme {
		case "nats":
		case "tls":
			tlsURL = true
		default:
			return nil, fmt.Errorf("queue: NATS URL %q: scheme must be nats or tls", one)
		}
		if !Loopback(u.Hostname()) && !hasAuth && u.User == nil {
			return nil, fmt.Errorf("queue: refusing to connect to %s, beyond loopback, without credentials: give a token or a user and password", u.Host)
		}
	}
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.Timeout(10 * time.Second),
	}
	if a.Token != "" {
		opts = append(opts, nats.Token(a.Token))
	}
	if a.User != "" {
		opts = append(opts, nats.UserInfo(a.User, a.Password))
	}
	if a.TLSCA != "" {
		opts = append(opts, nats.RootCAs(a.TLSCA))
	} else if tlsURL {
		opts = append(opts, nats.Secure())
	}
	nc, err := nats.Connect(rawURL, opts...)
	if err != nil {
		return nil, fmt.Errorf("queue: connecting to %s: %w", redact(rawURL), err)
	}
	// A server beyond loopback that asks for no credentials lets anyone
	// who reaches it publish jobs: refuse it even when we hold some.
	if u, err := url.Parse(nc.ConnectedUrl()); err == nil && !Loopback(u.Hostname()) && !nc.AuthRequired() {
		nc.Close()
		return nil, fmt.Errorf("queue: refusing the NATS server at %s: it is beyond loopback and accepts connections without authentication", u.Host)
	}
	return nc, nil
}

func splitURLs(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// redact hides the credentials in a URL (a token or a user and
// password) for error messages.
func redact(rawURL string) string {
	var parts []string
	for _, one := range splitURLs(rawURL) {
		if u, err := url.Parse(one); err == nil {
			if u.User != nil {
				u.User = url.User("REDACTED")
			}
			parts = append(parts, u.String())
		} else {
			parts = append(parts, "?")
		}
	}
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += ","
		}
		s += p
	}
	return s
}
