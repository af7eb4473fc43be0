package presentation

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// Size classes of the buffer pool: powers of two from 1 KiB to 1 MiB
// (wire.MaxStreamPayload). Larger requests are allocated and never pooled.
const (
	minClassShift = 10
	maxClassShift = 20
	numClasses    = maxClassShift - minClassShift + 1
)

// bufferPool recycles receive memory in size classes. It hands out plain
// slices (GetBuffer) and takes them back by their capacity: no table of
// slices handed out, so neither side takes a lock. A slice handed back
// travels in a box (a *[]byte) so that sync.Pool does not allocate one per
// Put; empty boxes are recycled too.
type bufferPool struct {
	classes  [numClasses]sync.Pool // *[]byte holding a slice of the class size
	boxes    sync.Pool             // empty *[]byte
	handles  sync.Pool             // *buffer no stream uses
	disabled bool                  // benchmarks compare against plain allocation

	gets, news atomic.Uint64 // statistics: requests, fresh allocations
	held       atomic.Int64  // buffers held by streams (leak checks)
}

func newBufferPool() *bufferPool { return &bufferPool{} }

// classOf returns the size class for n bytes, or -1 when n is too large.
func classOf(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	c := bits.Len(uint(n-1)) - minClassShift
	if c >= numClasses {
		return -1
	}
	return c
}

// isClassSize reports whether a slice of capacity n can go back to the pool.
func isClassSize(n int) bool {
	c := classOf(n)
	return c >= 0 && n == 1<<(c+minClassShift)
}

// getSlice returns a slice of length n whose capacity is its class size.
func (p *bufferPool) getSlice(n int) []byte {
	if n <= 0 {
		return []byte{}
	}
	p.gets.Add(1)
	c := classOf(n)
	if c < 0 || p.disabled {
		p.news.Add(1)
		return make([]byte, n)
	}
	if box, ok := p.classes[c].Get().(*[]byte); ok {
		s := *box
		*box = nil
		p.boxes.Put(box)
		return s[:n]
	}
	p.news.Add(1)
	return make([]byte, n, 1<<(c+minClassShift))
}

// putSlice recycles s when its capacity is a class size; anything else is
// left to the garbage collector.
func (p *bufferPool) putSlice(s []byte) {
	if p.disabled || !isClassSize(cap(s)) {
		return
	}
	box, ok := p.boxes.Get().(*[]byte)
	if !ok {
		box = new([]byte)
	}
	*box = s[:cap(s)]
	p.classes[classOf(cap(s))].Put(box)
}

// outstanding returns how many buffers streams hold: 0 once every stored
// byte was read or dropped.
func (p *bufferPool) outstanding() int { return int(p.held.Load()) }
