package scheduler

import (
	"fmt"
	"slices"
)

// PieceFailed tells the Distributor that the receiver discarded range r,
// which path pathID was asked to send: its bytes were wrong, or the
// receiver refused the assignment. The bytes still count in the path's
// reports (the path did send them), but they complete nothing: the piece is
// handed out again, to whichever path is best, once no other live path
// holds it. Report the failure before the report that covers the piece's
// last byte, as a receiver that verifies a piece before counting its last
// bytes does; a later one reopens the piece. It fails with ErrUnknownPath
// for a path never added.
func (d *Distributor) PieceFailed(pathID uint64, r Range) error {
	d.mu.Lock()
	err := d.pl.onPieceFailed(pathID, r)
	d.mu.Unlock()
	d.notify()
	if err != nil {
		return fmt.Errorf("piece %v failed on path %d: %w", r, pathID, err)
	}
	return nil
}

// onPieceFailed marks path id's outstanding entry for r bad, or reopens r.
func (pl *plan) onPieceFailed(id uint64, r Range) error {
	p, ok := pl.byID[id]
	if !ok {
		return ErrUnknownPath
	}
	for i := range p.queue {
		if e := &p.queue[i]; e.p.r == r && !e.bad {
			e.bad = true
			pl.log.Debug("scheduler: piece failed", "path", id, "range", r)
			return nil
		}
	}
	pl.reopen(r)
	return nil
}

// badDelivered handles an entry marked bad whose bytes the path has now
// delivered: the piece is handed out again unless another live path holds
// it or it is complete.
func (pl *plan) badDelivered(pc *piece) {
	if !pc.complete && pc.holders == 0 {
		pl.retry.push(pc)
	}
}

// reopen makes range r of the object incomplete again after it was counted
// complete, and queues it to be handed out again.
func (pl *plan) reopen(r Range) {
	if r.Start >= r.End || r.End > pl.cfg.Size {
		return
	}
	i, found := slices.BinarySearchFunc(pl.pending, r.Start, func(pc *piece, off uint64) int {
		switch {
		case pc.r.Start < off:
			return -1
		case pc.r.Start > off:
			return 1
		}
		return 0
	})
	var pc *piece
	switch {
	case found && pl.pending[i].r == r:
		pc = pl.pending[i]
		if !pc.complete {
			if pc.holders == 0 {
				pl.retry.push(pc)
			}
			return
		}
	case r.End > pl.fresh:
		return // never handed out: nothing to reopen
	default:
		pc = &piece{r: r, handedOut: true}
		pl.pending = slices.Insert(pl.pending, i, pc)
	}
	pc.complete = false
	pl.undone += r.Len()
	pl.reassigned += r.Len()
	pl.log.Debug("scheduler: reopening a piece reported failed after completion", "range", r)
	pl.retry.push(pc)
}
