package integrationtests

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/quicvarint"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/wire"
)

// The raw peers the security and hostile tests use: quic-go connections
// that speak KWIK by hand so that they can break its rules.

// outcomeTimeout bounds the wait for an outcome that must come; it only
// matters when a test fails.
const outcomeTimeout = 15 * time.Second

// rawPeer is one end of a QUIC connection speaking KWIK by hand.
type rawPeer struct {
	t    *testing.T
	conn *quic.Conn
	ctrl *quic.Stream
	br   *bufio.Reader
}

// kwikALPN returns a copy of conf that negotiates KWIK's ALPN.
func kwikALPN(conf *tls.Config) *tls.Config {
	c := conf.Clone()
	c.NextProtos = []string{"kwik/1"}
	return c
}

func newRawPeer(t *testing.T, conn *quic.Conn, ctrl *quic.Stream) *rawPeer {
	ctrl.SetReadDeadline(time.Now().Add(2 * outcomeTimeout))
	return &rawPeer{t: t, conn: conn, ctrl: ctrl, br: bufio.NewReader(ctrl)}
}

// dialRawPeer connects to a KWIK server and opens the control stream.
func dialRawPeer(t *testing.T, ctx context.Context, addr string) *rawPeer {
	t.Helper()
	conn, err := quic.DialAddr(ctx, addr, kwikALPN(testTLS.Client), &quic.Config{KeepAlivePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseWithError(0, "") })
	str, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return newRawPeer(t, conn, str)
}

// in returns p reporting failures to t, for use in a subtest.
func (p *rawPeer) in(t *testing.T) *rawPeer {
	q := *p
	q.t = t
	return &q
}

// send writes frames on the control stream. Write errors are ignored: the
// KWIK side may already have closed the connection, which the test checks.
func (p *rawPeer) send(frames ...wire.Frame) {
	p.t.Helper()
	var b []byte
	for _, f := range frames {
		var err error
		if b, err = f.Append(b); err != nil {
			p.t.Fatalf("encoding %v: %v", f.Type(), err)
		}
	}
	p.ctrl.Write(b)
}

// sendBytes writes b on the control stream as is.
func (p *rawPeer) sendBytes(b []byte) { p.ctrl.Write(b) }

// next returns the next control frame for which match is true, skipping
// the others (PING, MAX_STREAM_DATA, ...).
func (p *rawPeer) next(what string, match func(wire.Frame) bool) wire.Frame {
	p.t.Helper()
	for {
		f, err := wire.ReadControlFrame(p.br)
		if err != nil {
			p.t.Fatalf("waiting for %s: %v", what, err)
		}
		if match(f) {
			return f
		}
	}
}

// handshake sends a CLIENT_HELLO and returns the server's SERVER_HELLO, or
// the CLOSE it refused with.
func (p *rawPeer) handshake(h *wire.ClientHello) (*wire.ServerHello, *wire.Close) {
	p.t.Helper()
	p.send(h)
	f, err := wire.ReadControlFrame(p.br)
	var appErr *quic.ApplicationError
	if errors.As(err, &appErr) && appErr.Remote {
		// The server closed the connection right after its CLOSE frame,
		// which can be lost with it; the connection close says the same.
		return nil, &wire.Close{ErrorCode: wire.ErrorCode(appErr.ErrorCode), Reason: appErr.ErrorMessage}
	}
	if err != nil {
		p.t.Fatalf("reading the answer to CLIENT_HELLO: %v", err)
	}
	switch f := f.(type) {
	case *wire.ServerHello:
		return f, nil
	case *wire.Close:
		return nil, f
	}
	p.t.Fatalf("CLIENT_HELLO answered with %v", f.Type())
	return nil, nil
}

// lane opens a lane and writes the lane magic and parts on it.
func (p *rawPeer) lane(parts ...[]byte) *quic.SendStream {
	p.t.Helper()
	str, err := p.conn.OpenUniStream()
	if err != nil {
		p.t.Fatal(err)
	}
	str.Write(bytes.Join(append([][]byte{wire.AppendLaneMagic(nil)}, parts...), nil))
	return str
}

// rawLane opens a lane and writes b on it as is.
func (p *rawPeer) rawLane(b []byte) *quic.SendStream {
	p.t.Helper()
	str, err := p.conn.OpenUniStream()
	if err != nil {
		p.t.Fatal(err)
	}
	str.Write(b)
	return str
}

// expectClosed waits until the KWIK side closes the connection and checks
// its code and that its reason contains reason.
func (p *rawPeer) expectClosed(code wire.ErrorCode, reason string) {
	p.t.Helper()
	select {
	case <-p.conn.Context().Done():
	case <-time.After(outcomeTimeout):
		p.t.Fatalf("the KWIK side did not close the connection; want %v %q", code, reason)
	}
	err := context.Cause(p.conn.Context())
	var appErr *quic.ApplicationError
	if !errors.As(err, &appErr) || !appErr.Remote || wire.ErrorCode(appErr.ErrorCode) != code || !strings.Contains(appErr.ErrorMessage, reason) {
		p.t.Fatalf("connection ended with %v; want the KWIK side to close it with %v %q", err, code, reason)
	}
}

// expectOpen checks that the KWIK side has not closed the connection.
func (p *rawPeer) expectOpen() {
	p.t.Helper()
	if err := p.conn.Context().Err(); err != nil {
		p.t.Fatalf("connection closed: %v", context.Cause(p.conn.Context()))
	}
}

// rawServer is a quic-go listener whose connections speak KWIK by hand.
type rawServer struct{ ln *quic.Listener }

func listenRaw(t *testing.T, tlsConf *tls.Config) *rawServer {
	t.Helper()
	ln, err := quic.ListenAddr("127.0.0.1:0", kwikALPN(tlsConf), &quic.Config{KeepAlivePeriod: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &rawServer{ln: ln}
}

func (s *rawServer) Addr() string { return s.ln.Addr().String() }

// accept returns the next connection and the CLIENT_HELLO it opened with.
func (s *rawServer) accept(t *testing.T, ctx context.Context) (*rawPeer, *wire.ClientHello) {
	t.Helper()
	conn, err := s.ln.Accept(ctx)
	if err != nil {
		t.Fatalf("raw server: %v", err)
	}
	t.Cleanup(func() { conn.CloseWithError(0, "") })
	str, err := conn.AcceptStream(ctx)
	if err != nil {
		t.Fatalf("raw server: no control stream: %v", err)
	}
	p := newRawPeer(t, conn, str)
	f, err := wire.ReadControlFrame(p.br)
	if err != nil {
		t.Fatalf("raw server: reading CLIENT_HELLO: %v", err)
	}
	hello, ok := f.(*wire.ClientHello)
	if !ok {
		t.Fatalf("raw server: client opened with %v", f.Type())
	}
	return p, hello
}

// streamFrame encodes a STREAM frame with its payload.
func streamFrame(t *testing.T, id, off uint64, payload []byte, fin bool) []byte {
	t.Helper()
	b, err := wire.StreamHeader{StreamID: id, Offset: off, Length: len(payload), Fin: fin}.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, payload...)
}

// rawStreamHeader encodes a STREAM header without checking its fields.
func rawStreamHeader(id, off, length uint64) []byte {
	b := quicvarint.Append(nil, 0x08)
	b = quicvarint.Append(b, id)
	b = quicvarint.Append(b, off)
	return quicvarint.Append(b, length)
}

// isStopSending matches the STOP_SENDING of one stream.
func isStopSending(id uint64) func(wire.Frame) bool {
	return func(f wire.Frame) bool {
		s, ok := f.(*wire.StopSending)
		return ok && s.StreamID == id
	}
}

// stopSendings reads control frames until a STOP_SENDING arrived for every
// stream in ids, in whatever order, and returns them by stream.
func (p *rawPeer) stopSendings(ids ...uint64) map[uint64]*wire.StopSending {
	p.t.Helper()
	got := make(map[uint64]*wire.StopSending)
	for len(got) < len(ids) {
		p.next("STOP_SENDING", func(f wire.Frame) bool {
			ss, ok := f.(*wire.StopSending)
			if ok && slices.Contains(ids, ss.StreamID) {
				got[ss.StreamID] = ss
			}
			return ok
		})
	}
	return got
}

// waitEvent reads a primary's events until one of type E matches; what
// says what is awaited.
func waitEvent[E kwik.Event](t *testing.T, events <-chan kwik.Event, what string, match func(E) bool) E {
	t.Helper()
	timeout := time.After(outcomeTimeout)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("session ended while waiting for %s", what)
			}
			if e, ok := ev.(E); ok && match(e) {
				return e
			}
		case <-timeout:
			t.Fatalf("never saw %s", what)
		}
	}
}

// waitPathEvent reads a primary's events until path id reaches state.
func waitPathEvent(t *testing.T, events <-chan kwik.Event, id uint64, state kwik.PathState) kwik.PathInfo {
	t.Helper()
	return waitEvent(t, events, fmt.Sprintf("path %d %v", id, state), func(pe kwik.PathEvent) bool {
		return pe.Path.ID == id && pe.Path.State == state
	}).Path
}

// waitDelivered waits until the client reported n bytes of stream
// received through path.
func waitDelivered(t *testing.T, server *kwik.Session, stream, path, n uint64) {
	t.Helper()
	timeout := time.After(outcomeTimeout)
	for {
		got, changed := server.Deliveries(stream)
		if got[path] >= n {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("client reported %d bytes of stream %d through path %d, want %d", got[path], stream, path, n)
		}
	}
}

// acceptAll accepts every session ln completes, until the test ends, and
// hands them out on the returned channel; they are closed with the test.
func acceptAll(t *testing.T, ln *kwik.Listener) <-chan *kwik.Session {
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan *kwik.Session, 64)
	var mu sync.Mutex
	var all []*kwik.Session
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			s, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			mu.Lock()
			all = append(all, s)
			mu.Unlock()
			select {
			case out <- s:
			default: // nobody is asking for it; it is closed at the end all the same
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		for _, s := range all {
			s.CloseWithError(0, "")
		}
	})
	return out
}

// joinRaw opens a raw client session to ln and returns it with the
// server's hello and the server's side of the session, which is closed
// when the test ends.
func joinRaw(t *testing.T, ctx context.Context, ln *kwik.Listener) (*rawPeer, *wire.ServerHello, *kwik.Session) {
	t.Helper()
	p := dialRawPeer(t, ctx, ln.Addr().String())
	sh, cl := p.handshake(&wire.ClientHello{Version: wire.Version, MaxStreams: 10, InitialStreamWindow: 1 << 16})
	if sh == nil {
		t.Fatalf("handshake refused: %+v", cl)
	}
	sess, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.CloseWithError(0, "") })
	return p, sh, sess
}

// nextSession returns the next session from acceptAll's channel.
func nextSession(t *testing.T, ch <-chan *kwik.Session) *kwik.Session {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(outcomeTimeout):
		t.Fatal("no session was accepted")
		return nil
	}
}
