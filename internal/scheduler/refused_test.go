package scheduler

import (
	"testing"
	"time"
)

// A range its source refused (ErrRefused) is taken back: the pieces after
// it on that path move up in the path's byte count, the range goes to
// another path, and the refusing path gets nothing new until it progresses
// or a report interval passes.
func TestPlanRefusedRangeGoesElsewhere(t *testing.T) {
	pl := newTestPlan(t, Config{Size: 8 << 20, PieceSize: 1 << 20}, 1, 2)
	as := byPath(pl.next(t0))
	if len(as[1]) < 2 {
		t.Fatalf("assignments %v, want at least two pieces on path 1", as)
	}
	refused, kept := as[1][0], as[1][1]
	pl.takeBack(1, refused, t0)
	if err := checkInvariants(pl); err != nil {
		t.Fatal(err)
	}
	if got := pl.byID[1].queue[0]; got.p.r != kept || got.start != 0 || got.end != kept.Len() {
		t.Fatalf("path 1's queue starts with %v [%d, %d), want %v [0, %d)", got.p.r, got.start, got.end, kept, kept.Len())
	}
	now := t0.Add(time.Millisecond)
	if err := pl.onReport(2, as[2][0].Len(), now); err != nil { // path 2 has room again
		t.Fatal(err)
	}
	again := byPath(pl.next(now))
	if len(again[1]) != 0 {
		t.Fatalf("the refusing path got %v within its report interval", again[1])
	}
	found := false
	for _, r := range again[2] {
		found = found || r == refused
	}
	if !found {
		t.Fatalf("the refused range %v went nowhere: %v", refused, again)
	}
	// Its first piece's bytes now complete the piece it kept.
	if err := pl.onReport(1, kept.Len(), now); err != nil {
		t.Fatal(err)
	}
	if len(pl.byID[1].queue) != len(as[1])-2 {
		t.Fatalf("path 1 holds %d pieces after delivering %v, want %d", len(pl.byID[1].queue), kept, len(as[1])-2)
	}
	if got := pl.stats(now).Paths[0].RefusedPieces; got != 1 {
		t.Fatalf("RefusedPieces = %d, want 1", got)
	}
}
