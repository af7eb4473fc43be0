package presentation

// rangeSet is a set of stream offsets stored as sorted, disjoint,
// non-adjacent half-open ranges. Adding a range and finding the next gap are
// O(log n) in the number of ranges (plus the ranges an add merges).
type rangeSet struct {
	l sortedList[Range]
}

// add inserts [start, end), merging it with every range it overlaps or touches.
func (s *rangeSet) add(start, end uint64) {
	if start >= end {
		return
	}
	// First range that ends at or after start: the first one we may touch.
	c := s.l.search(func(r *Range) bool { return r.End >= start })
	if !s.l.valid(c) || s.l.at(c).Start > end {
		s.l.insert(c, Range{start, end})
		return
	}
	r := s.l.at(c)
	r.Start = min(r.Start, start)
	newEnd := max(r.End, end)
	for n := s.l.next(c); s.l.valid(n) && s.l.at(n).Start <= newEnd; {
		newEnd = max(newEnd, s.l.at(n).End)
		n = s.l.remove(n)
	}
	// remove only shifts elements after c, so c still addresses our range.
	s.l.at(c).End = newEnd
}

// touches reports whether [start, end) overlaps or touches a range of the
// set: adding it would not make one more range.
func (s *rangeSet) touches(start, end uint64) bool {
	c := s.l.search(func(r *Range) bool { return r.End >= start })
	return s.l.valid(c) && s.l.at(c).Start <= end
}

// numRanges returns the number of disjoint ranges.
func (s *rangeSet) numRanges() int { return s.l.len() }

// max returns the end of the last range, or 0 when empty.
func (s *rangeSet) max() uint64 {
	if r := s.l.last(); r != nil {
		return r.End
	}
	return 0
}

// containsRange reports whether every offset of [start, end) is in the set.
func (s *rangeSet) containsRange(start, end uint64) bool {
	if start >= end {
		return true
	}
	c := s.l.search(func(r *Range) bool { return r.End > start })
	return s.l.valid(c) && s.l.at(c).Start <= start && s.l.at(c).End >= end
}

// nextMissing returns the first offset at or after from that is not in the set.
func (s *rangeSet) nextMissing(from uint64) uint64 {
	c := s.l.search(func(r *Range) bool { return r.End > from })
	if s.l.valid(c) && s.l.at(c).Start <= from {
		return s.l.at(c).End
	}
	return from
}

// gaps appends to dst the ranges of [from, to) that are not in the set.
func (s *rangeSet) gaps(dst []Range, from, to uint64) []Range {
	if from >= to {
		return dst
	}
	cur := from
	for c := s.l.search(func(r *Range) bool { return r.End > from }); s.l.valid(c) && cur < to; c = s.l.next(c) {
		r := s.l.at(c)
		if r.Start >= to {
			break
		}
		if r.Start > cur {
			dst = append(dst, Range{cur, r.Start})
		}
		cur = max(cur, r.End)
	}
	if cur < to {
		dst = append(dst, Range{cur, to})
	}
	return dst
}

// ranges appends to dst the ranges that end after from, clipped to start at from.
func (s *rangeSet) ranges(dst []Range, from uint64) []Range {
	for c := s.l.search(func(r *Range) bool { return r.End > from }); s.l.valid(c); c = s.l.next(c) {
		r := *s.l.at(c)
		r.Start = max(r.Start, from)
		dst = append(dst, r)
	}
	return dst
}

// countAfter returns how many ranges end after from.
func (s *rangeSet) countAfter(from uint64) int {
	n := 0
	for c := s.l.search(func(r *Range) bool { return r.End > from }); s.l.valid(c); c = s.l.next(c) {
		n++
	}
	return n
}
