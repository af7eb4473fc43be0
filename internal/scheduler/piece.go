package scheduler

import (
	"container/heap"
	"time"
)

// piece is one unit of work: a range of the object that is complete once
// any path's delivered count covers it.
type piece struct {
	r        Range
	complete bool
	// holders counts live paths that have the piece assigned and have not
	// delivered it yet; a piece with none left is handed out again.
	holders int
	// handedOut is set once the piece was first assigned.
	handedOut bool
	// queued is set while the piece waits in the retry queue.
	queued bool
	// eta is scratch for one plan.next call: the earliest expected
	// completion over its holders.
	eta time.Time
}

// retryQueue holds pieces to hand out again, lowest offset first. Every piece
// in it lies below the first never-assigned offset, so it is served before
// fresh pieces.
type retryQueue []*piece

func (q retryQueue) Len() int           { return len(q) }
func (q retryQueue) Less(i, j int) bool { return q[i].r.Start < q[j].r.Start }
func (q retryQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *retryQueue) Push(x any)        { *q = append(*q, x.(*piece)) }
func (q *retryQueue) Pop() any {
	old := *q
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return p
}

// push queues p unless it is queued or complete already.
func (q *retryQueue) push(p *piece) {
	if p.queued || p.complete {
		return
	}
	p.queued = true
	heap.Push(q, p)
}

// peek returns the lowest incomplete queued piece, dropping complete ones
// (a late report can complete a queued piece), or nil.
func (q *retryQueue) peek() *piece {
	for q.Len() > 0 {
		p := (*q)[0]
		if !p.complete {
			return p
		}
		heap.Pop(q)
		p.queued = false
	}
	return nil
}

// pop removes the piece peek returned.
func (q *retryQueue) pop() {
	p := heap.Pop(q).(*piece)
	p.queued = false
}
