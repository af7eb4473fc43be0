package scheduler

import (
	"errors"
	"testing"
	"time"
)

// A piece the receiver discarded completes nothing when the path's report
// covers it: it is handed out again, and the object is done only once
// another delivery covers it.
func TestPlanBadPieceIsHandedOutAgain(t *testing.T) {
	pl := newTestPlan(t, Config{Size: 2 << 20, PieceSize: 1 << 20}, 1, 2)
	as := byPath(pl.next(t0))
	if len(as[1]) != 1 || len(as[2]) != 1 {
		t.Fatalf("assignments %v, want one piece per path", as)
	}
	bad := as[1][0]
	if err := pl.onPieceFailed(1, bad); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(10 * time.Millisecond)
	if err := pl.onReport(1, bad.Len(), now); err != nil {
		t.Fatal(err)
	}
	if err := pl.onReport(2, as[2][0].Len(), now); err != nil {
		t.Fatal(err)
	}
	if pl.done() || pl.undone != bad.Len() {
		t.Fatalf("after the bad piece was delivered: done %v, undone %d; want %d undone", pl.done(), pl.undone, bad.Len())
	}
	again := pl.next(now)
	var redo *assignment
	for i := range again {
		if again[i].r == bad {
			redo = &again[i]
		}
	}
	if redo == nil {
		t.Fatalf("the bad piece %v was not handed out again: %v", bad, again)
	}
	if err := checkInvariants(pl); err != nil {
		t.Fatal(err)
	}
	delivered := map[uint64]uint64{1: bad.Len(), 2: as[2][0].Len()}
	delivered[redo.path] += bad.Len()
	if err := pl.onReport(redo.path, delivered[redo.path], now.Add(10*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if !pl.done() {
		t.Fatalf("not done after the piece was delivered again by path %d", redo.path)
	}
}

// A failure that arrives after the piece was counted complete reopens it.
func TestPlanLateFailureReopensPiece(t *testing.T) {
	pl := newTestPlan(t, Config{Size: 2 << 20, PieceSize: 1 << 20}, 1)
	as := pl.next(t0)
	if err := pl.onReport(1, 2<<20, t0.Add(10*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if !pl.done() {
		t.Fatal("not done after every byte was reported")
	}
	if err := pl.onPieceFailed(1, as[0].r); err != nil {
		t.Fatal(err)
	}
	if pl.done() || pl.undone != as[0].r.Len() || pl.lowestIncomplete() != as[0].r.Start {
		t.Fatalf("after a late failure: done %v, undone %d, lowest incomplete %d", pl.done(), pl.undone, pl.lowestIncomplete())
	}
	if again := pl.next(t0.Add(20 * time.Millisecond)); len(again) == 0 || again[0].r != as[0].r {
		t.Fatalf("reopened piece not handed out again: %v", again)
	}
	if err := pl.onPieceFailed(9, as[0].r); !errors.Is(err, ErrUnknownPath) {
		t.Fatalf("failure on an unknown path: %v, want ErrUnknownPath", err)
	}
}
