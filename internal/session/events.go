package session

import (
	"sync"

	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
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
	Missing  presentation.MissingRanges
}

func (PathEvent) isEvent() {}
func (GapEvent) isEvent()  {}

// missingFromWire is the client's view of a stream's missing bytes as its
// answer carried them: the lowest ranges, at most wire.MaxRanges (4096),
// Truncated when the answer was full and more may be missing above.
func missingFromWire(f *wire.MissingRanges) presentation.MissingRanges {
	m := f.MissingRanges
	m.Truncated = len(m.Ranges) == wire.MaxRanges
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
