package presentation

// buffer is a block of receive memory that stored chunks point into: small
// writes are copied into it one after the other. Like quic-go's
// packetBuffer it counts the chunks that use it and goes back to the pool
// after the last one. A buffer belongs to one stream and is only touched
// under that stream's lock, so its counts are plain integers.
type buffer struct {
	data []byte // the whole memory: len(data) is what it costs
	used int    // bytes handed out (blocks append at data[used:])
	refs int32  // chunks pointing into data, plus one while it is a stream's current block
	live int    // bytes of those chunks
	pool *bufferPool
}

// newBuffer wraps data (its full capacity) as a buffer with one reference.
func (p *bufferPool) newBuffer(data []byte) *buffer {
	b, ok := p.handles.Get().(*buffer)
	if !ok {
		b = new(buffer)
	}
	*b = buffer{data: data[:cap(data)], refs: 1, pool: p}
	return b
}

func (b *buffer) retain(n int) {
	b.refs++
	b.live += n
}

// release drops one reference to n live bytes and recycles the memory after
// the last one; it returns the capacity freed (0 while still in use).
func (b *buffer) release(n int) int {
	b.refs--
	b.live -= n
	switch {
	case b.refs > 0:
		return 0
	case b.refs < 0:
		panic("presentation: buffer released too often")
	}
	p := b.pool
	freed := len(b.data)
	p.putSlice(b.data)
	*b = buffer{}
	p.handles.Put(b)
	return freed
}

// room returns how many bytes can still be appended.
func (b *buffer) room() int { return len(b.data) - b.used }
