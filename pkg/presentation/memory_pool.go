package presentation

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"
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
// slices handed out, so neither side takes a lock. A class keeps the
// pointer to a slice's first byte, which sync.Pool stores without boxing
// it and which a Get or Put does not dereference: recycling a payload
// touches none of its memory and no handle (a boxed slice or a handle per
// payload cost a cache miss at each end of every 1 KiB frame).
type bufferPool struct {
	classes  [numClasses]sync.Pool // unsafe.Pointer to the first byte of a slice of the class size
	handles  sync.Pool             // *buffer no stream uses
	disabled bool                  // benchmarks compare against plain allocation

	gets, news atomic.Uint64 // statistics: requests, fresh allocations
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
	if ptr, ok := p.classes[c].Get().(unsafe.Pointer); ok {
		return unsafe.Slice((*byte)(ptr), 1<<(c+minClassShift))[:n]
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
	p.classes[classOf(cap(s))].Put(unsafe.Pointer(unsafe.SliceData(s[:cap(s)])))
}
