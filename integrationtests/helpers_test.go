package integrationtests

import (
	"context"
	"crypto/sha256"
	"io"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/testkit"
	"github.com/kwik-transport/kwik/pkg/emulator"
)

// The fixtures shared with the multisource tests (internal/testkit), under
// the names these tests use.
var (
	testPin     = testkit.Pin
	testContext = testkit.Context
	listen      = testkit.Listen
	payload     = testkit.Payload
	fetch       = testkit.Fetch
)

const (
	healthyIdle  = testkit.HealthyIdle
	cutIdle      = testkit.CutIdle
	cutKeepAlive = testkit.CutKeepAlive
)

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
