package session

import (
	"testing"

	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

func TestEventQueueDropsOldest(t *testing.T) {
	q := newEventQueue(2)
	for id := uint64(1); id <= 5; id++ {
		q.push(GapEvent{StreamID: id})
	}
	for _, want := range []uint64{4, 5} {
		if e := (<-q.ch).(GapEvent); e.StreamID != want {
			t.Fatalf("got the event of stream %d, want %d (the newest kept)", e.StreamID, want)
		}
	}
	q.push(GapEvent{StreamID: 6})
	q.close()
	q.close()
	q.push(GapEvent{StreamID: 7}) // after close: dropped, no panic
	if e, ok := <-q.ch; !ok || e.(GapEvent).StreamID != 6 {
		t.Fatalf("got %v, %v; want the event pushed before close", e, ok)
	}
	if _, ok := <-q.ch; ok {
		t.Fatal("queue still open after close")
	}
}

func TestMissingFromWire(t *testing.T) {
	f := &wire.MissingRanges{MissingRanges: presentation.MissingRanges{StreamID: 4, ReadOffset: 10, Ranges: []presentation.Range{{Start: 10, End: 20}, {Start: 30, End: 31}}}}
	m := missingFromWire(f)
	if m.ReadOffset != 10 || m.FinalSizeKnown || m.Truncated || len(m.Ranges) != 2 || m.Ranges[1] != (presentation.Range{Start: 30, End: 31}) {
		t.Fatalf("%+v", m)
	}
	f.Ranges = make([]presentation.Range, wire.MaxRanges)
	if m := missingFromWire(f); !m.Truncated {
		t.Fatal("a full answer is not marked truncated")
	}
}
