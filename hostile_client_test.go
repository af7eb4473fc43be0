package kwik_test

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/pkg/control"
	"github.com/kwik-transport/kwik/pkg/wire"
)

// This file is issue 10's attacks on the tables a peer can grow and on
// whom a client dials: a client flooding a primary with delivery reports,
// a primary flooding a client with range requests and path additions. Each
// test measures the victim's resources (heap after GC, goroutines, file
// descriptors, a third party's received bytes) and fails on the bound.
// KWIK_HOSTILE_LONG=1 runs them at the sizes of the measurements.

// hostileLong reports whether the long settings were asked for.
func hostileLong() bool { return os.Getenv("KWIK_HOSTILE_LONG") != "" }

// hostileSize is short in CI and long behind KWIK_HOSTILE_LONG.
func hostileSize(short, long int) int {
	if hostileLong() {
		return long
	}
	return short
}

// resourceUse is what the process holds at one moment.
type resourceUse struct {
	heap       uint64 // live heap after a GC
	goroutines int
	fds        int // -1 where /proc/self/fd does not exist
}

func snapshotResources() resourceUse {
	runtime.GC()
	runtime.GC() // finalizers of the first cycle
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds := -1
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		fds = len(ents)
	}
	return resourceUse{heap: ms.HeapAlloc, goroutines: runtime.NumGoroutine(), fds: fds}
}

// TestHostileClientDeliveryReports: a client sends DELIVERY_REPORTs full
// of entries for streams that are not open. The primary keeps nothing of
// them (its table is open streams × paths), Deliveries still answers for
// the stream that is open, and an entry for a path the primary never
// added closes the session with a protocol violation. On the code before
// this check, 50 such reports kept +8.6 MiB (200: +33 MiB) forever, and
// the path never added was accepted.
func TestHostileClientDeliveryReports(t *testing.T) {
	ctx := testContext(t, 120*time.Second)
	ln := listen(t, &kwik.Config{ServerGroupKey: groupKey})
	p, _, sess := joinRaw(t, ctx, ln)
	str, err := sess.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := uint64(str.StreamID())

	reports := hostileSize(50, 200)
	before := snapshotResources()
	for r := range reports {
		entries := make([]wire.Delivery, wire.MaxDeliveries)
		for i := range entries {
			entries[i] = wire.Delivery{PathID: 0, StreamID: uint64(r*wire.MaxDeliveries+i)*4 + 9, Bytes: 1000}
		}
		p.send(&wire.DeliveryReport{Deliveries: entries})
	}
	p.send(&wire.DeliveryReport{Deliveries: []wire.Delivery{{PathID: 0, StreamID: id, Bytes: 7}}})
	waitDelivered(t, sess, id, 0, 7) // every report before it was handled
	after := snapshotResources()
	grew := int64(after.heap) - int64(before.heap)
	t.Logf("%d reports × %d entries: primary heap %+.1f MiB", reports, wire.MaxDeliveries, float64(grew)/(1<<20))
	if grew > 2<<20 {
		t.Errorf("heap grew by %.1f MiB for entries about streams that are not open, want < 2 MiB", float64(grew)/(1<<20))
	}
	if got, _ := sess.Deliveries(id); len(got) != 1 || got[0] != 7 {
		t.Errorf("Deliveries(%d) = %v, want path 0: 7", id, got)
	}

	p.send(&wire.DeliveryReport{Deliveries: []wire.Delivery{{PathID: 9, StreamID: id, Bytes: 1}}})
	p.expectClosed(wire.ProtocolViolation, "DELIVERY_REPORT for path 9, which this primary never added")
	expectSessionError(t, sess, wire.ProtocolViolation, "never added")
}

// TestHostilePrimaryRangesRequests: a primary makes a stream of the client
// full of gaps and asks for its missing ranges in a loop. The client
// answers in order, at most rangesBurst (16) at once and then one per
// 100 ms, each answer within the wire limit; a primary with more than 256
// requests waiting is closed with a protocol violation. On the code before
// this check, all 200 requests were answered within 0.1 s and 500 waiting
// requests were accepted (2000 requests for a stream of 100k gaps: 125 MiB
// of MISSING_RANGES and 12.7 s of CPU).
func TestHostilePrimaryRangesRequests(t *testing.T) {
	const (
		burst    = 16
		interval = 100 * time.Millisecond
		waiting  = 256
	)
	ctx := testContext(t, 120*time.Second)
	raw := listenRaw(t, testTLS.Server)
	dialed := make(chan *kwik.Session, 1)
	go func() {
		s, err := kwik.Dial(ctx, raw.Addr(), testTLS.Client, nil)
		if err != nil {
			t.Error(err)
		}
		dialed <- s
	}()
	p, _ := raw.accept(t, ctx)
	p.send(&wire.ServerHello{Version: wire.Version, SessionID: control.NewSessionID(), Role: wire.RolePrimary, MaxStreams: 10, InitialStreamWindow: 1 << 16})
	client := <-dialed
	if client == nil {
		t.FailNow()
	}
	t.Cleanup(func() { client.CloseWithError(0, "") })

	// Stream 1 with one byte at every other offset: gaps gaps.
	gaps := hostileSize(3000, 100_000)
	var frames []byte
	for i := range gaps {
		frames = append(frames, streamFrame(t, 1, uint64(2*i+1), []byte{1}, false)...)
	}
	p.lane(frames)
	want := min(gaps, wire.MaxRanges)
	answer := func() *wire.MissingRanges {
		return p.next("MISSING_RANGES", func(f wire.Frame) bool { _, ok := f.(*wire.MissingRanges); return ok }).(*wire.MissingRanges)
	}
	// Lane and control stream are not ordered: ask until every gap is there.
	for n := 0; n != want; {
		p.send(&wire.RangesRequest{RequestID: 1, StreamID: 1})
		n = len(answer().Ranges)
	}

	requests := hostileSize(200, waiting)
	start := time.Now()
	for i := range requests {
		p.send(&wire.RangesRequest{RequestID: uint64(100 + i), StreamID: 1})
	}
	// The k-th answer cannot leave before start + (k+1-burst)·interval,
	// however fast or slow this machine is.
	deadline := time.Now().Add(2 * time.Second)
	got := 0
	for time.Now().Before(deadline) && got < requests {
		f := answer()
		at := time.Since(start)
		if f.RequestID != uint64(100+got) {
			t.Fatalf("answer %d is for request %d: out of order", got, f.RequestID)
		}
		if len(f.Ranges) != want {
			t.Fatalf("answer with %d ranges, want %d", len(f.Ranges), want)
		}
		if earliest := time.Duration(got+1-burst-1) * interval; at < earliest {
			t.Fatalf("%d answers within %v, want at most %d at once then one per %v", got+1, at, burst, interval)
		}
		got++
	}
	t.Logf("%d requests: %d answered within %v", requests, got, time.Since(start).Round(time.Millisecond))

	// More than 256 waiting is a flood.
	for i := range waiting + 1 {
		p.send(&wire.RangesRequest{RequestID: uint64(10_000 + i), StreamID: 1})
	}
	p.expectClosed(wire.ProtocolViolation, "RANGES_REQUEST while 256 others wait")
	expectSessionError(t, client, wire.ProtocolViolation, "RANGES_REQUEST")
}
