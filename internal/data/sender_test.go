package data

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/wire"
)

// stuckOpener is a LaneOpener that blocks until released, then fails.
type stuckOpener struct {
	entered chan struct{}
	release chan struct{}
}

var errNoLanes = errors.New("no lanes left")

func (o *stuckOpener) OpenUniStream() (*quic.SendStream, error) {
	o.entered <- struct{}{}
	<-o.release
	return nil, errNoLanes
}

func TestSenderWaitsForItsLaneWithinContext(t *testing.T) {
	o := &stuckOpener{entered: make(chan struct{}, 1), release: make(chan struct{})}
	s := NewSender(o, 2, nil)
	first := make(chan error, 1)
	go func() { first <- s.WriteFrame(context.Background(), wire.StreamHeader{StreamID: 0}, []byte("a")) }()
	<-o.entered // the first frame holds lane 0

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Stream 8 shares lane 0 (two lanes): it must give up with its context.
	if err := s.WriteFrame(ctx, wire.StreamHeader{StreamID: 8}, []byte("b")); !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting for a busy lane: %v, want context.Canceled", err)
	}
	close(o.release)
	if err := <-first; !errors.Is(err, errNoLanes) {
		t.Fatalf("lane that cannot open: %v, want the opener's error", err)
	}
	// The lane was handed back: the next frame gets to try again.
	o.release = make(chan struct{})
	close(o.release)
	if err := s.WriteFrame(context.Background(), wire.StreamHeader{StreamID: 8}, nil); !errors.Is(err, errNoLanes) {
		t.Fatalf("after a failed open: %v, want another attempt", err)
	}
}

func TestSenderRefusesOutOfRangeHeader(t *testing.T) {
	client, server := quicPair(t)
	s := NewSender(client, 1, nil)
	err := s.WriteFrame(context.Background(), wire.StreamHeader{StreamID: 0, Offset: wire.MaxVarint - 1}, []byte("xyz"))
	var werr *wire.Error
	if !errors.As(err, &werr) {
		t.Fatalf("%v, want a *wire.Error", err)
	}
	// Nothing half-written: the lane still carries good frames.
	h := newRecordingHandler()
	ctx, cancel := context.WithCancel(context.Background())
	done := receive(ctx, server, h)
	if err := s.WriteFrame(ctx, wire.StreamHeader{StreamID: 0, Offset: 3}, []byte("fine")); err != nil {
		t.Fatal(err)
	}
	if got := h.waitFrames(t, 1); got[0].payload != "fine" || got[0].hdr.Offset != 3 {
		t.Fatalf("got %+v", got[0])
	}
	cancel()
	waitReceive(t, done)
}

func TestSenderDefaultLanes(t *testing.T) {
	if s := NewSender(nil, 0, nil); len(s.lanes) != DefaultLanesPerPath {
		t.Fatalf("%d lanes, want DefaultLanesPerPath = %d", len(s.lanes), DefaultLanesPerPath)
	}
}

// gatedWriter records every Write; each waits for a value on release (an
// error, or nil for success) before it returns.
type gatedWriter struct {
	writes  [][]byte
	release chan error
}

func (w *gatedWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, bytes.Clone(p))
	if err := <-w.release; err != nil {
		return 0, err
	}
	return len(p), nil
}

type testFrame struct {
	h       wire.StreamHeader
	payload []byte
}

func (f testFrame) queue(l *sendLane) error {
	f.h.Length = len(f.payload)
	return l.enqueue(context.Background(), f.h, f.payload)
}

// TestSenderQueuesFramesWhileQuicWrites checks that frames queued while
// quic-go is busy with a Write go to it together in the next Write, whole,
// in order, LaneMagic first on a new lane: a frame written apart from the
// next leaves quic-go's send loop without data when it finishes it (and a
// header written apart is sent as a packet of its own).
func TestSenderQueuesFramesWhileQuicWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &gatedWriter{release: make(chan error)}
		l := newSendLane(w)
		l.magic = true
		frames := []testFrame{
			{wire.StreamHeader{StreamID: 4, Offset: 0}, bytes.Repeat([]byte("a"), 32<<10)},
			{wire.StreamHeader{StreamID: 4, Offset: 32 << 10}, []byte("bc")},
			{wire.StreamHeader{StreamID: 8, Offset: 0}, bytes.Repeat([]byte("d"), 20<<10)},
			{wire.StreamHeader{StreamID: 4, Offset: 32<<10 + 2, Fin: true}, nil},
		}
		if err := frames[0].queue(l); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the flusher is in its first Write
		for _, f := range frames[1:] {
			if err := f.queue(l); err != nil {
				t.Fatal(err)
			}
		}
		w.release <- nil
		w.release <- nil
		synctest.Wait()
		if len(w.writes) != 2 {
			t.Fatalf("%d Writes, want 2: the first frame, then the three queued while quic-go had it", len(w.writes))
		}
		checkLane(t, bytes.Join(w.writes, nil), frames)
		if l.queue != nil || l.spare != nil || l.flushing {
			t.Error("an idle lane still holds a buffer or a flusher")
		}
	})
}

// checkLane parses lane bytes and compares them with frames.
func checkLane(t *testing.T, lane []byte, frames []testFrame) {
	t.Helper()
	r := bufio.NewReader(bytes.NewReader(lane))
	if err := wire.ReadLaneMagic(r); err != nil {
		t.Fatalf("the lane does not start with LaneMagic: %v", err)
	}
	for i, f := range frames {
		h, err := wire.ReadStreamHeader(r)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		got := make([]byte, h.Length)
		if _, err := io.ReadFull(r, got); err != nil {
			t.Fatalf("frame %d payload: %v", i, err)
		}
		if h.StreamID != f.h.StreamID || h.Offset != f.h.Offset || h.Fin != f.h.Fin || !bytes.Equal(got, f.payload) {
			t.Fatalf("frame %d: got %+v (%d bytes), want %+v (%d bytes)", i, h, len(got), f.h, len(f.payload))
		}
	}
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("bytes after the last frame (%v)", err)
	}
}

// TestSenderQueueIsBounded checks that a lane whose quic-go Write does not
// return holds at most MaxLaneQueue bytes besides that Write, and that a
// frame waiting for room gives up with its context.
func TestSenderQueueIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &gatedWriter{release: make(chan error)}
		l := newSendLane(w)
		payload := make([]byte, 16<<10)
		off := uint64(0)
		frame := func() testFrame {
			f := testFrame{wire.StreamHeader{StreamID: 4, Offset: off}, payload}
			off += uint64(len(payload))
			return f
		}
		if err := frame().queue(l); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the flusher holds the first frame in Write
		queued := 0
		for {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			f := frame()
			f.h.Length = len(f.payload)
			go func() { done <- l.enqueue(ctx, f.h, f.payload) }()
			synctest.Wait()
			select {
			case err := <-done:
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				queued++
				continue
			default:
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("a frame waiting for room: %v, want context.Canceled", err)
			}
			break
		}
		if n := len(l.queue); n > MaxLaneQueue || queued == 0 {
			t.Fatalf("%d bytes queued in %d frames behind a stuck Write, want 1..%d", n, queued, MaxLaneQueue)
		}
		w.release <- nil
		w.release <- nil
		synctest.Wait()
		if len(w.writes) != 2 || len(w.writes[1]) > MaxLaneQueue {
			t.Fatalf("%d Writes, want 2 (the second of at most %d bytes)", len(w.writes), MaxLaneQueue)
		}
	})
}

// TestSenderLaneFailure checks that a failed quic-go Write fails the
// lane's later frames with its error, and that the lane keeps no buffer.
func TestSenderLaneFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &gatedWriter{release: make(chan error)}
		l := newSendLane(w)
		if err := (testFrame{wire.StreamHeader{StreamID: 4}, []byte("a")}).queue(l); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if err := (testFrame{wire.StreamHeader{StreamID: 4, Offset: 1}, []byte("b")}).queue(l); err != nil {
			t.Fatal(err)
		}
		broken := errors.New("lane broken")
		w.release <- broken
		synctest.Wait()
		if err := (testFrame{wire.StreamHeader{StreamID: 4, Offset: 2}, []byte("c")}).queue(l); !errors.Is(err, broken) {
			t.Fatalf("a frame after the lane failed: %v, want the Write's error", err)
		}
		if len(w.writes) != 1 || l.queue != nil || l.spare != nil || l.flushing {
			t.Fatalf("%d Writes (want 1), queue %d, spare %d, flushing %v", len(w.writes), len(l.queue), len(l.spare), l.flushing)
		}
	})
}

// TestSenderSetsFinOnQueuedFrame checks that a FIN is set on its stream's
// last frame when that frame is still queued and ends where the FIN does
// (a Close right after a small stream's Write: one frame, not two), also
// past other streams' frames queued after it, and that it is a frame of
// its own once quic-go has the stream's last frame.
func TestSenderSetsFinOnQueuedFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, s := gatedSender()
		ctx := context.Background()
		write := func(h wire.StreamHeader, payload string) {
			t.Helper()
			if err := s.WriteFrame(ctx, h, []byte(payload)); err != nil {
				t.Fatal(err)
			}
		}
		write(wire.StreamHeader{StreamID: 4}, "0123456789")
		synctest.Wait() // the flusher is in its first Write, with stream 4's frame
		write(wire.StreamHeader{StreamID: 0}, "hello")
		write(wire.StreamHeader{StreamID: 8}, "x")
		write(wire.StreamHeader{StreamID: 4, Offset: 10, Fin: true}, "")
		write(wire.StreamHeader{StreamID: 0, Offset: 5, Fin: true}, "")
		w.release <- nil
		w.release <- nil
		synctest.Wait()
		checkLane(t, bytes.Join(w.writes, nil), []testFrame{
			{wire.StreamHeader{StreamID: 4}, []byte("0123456789")},
			{wire.StreamHeader{StreamID: 0, Fin: true}, []byte("hello")},
			{wire.StreamHeader{StreamID: 8}, []byte("x")},
			{wire.StreamHeader{StreamID: 4, Offset: 10, Fin: true}, nil},
		})
	})
}

// TestSenderFinElsewhereIsAFrame checks that a FIN is not set on a queued
// frame of its stream that ends anywhere but at the final size.
func TestSenderFinElsewhereIsAFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, s := gatedSender()
		ctx := context.Background()
		frames := []testFrame{
			{wire.StreamHeader{StreamID: 8}, []byte("a")},
			{wire.StreamHeader{StreamID: 4, Offset: 3}, []byte("def")},
			{wire.StreamHeader{StreamID: 4, Offset: 10, Fin: true}, nil}, // CloseWithSize(10): the rest from elsewhere
		}
		for i, f := range frames {
			if err := s.WriteFrame(ctx, f.h, f.payload); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				synctest.Wait() // the flusher holds the first frame
			}
		}
		w.release <- nil
		w.release <- nil
		synctest.Wait()
		checkLane(t, bytes.Join(w.writes, nil), frames)
	})
}

// gatedSender is a Sender of one new lane whose Writes wait for w.release.
func gatedSender() (*gatedWriter, *Sender) {
	w := &gatedWriter{release: make(chan error)}
	l := newSendLane(w)
	l.magic = true
	return w, &Sender{lanes: []*sendLane{l}}
}
