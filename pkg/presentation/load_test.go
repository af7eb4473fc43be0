package presentation

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestSlowConsumerNeverExceedsWindow: a producer sends as fast as the
// advertised limit allows, a consumer reads slowly in small pieces; the
// buffered bytes never exceed the stream's window, the session never
// buffers more than that either, and no data is lost.
func TestSlowConsumerNeverExceedsWindow(t *testing.T) {
	const (
		window = 128 << 10
		size   = 4 << 20
	)
	m := newTestManager(t, &PresentationConfig{InitialStreamWindow: window, MinStreamWindow: window, MaxStreamWindow: window})
	m.SetRTT(time.Hour) // auto-tuning would want to grow; the maximum forbids it
	mustCreate(t, m, 0)
	lw := newLimitWatch(m)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	content := pattern(size)
	s, _ := m.lookup(0)
	var maxBuffered, maxUsed uint64
	var mu sync.Mutex
	observe := func() {
		b := s.GetBufferUsage().Buffered
		u := m.rwm.used.Load()
		mu.Lock()
		maxBuffered, maxUsed = max(maxBuffered, b), max(maxUsed, u)
		mu.Unlock()
	}
	errc := make(chan error, 1)
	go func() {
		for off := uint64(0); off < size; off += 16 << 10 {
			if err := send(ctx, m, lw, 0, content, Range{off, off + 16<<10}, true, 0); err != nil {
				errc <- err
				return
			}
			observe()
		}
		errc <- nil
	}()
	var got []byte
	p := make([]byte, 1<<10)
	for len(got) < size {
		n, err := m.ReadFromStreamContext(ctx, 0, p)
		got = append(got, p[:n]...)
		if err != nil && len(got) < size {
			t.Fatal(err)
		}
		observe()
		runtime.Gosched() // a slow reader
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Fatal("data differs")
	}
	if maxBuffered > window || maxUsed > window {
		t.Fatalf("buffered up to %d bytes (session %d) with a %d-byte window", maxBuffered, maxUsed, window)
	}
	if maxBuffered < window/2 {
		t.Fatalf("producer never filled the window (max %d): the test did not exercise a slow reader", maxBuffered)
	}
	if w, _ := m.rwm.StreamWindow(0); w != window {
		t.Fatalf("window changed to %d", w)
	}
}

// TestManyStreamsUnderLoad runs many concurrent streams through a small
// session window; minimum grants keep every stream moving.
func TestManyStreamsUnderLoad(t *testing.T) {
	const (
		streams = 32
		size    = 256 << 10
	)
	m := newTestManager(t, &PresentationConfig{SessionWindow: 1 << 20, InitialStreamWindow: 64 << 10, MinStreamWindow: 32 << 10, MaxStreamWindow: 256 << 10})
	lw := newLimitWatch(m)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	content := pattern(size)
	var wg sync.WaitGroup
	errc := make(chan error, 2*streams)
	for i := range streams {
		id := uint64(4 * i)
		mustCreate(t, m, id)
		wg.Go(func() {
			for off := uint64(0); off < size; off += 8 << 10 {
				if err := send(ctx, m, lw, id, content, Range{off, off + 8<<10}, i%2 == 0, 0); err != nil {
					errc <- err
					return
				}
			}
		})
		wg.Go(func() {
			got, err := readAll(ctx, m, id, 4<<10)
			if err == nil && !bytes.Equal(got, content) {
				err = context.Canceled
			}
			if err != nil {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if used := m.rwm.used.Load(); used != 0 {
		t.Errorf("%d bytes still buffered", used)
	}
	// 16 streams take the whole session window; later ones get the minimum.
	if m.Metrics().WindowExhaustions == 0 {
		t.Errorf("32 streams of 64 KiB in a 1 MiB window did not exhaust it")
	}
	for i := range streams {
		if err := m.RemoveStreamBuffer(uint64(4 * i)); err != nil {
			t.Fatal(err)
		}
	}
	if m.bpm.IsGlobalBackpressureActive() || m.rwm.allocated.Load() != 0 {
		t.Errorf("after removing every stream: %+v, %d bytes allocated", m.bpm.GetBackpressureStatus(), m.rwm.allocated.Load())
	}
}
