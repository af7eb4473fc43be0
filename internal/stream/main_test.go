package stream

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kwik-transport/kwik/internal/leaktest"

	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

func TestMain(m *testing.M) {
	leaktest.VerifyTestMain(m)
}

// sentFrame is one STREAM frame a fakeData was asked to send.
type sentFrame struct {
	hdr     wire.StreamHeader
	payload string
}

// fakeData records STREAM frames instead of sending them. Like
// data.Sender, it waits for a lane while ctx allows, choosing at random
// (select) when both are ready.
type fakeData struct {
	mu     sync.Mutex
	frames []sentFrame
	err    error // returned by every WriteFrame when set
	// gate, when set, is the lane data frames (not FIN) wait for; waiting
	// is told each time one starts waiting.
	gate    chan struct{}
	waiting chan struct{}
}

// freeLane is a lane that is always free.
var freeLane = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

func (d *fakeData) WriteFrame(ctx context.Context, h wire.StreamHeader, payload []byte) error {
	lane := freeLane
	if d.gate != nil && !h.Fin {
		lane = d.gate
		d.waiting <- struct{}{}
	}
	select {
	case <-lane:
	case <-ctx.Done():
		return ctx.Err()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	h.Length = len(payload)
	d.frames = append(d.frames, sentFrame{h, string(payload)})
	return nil
}

func (d *fakeData) sent() []sentFrame {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]sentFrame(nil), d.frames...)
}

// fakeControl records control frames and signals each one.
type fakeControl struct {
	mu     sync.Mutex
	frames []wire.Frame
	signal chan wire.Frame
}

func newFakeControl() *fakeControl { return &fakeControl{signal: make(chan wire.Frame, 1024)} }

func (c *fakeControl) Send(f wire.Frame) error {
	c.mu.Lock()
	c.frames = append(c.frames, f)
	c.mu.Unlock()
	c.signal <- f
	return nil
}

func (c *fakeControl) sent() []wire.Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]wire.Frame(nil), c.frames...)
}

// next waits for the next control frame.
func (c *fakeControl) next(t *testing.T) wire.Frame {
	t.Helper()
	select {
	case f := <-c.signal:
		return f
	case <-time.After(10 * time.Second):
		t.Fatal("no control frame sent")
		return nil
	}
}

// streamSetup is a stream with fake senders and a real receive side.
type streamSetup struct {
	str     *Stream
	ctl     *Control
	data    *fakeData
	ctrl    *fakeControl
	dpm     presentation.DataPresentationManager
	done    chan uint64 // StreamDone calls
	eof     chan uint64 // StreamComplete calls
	sessErr error
}

const testID = 4

// newStreamSetup returns stream testID with credit limit and frames of at
// most frameSize bytes; writeOnly makes a secondary's writer.
func newStreamSetup(t *testing.T, limit uint64, frameSize int, writeOnly bool) *streamSetup {
	t.Helper()
	s := &streamSetup{data: &fakeData{}, ctrl: newFakeControl(), done: make(chan uint64, 2), eof: make(chan uint64, 2)}
	cfg := Config{
		ID:           testID,
		Data:         s.data,
		Control:      s.ctrl,
		InitialLimit: limit,
		MaxFrameSize: frameSize,
		Owner:        s,
	}
	if !writeOnly {
		dpm, err := presentation.NewDataPresentationManager(nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { dpm.Close() })
		if err := dpm.CreateStreamBuffer(testID, &presentation.StreamMetadata{}); err != nil {
			t.Fatal(err)
		}
		s.dpm, cfg.Recv = dpm, dpm
	}
	s.str, s.ctl = New(context.Background(), cfg)
	t.Cleanup(func() { s.ctl.Shutdown(context.Canceled) })
	return s
}

// Err, StreamDone and StreamComplete make the setup the stream's Owner.
func (s *streamSetup) Err() error               { return s.sessErr }
func (s *streamSetup) StreamDone(id uint64)     { s.done <- id }
func (s *streamSetup) StreamComplete(id uint64) { s.eof <- id }

// deliver puts bytes into the stream's receive side, as a path would.
func (s *streamSetup) deliver(t *testing.T, off uint64, data string, fin bool) {
	t.Helper()
	meta := &presentation.DataMetadata{}
	if fin {
		meta.Flags = presentation.DataFlagFin
	}
	if err := s.dpm.WriteToStream(testID, off, []byte(data), meta); err != nil {
		t.Fatal(err)
	}
}

// result is what a Write-like call returned.
type result struct {
	n   int
	err error
}

func async(f func() (int, error)) <-chan result {
	ch := make(chan result, 1)
	go func() {
		n, err := f()
		ch <- result{n, err}
	}()
	return ch
}

func wait(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("call did not return")
		return result{}
	}
}
