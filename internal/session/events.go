package session

import (
	"sync"

	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
)

// Event is something a primary server session learns about its client's
// paths or streams: a PathEvent or a GapEvent.
type Event interface{ isEvent() }

// PathEvent reports a change of a path's state: Path.State says what
// happened (active: added; dead: lost; removed; failed: could not open).
type PathEvent struct {
	Path transport.PathInfo
}

// GapEvent reports bytes of a stream that stayed missing on the client for
// longer than its gap timeout: a path that was to send them may be dead.
type GapEvent struct {
	StreamID uint64
	Missing  Missing
}

func (PathEvent) isEvent() {}
func (GapEvent) isEvent()  {}

// Missing is the client's view of a stream's missing bytes.
type Missing struct {
	ReadOffset uint64 // the client has read everything below this
	FinalSize  int64  // -1 while the client does not know it
	// Ranges are the lowest missing ranges, sorted: at most
	// wire.MaxRanges (4096), the most one answer carries.
	Ranges []Range
	// Truncated says that Ranges may stop short: the client may miss more
	// above the last one. Ask again once these are re-sent.
	Truncated bool
}

// Range is a half-open byte range [Start, End).
type Range struct{ Start, End uint64 }

func missingFromWire(f *wire.MissingRanges) Missing {
	m := Missing{ReadOffset: f.ReadOffset, FinalSize: int64(f.FinalSize) - 1, Truncated: missingTruncated(f)}
	for _, r := range f.Ranges {
		m.Ranges = append(m.Ranges, Range{Start: r.Start, End: r.End})
	}
	return m
}

// eventQueue is a bounded channel of events that drops the oldest when full,
// so a session never blocks on an application that does not listen.
type eventQueue struct {
	mu     sync.Mutex
	ch     chan Event
	closed bool
}

func newEventQueue(n int) *eventQueue { return &eventQueue{ch: make(chan Event, n)} }

func (q *eventQueue) push(e Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	for {
		select {
		case q.ch <- e:
			return
		default:
		}
		select {
		case <-q.ch: // drop the oldest
		default:
		}
	}
}

func (q *eventQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
}
