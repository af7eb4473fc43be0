package data

import (
	"context"
	"errors"
	"testing"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/pkg/wire"
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
