package data

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/kwik-transport/kwik/internal/wire"
)

// pieceSetup is a client's receive side that enforces assignments, and
// records the pieces it reports failed.
type pieceSetup struct {
	*aggregatorSetup
	mu     sync.Mutex
	failed []Assignment
}

func newPieceSetup(t *testing.T, maxAssign, maxHeld int) *pieceSetup {
	ps := &pieceSetup{}
	ps.aggregatorSetup = newAggregatorSetupConf(t, Config{MaxAssignments: maxAssign, MaxUnverified: maxHeld})
	ps.pieceFailed = func(pathID uint64, a Assignment) {
		ps.mu.Lock()
		ps.failed = append(ps.failed, a)
		ps.mu.Unlock()
	}
	return ps
}

func (ps *pieceSetup) failures() []Assignment {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]Assignment(nil), ps.failed...)
}

// frame delivers data at off of stream 0 through h as a lane reader does:
// Admit, then Deliver. It returns the first error.
func (ps *pieceSetup) frame(h Handler, off uint64, data []byte) error {
	hdr := wire.StreamHeader{StreamID: 0, Offset: off, Length: len(data)}
	if err := h.Admit(hdr); err != nil {
		return err
	}
	return h.Deliver(hdr, pooled(ps.dpm, string(data)))
}

func assignment(off uint64, data []byte) Assignment {
	return Assignment{StreamID: 0, Offset: off, Length: uint64(len(data)), Digest: sha256.Sum256(data)}
}

func wantPathError(t *testing.T, err error, code wire.ErrorCode, reason string) {
	t.Helper()
	var perr *PathError
	if !errors.As(err, &perr) || perr.Code != code || !strings.Contains(perr.Reason, reason) {
		t.Fatalf("%v, want a %v PathError saying %q", err, code, reason)
	}
}

// readable returns what the application can read of stream 0 now.
func (ps *pieceSetup) readable(t *testing.T) []byte {
	t.Helper()
	sb, err := ps.dpm.GetStreamBuffer(0)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	n, err := sb.ReadContiguous(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

// A secondary's bytes reach the stream only as a whole piece that matches
// its digest, in any frame order; bytes outside every assignment close the
// path.
func TestPieceVerifiedBeforeStream(t *testing.T) {
	ps := newPieceSetup(t, 8, 1<<20)
	h := ps.agg.ForPath(1, RoleSecondary, nil)
	good := bytes.Repeat([]byte("0123456789abcdef"), 256) // 4 KiB
	if err := ps.frame(h, 0, good[:100]); err == nil {
		t.Fatal("unassigned bytes were admitted")
	} else {
		wantPathError(t, err, wire.ProtocolViolation, "did not assign")
	}
	if err := ps.agg.Assign(1, assignment(0, good)); err != nil {
		t.Fatal(err)
	}
	// Second half first: held, nothing readable, nothing failed.
	if err := ps.frame(h, 2048, good[2048:]); err != nil {
		t.Fatal(err)
	}
	if got := ps.readable(t); len(got) != 0 {
		t.Fatalf("%d bytes of an incomplete piece are readable", len(got))
	}
	if _, held := ps.agg.Usage(1); held != 2048+chunkOverhead {
		t.Fatalf("held %d bytes, want %d", held, 2048+chunkOverhead)
	}
	wantPathError(t, ps.frame(h, 2000, good[2000:2100]), wire.ProtocolViolation, "twice")
	wantPathError(t, ps.frame(h, 4000, make([]byte, 200)), wire.ProtocolViolation, "across the edge")
	if err := ps.frame(h, 0, good[:2048]); err != nil {
		t.Fatal(err)
	}
	if got := ps.readable(t); !bytes.Equal(got, good) {
		t.Fatalf("read %d bytes after the piece completed, want the %d of the piece", len(got), len(good))
	}
	if n, held := ps.agg.Usage(1); n != 0 || held != 0 {
		t.Fatalf("after the piece: %d assignments, %d bytes held; want none", n, held)
	}
	if f := ps.failures(); len(f) != 0 {
		t.Fatalf("a good piece was reported failed: %v", f)
	}
	// The same piece again is unassigned now.
	wantPathError(t, ps.frame(h, 0, good[:100]), wire.ProtocolViolation, "did not assign")
	if r := ps.deliveries.Report(false); len(r) != 1 || r[0].Bytes != uint64(len(good)) {
		t.Fatalf("deliveries %v, want %d bytes from path 1", r, len(good))
	}
}

// A piece whose bytes do not match is discarded and reported, and the path
// stays usable; a piece partly right is no better.
func TestPieceMismatchDiscarded(t *testing.T) {
	ps := newPieceSetup(t, 8, 1<<20)
	h := ps.agg.ForPath(1, RoleSecondary, nil)
	good := bytes.Repeat([]byte("x"), 1000)
	partly := bytes.Clone(good)
	partly[999] = 'y'
	if err := ps.agg.Assign(1, assignment(0, good)); err != nil {
		t.Fatal(err)
	}
	if err := ps.frame(h, 0, partly[:500]); err != nil {
		t.Fatal(err)
	}
	if err := ps.frame(h, 500, partly[500:]); err != nil {
		t.Fatalf("a corrupt piece closed the path: %v", err)
	}
	if f := ps.failures(); len(f) != 1 || f[0] != assignment(0, good) {
		t.Fatalf("failures %v, want the piece", f)
	}
	if got := ps.readable(t); len(got) != 0 {
		t.Fatalf("%d bytes of a corrupt piece are readable", len(got))
	}
	if n, held := ps.agg.Usage(1); n != 0 || held != 0 {
		t.Fatalf("after the corrupt piece: %d assignments, %d bytes held", n, held)
	}
	// Assigned again, delivered right: readable.
	if err := ps.agg.Assign(1, assignment(0, good)); err != nil {
		t.Fatal(err)
	}
	if err := ps.frame(h, 0, good); err != nil {
		t.Fatal(err)
	}
	if got := ps.readable(t); !bytes.Equal(got, good) {
		t.Fatalf("read %d bytes, want the %d of the repaired piece", len(got), len(good))
	}
}

// Assignments and held bytes are bounded per path; withdrawn and ended
// paths free what they held.
func TestPieceBounds(t *testing.T) {
	const maxHeld = 64 << 10
	ps := newPieceSetup(t, 4, maxHeld)
	h := ps.agg.ForPath(1, RoleSecondary, nil)
	piece := make([]byte, 40<<10)
	for i := range uint64(4) {
		if err := ps.agg.Assign(1, assignment(i*uint64(len(piece)), piece)); err != nil {
			t.Fatal(err)
		}
	}
	var aerr *AssignError
	if err := ps.agg.Assign(1, assignment(4*uint64(len(piece)), piece)); !errors.As(err, &aerr) || !strings.Contains(err.Error(), "outstanding") {
		t.Fatalf("fifth assignment: %v, want an AssignError about outstanding assignments", err)
	}
	if err := ps.agg.Assign(1, assignment(100, piece)); !errors.As(err, &aerr) || !strings.Contains(err.Error(), "overlaps") {
		t.Fatalf("overlapping assignment: %v, want an AssignError", err)
	}
	if err := ps.agg.Assign(1, assignment(0, piece)); err != nil {
		t.Fatalf("repeating an assignment: %v, want nil", err)
	}
	// All but the last byte of each piece: held until the budget is spent.
	var err error
	for i := range uint64(4) {
		if err = ps.frame(h, i*uint64(len(piece)), piece[:len(piece)-1]); err != nil {
			break
		}
	}
	wantPathError(t, err, wire.FlowControlError, "unverified")
	if _, held := ps.agg.Usage(1); held > maxHeld {
		t.Fatalf("held %d bytes, over the %d allowed", held, maxHeld)
	}
	ps.agg.Withdraw(1, 0, 0, uint64(len(piece)))
	if n, held := ps.agg.Usage(1); n != 3 || held != 0 {
		t.Fatalf("after withdrawing the first piece: %d assignments, %d bytes held; want 3, 0", n, held)
	}
	wantPathError(t, ps.frame(h, 0, piece[:10]), wire.ProtocolViolation, "did not assign")
	ps.agg.PathEnded(1)
	if n, held := ps.agg.Usage(1); n != 0 || held != 0 {
		t.Fatalf("after the path ended: %d assignments, %d bytes held", n, held)
	}
	if err := ps.agg.Assign(1, assignment(0, piece)); !errors.As(err, &aerr) {
		t.Fatalf("assignment to an ended path: %v, want an AssignError", err)
	}
	for _, bad := range []Assignment{{Length: 0}, {Length: wire.MaxPieceLen + 1}, {Offset: wire.MaxVarint, Length: 1}} {
		if err := ps.agg.Assign(2, bad); !errors.As(err, &aerr) {
			t.Fatalf("assignment %+v: %v, want an AssignError", bad, err)
		}
	}
}

// With AcceptUnassigned, bytes outside every assignment go straight in, but
// bytes inside one are still verified.
func TestPieceInsecureAcceptUnassigned(t *testing.T) {
	a := newAggregatorSetup(t)
	h := a.agg.ForPath(1, RoleSecondary, nil)
	ps := &pieceSetup{aggregatorSetup: a}
	if err := ps.frame(h, 0, []byte("free")); err != nil {
		t.Fatal(err)
	}
	if err := a.agg.Assign(1, assignment(4, []byte("held"))); err != nil {
		t.Fatal(err)
	}
	if err := ps.frame(h, 4, []byte("HELD")); err != nil {
		t.Fatal(err)
	}
	if got := ps.readable(t); string(got) != "free" {
		t.Fatalf("read %q, want only the unassigned bytes", got)
	}
}

// A frame admitted while its stream was open, delivered after the stream
// ended and took its assignments along (the application read everything,
// another path covered the piece), is dropped: the honest secondary that
// sent it keeps its path.
func TestPieceLateFrameAfterStreamEnd(t *testing.T) {
	ps := newPieceSetup(t, 8, 1<<20)
	piece := bytes.Repeat([]byte("k"), 4096)
	if err := ps.agg.Assign(1, assignment(0, piece)); err != nil {
		t.Fatal(err)
	}
	h := ps.agg.ForPath(1, RoleSecondary, nil)
	hdr := wire.StreamHeader{StreamID: 0, Offset: 0, Length: 2048}
	if err := h.Admit(hdr); err != nil {
		t.Fatal(err)
	}
	ps.stream0Gone.Store(true)
	ps.agg.ForgetStream(0)
	if err := h.Deliver(hdr, pooled(ps.dpm, string(piece[:2048]))); err != nil {
		t.Fatalf("a frame that was in flight when its stream ended: %v, want it dropped", err)
	}
	if n, held := ps.agg.Usage(1); n != 0 || held != 0 {
		t.Fatalf("path 1 still has %d assignments and %d bytes held", n, held)
	}
}

// A secondary that sends its assigned piece as 1-byte frames pins a pooled
// buffer with each: what it holds unverified is charged by buffer, so the
// budget stops it after budget/1 KiB frames, not budget/65.
func TestPieceTinyFramesChargedByBuffer(t *testing.T) {
	const maxHeld = 64 << 10
	ps := newPieceSetup(t, 4, maxHeld)
	h := ps.agg.ForPath(1, RoleSecondary, nil)
	piece := make([]byte, 1<<20)
	if err := ps.agg.Assign(1, assignment(0, piece)); err != nil {
		t.Fatal(err)
	}
	frames := 0
	var err error
	for off := uint64(0); off < uint64(len(piece)); off += 2 {
		if err = ps.frame(h, off, piece[off:off+1]); err != nil {
			break
		}
		frames++
	}
	wantPathError(t, err, wire.FlowControlError, "unverified")
	if most := maxHeld / (minChunkBuffer + chunkOverhead); frames > most {
		t.Fatalf("%d one-byte frames held within a %d-byte budget; each pins a %d-byte buffer, so at most %d fit", frames, maxHeld, minChunkBuffer, most)
	}
}
