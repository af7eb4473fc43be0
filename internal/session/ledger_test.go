package session

import (
	"errors"
	"testing"
)

// TestLedgerRefusesWhatTheClientWould: the primary's ledger refuses an
// assignment beyond MaxAssignments per path and one that overlaps an
// outstanding piece of the path in the stream, accepts an exact repeat,
// and frees pieces as the reports cover them in assignment order.
func TestLedgerRefusesWhatTheClientWould(t *testing.T) {
	l := newLedger(3)
	mustAssign := func(path, stream, off, n uint64) {
		t.Helper()
		if err := l.assign(path, stream, off, n); err != nil {
			t.Fatalf("assign(%d, %d, %d, %d): %v", path, stream, off, n, err)
		}
	}
	mustRefuse := func(path, stream, off, n uint64) {
		t.Helper()
		if err := l.assign(path, stream, off, n); !errors.Is(err, ErrAssignmentRefused) {
			t.Fatalf("assign(%d, %d, %d, %d) = %v, want ErrAssignmentRefused", path, stream, off, n, err)
		}
	}
	mustAssign(1, 0, 0, 100)
	mustAssign(1, 0, 100, 100)
	mustAssign(1, 0, 100, 100) // an exact repeat changes nothing
	mustRefuse(1, 0, 150, 100) // overlaps [100, 200)
	mustAssign(1, 4, 150, 100) // another stream
	mustAssign(2, 0, 150, 100) // another path
	mustRefuse(1, 0, 400, 100) // path 1 holds 3
	l.delivered(1, 0, 150)     // covers [0, 100) only
	mustAssign(1, 0, 400, 100)
	mustRefuse(1, 0, 500, 100)
	l.refused(1, 0, 100, 100) // the client refused it: [400, 500) is next, ending at 200
	mustAssign(1, 0, 500, 100)
	mustRefuse(1, 0, 600, 100)
	l.delivered(1, 0, 200)
	mustAssign(1, 0, 600, 100)

	// A discarded piece no longer overlaps, but counts until covered.
	l.forgetStream(4)
	l.gone(1, 0, 500, 100)
	mustAssign(1, 0, 500, 100)
	mustRefuse(1, 0, 700, 100)
	l.delivered(1, 0, 300) // [500, 600) discarded, whose bytes came
	mustAssign(1, 0, 700, 100)

	l.forgetPath(1)
	mustAssign(1, 0, 0, 100)
	if n := l.paths[1].n; n != 1 {
		t.Fatalf("a forgotten path restarts with %d pieces, want 1", n)
	}
}

// TestAssignDigestRefuses: AssignDigest fails with ErrAssignmentRefused,
// sending nothing, for a piece the client would refuse (the old primary
// sent it, and the secondary asked for it was then closed).
func TestAssignDigestRefuses(t *testing.T) {
	ss := newTestPrimary()
	ss.ledger = newLedger(2)
	for i := range uint64(2) {
		if err := ss.ledger.assign(1, 1, i*10, 10); err != nil {
			t.Fatal(err)
		}
	}
	err := ss.s.AssignDigest(1, 1, 20, 10, [DigestSize]byte{})
	if !errors.Is(err, ErrAssignmentRefused) {
		t.Fatalf("AssignDigest of a third piece with MaxAssignments 2 = %v, want ErrAssignmentRefused", err)
	}
}
