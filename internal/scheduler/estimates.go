package scheduler

import (
	"math"
	"time"
)

// estimates are a path's measured goodput and command latency.
type estimates struct {
	rate      float64 // bytes per second, smoothed
	rateKnown bool
	// rateSettled is set by the first exact sample; until then, samples
	// replace the estimate rather than being averaged into it.
	rateSettled bool
	// latency is from assigning a piece to seeing its first byte reported:
	// command delay, propagation and report delay together.
	latency      time.Duration
	latencyKnown bool
	// progressGap is the smoothed time between reports that show progress,
	// which is large for slow paths with big frames.
	progressGap time.Duration
	sample      rateSample
}

// rateSample is a goodput measurement in progress, started at a report.
type rateSample struct {
	active bool
	at     time.Time
	from   uint64 // delivered when it started
	// busyUntil is the path's assigned total when it started: while
	// delivered stays below it, the path never ran out of work.
	busyUntil uint64
}

// latencyGain weights a new latency or progress-gap sample.
const latencyGain = 0.25

// rateOr returns the rate estimate, or fallback while there is none.
func (e *estimates) rateOr(fallback float64) float64 {
	if e.rateKnown {
		return e.rate
	}
	return fallback
}

// latencyOr returns the latency estimate, or fallback while there is none.
func (e *estimates) latencyOr(fallback time.Duration) time.Duration {
	if e.latencyKnown {
		return e.latency
	}
	return fallback
}

// addRate folds in a goodput sample measured over dt. An exact sample comes
// from an interval in which the path always had work; otherwise the path
// idled part of the time and the sample is only a lower bound, used only when
// it raises the estimate, so that starving a path never lowers its estimate
// (which would starve it further).
func (e *estimates) addRate(sample float64, dt, tau time.Duration, exact bool) {
	if !exact && e.rateKnown && sample <= e.rate {
		return
	}
	if !e.rateSettled {
		e.rate, e.rateKnown, e.rateSettled = sample, true, exact
		return
	}
	// Time-based weight so that irregular report spacing does not skew it.
	w := 1 - math.Exp(-float64(dt)/float64(tau))
	e.rate += w * (sample - e.rate)
}

// addLatency folds in the time a piece waited for its first byte. An exact
// sample comes from a piece given to an idle path; otherwise the piece also
// queued behind earlier ones and the sample only bounds the latency from
// above, used only when it lowers the estimate.
func (e *estimates) addLatency(sample time.Duration, exact bool) {
	if !e.latencyKnown {
		if exact {
			e.latency, e.latencyKnown = sample, true
		}
		return
	}
	if !exact && sample >= e.latency {
		return
	}
	e.latency += time.Duration(latencyGain * float64(sample-e.latency))
}

// addProgressGap folds in the time between two reports showing progress.
func (e *estimates) addProgressGap(gap time.Duration) {
	e.progressGap += time.Duration(latencyGain * float64(gap-e.progressGap))
}
