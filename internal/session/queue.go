package session

import (
	"context"

	"github.com/kwik-transport/kwik/internal/gate"
)

// queue holds what the peer handed over and no call has taken yet (streams
// to accept, relayed messages), then the error that ends it. Any number of
// callers may wait in pop: the gate's condition is a level, so each one that
// leaves items or the end behind wakes the next.
type queue[T any] struct {
	gate  gate.Gate // guards what follows; its condition: ready
	items []T
	err   error // set once by end
}

func newQueue[T any]() *queue[T] { return &queue[T]{gate: gate.New()} }

// ready is the gate's condition; the gate is held.
func (q *queue[T]) ready() bool { return len(q.items) > 0 || q.err != nil }

// push appends v; after end it drops them and reports false.
func (q *queue[T]) push(v ...T) bool {
	q.gate.Lock()
	defer q.gate.UnlockFunc(q.ready)
	if q.err != nil {
		return false
	}
	q.items = append(q.items, v...)
	return true
}

// end makes pop return err once the items are taken; the first end wins.
func (q *queue[T]) end(err error) {
	q.gate.Lock()
	if q.err == nil {
		q.err = err
	}
	q.gate.UnlockFunc(q.ready)
}

// pop takes the oldest item, waiting for one until ctx ends; once the queue
// is ended and empty it returns the end's error.
func (q *queue[T]) pop(ctx context.Context) (T, error) {
	var zero T
	if err := q.gate.WaitAndLock(ctx); err != nil {
		return zero, err
	}
	defer q.gate.UnlockFunc(q.ready)
	if len(q.items) == 0 {
		return zero, q.err
	}
	v := q.items[0]
	q.items[0] = zero // let the taken item go
	q.items = q.items[1:]
	if len(q.items) == 0 {
		q.items = nil // let a burst's array go
	}
	return v, nil
}
