package emulator

import (
	"sync"
	"time"
)

const (
	// maxDatagram is the largest UDP payload plus slack; read buffers have
	// this size.
	maxDatagram = 1 << 16
	// smallPacket holds any datagram of a path with a 1500-byte MTU, which
	// is what almost every packet is, without tying up 64 KiB.
	smallPacket = 2048
)

// packet is one datagram inside a link, in a pooled buffer.
type packet struct {
	buf  []byte        // the datagram
	due  time.Duration // when it leaves the link, on the link's clock
	flow *flow         // the client it belongs to
}

var (
	smallPackets = sync.Pool{New: func() any { return &packet{buf: make([]byte, 0, smallPacket)} }}
	largePackets = sync.Pool{New: func() any { return &packet{buf: make([]byte, 0, maxDatagram)} }}
)

// newPacket returns a pooled packet holding a copy of data.
func newPacket(data []byte, f *flow) *packet {
	pool := &smallPackets
	if len(data) > smallPacket {
		pool = &largePackets
	}
	p := pool.Get().(*packet)
	p.buf = append(p.buf[:0], data...)
	p.flow = f
	return p
}

// free returns p to its pool; p must not be used afterwards.
func (p *packet) free() {
	p.flow = nil
	if cap(p.buf) > smallPacket {
		largePackets.Put(p)
		return
	}
	smallPackets.Put(p)
}
