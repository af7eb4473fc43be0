package data

import (
	"sync"

	"github.com/kwik-transport/kwik/pkg/wire"
)

// Deliveries counts, per path and stream, the payload bytes received. The
// client reports them to the primary, whose scheduler learns from them how
// fast each path delivers.
type Deliveries struct {
	mu      sync.Mutex
	bytes   map[deliveryKey]uint64
	changed bool
}

type deliveryKey struct{ path, stream uint64 }

// NewDeliveries returns an empty counter.
func NewDeliveries() *Deliveries {
	return &Deliveries{bytes: make(map[deliveryKey]uint64)}
}

// Add counts n bytes of stream received through path.
func (d *Deliveries) Add(path, stream uint64, n int) {
	d.mu.Lock()
	d.bytes[deliveryKey{path, stream}] += uint64(n)
	d.changed = true
	d.mu.Unlock()
}

// Forget drops the counters of a stream that is gone.
func (d *Deliveries) Forget(stream uint64) {
	d.mu.Lock()
	for k := range d.bytes {
		if k.stream == stream {
			delete(d.bytes, k)
		}
	}
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
	out := make([]wire.Delivery, 0, len(d.bytes))
	for k, n := range d.bytes {
		out = append(out, wire.Delivery{PathID: k.path, StreamID: k.stream, Bytes: n})
	}
	return out
}
