package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/kwik-transport/kwik/internal/data"
	"github.com/kwik-transport/kwik/internal/wire"
)

func TestStreamIDs(t *testing.T) {
	client := newStreamIDs(true, 10)
	server := newStreamIDs(false, 10)
	for i, want := range []uint64{0, 4, 8, 12} {
		if got := client.id(uint64(i)); got != want {
			t.Errorf("client stream %d has ID %d, want %d", i, got, want)
		}
		if got := server.id(uint64(i)); got != want+1 {
			t.Errorf("server stream %d has ID %d, want %d", i, got, want+1)
		}
		if !client.local(want) || client.local(want+1) || server.local(want) || !server.local(want+1) {
			t.Errorf("ID %d/%d attributed to the wrong side", want, want+1)
		}
	}
	if client.localMax != 10 || server.localMax != 10 {
		t.Fatal("incoming stream limit not set")
	}
	if id := client.id(1 << 60); id != 1<<62 {
		t.Fatalf("index 2^60 gives ID %d, want 2^62", id)
	}
}

func TestPeerStreamLimits(t *testing.T) {
	s := offlineSession(t, RolePrimary, &Config{MaxIncomingStreams: 3})
	// Naming stream 8 opens 0 and 4 too, in order, as QUIC does.
	str, err := s.peerStream(8)
	if err != nil || str == nil || str.Stream().StreamID() != 8 {
		t.Fatalf("peerStream(8) = %v, %v", str, err)
	}
	s.accepted.gate.Lock()
	accepted := s.accepted.items
	s.accepted.gate.UnlockFunc(s.accepted.ready)
	if len(accepted) != 3 || accepted[0].StreamID() != 0 || accepted[1].StreamID() != 4 {
		t.Fatalf("%d streams to accept, want 0, 4, 8", len(accepted))
	}
	for _, tc := range []struct {
		id     uint64
		reason string
	}{
		{12, "exceeds the stream limit 3"},
		{2, "unidirectional"},
		{1, "never opened by this side"},
		{wire.MaxVarint - 3, "exceeds the stream limit"},
	} {
		_, err := s.peerStream(tc.id)
		var cerr *ConnectionError
		if !errors.As(err, &cerr) || cerr.Code != wire.ProtocolViolation || !strings.Contains(cerr.Reason, tc.reason) {
			t.Errorf("peerStream(%d): %v, want PROTOCOL_VIOLATION %q", tc.id, err, tc.reason)
		}
	}
	// A finished peer stream frees a slot; late frames for it are dropped.
	s.streamDone(4)
	if str, err := s.peerStream(4); str != nil || err != nil {
		t.Fatalf("peerStream of a finished stream = %v, %v; want nil, nil (drop)", str, err)
	}
	if str, err := s.peerStream(12); err != nil || str == nil {
		t.Fatalf("peerStream(12) after a stream ended: %v", err)
	}
	for id, want := range map[uint64]data.StreamStatus{0: data.StreamOpen, 4: data.StreamClosed, 12: data.StreamOpen, 16: data.StreamUnknown, 1: data.StreamUnknown} {
		if got := s.streamStatus(id); got != want {
			t.Errorf("streamStatus(%d) = %v, want %v", id, got, want)
		}
	}
}

func TestOpenStreamHonoursPeerLimit(t *testing.T) {
	s := offlineSession(t, RoleClient, nil)
	s.ids.peerMax = 2
	for want := uint64(0); want <= 4; want += 4 {
		str, err := s.OpenStream()
		if err != nil || uint64(str.StreamID()) != want {
			t.Fatalf("OpenStream = %v, %v; want stream %d", str, err, want)
		}
	}
	if _, err := s.OpenStream(); !errors.Is(err, ErrTooManyStreams) {
		t.Fatalf("third OpenStream with a limit of 2: %v", err)
	}
	if ok, err := s.handleStreamControl(&wire.MaxStreams{Count: 3}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if str, err := s.OpenStream(); err != nil || str.StreamID() != 8 {
		t.Fatalf("OpenStream after MAX_STREAMS 3 = %v, %v", str, err)
	}
	if st := s.streamStatus(12); st != data.StreamUnknown {
		t.Fatalf("unopened local stream has status %v", st)
	}
}

func TestStreamControlForUnknownStreams(t *testing.T) {
	s := offlineSession(t, RolePrimary, &Config{MaxIncomingStreams: 2})
	for _, f := range []wire.Frame{
		&wire.MaxStreamData{StreamID: 400, Limit: 1},
		&wire.StopSending{StreamID: 401, ErrorCode: wire.Refused},
		&wire.ResetStream{StreamID: 6},
		&wire.StreamDataBlocked{StreamID: 400},
	} {
		ok, err := s.handleStreamControl(f)
		var cerr *ConnectionError
		if !ok || !errors.As(err, &cerr) || cerr.Code != wire.ProtocolViolation {
			t.Errorf("%v for an impossible stream: %v, %v; want a PROTOCOL_VIOLATION", f.Type(), ok, err)
		}
	}
	if ok, _ := s.handleStreamControl(&wire.AddPath{}); ok {
		t.Fatal("ADD_PATH taken as a stream control frame")
	}
}

// TestOpenStreamSyncWaitersShareARaise: one MAX_STREAMS that allows two
// more streams lets both waiting OpenStreamSync calls open one; and the
// session's end releases a third.
func TestOpenStreamSyncWaitersShareARaise(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := offlineSession(t, RoleClient, nil)
		s.ids.peerMax = 0
		opened := make(chan error, 3)
		for range 3 {
			go func() {
				_, err := s.OpenStreamSync(context.Background())
				opened <- err
			}()
		}
		synctest.Wait()
		if len(opened) != 0 {
			t.Fatal("OpenStreamSync returned with a stream limit of 0")
		}
		if ok, err := s.handleStreamControl(&wire.MaxStreams{Count: 2}); !ok || err != nil {
			t.Fatal(ok, err)
		}
		synctest.Wait()
		if len(opened) != 2 {
			t.Fatalf("%d waiters opened a stream after MAX_STREAMS 2, want 2", len(opened))
		}
		for range 2 {
			if err := <-opened; err != nil {
				t.Fatal(err)
			}
		}
		// What closeWith does for the waiters (the offline session has no
		// connection to close).
		s.mu.Lock()
		s.closeErr = errors.New("closed")
		s.mu.Unlock()
		s.openWait.Set()
		synctest.Wait()
		if len(opened) != 1 || <-opened == nil {
			t.Fatal("the session's end did not release the last waiter with an error")
		}
	})
}
