package presentation

import (
	"sync"
	"sync/atomic"
)

// Per-stream backpressure is decided under the stream lock, where the
// buffered byte count already is, and reported to the BackpressureManager
// only on transitions, so the hot path takes no shared lock.

// Backpressure measures the bytes the reader could read now and has not:
// bytes waiting behind a gap say nothing about the reader (several paths
// always leave gaps), and the window bounds them anyway.

// checkBackpressureOnWriteLocked starts backpressure when the readable
// bytes reach the high-water share of the stream's window.
func (s *streamBuffer) checkBackpressureOnWriteLocked(eff *effects) {
	cfg := s.config()
	if s.bpActive || float64(s.readableLocked()) < cfg.BackpressureHighWater*float64(s.window) {
		return
	}
	reason := BackpressureReasonBufferFull
	if monotime()-s.lastRead > int64(cfg.SlowReaderTimeout) {
		reason = BackpressureReasonSlowConsumer
	}
	s.setBackpressureLocked(eff, true, reason)
}

// checkBackpressureOnReadLocked stops it below the low-water share.
func (s *streamBuffer) checkBackpressureOnReadLocked(eff *effects) {
	if !s.bpActive || float64(s.readableLocked()) > s.config().BackpressureLowWater*float64(s.window) {
		return
	}
	s.setBackpressureLocked(eff, false, BackpressureReasonNone)
}

// setBackpressureLocked records a transition in the stream and in the
// BackpressureManager (a leaf lock), leaving the callbacks to effects.
func (s *streamBuffer) setBackpressureLocked(eff *effects, on bool, reason BackpressureReason) {
	s.bpActive = on
	if on {
		s.st.bpEvents++
	}
	b := s.m.bpm
	b.mu.Lock()
	if on {
		eff.bp = b.activateLocked(eff.bp, s.id, reason)
	} else {
		eff.bp = b.removeStreamLocked(eff.bp, s.id)
	}
	b.mu.Unlock()
}

// timerGroup counts pending gap timers so Close can wait for every timer
// callback to finish (no goroutine outlives the manager).
type timerGroup struct {
	mu      sync.Mutex
	n       int
	closing bool
	idle    chan struct{} // closed when n drops to 0 while closing
}

// add records a timer about to start; false once the group is closing.
func (g *timerGroup) add() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false
	}
	g.n++
	return true
}

// done records a timer that ran or was stopped.
func (g *timerGroup) done() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.n == 0 && g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
}

// closeAndWait refuses new timers and waits for the pending ones.
func (g *timerGroup) closeAndWait() {
	g.mu.Lock()
	g.closing = true
	if g.n == 0 {
		g.mu.Unlock()
		return
	}
	if g.idle == nil {
		g.idle = make(chan struct{})
	}
	idle := g.idle
	g.mu.Unlock()
	<-idle
}

// globalFlag mirrors one global backpressure reason that the manager
// derives from shared counters. The common case (no change) is one atomic
// load; a change is made under a mutex and re-evaluated until stable, so
// concurrent evaluations of stale counters cannot leave it wrong.
type globalFlag struct {
	on atomic.Bool
	mu sync.Mutex
}

// reconcile sets the flag, and the reason in b, to want(current).
func (f *globalFlag) reconcile(want func(on bool) bool, reason BackpressureReason, b *backpressureManager) {
	if cur := f.on.Load(); want(cur) == cur {
		return
	}
	var ev []bpEvent
	f.mu.Lock()
	for {
		cur := f.on.Load()
		w := want(cur)
		if w == cur {
			break
		}
		f.on.Store(w)
		b.mu.Lock()
		var e bpEvent
		var changed bool
		if w {
			e, changed = b.addGlobalLocked(reason)
		} else {
			e, changed = b.removeGlobalLocked(reason)
		}
		b.mu.Unlock()
		if changed {
			ev = append(ev, e)
		}
	}
	f.mu.Unlock()
	b.notify(ev)
}
