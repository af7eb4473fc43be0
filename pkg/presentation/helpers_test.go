package presentation

import (
	"runtime"
	"testing"
	"time"
)

// newTestManager returns a manager closed at the end of the test.
func newTestManager(t testing.TB, cfg *PresentationConfig) *dataPresentationManager {
	t.Helper()
	m, err := newDataPresentationManager(cfg)
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

// leakedBuffers returns how many buffers the pool counts as held that no
// stream of m can reach: 0 unless a reference was lost.
func leakedBuffers(m *dataPresentationManager) int {
	reach := map[*buffer]bool{}
	m.mu.RLock()
	for _, s := range m.streams {
		s.mu.Lock()
		s.chunks.all(func(k *chunk) bool { reach[k.buf] = true; return true })
		if s.block != nil {
			reach[s.block] = true
		}
		s.mu.Unlock()
	}
	m.mu.RUnlock()
	return m.pool.outstanding() - len(reach)
}
