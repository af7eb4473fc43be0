package integrationtests

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/quicvarint"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/certs"
	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// This file holds the security and bad-input tests of issue 4, and the raw
// peers they and hostile_test.go use: quic-go connections that speak KWIK
// by hand so that they can break its rules.

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

// waitPathEvent reads a primary's events until path id reaches state.
func waitPathEvent(t *testing.T, events <-chan kwik.Event, id uint64, state kwik.PathState) kwik.PathInfo {
	t.Helper()
	timeout := time.After(outcomeTimeout)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("session ended before path %d was %v", id, state)
			}
			if pe, ok := ev.(kwik.PathEvent); ok && pe.Path.ID == id && pe.Path.State == state {
				return pe.Path
			}
		case <-timeout:
			t.Fatalf("path %d never became %v", id, state)
		}
	}
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

// TestSecondaryRefusesBadJoins: a client with an unknown session ID or a
// wrong, expired or reused path token is refused by the secondary, which
// goes on serving good joins.
func TestSecondaryRefusesBadJoins(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	secondary := listen(t, &kwik.Config{ServerGroupKey: groupKey})
	keyless := listen(t, nil)
	otherKey := bytes.Repeat([]byte("o"), 32)
	session := control.NewSessionID()
	mint := func(key []byte, pathID uint64, ttl time.Duration) []byte {
		return control.MintPathToken(key, session, pathID, control.IdentityOf(secondary.Addr().String(), nil), ttl, time.Now())
	}
	reused := mint(groupKey, 1, time.Minute)
	accepted := acceptAll(t, secondary)

	join := func(t *testing.T, addr string, h *wire.ClientHello) (*rawPeer, *wire.ServerHello, *wire.Close) {
		p := dialRawPeer(t, ctx, addr)
		h.Version = wire.Version
		sh, cl := p.handshake(h)
		return p, sh, cl
	}
	// The genuine join the reuse case replays.
	if _, sh, cl := join(t, secondary.Addr().String(), &wire.ClientHello{SessionID: session, PathID: 1, Token: reused}); sh == nil {
		t.Fatalf("genuine join refused: %+v", cl)
	} else if sh.Role != wire.RoleSecondary || sh.PathID != 1 || !bytes.Equal(sh.SessionID, session) {
		t.Fatalf("genuine join answered %+v", sh)
	}
	if s := nextSession(t, accepted); s.Role() != kwik.RoleSecondary || !bytes.Equal(s.SessionID(), session) {
		t.Fatalf("secondary accepted a %v session %x", s.Role(), s.SessionID())
	}

	for _, tc := range []struct {
		name   string
		addr   string
		hello  wire.ClientHello
		reason string
	}{
		{"unknown session", secondary.Addr().String(), wire.ClientHello{SessionID: control.NewSessionID(), PathID: 1, Token: mint(groupKey, 1, time.Minute)}, "not valid for this session"},
		{"token of another path", secondary.Addr().String(), wire.ClientHello{SessionID: session, PathID: 2, Token: mint(groupKey, 1, time.Minute)}, "not valid"},
		{"token of another server group", secondary.Addr().String(), wire.ClientHello{SessionID: session, PathID: 1, Token: mint(otherKey, 1, time.Minute)}, "not valid"},
		{"random token", secondary.Addr().String(), wire.ClientHello{SessionID: session, PathID: 1, Token: control.NewSessionID()}, "not valid"},
		{"no token", secondary.Addr().String(), wire.ClientHello{SessionID: session, PathID: 1}, "not valid"},
		{"expired token", secondary.Addr().String(), wire.ClientHello{SessionID: session, PathID: 1, Token: mint(groupKey, 1, -time.Second)}, "expired"},
		{"reused token", secondary.Addr().String(), wire.ClientHello{SessionID: session, PathID: 1, Token: reused}, "already used"},
		{"server without group key", keyless.Addr().String(), wire.ClientHello{SessionID: session, PathID: 1, Token: mint(groupKey, 1, time.Minute)}, "no server-group key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, sh, cl := join(t, tc.addr, &tc.hello)
			if sh != nil {
				t.Fatalf("join accepted: %+v", sh)
			}
			if cl.ErrorCode != wire.Refused || !strings.Contains(cl.Reason, tc.reason) {
				t.Fatalf("refused with %v %q; want REFUSED %q", cl.ErrorCode, cl.Reason, tc.reason)
			}
			p.expectClosed(wire.Refused, tc.reason)
		})
	}
	select {
	case s := <-accepted:
		t.Fatalf("a refused join reached Accept: %x", s.SessionID())
	default:
	}
	// Refusals cost the secondary nothing: a good join still works.
	if _, sh, cl := join(t, secondary.Addr().String(), &wire.ClientHello{SessionID: session, PathID: 3, Token: mint(groupKey, 3, time.Minute)}); sh == nil {
		t.Fatalf("good join after the refusals: %+v", cl)
	}
	nextSession(t, accepted)
}

// TestClientVerifiesSecondaryTLS: the client refuses a secondary whose TLS
// identity does not verify; with a pin from the primary it accepts exactly
// that key.
func TestClientVerifiesSecondaryTLS(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	untrusted, err := certs.NewPair()
	if err != nil {
		t.Fatal(err)
	}
	conf := &kwik.Config{ServerGroupKey: groupKey}
	primary := listen(t, conf)
	trustedLn := listen(t, conf)
	untrustedLn, err := kwik.Listen("127.0.0.1:0", untrusted.Server, conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { untrustedLn.Close() })
	joined := map[string]<-chan *kwik.Session{ // by listener address
		trustedLn.Addr().String():   acceptAll(t, trustedLn),
		untrustedLn.Addr().String(): acceptAll(t, untrustedLn),
	}
	_, server := connect(t, primary, nil)
	untrustedPin := kwik.PublicKeyPin(untrusted.Cert.Leaf)
	trustedPin := kwik.PublicKeyPin(testTLS.Cert.Leaf)

	for _, tc := range []struct {
		name   string
		addr   string
		pin    []byte
		reason string // "" when the path must open
	}{
		{"untrusted certificate", untrustedLn.Addr().String(), nil, "certificate"},
		{"untrusted, pin of another key", untrustedLn.Addr().String(), trustedPin, "pin"},
		{"trusted, pin of another key", trustedLn.Addr().String(), untrustedPin, "pin"},
		{"untrusted, its own pin", untrustedLn.Addr().String(), untrustedPin, ""},
		{"trusted, no pin", trustedLn.Addr().String(), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := server.AddPath(ctx, tc.addr, tc.pin)
			if tc.reason == "" {
				if err != nil || info.State != kwik.PathActive {
					t.Fatalf("AddPath = %v, %v; want an active path", info.State, err)
				}
				if s := nextSession(t, joined[tc.addr]); s.Role() != kwik.RoleSecondary {
					t.Fatalf("secondary got a %v session", s.Role())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("AddPath: %v; want a refusal mentioning %q", err, tc.reason)
			}
			if info.State != kwik.PathFailed || info.Err == nil {
				t.Fatalf("path state %v (%v), want failed with the reason", info.State, info.Err)
			}
		})
	}
	for addr, ch := range joined {
		select {
		case s := <-ch:
			t.Fatalf("secondary %s got a session it should have been refused: %v", addr, s.Role())
		default:
		}
	}
}

// TestRelayedRawDataAuthenticated: raw data the primary relays through the
// client reaches the secondary only unaltered and once; a client that
// alters, forges, misdirects or replays it is refused.
func TestRelayedRawDataAuthenticated(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	conf := &kwik.Config{ServerGroupKey: groupKey}
	primary := listen(t, conf)
	secondary := listen(t, conf)
	secondarySessions := acceptAll(t, secondary)
	// The client is raw: it relays what it wants.
	client, sh, server := joinRaw(t, ctx, primary)

	// addPath has the primary add a secondary path and joins it with the
	// token the primary issued.
	addPath := func(t *testing.T) (*rawPeer, *kwik.Session, uint64) {
		t.Helper()
		client := client.in(t)
		added := make(chan error, 1)
		go func() {
			_, err := server.AddPath(ctx, secondary.Addr().String(), nil)
			added <- err
		}()
		ap := client.next("ADD_PATH", func(f wire.Frame) bool { _, ok := f.(*wire.AddPath); return ok }).(*wire.AddPath)
		path := dialRawPeer(t, ctx, secondary.Addr().String())
		if joined, cl := path.handshake(&wire.ClientHello{Version: wire.Version, SessionID: sh.SessionID, PathID: ap.PathID, Token: ap.Token}); joined == nil {
			t.Fatalf("secondary refused the primary's token: %+v", cl)
		}
		client.send(&wire.PathStatus{PathID: ap.PathID, Status: wire.PathActive})
		if err := <-added; err != nil {
			t.Fatal(err)
		}
		return path, nextSession(t, secondarySessions), ap.PathID
	}
	// relayed returns the next RAW_DATA the primary sends through the client.
	relayed := func(t *testing.T, pathID uint64, data string) *wire.RawData {
		t.Helper()
		client := client.in(t)
		if err := server.SendRawData(pathID, 0, []byte(data)); err != nil {
			t.Fatal(err)
		}
		return client.next("RAW_DATA", func(f wire.Frame) bool { _, ok := f.(*wire.RawData); return ok }).(*wire.RawData)
	}
	receive := func(t *testing.T, s *kwik.Session, want string) {
		t.Helper()
		rctx, cancel := context.WithTimeout(ctx, outcomeTimeout)
		defer cancel()
		msg, err := s.AcceptRawData(rctx)
		if err != nil || string(msg.Data) != want {
			t.Fatalf("secondary got %q, %v; want %q", msg.Data, err, want)
		}
	}

	// Honest relay, then a replay of the same message.
	path1, sess1, id1 := addPath(t)
	m := relayed(t, id1, "bytes 0-99 of object 1")
	path1.send(m)
	receive(t, sess1, "bytes 0-99 of object 1")
	path1.send(m)
	path1.expectClosed(wire.Refused, "replay")

	for _, tc := range []struct {
		name   string
		alter  func(t *testing.T, m *wire.RawData, otherPath uint64) // turns the genuine message into the client's version
		reason string
	}{
		{"altered data", func(_ *testing.T, m *wire.RawData, _ uint64) { m.Data = []byte("bytes 0-99 of object 2") }, "failed authentication"},
		{"altered stream", func(_ *testing.T, m *wire.RawData, _ uint64) { m.StreamID = 4 }, "failed authentication"},
		{"altered sequence", func(_ *testing.T, m *wire.RawData, _ uint64) { m.Seq += 100 }, "failed authentication"},
		{"forged", func(_ *testing.T, m *wire.RawData, _ uint64) { m.MAC = make([]byte, 32) }, "failed authentication"},
		{"meant for another path", func(t *testing.T, m *wire.RawData, other uint64) { *m = *relayed(t, other, "for the other path") }, "failed authentication"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, sess, id := addPath(t)
			m := relayed(t, id, "bytes 0-99 of object 1")
			tc.alter(t, m, id1)
			path.send(m)
			path.expectClosed(wire.Refused, tc.reason)
			if _, err := sess.AcceptRawData(ctx); err == nil {
				t.Fatal("the secondary accepted the client's version")
			}
		})
	}
}

// hostileSecondary is a real primary and client, and a raw secondary the
// primary sends the client to.
type hostileSecondary struct {
	ctx    context.Context
	client *kwik.Session
	server *kwik.Session
	raw    *rawServer
	events <-chan kwik.Event
}

// addPath makes the primary add a path to the raw secondary, which joins
// it; it returns once the client reported the path active.
func (h *hostileSecondary) addPath(t *testing.T) (*rawPeer, uint64) {
	t.Helper()
	type added struct {
		info kwik.PathInfo
		err  error
	}
	done := make(chan added, 1)
	go func() {
		info, err := h.server.AddPath(h.ctx, h.raw.Addr(), nil)
		done <- added{info, err}
	}()
	p, hello := h.raw.accept(t, h.ctx)
	p.send(&wire.ServerHello{Version: wire.Version, SessionID: hello.SessionID, PathID: hello.PathID, Role: wire.RoleSecondary})
	r := <-done
	if r.err != nil || r.info.ID != hello.PathID {
		t.Fatalf("AddPath = %+v, %v; the raw secondary joined path %d", r.info, r.err, hello.PathID)
	}
	return p, hello.PathID
}

// TestHostileSecondary: a secondary writing into a stream the client does
// not have, beyond the advertised limit, past 2^62, with FIN, with
// conflicting bytes, or sending garbage or out-of-state control frames gets
// a clear error; the primary path and other streams keep working.
func TestHostileSecondary(t *testing.T) {
	ctx := testContext(t, 90*time.Second)
	primary := listen(t, &kwik.Config{ServerGroupKey: groupKey})
	client, server := connect(t, primary, nil)
	h := &hostileSecondary{ctx: ctx, client: client, server: server, raw: listenRaw(t, testTLS.Server), events: server.Events()}

	// Stream 0 is what the secondaries write into; the primary completes
	// it at the end. Stream 4 is the one a secondary corrupts.
	object := payload(4, 256<<10)
	str0, err := client.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	str0.Write([]byte("GET object"))
	str0.Close()
	str4, err := client.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	str4.Write([]byte("GET other"))
	str4.Close()
	srv0, err := server.AcceptStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv4, err := server.AcceptStream(ctx)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("refused stream data keeps the path", func(t *testing.T) {
		p, id := h.addPath(t)
		// Streams the client does not have: refused, with the reason.
		p.lane(streamFrame(t, 1000, 0, []byte("to nobody"), false), streamFrame(t, 1001, 0, []byte("to nobody either"), false))
		for sid, ss := range p.stopSendings(1000, 1001) {
			if ss.ErrorCode != wire.Refused || !strings.Contains(ss.Reason, "does not exist on the client") {
				t.Fatalf("stream %d: STOP_SENDING %v %q", sid, ss.ErrorCode, ss.Reason)
			}
		}
		p.send(&wire.StreamDataBlocked{StreamID: 2000})
		if ss := p.next("STOP_SENDING", isStopSending(2000)).(*wire.StopSending); ss.ErrorCode != wire.Refused {
			t.Fatalf("STREAM_DATA_BLOCKED for an unknown stream: STOP_SENDING %v", ss.ErrorCode)
		}

		// Bytes that conflict with what the primary already delivered:
		// that stream is failed, the secondary told why.
		if _, err := srv4.WriteAt(bytes.Repeat([]byte("A"), 1000), 0); err != nil {
			t.Fatal(err)
		}
		waitDelivered(t, server, 4, 0, 1000)
		// The primary vouches for the B's (a digest does not make bytes
		// agree with others): the piece verifies, then conflicts.
		assignNow(t, ctx, server, id, 4, 500, bytes.Repeat([]byte("B"), 1000))
		p.lane(streamFrame(t, 4, 500, bytes.Repeat([]byte("B"), 1000), false))
		ss := p.next("STOP_SENDING", isStopSending(4)).(*wire.StopSending)
		if ss.ErrorCode != wire.Refused || !strings.Contains(ss.Reason, "differ") {
			t.Fatalf("conflicting bytes: STOP_SENDING %v %q", ss.ErrorCode, ss.Reason)
		}
		var conflict *presentation.ConflictError
		str4.SetReadDeadline(time.Now().Add(outcomeTimeout))
		if _, err := str4.Read(make([]byte, 10)); !errors.As(err, &conflict) || conflict.PathID != id {
			t.Fatalf("client reading the corrupted stream: %v; want a ConflictError naming path %d", err, id)
		}

		// The path still carries good data.
		assignNow(t, ctx, server, id, 0, 0, object[:1000])
		p.lane(streamFrame(t, 0, 0, object[:1000], false))
		waitDelivered(t, server, 0, id, 1000)
		p.expectOpen()
	})

	for _, tc := range []struct {
		name   string
		act    func(p *rawPeer)
		code   wire.ErrorCode
		reason string
	}{
		{"beyond the advertised limit", func(p *rawPeer) {
			p.lane(streamFrame(t, 0, 64<<20, []byte("far ahead"), false))
		}, wire.FlowControlError, "exceeds the advertised limit"},
		{"offset near 2^62", func(p *rawPeer) {
			p.lane(streamFrame(t, 0, wire.MaxVarint-10, make([]byte, 10), false))
		}, wire.FlowControlError, "exceeds the advertised limit"},
		{"offset past 2^62", func(p *rawPeer) {
			p.lane(rawStreamHeader(0, wire.MaxVarint-5, 10), make([]byte, 10))
		}, wire.ProtocolViolation, "2^62-1"},
		{"huge length", func(p *rawPeer) {
			p.lane(rawStreamHeader(0, 0, 1<<40))
		}, wire.ProtocolViolation, "Length"},
		{"FIN", func(p *rawPeer) {
			p.lane(streamFrame(t, 0, 1000, object[1000:2000], true))
		}, wire.ProtocolViolation, "only the primary may"},
		{"bad lane magic", func(p *rawPeer) {
			p.rawLane([]byte("not a lane"))
		}, wire.ProtocolViolation, "bad lane"},
		{"truncated frame", func(p *rawPeer) {
			p.lane(rawStreamHeader(0, 0, 5000), object[:100]).Close()
		}, wire.ProtocolViolation, "ended inside a frame"},
		{"control stream reset", func(p *rawPeer) {
			p.ctrl.CancelWrite(9)
		}, wire.ProtocolViolation, "the peer reset stream 0"},
		{"garbage control frame", func(p *rawPeer) {
			p.sendBytes([]byte{0x3f, 0x01, 0x00})
		}, wire.ProtocolViolation, "not a control frame type"},
		{"ADD_PATH from a secondary", func(p *rawPeer) {
			p.send(&wire.AddPath{PathID: 9, Address: "127.0.0.1:1"})
		}, wire.ProtocolViolation, "does not accept from a secondary"},
		{"MAX_STREAM_DATA from a secondary", func(p *rawPeer) {
			p.send(&wire.MaxStreamData{StreamID: 0, Limit: 1 << 30})
		}, wire.ProtocolViolation, "does not accept from a secondary"},
		{"SERVER_HELLO again", func(p *rawPeer) {
			p.send(&wire.ServerHello{Version: wire.Version, SessionID: client.SessionID(), Role: wire.RolePrimary})
		}, wire.ProtocolViolation, "SERVER_HELLO"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, id := h.addPath(t)
			// The path holds an assignment, so only the violation under
			// test can close it.
			assignNow(t, ctx, server, id, 0, 0, object[:5000])
			tc.act(p)
			p.expectClosed(tc.code, tc.reason)
			info := waitPathEvent(t, h.events, id, kwik.PathDead)
			if info.Err == nil || !strings.Contains(info.Err.Error(), tc.code.String()) {
				t.Fatalf("primary learned the path died of %v; want the reason with %v", info.Err, tc.code)
			}
		})
	}

	// Through all this the session kept working: the primary completes
	// stream 0, whose first bytes a secondary wrote, and serves a new one.
	served := make(chan error, 1)
	go func() {
		_, err := srv0.WriteAt(object, 0)
		if err == nil {
			err = srv0.CloseWithSize(int64(len(object)))
		}
		served <- err
	}()
	str0.SetReadDeadline(time.Now().Add(outcomeTimeout))
	sum, n, err := readAllHash(str0)
	if err != nil || n != int64(len(object)) || sum != sha256.Sum256(object) {
		t.Fatalf("stream 0: %d bytes, %v, hash match %v", n, err, sum == sha256.Sum256(object))
	}
	if err := <-served; err != nil {
		t.Fatalf("primary writing stream 0: %v", err)
	}
	echo(t, ctx, client, server, 64<<10)
	if err := client.Err(); err != nil {
		t.Fatalf("client session: %v", err)
	}
}
