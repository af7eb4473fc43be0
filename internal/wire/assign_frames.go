package wire

import "strconv"

// Bounds of range assignments (SPEC rule 8).
const (
	// DigestLen is the size of a piece digest (SHA-256).
	DigestLen = 32
	// MaxPieceLen bounds the Length of one assigned piece: the client holds
	// a piece's bytes until it is complete and verified, so a piece must
	// fit comfortably in a stream's window.
	MaxPieceLen = 4 << 20
)

// assignedRange is the range part shared by the assignment frames: Length
// bytes of stream StreamID from Offset, on secondary path PathID.
type assignedRange struct {
	PathID   uint64
	StreamID uint64
	Offset   uint64
	Length   uint64
}

func (r *assignedRange) encode(e *encoder) {
	e.uint("PathID", r.PathID)
	e.uint("StreamID", r.StreamID)
	e.uint("Offset", r.Offset)
	e.uint("Length", r.Length)
	if e.sizing {
		if err := r.check(e.frame); err != nil {
			e.fail(err)
		}
	}
}

func (r *assignedRange) decode(d *decoder) {
	r.PathID = d.uint("PathID")
	r.StreamID = d.uint("StreamID")
	r.Offset = d.uint("Offset")
	r.Length = d.uint("Length")
	if d.err == nil {
		if err := r.check(d.frame); err != nil {
			d.fail(err)
		}
	}
}

// check bounds the range: not empty, at most MaxPieceLen, ending at or
// below 2^62-1.
func (r *assignedRange) check(t FrameType) *Error {
	switch {
	case r.Length == 0:
		return newError(t, "Length", "is 0: a piece holds at least one byte")
	case r.Length > MaxPieceLen:
		return newError(t, "Length", "%d exceeds MaxPieceLen (%d)", r.Length, MaxPieceLen)
	case r.Offset > MaxVarint-r.Length:
		return newError(t, "Length", "the piece at %d of %d bytes ends past 2^62-1", r.Offset, r.Length)
	}
	return nil
}

// AssignRange (ASSIGN_RANGE), primary → client: secondary path PathID may
// write bytes [Offset, Offset+Length) of stream StreamID, and their SHA-256
// is Digest. The client keeps them out of the stream until the whole piece
// has arrived and matches.
type AssignRange struct {
	PathID   uint64
	StreamID uint64
	Offset   uint64
	Length   uint64 // 1 to MaxPieceLen
	Digest   []byte // DigestLen bytes
}

// Type returns FrameAssignRange.
func (f *AssignRange) Type() FrameType { return FrameAssignRange }

// Append appends the encoded frame to b.
func (f *AssignRange) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameAssignRange)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *AssignRange) encode(e *encoder) {
	r := assignedRange{f.PathID, f.StreamID, f.Offset, f.Length}
	r.encode(e)
	e.fixedBytes("Digest", f.Digest, DigestLen, false)
}

func (f *AssignRange) decode(d *decoder) {
	var r assignedRange
	r.decode(d)
	f.PathID, f.StreamID, f.Offset, f.Length = r.PathID, r.StreamID, r.Offset, r.Length
	f.Digest = d.fixedBytes("Digest", DigestLen, false)
}

// WithdrawRange (WITHDRAW_RANGE), primary → client: every assignment of
// path PathID in stream StreamID that lies within [Offset, Offset+Length)
// is withdrawn; bytes of it held by the client are dropped, and bytes the
// path sends for it later are unassigned (a protocol violation).
type WithdrawRange struct {
	PathID   uint64
	StreamID uint64
	Offset   uint64
	Length   uint64
}

// Type returns FrameWithdrawRange.
func (f *WithdrawRange) Type() FrameType { return FrameWithdrawRange }

// Append appends the encoded frame to b.
func (f *WithdrawRange) Append(b []byte) ([]byte, error) {
	e := newEncoder(FrameWithdrawRange)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *WithdrawRange) encode(e *encoder) {
	e.uint("PathID", f.PathID)
	e.uint("StreamID", f.StreamID)
	e.uint("Offset", f.Offset)
	e.uint("Length", f.Length)
	if e.sizing && f.Offset > MaxVarint-f.Length {
		e.fail(newError(FrameWithdrawRange, "Length", "the range at %d of %d bytes ends past 2^62-1", f.Offset, f.Length))
	}
}

func (f *WithdrawRange) decode(d *decoder) {
	f.PathID = d.uint("PathID")
	f.StreamID = d.uint("StreamID")
	f.Offset = d.uint("Offset")
	f.Length = d.uint("Length")
	if d.err == nil && f.Offset > MaxVarint-f.Length {
		d.fail(newError(FrameWithdrawRange, "Length", "the range at %d of %d bytes ends past 2^62-1", f.Offset, f.Length))
	}
}

// PieceFailure is the Reason of a PIECE_FAILED frame.
type PieceFailure uint64

// Piece failures.
const (
	// PieceCorrupt: the path delivered the whole piece and its digest did
	// not match; its bytes were discarded.
	PieceCorrupt PieceFailure = 1
	// PieceRefused: the client did not take the assignment (too many
	// outstanding for that path, overlapping another of its assignments,
	// or for a path it does not have); it accepts none of its bytes.
	PieceRefused PieceFailure = 2
)

// String returns the failure's name, or "PieceFailure(n)".
func (r PieceFailure) String() string {
	switch r {
	case PieceCorrupt:
		return "corrupt"
	case PieceRefused:
		return "refused"
	}
	return "PieceFailure(" + strconv.FormatUint(uint64(r), 10) + ")"
}

// PieceFailed (PIECE_FAILED), client → primary: the assigned piece
// [Offset, Offset+Length) of stream StreamID on path PathID did not reach
// the stream, for Reason; the primary sends it again or elsewhere.
type PieceFailed struct {
	PathID   uint64
	StreamID uint64
	Offset   uint64
	Length   uint64 // 1 to MaxPieceLen
	Reason   PieceFailure
}

// Type returns FramePieceFailed.
func (f *PieceFailed) Type() FrameType { return FramePieceFailed }

// Append appends the encoded frame to b.
func (f *PieceFailed) Append(b []byte) ([]byte, error) {
	e := newEncoder(FramePieceFailed)
	f.encode(&e)
	if err := e.start(b); err != nil {
		return b, err
	}
	f.encode(&e)
	return e.b, nil
}

func (f *PieceFailed) encode(e *encoder) {
	r := assignedRange{f.PathID, f.StreamID, f.Offset, f.Length}
	r.encode(e)
	e.uint("Reason", uint64(f.Reason))
	if e.sizing && !f.Reason.valid() {
		e.fail(pieceFailureError(f.Reason))
	}
}

func (f *PieceFailed) decode(d *decoder) {
	var r assignedRange
	r.decode(d)
	f.PathID, f.StreamID, f.Offset, f.Length = r.PathID, r.StreamID, r.Offset, r.Length
	f.Reason = PieceFailure(d.uint("Reason"))
	if d.err == nil && !f.Reason.valid() {
		d.fail(pieceFailureError(f.Reason))
	}
}

func (r PieceFailure) valid() bool { return r == PieceCorrupt || r == PieceRefused }

func pieceFailureError(r PieceFailure) *Error {
	return newError(FramePieceFailed, "Reason", "%d is not a piece failure (1 or 2)", uint64(r))
}
