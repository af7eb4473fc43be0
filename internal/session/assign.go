package session

import (
	"crypto/sha256"
	"fmt"

	"github.com/kwik-transport/kwik/internal/data"
	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// Range authority (SPEC rule 8): the primary assigns each piece a secondary
// may write, with its SHA-256, on its own control stream; the client holds a
// secondary's bytes until their piece is complete and verified.

// DigestSize is the size of a piece digest (SHA-256).
const DigestSize = wire.DigestLen

// Defaults of the Config fields that bound assignments on a client.
const (
	// DefaultMaxAssignments bounds the outstanding assignments per
	// secondary path; each costs data.PieceOverhead bytes.
	DefaultMaxAssignments = 1024
	// DefaultMaxUnverified bounds the memory of one secondary path's bytes
	// held until their pieces are verified.
	DefaultMaxUnverified = 16 << 20
)

// Digest returns the digest of a piece as ASSIGN_RANGE carries it.
func Digest(piece []byte) [DigestSize]byte { return sha256.Sum256(piece) }

// PieceEvent reports that the client discarded a piece a secondary path
// delivered, because its bytes did not match the digest the primary
// assigned (Reason wire.PieceCorrupt), or did not take the assignment at
// all (wire.PieceRefused). The path named is the one at fault for a
// corrupt piece; Spread sends the piece again elsewhere.
type PieceEvent struct {
	PathID   uint64
	StreamID uint64
	Range    presentation.Range
	Reason   wire.PieceFailure
}

func (PieceEvent) isEvent() {}

// AssignRange tells the client that secondary path pathID may write piece
// into stream streamID at offset, and what its bytes are (by digest). The
// client accepts a secondary's bytes only within such assignments, and
// delivers them to the application only once the whole piece arrived and
// matches. Assign before asking the secondary for the bytes (SendRawData
// after AssignRange reaches the client after it, on the same control
// stream). A piece holds 1 to wire.MaxPieceLen bytes and must not overlap
// another outstanding assignment of the same path and stream.
//
// An assignment the client would refuse (the path has Config.MaxAssignments
// outstanding, or the piece overlaps one) fails with an error matching
// ErrAssignmentRefused, and nothing is sent: do not ask the secondary for
// it. A piece stops being outstanding once the client's delivery reports
// for its path and stream cover it, counting the path's pieces in the order
// they were assigned: a secondary writes them in that order (ServeRanges
// does).
func (s *Session) AssignRange(pathID, streamID, offset uint64, piece []byte) error {
	return s.AssignDigest(pathID, streamID, offset, uint64(len(piece)), Digest(piece))
}

// AssignDigest is AssignRange for a piece known by its length and digest.
func (s *Session) AssignDigest(pathID, streamID, offset, length uint64, digest [DigestSize]byte) error {
	if err := s.checkAssignPath(pathID); err != nil {
		return err
	}
	if length == 0 || length > wire.MaxPieceLen || offset > wire.MaxVarint-length {
		return fmt.Errorf("kwik: assigning %d bytes at %d: a piece holds 1 to %d bytes and ends below 2^62", length, offset, wire.MaxPieceLen)
	}
	if err := s.server.ledger.assign(pathID, streamID, offset, length); err != nil {
		return err
	}
	return s.primary.Control().Send(&wire.AssignRange{PathID: pathID, StreamID: streamID, Offset: offset, Length: length, Digest: digest[:]})
}

// WithdrawRange withdraws path pathID's assignments in stream streamID
// that lie within [offset, offset+length): the client drops what it holds
// of them, and bytes the path sends for them later close the path.
func (s *Session) WithdrawRange(pathID, streamID, offset, length uint64) error {
	if err := s.checkAssignPath(pathID); err != nil {
		return err
	}
	length = min(length, wire.MaxVarint-offset)
	s.server.ledger.gone(pathID, streamID, offset, length)
	return s.primary.Control().Send(&wire.WithdrawRange{PathID: pathID, StreamID: streamID, Offset: offset, Length: length})
}

func (s *Session) checkAssignPath(pathID uint64) error {
	ss := s.server
	if ss == nil {
		return ErrNotPrimary
	}
	ss.mu.Lock()
	p := ss.paths[pathID]
	ss.mu.Unlock()
	if p == nil || pathID == 0 {
		return fmt.Errorf("%w %d: pieces are assigned to secondary paths", ErrUnknownPath, pathID)
	}
	if st, err := p.State(); st.Terminal() {
		return fmt.Errorf("kwik: path %d is %v: %v", pathID, st, err)
	}
	return nil
}

// maxPendingFailures bounds the piece failures a primary keeps for
// PieceFailures; older ones are dropped (and were published as events).
const maxPendingFailures = 4096

// pieceFailed records a client's PIECE_FAILED: an event, and an entry for
// PieceFailures; Deliveries' waiters are woken.
func (ss *serverState) pieceFailed(f *wire.PieceFailed) error {
	ss.mu.Lock()
	_, known := ss.paths[f.PathID]
	if known && f.PathID != 0 {
		if len(ss.failures) >= maxPendingFailures {
			ss.failures = ss.failures[1:]
		}
		ss.failures = append(ss.failures, PieceEvent{PathID: f.PathID, StreamID: f.StreamID,
			Range: presentation.Range{Start: f.Offset, End: f.Offset + f.Length}, Reason: f.Reason})
		ss.reportSig.notify()
	}
	ss.mu.Unlock()
	if !known || f.PathID == 0 {
		return protocolError("PIECE_FAILED for path %d, which this primary never added as a secondary", f.PathID)
	}
	if f.Reason == wire.PieceRefused {
		ss.ledger.refused(f.PathID, f.StreamID, f.Offset, f.Length)
	} else {
		ss.ledger.gone(f.PathID, f.StreamID, f.Offset, f.Length)
	}
	ss.s.log.Info("client discarded a piece", "path", f.PathID, "stream", f.StreamID, "offset", f.Offset, "length", f.Length, "reason", f.Reason)
	ss.events.push(PieceEvent{PathID: f.PathID, StreamID: f.StreamID, Range: presentation.Range{Start: f.Offset, End: f.Offset + f.Length}, Reason: f.Reason})
	return nil
}

// PieceFailures returns and forgets the piece failures the client reported
// for a stream since the last call. Take them after Deliveries: a failure
// always arrives before the report that counts the piece's last bytes.
func (s *Session) PieceFailures(streamID uint64) []PieceEvent {
	ss := s.server
	if ss == nil {
		return nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var out []PieceEvent
	kept := ss.failures[:0]
	for _, e := range ss.failures {
		if e.StreamID == streamID {
			out = append(out, e)
		} else {
			kept = append(kept, e)
		}
	}
	clear(ss.failures[len(kept):])
	ss.failures = kept
	return out
}

// admissionConfig is the client's bounds on what secondaries are assigned.
func (cs *clientState) admissionConfig() data.Config {
	c := cs.s.conf
	return data.Config{
		MaxAssignments:   c.MaxAssignments,
		MaxUnverified:    c.MaxUnverifiedBytes,
		AcceptUnassigned: c.InsecureAcceptUnassignedData,
	}
}

// assign records the primary's assignment of a piece to a secondary path,
// or tells the primary it was refused.
func (cs *clientState) assign(f *wire.AssignRange) {
	cs.mu.Lock()
	pc := cs.secondaries[f.PathID]
	cs.mu.Unlock()
	var err error
	switch {
	case pc == nil:
		err = fmt.Errorf("the client has no path %d", f.PathID)
	case cs.s.streamStatus(f.StreamID) == data.StreamClosed:
		return // the stream is over: nothing more will be read
	default:
		if st, _ := pc.State(); st.Terminal() && st != transport.PathRemoved {
			err = fmt.Errorf("path %d is %v", f.PathID, st)
			break
		}
		a := data.Assignment{StreamID: f.StreamID, Offset: f.Offset, Length: f.Length, Digest: [DigestSize]byte(f.Digest)}
		err = cs.s.admission.Assign(f.PathID, a)
	}
	if err != nil {
		cs.s.log.Info("refusing an assignment", "path", f.PathID, "stream", f.StreamID, "offset", f.Offset, "err", err)
		cs.s.primary.Control().Send(&wire.PieceFailed{PathID: f.PathID, StreamID: f.StreamID, Offset: f.Offset, Length: f.Length, Reason: wire.PieceRefused})
	}
}

// withdraw drops assignments on the primary's request.
func (cs *clientState) withdraw(f *wire.WithdrawRange) {
	cs.s.admission.Withdraw(f.PathID, f.StreamID, f.Offset, f.Length)
}
