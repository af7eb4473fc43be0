package integrationtests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/wire"
)

// This file is issue 6's hostile peer: raw quic-go clients and servers that
// speak garbage, truncate frames, send huge lengths, offsets near 2^62,
// credit violations and replayed path tokens. KWIK must answer with
// protocol errors, keep its other sessions working, and never panic; the
// package's TestMain checks that no goroutine outlives the tests.

// echo checks that a session still works: the client sends n bytes on a
// new stream and the server sends them back.
func echo(t *testing.T, ctx context.Context, client, server *kwik.Session, n int) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		str, err := server.AcceptStream(ctx)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(str, str)
		if err == nil {
			err = str.Close()
		}
		done <- err
	}()
	str, err := client.OpenStreamSync(ctx)
	if err != nil {
		t.Fatalf("echo: %v", err)
	}
	str.SetDeadline(time.Now().Add(outcomeTimeout))
	msg := payload(uint64(n), n)
	if _, err := str.Write(msg); err != nil {
		t.Fatalf("echo: %v", err)
	}
	str.Close()
	got, err := io.ReadAll(str)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo: read %d bytes (equal %v), %v", len(got), bytes.Equal(got, msg), err)
	}
	if err := <-done; err != nil {
		t.Fatalf("echo server: %v", err)
	}
}

// expectSessionError waits until s ends and checks that it ended with a
// KWIK error of code, raised by this side.
func expectSessionError(t *testing.T, s *kwik.Session, code wire.ErrorCode, reason string) {
	t.Helper()
	select {
	case <-s.Context().Done():
	case <-time.After(outcomeTimeout):
		t.Fatalf("session still open; want it closed with %v %q", code, reason)
	}
	var cerr *kwik.ConnectionError
	if err := s.Err(); !errors.As(err, &cerr) || cerr.Code != code || cerr.Remote || !strings.Contains(cerr.Reason, reason) {
		t.Fatalf("session ended with %v; want a local %v %q", err, code, reason)
	}
}

// hostileClientCase is a raw client's misbehaviour against a primary and
// how the primary must answer it.
type hostileClientCase struct {
	name   string
	act    func(t *testing.T, p *rawPeer)
	code   wire.ErrorCode
	reason string
}

// TestHostileClientHandshake: a raw client that fails the handshake is
// refused with the right code and a reason; nothing reaches Accept, and
// the server keeps serving the sessions it has and new ones.
func TestHostileClientHandshake(t *testing.T) {
	ctx := testContext(t, 90*time.Second)
	ln := listen(t, &kwik.Config{ServerGroupKey: groupKey, HandshakeTimeout: 2 * time.Second})
	client, server := connect(t, ln, nil)
	hello := func(h wire.ClientHello) func(*testing.T, *rawPeer) {
		return func(t *testing.T, p *rawPeer) {
			h.Version = max(h.Version, wire.Version)
			p.send(&h)
		}
	}
	raw := func(b ...byte) func(*testing.T, *rawPeer) {
		return func(t *testing.T, p *rawPeer) { p.sendBytes(b) }
	}
	for _, tc := range []hostileClientCase{
		{"garbage", raw([]byte("GET / HTTP/1.1\r\nHost: kwik\r\n\r\n")...), wire.ProtocolViolation, "malformed handshake"},
		{"wrong version", hello(wire.ClientHello{Version: 7}), wire.VersionMismatch, "client speaks kwik/7, server speaks kwik/1"},
		{"frame before the hello", raw(byte(wire.FramePing), 0x01, 0x01), wire.ProtocolViolation, "expected CLIENT_HELLO, got PING"},
		{"huge length", raw(byte(wire.FrameClientHello), 0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), wire.ProtocolViolation, "exceeds the largest CLIENT_HELLO body"},
		{"truncated hello", func(t *testing.T, p *rawPeer) {
			p.sendBytes([]byte{byte(wire.FrameClientHello), 0x20, 0x01, 0x00})
			p.ctrl.Close()
		}, wire.ProtocolViolation, "input ended"},
		{"new session on path 3", hello(wire.ClientHello{PathID: 3}), wire.ProtocolViolation, "a new session starts on path 0"},
		{"join with a forged token", hello(wire.ClientHello{SessionID: client.SessionID(), PathID: 1, Token: make([]byte, control.TokenSize)}), wire.Refused, "not valid"},
		{"no control stream", func(t *testing.T, p *rawPeer) {
			// Nothing was written on the control stream, so the server never
			// saw it: only a lane arrives.
			p.lane(streamFrame(t, 0, 0, []byte("data first"), false))
		}, wire.ProtocolViolation, "no control stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := dialRawPeer(t, ctx, ln.Addr().String())
			tc.act(t, p)
			p.expectClosed(tc.code, tc.reason)
		})
		echo(t, ctx, client, server, 32<<10)
	}
	// A refused client that reached Accept would be accepted before this one.
	c2, s2 := connect(t, ln, nil)
	if !bytes.Equal(c2.SessionID(), s2.SessionID()) {
		t.Fatalf("Accept returned session %x, not the new client's: a refused client got through", s2.SessionID())
	}
	echo(t, ctx, c2, s2, 32<<10)
}

// TestHostileClientSession: a raw client that completed the handshake and
// then breaks the protocol — malformed or out-of-state control frames,
// impossible stream IDs, offsets near 2^62, credit violations — has its
// session closed with the right code; the server's other sessions go on.
func TestHostileClientSession(t *testing.T) {
	ctx := testContext(t, 120*time.Second)
	const maxStreams = 4
	ln := listen(t, &kwik.Config{ServerGroupKey: groupKey, MaxIncomingStreams: maxStreams})
	client, server := connect(t, ln, nil)

	for _, tc := range hostileClientCases(t, maxStreams) {
		t.Run(tc.name, func(t *testing.T) {
			p, _, sess := joinRaw(t, ctx, ln)
			tc.act(t, p)
			p.expectClosed(tc.code, tc.reason)
			expectSessionError(t, sess, tc.code, tc.reason)
		})
		echo(t, ctx, client, server, 32<<10)
	}

	t.Run("stream-level violations", func(t *testing.T) { testStreamLevelViolations(t, ctx, ln) })

	c2, s2 := connect(t, ln, nil)
	echo(t, ctx, c2, s2, 32<<10)
	echo(t, ctx, client, server, 32<<10)
}

// hostileClientCases are the violations TestHostileClientSession commits,
// each on a new session of a server allowing maxStreams streams.
func hostileClientCases(t *testing.T, maxStreams uint64) []hostileClientCase {
	ctrl := func(b ...byte) func(*testing.T, *rawPeer) {
		return func(t *testing.T, p *rawPeer) { p.sendBytes(b) }
	}
	frame := func(f wire.Frame) func(*testing.T, *rawPeer) {
		return func(t *testing.T, p *rawPeer) { p.send(f) }
	}
	lane := func(parts ...[]byte) func(*testing.T, *rawPeer) {
		return func(t *testing.T, p *rawPeer) { p.lane(parts...) }
	}
	data := []byte("some bytes")
	return []hostileClientCase{
		// Control stream.
		{"control: unknown frame type", ctrl(0x3f, 0x01, 0x00), wire.ProtocolViolation, "not a control frame type"},
		{"control: huge length", ctrl(byte(wire.FramePing), 0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), wire.ProtocolViolation, "exceeds the largest PING body"},
		{"control: trailing bytes", ctrl(byte(wire.FramePing), 0x03, 0x01, 0x01, 0x01), wire.ProtocolViolation, "PING"},
		{"control: truncated frame", func(t *testing.T, p *rawPeer) {
			p.sendBytes([]byte{byte(wire.FrameMaxStreamData), 0x10, 0x00})
			p.ctrl.Close()
		}, wire.ProtocolViolation, "input ended"},
		{"second CLIENT_HELLO", frame(&wire.ClientHello{Version: wire.Version}), wire.ProtocolViolation, "CLIENT_HELLO, which a primary does not accept"},
		{"ADD_PATH from a client", frame(&wire.AddPath{PathID: 1, Address: "127.0.0.1:1"}), wire.ProtocolViolation, "ADD_PATH, which a primary does not accept"},
		{"RAW_DATA from a client", frame(&wire.RawData{PathID: 1, Seq: 1, MAC: make([]byte, 32)}), wire.ProtocolViolation, "RAW_DATA, which a primary does not accept"},
		{"PATH_STATUS for a path never added", frame(&wire.PathStatus{PathID: 9, Status: wire.PathActive}), wire.ProtocolViolation, "path 9, which this primary never added"},
		{"PATH_STATUS for the primary path", frame(&wire.PathStatus{PathID: 0, Status: wire.PathDead}), wire.ProtocolViolation, "never added"},
		{"MAX_STREAM_DATA for a stream never opened", frame(&wire.MaxStreamData{StreamID: 1, Limit: 1 << 20}), wire.ProtocolViolation, "stream 1 was never opened by this side"},
		{"STOP_SENDING for a unidirectional stream", frame(&wire.StopSending{StreamID: 2, ErrorCode: wire.ApplicationCode(1)}), wire.ProtocolViolation, "unidirectional"},
		{"RESET_STREAM past MaxStreams", frame(&wire.ResetStream{StreamID: 4 * maxStreams}), wire.ProtocolViolation, fmt.Sprintf("exceeds the stream limit %d", maxStreams)},
		// Lanes.
		{"bad lane magic", func(t *testing.T, p *rawPeer) { p.rawLane([]byte("\x00\x01garbage")) }, wire.ProtocolViolation, "bad lane"},
		{"unidirectional stream ID", lane(streamFrame(t, 2, 0, data, false)), wire.ProtocolViolation, "unidirectional"},
		{"stream the server never opened", lane(streamFrame(t, 5, 0, data, false)), wire.ProtocolViolation, "never opened by this side"},
		{"more streams than MaxStreams", lane(streamFrame(t, 4*maxStreams, 0, data, false)), wire.ProtocolViolation, fmt.Sprintf("stream %d exceeds the stream limit %d", 4*maxStreams, maxStreams)},
		{"offset near 2^62", lane(streamFrame(t, 0, wire.MaxVarint-uint64(len(data)), data, false)), wire.FlowControlError, "exceeds the advertised limit"},
		{"offset past 2^62", lane(rawStreamHeader(0, wire.MaxVarint-2, 10), data), wire.ProtocolViolation, "exceeds 2^62-1"},
		{"lane: huge length", lane(rawStreamHeader(0, 0, 1<<40)), wire.ProtocolViolation, "exceeds MaxStreamPayload"},
		{"lane: truncated frame", func(t *testing.T, p *rawPeer) {
			p.lane(rawStreamHeader(0, 0, 4096), data).Close()
		}, wire.ProtocolViolation, "lane ended inside a frame of stream 0"},
		{"lane reset mid-frame", func(t *testing.T, p *rawPeer) {
			l := p.lane(streamFrame(t, 0, 0, data, false), rawStreamHeader(0, uint64(len(data)), 4096), data)
			// The server announces stream 0's window once it has read the
			// lane's first frame: the reset then comes inside the second.
			p.next("MAX_STREAM_DATA", func(f wire.Frame) bool { _, ok := f.(*wire.MaxStreamData); return ok })
			l.CancelWrite(9)
		}, wire.ProtocolViolation, "the peer reset stream 2 (a control stream or lane) with code 9"},
		{"control stream reset", func(t *testing.T, p *rawPeer) { p.ctrl.CancelWrite(9) }, wire.ProtocolViolation, "the peer reset stream 0 (a control stream or lane) with code 9"},
		{"credit violation", func(t *testing.T, p *rawPeer) {
			// More than a quarter of the 512 KiB window readable and unread,
			// and the next frames behind it on the same lane: the window
			// does not grow when they jump ahead.
			lane := p.lane(streamFrame(t, 0, 0, make([]byte, 200<<10), false))
			limit := p.next("MAX_STREAM_DATA", func(f wire.Frame) bool {
				m, ok := f.(*wire.MaxStreamData)
				return ok && m.StreamID == 0
			}).(*wire.MaxStreamData).Limit
			// Up to the limit is fine; one byte past it is not.
			lane.Write(append(streamFrame(t, 0, limit-10, make([]byte, 10), false), streamFrame(t, 0, limit, []byte{1}, false)...))
			p.expectClosed(wire.FlowControlError, fmt.Sprintf("data up to offset %d exceeds the advertised limit %d", limit+1, limit))
		}, wire.FlowControlError, "exceeds the advertised limit"},
	}
}

// testStreamLevelViolations: bad bytes in one stream fail that stream
// only: the client is told with STOP_SENDING, its session goes on.
func testStreamLevelViolations(t *testing.T, ctx context.Context, ln *kwik.Listener) {
	p, _, sess := joinRaw(t, ctx, ln)
	p.lane(streamFrame(t, 0, 0, []byte("final"), true), streamFrame(t, 0, 5, []byte("past the end"), false),
		streamFrame(t, 4, 0, []byte("AAAA"), false), streamFrame(t, 4, 2, []byte("BBBB"), false))
	stops := p.stopSendings(0, 4)
	for sid, reason := range map[uint64]string{0: "final size", 4: "differ"} {
		ss := stops[sid]
		if ss.ErrorCode != wire.Refused || !strings.Contains(ss.Reason, reason) {
			t.Fatalf("stream %d: STOP_SENDING %v %q; want REFUSED %q", sid, ss.ErrorCode, ss.Reason, reason)
		}
	}
	// The session still works: the server's stream reaches the client.
	str, err := sess.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	str.Write([]byte("still here"))
	str.Close()
	p.expectOpen()
	if err := sess.Err(); err != nil {
		t.Fatalf("server session: %v", err)
	}
}

// TestHostileClientReplaysToken: a raw client takes the path token a real
// primary issued, joins the secondary with it, then replays it; the replay
// and its variants are refused.
func TestHostileClientReplaysToken(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	conf := &kwik.Config{ServerGroupKey: groupKey}
	primary := listen(t, conf)
	secondary := listen(t, conf)
	acceptAll(t, secondary)
	client, sh, server := joinRaw(t, ctx, primary)
	added := make(chan error, 1)
	go func() {
		_, err := server.AddPath(ctx, secondary.Addr().String(), nil)
		added <- err
	}()
	ap := client.next("ADD_PATH", func(f wire.Frame) bool { _, ok := f.(*wire.AddPath); return ok }).(*wire.AddPath)

	join := func(t *testing.T, sessionID []byte, pathID uint64, token []byte) (*rawPeer, *wire.ServerHello, *wire.Close) {
		p := dialRawPeer(t, ctx, secondary.Addr().String())
		sh, cl := p.handshake(&wire.ClientHello{Version: wire.Version, SessionID: sessionID, PathID: pathID, Token: token})
		return p, sh, cl
	}
	if _, sh2, cl := join(t, sh.SessionID, ap.PathID, ap.Token); sh2 == nil {
		t.Fatalf("the primary's token was refused: %+v", cl)
	}
	client.send(&wire.PathStatus{PathID: ap.PathID, Status: wire.PathActive})
	if err := <-added; err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(ap.Token)
	flipped[len(flipped)-1] ^= 1
	for _, tc := range []struct {
		name      string
		sessionID []byte
		pathID    uint64
		token     []byte
		reason    string
	}{
		{"replayed", sh.SessionID, ap.PathID, ap.Token, "already used"},
		{"replayed for another path", sh.SessionID, ap.PathID + 1, ap.Token, "not valid"},
		{"replayed for another session", control.NewSessionID(), ap.PathID, ap.Token, "not valid"},
		{"altered", sh.SessionID, ap.PathID, flipped, "not valid"},
		{"truncated", sh.SessionID, ap.PathID, ap.Token[:len(ap.Token)-1], "not valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, sh2, cl := join(t, tc.sessionID, tc.pathID, tc.token)
			if sh2 != nil {
				t.Fatalf("join accepted: %+v", sh2)
			}
			if cl.ErrorCode != wire.Refused || !strings.Contains(cl.Reason, tc.reason) {
				t.Fatalf("refused with %v %q; want REFUSED %q", cl.ErrorCode, cl.Reason, tc.reason)
			}
			p.expectClosed(wire.Refused, tc.reason)
		})
	}
}

// TestHostilePrimary: a raw server the client dials as its primary answers
// garbage or breaks the protocol after the handshake. Dial fails, or the
// session closes, with a clear error and the right code on the wire.
func TestHostilePrimary(t *testing.T) {
	h := &hostilePrimary{
		ctx:   testContext(t, 120*time.Second),
		raw:   listenRaw(t, testTLS.Server),
		conf:  &kwik.Config{HandshakeTimeout: 2 * time.Second, MaxIncomingStreams: 2},
		hello: &wire.ServerHello{Version: wire.Version, SessionID: control.NewSessionID(), Role: wire.RolePrimary, MaxStreams: 10, InitialStreamWindow: 1 << 16},
	}
	testHostilePrimaryHandshakes(t, h)
	testHostilePrimarySessions(t, h)
	testHostilePrimaryPathRequests(t, h)
}

// hostilePrimary is a raw server a real client dials as its primary.
type hostilePrimary struct {
	ctx   context.Context
	raw   *rawServer
	conf  *kwik.Config
	hello *wire.ServerHello // a valid answer
}

// dialed is what kwik.Dial returned.
type dialed struct {
	s   *kwik.Session
	err error
}

// dial runs kwik.Dial against the raw server and returns the raw side of
// the connection, after its CLIENT_HELLO.
func (h *hostilePrimary) dial(t *testing.T) (*rawPeer, <-chan dialed) {
	done := make(chan dialed, 1)
	go func() {
		s, err := kwik.Dial(h.ctx, h.raw.Addr(), testTLS.Client, h.conf)
		done <- dialed{s, err}
	}()
	p, _ := h.raw.accept(t, h.ctx)
	return p, done
}

// result waits for Dial's outcome.
func (h *hostilePrimary) result(t *testing.T, done <-chan dialed) dialed {
	t.Helper()
	select {
	case d := <-done:
		if d.s != nil {
			t.Cleanup(func() { d.s.CloseWithError(0, "") })
		}
		return d
	case <-time.After(outcomeTimeout):
		t.Fatal("Dial did not return")
		return dialed{}
	}
}

func testHostilePrimaryHandshakes(t *testing.T, h *hostilePrimary) {
	for _, tc := range []struct {
		name   string
		answer func(p *rawPeer)
		check  func(error) bool
		code   wire.ErrorCode // how the client closes the connection
		reason string
	}{
		{"garbage", func(p *rawPeer) { p.sendBytes([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")) }, isHandshakeError(wire.ProtocolViolation, false), wire.ProtocolViolation, "malformed handshake answer"},
		{"refusal", func(p *rawPeer) { p.send(&wire.Close{ErrorCode: wire.Refused, Reason: "come back later"}) }, isHandshakeError(wire.Refused, true), wire.Refused, "come back later"},
		{"other version", func(p *rawPeer) {
			sh := *h.hello
			sh.Version = 2
			p.send(&sh)
		}, isHandshakeError(wire.VersionMismatch, false), wire.VersionMismatch, "server speaks kwik/2"},
		{"secondary role", func(p *rawPeer) {
			sh := *h.hello
			sh.Role = wire.RoleSecondary
			p.send(&sh)
		}, errorSays("answered as a secondary server"), wire.NoError, ""},
		{"path 5", func(p *rawPeer) {
			sh := *h.hello
			sh.PathID = 5
			p.send(&sh)
		}, errorSays("for path 5"), wire.NoError, ""},
		{"PING instead of SERVER_HELLO", func(p *rawPeer) { p.send(&wire.Ping{Seq: 1}) }, isHandshakeError(wire.ProtocolViolation, false), wire.ProtocolViolation, "PING"},
		{"silence", func(p *rawPeer) {}, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }, wire.InternalError, ""},
	} {
		t.Run("handshake/"+tc.name, func(t *testing.T) {
			p, done := h.dial(t)
			tc.answer(p)
			d := h.result(t, done)
			if d.err == nil || !tc.check(d.err) {
				t.Fatalf("Dial: %v", d.err)
			}
			p.expectClosed(tc.code, tc.reason)
		})
	}
}

func testHostilePrimarySessions(t *testing.T, h *hostilePrimary) {
	for _, tc := range []struct {
		name   string
		act    func(t *testing.T, p *rawPeer)
		code   wire.ErrorCode
		reason string
	}{
		{"garbage control frame", func(t *testing.T, p *rawPeer) { p.sendBytes([]byte{0x3f, 0x00}) }, wire.ProtocolViolation, "not a control frame type"},
		{"SERVER_HELLO again", func(t *testing.T, p *rawPeer) { p.send(h.hello) }, wire.ProtocolViolation, "SERVER_HELLO, which a client does not accept"},
		{"PATH_STATUS to a client", func(t *testing.T, p *rawPeer) { p.send(&wire.PathStatus{PathID: 1, Status: wire.PathActive}) }, wire.ProtocolViolation, "PATH_STATUS, which a client does not accept"},
		{"DELIVERY_REPORT to a client", func(t *testing.T, p *rawPeer) { p.send(&wire.DeliveryReport{}) }, wire.ProtocolViolation, "which a client does not accept"},
		{"stream the client never opened", func(t *testing.T, p *rawPeer) { p.lane(streamFrame(t, 0, 0, []byte("x"), false)) }, wire.ProtocolViolation, "never opened by this side"},
		{"more streams than the client allows", func(t *testing.T, p *rawPeer) { p.lane(streamFrame(t, 9, 0, []byte("x"), false)) }, wire.ProtocolViolation, "exceeds the stream limit 2"},
		{"beyond the advertised limit", func(t *testing.T, p *rawPeer) { p.lane(streamFrame(t, 1, 64<<20, []byte("x"), false)) }, wire.FlowControlError, "exceeds the advertised limit"},
		{"offset past 2^62", func(t *testing.T, p *rawPeer) { p.lane(rawStreamHeader(1, wire.MaxVarint, 1), []byte("x")) }, wire.ProtocolViolation, "exceeds 2^62-1"},
		{"truncated control frame", func(t *testing.T, p *rawPeer) {
			p.sendBytes([]byte{byte(wire.FrameAddPath), 0x40})
			p.ctrl.Close()
		}, wire.ProtocolViolation, "input ended"},
	} {
		t.Run("session/"+tc.name, func(t *testing.T) {
			p, done := h.dial(t)
			p.send(h.hello)
			d := h.result(t, done)
			if d.err != nil {
				t.Fatal(d.err)
			}
			tc.act(t, p)
			p.expectClosed(tc.code, tc.reason)
			expectSessionError(t, d.s, tc.code, tc.reason)
			if _, err := d.s.OpenStreamSync(h.ctx); err == nil {
				t.Fatal("OpenStreamSync on the closed session succeeded")
			}
		})
	}
}

func testHostilePrimaryPathRequests(t *testing.T, h *hostilePrimary) {
	// Path management the client cannot honour is answered, not fatal.
	t.Run("session/impossible path requests", func(t *testing.T) {
		p, done := h.dial(t)
		p.send(h.hello)
		d := h.result(t, done)
		if d.err != nil {
			t.Fatal(d.err)
		}
		status := func(id uint64) *wire.PathStatus {
			return p.next("PATH_STATUS", func(f wire.Frame) bool {
				s, ok := f.(*wire.PathStatus)
				return ok && s.PathID == id
			}).(*wire.PathStatus)
		}
		for _, tc := range []struct {
			f      wire.Frame
			id     uint64
			status wire.PathState
			reason string
		}{
			{&wire.AddPath{PathID: 0, Address: "127.0.0.1:1"}, 0, wire.PathFailed, "already in use"},
			{&wire.AddPath{PathID: 3, Address: "no port"}, 3, wire.PathFailed, "no port"},
			{&wire.RawData{PathID: 7, Seq: 1, MAC: make([]byte, 32)}, 7, wire.PathDead, "does not have"},
			{&wire.RemovePath{PathID: 8}, 8, wire.PathRemoved, "no such path"},
		} {
			p.send(tc.f)
			if s := status(tc.id); s.Status != tc.status || !strings.Contains(s.Reason, tc.reason) {
				t.Errorf("%v: PATH_STATUS %v %q; want %v %q", tc.f.Type(), s.Status, s.Reason, tc.status, tc.reason)
			}
		}
		// The session still works: a stream from the raw primary arrives.
		p.lane(streamFrame(t, 1, 0, []byte("still here"), true))
		str, err := d.s.AcceptStream(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		str.SetReadDeadline(time.Now().Add(outcomeTimeout))
		got, err := io.ReadAll(str)
		if err != nil || string(got) != "still here" {
			t.Fatalf("read %q, %v", got, err)
		}
		p.expectOpen()
	})
}

// isHandshakeError matches a *control.HandshakeError with code, raised by
// the peer (remote) or by the client.
func isHandshakeError(code wire.ErrorCode, remote bool) func(error) bool {
	return func(err error) bool {
		var herr *control.HandshakeError
		return errors.As(err, &herr) && herr.Code == code && herr.Remote == remote
	}
}

// errorSays matches an error whose message contains s.
func errorSays(s string) func(error) bool {
	return func(err error) bool { return err != nil && strings.Contains(err.Error(), s) }
}

// TestHostileClientAtSecondary: a raw client that joined a secondary with
// a genuine token then breaks the protocol there: it is cut off with a
// protocol error, and the secondary goes on serving.
func TestHostileClientAtSecondary(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	secondary := listen(t, &kwik.Config{ServerGroupKey: groupKey})
	sessions := acceptAll(t, secondary)
	session := control.NewSessionID()
	var nextPath uint64
	join := func(t *testing.T) (*rawPeer, *kwik.Session) {
		t.Helper()
		nextPath++
		p := dialRawPeer(t, ctx, secondary.Addr().String())
		tok := control.MintPathToken(groupKey, session, nextPath, control.IdentityOf(secondary.Addr().String(), nil), time.Minute, time.Now())
		if sh, cl := p.handshake(&wire.ClientHello{Version: wire.Version, SessionID: session, PathID: nextPath, Token: tok}); sh == nil {
			t.Fatalf("genuine join refused: %+v", cl)
		}
		return p, nextSession(t, sessions)
	}
	for _, tc := range []struct {
		name   string
		act    func(t *testing.T, p *rawPeer)
		reason string
	}{
		{"stream data to a secondary", func(t *testing.T, p *rawPeer) {
			p.lane(streamFrame(t, 0, 0, make([]byte, 64<<10), false))
		}, "takes none"},
		{"bad lane", func(t *testing.T, p *rawPeer) { p.rawLane([]byte("junk")) }, "bad lane"},
		{"ADD_PATH to a secondary", func(t *testing.T, p *rawPeer) {
			p.send(&wire.AddPath{PathID: 2, Address: "127.0.0.1:1"})
		}, "ADD_PATH, which a secondary does not accept"},
		{"garbage control frame", func(t *testing.T, p *rawPeer) { p.sendBytes([]byte{0x3f, 0x00}) }, "not a control frame type"},
		{"REMOVE_PATH for another path", func(t *testing.T, p *rawPeer) {
			p.send(&wire.RemovePath{PathID: nextPath + 100})
		}, "REMOVE_PATH for path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, sess := join(t)
			tc.act(t, p)
			p.expectClosed(wire.ProtocolViolation, tc.reason)
			expectSessionError(t, sess, wire.ProtocolViolation, tc.reason)
		})
	}
	// The secondary still relays raw data on a good path.
	p, sess := join(t)
	data := []byte("range 0-99")
	p.send(&wire.RawData{PathID: nextPath, Seq: 1, Data: data, MAC: control.RelayMAC(groupKey, session, control.IdentityOf(secondary.Addr().String(), nil), nextPath, 0, 1, data)})
	rctx, cancel := context.WithTimeout(ctx, outcomeTimeout)
	defer cancel()
	if msg, err := sess.AcceptRawData(rctx); err != nil || !bytes.Equal(msg.Data, data) {
		t.Fatalf("AcceptRawData = %q, %v", msg.Data, err)
	}
}
