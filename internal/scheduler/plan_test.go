package scheduler

import (
	"errors"
	"testing"
	"time"
)

var t0 = time.Unix(simEpochS, 0)

// newTestPlan returns a plan for cfg (defaults applied) with the given paths.
func newTestPlan(t *testing.T, cfg Config, paths ...uint64) *plan {
	t.Helper()
	c, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	pl := newPlan(c)
	for _, id := range paths {
		if err := pl.addPath(id, t0); err != nil {
			t.Fatal(err)
		}
	}
	return pl
}

// byPath groups assignments by path.
func byPath(as []assignment) map[uint64][]Range {
	m := make(map[uint64][]Range)
	for _, a := range as {
		m[a.path] = append(m[a.path], a.r)
	}
	return m
}

func TestPlanHandsOutPiecesInOffsetOrder(t *testing.T) {
	pl := newTestPlan(t, Config{Size: 10 << 20, PieceSize: 1 << 20}, 0, 1, 2)
	as := pl.next(t0)
	if len(as) != 3*minPiecesInFlight {
		t.Fatalf("got %d assignments at start, want %d per path", len(as), minPiecesInFlight)
	}
	for i, a := range as {
		want := Range{Start: uint64(i) << 20, End: uint64(i+1) << 20}
		if a.r != want {
			t.Errorf("assignment %d is %v, want %v", i, a.r, want)
		}
	}
	if err := checkInvariants(pl); err != nil {
		t.Fatal(err)
	}
}

func TestPlanLastPieceIsShort(t *testing.T) {
	const size = 3<<20 + 5
	pl := newTestPlan(t, Config{Size: size, PieceSize: 1 << 20}, 0, 1)
	as := pl.next(t0)
	last := as[len(as)-1].r
	if last != (Range{Start: 3 << 20, End: size}) {
		t.Fatalf("last piece %v, want [%d, %d)", last, 3<<20, size)
	}
}

func TestPlanCompletesFromReports(t *testing.T) {
	pl := newTestPlan(t, Config{Size: 2 << 20, PieceSize: 1 << 20}, 7)
	if as := pl.next(t0); len(as) != 2 {
		t.Fatalf("got %d assignments, want 2", len(as))
	}
	if err := pl.onReport(7, 1<<20, t0.Add(10*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if pl.done() || pl.lowestIncomplete() != 1<<20 {
		t.Fatalf("after half: done %v, lowest incomplete %d", pl.done(), pl.lowestIncomplete())
	}
	if err := pl.onReport(7, 2<<20, t0.Add(20*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if !pl.done() {
		t.Fatal("not done after every byte was reported")
	}
	if as := pl.next(t0.Add(30 * time.Millisecond)); len(as) != 0 {
		t.Fatalf("assignments after done: %v", as)
	}
}

func TestPlanZeroSizeIsDone(t *testing.T) {
	pl := newTestPlan(t, Config{}, 0)
	if !pl.done() {
		t.Fatal("empty object not done")
	}
	if as := pl.next(t0); len(as) != 0 {
		t.Fatalf("assignments for an empty object: %v", as)
	}
}

func TestPlanPathDownRequeuesLowestFirst(t *testing.T) {
	pl := newTestPlan(t, Config{Size: 64 << 20, PieceSize: 1 << 20}, 0, 1)
	m := byPath(pl.next(t0))
	lost := m[1]
	if len(lost) == 0 {
		t.Fatal("path 1 got no work")
	}
	// Path 0 delivers its pieces; path 1 dies.
	if err := pl.onReport(0, uint64(len(m[0]))<<20, t0.Add(50*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := pl.onPathDown(1); err != nil {
		t.Fatal(err)
	}
	as := pl.next(t0.Add(51 * time.Millisecond))
	if len(as) < len(lost) {
		t.Fatalf("got %d assignments, want at least the %d lost pieces", len(as), len(lost))
	}
	for i, r := range lost {
		if as[i].path != 0 || as[i].r != r {
			t.Errorf("assignment %d is %v on path %d, want lost piece %v on path 0", i, as[i].r, as[i].path, r)
		}
	}
	if pl.reassigned != uint64(len(lost))<<20 {
		t.Errorf("reassigned %d bytes, want %d", pl.reassigned, len(lost)<<20)
	}
	if err := checkInvariants(pl); err != nil {
		t.Fatal(err)
	}
}

func TestPlanLateReportFromDeadPathCompletes(t *testing.T) {
	pl := newTestPlan(t, Config{Size: 2 << 20, PieceSize: 1 << 20}, 0, 1)
	m := byPath(pl.next(t0))
	if err := pl.onPathDown(1); err != nil {
		t.Fatal(err)
	}
	// The dead path's report, sent before it died, arrives late.
	if err := pl.onReport(1, m[1][0].Len(), t0.Add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := pl.onReport(0, m[0][0].Len(), t0.Add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if !pl.done() {
		t.Fatalf("not done: %d bytes undone", pl.undone)
	}
}

func TestPlanErrors(t *testing.T) {
	pl := newTestPlan(t, Config{Size: 1 << 20, PieceSize: 256 << 10}, 0)
	if err := pl.addPath(0, t0); !errors.Is(err, ErrDuplicatePath) {
		t.Errorf("addPath twice: %v, want ErrDuplicatePath", err)
	}
	if err := pl.onReport(9, 1, t0); !errors.Is(err, ErrUnknownPath) {
		t.Errorf("report for unknown path: %v, want ErrUnknownPath", err)
	}
	if err := pl.onPathDown(9); !errors.Is(err, ErrUnknownPath) {
		t.Errorf("unknown path down: %v, want ErrUnknownPath", err)
	}
	pl.next(t0)
	if err := pl.onReport(0, 10<<20, t0); !errors.Is(err, ErrOverReport) {
		t.Errorf("over-report: %v, want ErrOverReport", err)
	}
	if pl.byID[0].delivered != pl.byID[0].assigned {
		t.Errorf("over-report not capped: delivered %d, assigned %d", pl.byID[0].delivered, pl.byID[0].assigned)
	}
	// A stale report is ignored.
	before := pl.byID[0].delivered
	if err := pl.onReport(0, 1, t0); err != nil || pl.byID[0].delivered != before {
		t.Errorf("stale report: err %v, delivered %d, want nil and %d", err, pl.byID[0].delivered, before)
	}
}

func TestPlanRespectsWindow(t *testing.T) {
	const piece, window = 64 << 10, 256 << 10
	pl := newTestPlan(t, Config{Size: 16 << 20, PieceSize: piece, Window: window, InitialRates: map[uint64]uint64{0: 1 << 30}}, 0)
	as := pl.next(t0)
	if len(as) != window/piece {
		t.Fatalf("got %d pieces, want the %d that fit the window", len(as), window/piece)
	}
	// The first piece completes: exactly one more fits.
	if err := pl.onReport(0, piece, t0.Add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	as = pl.next(t0.Add(time.Millisecond))
	for _, a := range as {
		if a.r.End > pl.lowestIncomplete()+window {
			t.Errorf("%v ends beyond lowest incomplete %d + window", a.r, pl.lowestIncomplete())
		}
	}
	if len(as) != 1 {
		t.Errorf("got %d new pieces, want 1", len(as))
	}
}

func TestPlanTailIsDuplicatedOnFastPath(t *testing.T) {
	const piece = 256 << 10
	pl := newTestPlan(t, Config{Size: 4 * piece, PieceSize: piece}, 0, 1)
	m := byPath(pl.next(t0))
	if len(m[0]) != 2 || len(m[1]) != 2 {
		t.Fatalf("start: %v, want two pieces each", m)
	}
	// The fast path delivers its pieces; the slow one is far from done.
	now := t0.Add(30 * time.Millisecond)
	if err := pl.onReport(0, 2*piece, now); err != nil {
		t.Fatal(err)
	}
	if err := pl.onReport(1, 10<<10, now); err != nil {
		t.Fatal(err)
	}
	as := pl.next(now)
	dup := byPath(as)[0]
	if len(dup) == 0 {
		t.Fatalf("fast path got no copy of the slow path's pieces: %v", as)
	}
	// The copy is the tail: the slow path's last piece first.
	if dup[0] != m[1][1] {
		t.Errorf("first copy is %v, want the tail piece %v", dup[0], m[1][1])
	}
	if pl.duplicated == 0 {
		t.Error("duplicated bytes not counted")
	}
	if err := checkInvariants(pl); err != nil {
		t.Fatal(err)
	}
}

func TestPlanStalledPathIsDuplicatedAtDeadline(t *testing.T) {
	const piece = 256 << 10
	pl := newTestPlan(t, Config{Size: 4 * piece, PieceSize: piece}, 0, 1)
	m := byPath(pl.next(t0))
	// Path 0 delivers everything it has; path 1 never reports.
	now := t0.Add(20 * time.Millisecond)
	if err := pl.onReport(0, 2*piece, now); err != nil {
		t.Fatal(err)
	}
	if as := pl.next(now); len(as) != 0 {
		t.Fatalf("copies before path 1 is late: %v", as)
	}
	d, ok := pl.deadline(now)
	if !ok {
		t.Fatal("no deadline while path 1 has work and no progress")
	}
	if as := pl.next(d.Add(-2 * time.Millisecond)); len(as) != 0 {
		t.Fatalf("copies before the deadline: %v", as)
	}
	as := byPath(pl.next(d))
	if len(as[0]) != len(m[1]) {
		t.Fatalf("at the deadline path 0 got %v, want copies of %v", as[0], m[1])
	}
	if !pl.byID[1].stalled(d, pl.cfg.ReportInterval) {
		t.Error("path 1 not stalled at the deadline")
	}
}

func TestPlanRespectsReceiverLimit(t *testing.T) {
	pl := newTestPlan(t, Config{Size: 10 << 20, PieceSize: 1 << 20}, 0, 1, 2)
	pl.setReceiverLimit(2 << 20)
	as := pl.next(t0)
	for _, a := range as {
		if a.r.End > 2<<20 {
			t.Fatalf("piece %v handed out beyond the receiver's limit of 2 MiB", a.r)
		}
	}
	if pl.fresh != 2<<20 {
		t.Fatalf("fresh offset %d after a 2 MiB limit, want %d", pl.fresh, 2<<20)
	}
	pl.setReceiverLimit(1 << 20) // a lower limit is ignored
	pl.setReceiverLimit(4 << 20)
	more := pl.next(t0)
	if pl.fresh != 4<<20 {
		t.Fatalf("fresh offset %d after raising the limit to 4 MiB (got %v)", pl.fresh, byPath(more))
	}
	if err := checkInvariants(pl); err != nil {
		t.Fatal(err)
	}
}

// TestPlanAsksForCredit: pieces held back by the receiver's limit while a
// path has room are reported, so that the receiver may widen its window;
// not when no path has room, nor when Config.Window holds them back.
func TestPlanAsksForCredit(t *testing.T) {
	pl := newTestPlan(t, Config{Size: 10 << 20, PieceSize: 1 << 20, Window: 4 << 20}, 0, 1)
	pl.setReceiverLimit(2 << 20)
	pl.next(t0)
	if pl.creditWanted != 2<<20 {
		t.Fatalf("two paths with room for two pieces each, limit 2 MiB: credit wanted %d, want %d", pl.creditWanted, 2<<20)
	}
	pl.setReceiverLimit(8 << 20) // beyond Window from the lowest incomplete offset
	pl.next(t0)
	if pl.creditWanted != 0 || pl.fresh != 4<<20 {
		t.Fatalf("Window holds pieces back at %d: credit wanted %d, want 0", pl.fresh, pl.creditWanted)
	}

	pl = newTestPlan(t, Config{Size: 10 << 20, PieceSize: 1 << 20}, 0)
	pl.setReceiverLimit(2 << 20) // the only path's two pieces in flight fill it
	pl.next(t0)
	if pl.creditWanted != 0 {
		t.Fatalf("no path has room: credit wanted %d, want 0", pl.creditWanted)
	}
}

// TestPlanSlowPathGetsSmallPieces: a path whose measured rate drains less
// than a piece in two report intervals gets pieces of what it drains in
// that time, and as little work ahead, so that the last pieces it holds
// end about when the fast paths' do (a 10 Mbit/s primary took 256 KiB
// pieces, 210 ms each, with 512 KiB ahead: its last bytes came 120-150 ms
// after the other paths' on tc tbf).
func TestPlanSlowPathGetsSmallPieces(t *testing.T) {
	const ps = 256 << 10
	pl := newTestPlan(t, Config{Size: 64 << 20, PieceSize: ps, InitialRates: map[uint64]uint64{0: 10 * mbit, 1: 100 * mbit}}, 0, 1)
	slow, fast := pl.byID[0], pl.byID[1]
	want := uint64(10 * mbit * (slowPieceReports * DefaultReportInterval).Seconds())
	if got := pl.pieceSize(slow); got != want {
		t.Errorf("10 Mbit/s path: piece size %d, want %d", got, want)
	}
	if got := pl.pieceSize(fast); got != ps {
		t.Errorf("100 Mbit/s path: piece size %d, want the configured %d", got, ps)
	}
	slow.est.rate = 1000 // a crawling path: the floor keeps each command worth its overhead
	if got := pl.pieceSize(slow); got != minPieceSize {
		t.Errorf("1 kB/s path: piece size %d, want the floor %d", got, minPieceSize)
	}
	slow.est.rate = 10 * mbit
	var slowAhead uint64
	for path, rs := range byPath(pl.next(t0)) {
		for _, r := range rs {
			if path == 0 {
				slowAhead += r.Len()
				if r.Len() > want {
					t.Errorf("the slow path got %v, %d bytes, more than %d", r, r.Len(), want)
				}
			}
		}
	}
	// Its work ahead is what it drains in twice a command latency and
	// report interval, plus a piece: about 190 ms, not two whole pieces.
	if limit := uint64(10 * mbit * 0.2); slowAhead == 0 || slowAhead > limit {
		t.Errorf("the slow path was given %d bytes ahead, want some and at most %d", slowAhead, limit)
	}
}

// TestPlanAllSlowPathsGetWholePieces: when every path is slow (100 sessions
// sharing a machine), none finishes a piece sooner than the others, so
// pieces are not cut to a slow path's two report intervals: paths of the
// fastest path's rate get whole pieces, slower ones pieces that take as
// long on them as a whole piece does on the fastest.
func TestPlanAllSlowPathsGetWholePieces(t *testing.T) {
	const ps = 256 << 10
	const rate = 200_000 // bytes per second: 1.3 s for a whole piece
	pl := newTestPlan(t, Config{Size: 64 << 20, PieceSize: ps, InitialRates: map[uint64]uint64{0: rate, 1: rate, 2: rate / 2}}, 0, 1, 2)
	for _, id := range []uint64{0, 1} {
		if got := pl.pieceSize(pl.byID[id]); got != ps {
			t.Errorf("path %d at the fastest rate: piece size %d, want the configured %d", id, got, ps)
		}
	}
	if got := pl.pieceSize(pl.byID[2]); got != ps/2 {
		t.Errorf("path at half the fastest rate: piece size %d, want %d", got, ps/2)
	}
	for path, rs := range byPath(pl.next(t0)) {
		for _, r := range rs {
			if want := pl.pieceSize(pl.byID[path]); r.Len() != want {
				t.Errorf("path %d got %v, %d bytes, want %d", path, r, r.Len(), want)
			}
		}
	}
}
