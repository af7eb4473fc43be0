package presentation

import "sync"

// Per-stream backpressure is decided and kept under the stream lock, where
// the buffered byte count already is; a transition moves the session's
// counters (atomics) and is reported to the callback after unlocking, so
// no frame takes a shared lock for it.

// Backpressure measures the bytes the reader could read now and has not:
// bytes waiting behind a gap say nothing about the reader (several paths
// always leave gaps), and the window bounds them anyway.

// checkBackpressureOnWriteLocked starts backpressure when the readable
// bytes reach the high-water share of the stream's window.
func (s *streamBuffer) checkBackpressureOnWriteLocked(eff *effects) {
	cfg := s.config()
	if s.bpReason != BackpressureReasonNone || float64(s.readableLocked()) < cfg.BackpressureHighWater*float64(s.window) {
		return
	}
	reason := BackpressureReasonBufferFull
	if monotime()-s.lastRead > int64(cfg.SlowReaderTimeout) {
		reason = BackpressureReasonSlowConsumer
	}
	s.setBackpressureLocked(eff, reason)
}

// checkBackpressureOnReadLocked stops it below the low-water share, unless
// the application set it (a manual reason is lifted only by hand).
func (s *streamBuffer) checkBackpressureOnReadLocked(eff *effects) {
	switch s.bpReason {
	case BackpressureReasonNone, BackpressureReasonManual:
		return
	}
	if float64(s.readableLocked()) > s.config().BackpressureLowWater*float64(s.window) {
		return
	}
	s.setBackpressureLocked(eff, BackpressureReasonNone)
}

// setBackpressureLocked moves the stream to reason (None: off) and records
// the transition in the session's counters (atomics), leaving the
// callbacks to effects.
func (s *streamBuffer) setBackpressureLocked(eff *effects, reason BackpressureReason) {
	old := s.bpReason
	if old == reason {
		return
	}
	if old == BackpressureReasonNone {
		s.bpSince = monotime()
		s.st.bpEvents++
	}
	s.bpReason = reason
	eff.bp = s.m.bpm.streamChanged(eff.bp, s.id, old, reason, s.bpSince)
}

// timerGroup counts pending gap timers so Close can wait for every timer
// callback to finish (no goroutine outlives the manager); mu orders add
// before closeAndWait, so that no timer starts once Wait may have begun.
type timerGroup struct {
	mu      mutex
	closing bool
	running sync.WaitGroup
}

// add records a timer about to start; false once the group is closing.
func (g *timerGroup) add() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closing {
		g.running.Add(1)
	}
	return !g.closing
}

// done records a timer that ran or was stopped.
func (g *timerGroup) done() { g.running.Done() }

// closeAndWait refuses new timers and waits for the pending ones.
func (g *timerGroup) closeAndWait() {
	g.mu.Lock()
	g.closing = true
	g.mu.Unlock()
	g.running.Wait()
}
