package data

import (
	"slices"
	"sync"
	"testing"

	"github.com/kwik-transport/kwik/internal/wire"
)

func sortedReport(d *Deliveries, force bool) []wire.Delivery {
	r := d.Report(force)
	slices.SortFunc(r, func(a, b wire.Delivery) int {
		if a.PathID != b.PathID {
			return int(a.PathID) - int(b.PathID)
		}
		return int(a.StreamID) - int(b.StreamID)
	})
	return r
}

func TestDeliveries(t *testing.T) {
	d := NewDeliveries()
	if r := d.Report(false); r != nil {
		t.Fatalf("empty counter reported %v", r)
	}
	if r := d.Report(true); r == nil || len(r) != 0 {
		t.Fatalf("forced report of nothing: %#v, want an empty non-nil slice", r)
	}
	d.Add(0, 4, 100)
	d.Add(1, 4, 50)
	d.Add(0, 4, 10)
	d.Add(1, 8, 7)
	want := []wire.Delivery{{PathID: 0, StreamID: 4, Bytes: 110}, {PathID: 1, StreamID: 4, Bytes: 50}, {PathID: 1, StreamID: 8, Bytes: 7}}
	if r := sortedReport(d, false); !slices.Equal(r, want) {
		t.Fatalf("report %v, want %v", r, want)
	}
	if r := d.Report(false); r != nil {
		t.Fatalf("unchanged counters reported again: %v", r)
	}
	if r := sortedReport(d, true); !slices.Equal(r, want) {
		t.Fatalf("forced report %v, want %v (cumulative)", r, want)
	}
	// A periodic report carries only the streams counted since the last
	// one, with their cumulative counters.
	d.Add(1, 8, 3)
	if r := sortedReport(d, false); !slices.Equal(r, []wire.Delivery{{PathID: 1, StreamID: 8, Bytes: 10}}) {
		t.Fatalf("report after stream 8 alone changed: %v, want stream 8's counter only", r)
	}
	want[2].Bytes = 10
	d.Add(0, 4, 1)
	d.Forget(4)
	if r := d.Report(false); r != nil {
		t.Fatalf("a forgotten stream was reported: %v", r)
	}
	if r := sortedReport(d, true); !slices.Equal(r, want[2:]) {
		t.Fatalf("after forgetting stream 4: %v, want %v", r, want[2:])
	}
}

// TestDeliveriesReportFollowsChanges: with many open streams, a report
// after one of them received carries one entry, not one per open stream.
func TestDeliveriesReportFollowsChanges(t *testing.T) {
	d := NewDeliveries()
	const streams = 10000
	for s := range uint64(streams) {
		d.Add(0, 4*s, 1)
	}
	if r := d.Report(false); len(r) != streams {
		t.Fatalf("first report: %d entries, want %d", len(r), streams)
	}
	d.Add(0, 4*77, 1)
	if r := d.Report(false); len(r) != 1 || r[0] != (wire.Delivery{PathID: 0, StreamID: 4 * 77, Bytes: 2}) {
		t.Fatalf("after one stream received: %d entries (%v...), want 1", len(r), r[:min(len(r), 2)])
	}
	if r := d.Report(true); len(r) != streams {
		t.Fatalf("forced report: %d entries, want %d", len(r), streams)
	}
}

func TestDeliveriesConcurrent(t *testing.T) {
	d := NewDeliveries()
	var wg sync.WaitGroup
	for p := range uint64(4) {
		wg.Go(func() {
			for range 1000 {
				d.Add(p, 0, 1)
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			d.Report(false)
		}
	})
	wg.Wait()
	for _, e := range d.Report(true) {
		if e.Bytes != 1000 {
			t.Fatalf("%+v, want 1000 bytes", e)
		}
	}
}

// TestDeliveryCounter: a kept counter counts without the table's lock,
// marks its stream changed once per report, and goes nowhere once its
// stream is forgotten (it does not bring the stream's entry back).
func TestDeliveryCounter(t *testing.T) {
	d := NewDeliveries()
	c := d.Counter(2, 8)
	c.Add(5)
	c.Add(6)
	if r := d.Report(false); !slices.Equal(r, []wire.Delivery{{PathID: 2, StreamID: 8, Bytes: 11}}) {
		t.Fatalf("report %v, want 11 bytes of stream 8 via path 2", r)
	}
	if r := d.Report(false); r != nil {
		t.Fatalf("nothing counted since, but reported %v", r)
	}
	c.Add(1)
	if r := d.Report(false); !slices.Equal(r, []wire.Delivery{{PathID: 2, StreamID: 8, Bytes: 12}}) {
		t.Fatalf("report after one more byte %v, want 12", r)
	}
	d.Forget(8)
	c.Add(100)
	if !c.Gone() {
		t.Fatal("a forgotten stream's counter is not gone")
	}
	if r := d.Report(true); len(r) != 0 {
		t.Fatalf("a forgotten stream came back: %v", r)
	}
}

// TestDeliveryCounterConcurrentReports: counts racing reports are all
// reported in the end.
func TestDeliveryCounterConcurrentReports(t *testing.T) {
	d := NewDeliveries()
	c := d.Counter(1, 0)
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 10000 {
			c.Add(1)
		}
	})
	var last uint64
	for range 100 {
		for _, e := range d.Report(false) {
			last = e.Bytes
		}
	}
	wg.Wait()
	for _, e := range d.Report(false) {
		last = e.Bytes
	}
	if last != 10000 {
		t.Fatalf("last report says %d bytes, want 10000", last)
	}
}
