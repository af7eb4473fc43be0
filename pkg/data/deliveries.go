package data

import (
	"sync"

	"github.com/kwik-transport/kwik/pkg/wire"
)

// Deliveries counts, per stream and path, the payload bytes received. The
// client reports them to the primary, whose scheduler learns from them how
// fast each path delivers. Only bytes a stream accepted are counted, so the
// table holds at most open streams × paths; Forget drops a stream's
// counters in O(paths).
type Deliveries struct {
	mu      sync.Mutex
	streams map[uint64]map[uint64]uint64 // stream → path → bytes
	entries int
	changed bool
}

// NewDeliveries returns an empty counter.
func NewDeliveries() *Deliveries {
	return &Deliveries{streams: make(map[uint64]map[uint64]uint64)}
}

// Add counts n bytes of stream received through path.
func (d *Deliveries) Add(path, stream uint64, n int) {
	d.mu.Lock()
	byPath := d.streams[stream]
	if byPath == nil {
		byPath = make(map[uint64]uint64)
		d.streams[stream] = byPath
	}
	if _, ok := byPath[path]; !ok {
		d.entries++
	}
	byPath[path] += uint64(n)
	d.changed = true
	d.mu.Unlock()
}

// Forget drops the counters of a stream that is gone.
func (d *Deliveries) Forget(stream uint64) {
	d.mu.Lock()
	d.entries -= len(d.streams[stream])
	delete(d.streams, stream)
	d.mu.Unlock()
}

// Report returns every counter, or nil when nothing changed since the last
// report and force is false.
func (d *Deliveries) Report(force bool) []wire.Delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.changed && !force {
		return nil
	}
	d.changed = false
	out := make([]wire.Delivery, 0, d.entries)
	for stream, byPath := range d.streams {
		for path, n := range byPath {
			out = append(out, wire.Delivery{PathID: path, StreamID: stream, Bytes: n})
		}
	}
	return out
}
