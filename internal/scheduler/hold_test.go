package scheduler

import (
	"testing"
	"time"
)

// holdConfig holds path 0 back for at most 100 ms.
var holdConfig = Config{Size: 64 << 20, PieceSize: 256 << 10, HoldBack: &HoldBack{PathID: 0, For: 100 * time.Millisecond}}

// workedPaths returns which of the plan's paths next gives work now.
func workedPaths(pl *plan, now time.Time) map[uint64]bool {
	got := make(map[uint64]bool)
	for _, a := range pl.next(now) {
		got[a.path] = true
	}
	return got
}

// measure reports two intervals of progress on path id from at: its first
// bytes, then a busy interval that measures its rate.
func measure(t *testing.T, pl *plan, id uint64, at time.Time) time.Time {
	t.Helper()
	for _, r := range []struct {
		after     time.Duration
		delivered uint64
	}{{0, 1000}, {DefaultReportInterval, 200_000}} {
		at = at.Add(r.after)
		if err := pl.onReport(id, r.delivered, at); err != nil {
			t.Fatal(err)
		}
	}
	if !pl.byID[id].est.rateSettled {
		t.Fatalf("path %d: no measured rate after two reports", id)
	}
	return at
}

func TestPlanHoldBackUntilOthersAreMeasured(t *testing.T) {
	pl := newTestPlan(t, holdConfig, 0, 1, 2)
	if got := workedPaths(pl, t0); got[0] || !got[1] || !got[2] {
		t.Fatalf("at the start paths %v got work; want 1 and 2, not the held 0", got)
	}
	now := t0.Add(5 * time.Millisecond)
	if err := pl.onReport(2, 1000, now); err != nil { // first bytes only
		t.Fatal(err)
	}
	now = measure(t, pl, 1, now)
	if got := workedPaths(pl, now); got[0] {
		t.Fatal("path 0 got work while path 2's rate was not measured")
	}
	now = measure(t, pl, 2, now)
	if got := workedPaths(pl, now); !got[0] {
		t.Fatalf("path 0 got no work once every other path's rate was measured (paths with work: %v)", got)
	}
	if err := checkInvariants(pl); err != nil {
		t.Fatal(err)
	}
}

func TestPlanHoldBackEndsInTime(t *testing.T) {
	// Path 0 alone: the others are still joining, so it waits, but not
	// beyond its hold, and the plan asks to run again when it ends.
	pl := newTestPlan(t, holdConfig, 0)
	if got := workedPaths(pl, t0); got[0] {
		t.Fatal("path 0 got work at once although held")
	}
	end, ok := pl.deadline(t0)
	if want := t0.Add(holdConfig.HoldBack.For); !ok || !end.Equal(want) {
		t.Fatalf("deadline %v (%v), want the hold's end %v", end, ok, want)
	}
	if got := workedPaths(pl, end.Add(-time.Millisecond)); got[0] {
		t.Fatal("path 0 got work before its hold ended")
	}
	if got := workedPaths(pl, end); !got[0] {
		t.Fatal("path 0 got no work when its hold ended")
	}
}

func TestPlanHoldBackEndsWhenOthersAreDown(t *testing.T) {
	pl := newTestPlan(t, holdConfig, 0, 1)
	now := t0.Add(5 * time.Millisecond)
	if got := workedPaths(pl, now); got[0] || !got[1] {
		t.Fatalf("paths %v got work; want path 1 only", got)
	}
	if err := pl.onPathDown(1); err != nil {
		t.Fatal(err)
	}
	got := pl.next(now)
	if len(got) == 0 || got[0].path != 0 || got[0].r.Start != 0 {
		t.Fatalf("after path 1 went down: %v; want path 0 to get path 1's pieces from offset 0", got)
	}
}

func TestConfigHoldBackForNotNegative(t *testing.T) {
	c := holdConfig
	c.HoldBack = &HoldBack{For: -time.Millisecond}
	if _, err := c.withDefaults(); err == nil {
		t.Fatal("a negative HoldBack.For was accepted")
	}
}
