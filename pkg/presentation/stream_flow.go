package presentation

// Flow control of one stream: the session counters it moves, the limit it
// advertises and the auto-tuning of its window.

// accountLocked moves the session's buffered and consumed counters.
func (s *streamBuffer) accountLocked(eff *effects, stored, freed, consumed uint64) {
	if s.m == nil {
		return
	}
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
	if consumed < s.window/2 || s.m == nil {
		return
	}
	elapsed := now - s.epochStart
	s.epochStart, s.epochOffset = now, s.readPos
	cfg := s.config()
	if s.bpActive || s.window >= cfg.MaxStreamWindow || !s.m.mayGrow(s.meta.Priority) {
		return
	}
	rtt := float64(s.m.rtt())
	if float64(elapsed) >= 4*rtt*float64(consumed)/float64(s.window) {
		return
	}
	target := min(2*s.window, cfg.MaxStreamWindow)
	s.window = s.m.rwm.grow(s.id, s.window, target)
}

// growOnBlockedLocked doubles the window when a sender reports that it is
// stuck at senderLimit while the reader is not behind: the window, not the
// reader, is what holds the transfer back (typically bytes of a slow path
// hold the read position while faster paths wait for credit). The sender's
// limit may lag the current one by an advertisement in flight; with a
// larger window it would have been higher too. It grows at most once per
// reported limit, and not under backpressure.
func (s *streamBuffer) growOnBlockedLocked(senderLimit uint64) bool {
	if s.m == nil || s.bpActive || senderLimit < s.grownAt {
		return false
	}
	cfg := s.config()
	if s.window >= cfg.MaxStreamWindow || s.readableLocked() > s.window/4 || !s.m.mayGrow(s.meta.Priority) {
		return false
	}
	s.grownAt = senderLimit + 1
	grown := s.m.rwm.grow(s.id, s.window, min(2*s.window, cfg.MaxStreamWindow))
	if grown <= s.window {
		return false
	}
	s.window = grown
	s.limit = max(s.limit, min(s.readPos+s.window, maxOffset))
	s.advertised = s.limit
	return true
}
