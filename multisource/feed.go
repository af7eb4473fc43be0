package multisource

import (
	"context"
	"io"
	"log/slog"
	"sync"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/scheduler"
	"github.com/kwik-transport/kwik/internal/streamctl"
)

// spreadFeed turns the session's delivery reports and path states into the
// Distributor's reports, new sources and lost paths.
type spreadFeed struct {
	sess    *kwik.Session
	str     *kwik.Stream
	d       *scheduler.Distributor
	object  string
	offset  uint64          // the primary's bytes before the object
	sources map[uint64]bool // path ID → still a source
	content io.ReaderAt
	maxBad  int             // corrupt pieces after which a path is removed
	bad     map[uint64]int  // path ID → corrupt pieces delivered
	removed map[uint64]bool // paths removed for their corrupt pieces
	// noAssign is Config.InsecureSkipAssign.
	noAssign bool
	log      *slog.Logger

	ctx context.Context // Spread's: the relay sources' workers stop with it
	wg  *sync.WaitGroup // the feed and the relay sources' workers
}

func (f *spreadFeed) feed(ctx context.Context) {
	for {
		counts, changed := f.sess.Deliveries(uint64(f.str.StreamID()))
		limit := streamctl.Of(f.str).SendLimit() // a raise closes changed too
		if limit > f.offset {
			f.d.SetReceiverLimit(limit - f.offset)
		}
		f.addPaths()
		// After the counts: a failure reaches the primary before the
		// report that counts the failed piece's last bytes.
		f.pieceFailures()
		for path, n := range counts {
			if path == 0 {
				n -= min(n, f.offset)
			}
			if f.sources[path] {
				f.d.Report(scheduler.Report{PathID: path, Delivered: n})
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return
		}
	}
}

// addPaths makes every new active secondary a source and tells the
// Distributor of paths that are gone.
func (f *spreadFeed) addPaths() {
	for _, p := range f.sess.AllPaths() {
		if p.Primary {
			continue
		}
		active := p.State == kwik.PathActive || p.State == kwik.PathDegraded
		switch known, ok := f.sources[p.ID]; {
		case active && !ok:
			src := newRelaySource(f, p.ID)
			if f.d.AddSource(src) == nil {
				f.sources[p.ID] = true
				f.wg.Go(func() { src.run(f.ctx) })
			}
		case !active && p.State != kwik.PathPending && known:
			f.sources[p.ID] = false
			f.d.PathDown(p.ID)
		}
	}
}

// pieceFailures hands the pieces the client discarded back to the
// Distributor, and removes a path once it delivered maxBad corrupt ones.
func (f *spreadFeed) pieceFailures() {
	for _, e := range f.sess.PieceFailures(uint64(f.str.StreamID())) {
		if _, known := f.sources[e.PathID]; !known || e.Range.Start < f.offset {
			continue
		}
		r := scheduler.Range{Start: e.Range.Start - f.offset, End: e.Range.End - f.offset}
		if err := f.d.PieceFailed(e.PathID, r); err != nil {
			continue
		}
		if e.Reason != kwik.PieceCorrupt {
			continue
		}
		f.bad[e.PathID]++
		if f.maxBad < 0 || f.bad[e.PathID] < f.maxBad || !f.sources[e.PathID] {
			continue
		}
		f.sources[e.PathID] = false
		f.d.PathDown(e.PathID)
		if f.log != nil {
			f.log.Warn("multisource: Spread: removing a secondary that delivered corrupt pieces", "path", e.PathID, "bad_pieces", f.bad[e.PathID])
		}
		f.removed[e.PathID] = true
		f.sess.RemovePath(e.PathID)
	}
}
