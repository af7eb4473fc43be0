package session

import (
	"context"
	"time"

	"golang.org/x/time/rate"

	"github.com/kwik-transport/kwik/internal/gate"
)

// A client answers the primary's RANGES_REQUEST at a bounded rate: each
// answer walks every gap of a stream and may carry wire.MaxRanges ranges
// (≈ 64 KiB), so a primary that asks in a loop could otherwise make the
// client burn CPU and fill its control queue. Unsolicited gap reports draw
// from the same budget and are skipped when it is spent (the presentation
// layer reports a persistent gap again later).
const (
	// rangesBurst answers go out at once after a quiet period...
	rangesBurst = 16
	// ...then one per rangesInterval.
	rangesInterval = 100 * time.Millisecond
	// maxRangesWaiting requests may wait for their answer; one more is a
	// protocol violation. A primary asks about a stream when a path fails,
	// so even one asking about every stream of a session stays far below.
	maxRangesWaiting = 256
)

// rangesRequest is a RANGES_REQUEST waiting for its answer.
type rangesRequest struct{ requestID, streamID uint64 }

// rangesAnswerer queues the primary's RANGES_REQUESTs and answers them in
// order, as the rate limit allows, from one goroutine (run).
type rangesAnswerer struct {
	lim    *rate.Limiter
	answer func(requestID, streamID uint64)

	gate  gate.Gate // guards queue; its condition: queue is not empty
	queue []rangesRequest
}

func newRangesAnswerer(answer func(requestID, streamID uint64)) *rangesAnswerer {
	return &rangesAnswerer{
		lim:    rate.NewLimiter(rate.Every(rangesInterval), rangesBurst),
		answer: answer,
		gate:   gate.New(),
	}
}

// request queues a request; it fails when too many are waiting already.
func (a *rangesAnswerer) request(requestID, streamID uint64) error {
	a.gate.Lock()
	defer a.gate.UnlockFunc(a.waiting)
	if len(a.queue) >= maxRangesWaiting {
		return protocolError("RANGES_REQUEST while %d others wait for an answer; a client answers %d at once, then one per %v",
			maxRangesWaiting, rangesBurst, rangesInterval)
	}
	a.queue = append(a.queue, rangesRequest{requestID, streamID})
	return nil
}

// waiting is the gate's condition; the gate is held.
func (a *rangesAnswerer) waiting() bool { return len(a.queue) > 0 }

// allow takes one answer's worth of budget if there is some, for a report
// nobody waits for.
func (a *rangesAnswerer) allow() bool { return a.lim.Allow() }

// run answers queued requests until ctx ends.
func (a *rangesAnswerer) run(ctx context.Context) {
	for {
		if a.gate.WaitAndLock(ctx) != nil {
			return
		}
		req := a.queue[0]
		a.queue = a.queue[1:]
		if len(a.queue) == 0 {
			a.queue = nil // let a burst's array go
		}
		a.gate.UnlockFunc(a.waiting)
		if a.lim.Wait(ctx) != nil {
			return
		}
		a.answer(req.requestID, req.streamID)
	}
}
