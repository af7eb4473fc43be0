package emulator

import "sync/atomic"

// Stats counts what a link did to packets since Listen.
type Stats struct {
	Up   DirectionStats // client → target
	Down DirectionStats // target → client
	// Flows is the number of client addresses the link currently relays for,
	// each with its own upstream socket.
	Flows int
	// RefusedPackets counts datagrams from new client addresses dropped
	// because the link already relays for its maximum number of clients or
	// could not open an upstream socket.
	RefusedPackets uint64
}

// DirectionStats counts packets through one direction of a link. Every
// received packet ends up in exactly one of Packets, QueueDrops, LossDrops
// and KillDrops, or is still inside the link.
type DirectionStats struct {
	Received   uint64 // packets read from the socket into the link
	Packets    uint64 // packets forwarded: handed to the outgoing socket
	Bytes      uint64 // payload bytes of the forwarded packets
	QueueDrops uint64 // dropped because the bottleneck queue was full
	LossDrops  uint64 // dropped by random loss
	KillDrops  uint64 // dropped because the link was killed
	SendErrors uint64 // forwarded packets the outgoing socket refused
}

// counters is the live, concurrently updated form of DirectionStats.
type counters struct {
	received, packets, bytes                     atomic.Uint64
	queueDrops, lossDrops, killDrops, sendErrors atomic.Uint64
}

func (c *counters) snapshot() DirectionStats {
	// Outcomes first: a packet is counted as received before its outcome, so
	// a snapshot never shows more outcomes than received packets.
	s := DirectionStats{
		Packets:    c.packets.Load(),
		Bytes:      c.bytes.Load(),
		QueueDrops: c.queueDrops.Load(),
		LossDrops:  c.lossDrops.Load(),
		KillDrops:  c.killDrops.Load(),
		SendErrors: c.sendErrors.Load(),
	}
	s.Received = c.received.Load()
	return s
}
