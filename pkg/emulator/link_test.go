package emulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestLinkRate(t *testing.T) {
	const (
		rate  = 20_000_000
		burst = 16 << 10
		size  = 1200
		count = 1600 // 0.77 s at the rate
	)
	sink := listenUDP(t)
	// The queue holds the whole blast, so the link is busy from the first
	// datagram to the last.
	l := startLink(t, sink.LocalAddr(), LinkConfig{Rate: rate, Burst: burst, QueueBytes: 4 << 20})
	res := blast(t, dialUDP(t, l.Addr()), sink, count, size)
	if res.packets != count {
		t.Fatalf("%d of %d datagrams arrived through a queue that holds them all; stats %+v", res.packets, count, l.Stats().Up)
	}
	c := checkRate(res, size, rate, burst)
	t.Logf("%d bytes in %v: overall %.3f of the rate, bucket excess %.3f, sustained %.3f",
		res.bytes, res.elapsed, c.overall, c.excess, c.sustained)
	// Nothing may ever beat the bucket; 1% covers the rounding of
	// transmission times to the nanosecond and of clock reads.
	if c.excess > 1.01 {
		t.Errorf("datagrams arrived %.1f%% earlier than a %d Mbit/s token bucket allows", (c.excess-1)*100, rate/1_000_000)
	}
	// 80–105%: a correct link gives 1 between two datagrams released on
	// time; the margin covers timer wake-ups (about 1 ms late on a busy
	// machine) and a freeze that spared only a few datagrams of a third.
	if c.sustained < 0.80 || c.sustained > 1.05 {
		t.Errorf("sustained rate %.3f of %d Mbit/s, want 0.80–1.05", c.sustained, rate/1_000_000)
	}
}

func TestLinkDelayEachDirection(t *testing.T) {
	const upDelay, downDelay = 40 * time.Millisecond, 10 * time.Millisecond
	base := time.Now()
	echo := startEcho(t, base)
	l := startLink(t, echo.conn.LocalAddr(), LinkConfig{
		Up:   &Shape{Delay: upDelay},
		Down: &Shape{Delay: downDelay},
	})
	client := dialUDP(t, l.Addr())
	buf := make([]byte, maxDatagram)
	for i := range 5 {
		sent := time.Since(base)
		if _, err := client.Write(encodeDatagram(make([]byte, 100), kindData, uint32(i))); err != nil {
			t.Fatal(err)
		}
		reply, arrived := splitEcho(t, readWithin(t, client, buf))
		back := time.Since(base)
		if _, seq, _ := decodeDatagram(reply); seq != uint32(i) {
			t.Fatalf("reply to %d carries %d", i, seq)
		}
		// Delays are lower bounds only: scheduling can add to them, never
		// remove from them.
		if up := arrived - sent; up < upDelay {
			t.Errorf("packet %d: one-way delay up %v, want ≥ %v", i, up, upDelay)
		}
		if down := back - arrived; down < downDelay {
			t.Errorf("packet %d: one-way delay down %v, want ≥ %v", i, down, downDelay)
		}
	}
}

func TestLinkKeepsOrder(t *testing.T) {
	const count = 300
	sink := listenUDP(t)
	l := startLink(t, sink.LocalAddr(), LinkConfig{Rate: 10_000_000, Delay: 5 * time.Millisecond, QueueBytes: 1 << 20})
	res := blast(t, dialUDP(t, l.Addr()), sink, count, 500)
	if res.packets != count {
		t.Fatalf("%d of %d datagrams arrived with no loss and a large queue; stats %+v", res.packets, count, l.Stats().Up)
	}
	for i, seq := range res.seqs {
		if seq != uint32(i) {
			t.Fatalf("datagram %d arrived in position %d", seq, i)
		}
	}
}

func TestLinkLoss(t *testing.T) {
	const n, loss = 2000, 0.3
	sink := listenUDP(t)
	l := startLink(t, sink.LocalAddr(), LinkConfig{Loss: loss, Seed: 42})
	res := blast(t, dialUDP(t, l.Addr()), sink, n, 100)

	// The end markers went through the same loss, so the link's own count
	// is a binomial sample of at least n trials. Five standard deviations:
	// a correct link fails this for one seed in 1.7 million.
	st := l.Stats().Up
	trials := st.Packets + st.LossDrops
	if trials < n {
		t.Fatalf("the link decided on %d packets, fewer than the %d sent; stats %+v", trials, n, st)
	}
	within := func(what string, got, trials float64) {
		sigma := math.Sqrt(trials * loss * (1 - loss))
		if math.Abs(got-trials*(1-loss)) > 5*sigma {
			t.Errorf("%s: %.0f of %.0f delivered, want %.0f ± %.0f", what, got, trials, trials*(1-loss), 5*sigma)
		}
	}
	within("link stats", float64(st.Packets), float64(trials))
	within("received data", float64(res.packets), n)
	if uint64(res.packets) > st.Packets {
		t.Errorf("received %d datagrams, more than the %d the link forwarded", res.packets, st.Packets)
	}
}

func TestLinkQueueOverflowDrops(t *testing.T) {
	// 400 kB would take 3.2 s to drain at 1 Mbit/s: the blast arrives far
	// faster, even if the machine freezes the sender for a while.
	const sent, size, queue, burst = 400, 1000, 10_000, 3000
	sink := listenUDP(t)
	l := startLink(t, sink.LocalAddr(), LinkConfig{Rate: 1_000_000, QueueBytes: queue, Burst: burst})
	res := blast(t, dialUDP(t, l.Addr()), sink, sent, size)
	st := l.Stats().Up
	t.Logf("%d of %d arrived; stats %+v", res.packets, sent, st)
	// The queue fills; a slow sender only lets more through, never less.
	if res.packets < queue/size {
		t.Errorf("%d datagrams arrived, fewer than the queue holds (%d)", res.packets, queue/size)
	}
	if res.packets >= sent {
		t.Errorf("all %d datagrams arrived through a %d-byte queue", sent, queue)
	}
	// Every missing data datagram was a queue drop (markers may add more).
	if st.QueueDrops < uint64(sent-res.packets) {
		t.Errorf("%d datagrams missing but only %d queue drops", sent-res.packets, st.QueueDrops)
	}
	if st.LossDrops != 0 || st.KillDrops != 0 {
		t.Errorf("drops other than the queue's: %+v", st)
	}
}

func TestLinkSeveralClients(t *testing.T) {
	echo := startEcho(t, time.Now())
	l := startLink(t, echo.conn.LocalAddr(), LinkConfig{Delay: time.Millisecond})
	const clients = 3
	buf := make([]byte, maxDatagram)
	for i := range clients {
		c := dialUDP(t, l.Addr())
		msg := fmt.Appendf(nil, "client %d", i)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		reply, _ := splitEcho(t, readWithin(t, c, buf))
		if !bytes.Equal(reply, msg) {
			t.Fatalf("client %d got %q", i, reply)
		}
	}
	if seen := echo.seen(); len(seen) != clients {
		t.Errorf("target saw %d source addresses %v, want one per client", len(seen), seen)
	}
	// Counters are updated before a datagram is sent, so they are exact once
	// the replies are in.
	st := l.Stats()
	if st.Flows != clients || st.Up.Packets != clients || st.Down.Packets != clients {
		t.Errorf("stats %+v, want %d flows and %d packets each way", st, clients, clients)
	}
}

func TestLinkSetConfig(t *testing.T) {
	echo := startEcho(t, time.Now())
	l := startLink(t, echo.conn.LocalAddr(), LinkConfig{Seed: 9})
	client := dialUDP(t, l.Addr())
	buf := make([]byte, maxDatagram)
	roundTrip := func() time.Duration {
		start := time.Now()
		if _, err := client.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		readWithin(t, client, buf)
		return time.Since(start)
	}
	roundTrip()

	const delay = 30 * time.Millisecond
	if err := l.SetConfig(LinkConfig{Delay: delay}); err != nil {
		t.Fatal(err)
	}
	if rtt := roundTrip(); rtt < 2*delay {
		t.Errorf("round trip %v after SetConfig, want ≥ %v", rtt, 2*delay)
	}
	if got := l.Config(); got.Delay != delay || got.Seed != 9 {
		t.Errorf("Config() = %+v, want the new delay and the original seed", got)
	}

	var ce *ConfigError
	if err := l.SetConfig(LinkConfig{Loss: 2}); !errors.As(err, &ce) {
		t.Errorf("SetConfig with Loss 2 = %v, want a *ConfigError", err)
	}
	if got := l.Config(); got.Delay != delay {
		t.Errorf("a rejected SetConfig changed the config to %+v", got)
	}
}

func TestLinkKillAndRevive(t *testing.T) {
	echo := startEcho(t, time.Now())
	l := startLink(t, echo.conn.LocalAddr(), LinkConfig{Up: &Shape{Delay: maxDelay}})
	client := dialUDP(t, l.Addr())
	send := func(msg string) {
		if _, err := client.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		send("in flight")
	}
	eventually(t, "3 packets inside the link", func() bool { return l.Stats().Up.Received == 3 })
	// Packets in flight when the link dies are lost with it, at once.
	l.Kill()
	if st := l.Stats().Up; st.KillDrops != 3 {
		t.Fatalf("after Kill, stats %+v, want the 3 packets in flight dropped", st)
	}
	for range 3 {
		send("while dead")
	}
	eventually(t, "6 packets dropped by the kill", func() bool { return l.Stats().Up.KillDrops == 6 })
	if err := l.SetConfig(LinkConfig{}); err != nil {
		t.Fatal(err)
	}
	l.Revive()

	rep := startRepeater(client, []byte("alive"), 20*time.Millisecond)
	defer rep.halt()
	buf := make([]byte, maxDatagram)
	reply, _ := splitEcho(t, readWithin(t, client, buf))
	if string(reply) != "alive" {
		t.Fatalf("first reply after Revive is %q, want \"alive\"", reply)
	}
	if st := l.Stats().Up; st.Packets == 0 || st.KillDrops != 6 {
		t.Errorf("stats %+v, want 6 kill drops and the revived packets forwarded", st)
	}
}

func TestLinkClosesIdleFlows(t *testing.T) {
	echo := startEcho(t, time.Now())
	l := startLinkWithLimits(t, echo.conn.LocalAddr(), LinkConfig{}, limits{maxFlows: 10, idleTimeout: 50 * time.Millisecond})
	client := dialUDP(t, l.Addr())
	buf := make([]byte, maxDatagram)
	var sources []netip.AddrPort
	for range 2 {
		// Repeat the request: if the machine stalls past the idle timeout,
		// a reply can meet a closed flow, as it would in a NAT.
		rep := startRepeater(client, []byte("hello"), 20*time.Millisecond)
		readWithin(t, client, buf)
		rep.halt()
		sources = echo.seen()
		eventually(t, "the idle flow to close", func() bool { return l.Stats().Flows == 0 })
	}
	// Like an expired NAT mapping: the client's packets after the timeout
	// came from a new upstream port.
	if len(sources) < 2 {
		t.Errorf("target saw sources %v, want a new one after the idle timeout", sources)
	}
}

func TestLinkRefusesFlowsBeyondLimit(t *testing.T) {
	echo := startEcho(t, time.Now())
	l := startLinkWithLimits(t, echo.conn.LocalAddr(), LinkConfig{}, limits{maxFlows: 1, idleTimeout: time.Minute})
	first, second := dialUDP(t, l.Addr()), dialUDP(t, l.Addr())
	if _, err := first.Write([]byte("one")); err != nil {
		t.Fatal(err)
	}
	readWithin(t, first, make([]byte, maxDatagram))
	if _, err := second.Write([]byte("two")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the second client to be refused", func() bool { return l.Stats().RefusedPackets == 1 })
	if st := l.Stats(); st.Flows != 1 || st.Up.Received != 1 {
		t.Errorf("stats %+v, want one flow and one received packet", st)
	}
}

func TestLinkCloseStopsEverything(t *testing.T) {
	echo := startEcho(t, time.Now())
	ignore := goleak.IgnoreCurrent()
	l, err := Listen(context.Background(), "127.0.0.1:0", echo.conn.LocalAddr().String(),
		LinkConfig{Rate: 1_000_000, Delay: maxDelay})
	if err != nil {
		t.Fatal(err)
	}
	// Two clients with packets stuck in the delay line.
	for range 2 {
		c := dialUDP(t, l.Addr())
		for range 5 {
			if _, err := c.Write(make([]byte, 1000)); err != nil {
				t.Fatal(err)
			}
		}
	}
	eventually(t, "10 packets inside the link", func() bool { return l.Stats().Up.Received == 10 })

	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	goleak.VerifyNone(t, ignore)
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := l.SetConfig(LinkConfig{}); !errors.Is(err, ErrClosed) || !errors.Is(err, net.ErrClosed) {
		t.Errorf("SetConfig after Close = %v, want ErrClosed (and net.ErrClosed)", err)
	}
	if st := l.Stats(); st.Up.Received != 10 || st.Up.Packets != 0 || st.Flows != 0 {
		t.Errorf("stats after Close %+v, want 10 received, none forwarded, no flows", st)
	}
}

func TestListenErrors(t *testing.T) {
	ctx := context.Background()
	var ce *ConfigError
	if _, err := Listen(ctx, "127.0.0.1:0", "127.0.0.1:9", LinkConfig{Rate: -1}); !errors.As(err, &ce) {
		t.Errorf("Listen with a bad config = %v, want a *ConfigError", err)
	}
	if _, err := Listen(ctx, "127.0.0.1:0", "no port", LinkConfig{}); err == nil {
		t.Error("Listen to a target without a port succeeded")
	}
	if _, err := Listen(ctx, "256.0.0.1:0", "127.0.0.1:9", LinkConfig{}); err == nil {
		t.Error("Listen on an invalid address succeeded")
	}
	l, err := Listen(ctx, "127.0.0.1:0", "localhost:9", LinkConfig{})
	if err != nil {
		t.Fatalf("Listen with a host name target: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Error(err)
	}
}
