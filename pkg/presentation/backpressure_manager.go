package presentation

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
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

// backpressureManager tracks which streams, and whether the session, are
// under backpressure. Global backpressure is active while any global reason
// is: memory pressure, window exhaustion, manual, or escalation (at least
// EscalationStreams streams under backpressure at once).
type backpressureManager struct {
	cfg func() *PresentationConfig

	mu      sync.Mutex
	streams map[uint64]StreamBackpressureInfo
	global  map[BackpressureReason]time.Time
	stats   BackpressureStats

	globalActive atomic.Bool // lock-free read for auto-tuning
	callback     atomic.Pointer[BackpressureCallback]
}

// NewBackpressureManager returns a manager using cfg's thresholds (nil: defaults).
func NewBackpressureManager(cfg *PresentationConfig) BackpressureManager {
	c := cfg.withDefaults()
	return newBackpressureManager(func() *PresentationConfig { return c })
}

func newBackpressureManager(cfg func() *PresentationConfig) *backpressureManager {
	return &backpressureManager{
		cfg:     cfg,
		streams: make(map[uint64]StreamBackpressureInfo),
		global:  make(map[BackpressureReason]time.Time),
		stats:   BackpressureStats{ByReason: make(map[BackpressureReason]uint64)},
	}
}

// ActivateBackpressure puts a stream under backpressure for reason (a new
// reason replaces the old one). Escalates to global backpressure when too
// many streams are under it.
func (b *backpressureManager) ActivateBackpressure(streamID uint64, reason BackpressureReason) error {
	if reason == BackpressureReasonNone {
		return errNoReason
	}
	b.mu.Lock()
	ev := b.activateLocked(nil, streamID, reason)
	b.mu.Unlock()
	b.notify(ev)
	return nil
}

// activateLocked records a stream's activation and appends the events to ev.
func (b *backpressureManager) activateLocked(ev []bpEvent, streamID uint64, reason BackpressureReason) []bpEvent {
	cur, ok := b.streams[streamID]
	if ok && cur.Reason == reason {
		return ev
	}
	since := time.Now()
	if ok {
		since = cur.Since
	} else {
		b.stats.Activations++
	}
	b.streams[streamID] = StreamBackpressureInfo{StreamID: streamID, Reason: reason, Since: since}
	b.stats.ByReason[reason]++
	ev = append(ev, bpEvent{streamID, true, reason})
	if len(b.streams) >= b.cfg().EscalationStreams {
		if e, ok := b.addGlobalLocked(BackpressureReasonEscalation); ok {
			b.stats.Escalations++
			ev = append(ev, e)
		}
	}
	return ev
}

// DeactivateBackpressure lifts a stream's backpressure (no-op when none).
func (b *backpressureManager) DeactivateBackpressure(streamID uint64) error {
	b.mu.Lock()
	ev := b.removeStreamLocked(nil, streamID)
	b.mu.Unlock()
	b.notify(ev)
	return nil
}

// removeStreamLocked records a stream's deactivation and appends the events to ev.
func (b *backpressureManager) removeStreamLocked(ev []bpEvent, streamID uint64) []bpEvent {
	cur, ok := b.streams[streamID]
	if !ok {
		return ev
	}
	delete(b.streams, streamID)
	b.stats.Deactivations++
	b.stats.TotalActiveTime += time.Since(cur.Since)
	ev = append(ev, bpEvent{streamID, false, cur.Reason})
	if len(b.streams) < b.cfg().EscalationStreams {
		if e, ok := b.removeGlobalLocked(BackpressureReasonEscalation); ok {
			ev = append(ev, e)
		}
	}
	return ev
}

// IsBackpressureActive reports whether the stream itself is under backpressure.
func (b *backpressureManager) IsBackpressureActive(streamID uint64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.streams[streamID]
	return ok
}

// GetBackpressureReason returns the stream's reason, or BackpressureReasonNone.
func (b *backpressureManager) GetBackpressureReason(streamID uint64) BackpressureReason {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.streams[streamID].Reason
}

// ActivateGlobalBackpressure adds a session-wide reason.
func (b *backpressureManager) ActivateGlobalBackpressure(reason BackpressureReason) error {
	if reason == BackpressureReasonNone {
		return errNoReason
	}
	b.mu.Lock()
	e, ok := b.addGlobalLocked(reason)
	b.mu.Unlock()
	if ok {
		b.notify([]bpEvent{e})
	}
	return nil
}

// DeactivateGlobalBackpressure removes a session-wide reason; with
// BackpressureReasonNone it removes them all.
func (b *backpressureManager) DeactivateGlobalBackpressure(reason BackpressureReason) error {
	b.mu.Lock()
	var ev []bpEvent
	for r := range b.global {
		if reason == BackpressureReasonNone || r == reason {
			if e, ok := b.removeGlobalLocked(r); ok {
				ev = append(ev, e)
			}
		}
	}
	b.mu.Unlock()
	b.notify(ev)
	return nil
}

func (b *backpressureManager) addGlobalLocked(reason BackpressureReason) (bpEvent, bool) {
	if _, ok := b.global[reason]; ok {
		return bpEvent{}, false
	}
	b.global[reason] = time.Now()
	b.globalActive.Store(true)
	b.stats.GlobalActivations++
	b.stats.ByReason[reason]++
	return bpEvent{GlobalBackpressureStreamID, true, reason}, true
}

func (b *backpressureManager) removeGlobalLocked(reason BackpressureReason) (bpEvent, bool) {
	if _, ok := b.global[reason]; !ok {
		return bpEvent{}, false
	}
	delete(b.global, reason)
	b.globalActive.Store(len(b.global) > 0)
	b.stats.GlobalDeactivations++
	return bpEvent{GlobalBackpressureStreamID, false, reason}, true
}

// IsGlobalBackpressureActive reports whether any global reason is active.
func (b *backpressureManager) IsGlobalBackpressureActive() bool { return b.globalActive.Load() }

// GetBackpressureStatus returns the active streams (sorted by ID) and global reasons.
func (b *backpressureManager) GetBackpressureStatus() BackpressureStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := BackpressureStatus{GlobalActive: len(b.global) > 0}
	st.GlobalReasons = slices.Sorted(maps.Keys(b.global))
	for _, id := range slices.Sorted(maps.Keys(b.streams)) {
		st.ActiveStreams = append(st.ActiveStreams, b.streams[id])
	}
	return st
}

// SetBackpressureCallback sets the function told of every transition.
func (b *backpressureManager) SetBackpressureCallback(cb BackpressureCallback) {
	if cb == nil {
		b.callback.Store(nil)
		return
	}
	b.callback.Store(&cb)
}

// GetBackpressureStats returns the counters.
func (b *backpressureManager) GetBackpressureStats() BackpressureStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.stats
	st.ByReason = maps.Clone(b.stats.ByReason)
	st.ActiveStreams = len(b.streams)
	st.GlobalActive = len(b.global) > 0
	return st
}

// notify logs and reports transitions, outside the lock.
func (b *backpressureManager) notify(ev []bpEvent) {
	if len(ev) == 0 {
		return
	}
	log := b.cfg().Logger
	cb := b.callback.Load()
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
		if cb != nil {
			(*cb)(e.streamID, e.active, e.reason)
		}
	}
}
