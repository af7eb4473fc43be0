package scheduler

import "context"

// Source is one path that can deliver ranges of the object to the receiver:
// the primary's own stream, or a secondary server asked over a relayed
// message.
type Source interface {
	// PathID identifies the path; the receiver's reports use the same ID.
	PathID() uint64
	// Send asks the source to deliver r. It must return quickly (queue the
	// work, or send a small command), and the source must deliver its ranges
	// in the order they were sent and count them all in the receiver's
	// report, because the Distributor infers from the reported byte count
	// which ranges are complete. An error marks the path down.
	Send(ctx context.Context, r Range) error
}

// Report says how many bytes of the object the receiver has received through
// one path in total, duplicates included.
type Report struct {
	PathID    uint64
	Delivered uint64
}

// worker is implemented by sources that need a goroutine of their own, such
// as the one WriterSource returns. The Distributor runs work while it runs,
// cancels ctx before Run returns or when the path goes down, and waits for
// work to return. work calls fail if the source cannot go on.
type worker interface {
	work(ctx context.Context, fail func(error))
}
