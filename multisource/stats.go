package multisource

import "github.com/kwik-transport/kwik/internal/scheduler"

// Stats is what one Spread did. Spread hands it to Config.OnStats when it
// returns, whatever the outcome.
type Stats struct {
	// Size is the object's length; CompleteBytes of it were known
	// delivered when Spread returned.
	Size          uint64
	CompleteBytes uint64
	// Paths has one entry per path Spread used, by ascending ID: the
	// primary's own (PathID 0) first.
	Paths []PathStats
}

// PathStats is one path's part in a Spread.
type PathStats struct {
	PathID uint64
	// AssignedBytes were asked of the path; DeliveredBytes were reported
	// received through it (copies and discarded pieces included).
	AssignedBytes  uint64
	DeliveredBytes uint64
	// ResentPieces (ResentBytes) were handed to this path again after an
	// earlier copy was lost: it failed verification, or its path went
	// down holding it.
	ResentPieces uint64
	ResentBytes  uint64
	// CorruptPieces is how many of this path's pieces failed verification
	// at the client (their bytes did not match the digest); Removed is set
	// when Spread removed the path for them (Config.MaxBadPieces).
	CorruptPieces int
	Removed       bool
	// RefusedPieces were taken back before the secondary was asked for
	// them, because the client would have refused their assignment
	// (kwik.ErrAssignmentRefused) or too many waited for their digests.
	RefusedPieces uint64
}

// stats is the Distributor's figures with the feed's verdicts; the feed
// has stopped.
func (f *spreadFeed) stats() Stats {
	ds := f.d.Stats()
	s := Stats{Size: ds.Size, CompleteBytes: ds.CompleteBytes, Paths: make([]PathStats, 0, len(ds.Paths))}
	for _, p := range ds.Paths {
		s.Paths = append(s.Paths, pathStats(p, f.bad[p.PathID], f.removed[p.PathID]))
	}
	return s
}

func pathStats(p scheduler.PathStats, bad int, removed bool) PathStats {
	return PathStats{
		PathID:         p.PathID,
		AssignedBytes:  p.AssignedBytes,
		DeliveredBytes: p.DeliveredBytes,
		ResentPieces:   p.ReassignedPieces,
		ResentBytes:    p.ReassignedBytes,
		CorruptPieces:  bad,
		Removed:        removed,
		RefusedPieces:  p.RefusedPieces,
	}
}
