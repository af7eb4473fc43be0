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
	minClassShift  = 10
	maxClassShift  = 20
	numClasses     = maxClassShift - minClassShift + 1
	registryShards = 16
)

// pooledBuffer is one buffer of the pool. Stored pieces of a write keep a
// reference each, so one buffer split by overlaps goes back to the pool
// only when its last piece was read or dropped.
type pooledBuffer struct {
	data  []byte // the whole buffer, len == class size
	refs  atomic.Int32
	class int8 // -1: not pooled (too large, or pool disabled)
	pool  *bufferPool
}

func (b *pooledBuffer) retain() { b.refs.Add(1) }

// release drops one reference and recycles the buffer after the last one.
func (b *pooledBuffer) release() {
	switch n := b.refs.Add(-1); {
	case n == 0:
		b.pool.put(b)
	case n < 0:
		panic("presentation: pooled buffer released too often")
	}
}

// bufferPool recycles receive buffers in size classes. Buffers handed out
// by GetBuffer are recorded in a sharded registry (keyed by the address of
// their first byte) so that WriteToStream can take them back by slice.
type bufferPool struct {
	classes  [numClasses]sync.Pool
	disabled bool // benchmarks compare against plain allocation
	registry [registryShards]struct {
		mu  sync.Mutex
		out map[*byte]*pooledBuffer
		_   [40]byte // keep shards on separate cache lines
	}
	gets, news atomic.Uint64 // statistics: requests, fresh allocations
}

func newBufferPool() *bufferPool {
	p := &bufferPool{}
	for i := range p.registry {
		p.registry[i].out = make(map[*byte]*pooledBuffer)
	}
	return p
}

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

// get returns a buffer of at least n bytes holding one reference.
func (p *bufferPool) get(n int) *pooledBuffer {
	p.gets.Add(1)
	c := classOf(n)
	if c >= 0 && !p.disabled {
		if b, ok := p.classes[c].Get().(*pooledBuffer); ok {
			b.refs.Store(1)
			return b
		}
		p.news.Add(1)
		b := &pooledBuffer{data: make([]byte, 1<<(c+minClassShift)), class: int8(c), pool: p}
		b.refs.Store(1)
		return b
	}
	p.news.Add(1)
	b := &pooledBuffer{data: make([]byte, n), class: -1, pool: p}
	b.refs.Store(1)
	return b
}

func (p *bufferPool) put(b *pooledBuffer) {
	if b.class >= 0 {
		p.classes[b.class].Put(b)
	}
}

func (p *bufferPool) shard(ptr *byte) int {
	return int(uintptr(unsafe.Pointer(ptr))>>minClassShift) % registryShards
}

// getSlice returns a registered slice of length n for the caller to fill
// and hand back with claim.
func (p *bufferPool) getSlice(n int) []byte {
	if n <= 0 {
		return []byte{}
	}
	b := p.get(n)
	s := b.data[:n:n]
	r := &p.registry[p.shard(&s[0])]
	r.mu.Lock()
	r.out[&s[0]] = b
	r.mu.Unlock()
	return s
}

// claim takes back a slice from getSlice (its first byte must be the
// slice's first byte) with its reference; nil when s is not one.
func (p *bufferPool) claim(s []byte) *pooledBuffer {
	if cap(s) == 0 {
		return nil
	}
	ptr := unsafe.SliceData(s)
	r := &p.registry[p.shard(ptr)]
	r.mu.Lock()
	b, ok := r.out[ptr]
	if ok {
		delete(r.out, ptr)
	}
	r.mu.Unlock()
	if !ok || len(s) > len(b.data) {
		return nil
	}
	return b
}

// outstanding returns how many slices from getSlice were not claimed.
func (p *bufferPool) outstanding() int {
	n := 0
	for i := range p.registry {
		r := &p.registry[i]
		r.mu.Lock()
		n += len(r.out)
		r.mu.Unlock()
	}
	return n
}
