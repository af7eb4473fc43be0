package session

import (
	"errors"
	"testing"

	"github.com/kwik-transport/kwik/internal/stream"
	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
)

// newTestPrimary is a primary's bookkeeping without connections: paths 0
// and 1 added, streams 1 and 5 open.
func newTestPrimary() *serverState {
	s := &Session{streams: map[uint64]*stream.Control{1: nil, 5: nil}}
	ss := &serverState{
		s:          s,
		paths:      map[uint64]*transport.Path{0: transport.NewPath(0, "p", true, nil, nil, 0), 1: transport.NewPath(1, "s", false, nil, nil, 0)},
		deliveries: make(map[uint64]map[uint64]uint64),
		byPath:     make(map[uint64]*pathDeliveries),
		ledger:     newLedger(DefaultMaxAssignments),
	}
	s.server = ss
	return ss
}

// TestDeliveryReportBounded: the primary keeps reports only for open
// streams × paths it added, forgets a stream's when it ends, and treats a
// report about a path it never added as a protocol violation.
func TestDeliveryReportBounded(t *testing.T) {
	ss := newTestPrimary()
	var entries []wire.Delivery
	for i := range uint64(wire.MaxDeliveries - 2) {
		entries = append(entries, wire.Delivery{PathID: i % 2, StreamID: 4*i + 9, Bytes: 100}) // never opened
	}
	entries = append(entries, wire.Delivery{PathID: 0, StreamID: 1, Bytes: 10}, wire.Delivery{PathID: 1, StreamID: 1, Bytes: 20})
	for range 3 {
		if err := ss.handle(&wire.DeliveryReport{Deliveries: entries}); err != nil {
			t.Fatal(err)
		}
	}
	if len(ss.deliveries) != 1 || len(ss.deliveries[1]) != 2 {
		t.Fatalf("%d streams kept (%v), want stream 1 only, with 2 paths", len(ss.deliveries), ss.deliveries[1])
	}
	got, _ := ss.s.Deliveries(1)
	if got[0] != 10 || got[1] != 20 || len(got) != 2 {
		t.Fatalf("Deliveries(1) = %v", got)
	}
	if total, _ := ss.delivered(1); total != 20 {
		t.Fatalf("path 1 delivered %d, want 20 (repeated reports are cumulative)", total)
	}

	delete(ss.s.streams, 1) // the stream ended
	ss.forgetStream(1)
	late := []wire.Delivery{{PathID: 0, StreamID: 1, Bytes: 30}} // the client's last report crosses the end
	if err := ss.handle(&wire.DeliveryReport{Deliveries: late}); err != nil {
		t.Fatal(err)
	}
	if got, _ := ss.s.Deliveries(1); got[0] != 30 || got[1] != 20 {
		t.Fatalf("Deliveries of a stream that just ended = %v, want its final split {0:30 1:20}", got)
	}
	for i := range uint64(endedStreamsKept) { // more streams end: stream 1 is dropped
		ss.forgetStream(1000 + 4*i)
	}
	if got, _ := ss.s.Deliveries(1); len(got) != 0 {
		t.Fatalf("Deliveries of a stream that ended %d streams ago: %v", endedStreamsKept, got)
	}
	ss.handle(&wire.DeliveryReport{Deliveries: entries[len(entries)-2:]})
	if len(ss.deliveries) != endedStreamsKept {
		t.Fatalf("%d streams kept after %d ended; want the last %d (a late report must not revive one)", len(ss.deliveries), endedStreamsKept+1, endedStreamsKept)
	}

	err := ss.handle(&wire.DeliveryReport{Deliveries: []wire.Delivery{{PathID: 7, StreamID: 5, Bytes: 1}}})
	var cerr *ConnectionError
	if !errors.As(err, &cerr) || cerr.Code != wire.ProtocolViolation {
		t.Fatalf("report for a path never added: %v, want a protocol violation", err)
	}
}

// TestDeliveriesWakeEveryWaiter: the channel Deliveries returns is closed
// for every goroutine holding it (each Spread's feed, the CLI's monitor)
// by one report, and by a raise of a stream's send credit, which Spread
// paces its pieces by; a MAX_STREAM_DATA that raises nothing wakes no one.
// This is why signal, not a gate, serves it: a receive from a gate's
// channel takes the gate, and a caller outside the module never gives it
// back, so one report would wake one holder.
func TestDeliveriesWakeEveryWaiter(t *testing.T) {
	s := offlineSession(t, RolePrimary, nil)
	ss := &serverState{
		s:          s,
		paths:      map[uint64]*transport.Path{0: s.primary},
		deliveries: make(map[uint64]map[uint64]uint64),
		byPath:     make(map[uint64]*pathDeliveries),
		ledger:     newLedger(DefaultMaxAssignments),
	}
	s.server = ss
	s.peerWindow = 100
	s.mu.Lock()
	_, err := s.newStreamLocked(1)
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	_, feed := s.Deliveries(1)
	_, monitor := s.Deliveries(1)
	if err := ss.handle(&wire.DeliveryReport{Deliveries: []wire.Delivery{{PathID: 0, StreamID: 1, Bytes: 10}}}); err != nil {
		t.Fatal(err)
	}
	if !closedNow(feed) || !closedNow(monitor) {
		t.Fatalf("one report woke feed %v, monitor %v; want both", closedNow(feed), closedNow(monitor))
	}
	_, changed := s.Deliveries(1)
	if _, err := s.handleStreamControl(&wire.MaxStreamData{StreamID: 1, Limit: 100}); err != nil {
		t.Fatal(err)
	}
	if closedNow(changed) {
		t.Fatal("a MAX_STREAM_DATA below the credit woke Deliveries' waiters")
	}
	if _, err := s.handleStreamControl(&wire.MaxStreamData{StreamID: 1, Limit: 1 << 40}); err != nil {
		t.Fatal(err)
	}
	if !closedNow(changed) {
		t.Fatal("a raise of the stream's credit did not wake Deliveries' waiters")
	}
}
