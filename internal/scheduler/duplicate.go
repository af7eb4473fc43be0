package scheduler

import (
	"slices"
	"time"
)

// lookahead bounds how many of the lowest incomplete pieces are considered
// for duplication when the receiver's window blocks new work.
const lookahead = 4

// duplicateOne gives one path with room a copy of a piece that another path
// is expected to finish late, and reports whether it did. With blocked set,
// the next piece is beyond the receiver's window, so the pieces worth
// copying are the lowest incomplete ones (the window moves only when they
// complete); otherwise everything is handed out, and the piece worth copying
// is the one expected to complete last (the tail).
func (pl *plan) duplicateOne(now time.Time, fallback float64, blocked bool) bool {
	idle := pl.idle[:0]
	for _, p := range pl.paths {
		if pl.hasRoom(p, now) {
			idle = append(idle, p)
		}
	}
	pl.idle = idle
	if len(idle) == 0 {
		return false
	}
	// Fastest first: it is the one most likely to help.
	ps := pl.cfg.PieceSize
	slices.SortStableFunc(idle, func(a, b *pathState) int {
		return pl.candidateETA(a, ps, now, fallback).Compare(pl.candidateETA(b, ps, now, fallback))
	})
	for _, p := range idle {
		var pc *piece
		if blocked {
			pc = pl.lowestLate(p, now, fallback)
		} else {
			pc = pl.tail(p, now, fallback)
		}
		if pc != nil {
			pl.log.Debug("scheduler: duplicating piece", "path", p.id, "range", pc.r, "holders", pc.holders, "tail", !blocked)
			pl.assign(p, pc, now, fallback)
			return true
		}
	}
	return false
}

// worthCopying reports whether path p would complete pc at least one report
// interval before its current holders are expected to.
func (pl *plan) worthCopying(p *pathState, pc *piece, now time.Time, fallback float64) bool {
	if pc.complete || pc.holders == 0 || pc.holders >= maxHolders || holds(p, pc) {
		return false
	}
	eta := pl.candidateETA(p, pc.r.Len(), now, fallback)
	return eta.Add(pl.cfg.ReportInterval).Before(pc.eta)
}

// lowestLate returns the first of the lowest incomplete pieces that p is
// worth copying, or nil.
func (pl *plan) lowestLate(p *pathState, now time.Time, fallback float64) *piece {
	seen := 0
	for _, pc := range pl.pending {
		if pc.complete {
			continue
		}
		if pl.worthCopying(p, pc, now, fallback) {
			return pc
		}
		if seen++; seen == lookahead {
			break
		}
	}
	return nil
}

// tail returns the incomplete piece expected to complete last among those p
// does not hold, if p is worth copying it, or nil.
func (pl *plan) tail(p *pathState, now time.Time, fallback float64) *piece {
	var last *piece
	for _, pc := range pl.pending {
		if pc.complete || pc.holders == 0 || pc.holders >= maxHolders || holds(p, pc) {
			continue
		}
		if last == nil || pc.eta.After(last.eta) {
			last = pc
		}
	}
	if last == nil || !pl.worthCopying(p, last, now, fallback) {
		return nil
	}
	return last
}

// holds reports whether pc is in p's queue.
func holds(p *pathState, pc *piece) bool {
	for i := range p.queue {
		if p.queue[i].p == pc {
			return true
		}
	}
	return false
}

// satAdd returns a+b, or the largest uint64 if that overflows.
func satAdd(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return ^uint64(0)
}
