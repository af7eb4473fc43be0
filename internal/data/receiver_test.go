package data

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/quicvarint"

	"github.com/kwik-transport/kwik/internal/wire"
)

// receive runs Receive in the background and returns its result channel.
func receive(ctx context.Context, conn LaneAcceptor, h Handler) <-chan error {
	done := make(chan error, 1)
	go func() { done <- Receive(ctx, conn, h) }()
	return done
}

func waitReceive(tb testing.TB, done <-chan error) error {
	tb.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		tb.Fatal("Receive did not return")
		return nil
	}
}

// rawLane opens a lane and writes b on it as is; end closes it afterwards.
func rawLane(tb testing.TB, conn *quic.Conn, b []byte, end bool) *quic.SendStream {
	tb.Helper()
	str, err := conn.OpenUniStream()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := str.Write(b); err != nil {
		tb.Fatal(err)
	}
	if end {
		str.Close()
	}
	return str
}

// writeLane writes b on a new lane and closes it, giving up after 10 s, and
// returns the Write's error: a receiver may refuse a malformed lane
// (STOP_SENDING), or its path be closed, before it has all of it.
func writeLane(conn *quic.Conn, b []byte) error {
	str, err := conn.OpenUniStream()
	if err != nil {
		return err
	}
	defer str.Close()
	str.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err = str.Write(b)
	return err
}

// refusedLane reports whether err, from writeLane, is the receiver refusing
// the lane or closing its path.
func refusedLane(err error) bool {
	var serr *quic.StreamError
	var aerr *quic.ApplicationError
	return errors.As(err, &serr) && serr.Remote || errors.As(err, &aerr) && aerr.Remote
}

// frame encodes one STREAM frame with its payload.
func frame(tb testing.TB, h wire.StreamHeader, payload string) []byte {
	tb.Helper()
	h.Length = len(payload)
	b, err := h.Append(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return append(b, payload...)
}

// rawHeader encodes a STREAM header without checking its fields.
func rawHeader(typ, streamID, offset, length uint64) []byte {
	b := quicvarint.Append(nil, typ)
	b = quicvarint.Append(b, streamID)
	b = quicvarint.Append(b, offset)
	return quicvarint.Append(b, length)
}

func TestSenderToReceiver(t *testing.T) {
	client, server := quicPair(t)
	var counted int
	s := NewSender(client, 2, func(n int) { counted += n })
	h := newRecordingHandler()
	ctx, cancel := context.WithCancel(context.Background())
	done := receive(ctx, server, h)

	writes := []struct {
		id, off uint64
		data    string
	}{{0, 0, "hello "}, {4, 100, "lane one"}, {0, 6, "world"}, {8, 0, ""}, {4, 108, "!"}}
	for _, w := range writes {
		if err := s.WriteFrame(ctx, wire.StreamHeader{StreamID: w.id, Offset: w.off}, []byte(w.data)); err != nil {
			t.Fatal(err)
		}
	}
	got := h.waitFrames(t, len(writes))
	cancel()
	if err := waitReceive(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Receive after cancel: %v", err)
	}
	// Frames of one stream arrive in the order they were sent.
	next := map[uint64]int{}
	for _, d := range got {
		for i := next[d.hdr.StreamID]; i < len(writes); i++ {
			w := writes[i]
			if w.id != d.hdr.StreamID {
				continue
			}
			if w.off != d.hdr.Offset || w.data != d.payload || d.hdr.Length != len(w.data) {
				t.Fatalf("stream %d: got %+v %q, want offset %d %q", w.id, d.hdr, d.payload, w.off, w.data)
			}
			next[w.id] = i + 1
			break
		}
	}
	if counted != len("hello lane oneworld!") {
		t.Fatalf("counter saw %d payload bytes", counted)
	}
}

func TestReceiveRejectsMalformedLanes(t *testing.T) {
	magic := wire.AppendLaneMagic(nil)
	for _, tc := range []struct {
		name   string
		lane   []byte
		reason string
	}{
		{"bad magic", []byte("HTTP/1.1 200 OK\r\n"), "bad lane"},
		{"bad frame type", append(append([]byte(nil), magic...), rawHeader(0x07, 0, 0, 1)...), "STREAM"},
		{"payload over 1 MiB", append(append([]byte(nil), magic...), rawHeader(0x08, 0, 0, wire.MaxStreamPayload+1)...), "Length"},
		{"end past 2^62-1", append(append([]byte(nil), magic...), rawHeader(0x08, 0, wire.MaxVarint-5, 10)...), "2^62"},
		{"truncated header", append(append([]byte(nil), magic...), 0x08, 0x04), "input ended"},
		{"truncated payload", append(append(append([]byte(nil), magic...), rawHeader(0x08, 0, 0, 100)...), "only ten b"...), "ended inside a frame"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, server := quicPair(t)
			h := newRecordingHandler()
			done := receive(context.Background(), server, h)
			rawLane(t, client, tc.lane, true)
			err := waitReceive(t, done)
			var perr *PathError
			if !errors.As(err, &perr) || perr.Code != wire.ProtocolViolation || !strings.Contains(perr.Reason, tc.reason) {
				t.Fatalf("%v, want a PROTOCOL_VIOLATION PathError saying %q", err, tc.reason)
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.frames) != 0 {
				t.Fatalf("delivered %v from a malformed lane", h.frames)
			}
			if h.buffers != h.returned {
				t.Fatalf("%d buffers taken, %d given back", h.buffers, h.returned)
			}
		})
	}
}

// TestReceiveStopsReadingABadLane sends a lane whose first bytes are not
// LaneMagic, followed by 4 MiB: the receiver must refuse the lane at once
// (STOP_SENDING), so that the sender's Write fails, instead of reading what
// follows, and close the path.
func TestReceiveStopsReadingABadLane(t *testing.T) {
	client, server := quicPair(t)
	h := newRecordingHandler()
	done := receive(context.Background(), server, h)
	lane := append([]byte("GET / HTTP/1.1\r\n"), make([]byte, 4<<20)...)
	var serr *quic.StreamError
	switch err := writeLane(client, lane); {
	case err == nil:
		t.Fatal("the receiver read all of a lane that did not start with LaneMagic")
	case errors.Is(err, os.ErrDeadlineExceeded):
		t.Fatalf("writing the lane: %v (the receiver neither read it nor refused it)", err)
	case !errors.As(err, &serr) || !serr.Remote:
		t.Fatalf("writing the lane: %v, want the receiver's STOP_SENDING", err)
	}
	var perr *PathError
	if err := waitReceive(t, done); !errors.As(err, &perr) || perr.Code != wire.ProtocolViolation {
		t.Fatalf("%v, want a PROTOCOL_VIOLATION PathError", err)
	}
}

func TestReceiveDiscardsRefusedFrames(t *testing.T) {
	client, server := quicPair(t)
	h := newRecordingHandler()
	h.admit = func(hdr wire.StreamHeader) error {
		if hdr.StreamID == 4 {
			return ErrDiscard
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := receive(ctx, server, h)
	lane := wire.AppendLaneMagic(nil)
	lane = append(lane, frame(t, wire.StreamHeader{StreamID: 4}, strings.Repeat("x", 40000))...)
	lane = append(lane, frame(t, wire.StreamHeader{StreamID: 0, Offset: 9}, "kept")...)
	rawLane(t, client, lane, false)
	got := h.waitFrames(t, 1)
	if got[0].hdr.StreamID != 0 || got[0].hdr.Offset != 9 || got[0].payload != "kept" {
		t.Fatalf("delivered %+v, want stream 0's frame after the discarded one", got[0])
	}
	h.mu.Lock()
	buffers := h.buffers
	h.mu.Unlock()
	if buffers != 1 {
		t.Fatalf("%d buffers taken; a discarded payload must not take one", buffers)
	}
	cancel()
	waitReceive(t, done)
}

func TestReceiveDiscardTruncated(t *testing.T) {
	client, server := quicPair(t)
	h := newRecordingHandler()
	h.admit = func(wire.StreamHeader) error { return ErrDiscard }
	done := receive(context.Background(), server, h)
	lane := append(wire.AppendLaneMagic(nil), rawHeader(0x08, 0, 0, 1000)...)
	rawLane(t, client, append(lane, "short"...), true)
	var perr *PathError
	if err := waitReceive(t, done); !errors.As(err, &perr) || perr.Code != wire.ProtocolViolation {
		t.Fatalf("%v, want a PROTOCOL_VIOLATION PathError", err)
	}
}

func TestReceiveHandlerErrorsCloseThePath(t *testing.T) {
	errFull := &PathError{Code: wire.FlowControlError, Reason: "stream 0: beyond the limit"}
	for _, tc := range []struct {
		name    string
		admit   func(wire.StreamHeader) error
		deliver func(wire.StreamHeader) error
	}{
		{"admit", func(h wire.StreamHeader) error {
			if h.Offset > 0 {
				return errFull
			}
			return nil
		}, nil},
		{"deliver", nil, func(h wire.StreamHeader) error {
			if h.Offset > 0 {
				return errFull
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, server := quicPair(t)
			h := newRecordingHandler()
			h.admit, h.deliverTo = tc.admit, tc.deliver
			done := receive(context.Background(), server, h)
			// A second, healthy lane stays open: Receive must stop its
			// reader too before returning.
			rawLane(t, client, append(wire.AppendLaneMagic(nil), frame(t, wire.StreamHeader{StreamID: 4}, "idle lane")...), false)
			h.waitFrames(t, 1)
			lane := append(wire.AppendLaneMagic(nil), frame(t, wire.StreamHeader{StreamID: 0}, "ok")...)
			lane = append(lane, frame(t, wire.StreamHeader{StreamID: 0, Offset: 1 << 30}, "too far")...)
			rawLane(t, client, lane, false)
			err := waitReceive(t, done)
			if !errors.Is(err, errFull) {
				t.Fatalf("%v, want the handler's PathError", err)
			}
		})
	}
}

func TestReceiveLaneEndsBetweenFrames(t *testing.T) {
	client, server := quicPair(t)
	h := newRecordingHandler()
	ctx, cancel := context.WithCancel(context.Background())
	done := receive(ctx, server, h)
	rawLane(t, client, append(wire.AppendLaneMagic(nil), frame(t, wire.StreamHeader{StreamID: 0}, "first")...), true)
	h.waitFrames(t, 1)
	// The ended lane did not end the path: a new lane still works.
	rawLane(t, client, append(wire.AppendLaneMagic(nil), frame(t, wire.StreamHeader{StreamID: 0, Offset: 5}, "second")...), true)
	if got := h.waitFrames(t, 2); got[1].payload != "second" {
		t.Fatalf("second lane delivered %+v", got[1])
	}
	cancel()
	if err := waitReceive(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("%v, want context.Canceled", err)
	}
}

func TestReceiveEndsWithConnection(t *testing.T) {
	client, server := quicPair(t)
	done := receive(context.Background(), server, newRecordingHandler())
	rawLane(t, client, wire.AppendLaneMagic(nil), false) // a lane blocked mid-read
	client.CloseWithError(7, "bye")
	err := waitReceive(t, done)
	var appErr *quic.ApplicationError
	if !errors.As(err, &appErr) || appErr.ErrorCode != 7 {
		t.Fatalf("%v, want the peer's close", err)
	}
}

// A header may declare up to 1 MiB of payload: the receiver takes memory
// for it segment by segment as the bytes arrive, never the declared Length
// ahead of them, and delivers the segments in order with the FIN on the
// last.
func TestReceivePayloadInSegments(t *testing.T) {
	client, server := quicPair(t)
	h := newRecordingHandler()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := receive(ctx, server, h)
	const declared = 512 << 10
	payload := strings.Repeat("0123456789abcdef", declared/16)
	lane := append(wire.AppendLaneMagic(nil), rawHeader(0x09, 0, 7, declared)...)
	str := rawLane(t, client, append(lane, payload[:100<<10]...), false)
	h.waitFrames(t, (100<<10)/MaxPayloadSegment)
	h.mu.Lock()
	largest := h.largest
	h.mu.Unlock()
	if largest > MaxPayloadSegment {
		t.Fatalf("a %d-byte buffer taken for a frame declaring %d bytes of which 100 KiB arrived; want at most %d", largest, declared, MaxPayloadSegment)
	}
	if _, err := str.Write([]byte(payload[100<<10:])); err != nil {
		t.Fatal(err)
	}
	got := h.waitFrames(t, declared/MaxPayloadSegment)
	var sb strings.Builder
	for i, f := range got {
		if f.hdr.Offset != 7+uint64(sb.Len()) || f.hdr.StreamID != 0 || f.hdr.Fin != (i == len(got)-1) {
			t.Fatalf("segment %d: %+v after %d bytes", i, f.hdr, sb.Len())
		}
		sb.WriteString(f.payload)
	}
	if sb.String() != payload {
		t.Fatalf("segments carry %d bytes that differ from the %d sent", sb.Len(), len(payload))
	}
	cancel()
	waitReceive(t, done)
}
