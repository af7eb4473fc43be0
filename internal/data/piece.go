package data

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"slices"
	"sync"

	"github.com/kwik-transport/kwik/internal/wire"
)

// Memory a piece table charges beyond the payload bytes it holds, so that
// many tiny frames or assignments cannot cost more than their count allows.
const (
	// chunkOverhead is charged per held frame (its slice header and list
	// slot), on top of its buffer's capacity: a 1-byte frame pins a whole
	// pooled buffer.
	chunkOverhead = 64
	// minChunkBuffer is the smallest buffer a frame's payload is read into
	// (the pool's smallest class).
	minChunkBuffer = 1 << 10
	// PieceOverhead is the memory of one outstanding assignment (the struct,
	// its SHA-256 state, its slot in the table): Config's bound on
	// assignments times this is their cost.
	PieceOverhead = 384
)

// Assignment is a piece the primary assigned to a secondary path: Length
// bytes of StreamID from Offset, whose SHA-256 is Digest.
type Assignment struct {
	StreamID uint64
	Offset   uint64
	Length   uint64
	Digest   [wire.DigestLen]byte
}

// piece is an outstanding assignment and the bytes of it received so far.
type piece struct {
	Assignment
	chunks []chunk   // received frames, sorted by offset, disjoint
	got    uint64    // payload bytes received
	hashed uint64    // bytes from Offset fed to sum, in order
	sum    hash.Hash // SHA-256 of bytes [Offset, Offset+hashed)
	held   int       // memory charged for chunks
}

// chunk is one received frame's payload, a pooled buffer.
type chunk struct {
	off uint64
	b   []byte
}

func (p *piece) end() uint64 { return p.Offset + p.Length }

// contains reports whether [off, off+n) lies within the piece.
func (p *piece) contains(off, n uint64) bool { return off >= p.Offset && off+n <= p.end() }

// slot returns where a chunk at off goes, or ok false when [off, off+n)
// overlaps a chunk already held.
func (p *piece) slot(off, n uint64) (i int, ok bool) {
	i, _ = slices.BinarySearchFunc(p.chunks, off, func(c chunk, off uint64) int {
		switch {
		case c.off < off:
			return -1
		case c.off > off:
			return 1
		}
		return 0
	})
	if i > 0 && p.chunks[i-1].off+uint64(len(p.chunks[i-1].b)) > off {
		return i, false
	}
	if i < len(p.chunks) && p.chunks[i].off < off+n {
		return i, false
	}
	return i, true
}

// insert adds a chunk and feeds every newly contiguous byte to the hash.
func (p *piece) insert(i int, c chunk) {
	p.chunks = slices.Insert(p.chunks, i, c)
	p.got += uint64(len(c.b))
	p.held += cap(c.b) + chunkOverhead
	for _, c := range p.chunks[i:] {
		if c.off != p.Offset+p.hashed {
			break
		}
		p.sum.Write(c.b)
		p.hashed += uint64(len(c.b))
	}
}

// verified reports whether a complete piece matches its digest.
func (p *piece) verified() bool {
	var sum [wire.DigestLen]byte
	return p.hashed == p.Length && [wire.DigestLen]byte(p.sum.Sum(sum[:0])) == p.Digest
}

// pieceTable is what one secondary path was assigned and holds: its
// outstanding assignments per stream (sorted by offset, disjoint) and the
// received bytes of each piece, kept out of the stream until the piece is
// complete and verified.
type pieceTable struct {
	maxPieces int // outstanding assignments
	maxHeld   int // memory of held chunks

	mu       sync.Mutex
	byStream map[uint64][]*piece
	n        int
	held     int
	gone     bool // the path ended: assignments are refused
}

func newPieceTable(maxPieces, maxHeld int) *pieceTable {
	return &pieceTable{maxPieces: maxPieces, maxHeld: maxHeld, byStream: make(map[uint64][]*piece)}
}

// find returns the index of the piece of a stream that starts at or before
// off, and whether it contains [off, off+n).
func find(ps []*piece, off, n uint64) (int, bool) {
	i, found := slices.BinarySearchFunc(ps, off, func(p *piece, off uint64) int {
		switch {
		case p.Offset < off:
			return -1
		case p.Offset > off:
			return 1
		}
		return 0
	})
	if !found {
		i--
	}
	return i, i >= 0 && ps[i].contains(off, n)
}

// AssignError says why a piece table refused an assignment.
type AssignError struct{ Reason string }

func (e *AssignError) Error() string { return "kwik: assignment refused: " + e.Reason }

// assign records an assignment. An exact repeat of an outstanding one is
// accepted and changes nothing.
func (t *pieceTable) assign(a Assignment) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gone {
		return &AssignError{Reason: "the path has ended"}
	}
	ps := t.byStream[a.StreamID]
	i, _ := find(ps, a.Offset, 1)
	if i >= 0 && ps[i].Assignment == a {
		return nil
	}
	if (i >= 0 && ps[i].end() > a.Offset) || (i+1 < len(ps) && ps[i+1].Offset < a.Offset+a.Length) {
		return &AssignError{Reason: fmt.Sprintf("[%d, %d) of stream %d overlaps another assignment of the path", a.Offset, a.Offset+a.Length, a.StreamID)}
	}
	if t.n >= t.maxPieces {
		return &AssignError{Reason: fmt.Sprintf("the path has %d assignments outstanding, the client's maximum", t.n)}
	}
	t.byStream[a.StreamID] = slices.Insert(ps, i+1, &piece{Assignment: a, sum: sha256.New()})
	t.n++
	return nil
}

// check judges a frame's header: nil if it lies in an assignment and has
// room, else a *PathError (unassigned bytes, bytes received twice, or too
// many bytes held unverified). unassigned is set, with a nil error, when the
// frame lies in no assignment and touches none: the caller decides.
func (t *pieceTable) check(pathID uint64, h wire.StreamHeader) (unassigned bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _, err = t.locate(pathID, h)
	if err == errUnassigned {
		return true, nil
	}
	return false, err
}

var errUnassigned = &PathError{} // sentinel of locate, never returned to callers

// locate finds the piece and chunk slot for a frame; t.mu is held.
func (t *pieceTable) locate(pathID uint64, h wire.StreamHeader) (*piece, int, error) {
	off, n := h.Offset, uint64(h.Length)
	ps := t.byStream[h.StreamID]
	i, ok := find(ps, off, n)
	if !ok {
		touches := (i >= 0 && ps[i].end() > off) || (i+1 < len(ps) && ps[i+1].Offset < off+n)
		if !touches {
			return nil, 0, errUnassigned
		}
		return nil, 0, &PathError{Code: wire.ProtocolViolation, Reason: fmt.Sprintf(
			"secondary path %d wrote bytes [%d, %d) of stream %d across the edge of a piece the primary assigned to it", pathID, off, off+n, h.StreamID)}
	}
	p := ps[i]
	slot, ok := p.slot(off, n)
	if !ok {
		return nil, 0, &PathError{Code: wire.ProtocolViolation, Reason: fmt.Sprintf(
			"secondary path %d wrote bytes [%d, %d) of stream %d twice", pathID, off, off+n, h.StreamID)}
	}
	if t.held+chunkCharge(h.Length) > t.maxHeld {
		return nil, 0, &PathError{Code: wire.FlowControlError, Reason: fmt.Sprintf(
			"secondary path %d holds %d bytes of unverified pieces; the client allows %d", pathID, t.held, t.maxHeld)}
	}
	return p, slot, nil
}

// chunkCharge is what a frame of n payload bytes will cost once held: the
// pool's power-of-two buffer for it, at least minChunkBuffer, and the
// chunk's overhead.
func chunkCharge(n int) int {
	c := minChunkBuffer
	for c < n {
		c <<= 1
	}
	return c + chunkOverhead
}

// add stores a frame's payload in its piece. When that completes the piece,
// it is removed from the table and returned; the caller verifies it and
// owns its chunks.
func (t *pieceTable) add(pathID uint64, h wire.StreamHeader, payload []byte) (*piece, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, slot, err := t.locate(pathID, h)
	if err == errUnassigned {
		err = &PathError{Code: wire.ProtocolViolation, Reason: fmt.Sprintf(
			"secondary path %d wrote bytes [%d, %d) of stream %d, which the primary did not assign to it", pathID, h.Offset, h.Offset+uint64(h.Length), h.StreamID)}
	}
	if err != nil {
		return nil, err
	}
	before := p.held
	p.insert(slot, chunk{off: h.Offset, b: payload})
	t.held += p.held - before
	if p.got < p.Length {
		return nil, nil
	}
	t.removeLocked(p)
	return p, nil
}

// removeLocked drops p from the table; its chunks are the caller's.
func (t *pieceTable) removeLocked(p *piece) {
	ps := t.byStream[p.StreamID]
	if i, ok := find(ps, p.Offset, 1); ok && ps[i] == p {
		ps = slices.Delete(ps, i, i+1)
	}
	if len(ps) == 0 {
		delete(t.byStream, p.StreamID)
	} else {
		t.byStream[p.StreamID] = ps
	}
	t.n--
	t.held -= p.held
}

// withdraw drops the stream's assignments lying within [off, off+n) and
// returns them; their chunks are the caller's.
func (t *pieceTable) withdraw(streamID, off, n uint64) []*piece {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*piece
	for _, p := range t.byStream[streamID] {
		if p.Offset >= off && p.end() <= off+n {
			out = append(out, p)
		}
	}
	for _, p := range out {
		t.removeLocked(p)
	}
	return out
}

// dropStream drops every assignment of a stream and returns them.
func (t *pieceTable) dropStream(streamID uint64) []*piece {
	return t.withdraw(streamID, 0, wire.MaxVarint)
}

// close drops everything and refuses later assignments: the path ended.
func (t *pieceTable) close() []*piece {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gone = true
	var out []*piece
	for _, ps := range t.byStream {
		out = append(out, ps...)
	}
	clear(t.byStream)
	t.n, t.held = 0, 0
	return out
}

// usage returns the outstanding assignments and the memory of held chunks.
func (t *pieceTable) usage() (pieces, held int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n, t.held
}
