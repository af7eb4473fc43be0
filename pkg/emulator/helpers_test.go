package emulator

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Test datagrams start with a kind byte and a sequence number.
const (
	kindData   = 'd'
	kindMarker = 'e'
	headerLen  = 5
)

// safetyTimeout only turns a hang into a failure; no test relies on it.
const safetyTimeout = 20 * time.Second

func encodeDatagram(b []byte, kind byte, seq uint32) []byte {
	b[0] = kind
	binary.BigEndian.PutUint32(b[1:headerLen], seq)
	return b
}

func decodeDatagram(b []byte) (kind byte, seq uint32, ok bool) {
	if len(b) < headerLen {
		return 0, 0, false
	}
	return b[0], binary.BigEndian.Uint32(b[1:headerLen]), true
}

// listenUDP opens a loopback socket that the test closes when it ends.
func listenUDP(tb testing.TB) *net.UDPConn {
	tb.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	_ = c.SetReadBuffer(socketBuffer)
	_ = c.SetWriteBuffer(socketBuffer)
	tb.Cleanup(func() { c.Close() })
	return c
}

// dialUDP opens a loopback socket connected to addr.
func dialUDP(tb testing.TB, addr net.Addr) *net.UDPConn {
	tb.Helper()
	c, err := net.DialUDP("udp", nil, addr.(*net.UDPAddr))
	if err != nil {
		tb.Fatal(err)
	}
	_ = c.SetReadBuffer(socketBuffer)
	_ = c.SetWriteBuffer(socketBuffer)
	tb.Cleanup(func() { c.Close() })
	return c
}

// startLink starts a link to target that the test closes when it ends.
func startLink(tb testing.TB, target net.Addr, cfg LinkConfig) *Link {
	tb.Helper()
	return startLinkWithLimits(tb, target, cfg, limits{maxFlows: defaultMaxFlows, idleTimeout: defaultIdleTimeout})
}

func startLinkWithLimits(tb testing.TB, target net.Addr, cfg LinkConfig, lim limits) *Link {
	tb.Helper()
	l, err := listen(context.Background(), "127.0.0.1:0", target.String(), cfg, lim)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

// echoServer sends every datagram back to its sender with, appended, the
// time it arrived (ns since base), and remembers the senders it has seen.
type echoServer struct {
	conn *net.UDPConn
	base time.Time
	done chan struct{}

	mu      sync.Mutex
	sources []netip.AddrPort
}

func startEcho(tb testing.TB, base time.Time) *echoServer {
	tb.Helper()
	e := &echoServer{conn: listenUDP(tb), base: base, done: make(chan struct{})}
	go e.serve()
	tb.Cleanup(func() {
		e.conn.Close()
		<-e.done
	})
	return e
}

func (e *echoServer) serve() {
	defer close(e.done)
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := e.conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		arrived := time.Since(e.base)
		e.mu.Lock()
		if !containsAddr(e.sources, from) {
			e.sources = append(e.sources, from)
		}
		e.mu.Unlock()
		reply := binary.BigEndian.AppendUint64(buf[:n], uint64(arrived))
		_, _ = e.conn.WriteToUDPAddrPort(reply, from)
	}
}

func (e *echoServer) seen() []netip.AddrPort {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]netip.AddrPort(nil), e.sources...)
}

func containsAddr(list []netip.AddrPort, a netip.AddrPort) bool {
	for _, b := range list {
		if a == b {
			return true
		}
	}
	return false
}

// splitEcho separates an echoed datagram from the arrival time appended to it.
func splitEcho(tb testing.TB, b []byte) ([]byte, time.Duration) {
	tb.Helper()
	if len(b) < 8 {
		tb.Fatalf("echo reply of %d bytes is too short", len(b))
	}
	return b[:len(b)-8], time.Duration(binary.BigEndian.Uint64(b[len(b)-8:]))
}

// readWithin reads one datagram, failing the test instead of hanging.
func readWithin(tb testing.TB, c *net.UDPConn, buf []byte) []byte {
	tb.Helper()
	_ = c.SetReadDeadline(time.Now().Add(safetyTimeout))
	n, err := c.Read(buf)
	if err != nil {
		tb.Fatalf("read: %v", err)
	}
	return buf[:n]
}

// repeater sends the same datagram on a connected socket until stopped. It is
// how a test gets a datagram through a lossy or congested link: correctness
// never depends on the interval, only how soon the test ends.
type repeater struct {
	stop chan struct{}
	done chan struct{}
	sent int
}

func startRepeater(c *net.UDPConn, datagram []byte, every time.Duration) *repeater {
	r := &repeater{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if _, err := c.Write(datagram); err == nil {
				r.sent++
			}
			select {
			case <-r.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return r
}

// halt stops the repeater and returns how many datagrams it sent.
func (r *repeater) halt() int {
	close(r.stop)
	<-r.done
	return r.sent
}

// eventually waits until cond holds. It is used only for what a link reports
// through Stats alone: UDP gives no event when a datagram is dropped.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(safetyTimeout)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// blastResult is what arrived of a blast.
type blastResult struct {
	packets  int             // data datagrams that arrived
	bytes    int             // their bytes
	elapsed  time.Duration   // from the first send to the last data arrival
	seqs     []uint32        // their sequence numbers, in arrival order
	arrivals []time.Duration // their arrival times, since the first send
}

// blastCount numbers blasts, so that one ignores the late end markers of
// the previous one on the same sockets.
var blastCount atomic.Uint32

// blast sends count data datagrams of size bytes through client as fast as
// the socket takes them, then end markers until one reaches sink, and
// reports what reached sink before it. Links keep order, so every data
// datagram that survived has arrived by then. Arrival times are the
// kernel's where it gives them, so the reader's own lateness is left out.
func blast(tb testing.TB, client, sink *net.UDPConn, count, size int) blastResult {
	tb.Helper()
	id := blastCount.Add(1)
	stamps := enableStamps(sink) == nil
	sendErr := make(chan error, 1)
	var rep *repeater
	repStarted := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(repStarted)
		buf := make([]byte, size)
		for i := range count {
			if _, err := client.Write(encodeDatagram(buf, kindData, uint32(i))); err != nil {
				sendErr <- err
				return
			}
		}
		rep = startRepeater(client, encodeDatagram(make([]byte, headerLen), kindMarker, id), 5*time.Millisecond)
	}()
	defer func() {
		<-repStarted
		if rep != nil {
			rep.halt()
		}
	}()

	res := blastResult{seqs: make([]uint32, 0, count), arrivals: make([]time.Duration, 0, count)}
	buf := make([]byte, maxDatagram)
	oob := make([]byte, 128)
	_ = sink.SetReadDeadline(time.Now().Add(safetyTimeout))
	for {
		n, oobn, _, _, err := sink.ReadMsgUDP(buf, oob)
		if err != nil {
			select {
			case sendErr := <-sendErr:
				tb.Fatalf("send: %v", sendErr)
			default:
			}
			tb.Fatalf("read: %v", err)
		}
		at := time.Now()
		if stamp, ok := stampOf(oob[:oobn]); ok && stamps {
			at = stamp
		}
		kind, seq, ok := decodeDatagram(buf[:n])
		if !ok {
			tb.Fatalf("unexpected datagram of %d bytes", n)
		}
		if kind == kindMarker {
			if seq == id {
				return res
			}
			continue // a late marker of an earlier blast
		}
		res.elapsed = at.Sub(start)
		res.packets++
		res.bytes += n
		res.seqs = append(res.seqs, seq)
		res.arrivals = append(res.arrivals, res.elapsed)
	}
}

// rateCheck is what a blast through a rate-limited link says about its rate,
// as fractions of that rate.
type rateCheck struct {
	overall   float64 // bytes / elapsed over the whole blast
	excess    float64 // the largest bytes so far / (burst + rate × time so far)
	sustained float64 // the rate between the most punctual datagrams of the first and last thirds
}

// checkRate measures a blast of equal-sized datagrams through a link of
// rate bits/s and burst bytes. The measures survive a loaded machine, which
// can freeze a whole process for hundreds of milliseconds:
//   - excess tests the token bucket. No datagram arrives before the bucket
//     let it go, so at every arrival the bytes so far are at most
//     burst + rate × time since the first send, however late anything ran.
//   - sustained tests that a busy link sends at its rate. The link schedules
//     every datagram when it arrives, so a freeze makes datagrams late but
//     does not move the schedule of later ones. The most punctual datagram
//     of a stretch (least behind the schedule a link at rate would follow)
//     is late only if a freeze covered the whole stretch; the rate between
//     those of the first and last thirds is the link's own.
func checkRate(res blastResult, size int, rate int64, burst int) rateCheck {
	bytesPerSec := float64(rate) / 8
	c := rateCheck{overall: float64(res.bytes) / res.elapsed.Seconds() / bytesPerSec}
	sent := func(i int) float64 { return float64((i + 1) * size) }
	behind := func(i int) float64 { return res.arrivals[i].Seconds() - (sent(i)-float64(burst))/bytesPerSec }
	punctual := func(from, to int) int {
		best := from
		for i := from + 1; i < to; i++ {
			if behind(i) < behind(best) {
				best = i
			}
		}
		return best
	}
	n := len(res.arrivals)
	for i := range n {
		c.excess = max(c.excess, sent(i)/(float64(burst)+bytesPerSec*res.arrivals[i].Seconds()))
	}
	// The first third starts after the burst, which leaves at once.
	if first := burst/size + 1; first < n/3 {
		j, i := punctual(first, n/3), punctual(n-n/3, n)
		span := (res.arrivals[i] - res.arrivals[j]).Seconds()
		c.sustained = (sent(i) - sent(j)) / span / bytesPerSec
	}
	return c
}
