package presentation

// What a stream's buffered bytes are stored in and what they cost.
//
// Small writes are copied one after the other into the stream's current
// block, and each chunk holds a reference to the block it points into; a
// pooled payload that fills ¾ of its slice is kept as it is, owned by its
// one chunk.
// The stream's memory is the capacity of every buffer it holds plus the
// bookkeeping of its chunks and ranges, and it is kept under
// 2 × window + 2 blocks: touching chunks too small to be worth their
// bookkeeping are merged as they arrive, and when buffers pinned by a few
// live bytes push the memory over the bound, the live bytes are copied
// into fresh blocks (compaction). The number of disjoint ranges a sender
// may open is bounded per stream and per session (RangeLimitError).

const (
	blockSize = 16 << 10 // the blocks small writes are copied into
	mergeMax  = 1 << 10  // touching chunks shorter together are merged
	// chunkCost is the bookkeeping of one chunk: a list block of blockCap
	// chunks and their keys (1808 B) is a 2048 B allocation, which a split
	// leaves half full (a chunk at every other offset, in order, does).
	chunkCost = 2048 / (blockCap / 2)
	// stampEvery: one write in stampEvery is timed from arrival to read,
	// for the latency statistics; reading the clock per frame cost 5% at 1 KiB.
	stampEvery = 8
)

// memLocked returns what the stream's buffered bytes cost.
func (s *streamBuffer) memLocked() uint64 {
	return s.capacity + uint64(s.chunks.len())*chunkCost
}

// memLimitLocked is the bound memLocked is kept under.
func (s *streamBuffer) memLimitLocked() uint64 { return 2*s.window + 2*blockSize }

// holdLocked counts n bytes of memory the stream took.
func (s *streamBuffer) holdLocked(n int) {
	s.capacity += uint64(n)
	s.m.memory.Add(int64(n))
}

// freeLocked forgets n bytes of memory the stream gave back.
func (s *streamBuffer) freeLocked(n int) {
	s.capacity -= uint64(n)
	s.m.memory.Add(-int64(n))
}

// newBlockLocked returns a fresh block the stream holds, with one reference.
func (s *streamBuffer) newBlockLocked() *buffer {
	b := s.m.pool.newBuffer(s.m.pool.getSlice(blockSize))
	s.holdLocked(len(b.data))
	return b
}

// sampleLocked times every stampEvery-th write that ends at end, unless
// one is pending.
func (s *streamBuffer) sampleLocked(end uint64) {
	if s.sampleAt != 0 {
		return
	}
	if s.stamps++; s.stamps == stampEvery {
		s.stamps, s.sampleAt, s.sampleEnd = 0, monotime(), end
	}
}

// recordLatencyLocked counts the arrival-to-read latency of one sample.
func (s *streamBuffer) recordLatencyLocked(lat int64) {
	s.st.latencySum += uint64(lat)
	s.st.latencyCount++
	s.st.latencyMax = max(s.st.latencyMax, lat)
}

// releaseLocked drops one reference to n live bytes of b and forgets the
// buffer's capacity if that was the last one. The current block goes back
// to the pool once no chunk uses it: a stream with nothing buffered holds
// no memory.
func (s *streamBuffer) releaseLocked(b *buffer, n int) {
	if freed := b.release(n); freed > 0 {
		s.freeLocked(freed)
		return
	}
	if b == s.block && b.refs == 1 {
		s.retireBlockLocked()
	}
}

// dropLocked releases a chunk's memory: its reference to a block, or the
// payload it owns.
func (s *streamBuffer) dropLocked(k *chunk) {
	if k.buf != nil {
		s.releaseLocked(k.buf, len(k.data))
		return
	}
	p := k.payload()
	s.freeLocked(cap(p))
	s.m.pool.putSlice(p)
}

// blockLocked returns the current block, with room for at least one byte.
func (s *streamBuffer) blockLocked() *buffer {
	if b := s.block; b != nil && b.room() > 0 {
		return b
	}
	s.retireBlockLocked()
	b := s.newBlockLocked()
	s.block = b
	return b
}

// retireBlockLocked drops the stream's own reference to its current block.
func (s *streamBuffer) retireBlockLocked() {
	if b := s.block; b != nil {
		s.block = nil
		s.releaseLocked(b, 0)
	}
}

// appendLocked copies data, the bytes at stream offset off, into the
// stream's blocks and inserts their chunks at c, where a chunk starting at
// off belongs. A chunk that ends at off and at the end of the current
// block's bytes grows instead: in-order writes make one chunk per block.
// It returns the cursor after the last chunk written.
func (s *streamBuffer) appendLocked(c cursor, off uint64, data []byte) cursor {
	for len(data) > 0 {
		b := s.blockLocked()
		n := min(len(data), b.room())
		dst := b.data[b.used : b.used+n] // capacity up to the block's end
		copy(dst, data[:n])
		if p, ok := s.chunks.prev(c); ok && s.chunks.at(p).extends(off, b) {
			k := s.chunks.at(p)
			k.data = k.data[:len(k.data)+n]
			s.chunks.rekey(p)
			b.live += n
		} else {
			b.retain(n)
			c = s.chunks.next(s.chunks.insert(c, chunk{off: off, data: dst, buf: b}))
		}
		b.used += n
		off += uint64(n)
		data = data[n:]
	}
	return c
}

// extends reports whether bytes at off appended to b continue k, in the
// stream and in memory.
func (k *chunk) extends(off uint64, b *buffer) bool {
	return k.buf == b && k.end() == off && cap(k.data)-len(k.data) == b.room()
}

// mergeLocked merges the touching chunks around [off, end) whose lengths
// add up to at most mergeMax, so that no two touching chunks are both
// small: a stream holds at most 2 chunks per mergeMax bytes plus one per range.
func (s *streamBuffer) mergeLocked(off, end uint64) {
	c := s.chunks.seek(off)
	for s.chunks.valid(c) && s.chunks.at(c).off <= end {
		n := s.chunks.next(c)
		if !s.chunks.valid(n) {
			return
		}
		k, nk := s.chunks.at(c), s.chunks.at(n)
		if nk.off != k.end() || len(k.data)+len(nk.data) > mergeMax {
			c = n
			continue
		}
		c = s.mergePairLocked(c, n)
	}
}

// mergePairLocked replaces the touching chunks at c and n (its successor)
// by one copy of their bytes and returns the cursor of the merged chunk.
func (s *streamBuffer) mergePairLocked(c, n cursor) cursor {
	var tmp [mergeMax]byte
	k, nk := s.chunks.at(c), s.chunks.at(n)
	off := k.off
	n1 := copy(tmp[:], k.data)
	n2 := copy(tmp[n1:], nk.data)
	s.dropLocked(nk)
	s.dropLocked(k)
	s.chunks.remove(n) // c stays valid: only later elements move
	after := s.appendLocked(s.chunks.remove(c), off, tmp[:n1+n2])
	p, _ := s.chunks.prev(after)
	return p
}

// compactLocked copies the live bytes of every buffer that is not fully
// used into fresh blocks, in offset order. Buffers whose every byte is
// stored stay. It runs when the memory bound is crossed, which takes
// window-sized waste after the previous run: each byte is copied O(1)
// times amortized.
func (s *streamBuffer) compactLocked() {
	s.st.compactions++
	s.retireBlockLocked()
	old := s.chunks
	s.chunks = sortedList[chunk]{}
	end := cursor{}
	old.all(func(k *chunk) bool {
		if k.dense() {
			end = s.chunks.next(s.chunks.insert(end, *k))
			return true
		}
		end = s.appendLocked(end, k.off, k.data)
		s.dropLocked(k)
		return true
	})
	old.reset(nil)
}

// fragmentsLocked returns the disjoint ranges of bytes received beyond what
// was read: the range the reader is in or at does not count.
func (s *streamBuffer) fragmentsLocked() int {
	if k := s.chunks.first(); k != nil && k.off == s.readPos {
		return s.runs - 1
	}
	return s.runs
}

// touchesLocked reports whether [off, end), at or after the read position,
// overlaps or touches bytes received: storing it opens no new range.
func (s *streamBuffer) touchesLocked(off, end uint64) bool {
	if off <= s.readPos {
		return true
	}
	c := s.chunks.seek(off)
	return s.chunks.valid(c) && s.chunks.at(c).off <= end
}

// checkRangesLocked refuses data at [off, end) that would open one
// disjoint range beyond the stream's or the session's bound.
func (s *streamBuffer) checkRangesLocked(off, end uint64) error {
	cfg := s.config()
	n, limit := s.fragmentsLocked(), s.streamRangeLimit(cfg)
	total, sessionLimit := s.m.ranges.Load(), s.m.sessionRangeLimit(cfg)
	if (n < limit && total < sessionLimit) || s.touchesLocked(off, end) {
		return nil
	}
	if n >= limit {
		return &RangeLimitError{StreamID: s.id, Offset: off, Ranges: n, Limit: limit}
	}
	return &RangeLimitError{StreamID: s.id, Offset: off, Ranges: int(total), Limit: int(sessionLimit), Session: true}
}

// countRangesLocked brings the session's count of disjoint ranges up to date.
func (s *streamBuffer) countRangesLocked() {
	n := s.fragmentsLocked()
	if s.state != stateOpen {
		n = 0
	}
	if d := n - s.rangesCounted; d != 0 {
		s.m.ranges.Add(int64(d))
	}
	s.rangesCounted = n
}

// rangeBytes is the least a legitimate sender places per disjoint range: a
// sender's ranges are prefixes of the pieces it was handed (each path
// writes a piece in order), and pieces are at least 16 KiB; the bound
// allows twice as many.
const rangeBytes = 8 << 10

// streamRangeLimit is the stream's bound on disjoint ranges: the
// configured one, or more for a window that holds more pieces.
func (s *streamBuffer) streamRangeLimit(cfg *PresentationConfig) int {
	return max(cfg.MaxStreamRanges, int(min(s.window/rangeBytes, 1<<30)))
}

// sessionRangeLimit is the session's, likewise.
func (m *dataPresentationManager) sessionRangeLimit(cfg *PresentationConfig) int64 {
	return max(int64(cfg.MaxSessionRanges), int64(min(m.rwm.size.Load()/rangeBytes, 1<<40)))
}
