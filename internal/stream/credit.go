package stream

import "slices"

// creditWait is a writer waiting to start the bytes off..end: for the
// peer's credit to reach past off, or for the write side to end under it.
type creditWait struct {
	off, end  uint64
	appending bool // a Write, which the final size ends
}

// mayGo reports whether what w waits for has happened; the stream is
// locked. It is tryReserve's view of w, less the deadline, which every
// waiter watches itself.
func (s *Stream) mayGo(w *creditWait) bool {
	switch {
	case s.complete, s.sendErr != nil:
		return true
	case s.finalSet && (w.appending || w.end > s.final):
		return true
	}
	return w.off < s.limit
}

// writable is the gate's condition: a waiting writer may go on. The
// stream is locked. Parallel WriteAt calls wait at different offsets, so
// one raise of the limit may let some go and not others: the condition
// names the writers it is true for, and the gate passes from one to the
// next until none is left that may go.
func (s *Stream) writable() bool {
	for _, w := range s.blocked {
		if s.mayGo(w) {
			return true
		}
	}
	return false
}

// waitCredit is called, with the stream locked, by a writer that found no
// credit for w. It says so to the peer, waits, and returns with the stream
// locked again once some waiting writer may go on (w or another, which it
// then hands the gate to on its next unlock) or the write deadline passed.
func (s *Stream) waitCredit(w *creditWait) {
	s.blocked = append(s.blocked, w)
	passed := s.writeDeadline.done()
	s.unlockAndAnnounceBlocked()
	select {
	case <-s.gate.Ready():
	case <-passed:
		s.lock()
	}
	s.blocked = slices.DeleteFunc(s.blocked, func(b *creditWait) bool { return b == w })
}
