package integrationtests

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// hostileSecondary is a real primary and client, and a raw secondary the
// primary sends the client to.
type hostileSecondary struct {
	ctx    context.Context
	client *kwik.Session
	server *kwik.Session
	raw    *rawServer
	events <-chan kwik.Event
}

// newHostileSecondary connects a client to a new primary and starts the
// raw secondary.
func newHostileSecondary(t *testing.T, ctx context.Context) *hostileSecondary {
	primary := listen(t, &kwik.Config{ServerGroupKey: groupKey})
	client, server := connect(t, primary, nil)
	return &hostileSecondary{ctx: ctx, client: client, server: server, raw: listenRaw(t, testTLS.Server), events: server.Events()}
}

// request opens a stream from the client carrying req and returns both
// ends of it.
func (h *hostileSecondary) request(t *testing.T, req string) (client, server *kwik.Stream) {
	t.Helper()
	client, err := h.client.OpenStreamSync(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	client.Write([]byte(req))
	client.Close()
	if server, err = h.server.AcceptStream(h.ctx); err != nil {
		t.Fatal(err)
	}
	return client, server
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
	h := newHostileSecondary(t, ctx)
	client, server := h.client, h.server

	// Stream 0 is what the secondaries write into; the primary completes
	// it at the end. Stream 4 is the one a secondary corrupts.
	object := payload(4, 256<<10)
	str0, srv0 := h.request(t, "GET object")
	str4, srv4 := h.request(t, "GET other")

	t.Run("refused stream data keeps the path", func(t *testing.T) { testRefusedStreamData(t, h, object, str4, srv4) })

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
	primaryCompletes(t, str0, srv0, object)
	echo(t, ctx, client, server, 64<<10)
	if err := client.Err(); err != nil {
		t.Fatalf("client session: %v", err)
	}
}

// testRefusedStreamData: data for streams the client does not have, or
// conflicting with what the primary delivered, is refused with
// STOP_SENDING and keeps the path, which still carries good data.
func testRefusedStreamData(t *testing.T, h *hostileSecondary, object []byte, str4, srv4 *kwik.Stream) {
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
	waitDelivered(t, h.server, 4, 0, 1000)
	// The primary vouches for the B's (a digest does not make bytes
	// agree with others): the piece verifies, then conflicts.
	assignNow(t, h.ctx, h.server, id, 4, 500, bytes.Repeat([]byte("B"), 1000))
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
	assignNow(t, h.ctx, h.server, id, 0, 0, object[:1000])
	p.lane(streamFrame(t, 0, 0, object[:1000], false))
	waitDelivered(t, h.server, 0, id, 1000)
	p.expectOpen()
}

// primaryCompletes has the primary write object whole into srv and close
// it, and checks that the client reads exactly object from cli.
func primaryCompletes(t *testing.T, cli, srv *kwik.Stream, object []byte) {
	t.Helper()
	served := make(chan error, 1)
	go func() {
		_, err := srv.WriteAt(object, 0)
		if err == nil {
			err = srv.CloseWithSize(int64(len(object)))
		}
		served <- err
	}()
	cli.SetReadDeadline(time.Now().Add(outcomeTimeout))
	got, err := io.ReadAll(cli)
	if err != nil || !bytes.Equal(got, object) {
		t.Fatalf("stream %d: read %d bytes (%v); equal to the object: %v", cli.StreamID(), len(got), err, bytes.Equal(got, object))
	}
	if err := <-served; err != nil {
		t.Fatalf("primary writing stream %d: %v", srv.StreamID(), err)
	}
}
