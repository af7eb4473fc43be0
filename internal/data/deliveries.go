package data

import (
	"sync"
	"sync/atomic"

	"github.com/kwik-transport/kwik/internal/wire"
)

// Deliveries counts, per stream and path, the payload bytes received. The
// client reports them to the primary, whose scheduler learns from them how
// fast each path delivers. Only bytes a stream accepted are counted, so the
// table holds at most open streams × paths; Forget drops a stream's
// counters in O(paths).
type Deliveries struct {
	mu      sync.Mutex
	streams map[uint64]map[uint64]*Delivery // stream → path → counter
	entries int
	// changed holds the streams counted since the last report, a subset of
	// streams: a periodic report carries only them, so that its size and
	// cost follow the streams receiving, not all the open ones (10,000 open
	// streams made every 25 ms report about 100 KB).
	changed map[uint64]struct{}
}

// Delivery is the counter of one stream's bytes through one path. A lane
// keeps it for a run of frames of its stream and counts each without a lock:
// only the first count after a report takes the table's lock, to mark the
// stream changed.
type Delivery struct {
	d            *Deliveries
	stream, path uint64
	bytes        atomic.Uint64
	dirty        atomic.Bool // counted since the last report
	gone         atomic.Bool // Forget dropped it: counts go nowhere
}

// NewDeliveries returns an empty counter.
func NewDeliveries() *Deliveries {
	return &Deliveries{streams: make(map[uint64]map[uint64]*Delivery), changed: make(map[uint64]struct{})}
}

// Counter returns the counter of stream's bytes through path, creating it.
func (d *Deliveries) Counter(path, stream uint64) *Delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	byPath := d.streams[stream]
	if byPath == nil {
		byPath = make(map[uint64]*Delivery)
		d.streams[stream] = byPath
	}
	c := byPath[path]
	if c == nil {
		c = &Delivery{d: d, stream: stream, path: path}
		byPath[path] = c
		d.entries++
	}
	return c
}

// Add counts n bytes of stream received through path.
func (d *Deliveries) Add(path, stream uint64, n int) { d.Counter(path, stream).Add(n) }

// Add counts n bytes. A report reads the flag before the bytes, so a count
// it misses sets the flag again for the next one.
func (c *Delivery) Add(n int) {
	c.bytes.Add(uint64(n))
	if c.dirty.Load() || !c.dirty.CompareAndSwap(false, true) {
		return
	}
	c.d.mu.Lock()
	if !c.gone.Load() {
		c.d.changed[c.stream] = struct{}{}
	}
	c.d.mu.Unlock()
}

// Gone reports whether Forget dropped the counter (its stream ended).
func (c *Delivery) Gone() bool { return c.gone.Load() }

// Forget drops the counters of a stream that is gone.
func (d *Deliveries) Forget(stream uint64) {
	d.mu.Lock()
	for _, c := range d.streams[stream] {
		c.gone.Store(true)
	}
	d.entries -= len(d.streams[stream])
	delete(d.streams, stream)
	delete(d.changed, stream)
	d.mu.Unlock()
}

// Report returns the counters of every stream counted since the last
// report (the counters are cumulative, so those of the other streams say
// nothing new), nil when there are none; with force, every counter.
func (d *Deliveries) Report(force bool) []wire.Delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	if force {
		clear(d.changed)
		out := make([]wire.Delivery, 0, d.entries)
		for stream, byPath := range d.streams {
			out = appendDeliveries(out, stream, byPath)
		}
		return out
	}
	if len(d.changed) == 0 {
		return nil
	}
	var out []wire.Delivery
	for stream := range d.changed {
		out = appendDeliveries(out, stream, d.streams[stream])
	}
	clear(d.changed)
	return out
}

func appendDeliveries(out []wire.Delivery, stream uint64, byPath map[uint64]*Delivery) []wire.Delivery {
	for path, c := range byPath {
		c.dirty.Store(false)
		out = append(out, wire.Delivery{PathID: path, StreamID: stream, Bytes: c.bytes.Load()})
	}
	return out
}
