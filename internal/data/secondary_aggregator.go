package data

import (
	"errors"
	"fmt"
	"sync"

	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// StreamStatus is what the client knows of a stream ID.
type StreamStatus int

// Stream statuses.
const (
	StreamUnknown StreamStatus = iota // never opened
	StreamOpen
	StreamClosed // existed and is gone: late frames are dropped
)

// SecondaryStreamAggregator places the bytes secondary servers write into
// the client's streams, through the same DataPresentationManager the primary
// path feeds: only into streams the client has, never past their limit or
// final size, only within the pieces the primary assigned to that path, and
// only once a whole piece has arrived and matches its digest (SPEC rule 8).
// Bytes are counted per path for the primary's delivery reports.
type SecondaryStreamAggregator struct {
	dpm        presentation.DataPresentationManager
	deliveries *Deliveries
	lookup     func(streamID uint64) StreamStatus
	// reject tells the path's server that a stream refused its data.
	reject func(pathID, streamID uint64, err error)
	conf   AggregatorConfig

	mu     sync.Mutex
	tables map[uint64]*pieceTable // by path ID
}

// AggregatorConfig bounds and reports what secondaries are assigned.
type AggregatorConfig struct {
	// MaxAssignments bounds the outstanding assignments of one path.
	MaxAssignments int
	// MaxUnverified bounds the memory of one path's received bytes held
	// until their pieces are complete (payload plus a small per-frame
	// overhead).
	MaxUnverified int
	// AcceptUnassigned lets a secondary write bytes outside every
	// assignment straight into the stream, unverified. Insecure.
	AcceptUnassigned bool
	// PieceFailed, if not nil, is told of every complete piece whose
	// digest did not match; its bytes were discarded. It is called before
	// the piece's last bytes are counted in the deliveries, so a report
	// that covers them is sent after the failure.
	PieceFailed func(pathID uint64, a Assignment)
}

// NewSecondaryStreamAggregator returns an aggregator writing into dpm.
func NewSecondaryStreamAggregator(dpm presentation.DataPresentationManager, deliveries *Deliveries,
	lookup func(uint64) StreamStatus, reject func(pathID, streamID uint64, err error), conf AggregatorConfig) *SecondaryStreamAggregator {
	return &SecondaryStreamAggregator{dpm: dpm, deliveries: deliveries, lookup: lookup, reject: reject, conf: conf,
		tables: make(map[uint64]*pieceTable)}
}

// table returns a path's piece table, creating it.
func (a *SecondaryStreamAggregator) table(pathID uint64) *pieceTable {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.tables[pathID]
	if t == nil {
		t = newPieceTable(a.conf.MaxAssignments, a.conf.MaxUnverified)
		a.tables[pathID] = t
	}
	return t
}

// Assign records that the primary assigned a piece to a path. It fails
// with an *AssignError when the path has too many outstanding, when the
// piece overlaps another of the path's, or when the path has ended.
func (a *SecondaryStreamAggregator) Assign(pathID uint64, as Assignment) error {
	if as.Length == 0 || as.Length > wire.MaxPieceLen || as.Offset > wire.MaxVarint-as.Length {
		return &AssignError{Reason: fmt.Sprintf("piece [%d, +%d) is empty, longer than %d or past 2^62-1", as.Offset, as.Length, wire.MaxPieceLen)}
	}
	return a.table(pathID).assign(as)
}

// Withdraw drops a path's assignments in a stream that lie within
// [off, off+n), with the bytes held for them.
func (a *SecondaryStreamAggregator) Withdraw(pathID, streamID, off, n uint64) {
	a.free(a.table(pathID).withdraw(streamID, off, n))
}

// ForgetStream drops every path's assignments of a stream that is gone.
func (a *SecondaryStreamAggregator) ForgetStream(streamID uint64) {
	a.mu.Lock()
	tables := make([]*pieceTable, 0, len(a.tables))
	for _, t := range a.tables {
		tables = append(tables, t)
	}
	a.mu.Unlock()
	for _, t := range tables {
		a.free(t.dropStream(streamID))
	}
}

// PathEnded drops what a path was assigned and holds; later assignments
// for it are refused.
func (a *SecondaryStreamAggregator) PathEnded(pathID uint64) {
	t := a.table(pathID)
	a.free(t.close())
}

// Usage returns a path's outstanding assignments and the memory of the
// bytes it holds unverified.
func (a *SecondaryStreamAggregator) Usage(pathID uint64) (assignments, unverified int) {
	a.mu.Lock()
	t := a.tables[pathID]
	a.mu.Unlock()
	if t == nil {
		return 0, 0
	}
	return t.usage()
}

// free gives the held chunks of dropped pieces back to the pool.
func (a *SecondaryStreamAggregator) free(ps []*piece) {
	for _, p := range ps {
		for _, c := range p.chunks {
			a.dpm.PutBuffer(c.b)
		}
		p.chunks = nil
	}
}

// ForPath returns the Handler for the lanes of one secondary path;
// received, if not nil, is told the payload bytes of every frame (the
// path's statistics).
func (a *SecondaryStreamAggregator) ForPath(pathID uint64, received func(n int)) Handler {
	return &secondaryLanes{a: a, pathID: pathID, received: received, pieces: a.table(pathID)}
}

// UnknownStreamError is the reason a secondary is given when it writes into
// a stream the client does not have.
type UnknownStreamError struct{ StreamID uint64 }

func (e *UnknownStreamError) Error() string {
	return fmt.Sprintf("kwik: stream %d does not exist on the client; secondaries may only write into streams the primary opened", e.StreamID)
}

// secondaryLanes is the Handler of one secondary path.
type secondaryLanes struct {
	a        *SecondaryStreamAggregator
	pathID   uint64
	received func(n int)
	pieces   *pieceTable
}

func (s *secondaryLanes) Admit(h wire.StreamHeader) error {
	if h.Fin {
		return &PathError{Code: wire.ProtocolViolation, Reason: fmt.Sprintf("secondary path %d tried to end stream %d; only the primary may", s.pathID, h.StreamID)}
	}
	switch s.a.lookup(h.StreamID) {
	case StreamUnknown:
		s.a.reject(s.pathID, h.StreamID, &UnknownStreamError{StreamID: h.StreamID})
		return ErrDiscard
	case StreamClosed:
		return ErrDiscard
	}
	if err := CheckLimit(s.a.dpm, h); err != nil {
		return err
	}
	if h.Length == 0 {
		return ErrDiscard // no bytes to vouch for
	}
	unassigned, err := s.pieces.check(s.pathID, h)
	if unassigned && !s.a.conf.AcceptUnassigned {
		return &PathError{Code: wire.ProtocolViolation, Reason: fmt.Sprintf(
			"secondary path %d wrote bytes [%d, %d) of stream %d, which the primary did not assign to it", s.pathID, h.Offset, h.Offset+uint64(h.Length), h.StreamID)}
	}
	return err
}

func (s *secondaryLanes) Buffer(n int) []byte { return s.a.dpm.GetBuffer(n) }
func (s *secondaryLanes) PutBuffer(b []byte)  { s.a.dpm.PutBuffer(b) }

func (s *secondaryLanes) Deliver(h wire.StreamHeader, payload []byte) error {
	n := len(payload)
	if s.received != nil {
		s.received(n)
	}
	if unassigned, _ := s.pieces.check(s.pathID, h); unassigned && s.a.conf.AcceptUnassigned {
		return s.write(h, payload, n)
	}
	p, err := s.pieces.add(s.pathID, h, payload)
	if err != nil {
		s.a.dpm.PutBuffer(payload)
		if s.a.lookup(h.StreamID) != StreamOpen {
			// The stream ended between Admit and now (the client read it
			// all: other paths covered this piece), and its assignments
			// went with it. A late frame, not a violation.
			return nil
		}
		return err
	}
	if p != nil {
		if err := s.complete(p); err != nil {
			return err
		}
	}
	s.a.deliveries.Add(s.pathID, h.StreamID, n)
	return nil
}

// complete writes a whole piece into its stream if it matches its digest,
// and otherwise discards it and reports it.
func (s *secondaryLanes) complete(p *piece) error {
	if !p.verified() {
		s.a.free([]*piece{p})
		if s.a.conf.PieceFailed != nil {
			s.a.conf.PieceFailed(s.pathID, p.Assignment)
		}
		return nil
	}
	for i, c := range p.chunks {
		h := wire.StreamHeader{StreamID: p.StreamID, Offset: c.off, Length: len(c.b)}
		err := Write(s.a.dpm, s.pathID, h, c.b)
		p.chunks[i].b = nil
		var rej *RejectedError
		switch {
		case errors.As(err, &rej):
			s.a.reject(s.pathID, p.StreamID, rej.Err)
			s.a.free([]*piece{{chunks: p.chunks[i+1:]}})
			return nil
		case err != nil:
			s.a.free([]*piece{{chunks: p.chunks[i+1:]}})
			return err
		}
	}
	return nil
}

// write hands bytes outside every assignment straight to the stream (only
// with AcceptUnassigned).
func (s *secondaryLanes) write(h wire.StreamHeader, payload []byte, n int) error {
	err := Write(s.a.dpm, s.pathID, h, payload)
	var rej *RejectedError
	if errors.As(err, &rej) {
		s.a.reject(s.pathID, h.StreamID, rej.Err)
		return nil
	}
	if err == nil {
		s.a.deliveries.Add(s.pathID, h.StreamID, n)
	}
	return err
}

// CheckLimit refuses, before its payload is read, a frame that goes past its
// stream's flow-control limit: that is a protocol violation by the path.
func CheckLimit(dpm presentation.DataPresentationManager, h wire.StreamHeader) error {
	limit, err := dpm.StreamLimit(h.StreamID)
	if err != nil {
		return ErrDiscard // the stream went away meanwhile
	}
	if end := h.Offset + uint64(h.Length); end > limit {
		return &PathError{Code: wire.FlowControlError,
			Reason: fmt.Sprintf("stream %d: data up to offset %d exceeds the advertised limit %d", h.StreamID, end, limit)}
	}
	return nil
}

// RejectedError means a stream refused a frame's data and is now failed
// (conflicting bytes, a final-size violation): the sender should be told, the
// path itself is fine.
type RejectedError struct {
	StreamID uint64
	Err      error
}

func (e *RejectedError) Error() string { return e.Err.Error() }
func (e *RejectedError) Unwrap() error { return e.Err }

// Write hands a frame's payload, owned by the caller and taken over here, to
// the presentation layer and sorts the outcome: nil, *PathError (close the
// path: data past the limit, or a *presentation.RangeLimitError), or *RejectedError (tell the sender). Data for a stream that is
// already closed or cancelled is dropped silently, as QUIC does.
func Write(dpm presentation.DataPresentationManager, pathID uint64, h wire.StreamHeader, payload []byte) error {
	meta := presentation.DataMetadata{PathID: pathID, Flags: presentation.DataFlagPooled}
	if h.Fin {
		meta.Flags |= presentation.DataFlagFin
	}
	err := dpm.WriteToStream(h.StreamID, h.Offset, payload, &meta)
	var fc *presentation.FlowControlError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fc):
		return &PathError{Code: wire.FlowControlError, Reason: err.Error()}
	case errors.Is(err, presentation.ErrTooManyRanges):
		// Fragmenting a stream beyond any legitimate sender is an attack on
		// the receiver's memory: the path goes, the stream stays.
		return &PathError{Code: wire.ProtocolViolation, Reason: err.Error()}
	case errors.Is(err, presentation.ErrStreamClosed), errors.Is(err, presentation.ErrStreamNotFound):
		return nil
	default:
		return &RejectedError{StreamID: h.StreamID, Err: err}
	}
}
