package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kwik-transport/kwik/internal/gate"
)

// writeChunk bounds one WriteAt call, so that a stopping worker finishes
// soon and a WriterAt with flow control sees frame-sized writes.
const writeChunk = 64 << 10

// WriterSource returns a Source that delivers ranges itself, by copying them
// from content to w with WriteAt in the order they were sent; typically w is
// the primary's own stream and the path is the primary path. The copying runs
// on a goroutine owned by the Distributor the source is added to: it starts
// with Run and stops before Run returns, after the WriteAt in progress, if
// any, returns. A failed read or write marks the path down. A WriterSource
// serves a single Distributor.
func WriterSource(pathID uint64, w io.WriterAt, content io.ReaderAt) Source {
	return &writerSource{
		id:      pathID,
		w:       w,
		content: content,
		gate:    gate.New(),
	}
}

// writerSource is the Source returned by WriterSource.
type writerSource struct {
	id      uint64
	w       io.WriterAt
	content io.ReaderAt

	gate    gate.Gate // guards what follows; its condition: queue is not empty
	queue   []Range
	stopped bool
}

// PathID implements Source.
func (s *writerSource) PathID() uint64 { return s.id }

// Send implements Source: it queues r for the worker.
func (s *writerSource) Send(ctx context.Context, r Range) error {
	s.gate.Lock()
	defer s.gate.UnlockFunc(s.queued)
	if s.stopped {
		return ErrSourceClosed
	}
	s.queue = append(s.queue, r)
	return nil
}

// queued is the gate's condition; the gate is held.
func (s *writerSource) queued() bool { return len(s.queue) > 0 }

// work copies queued ranges until ctx is done or a copy fails.
func (s *writerSource) work(ctx context.Context, fail func(error)) {
	defer func() {
		s.gate.Lock()
		s.stopped, s.queue = true, nil
		s.gate.Unlock(false)
	}()
	buf := make([]byte, writeChunk)
	for {
		r, ok := s.dequeue(ctx)
		if !ok {
			return
		}
		if err := s.copyRange(ctx, r, buf); err != nil {
			if ctx.Err() == nil {
				fail(err)
			}
			return
		}
	}
}

// dequeue waits for a queued range and takes the oldest; it fails when ctx
// ends first.
func (s *writerSource) dequeue(ctx context.Context) (Range, bool) {
	if s.gate.WaitAndLock(ctx) != nil {
		return Range{}, false
	}
	defer s.gate.UnlockFunc(s.queued)
	r := s.queue[0]
	s.queue = s.queue[1:]
	return r, true
}

// copyRange copies r from content to w in chunks, checking ctx between them.
func (s *writerSource) copyRange(ctx context.Context, r Range, buf []byte) error {
	for off := r.Start; off < r.End; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(uint64(len(buf)), r.End-off)
		chunk := buf[:n]
		m, err := s.content.ReadAt(chunk, int64(off))
		if m < len(chunk) {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("scheduler: path %d: reading content at %d: %w", s.id, off, err)
		}
		if _, err := s.w.WriteAt(chunk, int64(off)); err != nil {
			return fmt.Errorf("scheduler: path %d: writing at %d: %w", s.id, off, err)
		}
		off += n
	}
	return nil
}
