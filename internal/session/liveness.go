package session

import (
	"time"

	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
)

// livenessLoop probes every path of a client session (transport.Probe). A
// degraded path, and one active again, is reported to the primary. Each
// round also gives the presentation layer the largest RTT of the active
// paths for window auto-tuning: every path's bytes share a stream's window,
// so it must cover the longest one.
func (cs *clientState) livenessLoop(period time.Duration) {
	defer cs.s.wg.Done()
	transport.Probe(cs.s.ctx, period, clientProber{cs})
}

// clientProber is the client session as the liveness loop sees it.
type clientProber struct{ cs *clientState }

// Paths implements transport.Prober: the primary path and every secondary.
func (p clientProber) Paths() []*transport.Path { return p.cs.allPaths() }

// Degraded implements transport.Prober.
func (p clientProber) Degraded(pc *transport.Path, since time.Time) {
	cs := p.cs
	cs.s.log.Info("path degraded: no PONG", "path", pc.ID(), "since", since)
	if !pc.Primary() {
		cs.s.primary.Control().Send(&wire.PathStatus{PathID: pc.ID(), Status: wire.PathDegraded, Reason: "no answer to keep-alive probes"})
	}
}

// Probed implements transport.Prober: it sets the window RTT.
func (p clientProber) Probed(paths []*transport.Path) {
	var rtt time.Duration
	for _, pc := range paths {
		if st, _ := pc.State(); st == transport.PathActive {
			rtt = max(rtt, pc.Conn().ConnectionStats().SmoothedRTT)
		}
	}
	if rtt > 0 {
		p.cs.s.dpm.SetRTT(rtt)
	}
}

// pong records a PONG on pc and reports it if it revived the path.
func (cs *clientState) pong(pc *transport.Path) {
	if !pc.Pong() {
		return
	}
	cs.s.log.Info("path active again", "path", pc.ID())
	if !pc.Primary() {
		cs.s.primary.Control().Send(&wire.PathStatus{PathID: pc.ID(), Status: wire.PathActive})
	}
}
