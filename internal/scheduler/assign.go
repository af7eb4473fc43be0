package scheduler

import "time"

const (
	// minPiecesInFlight is the least work a path is given ahead, so that it
	// has the next piece before it finishes the current one even while its
	// estimates are poor.
	minPiecesInFlight = 2
	// maxHolders bounds how many live paths may carry the same piece.
	maxHolders = 3
	// slowPieceReports is how many report intervals of a path's rate its
	// pieces last at most (see fit).
	slowPieceReports = 2
)

// next returns what to send now, to whom, in the order to send it. The
// returned slice is reused by the next call.
//
// Pieces are handed out in offset order, each to the path with room that is
// expected to deliver it first. A path has room while its undelivered work is
// below what it drains in twice a command latency and report interval, plus
// one piece. When no piece can be handed out (all are out, or the next one is
// beyond the receiver's window), paths with room duplicate the piece that
// holds things up, if they would finish it at least a report interval sooner.
func (pl *plan) next(now time.Time) []assignment {
	pl.out = pl.out[:0]
	pl.creditWanted = 0
	if pl.done() || pl.alive == 0 {
		return pl.out
	}
	pl.releaseHold(now)
	fallback := pl.fallbackRate()
	pl.computeETAs(now, fallback)
	for {
		pc, blocked := pl.nextPiece()
		if pc != nil {
			p := pl.bestPath(pc.r.Len(), now, fallback)
			if p == nil {
				break
			}
			pl.fit(pc, p)
			pl.takeNext(pc)
			pl.assign(p, pc, now, fallback)
			continue
		}
		// The receiver's limit, not the paths, holds the transfer back.
		if blocked == byReceiver && pl.creditWanted == 0 && pl.bestPath(pl.cfg.PieceSize, now, fallback) != nil {
			pl.creditWanted = pl.recvLimit
		}
		if !pl.duplicateOne(now, fallback, blocked != notBlocked) {
			break
		}
	}
	return pl.out
}

// blockage says why nextPiece has no piece although bytes are left.
type blockage uint8

const (
	notBlocked blockage = iota
	byWindow            // beyond Config.Window from the lowest incomplete offset
	byReceiver          // beyond the limit the receiver advertised
)

// nextPiece returns the next piece to hand out without taking it: the lowest
// retry piece, else a new piece at the fresh offset. When there is one but
// it ends beyond the receiver's window, it returns nil and why.
func (pl *plan) nextPiece() (*piece, blockage) {
	pc := pl.retry.peek()
	var end uint64
	switch {
	case pc != nil:
		end = pc.r.End
	case pl.fresh < pl.cfg.Size:
		end = min(satAdd(pl.fresh, pl.cfg.PieceSize), pl.cfg.Size)
	default:
		return nil, notBlocked
	}
	window := satAdd(pl.lowestIncomplete(), pl.cfg.Window)
	switch {
	case pl.recvLimit != 0 && end > pl.recvLimit && pl.recvLimit < window:
		return nil, byReceiver
	case end > window:
		return nil, byWindow
	}
	if pc == nil {
		pc = &piece{r: Range{Start: pl.fresh, End: end}}
	}
	return pc, notBlocked
}

// fit shortens a new piece, as returned by nextPiece, to p's piece size
// (pieceSize). A retry piece keeps its range.
func (pl *plan) fit(pc *piece, p *pathState) {
	if n := pl.pieceSize(p); !pc.queued && n < pc.r.Len() {
		pc.r.End = pc.r.Start + n
	}
}

// pieceSize is the size of the pieces path p is given, and its unit of work
// ahead: Config.PieceSize, or for a slow path what it drains in the time a
// piece lasts (at least minPieceSize, and a sixteenth of the piece size).
// A piece lasts slowPieceReports report intervals, or as long as a whole
// piece takes on the fastest path if that is longer. A whole piece, and two
// of them ahead, would keep a slow path busy for long (256 KiB take 210 ms
// at 10 Mbit/s, 512 KiB ahead 420 ms), and the last pieces a slow path
// holds decide when the object ends, however early the fast paths finish
// theirs. When every path is slow (100 sessions sharing a machine, about
// 0.2 MB/s each) no path finishes sooner, and cutting pieces to 16 KiB
// only made each one a short write after which quic-go's send loop ran dry.
// A paced relay (Config.Relay) gets pieces of half a report interval, at
// least minPieceSize.
func (pl *plan) pieceSize(p *pathState) uint64 {
	ps := pl.cfg.PieceSize
	if !p.est.rateKnown {
		return ps
	}
	floor := max(uint64(minPieceSize), ps/16)
	lasts := (slowPieceReports * pl.cfg.ReportInterval).Seconds()
	if fastest := pl.fastestRate(); fastest > 0 {
		lasts = max(lasts, float64(ps)/fastest)
	}
	if pl.paced(p) {
		lasts, floor = (pl.cfg.ReportInterval / 2).Seconds(), minPieceSize
	}
	// Capped by the piece size before the conversion, which could overflow.
	n := uint64(min(p.est.rate*lasts, float64(ps)))
	return min(ps, max(n, floor))
}

// fastestRate is the highest measured rate of a live path, or 0.
func (pl *plan) fastestRate() float64 {
	r := 0.0
	for _, p := range pl.paths {
		if p.alive && p.est.rateKnown {
			r = max(r, p.est.rate)
		}
	}
	return r
}

// setReceiverLimit records the receiver's flow-control limit; it only grows.
func (pl *plan) setReceiverLimit(limit uint64) {
	pl.recvLimit = max(pl.recvLimit, limit)
}

// takeNext removes pc, as returned by nextPiece, from the work to hand out.
func (pl *plan) takeNext(pc *piece) {
	if pc.queued {
		pl.retry.pop()
		return
	}
	pl.fresh = pc.r.End
	pl.pending = append(pl.pending, pc)
}

// hasRoom reports whether path p should be given more work now.
func (pl *plan) hasRoom(p *pathState, now time.Time) bool {
	if !p.alive || !p.heldUntil.IsZero() || p.stalled(now, pl.cfg.ReportInterval) || p.refusing(now) {
		return false
	}
	ps := pl.pieceSize(p)
	if pl.paced(p) {
		// Capped by the window before the conversion, which could overflow.
		drain := min(p.est.rate*pl.cfg.ReportInterval.Seconds(), float64(pl.cfg.Window))
		return p.inflight() < max(ps, uint64(drain))
	}
	target := minPiecesInFlight * ps
	if p.est.rateKnown {
		// Twice the command latency and report interval: the latency
		// estimate follows the quickest commands (it only falls while a path
		// is busy), while a command relayed through the primary's path waits
		// behind that path's queue, which comes and goes. With one allowance
		// a fast secondary behind a slow primary ran dry about a tenth of
		// the time.
		ahead := 2 * (p.est.latencyOr(pl.cfg.ReportInterval) + pl.cfg.ReportInterval)
		// Capped by the window before the conversion, which could overflow.
		drain := min(p.est.rate*ahead.Seconds(), float64(pl.cfg.Window))
		target = max(target, uint64(drain)+ps)
	}
	return p.inflight() < target
}

// bestPath returns the path with room expected to deliver n more bytes
// soonest, or nil when no path has room.
func (pl *plan) bestPath(n uint64, now time.Time, fallback float64) *pathState {
	var best *pathState
	var bestETA time.Time
	for _, p := range pl.paths {
		if !pl.hasRoom(p, now) {
			continue
		}
		eta := pl.candidateETA(p, n, now, fallback)
		if best == nil || eta.Before(bestETA) {
			best, bestETA = p, eta
		}
	}
	return best
}

// assign appends pc to path p's queue and to the output.
func (pl *plan) assign(p *pathState, pc *piece, now time.Time, fallback float64) {
	n := pc.r.Len()
	if p.inflight() == 0 {
		// The path idled: its progress clock restarts now.
		p.lastProgress = now
	}
	switch {
	case pc.holders > 0:
		p.duplicated += n
		pl.duplicated += n
	case pc.handedOut:
		p.reassigned += n
		p.reassignedN++
		pl.reassigned += n
	}
	eta := pl.candidateETA(p, n, now, fallback)
	p.queue = append(p.queue, entry{
		p:        pc,
		copy:     pc.holders > 0,
		again:    pc.holders == 0 && pc.handedOut,
		start:    p.assigned,
		end:      p.assigned + n,
		at:       now,
		fromIdle: p.inflight() == 0,
		eta:      eta,
	})
	p.assigned += n
	p.etaEnd = eta
	pc.holders++
	pc.handedOut = true
	if eta.Before(pc.eta) || pc.eta.IsZero() {
		pc.eta = eta
	}
	pl.out = append(pl.out, assignment{path: p.id, r: pc.r})
}
