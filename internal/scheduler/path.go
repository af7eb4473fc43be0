package scheduler

import "time"

// entry is one piece in a path's first-in first-out list of assignments.
type entry struct {
	p *piece
	// start and end are the path's cumulative byte counts before and after
	// this piece: it is complete on this path once delivered ≥ end.
	start, end uint64
	at         time.Time // when it was assigned
	// fromIdle says the path had nothing outstanding when the piece was
	// assigned, so the wait for its first byte is pure command latency.
	fromIdle bool
	started  bool // some of its bytes were reported
	bad      bool // the receiver discarded them: they complete nothing
	// copy and again say how the assignment counted in the statistics
	// (duplicated, reassigned), so that taking it back undoes that.
	copy, again bool
	eta         time.Time // scratch for one plan.next call
}

// pathState is what the plan knows about one path.
type pathState struct {
	id    uint64
	alive bool
	// queue holds the assigned pieces not yet delivered through this path,
	// in assignment order. A path that went down keeps it so that a late
	// report can still complete its pieces.
	queue     []entry
	assigned  uint64 // cumulative bytes assigned
	delivered uint64 // cumulative bytes reported delivered
	// reportedAt is when delivered was last confirmed; lastProgress is when
	// it last grew, or when the path was handed work after idling.
	reportedAt   time.Time
	lastProgress time.Time

	est estimates

	// etaEnd is scratch for one plan.next call: when the path is expected
	// to have delivered everything assigned to it.
	etaEnd time.Time

	// refused counts the pieces its source refused (ErrRefused); the path
	// gets no new work before refusedUntil unless it progresses.
	refused      uint64
	refusedUntil time.Time

	// heldUntil, while not zero, is when the path's hold (Config.HoldBack)
	// ends at the latest; it gets no work before (see plan.releaseHold).
	heldUntil time.Time

	duplicated  uint64 // bytes assigned while another live path held them
	reassigned  uint64 // bytes assigned again after their holder went down
	reassignedN uint64 // pieces of those
	stallLogged bool
}

// inflight returns the bytes assigned but not reported delivered.
func (p *pathState) inflight() uint64 { return p.assigned - p.delivered }

// head returns the oldest undelivered entry, or nil.
func (p *pathState) head() *entry {
	if len(p.queue) == 0 {
		return nil
	}
	return &p.queue[0]
}

// flowing reports whether the path is busy and its bytes are arriving,
// rather than waiting for the command of its first outstanding piece.
func (p *pathState) flowing(now time.Time) bool {
	h := p.head()
	if h == nil {
		return false
	}
	return h.started || p.delivered > h.start || !now.Before(h.at.Add(p.est.latencyOr(0)))
}

// stallTimeout is how long a busy path may go without progress before its
// pieces are treated as never finishing: long enough to cover its command
// latency, a few reports, and its usual gap between progress reports.
func (p *pathState) stallTimeout(report time.Duration) time.Duration {
	return 2*p.est.latencyOr(report) + 4*report + 4*p.est.progressGap
}

// stalled reports whether the path has work but made no progress for its
// stall timeout.
func (p *pathState) stalled(now time.Time, report time.Duration) bool {
	return p.inflight() > 0 && now.Sub(p.lastProgress) > p.stallTimeout(report)
}
