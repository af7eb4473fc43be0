package session

import (
	"time"

	"github.com/kwik-transport/kwik/pkg/transport"
	"github.com/kwik-transport/kwik/pkg/wire"
)

// missedPongs is how many keep-alive periods a path may go without a PONG
// before it counts as degraded.
const missedPongs = 3

// livenessLoop probes every path of a client session with PING on its
// control stream. A path that misses PONGs for a few keep-alive periods is
// degraded, and the primary is told; the next PONG makes it active again.
// Death itself is QUIC's idle timeout. The loop also gives the presentation
// layer the largest RTT of the active paths for window auto-tuning: every
// path's bytes share a stream's window, so it must cover the longest one.
func (cs *clientState) livenessLoop(period time.Duration) {
	s := cs.s
	defer s.wg.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	var seq uint64
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-t.C:
			seq++
			var rtt time.Duration
			for _, pc := range cs.allPaths() {
				cs.checkPath(pc, now, period)
				pc.ctrl.Send(&wire.Ping{Seq: seq})
				if st, _ := pc.State(); st == transport.PathActive {
					rtt = max(rtt, pc.Conn().ConnectionStats().SmoothedRTT)
				}
			}
			if rtt > 0 {
				s.dpm.SetRTT(rtt)
			}
		}
	}
}

// checkPath marks a path degraded when its PONGs stopped.
func (cs *clientState) checkPath(pc *pathConn, now time.Time, period time.Duration) {
	last := time.Unix(0, pc.lastPong.Load())
	if now.Sub(last) < missedPongs*period {
		return
	}
	if st, _ := pc.State(); st != transport.PathActive || !pc.SetState(transport.PathDegraded, nil) {
		return
	}
	cs.s.log.Info("path degraded: no PONG", "path", pc.ID(), "since", last)
	if !pc.Primary() {
		cs.s.primary.ctrl.Send(&wire.PathStatus{PathID: pc.ID(), Status: wire.PathDegraded, Reason: "no answer to keep-alive probes"})
	}
}

// pong records a PONG on pc and revives it if it was degraded.
func (cs *clientState) pong(pc *pathConn) {
	pc.lastPong.Store(time.Now().UnixNano())
	if st, _ := pc.State(); st != transport.PathDegraded || !pc.SetState(transport.PathActive, nil) {
		return
	}
	cs.s.log.Info("path active again", "path", pc.ID())
	if !pc.Primary() {
		cs.s.primary.ctrl.Send(&wire.PathStatus{PathID: pc.ID(), Status: wire.PathActive})
	}
}
