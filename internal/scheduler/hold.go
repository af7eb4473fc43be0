package scheduler

import "time"

// releaseHold ends the hold of a path held back (Config.HoldBack) once its
// time is up, once every other live path's rate is measured (a report
// interval in which it never ran out of work), or once every other path
// that was added is down. While no other path was added yet it keeps
// holding: the others are still joining. Released at the others' first
// bytes, the primary filled its queue before the requests that the others'
// measured rates call for crossed it, and a 100 Mbit/s secondary ran dry
// for 75 ms.
func (pl *plan) releaseHold(now time.Time) {
	for _, p := range pl.paths {
		if p.heldUntil.IsZero() {
			continue
		}
		if now.Before(p.heldUntil) && !pl.othersMeasured(p) {
			continue
		}
		p.heldUntil = time.Time{}
		pl.log.Debug("scheduler: held path released", "path", p.id)
	}
}

// othersMeasured reports whether the paths other than held are all either
// down or have a measured rate, and at least one of them was added.
func (pl *plan) othersMeasured(held *pathState) bool {
	others := false
	for _, p := range pl.paths {
		if p == held {
			continue
		}
		others = true
		if p.alive && !p.est.rateSettled {
			return false
		}
	}
	return others
}
