package session

import (
	"errors"
	"fmt"
	"slices"
	"sync"
)

// ErrAssignmentRefused is matched (errors.Is) by AssignRange and
// AssignDigest when the client would refuse the assignment: its path has
// the smaller of its own and the client's Config.MaxAssignments outstanding
// (the client announces its value in CLIENT_HELLO), or the piece overlaps another
// outstanding assignment of the path in the stream. Nothing was sent: do not
// ask the secondary for those bytes (it would be closed for writing outside
// an assignment); send them another way, or wait for the path's next
// delivery report.
var ErrAssignmentRefused = errors.New("kwik: the client would refuse this assignment")

// ledger is the primary's copy of what each client's piece table holds, so
// that it refuses what the client would refuse (SPEC rule 8) before the
// secondary is asked for the bytes. A piece leaves it when the client's
// delivery reports for its path and stream cover it, counting in the
// order of assignment as the secondary writes them (the contract the
// scheduler relies on too), or when the client refused it. Pieces the
// client discarded or the primary withdrew leave it only once covered: the
// ledger may hold more than the client, never less, so what it accepts the
// client accepts. It holds at most max pieces per path.
type ledger struct {
	max int

	mu    sync.Mutex
	paths map[uint64]*pathLedger
}

// pathLedger is one secondary path's outstanding pieces.
type pathLedger struct {
	n       int // pieces held, every stream
	streams map[uint64]*streamLedger
}

// streamLedger is one path's pieces of one stream, in assignment order.
type streamLedger struct {
	pieces []ledgerPiece
	sent   uint64 // bytes of the pieces held, cumulative: the end of the last
	seen   uint64 // delivered bytes reported, cumulative
}

type ledgerPiece struct {
	off, n uint64
	end    uint64 // the stream ledger's cumulative count after this piece
	gone   bool   // discarded or withdrawn on the client: no longer overlaps
}

func newLedger(max int) *ledger { return &ledger{max: max, paths: make(map[uint64]*pathLedger)} }

// assign records a piece, or refuses it as the client would.
func (l *ledger) assign(pathID, streamID, off, n uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.paths[pathID]
	if p == nil {
		p = &pathLedger{streams: make(map[uint64]*streamLedger)}
		l.paths[pathID] = p
	}
	s := p.streams[streamID]
	if s == nil {
		s = new(streamLedger)
		p.streams[streamID] = s
	}
	for _, pc := range s.pieces {
		switch {
		case pc.gone || pc.off+pc.n <= off || off+n <= pc.off:
		case pc.off == off && pc.n == n:
			return nil // the client accepts an exact repeat and changes nothing
		default:
			return fmt.Errorf("%w: [%d, %d) of stream %d overlaps [%d, %d), outstanding on path %d",
				ErrAssignmentRefused, off, off+n, streamID, pc.off, pc.off+pc.n, pathID)
		}
	}
	if p.n >= l.max {
		return fmt.Errorf("%w: path %d has %d pieces outstanding, Config.MaxAssignments", ErrAssignmentRefused, pathID, p.n)
	}
	s.sent += n
	s.pieces = append(s.pieces, ledgerPiece{off: off, n: n, end: s.sent})
	p.n++
	return nil
}

// delivered takes the client's cumulative count of bytes of a stream
// received through a path: the pieces it covers are complete.
func (l *ledger) delivered(pathID, streamID, bytes uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, s := l.stream(pathID, streamID)
	if s == nil || bytes <= s.seen {
		return
	}
	s.seen = bytes
	i := 0
	for i < len(s.pieces) && s.pieces[i].end <= bytes {
		i++
	}
	s.pieces = slices.Delete(s.pieces, 0, i)
	p.n -= i
}

// refused drops a piece the client refused: no byte of it will be
// counted, so the pieces after it move up.
func (l *ledger) refused(pathID, streamID, off, n uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, s := l.stream(pathID, streamID)
	if s == nil {
		return
	}
	for i, pc := range s.pieces {
		if pc.off == off && pc.n == n {
			for j := i + 1; j < len(s.pieces); j++ {
				s.pieces[j].end -= n
			}
			s.sent -= n
			s.pieces = slices.Delete(s.pieces, i, i+1)
			p.n--
			return
		}
	}
}

// gone marks the pieces of a stream within [off, off+n) as no longer held
// by the client (discarded as corrupt, or withdrawn); they stay counted
// until the reports cover them.
func (l *ledger) gone(pathID, streamID, off, n uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, s := l.stream(pathID, streamID)
	if s == nil {
		return
	}
	for i := range s.pieces {
		if pc := &s.pieces[i]; pc.off >= off && pc.off+pc.n <= off+n {
			pc.gone = true
		}
	}
}

// forgetPath drops a path that ended; forgetStream a stream that ended.
func (l *ledger) forgetPath(pathID uint64) {
	l.mu.Lock()
	delete(l.paths, pathID)
	l.mu.Unlock()
}

func (l *ledger) forgetStream(streamID uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.paths {
		if s := p.streams[streamID]; s != nil {
			p.n -= len(s.pieces)
			delete(p.streams, streamID)
		}
	}
}

func (l *ledger) stream(pathID, streamID uint64) (*pathLedger, *streamLedger) {
	p := l.paths[pathID]
	if p == nil {
		return nil, nil
	}
	return p, p.streams[streamID]
}
