package data

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

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

// writeRecorder records every Write.
type writeRecorder struct{ writes [][]byte }

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

// TestSenderWritesEachFrameOnce checks that a frame reaches quic-go as one
// Write, LaneMagic included on a new lane: a header written apart is sent
// as a packet of its own whenever quic-go's send loop takes it before the
// payload arrives.
func TestSenderWritesEachFrameOnce(t *testing.T) {
	rec := &writeRecorder{}
	l := &sendLane{w: rec, magic: true}
	frames := []struct {
		h       wire.StreamHeader
		payload []byte
	}{
		{wire.StreamHeader{StreamID: 4, Offset: 0}, bytes.Repeat([]byte("a"), 32<<10)},
		{wire.StreamHeader{StreamID: 4, Offset: 32 << 10}, []byte("bc")},
		{wire.StreamHeader{StreamID: 4, Offset: 32<<10 + 2, Fin: true}, nil},
	}
	for _, f := range frames {
		f.h.Length = len(f.payload)
		if err := l.writeFrame(f.h, f.payload); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.writes) != len(frames) {
		t.Fatalf("%d Writes for %d frames, want one each", len(rec.writes), len(frames))
	}
	r := bufio.NewReader(bytes.NewReader(bytes.Join(rec.writes, nil)))
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
