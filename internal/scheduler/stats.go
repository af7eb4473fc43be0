package scheduler

import "time"

// Stats is a snapshot of a distribution's progress.
type Stats struct {
	// Size is the object's length; CompleteBytes of it are known delivered.
	Size          uint64
	CompleteBytes uint64
	// DuplicatedBytes were assigned to a path while another live path held
	// them (tail and head-of-line copies); ReassignedBytes were assigned
	// again after their only holder went down.
	DuplicatedBytes uint64
	ReassignedBytes uint64
	// Paths has one entry per path ever added, by ascending ID.
	Paths []PathStats
}

// PathStats describes one path.
type PathStats struct {
	PathID uint64
	// Alive is false once the path was reported down.
	Alive bool
	// Stalled is set while the path has work but showed no recent progress.
	Stalled bool
	// AssignedBytes were asked of the path; DeliveredBytes were reported
	// received through it, duplicates included.
	AssignedBytes  uint64
	DeliveredBytes uint64
	// DuplicatedBytes and ReassignedBytes are this path's share of the
	// totals in Stats.
	DuplicatedBytes uint64
	ReassignedBytes uint64
	// ReassignedPieces is how many pieces ReassignedBytes are.
	ReassignedPieces uint64
	// RefusedPieces were taken back because the source refused them
	// (ErrRefused).
	RefusedPieces uint64
	// Rate is the estimated goodput in bytes per second (0 until measured).
	Rate float64
	// Latency is the estimated time from assigning a piece to seeing its
	// first byte reported (0 until measured).
	Latency time.Duration
}

// stats returns a snapshot as of now.
func (pl *plan) stats(now time.Time) Stats {
	s := Stats{
		Size:            pl.cfg.Size,
		CompleteBytes:   pl.cfg.Size - pl.undone,
		DuplicatedBytes: pl.duplicated,
		ReassignedBytes: pl.reassigned,
		Paths:           make([]PathStats, 0, len(pl.paths)),
	}
	for _, p := range pl.paths {
		s.Paths = append(s.Paths, PathStats{
			PathID:           p.id,
			Alive:            p.alive,
			Stalled:          p.alive && p.stalled(now, pl.cfg.ReportInterval),
			AssignedBytes:    p.assigned,
			DeliveredBytes:   p.delivered,
			DuplicatedBytes:  p.duplicated,
			ReassignedBytes:  p.reassigned,
			RefusedPieces:    p.refused,
			ReassignedPieces: p.reassignedN,
			Rate:             p.est.rate,
			Latency:          p.est.latency,
		})
	}
	return s
}
