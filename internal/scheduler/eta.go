package scheduler

import (
	"math"
	"time"
)

// never stands for "not expected to finish": a stalled path's pieces.
const never = time.Duration(math.MaxInt64 / 2)

// nominalRate is the rate assumed for a path before anything is known about
// any path: one piece per four report intervals. Only comparisons between
// paths depend on it, and it is replaced after the first report.
func (pl *plan) nominalRate() float64 {
	return float64(pl.cfg.PieceSize) / (4 * pl.cfg.ReportInterval).Seconds()
}

// fallbackRate is the rate assumed for a path not yet measured: that of the
// slowest measured live path, so a new path is not trusted with the tail.
func (pl *plan) fallbackRate() float64 {
	r := 0.0
	for _, p := range pl.paths {
		if p.alive && p.est.rateKnown && (r == 0 || p.est.rate < r) && p.est.rate > 0 {
			r = p.est.rate
		}
	}
	if r == 0 {
		return pl.nominalRate()
	}
	return r
}

// transferTime is how long n bytes take at rate bytes per second.
func transferTime(n uint64, rate float64) time.Duration {
	if rate <= 0 {
		return never
	}
	d := float64(n) / rate * float64(time.Second)
	if d >= float64(never) {
		return never
	}
	return time.Duration(d)
}

// computeETAs sets, for every live path, the expected completion of each of
// its queued pieces and of its whole queue, and for every pending piece the
// earliest over its holders. A path's bytes flow from its last report at its
// measured rate; a piece cannot start before its command has had time to
// arrive.
func (pl *plan) computeETAs(now time.Time, fallback float64) {
	far := now.Add(never)
	for _, pc := range pl.pending {
		pc.eta = far
	}
	report := pl.cfg.ReportInterval
	for _, p := range pl.paths {
		if !p.alive {
			continue
		}
		if p.stalled(now, report) {
			if !p.stallLogged {
				p.stallLogged = true
				pl.log.Debug("scheduler: path stalled", "path", p.id, "undelivered_bytes", p.inflight(), "since", p.lastProgress)
			}
			for i := range p.queue {
				p.queue[i].eta = far
			}
			p.etaEnd = far
			continue
		}
		rate := p.est.rateOr(fallback)
		lat := p.est.latencyOr(report)
		t := p.reportedAt
		for i := range p.queue {
			e := &p.queue[i]
			if !e.started {
				t = later(t, e.at.Add(lat))
			}
			t = t.Add(transferTime(e.end-max(e.start, p.delivered), rate))
			e.eta = t
			if t.Before(e.p.eta) {
				e.p.eta = t
			}
		}
		p.etaEnd = t
	}
}

// candidateETA is when path p would deliver n more bytes if they were
// assigned now, after everything it already has.
func (pl *plan) candidateETA(p *pathState, n uint64, now time.Time, fallback float64) time.Time {
	start := later(p.etaEnd, now.Add(p.est.latencyOr(pl.cfg.ReportInterval)))
	return start.Add(transferTime(n, p.est.rateOr(fallback)))
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
