package integrationtests

import (
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/pkg/emulator"
)

// Idle timeouts of tests over real sockets. QUIC closes a connection after
// the shorter of both ends' MaxIdleTimeout without a packet, and a process
// starved on a loaded machine can go seconds without reading its socket:
// every path a test needs alive gets healthyIdle, and only the peer a test
// cuts (so that its death is noticed quickly) gets cutIdle.
const (
	healthyIdle  = 30 * time.Second
	cutIdle      = 2 * time.Second
	cutKeepAlive = 200 * time.Millisecond
)

// testPin is the public-key pin of testTLS, which every test server uses.
// Paths added through a relay (an emulated link) are added by pin: a token
// bound to the relay's address would be refused by the secondary behind it.
var testPin = kwik.PublicKeyPin(testTLS.Cert.Leaf)

// testContext is a context that ends with the test or after d.
func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// listen starts a server on a free loopback port.
func listen(t *testing.T, conf *kwik.Config) *kwik.Listener {
	t.Helper()
	ln, err := kwik.Listen("127.0.0.1:0", testTLS.Server, conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// connect dials ln and returns the client session and the server's.
func connect(t *testing.T, ln *kwik.Listener, conf *kwik.Config) (client, server *kwik.Session) {
	t.Helper()
	ctx := testContext(t, 10*time.Second)
	type result struct {
		s   *kwik.Session
		err error
	}
	accepted := make(chan result, 1)
	go func() {
		s, err := ln.Accept(ctx)
		accepted <- result{s, err}
	}()
	client, err := kwik.Dial(ctx, ln.Addr().String(), testTLS.Client, conf)
	if err != nil {
		t.Fatal(err)
	}
	r := <-accepted
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() {
		client.CloseWithError(0, "")
		r.s.CloseWithError(0, "")
	})
	return client, r.s
}

// pair is listen + connect with one config for both sides.
func pair(t *testing.T, conf *kwik.Config) (client, server *kwik.Session) {
	return connect(t, listen(t, conf), conf)
}

// randomBase backs payload: random bytes made once, because generating
// megabytes per stream under the race detector starves the transport.
var randomBase = func() []byte {
	b := make([]byte, 8<<20)
	r := rand.NewChaCha8([32]byte{'k', 'w', 'i', 'k'})
	r.Read(b)
	return b
}()

// payload returns n (≤ 4 MiB) pseudo-random bytes that depend on seed. The
// slice is shared: do not modify it.
func payload(seed uint64, n int) []byte {
	off := int(seed * 7919 % uint64(len(randomBase)-n))
	return randomBase[off : off+n : off+n]
}

// readAllHash reads r to EOF and returns the SHA-256 and length.
func readAllHash(r io.Reader) ([32]byte, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum, n, err
}

// blackholeRelay forwards UDP to a server until told to drop everything,
// which looks to both ends like a peer that vanished.
type blackholeRelay struct{ link *emulator.Link }

func newBlackholeRelay(t *testing.T, target string) *blackholeRelay {
	t.Helper()
	link, err := emulator.Listen(context.Background(), "127.0.0.1:0", target, emulator.LinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { link.Close() })
	return &blackholeRelay{link: link}
}

func (r *blackholeRelay) Addr() string { return r.link.Addr().String() }
func (r *blackholeRelay) blackhole()   { r.link.Kill() }

// dialRaw speaks raw quic-go to a KWIK server: it opens the control stream,
// writes hello as is, and returns how the server ended the connection.
func dialRaw(ctx context.Context, addr string, hello []byte) error {
	tlsConf := testTLS.Client.Clone()
	tlsConf.NextProtos = []string{"kwik/1"}
	conn, err := quic.DialAddr(ctx, addr, tlsConf, nil)
	if err != nil {
		return err
	}
	defer conn.CloseWithError(0, "")
	str, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	if _, err := str.Write(hello); err != nil {
		return err
	}
	io.Copy(io.Discard, str) // until the server closes
	select {
	case <-conn.Context().Done():
		return context.Cause(conn.Context())
	case <-ctx.Done():
		return nil
	}
}
