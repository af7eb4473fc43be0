package transport

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/wire"
)

// probeRTT is the round-trip time of the emulated paths.
const probeRTT = 10 * time.Millisecond

// probeScript says how the emulated world behaves, in the bubble's time
// since the session started.
type probeScript struct {
	// pong says when the client handles the PONG to a PING that path sent
	// at sent, or false if that PING goes unanswered. Nil: after probeRTT.
	pong func(path int, sent time.Duration) (handled time.Duration, ok bool)
	// stall, when not nil, is how long the client's liveness loop is
	// descheduled after its round-th round of PINGs (from 1).
	stall func(round int) time.Duration
}

// probeRun is what a probed client did.
type probeRun struct {
	mu sync.Mutex
	// changes are the path state changes, as "path 1 degraded at 6s".
	changes []string
	// status are the reports the primary would get, as "1 degraded at 6s".
	status []string
}

func (r *probeRun) add(list *[]string, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*list = append(*list, fmt.Sprintf(format, args...))
}

// probePeriod is the client's default KeepAlivePeriod.
const probePeriod = time.Second

// scriptedProber is the session of a probed client: it records what it
// would report to the primary, and stalls as the script says.
type scriptedProber struct {
	paths  []*Path
	start  time.Time
	run    *probeRun
	stall  func(round int) time.Duration
	rounds int
}

func (p *scriptedProber) Paths() []*Path { return p.paths }

func (p *scriptedProber) Degraded(pc *Path, _ time.Time) {
	if !pc.Primary() {
		p.run.add(&p.run.status, "%d %v at %v", pc.ID(), PathDegraded, time.Since(p.start))
	}
}

func (p *scriptedProber) Probed([]*Path) {
	p.rounds++
	if p.stall != nil {
		time.Sleep(p.stall(p.rounds)) // this goroutine is not scheduled
	}
}

// runProbed probes paths paths (path 0 the primary) over in-memory control
// streams every probePeriod, for d of the bubble's time, and returns what
// happened. Call it inside a bubble.
func runProbed(t *testing.T, paths int, d time.Duration, script probeScript) *probeRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	run := &probeRun{}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	pcs := make([]*Path, paths)
	for i := range pcs {
		local, remote := net.Pipe()
		defer local.Close()
		defer remote.Close()
		pc := NewPath(uint64(i), fmt.Sprintf("path%d:1", i), i == 0, nil, control.NewChannel(local, 0), 0)
		pcs[i] = pc
		// The client side: PONGs go to the liveness code, and a path
		// active again is reported as the session does.
		wg.Go(func() {
			pc.Control().Run(ctx, func(f wire.Frame) error {
				if _, ok := f.(*wire.Pong); ok && pc.Pong() && !pc.Primary() {
					run.add(&run.status, "%d %v at %v", i, PathActive, time.Since(start))
				}
				return nil
			})
		})
		// The peer answers PINGs as the script says.
		peer := control.NewChannel(remote, 0)
		wg.Go(func() {
			peer.Run(ctx, func(f wire.Frame) error {
				if f, ok := f.(*wire.Ping); ok {
					handled, ok := time.Since(start)+probeRTT, true
					if script.pong != nil {
						handled, ok = script.pong(i, time.Since(start))
					}
					if ok {
						// The PONG is written so that the client reads it at handled.
						time.AfterFunc(handled-time.Since(start), func() { peer.Send(&wire.Pong{Seq: f.Seq}) })
					}
				}
				return nil
			})
		})
	}

	wg.Go(func() {
		Probe(ctx, probePeriod, &scriptedProber{paths: pcs, start: start, run: run, stall: script.stall})
	})
	// Watch the states every millisecond, half a millisecond off the
	// script's instants.
	time.Sleep(time.Millisecond / 2)
	last := make([]PathState, paths)
	for i := range last {
		last[i] = PathActive
	}
	for time.Since(start) < d {
		for i, pc := range pcs {
			if st, _ := pc.State(); st != last[i] {
				run.add(&run.changes, "path %d %v at %v", i, st, time.Since(start).Truncate(time.Millisecond))
				last[i] = st
			}
		}
		time.Sleep(time.Millisecond)
	}
	return run
}

// TestLivenessSilentPeer: a path whose peer stops answering is degraded once
// missedPongs PINGs in a row went unanswered, the primary is told, and the
// first PONG after makes it active again. The other path is not touched.
func TestLivenessSilentPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// PINGs every second; path 1's peer ignores those sent in
		// [2.5 s, 7.5 s): the ones at 3, 4, 5, 6 and 7 s.
		run := runProbed(t, 2, 10*time.Second, probeScript{
			pong: func(path int, sent time.Duration) (time.Duration, bool) {
				silent := path == 1 && sent > 2500*time.Millisecond && sent < 7500*time.Millisecond
				return sent + probeRTT, !silent
			},
		})
		// At 6 s the PINGs of 3, 4 and 5 s are unanswered; the PING of
		// 8 s is answered 10 ms later.
		wantChanges := []string{"path 1 degraded at 6s", "path 1 active at 8.01s"}
		wantStatus := []string{"1 degraded at 6s", "1 active at 8.01s"}
		if fmt.Sprint(run.changes) != fmt.Sprint(wantChanges) || fmt.Sprint(run.status) != fmt.Sprint(wantStatus) {
			t.Errorf("state changes %q, status reports %q; want %q, %q", run.changes, run.status, wantChanges, wantStatus)
		}
	})
}

// TestLivenessSurvivesStalls: a peer that is alive but was not scheduled for
// a while (this client, or the server) is not degraded on default settings.
func TestLivenessSurvivesStalls(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script probeScript
	}{
		{
			// The client is not scheduled for 1.95 s right after its first
			// PING (at 1 s): its liveness loop sleeps, and the PONG it was
			// sent is handled 100 ms after it runs again.
			name: "client starved after its first PING",
			script: probeScript{
				stall: func(round int) time.Duration { return stallIf(round == 1, 1950*time.Millisecond) },
				pong:  clientCatchesUp(time.Second, 3050*time.Millisecond),
			},
		},
		{
			// The same in the middle of a session, after the PING of 2 s;
			// the client's receive side takes 1.1 s more to catch up.
			name: "client starved mid-session",
			script: probeScript{
				stall: func(round int) time.Duration { return stallIf(round == 2, 1950*time.Millisecond) },
				pong:  clientCatchesUp(2*time.Second, 5050*time.Millisecond),
			},
		},
		{
			// The servers are not scheduled for 2 s: PINGs that arrive in
			// [2.5 s, 4.5 s) are answered at 4.5 s.
			name: "servers starved",
			script: probeScript{
				pong: func(_ int, sent time.Duration) (time.Duration, bool) {
					if sent > 2500*time.Millisecond && sent < 4500*time.Millisecond {
						return 4500*time.Millisecond + probeRTT/2, true
					}
					return sent + probeRTT, true
				},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				run := runProbed(t, 2, 10*time.Second, tc.script)
				if len(run.changes) != 0 || len(run.status) != 0 {
					t.Errorf("state changes %q, status reports %q; want none: every peer answered", run.changes, run.status)
				}
			})
		})
	}
}

func stallIf(cond bool, d time.Duration) time.Duration {
	if cond {
		return d
	}
	return 0
}

// clientCatchesUp is a pong script for a client that handles nothing it
// receives from just after from until until.
func clientCatchesUp(from, until time.Duration) func(int, time.Duration) (time.Duration, bool) {
	return func(_ int, sent time.Duration) (time.Duration, bool) {
		if handled := sent + probeRTT; handled > from && handled < until {
			return until, true
		}
		return sent + probeRTT, true
	}
}
