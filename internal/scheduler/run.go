package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// send is one assignment bound to its source.
type send struct {
	id  uint64
	src Source
	r   Range
}

// Run distributes the object until every byte is reported delivered, and
// then returns nil. It returns ctx's error if ctx ends first, and an error
// matching ErrNoSources if every source is down (or none was added) with
// bytes left. Run wakes on reports and events, and otherwise only when a busy
// path has gone too long without progress; it calls Send from its own
// goroutine only, so each source sees its ranges in order. While every live
// path is stalled it waits for a report, a PathDown or ctx. Everything Run
// starts has stopped when it returns: it waits for a WriterSource's WriteAt
// in progress, so that writer must honour a deadline or fail when its
// stream closes. Run may be called once.
func (d *Distributor) Run(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	d.mu.Lock()
	if d.state != notStarted {
		d.mu.Unlock()
		return ErrAlreadyRun
	}
	d.state, d.runCtx = running, runCtx
	for id, e := range d.sources {
		d.startWorker(id, e)
	}
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.state = finished
		d.mu.Unlock()
		cancel()
		d.workers.Wait()
	}()

	// Since Go 1.23 a stopped timer can be Reset without draining it.
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var sends []send
	var announced uint64 // the receiver limit last passed to OnReceiverLimit
	for {
		var wait time.Duration
		var credit uint64
		var done bool
		var err error
		sends, wait, credit, done, err = d.step(sends[:0])
		if done || err != nil {
			return err
		}
		if credit > announced && d.onReceiverLimit != nil {
			announced = credit
			d.onReceiverLimit(credit)
		}
		if d.sendAll(runCtx, sends) {
			continue // a path failed: reassign its work at once
		}
		var fire <-chan time.Time
		if wait > 0 {
			timer.Reset(wait)
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.wake.Ready():
			d.wake.Unlock(false) // step, next, looks at everything that arrived
		case <-fire:
		}
		timer.Stop()
	}
}

// step runs the plan once. It appends to buf what to send and returns how
// long to wait for the next deadline (0: wait for an event only) and the
// receiver limit that holds paths back, if any; done is set when the object
// is complete, and err when no source is left.
func (d *Distributor) step(buf []send) (sends []send, wait time.Duration, credit uint64, done bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	pl := d.pl
	if pl.done() {
		return buf, 0, 0, true, nil
	}
	if pl.alive == 0 {
		return buf, 0, 0, false, fmt.Errorf("%w: %d of %d bytes undelivered", ErrNoSources, pl.undone, pl.cfg.Size)
	}
	now := time.Now()
	for _, a := range pl.next(now) {
		buf = append(buf, send{id: a.path, src: d.sources[a.path].src, r: a.r})
	}
	if t, ok := pl.deadline(now); ok {
		wait = max(t.Sub(now), time.Millisecond)
	}
	return buf, wait, pl.creditWanted, false, nil
}

// sendAll sends each assignment; it reports whether to plan again at once:
// a send failed (and so marked its path down) or its source refused the
// range (which waits for another path).
func (d *Distributor) sendAll(ctx context.Context, sends []send) bool {
	failed := false
	for _, s := range sends {
		err := s.src.Send(ctx, s.r)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return false // Run is ending; the loop sees ctx
		}
		if errors.Is(err, ErrRefused) {
			d.mu.Lock()
			d.pl.takeBack(s.id, s.r, time.Now())
			d.mu.Unlock()
			failed = true // the range waits for another path: plan again
			continue
		}
		d.log.Warn("scheduler: send failed, path marked down", "path", s.id, "range", s.r, "err", err)
		d.mu.Lock()
		_ = d.pathDownLocked(s.id) // the path was added, so this cannot fail
		d.mu.Unlock()
		failed = true
	}
	return failed
}
