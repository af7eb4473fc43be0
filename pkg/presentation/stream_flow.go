package presentation

// Flow control of one stream: the session counters it moves, the limit it
// advertises and the auto-tuning of its window.

// accountLocked moves the session's buffered and consumed counters.
func (s *streamBuffer) accountLocked(eff *effects, stored, freed, consumed uint64) {
	w := s.m.rwm
	var before, after uint64
	switch {
	case stored > 0:
		after = w.used.Add(stored)
		before = after - stored
	case freed > 0:
		after = w.used.Add(-freed)
		before = after + freed
	}
	if stored > 0 || freed > 0 {
		if !eff.usedMoved {
			eff.usedMoved, eff.usedFrom = true, before
		}
		eff.usedTo = after
	}
	if consumed > 0 {
		w.consumed.Add(consumed)
		eff.consumed = true
	}
}

// updateLimitLocked slides the stream's limit after reads, auto-tunes its
// window, and asks for an advertisement once the limit moved by a quarter
// of the window.
func (s *streamBuffer) updateLimitLocked(eff *effects, now int64) {
	s.limit = max(s.limit, min(s.readPos+s.window, maxOffset))
	if s.limit-s.advertised < s.window/4 && !(s.senderBlocked && s.limit > s.advertised) {
		return
	}
	s.autoTuneLocked(now)
	s.limit = max(s.limit, min(s.readPos+s.window, maxOffset))
	s.advertised = s.limit
	s.senderBlocked = false
	if !s.finalKnown { // a sender of a finished stream needs no more credit
		eff.advertise, eff.limit = true, s.limit
	}
}

// autoTuneLocked doubles the window when the reader consumed half a window
// or more at a rate that drains a whole window in less than 4 RTT, as
// quic-go does, unless the stream or the session is under backpressure.
func (s *streamBuffer) autoTuneLocked(now int64) {
	consumed := s.readPos - s.epochOffset
	if consumed < s.window/2 {
		return
	}
	elapsed := now - s.epochStart
	s.epochStart, s.epochOffset = now, s.readPos
	cfg := s.config()
	if !s.mayGrowLocked(cfg) {
		return
	}
	rtt := float64(s.m.rtt())
	if float64(elapsed) >= 4*rtt*float64(consumed)/float64(s.window) {
		return
	}
	target := min(2*s.window, cfg.MaxStreamWindow)
	s.window = s.m.rwm.grow(s.window, target)
}

// growOnReorderLocked grows the window when bytes arrive in its last
// quarter while at most a quarter of it is readable: the bytes between wait
// for a slower path, and the window, not the reader, holds the faster paths
// back. It is the receiver's own view of a blocked sender, which it has one
// round trip of a fast path after raising the limit, rather than after a
// report that may queue behind a slow path's data.
//
// Only bytes that are there count: a quarter of the window must be
// buffered. A sender that places a few bytes near the limit while nothing
// is readable gets no more credit than it filled.
func (s *streamBuffer) growOnReorderLocked(eff *effects, end uint64) {
	if s.finalKnown || end < s.limit-min(s.limit, s.window/4) || s.buffered < s.window/4 {
		return
	}
	if s.growOnBlockedLocked(s.limit) {
		eff.advertise, eff.limit = true, s.limit
	}
}

// growOnBlockedLocked grows the window when a sender reports that it is
// stuck at senderLimit while the reader is not behind: the window, not the
// reader, is what holds the transfer back (typically bytes of a slow path
// hold the read position while faster paths wait for credit). It doubles
// the window, or quadruples it when nothing at all is readable, which
// halves the round trips a starved reader waits through. The sender's
// limit may lag the current one by an advertisement in flight; with a
// larger window it would have been higher too. It grows at most once per
// reported limit, and not under backpressure.
func (s *streamBuffer) growOnBlockedLocked(senderLimit uint64) bool {
	cfg := s.config()
	if senderLimit < s.grownAt || s.readableLocked() > s.window/4 || !s.mayGrowLocked(cfg) {
		return false
	}
	s.grownAt = senderLimit + 1
	factor := uint64(2)
	if s.readableLocked() == 0 {
		factor = 4
	}
	grown := s.m.rwm.grow(s.window, min(factor*s.window, cfg.MaxStreamWindow))
	if grown <= s.window {
		return false
	}
	s.window = grown
	s.limit = max(s.limit, min(s.readPos+s.window, maxOffset))
	s.advertised = s.limit
	return true
}

// mayGrowLocked reports whether the stream's window may grow now: it holds
// a share below the maximum, and neither it nor (unless it is critical)
// the session is under backpressure.
func (s *streamBuffer) mayGrowLocked(cfg *PresentationConfig) bool {
	return s.shared && s.window < cfg.MaxStreamWindow && s.bpReason == BackpressureReasonNone &&
		(s.meta.Priority == StreamPriorityCritical || !s.m.bpm.IsGlobalBackpressureActive())
}
