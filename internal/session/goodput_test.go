package session

import (
	"math"
	"testing"
	"time"
)

// TestGoodput: a path's goodput is what was reported over the last second,
// or since its first report, and falls to 0 when reports stop.
func TestGoodput(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var d pathDeliveries
	if g := d.goodput(t0); g != 0 {
		t.Fatalf("goodput with no report: %v", g)
	}
	// 1000 bytes every 25 ms: 40 000 bytes per second.
	for ms := 0; ms <= 3000; ms += 25 {
		d.add(at(ms), 1000)
	}
	check := func(now int, want float64) {
		t.Helper()
		if g := d.goodput(at(now)); math.Abs(g-want) > want/100+1 {
			t.Errorf("goodput at %d ms: %.0f B/s, want %.0f", now, g, want)
		}
	}
	check(3000, 40_000)
	check(3500, 20_000) // half of the last second had reports
	check(4001, 0)
	if d.total != 121_000 {
		t.Errorf("total %d, want 121000", d.total)
	}
	if len(d.samples) > 42 {
		t.Errorf("%d samples kept for a one-second window of 40 reports", len(d.samples))
	}
	// A new path: the first reports count from the first one.
	var n pathDeliveries
	n.add(at(0), 5000)
	n.add(at(100), 5000)
	if g := n.goodput(at(100)); g != 50_000 {
		t.Errorf("goodput 100 ms after the first report: %.0f, want 50000", g)
	}
}

// TestGoodputSamplesBounded: a flood of reports keeps at most
// goodputSamples (+2) samples, and the goodput stays right.
func TestGoodputSamplesBounded(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	var d pathDeliveries
	// 100 000 reports of 10 bytes over 2 s: 500 000 B/s.
	for i := range 100_000 {
		d.add(t0.Add(time.Duration(i)*20*time.Microsecond), 10)
	}
	if len(d.samples) > goodputSamples+2 {
		t.Fatalf("%d samples kept, want ≤ %d", len(d.samples), goodputSamples+2)
	}
	now := t0.Add(2 * time.Second)
	if g := d.goodput(now); math.Abs(g-500_000) > 500_000/50 {
		t.Fatalf("goodput %.0f B/s, want 500000", g)
	}
}
