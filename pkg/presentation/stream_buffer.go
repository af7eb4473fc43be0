package presentation

import (
	"bytes"
	"context"
	"io"
	"time"
	"unsafe"

	"github.com/kwik-transport/kwik/internal/gate"
)

// streamState is the life cycle of a stream buffer.
type streamState uint8

const (
	stateOpen   streamState = iota
	stateFailed             // conflict or FailStream: readers get err, data dropped
	stateClosed             // removed or manager closed
)

func (s streamState) String() string {
	return [...]string{"open", "failed", "closed"}[s]
}

// clockBase anchors monotime, a cheap monotonic clock in nanoseconds.
var clockBase = time.Now()

func monotime() int64 { return int64(time.Since(clockBase)) }

// chunk is one stored piece of a stream: bytes [off, off+len(data)) that
// point into a block the chunk holds a reference to (buf), or, buf nil,
// into a pooled payload the chunk owns alone, which needs no reference
// count and no handle: data is then the payload's tail from its head-th
// byte to the end of its slice. A chunk is 48 B, of which a list block
// holds 32, so that finding a piece among thousands touches few cache lines.
type chunk struct {
	off  uint64
	data []byte
	buf  *buffer
	head int
}

func (c *chunk) end() uint64 { return c.off + uint64(len(c.data)) }

// key orders a stream's chunks: they are disjoint, so their ends increase.
func (c chunk) key() uint64 { return c.end() }

// consumed records that n bytes at the front of data were read or skipped.
func (c *chunk) consumed(n int) {
	c.off += uint64(n)
	c.data = c.data[n:]
	if c.buf != nil {
		c.buf.live -= n
		return
	}
	c.head += n
}

// payload returns the whole slice of the pooled payload an owning chunk
// holds: data reaches its end, and starts head bytes into it. data is
// never empty, so its pointer is inside the payload.
func (c *chunk) payload() []byte {
	p := unsafe.Add(unsafe.Pointer(unsafe.SliceData(c.data)), -c.head)
	return unsafe.Slice((*byte)(p), c.head+cap(c.data))
}

// dense reports whether every byte of the chunk's memory is stored.
func (c *chunk) dense() bool {
	if c.buf != nil {
		return c.buf.live == len(c.buf.data)
	}
	return c.head == 0 && len(c.data) == cap(c.data)
}

// streamCounters are one stream's statistics, kept under its lock.
type streamCounters struct {
	bytesWritten, bytesRead, duplicates uint64
	writes, reads                       uint64
	conflicts, flowViolations           uint64
	latencySum, latencyCount            uint64 // nanoseconds, pieces
	latencyMax                          int64
	bpEvents                            uint64
	compactions                         uint64
}

func (c *streamCounters) add(o *streamCounters) {
	c.bytesWritten += o.bytesWritten
	c.bytesRead += o.bytesRead
	c.duplicates += o.duplicates
	c.writes += o.writes
	c.reads += o.reads
	c.conflicts += o.conflicts
	c.flowViolations += o.flowViolations
	c.latencySum += o.latencySum
	c.latencyCount += o.latencyCount
	c.latencyMax = max(c.latencyMax, o.latencyMax)
	c.bpEvents += o.bpEvents
	c.compactions += o.compactions
}

// effects are what a stream operation leaves to do once the stream lock
// is released: callbacks, threshold checks and releasing the window share.
// State (session counters, backpressure) is updated under the stream lock,
// so that a reader's update is never applied before the writer's it follows.
type effects struct {
	usedMoved        bool
	usedFrom, usedTo uint64 // session bytes buffered before and after
	consumed         bool   // the session consumed offset advanced
	advertise        bool   // limit moved enough to be worth advertising
	limit            uint64
	bp               []bpEvent  // backpressure transitions to report
	ended            bool       // stream failed or closed and its share released: advertise the room
	wake             *gate.Gate // set it: a blocked reader should look again
}

// streamBuffer is the receive buffer of one logical stream: pieces stored
// by offset, the read position, the stream's flow-control limit and the
// gate blocked readers wait at. The received set is not kept apart: it is
// every offset below readPos plus the offsets of the chunks, and contig
// and runs cache what the hot path asks of it.
type streamBuffer struct {
	id   uint64
	meta StreamMetadata
	m    *dataPresentationManager

	mu         mutex
	chunks     sortedList[chunk] // unread received bytes, ordered and disjoint
	contig     uint64            // first offset at or after readPos not received
	runs       int               // maximal runs of touching chunks
	stamps     uint8             // writes since the last latency sample
	sampleAt   int64             // monotime a sampled write arrived, 0: none pending
	sampleEnd  uint64            // its end: read latency is taken once readPos reaches it
	readPos    uint64
	buffered   uint64
	finalSize  uint64
	finalKnown bool
	state      streamState
	err        error      // what readers get once the stream failed or closed
	readable   *gate.Gate // set when a read may return; made by the first reader to wait
	waiters    int        // readers waiting at readable

	// Memory (stream_memory.go): the block small writes are copied into,
	// the capacity of every buffer held, the ranges counted in the session.
	block         *buffer
	capacity      uint64
	rangesCounted int

	// Flow control: limit = max(previous limit, readPos + window). The
	// window is the stream's share of the session window while shared.
	window, limit, advertised uint64
	shared                    bool
	epochStart                int64 // auto-tuning epoch
	epochOffset               uint64
	lastRead                  int64
	bpReason                  BackpressureReason // None: not under backpressure
	bpSince                   int64              // monotime it started
	senderBlocked             bool               // advertise the next increase at once
	grownAt                   uint64             // 1 + the blocked sender's limit that last grew the window

	gap gapState
	st  streamCounters
}

func newStreamBuffer(id uint64, meta *StreamMetadata, m *dataPresentationManager, window uint64) *streamBuffer {
	s := &streamBuffer{id: id, m: m, window: window, shared: true}
	if meta != nil {
		s.meta = *meta
	}
	s.limit = min(window, maxOffset)
	s.advertised = s.limit
	now := monotime()
	s.epochStart, s.lastRead = now, now
	return s
}

func (s *streamBuffer) config() *PresentationConfig { return s.m.config() }

// StreamID returns the stream this buffer belongs to.
func (s *streamBuffer) StreamID() uint64 { return s.id }

// Metadata returns the metadata given at creation.
func (s *streamBuffer) Metadata() StreamMetadata { return s.meta }

// Write stores a copy of data at offset.
func (s *streamBuffer) Write(offset uint64, data []byte) error {
	return s.WriteWithMetadata(offset, data, nil)
}

// WriteWithMetadata stores data at offset; DataFlagPooled is ignored here
// (the manager resolves ownership), DataFlagFin sets the final size.
func (s *streamBuffer) WriteWithMetadata(offset uint64, data []byte, meta *DataMetadata) error {
	var md DataMetadata
	if meta != nil {
		md = *meta
	}
	eff, err := s.write(offset, data, false, md)
	s.apply(eff)
	return err
}

// write stores data at off. pooled says data came from GetBuffer and is
// handed over: a payload that fills ¾ of its slice is kept as it is,
// anything else is copied and the slice goes back to the pool.
func (s *streamBuffer) write(off uint64, data []byte, pooled bool, md DataMetadata) (eff effects, err error) {
	var own []byte // the payload's slice, if it may be kept as it is
	if pooled && 4*len(data) >= 3*cap(data) && isClassSize(cap(data)) {
		own = data[:cap(data)]
	}
	mayKeep := own != nil
	s.mu.Lock()
	err = s.writeLocked(&eff, off, data, &own, md)
	s.mu.Unlock()
	if pooled && !(mayKeep && own == nil) { // not kept: copied, duplicate or refused
		s.m.pool.putSlice(data)
	}
	return eff, err
}

// writeLocked is write under the stream lock. *own, when not nil, is the
// whole slice of data, which is kept without copying if it lands in one
// hole; *own is then set to nil.
func (s *streamBuffer) writeLocked(eff *effects, off uint64, data []byte, own *[]byte, md DataMetadata) error {
	n := uint64(len(data))
	end := off + n
	if s.state != stateOpen {
		return streamErr(s.id, ErrStreamClosed)
	}
	if off > maxOffset || n > maxOffset-off || end > s.limit {
		s.st.flowViolations++
		return &FlowControlError{StreamID: s.id, Offset: off, End: end, Limit: s.limit}
	}
	if err := s.checkFinalSizeLocked(end, md.Flags&DataFlagFin != 0); err != nil {
		return err
	}
	if off < s.readPos { // already read: nothing left to compare with
		skip := min(s.readPos, end) - off
		s.st.duplicates += skip
		off += skip
		data = data[skip:]
		var none []byte
		own = &none // a trimmed payload is copied
	}
	if off < end {
		if err := s.checkRangesLocked(off, end); err != nil {
			return err
		}
	}
	s.st.writes++
	if md.Flags&DataFlagFin != 0 && !s.finalKnown {
		s.finalKnown, s.finalSize = true, end
	}
	if off < end {
		stored, conflictAt, ok := s.storeLocked(off, data, own)
		s.accountLocked(eff, stored, 0, 0)
		s.buffered += stored
		s.st.bytesWritten += stored
		s.st.duplicates += uint64(len(data)) - stored
		if !ok {
			s.st.conflicts++
			cerr := &ConflictError{StreamID: s.id, Offset: conflictAt, PathID: md.PathID}
			s.endLocked(stateFailed, cerr, eff)
			return cerr
		}
		if off <= s.contig && s.contig < end {
			s.advanceContigLocked()
		}
		if stored > 0 {
			s.sampleLocked(end)
		}
		s.countRangesLocked()
		// Compact only when it frees at least half of what the buffers
		// hold: what is left over the bound then is bookkeeping, which the
		// range bound limits, and a compaction per write would be quadratic.
		if s.memLocked() > s.memLimitLocked() && s.capacity > 2*s.buffered+2*blockSize {
			s.compactLocked()
		}
		s.checkBackpressureOnWriteLocked(eff)
		s.growOnReorderLocked(eff, end)
	}
	s.wakeReadersLocked(eff)
	s.checkGapLocked()
	return nil
}

// checkFinalSizeLocked rejects data past the final size and final sizes
// that contradict what is known.
func (s *streamBuffer) checkFinalSizeLocked(end uint64, fin bool) error {
	switch {
	case s.finalKnown && end > s.finalSize:
		return &FinalSizeError{StreamID: s.id, FinalSize: s.finalSize, Offset: end, Reason: "data past the final size"}
	case fin && s.finalKnown && end != s.finalSize:
		return &FinalSizeError{StreamID: s.id, FinalSize: s.finalSize, Offset: end, Reason: "final size changed"}
	case fin && end < s.maxReceivedLocked():
		return &FinalSizeError{StreamID: s.id, FinalSize: s.maxReceivedLocked(), Offset: end, Reason: "final size below bytes already received"}
	}
	return nil
}

// storeLocked keeps the parts of [off, off+len(data)) not yet buffered and
// compares the parts already buffered. A payload that lands whole in one
// hole is kept as it is when *own holds its slice (*own becomes nil);
// anything else is copied into the stream's blocks. It returns the number
// of bytes stored, and ok false with the first differing offset on a conflict.
func (s *streamBuffer) storeLocked(off uint64, data []byte, own *[]byte) (stored, conflictAt uint64, ok bool) {
	end := off + uint64(len(data))
	cur := off
	small := false
	c := s.chunks.seek(off + 1)
	if *own != nil && (!s.chunks.valid(c) || s.chunks.at(c).off >= end) {
		s.runs += 1 - s.touchingLocked(c, off, end)
		s.holdLocked(len(*own))
		// data is *own cut to its length: its capacity reaches the
		// payload's end, where payload() finds it again.
		s.chunks.insert(c, chunk{off: off, data: data})
		*own = nil
		if len(data) < mergeMax {
			s.mergeLocked(off, end)
		}
		return uint64(len(data)), 0, true
	}
	for cur < end {
		next := end // where the hole starting at cur ends
		if s.chunks.valid(c) {
			next = min(end, s.chunks.at(c).off)
		}
		if cur < next {
			s.runs += 1 - s.touchingLocked(c, cur, next)
			c = s.appendLocked(c, cur, data[cur-off:next-off])
			small = small || next-cur < mergeMax
			stored += next - cur
			cur = next
			continue
		}
		k := s.chunks.at(c)
		ovEnd := min(end, k.end())
		mine, theirs := data[cur-off:ovEnd-off], k.data[cur-k.off:ovEnd-k.off]
		if !bytes.Equal(mine, theirs) {
			i := 0
			for mine[i] == theirs[i] {
				i++
			}
			return stored, cur + uint64(i), false
		}
		cur = ovEnd
		c = s.chunks.next(c)
	}
	if small {
		s.mergeLocked(off, end)
	}
	return stored, 0, true
}

// wakeReadersLocked has a blocked reader woken, once the lock is released,
// when a read would now return. A woken reader that leaves something to
// read wakes the next one (readWait), so that every waiter gets its turn.
func (s *streamBuffer) wakeReadersLocked(eff *effects) {
	if s.waiters == 0 {
		return
	}
	first := s.chunks.first()
	if (first != nil && first.off == s.readPos) || s.state != stateOpen || (s.finalKnown && s.readPos == s.finalSize) {
		eff.wake = s.readable
	}
}

// Read copies contiguous bytes from the read position into p, blocking
// until at least one byte, the end of the stream or an error.
func (s *streamBuffer) Read(p []byte) (int, error) {
	return s.readWait(context.Background(), p, nil)
}

// ReadContext is Read that gives up when ctx is done, returning ctx.Err().
func (s *streamBuffer) ReadContext(ctx context.Context, p []byte) (int, error) {
	return s.readWait(ctx, p, nil)
}

// ReadContiguous copies the bytes available at the read position without
// blocking: 0 and a nil error mean the reader is at a hole.
func (s *streamBuffer) ReadContiguous(p []byte) (int, error) {
	s.mu.Lock()
	n, eff, err := s.readLocked(p)
	s.mu.Unlock()
	s.apply(eff)
	return n, err
}

// readWait reads, waiting at the readable gate for the writer's wake-up
// (never polling) until data, the end, an error, ctx or timeout. The gate
// says only "look again": a wake-up nobody needed costs one more look.
func (s *streamBuffer) readWait(ctx context.Context, p []byte, timeout <-chan time.Time) (int, error) {
	woken := false
	for {
		s.mu.Lock()
		if woken {
			s.waiters--
		}
		n, eff, err := s.readLocked(p)
		if n > 0 || err != nil || len(p) == 0 {
			s.wakeReadersLocked(&eff)
			s.mu.Unlock()
			s.apply(eff)
			return n, err
		}
		if s.readable == nil {
			g := gate.New()
			s.readable = &g
		}
		s.waiters++
		ready := s.readable
		s.mu.Unlock()
		select {
		case <-ready.Ready():
			ready.Unlock(false)
			woken = true
		case <-ctx.Done():
			s.stopWaiting()
			return 0, ctx.Err()
		case <-timeout:
			s.stopWaiting()
			return 0, &timeoutError{streamID: s.id}
		}
	}
}

// stopWaiting counts out a reader that gave up waiting.
func (s *streamBuffer) stopWaiting() {
	s.mu.Lock()
	s.waiters--
	s.mu.Unlock()
}

// readLocked copies contiguous bytes from the read position into p and
// releases every piece it finishes.
func (s *streamBuffer) readLocked(p []byte) (n int, eff effects, err error) {
	if s.state != stateOpen {
		return 0, eff, s.err
	}
	for n < len(p) {
		k := s.chunks.first()
		if k == nil || k.off != s.readPos {
			break
		}
		c := copy(p[n:], k.data)
		n += c
		s.readPos += uint64(c)
		if c < len(k.data) {
			k.consumed(c)
			break
		}
		s.popChunkLocked(k)
	}
	if n > 0 {
		now := monotime()
		if s.sampleAt != 0 && s.readPos >= s.sampleEnd {
			s.recordLatencyLocked(now - s.sampleAt)
			s.sampleAt = 0
		}
		s.lastRead = now
		s.st.reads++
		s.st.bytesRead += uint64(n)
		s.buffered -= uint64(n)
		s.accountLocked(&eff, 0, uint64(n), uint64(n))
		s.checkBackpressureOnReadLocked(&eff)
		s.updateLimitLocked(&eff, now)
		s.checkGapLocked()
	}
	if s.finalKnown && s.readPos == s.finalSize {
		err = io.EOF
	}
	return n, eff, err
}

// GetReadPosition returns the offset of the next byte to read.
func (s *streamBuffer) GetReadPosition() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readPos
}

// SetReadPosition skips forward to pos, dropping the bytes before it.
// Moving backwards fails with ErrInvalidReadPosition: those bytes are gone.
func (s *streamBuffer) SetReadPosition(pos uint64) error {
	s.mu.Lock()
	eff, err := s.skipLocked(pos)
	s.mu.Unlock()
	s.apply(eff)
	return err
}

// AdvanceReadPosition skips n bytes.
func (s *streamBuffer) AdvanceReadPosition(n uint64) error {
	s.mu.Lock()
	if n > maxOffset-s.readPos {
		s.mu.Unlock()
		return streamErr(s.id, ErrInvalidReadPosition)
	}
	eff, err := s.skipLocked(s.readPos + n)
	s.mu.Unlock()
	s.apply(eff)
	return err
}

func (s *streamBuffer) skipLocked(pos uint64) (eff effects, err error) {
	switch {
	case s.state != stateOpen:
		return eff, s.err
	case pos < s.readPos || pos > maxOffset || (s.finalKnown && pos > s.finalSize):
		return eff, streamErr(s.id, ErrInvalidReadPosition)
	}
	var freed uint64
	for k := s.chunks.first(); k != nil && k.off < pos; k = s.chunks.first() {
		if k.end() > pos {
			drop := pos - k.off
			k.consumed(int(drop))
			freed += drop
			break
		}
		freed += uint64(len(k.data))
		s.popChunkLocked(k)
	}
	s.buffered -= freed
	s.accountLocked(&eff, 0, freed, pos-s.readPos)
	s.readPos = pos
	s.contig = max(s.contig, pos)
	s.advanceContigLocked()
	s.countRangesLocked()
	s.checkBackpressureOnReadLocked(&eff)
	s.updateLimitLocked(&eff, monotime())
	s.wakeReadersLocked(&eff)
	s.checkGapLocked()
	return eff, nil
}

// GetBufferUsage returns the buffer's memory use.
func (s *streamBuffer) GetBufferUsage() BufferUsage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usageLocked()
}

func (s *streamBuffer) usageLocked() BufferUsage {
	u := BufferUsage{
		Buffered:     s.buffered,
		Window:       s.window,
		Chunks:       s.chunks.len(),
		Ranges:       s.runs,
		ReadPosition: s.readPos,
	}
	if s.window > 0 {
		u.Utilization = float64(s.buffered) / float64(s.window)
	}
	return u
}

// Stats returns the stream's counters.
func (s *streamBuffer) Stats() StreamStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := StreamStats{
		StreamID:        s.id,
		BytesWritten:    s.st.bytesWritten,
		BytesRead:       s.st.bytesRead,
		DuplicateBytes:  s.st.duplicates,
		Writes:          s.st.writes,
		Reads:           s.st.reads,
		Conflicts:       s.st.conflicts,
		FlowViolations:  s.st.flowViolations,
		BufferUsage:     s.usageLocked(),
		Limit:           s.limit,
		FinalSize:       s.finalSize,
		FinalSizeKnown:  s.finalKnown,
		Failed:          s.state == stateFailed,
		LatencyMax:      time.Duration(s.st.latencyMax),
		BackpressureNow: s.bpReason != BackpressureReasonNone,
	}
	if s.st.latencyCount > 0 {
		st.LatencyAvg = time.Duration(s.st.latencySum / s.st.latencyCount)
	}
	return st
}

// Cleanup gives memory of consumed bytes back: pieces are already released
// as they are read; this drops the spare index blocks too.
func (s *streamBuffer) Cleanup() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chunks.spare = nil
}

// Close releases every buffered byte; readers get ErrStreamClosed.
func (s *streamBuffer) Close() error {
	var eff effects
	s.mu.Lock()
	s.endLocked(stateClosed, streamErr(s.id, ErrStreamClosed), &eff)
	s.mu.Unlock()
	s.apply(eff)
	return nil
}

// apply carries out effects once the stream lock is released.
func (s *streamBuffer) apply(eff effects) { s.m.applyEffects(s, eff) }

var _ io.Reader = (*streamBuffer)(nil)
