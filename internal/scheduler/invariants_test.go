package scheduler

import "fmt"

// checkInvariants returns an error if the plan has lost track of a piece or
// its bookkeeping disagrees with itself.
func checkInvariants(pl *plan) error {
	holders := make(map[*piece]int)
	for _, p := range pl.paths {
		next := p.delivered
		for i, e := range p.queue {
			if i == 0 && !(e.start <= p.delivered && p.delivered < e.end) {
				return fmt.Errorf("path %d: head entry [%d,%d) does not straddle delivered %d", p.id, e.start, e.end, p.delivered)
			}
			if i > 0 && e.start != next {
				return fmt.Errorf("path %d: entry %d starts at %d, want %d", p.id, i, e.start, next)
			}
			if e.end-e.start != e.p.r.Len() {
				return fmt.Errorf("path %d: entry %d length %d for piece %v", p.id, i, e.end-e.start, e.p.r)
			}
			next = e.end
			if p.alive {
				holders[e.p]++
			}
		}
		if next != p.assigned {
			return fmt.Errorf("path %d: queue ends at %d, assigned %d", p.id, next, p.assigned)
		}
	}
	undone := pl.cfg.Size - pl.fresh
	for i, pc := range pl.pending {
		if i == 0 && pc.complete {
			return fmt.Errorf("pending starts with complete piece %v", pc.r)
		}
		if i > 0 && pl.pending[i-1].r.End != pc.r.Start {
			return fmt.Errorf("pending not contiguous at %v", pc.r)
		}
		if holders[pc] != pc.holders {
			return fmt.Errorf("piece %v: holders %d, live queues hold it %d times", pc.r, pc.holders, holders[pc])
		}
		if pc.complete {
			continue
		}
		undone += pc.r.Len()
		if pl.alive > 0 && pc.holders == 0 && !pc.queued {
			return fmt.Errorf("piece %v is incomplete, held by no live path and not queued: lost", pc.r)
		}
	}
	if n := len(pl.pending); n > 0 && pl.pending[n-1].r.End != pl.fresh {
		return fmt.Errorf("pending ends at %d, fresh is %d", pl.pending[n-1].r.End, pl.fresh)
	}
	if undone != pl.undone {
		return fmt.Errorf("undone %d, pieces say %d", pl.undone, undone)
	}
	for _, pc := range pl.retry {
		if !pc.queued {
			return fmt.Errorf("retry piece %v not marked queued", pc.r)
		}
	}
	return nil
}
