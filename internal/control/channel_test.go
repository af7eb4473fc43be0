package control

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kwik-transport/kwik/internal/wire"
)

// runChannel starts ch.Run and returns a channel that yields its result.
func runChannel(ctx context.Context, ch *Channel, handle func(wire.Frame) error) <-chan error {
	done := make(chan error, 1)
	go func() { done <- ch.Run(ctx, handle) }()
	return done
}

// ignore is a frame handler that accepts everything.
func ignore(wire.Frame) error { return nil }

// waitRun returns Run's result, failing the test if it does not return.
func waitRun(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

func TestChannelSendsQueuedFramesInOrder(t *testing.T) {
	local, peer := pipe(t)
	ch := NewChannel(local, 0)
	for seq := uint64(1); seq <= 3; seq++ {
		if err := ch.Send(&wire.Ping{Seq: seq}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := runChannel(ctx, ch, ignore)
	r := newFrameReader(peer)
	for seq := uint64(1); seq <= 3; seq++ {
		if p, ok := r.next(t).(*wire.Ping); !ok || p.Seq != seq {
			t.Fatalf("frame %d: got %#v, want PING %d", seq, p, seq)
		}
	}
	// Frames sent while Run is running go out too.
	if err := ch.Send(&wire.MaxStreamData{StreamID: 4, Limit: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	if m, ok := r.next(t).(*wire.MaxStreamData); !ok || m.StreamID != 4 || m.Limit != 1<<20 {
		t.Fatalf("got %#v, want MAX_STREAM_DATA stream 4 limit 1 MiB", m)
	}
	cancel()
	if err := waitRun(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: %v, want context.Canceled", err)
	}
	if err := ch.Send(&wire.Ping{}); err == nil {
		t.Fatal("Send after Run returned: nil error, want the channel's end")
	}
}

func TestChannelRunHandsFramesInOrderUntilEOF(t *testing.T) {
	local, peer := pipe(t)
	ch := NewChannel(local, 0)
	var got []uint64
	done := runChannel(context.Background(), ch, func(f wire.Frame) error {
		got = append(got, f.(*wire.Ping).Seq)
		return nil
	})
	if _, err := peer.Write(encode(t, &wire.Ping{Seq: 10}, &wire.Ping{Seq: 11}, &wire.Ping{Seq: 12})); err != nil {
		t.Fatal(err)
	}
	peer.Close()
	if err := waitRun(t, done); !errors.Is(err, io.EOF) {
		t.Fatalf("Run at the peer's end of stream: %v, want io.EOF", err)
	}
	if len(got) != 3 || got[0] != 10 || got[1] != 11 || got[2] != 12 {
		t.Fatalf("handled %v, want [10 11 12]", got)
	}
}

func TestChannelRunStopsAtHandlerError(t *testing.T) {
	local, peer := pipe(t)
	ch := NewChannel(local, 0)
	errStop := errors.New("stop here")
	handled := 0
	done := runChannel(context.Background(), ch, func(f wire.Frame) error {
		handled++
		if f.(*wire.Ping).Seq == 2 {
			return errStop
		}
		return nil
	})
	go peer.Write(encode(t, &wire.Ping{Seq: 1}, &wire.Ping{Seq: 2}, &wire.Ping{Seq: 3}))
	if err := waitRun(t, done); !errors.Is(err, errStop) {
		t.Fatalf("Run: %v, want the handler's error", err)
	}
	if handled != 2 {
		t.Fatalf("handler ran %d times, want 2 (nothing after its error)", handled)
	}
}

func TestChannelRunRejectsMalformedInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		input []byte
	}{
		{"unknown type", []byte{0x3f, 0x00}},
		{"huge length", []byte{byte(wire.FramePing), 0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"trailing bytes in body", []byte{byte(wire.FramePing), 0x02, 0x01, 0x01}},
		{"truncated then end", []byte{byte(wire.FramePing), 0x04, 0x01}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			local, peer := pipe(t)
			ch := NewChannel(local, 0)
			done := runChannel(context.Background(), ch, func(f wire.Frame) error {
				t.Errorf("handler got %v from malformed input", f.Type())
				return nil
			})
			peer.Write(tc.input)
			peer.Close()
			err := waitRun(t, done)
			var werr *wire.Error
			if !errors.As(err, &werr) {
				t.Fatalf("Run: %v, want a *wire.Error", err)
			}
		})
	}
}

func TestChannelSendQueueFull(t *testing.T) {
	local, peer := pipe(t)
	const maxQueued = 64
	ch := NewChannel(local, maxQueued)
	sent := 0
	var err error
	for ; sent < 1000; sent++ {
		if err = ch.Send(&wire.Ping{Seq: uint64(sent)}); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("after %d sends without a writer: %v, want ErrQueueFull", sent, err)
	}
	if sent > maxQueued { // a PING is at least 3 bytes
		t.Fatalf("%d frames queued with a %d-byte bound", sent, maxQueued)
	}
	// Once the peer drains the stream, everything queued arrives and the
	// queue accepts frames again.
	ctx, cancel := context.WithCancel(context.Background())
	done := runChannel(ctx, ch, ignore)
	r := newFrameReader(peer)
	for i := range sent {
		if p := r.next(t).(*wire.Ping); p.Seq != uint64(i) {
			t.Fatalf("frame %d is PING %d", i, p.Seq)
		}
	}
	if err := ch.Send(&wire.Ping{Seq: 999}); err != nil {
		t.Fatalf("Send after the queue drained: %v", err)
	}
	if p := r.next(t).(*wire.Ping); p.Seq != 999 {
		t.Fatalf("got PING %d, want 999", p.Seq)
	}
	cancel()
	waitRun(t, done)
}

func TestChannelSendEncodingErrorKeepsQueue(t *testing.T) {
	local, peer := pipe(t)
	ch := NewChannel(local, 0)
	err := ch.Send(&wire.MaxStreamData{StreamID: 0, Limit: 1 << 62})
	var werr *wire.Error
	if !errors.As(err, &werr) || !strings.Contains(err.Error(), "MAX_STREAM_DATA") {
		t.Fatalf("Send of an out-of-range frame: %v, want a *wire.Error naming the frame", err)
	}
	if err := ch.Send(&wire.Ping{Seq: 7}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := runChannel(ctx, ch, ignore)
	if p, ok := newFrameReader(peer).next(t).(*wire.Ping); !ok || p.Seq != 7 {
		t.Fatalf("first frame on the wire: %#v, want PING 7 (no half-encoded frame)", p)
	}
	cancel()
	waitRun(t, done)
}

func TestChannelCloseUnblocksRun(t *testing.T) {
	local, _ := pipe(t) // the peer neither reads nor writes
	ch := NewChannel(local, 0)
	done := runChannel(context.Background(), ch, ignore)
	// The writer blocks on a stream nobody drains.
	if err := ch.Send(&wire.Ping{Seq: 1}); err != nil {
		t.Fatal(err)
	}
	ch.Close()
	if err := waitRun(t, done); err == nil {
		t.Fatal("Run after Close: nil error")
	}
	if err := ch.Send(&wire.Ping{}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Send after Close: %v, want an error saying the channel is closed", err)
	}
}

func TestChannelCancelUnblocksBlockedWriter(t *testing.T) {
	local, _ := pipe(t)
	ch := NewChannel(local, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := runChannel(ctx, ch, ignore)
	big := &wire.Close{Reason: strings.Repeat("x", MaxReasonLen)}
	for range 4 {
		if err := ch.Send(big); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	if err := waitRun(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
}

func TestChannelHandshakeIOHonoursContext(t *testing.T) {
	local, peer := pipe(t)
	ch := NewChannel(local, 0)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := ch.ReadFrame(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadFrame past its context's deadline: %v, want context.DeadlineExceeded", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if err := ch.WriteFrame(ctx, &wire.Ping{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteFrame with a cancelled context: %v, want context.Canceled", err)
	}

	// The deadlines are lifted afterwards: the stream still works.
	go peer.Write(encode(t, &wire.Pong{Seq: 3}))
	f, err := ch.ReadFrame(context.Background())
	if err != nil {
		t.Fatalf("ReadFrame after an expired one: %v", err)
	}
	if p, ok := f.(*wire.Pong); !ok || p.Seq != 3 {
		t.Fatalf("got %#v, want PONG 3", f)
	}
	errc := make(chan error, 1)
	go func() { errc <- ch.WriteFrame(context.Background(), &wire.Ping{Seq: 4}) }()
	if p, ok := newFrameReader(peer).next(t).(*wire.Ping); !ok || p.Seq != 4 {
		t.Fatalf("peer got %#v, want PING 4", p)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// timeoutStream is a Stream whose reads and writes wait for a deadline to
// be set and then time out at once: its own timer always beats the
// context's, the race a real stream may or may not win.
type timeoutStream struct {
	once     sync.Once
	deadline chan struct{} // closed when a deadline is first set
}

func newTimeoutStream() *timeoutStream { return &timeoutStream{deadline: make(chan struct{})} }

func (s *timeoutStream) Read([]byte) (int, error) {
	<-s.deadline
	return 0, os.ErrDeadlineExceeded
}

func (s *timeoutStream) Write([]byte) (int, error) {
	<-s.deadline
	return 0, os.ErrDeadlineExceeded
}

func (s *timeoutStream) Close() error { return nil }

func (s *timeoutStream) SetReadDeadline(t time.Time) error {
	if !t.IsZero() {
		s.once.Do(func() { close(s.deadline) })
	}
	return nil
}

func (s *timeoutStream) SetWriteDeadline(t time.Time) error { return s.SetReadDeadline(t) }

func TestChannelReportsContextNotStreamTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := NewChannel(newTimeoutStream(), 0).ReadFrame(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadFrame: %v, want context.DeadlineExceeded", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := NewChannel(newTimeoutStream(), 0).WriteFrame(ctx, &wire.Ping{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WriteFrame: %v, want context.DeadlineExceeded", err)
	}
}
