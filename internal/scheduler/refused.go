package scheduler

import (
	"slices"
	"time"
)

// takeBack undoes path id's assignment of r, which its source refused
// without sending anything (ErrRefused): the entry leaves the path's queue,
// the pieces after it move up in the path's byte count, r is handed out
// again, and the path gets no new work until its next progress or one
// report interval from now.
func (pl *plan) takeBack(id uint64, r Range, now time.Time) {
	p, ok := pl.byID[id]
	if !ok {
		return
	}
	i := slices.IndexFunc(p.queue, func(e entry) bool { return e.p.r == r && !e.bad && !e.started })
	if i < 0 {
		return
	}
	pc, n := p.queue[i].p, r.Len()
	for j := i + 1; j < len(p.queue); j++ {
		p.queue[j].start -= n
		p.queue[j].end -= n
	}
	e := p.queue[i]
	switch {
	case e.copy:
		p.duplicated -= n
		pl.duplicated -= n
	case e.again:
		p.reassigned -= n
		p.reassignedN--
		pl.reassigned -= n
	case pc.holders == 1:
		pc.handedOut = false // it never left: handing it out later is no re-send
	}
	p.queue = slices.Delete(p.queue, i, i+1)
	p.assigned -= n
	p.refused++
	p.refusedUntil = now.Add(pl.cfg.ReportInterval)
	pc.holders--
	if !pc.complete && pc.holders == 0 {
		pl.retry.push(pc)
	}
	pl.log.Debug("scheduler: source refused a piece", "path", id, "range", r)
}

// refusing reports whether path p refused work lately and should not be
// given more yet.
func (p *pathState) refusing(now time.Time) bool { return now.Before(p.refusedUntil) }

// Refused tells the Distributor that path pathID's source did not take
// range r after all and sent nothing of it (as a Send returning ErrRefused
// says): r is handed out again, and the pieces handed to the path after r
// are expected r.Len() bytes earlier. For sources that relay their ranges
// after Send returned.
func (d *Distributor) Refused(pathID uint64, r Range) {
	d.mu.Lock()
	d.pl.takeBack(pathID, r, time.Now())
	d.mu.Unlock()
	d.notify()
}
