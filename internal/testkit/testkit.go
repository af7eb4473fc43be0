// Package testkit holds the fixtures that KWIK's black-box test packages
// (integrationtests, multisource) share: one certificate, loopback
// listeners, contexts bound to a test, deterministic payloads and the
// client side of the tests' "GET object" exchange. Only tests import it.
package testkit

import (
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/certs"
)

// Idle timeouts of tests over real sockets. QUIC closes a connection after
// the shorter of both ends' MaxIdleTimeout without a packet, and a process
// starved on a loaded machine can go seconds without reading its socket:
// every path a test needs alive gets HealthyIdle, and only the peer a test
// cuts (so that its death is noticed quickly) gets CutIdle.
const (
	HealthyIdle  = 30 * time.Second
	CutIdle      = 2 * time.Second
	CutKeepAlive = 200 * time.Millisecond
)

// TLS is one self-signed certificate shared by every test server.
var TLS = func() certs.Pair {
	p, err := certs.NewPair()
	if err != nil {
		panic(err)
	}
	return p
}()

// Pin is the public-key pin of TLS. Paths added through a relay (an
// emulated link) are added by pin: a token bound to the relay's address
// would be refused by the secondary behind it.
var Pin = kwik.PublicKeyPin(TLS.Cert.Leaf)

// Context is a context that ends with the test or after d.
func Context(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Listen starts a server on a free loopback port, closed with the test.
func Listen(t *testing.T, conf *kwik.Config) *kwik.Listener {
	t.Helper()
	ln, err := kwik.Listen("127.0.0.1:0", TLS.Server, conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// randomBase backs Payload: random bytes made once, because generating
// megabytes per stream under the race detector starves the transport.
var randomBase = func() []byte {
	b := make([]byte, 8<<20)
	r := rand.NewChaCha8([32]byte{'k', 'w', 'i', 'k'})
	r.Read(b)
	return b
}()

// Payload returns n (≤ 4 MiB) pseudo-random bytes that depend on seed. The
// slice is shared: do not modify it.
func Payload(seed uint64, n int) []byte {
	off := int(seed * 7919 % uint64(len(randomBase)-n))
	return randomBase[off : off+n : off+n]
}

// Fetch is the client application of the tests' servers: it asks for the
// object on a new stream ("GET object", then FIN) and reads it to the end,
// returning its SHA-256 and length. With kill set, it calls kill once
// killAt bytes were read.
func Fetch(ctx context.Context, client *kwik.Session, killAt int, kill func()) ([32]byte, int, error) {
	str, err := client.OpenStreamSync(ctx)
	if err != nil {
		return [32]byte{}, 0, err
	}
	str.Write([]byte("GET object"))
	str.Close()
	h := sha256.New()
	buf := make([]byte, 64<<10)
	total := 0
	for {
		n, err := str.Read(buf)
		h.Write(buf[:n])
		total += n
		if kill != nil && total >= killAt {
			kill()
			kill = nil
		}
		if err == io.EOF {
			return [32]byte(h.Sum(nil)), total, nil
		}
		if err != nil {
			return [32]byte{}, total, err
		}
	}
}
