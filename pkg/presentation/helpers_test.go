package presentation

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// newTestManager returns a manager closed at the end of the test, whose
// Events are a *testEvents unless cfg gives others.
func newTestManager(t testing.TB, cfg *PresentationConfig) *dataPresentationManager {
	t.Helper()
	var c PresentationConfig
	if cfg != nil {
		c = *cfg
	}
	if c.Events == nil {
		c.Events = &testEvents{}
	}
	m, err := newDataPresentationManager(&c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// newTestStream returns stream id of a manager that gives every stream a
// window of window bytes and never grows it, closed at the end of the test.
func newTestStream(t testing.TB, id, window uint64) *streamBuffer {
	t.Helper()
	m := newTestManager(t, &PresentationConfig{
		InitialStreamWindow: window,
		MinStreamWindow:     window,
		MaxStreamWindow:     window,
		SessionWindow:       max(window, DefaultSessionWindow),
		GapTimeout:          time.Hour,
	})
	mustCreate(t, m, id)
	s, err := m.lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustCreate(t testing.TB, m DataPresentationManager, id uint64) {
	t.Helper()
	if err := m.CreateStreamBuffer(id, nil); err != nil {
		t.Fatal(err)
	}
}

// waitForReader returns once a reader of s waits at its readable gate
// (the reader counts itself under the lock just before waiting).
func waitForReader(t *testing.T, m *dataPresentationManager, id uint64) {
	t.Helper()
	s, err := m.lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		waiting := s.waiters > 0
		s.mu.Unlock()
		if waiting {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("reader never blocked")
		}
		runtime.Gosched()
	}
}

// result is what a reader goroutine saw.
type result struct {
	n   int
	err error
}

// holdings is what one stream holds: the blocks its chunks and current
// block point into, and the pooled payloads its chunks own alone.
type holdings struct {
	blocks         map[*buffer]bool
	ownedCap, live uint64
}

// bytes returns the capacity of every buffer in h: what the stream should
// count as held.
func (h holdings) bytes() uint64 {
	n := h.ownedCap
	for b := range h.blocks {
		n += uint64(len(b.data))
	}
	return n
}

// holdingsOf walks the chunks of s, whose lock the caller holds.
func holdingsOf(s *streamBuffer) holdings {
	h := holdings{blocks: map[*buffer]bool{}}
	s.chunks.all(func(k *chunk) bool {
		h.live += uint64(len(k.data))
		if k.buf == nil {
			h.ownedCap += uint64(cap(k.payload()))
		} else {
			h.blocks[k.buf] = true
		}
		return true
	})
	if s.block != nil {
		h.blocks[s.block] = true
	}
	return h
}

// leakedBytes returns how many bytes of buffers the session counts as held
// (memory) that no stream of m can reach: 0 unless a reference was lost
// (above 0) or a buffer was given back twice (below).
func leakedBytes(m *dataPresentationManager) int64 {
	held := m.memory.Load()
	m.mu.RLock()
	for _, s := range m.streams {
		s.mu.Lock()
		held -= int64(holdingsOf(s).bytes())
		s.mu.Unlock()
	}
	m.mu.RUnlock()
	return held
}

// testEvents are the Events of a test manager: each calls the function a
// test gave it with on, if any.
type testEvents struct {
	limit   atomic.Pointer[func(id, limit uint64)]
	session atomic.Pointer[func(limit uint64)]
	gap     atomic.Pointer[func(GapReport)]
	bp      atomic.Pointer[func(id uint64, active bool, reason BackpressureReason)]
	full    atomic.Pointer[func(full bool)]
}

// on makes the event behind p call f.
func on[F any](p *atomic.Pointer[F], f F) { p.Store(&f) }

// eventsOf returns the events of a manager made by newTestManager.
func eventsOf(m DataPresentationManager) *testEvents {
	return m.(*dataPresentationManager).events.(*testEvents)
}

func (e *testEvents) StreamLimitMoved(id, limit uint64) {
	if f := e.limit.Load(); f != nil {
		(*f)(id, limit)
	}
}

func (e *testEvents) SessionLimitMoved(limit uint64) {
	if f := e.session.Load(); f != nil {
		(*f)(limit)
	}
}

func (e *testEvents) GapPersists(r GapReport) {
	if f := e.gap.Load(); f != nil {
		(*f)(r)
	}
}

func (e *testEvents) BackpressureChanged(id uint64, active bool, reason BackpressureReason) {
	if f := e.bp.Load(); f != nil {
		(*f)(id, active, reason)
	}
}

func (e *testEvents) WindowFull(full bool) {
	if f := e.full.Load(); f != nil {
		(*f)(full)
	}
}

// staleKey returns an error when a key the list keeps for its searches is
// not its element's key: an element's key changed without rekey.
func staleKey[T keyed](l *sortedList[T]) error {
	if len(l.lasts) != len(l.blocks) {
		return fmt.Errorf("%d last keys for %d blocks", len(l.lasts), len(l.blocks))
	}
	for b, blk := range l.blocks {
		for i := range blk.len() {
			if k := (*blk.at(i)).key(); blk.keys[blk.lo+i] != k {
				return fmt.Errorf("block %d element %d: key %d kept as %d", b, i, k, blk.keys[blk.lo+i])
			}
		}
		if l.lasts[b] != blk.lastKey() {
			return fmt.Errorf("block %d: last key %d kept as %d", b, blk.lastKey(), l.lasts[b])
		}
	}
	return nil
}
