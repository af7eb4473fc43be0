package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kwik-transport/kwik/internal/gate"
)

// Distributor delivers one object through several sources at once, handing
// each source small ranges as the receiver's reports show it draining, until
// every byte is reported delivered. Create it with NewDistributor, add
// sources, call Run, and feed it Report and PathDown from other goroutines.
// All methods are safe for concurrent use.
type Distributor struct {
	log             *slog.Logger
	wake            gate.Gate // its condition: a report or event arrived since Run last looked
	onReceiverLimit func(limit uint64)

	mu      sync.Mutex
	pl      *plan
	sources map[uint64]*sourceEntry
	state   runState
	runCtx  context.Context // set while running; parent of the workers
	workers sync.WaitGroup
}

// sourceEntry is a source and the cancel function of its worker, if any.
type sourceEntry struct {
	src  Source
	stop context.CancelFunc
}

// runState is where a Distributor is in its single run.
type runState int

const (
	notStarted runState = iota
	running
	finished
)

// NewDistributor returns a Distributor for the object cfg describes, with no
// sources yet. It fails with a *ConfigError (matching ErrInvalidConfig) if
// cfg is invalid.
func NewDistributor(cfg Config) (*Distributor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Distributor{
		log:             cfg.Logger,
		wake:            gate.New(),
		onReceiverLimit: cfg.OnReceiverLimit,
		pl:              newPlan(cfg),
		sources:         make(map[uint64]*sourceEntry),
	}, nil
}

// AddSource adds a path, before or during Run. Its ID must be new
// (ErrDuplicatePath); after Run returned it fails with ErrFinished.
func (d *Distributor) AddSource(s Source) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.state == finished {
		return ErrFinished
	}
	id := s.PathID()
	if err := d.pl.addPath(id, time.Now()); err != nil {
		return fmt.Errorf("adding source for path %d: %w", id, err)
	}
	e := &sourceEntry{src: s}
	d.sources[id] = e
	if d.state == running {
		d.startWorker(id, e)
	}
	d.notify()
	return nil
}

// Report records the receiver's count of bytes delivered through a path.
// Reports for a path must not go backwards; stale ones are ignored. It fails
// with ErrUnknownPath for a path never added, and with ErrOverReport (after
// taking the report, capped) when the count exceeds what the path was asked.
func (d *Distributor) Report(r Report) error {
	d.mu.Lock()
	err := d.pl.onReport(r.PathID, r.Delivered, time.Now())
	d.mu.Unlock()
	d.notify()
	if err != nil {
		return fmt.Errorf("report for path %d (%d bytes): %w", r.PathID, r.Delivered, err)
	}
	return nil
}

// PathDown tells the Distributor that a path is gone: its undelivered ranges
// are handed to other paths at once, lowest offset first, and its worker (if
// it has one) is stopped. A late Report for the path still counts. It fails
// with ErrUnknownPath for a path never added.
func (d *Distributor) PathDown(pathID uint64) error {
	d.mu.Lock()
	err := d.pathDownLocked(pathID)
	d.mu.Unlock()
	d.notify()
	return err
}

// pathDownLocked marks a path down; d.mu is held.
func (d *Distributor) pathDownLocked(id uint64) error {
	if err := d.pl.onPathDown(id); err != nil {
		return fmt.Errorf("path %d down: %w", id, err)
	}
	if e := d.sources[id]; e != nil && e.stop != nil {
		e.stop()
	}
	return nil
}

// SetReceiverLimit tells the Distributor the receiver's flow-control limit,
// in offsets of the object: no piece ending beyond it is handed out, so no
// source ever blocks on credit while lower pieces wait behind it. Without it
// only Config.Window applies. The limit only grows; lower values are ignored.
func (d *Distributor) SetReceiverLimit(limit uint64) {
	d.mu.Lock()
	d.pl.setReceiverLimit(limit)
	d.mu.Unlock()
	d.notify()
}

// Stats returns a snapshot of the distribution's progress.
func (d *Distributor) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pl.stats(time.Now())
}

// notify wakes Run.
func (d *Distributor) notify() { d.wake.Set() }

// startWorker starts the goroutine of a source that needs one; d.mu is held
// and the Distributor is running.
func (d *Distributor) startWorker(id uint64, e *sourceEntry) {
	w, ok := e.src.(worker)
	if !ok {
		return
	}
	ctx, stop := context.WithCancel(d.runCtx)
	e.stop = stop
	d.workers.Add(1)
	go func() {
		defer d.workers.Done()
		defer stop()
		w.work(ctx, func(err error) { d.sourceFailed(id, err) })
	}()
}

// sourceFailed marks a path down after its source reported an error.
func (d *Distributor) sourceFailed(id uint64, err error) {
	if d.runCtx.Err() != nil {
		// The run is ending (done, or its context cancelled because the
		// receiver stopped the stream): a write it cut short says nothing
		// about the path.
		d.log.Debug("scheduler: source stopped with the run", "path", id, "err", err)
		return
	}
	d.log.Warn("scheduler: source failed, path marked down", "path", id, "err", err)
	d.mu.Lock()
	_ = d.pathDownLocked(id) // the path was added, so this cannot fail
	d.mu.Unlock()
	d.notify()
}
