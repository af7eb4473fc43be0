package multisource_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/certs"
	"github.com/kwik-transport/kwik/internal/leaktest"
)

func TestMain(m *testing.M) {
	leaktest.VerifyTestMain(m)
}

// testTLS is one self-signed certificate shared by every test server.
var testTLS = func() certs.Pair {
	p, err := certs.NewPair()
	if err != nil {
		panic(err)
	}
	return p
}()

// testPin is the public-key pin of testTLS. Paths added through an
// emulated link are added by pin: a token bound to the link's address
// would be refused by the secondary behind it.
var testPin = kwik.PublicKeyPin(testTLS.Cert.Leaf)

// groupKey is the servers' shared group key.
var groupKey = bytes.Repeat([]byte("k"), 32)

// Idle timeouts: a process starved on a loaded machine can go seconds
// without reading its socket, so every path a test needs alive gets
// healthyIdle, and only the peer a test cuts gets cutIdle.
const (
	healthyIdle  = 30 * time.Second
	cutIdle      = 2 * time.Second
	cutKeepAlive = 200 * time.Millisecond
)

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

// fetch asks the primary for the object on a new stream and reads it to
// the end, returning its SHA-256 and length. With kill set, it calls kill
// once killAt bytes were read.
func fetch(ctx context.Context, client *kwik.Session, killAt int, kill func()) ([32]byte, int, error) {
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
