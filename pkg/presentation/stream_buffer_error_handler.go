package presentation

import (
	"errors"
	"time"
)

// Stream buffer error handling (seed 7.1, 7.3). A stream that fails is
// isolated: its buffers and window share are released at once, its reader
// gets the error, later writes are dropped with ErrStreamClosed, and no
// other stream is touched. Overflow (data beyond the limit) and final-size
// violations reject the write only: the stream's own data is intact and the
// session closes the offending path. Persistent gaps are reported.

// endLocked moves an open stream to state (failed: err is what its readers
// get), releasing every buffered byte, stopping its gap timer and waking
// its readers. A stream already ended keeps its first error.
func (s *streamBuffer) endLocked(state streamState, err error, eff *effects) {
	if s.state != stateOpen {
		if state == stateClosed { // removal of a failed stream: final state
			s.state = stateClosed
		}
		return
	}
	s.state, s.err = state, err
	// The sender may have used all the credit it was given; count it as
	// consumed so the session limit stays above every stream's limit.
	s.accountLocked(eff, 0, s.buffered, s.limit-s.readPos)
	eff.ended = s.releaseShareLocked()
	s.setBackpressureLocked(eff, BackpressureReasonNone)
	s.buffered = 0
	s.chunks.reset(func(k *chunk) { s.dropLocked(k) })
	s.runs, s.contig = 0, s.readPos
	s.retireBlockLocked()
	s.countRangesLocked()
	s.stopGapTimerLocked()
	s.wakeReadersLocked(eff)
}

// fail fails an open stream from outside (FailStream).
func (s *streamBuffer) fail(err error) error {
	if err == nil {
		err = streamErr(s.id, ErrStreamClosed)
	}
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return streamErr(s.id, ErrStreamClosed)
	}
	var eff effects
	s.endLocked(stateFailed, err, &eff)
	s.mu.Unlock()
	s.apply(eff)
	return nil
}

// isConflict reports whether err failed a stream for corrupt data.
func isConflict(err error) bool { return errors.Is(err, ErrConflictingData) }

// gapState tracks the persistent-gap timer of a stream: one timer while the
// reader waits at a hole with later bytes buffered.
type gapState struct {
	armed bool
	since int64       // monotime the reader started waiting at this hole
	gen   uint64      // identifies the live timer; stale firings are ignored
	timer *time.Timer // nil when not armed
}

// checkGapLocked arms the gap timer when the reader sits at a hole with
// later bytes buffered, and stops it when the hole is filled or gone.
func (s *streamBuffer) checkGapLocked() {
	first := s.chunks.first()
	atGap := s.state == stateOpen && first != nil && first.off > s.readPos
	switch {
	case atGap && !s.gap.armed:
		s.gap.armed, s.gap.since = true, monotime()
		s.startGapTimerLocked()
	case !atGap && s.gap.armed:
		s.stopGapTimerLocked()
	}
}

func (s *streamBuffer) startGapTimerLocked() {
	if !s.m.timers.add() {
		return // manager closing
	}
	s.gap.gen++
	gen := s.gap.gen
	s.gap.timer = time.AfterFunc(s.config().GapTimeout, func() { s.onGapTimer(gen) })
}

func (s *streamBuffer) stopGapTimerLocked() {
	s.gap.armed = false
	if s.gap.timer != nil && s.gap.timer.Stop() {
		s.m.timers.done() // it will never run
	}
	s.gap.timer = nil
}

// onGapTimer reports a gap still open after GapTimeout, then re-arms so the
// report repeats every GapTimeout until the hole is filled.
func (s *streamBuffer) onGapTimer(gen uint64) {
	defer s.m.timers.done()
	s.mu.Lock()
	if !s.gap.armed || gen != s.gap.gen || s.state != stateOpen {
		s.mu.Unlock()
		return
	}
	miss := s.missingLocked()
	report := GapReport{
		StreamID:   s.id,
		ReadOffset: s.readPos,
		Age:        time.Duration(monotime() - s.gap.since),
	}
	// Only the holes below the highest received byte: the tail is not a gap.
	for _, r := range miss.Ranges {
		if r.Start < s.maxReceivedLocked() {
			report.Missing = append(report.Missing, r)
		}
	}
	s.startGapTimerLocked()
	s.mu.Unlock()
	s.m.reportGap(report)
}
