package transport

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPathStateTransitions(t *testing.T) {
	p := NewPath(2, "10.0.0.2:4433", false, nil, nil, 0)
	errLost := errors.New("idle timeout")
	steps := []struct {
		to      PathState
		err     error
		changed bool
		state   PathState
	}{
		{PathActive, nil, false, PathActive}, // already there
		{PathDegraded, nil, true, PathDegraded},
		{PathActive, nil, true, PathActive},
		{PathDead, errLost, true, PathDead},
		{PathActive, nil, false, PathDead}, // terminal states are final
		{PathRemoved, nil, false, PathDead},
		{PathFailed, nil, false, PathDead},
	}
	for i, s := range steps {
		if got := p.SetState(s.to, s.err); got != s.changed {
			t.Fatalf("step %d: SetState(%v) = %v, want %v", i, s.to, got, s.changed)
		}
		if st, _ := p.State(); st != s.state {
			t.Fatalf("step %d: state %v, want %v", i, st, s.state)
		}
	}
	if _, err := p.State(); err != errLost {
		t.Fatalf("a dead path's error: %v, want the one it died of", err)
	}
}

func TestPathPendingToFailed(t *testing.T) {
	p := NewPath(1, "secondary:4433", false, nil, nil, 0)
	if !p.SetState(PathPending, nil) || !p.SetState(PathFailed, errors.New("bad pin")) {
		t.Fatal("pending → failed refused")
	}
	info := p.Info()
	if info.State != PathFailed || info.Err == nil || info.Err.Error() != "bad pin" {
		t.Fatalf("info %+v", info)
	}
}

func TestPathConcurrentTerminalStates(t *testing.T) {
	p := NewPath(1, "a:1", false, nil, nil, 0)
	var changed atomic.Int32
	var wg sync.WaitGroup
	for _, s := range []PathState{PathDead, PathRemoved, PathFailed, PathDead} {
		wg.Go(func() {
			if p.SetState(s, nil) {
				changed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := changed.Load(); n != 1 {
		t.Fatalf("%d racing terminal transitions succeeded, want exactly 1", n)
	}
}

func TestPathStateNames(t *testing.T) {
	for s, want := range map[PathState]string{
		PathPending: "pending", PathActive: "active", PathDegraded: "degraded",
		PathDead: "dead", PathRemoved: "removed", PathFailed: "failed",
		PathState(9): "PathState(9)", PathState(-1): "PathState(-1)",
	} {
		if got := s.String(); got != want {
			t.Errorf("%d: %q, want %q", int(s), got, want)
		}
	}
	for s, terminal := range map[PathState]bool{
		PathPending: false, PathActive: false, PathDegraded: false,
		PathDead: true, PathRemoved: true, PathFailed: true,
	} {
		if s.Terminal() != terminal {
			t.Errorf("%v.Terminal() = %v", s, !terminal)
		}
	}
}

func TestPathInfoCounts(t *testing.T) {
	before := time.Now()
	p := NewPath(3, "s:1", true, nil, nil, 0)
	created := p.Info().LastActive
	p.CountSent(100)
	p.CountSent(20)
	p.CountReceived(7)
	info := p.Info()
	if info.ID != 3 || info.Address != "s:1" || !info.Primary || info.State != PathActive {
		t.Fatalf("info %+v", info)
	}
	if info.Stats.BytesSent != 120 || info.Stats.BytesReceived != 7 {
		t.Fatalf("stats %+v, want 120 sent, 7 received", info.Stats)
	}
	if info.Created.Before(before) || info.LastActive.Before(created) {
		t.Fatalf("created %v, last active %v (was %v)", info.Created, info.LastActive, created)
	}
}

func TestQUICConfig(t *testing.T) {
	c := QUICConfig(QUICOptions{})
	if c.MaxStreamReceiveWindow != 32<<20 || c.MaxIncomingUniStreams != 64 || c.MaxIncomingStreams != 1 {
		t.Fatalf("defaults: window %d, lanes %d, bidi %d", c.MaxStreamReceiveWindow, c.MaxIncomingUniStreams, c.MaxIncomingStreams)
	}
	c = QUICConfig(QUICOptions{KeepAlivePeriod: time.Second, MaxIdleTimeout: 3 * time.Second, HandshakeIdleTimeout: 2 * time.Second, ReceiveWindow: 8 << 20, MaxLanes: 3})
	if c.KeepAlivePeriod != time.Second || c.MaxIdleTimeout != 3*time.Second || c.HandshakeIdleTimeout != 2*time.Second {
		t.Fatalf("timeouts not passed through: %+v", c)
	}
	if c.MaxStreamReceiveWindow != 8<<20 || c.InitialStreamReceiveWindow != 2<<20 || c.MaxIncomingUniStreams != 3 {
		t.Fatalf("window %d/%d, lanes %d", c.InitialStreamReceiveWindow, c.MaxStreamReceiveWindow, c.MaxIncomingUniStreams)
	}
}
