package presentation

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// locksOf returns how many lock acquisitions f made in this package.
func locksOf(t *testing.T, f func() error) (int, error) {
	t.Helper()
	lockCount.Store(0)
	countLocks.Store(true)
	err := f()
	countLocks.Store(false)
	return int(lockCount.Load()), err
}

// lockWalk runs frames through a manager and checks their lock counts.
type lockWalk struct {
	t     *testing.T
	m     *dataPresentationManager
	data  []byte
	worst int
}

// check runs f and fails the test if it took more than 3 acquisitions, or
// not exactly want when want is not 0.
func (w *lockWalk) check(name string, want int, f func() error) error {
	w.t.Helper()
	n, err := locksOf(w.t, f)
	if n > 3 || (want > 0 && n != want) {
		w.t.Errorf("%s: %d lock acquisitions, want %s", name, n, map[bool]string{true: fmt.Sprint(want), false: "at most 3"}[want > 0])
	}
	w.worst = max(w.worst, n)
	return err
}

// write writes data[off:off+n] to stream id, copied or pooled.
func (w *lockWalk) write(name string, want int, id uint64, off, n int, pooled bool) {
	w.t.Helper()
	err := w.check(name, want, func() error {
		b, md := w.data[off:off+n], &DataMetadata{}
		if pooled {
			b = w.m.GetBuffer(n)
			copy(b, w.data[off:off+n])
			md.Flags = DataFlagPooled
		}
		return w.m.WriteToStream(id, uint64(off), b, md)
	})
	if err != nil {
		w.t.Fatalf("%s: %v", name, err)
	}
}

// read reads up to n bytes of stream id.
func (w *lockWalk) read(name string, want int, id uint64, n int) {
	w.t.Helper()
	p := make([]byte, n)
	if err := w.check(name, want, func() error { _, err := w.m.ReadFromStream(id, p); return err }); err != nil {
		w.t.Fatalf("%s: %v", name, err)
	}
}

// TestLocksPerFrame walks frames through every branch of the per-frame
// path (in order, opening and filling holes, duplicates, pooled payloads,
// backpressure on and off with escalation to the session, window growth
// on reads and on reordering, advertisements, a conflict that fails the
// stream, a flow-control violation) and checks that each write and each
// read takes at most 3 lock acquisitions, and exactly 2 (stream map, then
// stream) when it changes no hole.
func TestLocksPerFrame(t *testing.T) {
	const window = 64 << 10
	m := newTestManager(t, &PresentationConfig{
		InitialStreamWindow: window, MinStreamWindow: window, MaxStreamWindow: 16 * window,
		EscalationStreams: 2, GapTimeout: time.Hour,
	})
	var advertised, bp int
	on(&eventsOf(m).limit, func(uint64, uint64) { advertised++ })
	m.SetRTT(time.Hour) // every read is fast enough to auto-tune
	on(&eventsOf(m).bp, func(uint64, bool, BackpressureReason) { bp++ })
	for _, id := range []uint64{0, 4} {
		mustCreate(t, m, id)
	}
	w := &lockWalk{t: t, m: m, data: pattern(16 * window)}
	write, read, check := w.write, w.read, w.check
	write("in order", 2, 0, 0, 1000, false)
	write("in order, pooled", 2, 0, 1000, 8<<10, true)
	write("beyond a hole: the reader waits at none", 2, 0, 20<<10, 1000, false)
	read("read to the hole: arms the gap timer", 3, 0, 32<<10)
	write("fills the hole: stops it (no lock)", 2, 0, 9192, 20<<10-9192, true)
	write("duplicate of read bytes", 2, 0, 0, 4000, false)
	write("duplicate of buffered bytes", 2, 0, 10000, 4000, true)
	write("stream 0 to its high-water mark", 2, 0, 21480, 46700, true)
	write("stream 4 to its high-water mark: escalates", 2, 4, 0, 60000, true)
	if !m.bpm.IsGlobalBackpressureActive() || bp != 3 {
		t.Fatalf("no escalation (%d backpressure events, want 3)", bp)
	}
	read("read below the low water: lifts it and the escalation, grows, advertises", 2, 0, window)
	read("and on stream 4", 2, 4, window)
	if m.bpm.IsGlobalBackpressureActive() || bp != 6 || advertised == 0 {
		t.Fatalf("after the reads: global %t, %d backpressure events (want 6), %d advertisements", m.bpm.IsGlobalBackpressureActive(), bp, advertised)
	}
	lim0, _ := m.StreamLimit(0)
	err := check("flow-control violation", 2, func() error { return m.WriteToStream(0, lim0, w.data[:10], nil) })
	if !errors.Is(err, ErrFlowControl) {
		t.Fatalf("write past the limit: %v", err)
	}
	s4, _ := m.lookup(4)
	lim4, _ := m.StreamLimit(4)
	s4.mu.Lock()
	q := s4.window / 4
	s4.mu.Unlock()
	write("a quarter window in the last quarter, at a hole: grows on reordering, arms the timer", 3, 4, int(lim4-q), int(q), true)
	if lim, _ := m.StreamLimit(4); lim <= lim4 {
		t.Fatalf("limit %d did not grow on reordering (was %d)", lim, lim4)
	}
	bad := append([]byte(nil), w.data[lim4-q:lim4-q+100]...)
	bad[50] ^= 1
	err = check("conflict: fails the stream, stops its timer (no lock)", 2, func() error {
		return m.WriteToStream(4, lim4-q, bad, nil)
	})
	if !errors.Is(err, ErrConflictingData) {
		t.Fatalf("conflicting write: %v", err)
	}
	if w.worst != 3 {
		t.Errorf("the walk's worst frame took %d acquisitions; it was meant to reach 3 (a frame that changes the reader's hole)", w.worst)
	}
}
