package scheduler

import (
	"log/slog"
	"slices"
	"time"
)

// plan is the deterministic core of the scheduler: it knows the pieces, the
// paths and their estimates, and decides what to send where. It starts no
// goroutines and never reads the clock; every method takes the time.
type plan struct {
	cfg Config
	log *slog.Logger

	paths []*pathState // sorted by ID, dead ones included
	byID  map[uint64]*pathState
	alive int
	fresh uint64 // first offset never handed out
	// recvLimit, when known, is the receiver's flow-control limit in object
	// offsets: a piece ending beyond it would block its source's writes,
	// and a source that delivers in order would then hold everything
	// queued behind it. 0 means unknown (only Window applies).
	recvLimit uint64
	// creditWanted is the receiver limit that held back the last call to
	// next while a path had room for more, or 0.
	creditWanted uint64
	retry        retryQueue
	undone       uint64 // bytes of the object not yet complete
	// pending holds every handed-out piece from the lowest incomplete one
	// on, in offset order; completed pieces are trimmed from its front.
	pending []*piece

	duplicated uint64
	reassigned uint64

	// Scratch reused across calls to next.
	out  []assignment
	idle []*pathState
}

// assignment asks one path to send one range.
type assignment struct {
	path uint64
	r    Range
}

// newPlan returns a plan for cfg, which must have its defaults applied.
func newPlan(cfg Config) *plan {
	return &plan{
		cfg:    cfg,
		log:    cfg.Logger,
		byID:   make(map[uint64]*pathState),
		undone: cfg.Size,
	}
}

// addPath adds a live path. Path IDs are never reused.
func (pl *plan) addPath(id uint64, now time.Time) error {
	if _, ok := pl.byID[id]; ok {
		return ErrDuplicatePath
	}
	p := &pathState{id: id, alive: true, reportedAt: now, lastProgress: now}
	if h := pl.cfg.HoldBack; h != nil && h.PathID == id && h.For > 0 {
		p.heldUntil = now.Add(h.For)
	}
	if r, ok := pl.cfg.InitialRates[id]; ok && r > 0 {
		p.est.rate, p.est.rateKnown = float64(r), true
	}
	pl.byID[id] = p
	i, _ := slices.BinarySearchFunc(pl.paths, id, func(p *pathState, id uint64) int {
		switch {
		case p.id < id:
			return -1
		case p.id > id:
			return 1
		}
		return 0
	})
	pl.paths = slices.Insert(pl.paths, i, p)
	pl.alive++
	return nil
}

// onPathDown marks a path dead and hands its incomplete pieces out again,
// lowest offset first, unless another live path still holds them.
func (pl *plan) onPathDown(id uint64) error {
	p, ok := pl.byID[id]
	if !ok {
		return ErrUnknownPath
	}
	if !p.alive {
		return nil
	}
	p.alive = false
	pl.alive--
	requeued := 0
	for i := range p.queue {
		pc := p.queue[i].p
		pc.holders--
		if !pc.complete && pc.holders == 0 {
			pl.retry.push(pc)
			requeued++
		}
	}
	pl.log.Debug("scheduler: path down", "path", id, "requeued_pieces", requeued, "undelivered_bytes", p.inflight())
	return nil
}

// onReport records that the receiver got delivered bytes in total through a
// path, as of now. Reports that go backwards are stale and ignored.
func (pl *plan) onReport(id, delivered uint64, now time.Time) error {
	p, ok := pl.byID[id]
	if !ok {
		return ErrUnknownPath
	}
	var err error
	if delivered > p.assigned {
		delivered, err = p.assigned, ErrOverReport
	}
	if delivered < p.delivered {
		return err
	}
	if now.After(p.reportedAt) {
		p.reportedAt = now
	}
	if delivered > p.delivered {
		if p.alive && !p.est.rateKnown && p.delivered == 0 {
			// The receiver reports every interval, so these first bytes
			// arrived within one: a lower bound that lets the path be given
			// work for its rate one report earlier.
			p.est.addRate(float64(delivered)/pl.cfg.ReportInterval.Seconds(), pl.cfg.ReportInterval, rateTimeConstant*pl.cfg.ReportInterval, false)
		}
		pl.progress(p, delivered, now)
	}
	if p.alive {
		pl.sampleRate(p, now)
	}
	return err
}

// progress advances a path's delivered count: it measures latency, marks
// covered pieces complete and drops them from the path's queue.
func (pl *plan) progress(p *pathState, delivered uint64, now time.Time) {
	if h := p.head(); h != nil && h.started {
		// Bytes were already flowing, so the wait was not command latency.
		p.est.addProgressGap(now.Sub(p.lastProgress))
	}
	p.delivered = delivered
	p.lastProgress = now
	p.refusedUntil = time.Time{}
	if p.stallLogged {
		p.stallLogged = false
		pl.log.Debug("scheduler: path resumed", "path", p.id)
	}
	n := 0
	for i := range p.queue {
		e := &p.queue[i]
		if e.start >= delivered {
			break
		}
		if !e.started {
			e.started = true
			if p.alive {
				p.est.addLatency(now.Sub(e.at), e.fromIdle)
			}
		}
		if e.end > delivered {
			break
		}
		n++
		if p.alive {
			e.p.holders--
		}
		if e.bad {
			pl.badDelivered(e.p)
			continue
		}
		pl.complete(e.p)
	}
	clear(p.queue[:n])
	p.queue = p.queue[n:]
}

// complete marks pc complete and trims completed pieces from pending.
func (pl *plan) complete(pc *piece) {
	if pc.complete {
		return
	}
	pc.complete = true
	pl.undone -= pc.r.Len()
	n := 0
	for n < len(pl.pending) && pl.pending[n].complete {
		n++
	}
	clear(pl.pending[:n])
	pl.pending = pl.pending[n:]
}

// sampleRate ends the running goodput sample if it is long enough and starts
// a new one if the path is delivering.
func (pl *plan) sampleRate(p *pathState, now time.Time) {
	s := &p.est.sample
	report := pl.cfg.ReportInterval
	if s.active {
		dt := now.Sub(s.at)
		if dt < report/2 || dt <= 0 {
			return
		}
		rate := float64(p.delivered-s.from) / dt.Seconds()
		p.est.addRate(rate, dt, rateTimeConstant*report, p.delivered < s.busyUntil)
		s.active = false
	}
	if p.inflight() > 0 && p.flowing(now) {
		*s = rateSample{active: true, at: now, from: p.delivered, busyUntil: p.assigned}
	}
}

// rateTimeConstant, in report intervals, is how fast the rate estimate
// follows a change: long enough to smooth frame-sized steps between reports.
const rateTimeConstant = 6

// done reports whether every byte of the object is complete.
func (pl *plan) done() bool { return pl.undone == 0 }

// lowestIncomplete returns the offset below which every byte is complete.
func (pl *plan) lowestIncomplete() uint64 {
	if len(pl.pending) > 0 {
		return pl.pending[0].r.Start
	}
	return pl.fresh
}

// deadline returns when the plan next wants to run without a report: the
// earliest moment a busy path would count as stalled. ok is false when only
// a report or an event can change anything.
func (pl *plan) deadline(now time.Time) (t time.Time, ok bool) {
	report := pl.cfg.ReportInterval
	for _, p := range pl.paths {
		if p.alive && p.refusing(now) && (!ok || p.refusedUntil.Before(t)) {
			t, ok = p.refusedUntil, true
		}
		if p.alive && !p.heldUntil.IsZero() && (!ok || p.heldUntil.Before(t)) {
			t, ok = p.heldUntil, true
		}
		if !p.alive || p.inflight() == 0 || p.stalled(now, report) {
			continue
		}
		d := p.lastProgress.Add(p.stallTimeout(report) + time.Millisecond)
		if !ok || d.Before(t) {
			t, ok = d, true
		}
	}
	return t, ok
}
