package emulator

// delayLine is the FIFO of packets admitted to one direction of a link, in
// the order they leave. Due times never decrease along it, so the head is
// always the next packet to release.
type delayLine struct {
	ring  []*packet
	head  int // index of the oldest packet
	len   int // number of packets
	bytes int // sum of their sizes
}

func (l *delayLine) push(p *packet) {
	if l.len == len(l.ring) {
		l.grow()
	}
	l.ring[(l.head+l.len)%len(l.ring)] = p
	l.len++
	l.bytes += len(p.buf)
}

// peek returns the oldest packet, or nil.
func (l *delayLine) peek() *packet {
	if l.len == 0 {
		return nil
	}
	return l.ring[l.head]
}

// pop removes and returns the oldest packet, or nil.
func (l *delayLine) pop() *packet {
	if l.len == 0 {
		return nil
	}
	p := l.ring[l.head]
	l.ring[l.head] = nil
	l.head = (l.head + 1) % len(l.ring)
	l.len--
	l.bytes -= len(p.buf)
	return p
}

func (l *delayLine) grow() {
	ring := make([]*packet, max(64, 2*len(l.ring)))
	for i := range l.len {
		ring[i] = l.ring[(l.head+i)%len(l.ring)]
	}
	l.ring, l.head = ring, 0
}
