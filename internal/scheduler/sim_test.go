package scheduler

import (
	"container/heap"
	"fmt"
	"testing"
	"time"
)

// This file is a small discrete-event simulator of one multi-source
// transfer: a primary running the plan, paths with a rate, a one-way delay
// and first-in first-out delivery in frames, and a client that reassembles,
// advertises a flow-control window from its read position and reports
// delivered bytes per path every report interval.

var simTrace func(s *sim, what string, a ...any)

const (
	mbit      = 1e6 / 8 // bytes per second in one Mbit/s
	simFrame  = 32 << 10
	simEpochS = 1_700_000_000
)

// simPathConfig describes one simulated path. Path 0 is the primary itself:
// its commands take no time. A secondary's commands are relayed through the
// client, so they take the primary's delay plus its own.
type simPathConfig struct {
	rate  float64       // bytes per second
	delay time.Duration // one-way, between the client and this server
	// dieAt, if non-zero, is when the path stops delivering; the primary
	// hears of it detect later.
	dieAt  time.Duration
	detect time.Duration
	// joinAt, if non-zero, is when the path is added.
	joinAt time.Duration
	// slowStartRTT, if non-zero, models a congestion controller in slow
	// start on a path of this round-trip time: the path sends at most its
	// congestion window per RTT, and the window grows by what it sends
	// only while it has more queued (an application-limited sender does
	// not grow its window), from simInitialWindow up to the path's rate.
	slowStartRTT time.Duration
}

// simInitialWindow is quic-go's initial congestion window (32 packets).
const simInitialWindow = 32 * 1252

// simConfig describes one simulated transfer.
type simConfig struct {
	size      uint64
	pieceSize uint64
	window    uint64 // the client's stream window
	// planWindow is the window the plan is told; zero uses window.
	planWindow uint64
	report     time.Duration
	paths      []simPathConfig
	hints      map[uint64]uint64
	// relayQueue, if non-zero, is the most a relayed command waits in the
	// primary path's bottleneck queue, which the primary's own data fills
	// and drains in a sawtooth of period relayQueuePeriod, as a loss-based
	// congestion controller does.
	relayQueue time.Duration
}

// relayQueuePeriod is the period of simConfig.relayQueue's sawtooth.
const relayQueuePeriod = 300 * time.Millisecond

// simResult is what a simulated transfer measured.
type simResult struct {
	clientDone time.Duration // when the client had every byte
	planDone   time.Duration // when the plan knew it
	delivered  []uint64      // bytes received through each path, duplicates included
	ideal      time.Duration // size / sum of the rates of the paths that never die
	stats      Stats
	blocked    time.Duration // total time sources sat blocked on flow control
	srcs       []*simSource
	// finisher is the path whose report completed the object.
	finisher int
}

// efficiency is the fraction of the sum of the rates that was achieved.
func (r simResult) efficiency() float64 { return float64(r.ideal) / float64(r.clientDone) }

type simEventKind int

const (
	evCommand simEventKind = iota // a command reaches a source
	evFrame                       // a frame reaches the client
	evSent                        // a source finished transmitting a frame
	evLimit                       // a window update reaches a source
	evTick                        // the client's report timer
	evReport                      // a report reaches the primary
	evWake                        // the plan's deadline
	evDie                         // a path stops
	evDown                        // the primary hears a path is down
	evJoin                        // a path is added
)

type simEvent struct {
	at    time.Duration
	seq   int
	kind  simEventKind
	path  int
	r     Range
	value uint64
}

type simQueue []*simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(*simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// simSource is one path's sending server.
type simSource struct {
	cfg          simPathConfig
	dead         bool
	joined       bool
	queue        []Range
	busy         bool
	limit        uint64 // highest window limit heard
	blockedSince time.Duration
	isBlocked    bool
	// idle accounting: time with nothing to send after the first command
	started   bool
	idleSince time.Duration
	idle      time.Duration
	firstSend time.Duration
	lastSend  time.Duration
	cwnd      float64 // bytes, with cfg.slowStartRTT
}

// sim is one simulated transfer.
type sim struct {
	t       testing.TB
	cfg     simConfig
	now     time.Duration
	seq     int
	events  simQueue
	pl      *plan
	srcs    []*simSource
	recv    []Range // received ranges, sorted and disjoint
	readPos uint64
	// client-side per-path counters and what was last reported
	delivered []uint64
	reported  []uint64
	nextWake  time.Duration
	// commandAt is when each path's last command arrives: commands share
	// the primary's control stream, so they never overtake one another.
	commandAt []time.Duration
	res       simResult
}

func newSim(t testing.TB, cfg simConfig) *sim {
	if cfg.report == 0 {
		cfg.report = DefaultReportInterval
	}
	if cfg.planWindow == 0 {
		cfg.planWindow = cfg.window
	}
	c, err := Config{Size: cfg.size, PieceSize: cfg.pieceSize, ReportInterval: cfg.report, Window: cfg.planWindow, InitialRates: cfg.hints}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	s := &sim{t: t, cfg: cfg, pl: newPlan(c), nextWake: -1}
	s.delivered = make([]uint64, len(cfg.paths))
	s.reported = make([]uint64, len(cfg.paths))
	s.commandAt = make([]time.Duration, len(cfg.paths))
	var sum float64
	for i, pc := range cfg.paths {
		s.srcs = append(s.srcs, &simSource{cfg: pc, limit: cfg.window, idleSince: -1})
		if pc.dieAt == 0 {
			sum += pc.rate
		}
		if pc.dieAt != 0 {
			s.push(&simEvent{at: pc.dieAt, kind: evDie, path: i})
			s.push(&simEvent{at: pc.dieAt + pc.detect, kind: evDown, path: i})
		}
		s.push(&simEvent{at: pc.joinAt, kind: evJoin, path: i})
	}
	s.res.ideal = time.Duration(float64(cfg.size) / sum * float64(time.Second))
	s.push(&simEvent{at: cfg.report, kind: evTick})
	return s
}

func (s *sim) clock() time.Time { return time.Unix(simEpochS, 0).Add(s.now) }

func (s *sim) push(e *simEvent) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.events, e)
}

// run simulates until the plan is done or limit passes.
func (s *sim) run(limit time.Duration) simResult {
	for s.events.Len() > 0 {
		e := heap.Pop(&s.events).(*simEvent)
		if e.at > limit {
			s.t.Fatalf("transfer not done after %v: client has %d of %d bytes, plan undone %d, stats %+v",
				limit, s.readPos, s.cfg.size, s.pl.undone, s.pl.stats(s.clock()))
		}
		s.now = e.at
		s.handle(e)
		if err := checkInvariants(s.pl); err != nil {
			s.t.Fatalf("at %v after event %d: %v", s.now, e.kind, err)
		}
		if s.pl.done() {
			s.res.planDone = s.now
			s.res.finisher = e.path
			if s.readPos != s.cfg.size {
				s.t.Fatalf("plan done at %v but the client has only %d of %d bytes", s.now, s.readPos, s.cfg.size)
			}
			s.res.delivered = s.delivered
			s.res.srcs = s.srcs
			s.res.stats = s.pl.stats(s.clock())
			return s.res
		}
	}
	s.t.Fatalf("simulation ran out of events: client has %d of %d bytes", s.readPos, s.cfg.size)
	return s.res
}

func (s *sim) handle(e *simEvent) {
	src := s.srcs[e.path]
	switch e.kind {
	case evJoin:
		src.joined = true
		if err := s.pl.addPath(uint64(e.path), s.clock()); err != nil {
			s.t.Fatal(err)
		}
		s.schedule()
	case evCommand:
		if src.dead {
			return
		}
		src.queue = append(src.queue, e.r)
		s.transmit(e.path)
	case evSent:
		src.busy = false
		s.transmit(e.path)
	case evFrame:
		if src.dead {
			return // lost with its server
		}
		s.receive(e.path, e.r)
	case evLimit:
		if e.value > src.limit {
			src.limit = e.value
			s.transmit(e.path)
		}
	case evTick:
		for i := range s.srcs {
			if s.delivered[i] != s.reported[i] {
				s.reported[i] = s.delivered[i]
				s.push(&simEvent{at: s.now + s.cfg.paths[0].delay, kind: evReport, path: i, value: s.delivered[i]})
			}
		}
		s.push(&simEvent{at: s.now + s.cfg.report, kind: evTick})
	case evReport:
		if simTrace != nil {
			simTrace(s, "report", e.path, e.value)
		}
		if err := s.pl.onReport(uint64(e.path), e.value, s.clock()); err != nil {
			s.t.Fatalf("report: %v", err)
		}
		s.schedule()
	case evWake:
		if s.nextWake == s.now {
			s.nextWake = -1
		}
		s.schedule()
	case evDie:
		src.dead = true
		src.queue = nil
	case evDown:
		if err := s.pl.onPathDown(uint64(e.path)); err != nil {
			s.t.Fatal(err)
		}
		s.schedule()
	}
}

// schedule runs the plan and sends its commands.
func (s *sim) schedule() {
	now := s.clock()
	for _, a := range s.pl.next(now) {
		if simTrace != nil {
			p := s.pl.byID[a.path]
			simTrace(s, "assign", a.path, a.r, "inflight", p.inflight(), "rate", p.est.rate/mbit, "lat", p.est.latency)
		}
		delay := time.Duration(0)
		if a.path != 0 {
			delay = s.cfg.paths[0].delay + s.cfg.paths[a.path].delay
			if q := s.cfg.relayQueue; q > 0 {
				delay += q * (s.now % relayQueuePeriod) / relayQueuePeriod
			}
		}
		at := max(s.now+delay, s.commandAt[a.path])
		s.commandAt[a.path] = at
		s.push(&simEvent{at: at, kind: evCommand, path: int(a.path), r: a.r})
	}
	if d, ok := s.pl.deadline(now); ok {
		at := d.Sub(time.Unix(simEpochS, 0))
		if at <= s.now {
			s.t.Fatalf("plan deadline %v is not in the future (now %v)", at, s.now)
		}
		if s.nextWake < 0 || at < s.nextWake {
			s.nextWake = at
			s.push(&simEvent{at: at, kind: evWake})
		}
	}
}

// transmit starts the next frame of a source if it is idle, has work and
// the window allows it.
func (s *sim) transmit(i int) {
	src := s.srcs[i]
	if src.busy || src.dead {
		return
	}
	if len(src.queue) == 0 {
		if !src.started || src.idleSince >= 0 {
			return
		}
		src.idleSince = s.now
		return
	}
	if !src.started {
		src.started, src.firstSend = true, s.now
	} else if src.idleSince >= 0 {
		src.idle += s.now - src.idleSince
	}
	src.idleSince = -1
	src.lastSend = s.now
	r := src.queue[0]
	if r.Start >= src.limit {
		if !src.isBlocked {
			src.isBlocked, src.blockedSince = true, s.now
		}
		return
	}
	if src.isBlocked {
		src.isBlocked = false
		s.res.blocked += s.now - src.blockedSince
	}
	end := min(r.End, r.Start+simFrame, src.limit)
	frame := Range{Start: r.Start, End: end}
	if end == r.End {
		src.queue = src.queue[1:]
	} else {
		src.queue[0].Start = end
	}
	src.busy = true
	rate := src.cfg.rate
	if rtt := src.cfg.slowStartRTT.Seconds(); rtt > 0 {
		if src.cwnd == 0 {
			src.cwnd = simInitialWindow
		}
		rate = min(rate, src.cwnd/rtt)
		if len(src.queue) > 0 && src.cwnd < src.cfg.rate*rtt {
			src.cwnd += float64(frame.Len())
		}
	}
	tx := time.Duration(float64(frame.Len()) / rate * float64(time.Second))
	s.push(&simEvent{at: s.now + tx, kind: evSent, path: i})
	s.push(&simEvent{at: s.now + tx + src.cfg.delay, kind: evFrame, path: i, r: frame})
}

// receive stores a frame at the client, checks it against the window, and
// slides the window if the read position moved.
func (s *sim) receive(i int, r Range) {
	if r.End > s.readPos+s.cfg.window {
		s.t.Fatalf("path %d sent %v beyond the client's limit %d", i, r, s.readPos+s.cfg.window)
	}
	s.delivered[i] += r.Len()
	s.recv = addRange(s.recv, r)
	if len(s.recv) > 0 && s.recv[0].Start == 0 && s.recv[0].End > s.readPos {
		s.readPos = s.recv[0].End
		if s.readPos == s.cfg.size && s.res.clientDone == 0 {
			s.res.clientDone = s.now
		}
		limit := s.readPos + s.cfg.window
		for j, src := range s.srcs {
			if !src.dead {
				s.push(&simEvent{at: s.now + src.cfg.delay, kind: evLimit, path: j, value: limit})
			}
		}
	}
}

// addRange merges r into the sorted disjoint list rs.
func addRange(rs []Range, r Range) []Range {
	out := rs[:0:0]
	placed := false
	for _, x := range rs {
		switch {
		case x.End < r.Start:
			out = append(out, x)
		case r.End < x.Start:
			if !placed {
				out = append(out, r)
				placed = true
			}
			out = append(out, x)
		default:
			r = Range{Start: min(r.Start, x.Start), End: max(r.End, x.End)}
		}
	}
	if !placed {
		out = append(out, r)
	}
	return out
}

// describe formats a result for test logs.
func (r simResult) describe(cfg simConfig) string {
	s := fmt.Sprintf("done %v (ideal %v, efficiency %.3f), dup %d B, blocked %v;", r.clientDone, r.ideal, r.efficiency(), r.stats.DuplicatedBytes, r.blocked)
	var total uint64
	for _, d := range r.delivered {
		total += d
	}
	for i, d := range r.delivered {
		s += fmt.Sprintf(" path %d (%.0f Mbit/s): %.3f of bytes, est %.1f Mbit/s lat %v;", i, cfg.paths[i].rate/mbit, float64(d)/float64(total), r.stats.Paths[i].Rate/mbit, r.stats.Paths[i].Latency)
		if r.srcs != nil {
			src := r.srcs[i]
			s += fmt.Sprintf(" first %v last %v idle %v;", src.firstSend, src.lastSend, src.idle)
		}
	}
	return s
}
