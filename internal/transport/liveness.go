package transport

import (
	"context"
	"time"

	"github.com/kwik-transport/kwik/internal/wire"
)

// missedPongs is how many PINGs in a row a path may leave unanswered before
// it counts as degraded.
const missedPongs = 3

// liveness is what the probes know of one path; Path.mu guards it. It
// counts the PINGs actually sent since the last PONG rather than the time
// since that PONG: a client that was not scheduled for a while sent no
// PINGs meanwhile, and its own stall must not count against the peer.
type liveness struct {
	unanswered int       // PINGs sent since the last PONG
	lastPong   time.Time // or when the path was set up, for the log
}

// Ping sends a keep-alive PING with seq on the path's control channel. If
// the missedPongs PINGs before it all went unanswered, an active path
// becomes degraded: Ping then reports true, and since when the peer is
// silent.
func (p *Path) Ping(seq uint64) (degraded bool, since time.Time) {
	p.mu.Lock()
	missed := p.live.unanswered >= missedPongs
	p.live.unanswered++
	since = p.live.lastPong
	if missed && p.state == PathActive {
		p.state, degraded = PathDegraded, true
	}
	p.mu.Unlock()
	p.ctrl.Send(&wire.Ping{Seq: seq})
	return degraded, since
}

// Pong records a PONG; it reports whether the path was degraded and is
// active again.
func (p *Path) Pong() (revived bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live.unanswered = 0
	p.live.lastPong = time.Now()
	if p.state == PathDegraded {
		p.state = PathActive
		return true
	}
	return false
}

// Prober is what the liveness loop needs of its session.
type Prober interface {
	// Paths returns the paths to probe this round.
	Paths() []*Path
	// Degraded learns that a path stopped answering; since is its last
	// PONG (or when it was set up).
	Degraded(p *Path, since time.Time)
	// Probed is told each round's paths, after their PINGs went out.
	Probed(paths []*Path)
}

// Probe probes paths with PING on their control streams until ctx ends. A
// path that leaves missedPongs PINGs in a row unanswered is degraded (see
// Ping) and the Prober told; the next PONG (Pong) makes it active again.
// Death itself is QUIC's idle timeout. Rounds are a period apart, timed from
// the start of the previous one: a loop that ran late (its process starved)
// sends one round when it runs again, not a burst that would count as
// several unanswered PINGs.
func Probe(ctx context.Context, period time.Duration, pr Prober) {
	t := time.NewTimer(period)
	defer t.Stop()
	var seq uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			t.Reset(period)
			seq++
			paths := pr.Paths()
			for _, p := range paths {
				if degraded, since := p.Ping(seq); degraded {
					pr.Degraded(p, since)
				}
			}
			pr.Probed(paths)
		}
	}
}
