package session

import (
	"sync"
	"time"

	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
)

// missedPongs is how many PINGs in a row a path may leave unanswered before
// it counts as degraded.
const missedPongs = 3

// pathLiveness is what the liveness loop knows of one path. It counts the
// PINGs actually sent since the last PONG rather than the time since that
// PONG: a client that was not scheduled for a while sent no PINGs meanwhile,
// and its own stall must not count against the peer.
type pathLiveness struct {
	mu         sync.Mutex
	unanswered int       // PINGs sent since the last PONG
	lastPong   time.Time // or when the path was set up, for the log
}

// pinged counts a PING about to be sent and reports whether the ones before
// it, missedPongs of them or more, all went unanswered.
func (l *pathLiveness) pinged() (missed bool, since time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	missed = l.unanswered >= missedPongs
	l.unanswered++
	return missed, l.lastPong
}

// ponged records a PONG.
func (l *pathLiveness) ponged() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unanswered = 0
	l.lastPong = time.Now()
}

// livenessLoop probes every path of a client session with PING on its
// control stream. A path that leaves missedPongs PINGs in a row unanswered
// is degraded, and the primary is told; the next PONG makes it active again.
// Death itself is QUIC's idle timeout. The loop also gives the presentation
// layer the largest RTT of the active paths for window auto-tuning: every
// path's bytes share a stream's window, so it must cover the longest one.
func (cs *clientState) livenessLoop(period time.Duration) {
	cs.probeLoop(period, cs.setWindowRTT)
}

// probeLoop is livenessLoop; after each round of PINGs it calls round with
// the paths it probed. Rounds are a period apart, timed from the start of
// the previous one: a loop that ran late (its process starved) sends one
// round when it runs again, not a burst that would count as several
// unanswered PINGs.
func (cs *clientState) probeLoop(period time.Duration, round func([]*pathConn)) {
	s := cs.s
	defer s.wg.Done()
	t := time.NewTimer(period)
	defer t.Stop()
	var seq uint64
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			t.Reset(period)
			seq++
			paths := cs.allPaths()
			for _, pc := range paths {
				if missed, since := pc.live.pinged(); missed {
					cs.degrade(pc, since)
				}
				pc.ctrl.Send(&wire.Ping{Seq: seq})
			}
			round(paths)
		}
	}
}

// setWindowRTT gives the presentation layer the largest RTT of the active
// paths.
func (cs *clientState) setWindowRTT(paths []*pathConn) {
	var rtt time.Duration
	for _, pc := range paths {
		if st, _ := pc.State(); st == transport.PathActive {
			rtt = max(rtt, pc.Conn().ConnectionStats().SmoothedRTT)
		}
	}
	if rtt > 0 {
		cs.s.dpm.SetRTT(rtt)
	}
}

// degrade marks an active path degraded: its PONGs stopped.
func (cs *clientState) degrade(pc *pathConn, since time.Time) {
	if st, _ := pc.State(); st != transport.PathActive || !pc.SetState(transport.PathDegraded, nil) {
		return
	}
	cs.s.log.Info("path degraded: no PONG", "path", pc.ID(), "since", since)
	if !pc.Primary() {
		cs.s.primary.ctrl.Send(&wire.PathStatus{PathID: pc.ID(), Status: wire.PathDegraded, Reason: "no answer to keep-alive probes"})
	}
}

// pong records a PONG on pc and revives it if it was degraded.
func (cs *clientState) pong(pc *pathConn) {
	pc.live.ponged()
	if st, _ := pc.State(); st != transport.PathDegraded || !pc.SetState(transport.PathActive, nil) {
		return
	}
	cs.s.log.Info("path active again", "path", pc.ID())
	if !pc.Primary() {
		cs.s.primary.ctrl.Send(&wire.PathStatus{PathID: pc.ID(), Status: wire.PathActive})
	}
}
