package emulator

import (
	"math/rand/v2"
	"time"
)

// verdict is what a shaper decided about a packet.
type verdict int

const (
	admitted  verdict = iota // the packet leaves at its due time
	queueFull                // the drop-tail queue had no room for it
	lost                     // random loss took it
)

// shaper decides the fate of each packet entering one direction of a link:
// drop-tail queue, token bucket, delay line, loss. It is pure logic on a
// clock that the caller passes in, so tests can drive it without sockets.
//
// The token bucket runs in virtual time (the GCRA form): rather than adding
// tokens on a tick, it remembers when the bucket will be full again given
// everything it has let through. A packet's departure time is then known the
// moment it arrives, so the goroutine that releases packets sleeps exactly
// until the next one is due and late wake-ups do not lose rate.
type shaper struct {
	p       params
	full    time.Duration // when the bucket will be full again
	lastDue time.Duration // due time of the last admitted packet
	rng     *rand.Rand    // loss draws
}

func newShaper(p params, seed, stream uint64) *shaper {
	return &shaper{p: p, rng: rand.New(rand.NewPCG(seed, stream))}
}

// admit decides what happens to a packet of size bytes arriving at now. For
// an admitted packet it returns when the packet leaves the link: after its
// wait in the queue for tokens, plus the delay, and never before a packet
// admitted earlier.
func (s *shaper) admit(now time.Duration, size int) (due time.Duration, v verdict) {
	depart := now
	if s.p.nsPerByte > 0 {
		cost := time.Duration(float64(size) * s.p.nsPerByte)
		// The bucket holds size bytes of tokens once it is at most burst-cost
		// short of full.
		depart = max(now, s.full+cost-s.p.burst)
		// depart-now is the transmission time of the bytes queued ahead of
		// this packet plus its own: drop-tail when that exceeds the queue.
		if depart-now > s.p.queue {
			return 0, queueFull
		}
		s.full = max(s.full, depart) + cost
	}
	// Loss is drawn after the bottleneck: a lost packet used its share of the
	// rate, as one corrupted on the wire would.
	if s.p.loss > 0 && s.rng.Float64() < s.p.loss {
		return 0, lost
	}
	// A shorter delay set at run time must not let packets overtake.
	due = max(depart+s.p.delay, s.lastDue)
	s.lastDue = due
	return due, admitted
}
