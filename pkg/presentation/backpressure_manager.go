package presentation

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"
)

// errNoReason is returned when backpressure is activated without a reason.
var errNoReason = errors.New("presentation: backpressure needs a reason other than BackpressureReasonNone")

// bpEvent is one transition to report to the callback after unlocking.
type bpEvent struct {
	streamID uint64
	active   bool
	reason   BackpressureReason
}

const numReasons = int(BackpressureReasonManual) + 1

// backpressureManager is the BackpressureManager: a view of the manager's
// core. A stream's backpressure is its own state (streamBuffer.bpReason,
// under its lock); this type keeps only what belongs to the session: the
// global reasons, one bit each, how many streams are under backpressure,
// and counters, all atomics, so that a transition takes no lock. Global
// backpressure is active while any global reason is: memory pressure,
// window exhaustion, manual, or escalation (at least EscalationStreams
// streams under backpressure at once).
type backpressureManager struct {
	m *dataPresentationManager

	global      atomic.Uint32 // bit r: global reason r is active
	globalSince [numReasons]atomic.Int64
	streams     atomic.Int64 // streams under backpressure

	activations, deactivations         atomic.Uint64
	globalActivations, globalDeactions atomic.Uint64
	escalations                        atomic.Uint64
	byReason                           [numReasons]atomic.Uint64
	activeTime                         atomic.Int64 // nanoseconds, ended episodes
}

// ActivateBackpressure puts a stream under backpressure for reason (a new
// reason replaces the old one). Its window stops growing until
// DeactivateBackpressure; the buffer levels do not lift a manual reason.
func (b *backpressureManager) ActivateBackpressure(streamID uint64, reason BackpressureReason) error {
	if reason == BackpressureReasonNone || int(reason) >= numReasons {
		return errNoReason
	}
	return b.setStream(streamID, reason)
}

// DeactivateBackpressure lifts a stream's backpressure (no-op when none).
func (b *backpressureManager) DeactivateBackpressure(streamID uint64) error {
	return b.setStream(streamID, BackpressureReasonNone)
}

func (b *backpressureManager) setStream(streamID uint64, reason BackpressureReason) error {
	s, err := b.m.lookup(streamID)
	if err != nil {
		return err
	}
	var eff effects
	s.mu.Lock()
	if s.state == stateOpen {
		s.setBackpressureLocked(&eff, reason)
	}
	s.mu.Unlock()
	b.notify(eff.bp)
	return nil
}

// streamChanged records a stream's transition from old to reason (either
// may be BackpressureReasonNone) and appends the events to ev.
func (b *backpressureManager) streamChanged(ev []bpEvent, id uint64, old, reason BackpressureReason, since int64) []bpEvent {
	esc := int64(b.m.config().EscalationStreams)
	switch {
	case reason == BackpressureReasonNone:
		b.deactivations.Add(1)
		b.activeTime.Add(monotime() - since)
		ev = append(ev, bpEvent{id, false, old})
		if b.streams.Add(-1) < esc {
			ev = b.setGlobal(ev, BackpressureReasonEscalation, false)
		}
		return ev
	case old == BackpressureReasonNone:
		b.activations.Add(1)
		b.byReason[reason].Add(1)
		ev = append(ev, bpEvent{id, true, reason})
		if b.streams.Add(1) >= esc {
			n := len(ev)
			if ev = b.setGlobal(ev, BackpressureReasonEscalation, true); len(ev) > n {
				b.escalations.Add(1)
			}
		}
		return ev
	}
	b.byReason[reason].Add(1)
	return append(ev, bpEvent{id, true, reason})
}

// IsBackpressureActive reports whether the stream itself is under backpressure.
func (b *backpressureManager) IsBackpressureActive(streamID uint64) bool {
	return b.GetBackpressureReason(streamID) != BackpressureReasonNone
}

// GetBackpressureReason returns the stream's reason, or BackpressureReasonNone.
func (b *backpressureManager) GetBackpressureReason(streamID uint64) BackpressureReason {
	s, err := b.m.lookup(streamID)
	if err != nil {
		return BackpressureReasonNone
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bpReason
}

// ActivateGlobalBackpressure adds a session-wide reason.
func (b *backpressureManager) ActivateGlobalBackpressure(reason BackpressureReason) error {
	if reason == BackpressureReasonNone || int(reason) >= numReasons {
		return errNoReason
	}
	b.notify(b.setGlobal(nil, reason, true))
	return nil
}

// DeactivateGlobalBackpressure removes a session-wide reason; with
// BackpressureReasonNone it removes them all.
func (b *backpressureManager) DeactivateGlobalBackpressure(reason BackpressureReason) error {
	var ev []bpEvent
	for r := BackpressureReason(1); int(r) < numReasons; r++ {
		if reason == BackpressureReasonNone || r == reason {
			ev = b.setGlobal(ev, r, false)
		}
	}
	b.notify(ev)
	return nil
}

// setGlobal turns a global reason on or off and appends the event if that
// changed anything.
func (b *backpressureManager) setGlobal(ev []bpEvent, reason BackpressureReason, on bool) []bpEvent {
	bit := uint32(1) << reason
	for {
		old := b.global.Load()
		if (old&bit != 0) == on {
			return ev
		}
		if b.global.CompareAndSwap(old, old^bit) {
			break
		}
	}
	if on {
		b.globalSince[reason].Store(monotime())
		b.globalActivations.Add(1)
		b.byReason[reason].Add(1)
	} else {
		b.globalDeactions.Add(1)
	}
	return append(ev, bpEvent{GlobalBackpressureStreamID, on, reason})
}

// reconcile sets a global reason the manager derives from its counters to
// want(current), re-evaluating after each change so that evaluations of
// stale counters by concurrent goroutines do not leave it wrong.
func (b *backpressureManager) reconcile(reason BackpressureReason, want func(on bool) bool) {
	for {
		on := b.global.Load()&(1<<reason) != 0
		w := want(on)
		if w == on {
			return
		}
		b.notify(b.setGlobal(nil, reason, w))
	}
}

// IsGlobalBackpressureActive reports whether any global reason is active.
func (b *backpressureManager) IsGlobalBackpressureActive() bool { return b.global.Load() != 0 }

// globalReasons returns the active global reasons, in order.
func (b *backpressureManager) globalReasons() []BackpressureReason {
	var rs []BackpressureReason
	mask := b.global.Load()
	for r := BackpressureReason(1); int(r) < numReasons; r++ {
		if mask&(1<<r) != 0 {
			rs = append(rs, r)
		}
	}
	return rs
}

// GetBackpressureStatus returns the active streams (sorted by ID) and global reasons.
func (b *backpressureManager) GetBackpressureStatus() BackpressureStatus {
	st := BackpressureStatus{GlobalActive: b.IsGlobalBackpressureActive(), GlobalReasons: b.globalReasons()}
	b.m.eachStream(func(s *streamBuffer) {
		if s.bpReason != BackpressureReasonNone {
			st.ActiveStreams = append(st.ActiveStreams, StreamBackpressureInfo{
				StreamID: s.id, Reason: s.bpReason, Since: clockBase.Add(time.Duration(s.bpSince)),
			})
		}
	})
	slices.SortFunc(st.ActiveStreams, func(x, y StreamBackpressureInfo) int { return cmp.Compare(x.StreamID, y.StreamID) })
	return st
}

// GetBackpressureStats returns the counters.
func (b *backpressureManager) GetBackpressureStats() BackpressureStats {
	st := BackpressureStats{
		ActiveStreams:       int(b.streams.Load()),
		GlobalActive:        b.IsGlobalBackpressureActive(),
		Activations:         b.activations.Load(),
		Deactivations:       b.deactivations.Load(),
		GlobalActivations:   b.globalActivations.Load(),
		GlobalDeactivations: b.globalDeactions.Load(),
		Escalations:         b.escalations.Load(),
		ByReason:            make(map[BackpressureReason]uint64),
		TotalActiveTime:     time.Duration(b.activeTime.Load()),
	}
	for r := range b.byReason {
		if n := b.byReason[r].Load(); n > 0 {
			st.ByReason[BackpressureReason(r)] = n
		}
	}
	return st
}

// notify logs and reports transitions, outside every lock.
func (b *backpressureManager) notify(ev []bpEvent) {
	if len(ev) == 0 {
		return
	}
	log := b.m.config().Logger
	for _, e := range ev {
		if e.streamID == GlobalBackpressureStreamID {
			level := slog.LevelInfo
			if e.active {
				level = slog.LevelWarn
			}
			log.Log(context.Background(), level, "presentation: global backpressure", "active", e.active, "reason", e.reason)
		} else {
			log.Debug("presentation: stream backpressure", "stream", e.streamID, "active", e.active, "reason", e.reason)
		}
		b.m.events.BackpressureChanged(e.streamID, e.active, e.reason)
	}
}
