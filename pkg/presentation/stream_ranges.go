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
