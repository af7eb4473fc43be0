package presentation

// The received set of a stream is every offset below readPos plus the
// offsets of its chunks: the chunk list is the one record of what arrived.
// contig (the first offset at or after readPos not received) and runs (the
// maximal runs of touching chunks) are kept as chunks come and go, so that
// the per-frame checks are O(1); the lists below walk the chunks.

// readableLocked is how many bytes a read could return now.
func (s *streamBuffer) readableLocked() uint64 { return s.contig - s.readPos }

// runsLocked calls f on every maximal run of touching chunks, in order,
// until it returns false.
func (s *streamBuffer) runsLocked(f func(r Range) bool) {
	var cur Range
	open := false
	more := true
	s.chunks.all(func(k *chunk) bool {
		switch {
		case open && k.off == cur.End:
			cur.End = k.end()
			return true
		case open:
			if more = f(cur); !more {
				return false
			}
		}
		cur, open = Range{Start: k.off, End: k.end()}, true
		return true
	})
	if open && more {
		f(cur)
	}
}

// receivedLocked appends the received ranges at or after the read position.
func (s *streamBuffer) receivedLocked(dst []Range) []Range {
	s.runsLocked(func(r Range) bool {
		dst = append(dst, r)
		return true
	})
	return dst
}

// gapsLocked appends the ranges of [readPos, to) not received.
func (s *streamBuffer) gapsLocked(dst []Range, to uint64) []Range {
	cur := s.readPos
	s.runsLocked(func(r Range) bool {
		if r.Start >= to {
			return false
		}
		if r.Start > cur {
			dst = append(dst, Range{Start: cur, End: r.Start})
		}
		cur = max(cur, r.End)
		return true
	})
	if cur < to {
		dst = append(dst, Range{Start: cur, End: to})
	}
	return dst
}

// touchingLocked returns how many of the chunks around the hole [from, to)
// before c touch it (0, 1 or 2): filling the hole adds one run of chunks
// minus that many.
func (s *streamBuffer) touchingLocked(c cursor, from, to uint64) int {
	n := 0
	if p, ok := s.chunks.prev(c); ok && s.chunks.at(p).end() == from {
		n++
	}
	if s.chunks.valid(c) && s.chunks.at(c).off == to {
		n++
	}
	return n
}

// advanceContigLocked moves contig past the chunks that continue it.
func (s *streamBuffer) advanceContigLocked() {
	c := s.chunks.seek(s.contig + 1)
	for ; s.chunks.valid(c) && s.chunks.at(c).off <= s.contig; c = s.chunks.next(c) {
		s.contig = s.chunks.at(c).end()
	}
}

// popChunkLocked drops the first chunk, which was read or skipped whole.
func (s *streamBuffer) popChunkLocked(k *chunk) {
	end := k.end()
	s.dropLocked(k)
	s.chunks.popFront()
	if f := s.chunks.first(); f == nil || f.off != end {
		s.runs--
	}
}

// maxReceivedLocked is the end of the highest byte received.
func (s *streamBuffer) maxReceivedLocked() uint64 {
	if k := s.chunks.last(); k != nil {
		return k.end()
	}
	return s.readPos
}

// HasGaps reports whether bytes are missing below the highest byte received.
func (s *streamBuffer) HasGaps() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.contig < s.maxReceivedLocked()
}

// GetNextGapPosition returns the first offset at or after the read position
// not yet received; ok is false when every byte up to the final size was.
func (s *streamBuffer) GetNextGapPosition() (offset uint64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.contig
	if s.finalKnown && next >= s.finalSize {
		return 0, false
	}
	return next, true
}

// GetContiguousBytes returns how many bytes a read could return now.
func (s *streamBuffer) GetContiguousBytes() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen {
		return 0
	}
	return s.readableLocked()
}

// ReceivedRanges returns the received ranges at or after the read position.
func (s *streamBuffer) ReceivedRanges() []Range {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.receivedLocked(nil)
}

// MissingRanges returns the holes the sender still has to fill.
func (s *streamBuffer) MissingRanges() MissingRanges {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.missingLocked()
}

func (s *streamBuffer) missingLocked() MissingRanges {
	upper := s.maxReceivedLocked()
	if s.finalKnown {
		upper = s.finalSize
	}
	return MissingRanges{
		StreamID:       s.id,
		ReadOffset:     s.readPos,
		FinalSize:      s.finalSize,
		FinalSizeKnown: s.finalKnown,
		Ranges:         s.gapsLocked(nil, upper),
	}
}

// FinalSize returns the final size when a FIN was received.
func (s *streamBuffer) FinalSize() (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finalSize, s.finalKnown
}

// Limit returns the absolute offset a sender may write up to.
func (s *streamBuffer) Limit() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limit
}
