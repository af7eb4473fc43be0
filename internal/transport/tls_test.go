package transport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kwik-transport/kwik/internal/certs"
)

// trusted is a server certificate the client trusts; untrusted one it does not.
var trusted, untrusted = newPair(), newPair()

func newPair() certs.Pair {
	p, err := certs.NewPair()
	if err != nil {
		panic(err)
	}
	return p
}

// tlsHandshake runs a TLS handshake between client and a server using
// serverConf over an in-memory connection, and returns the client's error.
func tlsHandshake(t *testing.T, client, serverConf *tls.Config) error {
	t.Helper()
	serverConf, err := ServerTLS(serverConf)
	if err != nil {
		t.Fatal(err)
	}
	c, s := tcpPair(t) // buffered, unlike net.Pipe: a failing side's alert must not block
	defer c.Close()
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	serverDone := make(chan struct{})
	go func() {
		defer close(serverDone)
		srv := tls.Server(s, serverConf)
		srv.HandshakeContext(ctx)
		s.Close() // the client may be waiting for a server that failed
	}()
	cli := tls.Client(c, client)
	err = cli.HandshakeContext(ctx)
	if err == nil && cli.ConnectionState().NegotiatedProtocol != ALPN {
		t.Errorf("negotiated %q, want %q", cli.ConnectionState().NegotiatedProtocol, ALPN)
	}
	c.Close()
	<-serverDone
	return err
}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		client.Close()
		t.Fatal("accept failed")
	}
	return client, server
}

func TestClientTLSVerification(t *testing.T) {
	pinOf := func(p certs.Pair) []byte { return PublicKeyPin(p.Cert.Leaf) }
	for _, tc := range []struct {
		name   string
		addr   string
		server certs.Pair
		pin    []byte
		ok     bool
	}{
		{"trusted, no pin", "127.0.0.1:4433", trusted, nil, true},
		{"trusted by name", "localhost:4433", trusted, nil, true},
		{"untrusted, no pin", "127.0.0.1:4433", untrusted, nil, false},
		{"trusted, wrong name", "kwik.example:4433", trusted, nil, false},
		{"untrusted, its pin", "127.0.0.1:4433", untrusted, pinOf(untrusted), true},
		{"pin ignores the name", "kwik.example:4433", untrusted, pinOf(untrusted), true},
		{"trusted, another key's pin", "127.0.0.1:4433", trusted, pinOf(untrusted), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf, err := ClientTLS(trusted.Client, tc.addr, tc.pin)
			if err != nil {
				t.Fatal(err)
			}
			err = tlsHandshake(t, conf, tc.server.Server)
			if tc.ok != (err == nil) {
				t.Fatalf("handshake: %v, want success=%v", err, tc.ok)
			}
			if tc.pin != nil && !tc.ok {
				var perr *PinError
				if !errors.As(err, &perr) || !bytes.Equal(perr.Want, tc.pin) || !bytes.Equal(perr.Got, pinOf(tc.server)) {
					t.Fatalf("%v, want a *PinError with both pins", err)
				}
			}
		})
	}
}

func TestClientTLSPinIsCopied(t *testing.T) {
	pin := PublicKeyPin(untrusted.Cert.Leaf)
	conf, err := ClientTLS(nil, "127.0.0.1:1", pin)
	if err != nil {
		t.Fatal(err)
	}
	pin[0] ^= 0xff // the caller reuses its slice
	if err := tlsHandshake(t, conf, untrusted.Server); err != nil {
		t.Fatalf("a pin changed by the caller after ClientTLS changed the check: %v", err)
	}
}

func TestClientTLSConfig(t *testing.T) {
	orig := &tls.Config{NextProtos: []string{"h3"}, RootCAs: x509.NewCertPool()}
	c, err := ClientTLS(orig, "[::1]:443", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.ServerName != "::1" || !slices.Equal(c.NextProtos, []string{ALPN, "h3"}) {
		t.Fatalf("ServerName %q, NextProtos %v", c.ServerName, c.NextProtos)
	}
	if orig.ServerName != "" || len(orig.NextProtos) != 1 {
		t.Fatal("ClientTLS modified the caller's config")
	}
	c, _ = ClientTLS(&tls.Config{ServerName: "kwik.example", NextProtos: []string{ALPN}}, "10.0.0.1:1", PublicKeyPin(trusted.Cert.Leaf))
	if c.ServerName != "kwik.example" || len(c.NextProtos) != 1 {
		t.Fatalf("ServerName %q, NextProtos %v: an explicit name or ALPN was overridden", c.ServerName, c.NextProtos)
	}
	if _, err := ClientTLS(nil, "no-port", nil); err == nil || !strings.Contains(err.Error(), "no-port") {
		t.Fatalf("address without port: %v, want an error naming it", err)
	}
	if _, err := ClientTLS(nil, "127.0.0.1:1", make([]byte, 20)); err == nil || !strings.Contains(err.Error(), "20 bytes") {
		t.Fatalf("20-byte pin: %v, want an error with its size", err)
	}
}

func TestServerTLS(t *testing.T) {
	for _, conf := range []*tls.Config{nil, {}, {NextProtos: []string{ALPN}}} {
		_, err := ServerTLS(conf)
		if err == nil || !strings.Contains(err.Error(), "no certificate") {
			t.Fatalf("ServerTLS(%v): %v, want a missing-certificate error", conf, err)
		}
	}
	orig := &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &trusted.Cert, nil }}
	c, err := ServerTLS(orig)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.NextProtos, []string{ALPN}) || orig.NextProtos != nil {
		t.Fatalf("NextProtos %v (caller's: %v)", c.NextProtos, orig.NextProtos)
	}
}

func TestPublicKeyPin(t *testing.T) {
	want := sha256.Sum256(trusted.Cert.Leaf.RawSubjectPublicKeyInfo)
	got := PublicKeyPin(trusted.Cert.Leaf)
	if !bytes.Equal(got, want[:]) || len(got) != PinSize {
		t.Fatalf("pin %x, want %x", got, want)
	}
	if bytes.Equal(got, PublicKeyPin(untrusted.Cert.Leaf)) {
		t.Fatal("two keys have the same pin")
	}
	msg := (&PinError{Want: []byte{1}, Got: []byte{2}}).Error()
	if !strings.Contains(msg, "01") || !strings.Contains(msg, "02") {
		t.Fatalf("%q does not show both pins", msg)
	}
}
