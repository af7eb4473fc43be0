package presentation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// limitWatch lets test senders wait for a stream's limit to move, fed by
// the manager's limit callback (a channel closed and replaced per call).
type limitWatch struct {
	mu sync.Mutex
	ch map[uint64]chan struct{}
}

func newLimitWatch(m DataPresentationManager) *limitWatch {
	w := &limitWatch{ch: make(map[uint64]chan struct{})}
	on(&eventsOf(m).limit, func(id, _ uint64) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if c, ok := w.ch[id]; ok {
			close(c)
			delete(w.ch, id)
		}
	})
	return w
}

func (w *limitWatch) changed(id uint64) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.ch[id]
	if !ok {
		c = make(chan struct{})
		w.ch[id] = c
	}
	return c
}

// send writes [r.Start, r.End) of content as a path would: only below the
// stream's limit, waiting for MAX_STREAM_DATA (and saying it is blocked)
// otherwise. Pooled selects the zero-copy path.
func send(ctx context.Context, m DataPresentationManager, w *limitWatch, id uint64, content []byte, r Range, pooled bool, path uint64) error {
	for {
		moved := w.changed(id)
		limit, err := m.StreamLimit(id)
		if err != nil {
			return err
		}
		if r.End <= limit {
			break
		}
		if err := m.SenderBlocked(id, limit); err != nil {
			return err
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return fmt.Errorf("stream %d: blocked at limit %d for [%d,%d): %w", id, limit, r.Start, r.End, ctx.Err())
		}
	}
	meta := &DataMetadata{PathID: path}
	if r.End == uint64(len(content)) {
		meta.Flags |= DataFlagFin
	}
	data := content[r.Start:r.End]
	if pooled {
		buf := m.GetBuffer(len(data))
		copy(buf, data)
		data = buf
		meta.Flags |= DataFlagPooled
	}
	return m.WriteToStream(id, r.Start, data, meta)
}

// readAll reads a stream to EOF through the manager.
func readAll(ctx context.Context, m DataPresentationManager, id uint64, bufSize int) ([]byte, error) {
	var out []byte
	p := make([]byte, bufSize)
	for {
		n, err := m.ReadFromStreamContext(ctx, id, p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// TestMultiStreamMultiPath: three paths write interleaved, partly duplicated
// pieces of eight streams at once under flow control; every stream reads
// back exactly its own bytes.
func TestMultiStreamMultiPath(t *testing.T) {
	const (
		streams = 8
		size    = 512 << 10
		piece   = 4 << 10
		paths   = 3
	)
	m := newTestManager(t, &PresentationConfig{InitialStreamWindow: 64 << 10, MinStreamWindow: 64 << 10, MaxStreamWindow: 64 << 10})
	lw := newLimitWatch(m)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	contents := make([][]byte, streams)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range contents {
		contents[i] = make([]byte, size)
		for j := range contents[i] {
			contents[i][j] = byte(rng.Uint32())
		}
		mustCreate(t, m, uint64(i*4))
	}
	var wg sync.WaitGroup
	errs := make(chan error, streams*(paths+1))
	for s := range streams {
		id := uint64(s * 4)
		for p := range paths {
			// Path p owns pieces i%paths == p and resends a tenth of the others.
			var ranges []Range
			for i := 0; i*piece < size; i++ {
				if i%paths == p || rng.IntN(10) == 0 {
					ranges = append(ranges, Range{uint64(i * piece), uint64(min(size, (i+1)*piece))})
				}
			}
			wg.Go(func() {
				for _, r := range ranges {
					if err := send(ctx, m, lw, id, contents[s], r, p%2 == 0, uint64(p)); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Go(func() {
			got, err := readAll(ctx, m, id, 3000)
			if err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(got, contents[s]) {
				errs <- fmt.Errorf("stream %d: read %d bytes that differ from the %d sent", id, len(got), size)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		var dump strings.Builder
		_ = m.DumpState(&dump)
		t.Log(dump.String())
	}
	mt := m.Metrics()
	if mt.BytesRead != streams*size || mt.BytesWritten != streams*size || mt.Conflicts != 0 {
		t.Errorf("metrics: read %d written %d conflicts %d", mt.BytesRead, mt.BytesWritten, mt.Conflicts)
	}
	if leakedBytes(m) != 0 || m.rwm.used.Load() != 0 {
		t.Errorf("leftovers: %d bytes of buffers no stream reaches, %d bytes buffered", leakedBytes(m), m.rwm.used.Load())
	}
}

// TestSelectiveBackpressure: a stream nobody reads comes under
// backpressure, its neighbour keeps flowing and stays free of it.
func TestSelectiveBackpressure(t *testing.T) {
	m := newTestManager(t, &PresentationConfig{InitialStreamWindow: 64 << 10, MinStreamWindow: 64 << 10})
	mustCreate(t, m, 0)
	mustCreate(t, m, 4)
	lw := newLimitWatch(m)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	content := pattern(1 << 20)
	if err := send(ctx, m, lw, 0, content, Range{0, 64 << 10}, true, 0); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		var err error
		for off := uint64(0); off < 1<<20 && err == nil; off += 8 << 10 {
			err = send(ctx, m, lw, 4, content, Range{off, off + 8<<10}, false, 1)
		}
		errc <- err
	}()
	got, err := readAll(ctx, m, 4, 5000)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("stream 4: %d bytes, %v", len(got), err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !m.bpm.IsBackpressureActive(0) || m.bpm.IsBackpressureActive(4) {
		t.Fatalf("backpressure: stream 0 %t, stream 4 %t", m.bpm.IsBackpressureActive(0), m.bpm.IsBackpressureActive(4))
	}
	// Stream 0 cannot take one more byte.
	if err := m.WriteToStream(0, 64<<10, []byte{1}, nil); !errors.Is(err, ErrFlowControl) {
		t.Fatalf("write past the unread stream's window: %v", err)
	}
}
