package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/fileserve"
)

const (
	// sampleInterval is how often the demo samples the primary's view
	// when nothing happens.
	sampleInterval = 100 * time.Millisecond
	// minSampleGap bounds how often it samples when reports pour in.
	minSampleGap = 20 * time.Millisecond
	// rateWindow is the span over which a path's current rate is measured.
	rateWindow = time.Second
)

// pathSample is what the primary knows of one path at one moment.
type pathSample struct {
	known bool // the path exists in the primary's session
	id    uint64
	state string
	lost  bool // dead, removed or failed
	err   error
	bytes int64   // object bytes the client reported receiving through it
	rate  float64 // bits per second over the last rateWindow
}

// sample is the demo's view of the transfer at one moment.
type sample struct {
	at       time.Duration // since the start
	paths    []pathSample  // by demo path index
	received int64         // bytes the client application has read
}

// monitor samples the primary's view of the demo's transfer: per path, the
// bytes the client reported and the path's state.
type monitor struct {
	paths   []*demoPath
	tr      fileserve.Transfer
	start   time.Time
	history []sample // the last rateWindow of samples, oldest first
	// lostAt is when watch first saw each path in a terminal state.
	lostAt []time.Duration
}

func newMonitor(paths []*demoPath, tr fileserve.Transfer, start time.Time) *monitor {
	return &monitor{paths: paths, tr: tr, start: start, lostAt: make([]time.Duration, len(paths))}
}

// sample takes a sample now.
func (m *monitor) sample(received int64) sample {
	s, _ := m.sampleAndWatch(received)
	return s
}

// sampleAndWatch takes a sample now, and returns a channel closed when the
// next delivery report arrives or a path changes state.
func (m *monitor) sampleAndWatch(received int64) (sample, <-chan struct{}) {
	s := sample{at: time.Since(m.start), paths: make([]pathSample, len(m.paths)), received: received}
	counts, changed := m.tr.Session.Deliveries(m.tr.StreamID)
	for _, info := range m.tr.Session.AllPaths() {
		i := m.indexOf(info)
		if i < 0 {
			continue
		}
		n := int64(counts[info.ID])
		if i == 0 {
			n = max(0, n-m.tr.Offset) // the primary also sent the header
		}
		s.paths[i] = pathSample{known: true, id: info.ID, state: info.State.String(), lost: info.State.Terminal(), err: info.Err, bytes: n}
	}
	for i := range s.paths {
		if !s.paths[i].known {
			s.paths[i].state = "pending"
		}
	}
	m.history = append(m.history, s)
	for len(m.history) > 1 && s.at-m.history[0].at > rateWindow {
		m.history = m.history[1:]
	}
	if old := m.history[0]; s.at > old.at {
		for i := range s.paths {
			s.paths[i].rate = float64(s.paths[i].bytes-old.paths[i].bytes) * 8 / (s.at - old.at).Seconds()
		}
	}
	return s, changed
}

// indexOf maps a path of the primary's session to the demo's path index.
func (m *monitor) indexOf(info kwik.PathInfo) int {
	if info.Primary {
		return 0
	}
	for _, p := range m.paths[1:] {
		if p.addr == info.Address {
			return p.index
		}
	}
	return -1
}

// watch samples until ctx ends, shows each sample and announces every
// change of a path's state. It samples at each delivery report or path
// event (at most every minSampleGap), every sampleInterval otherwise, and
// once more as it stops, so that a change that ended the wait is announced
// too.
func (m *monitor) watch(ctx context.Context, received *atomic.Int64, ui view) {
	t := time.NewTicker(sampleInterval)
	defer t.Stop()
	states := make([]string, len(m.paths))
	for {
		stopping := ctx.Err() != nil
		s, changed := m.sampleAndWatch(received.Load())
		for i, p := range s.paths {
			if p.state == states[i] {
				continue
			}
			states[i] = p.state
			if p.lost && m.lostAt[i] == 0 {
				m.lostAt[i] = s.at
			}
			if !p.known || p.state == "pending" {
				continue // not news: every secondary starts so
			}
			line := fmt.Sprintf("%7.2fs  %s: %s", s.at.Seconds(), m.paths[i].label(), p.state)
			if p.err != nil {
				line += " (" + p.err.Error() + ")"
			}
			ui.event(line)
		}
		ui.update(s)
		if stopping {
			return
		}
		select {
		case <-changed:
		case <-t.C: // rates fall on a silent path too
		case <-ctx.Done():
			continue
		}
		if wait := minSampleGap - (time.Since(m.start) - s.at); wait > 0 {
			gap := time.NewTimer(wait)
			select {
			case <-gap.C:
			case <-ctx.Done():
			}
			gap.Stop()
		}
	}
}
