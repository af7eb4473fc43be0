package integrationtests

import (
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/quicvarint"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/wire"
)

// This file is issue 10's hostile peers against a server's limits: peers
// that declare more than they send, and (below) more peers than a server
// should take. Every test measures the victim's heap after GC, goroutines
// and file descriptors. The peers run in this process, so their own side of
// each connection counts too: the bounds are per connection, both ends.
//
// KWIK_HOSTILE_LONG=1 runs them with more peers.

// hostilePeers is how many raw peers each attack uses.
func hostilePeers(short int) int {
	if v, _ := strconv.ParseBool(os.Getenv("KWIK_HOSTILE_LONG")); v {
		return 8 * short
	}
	return short
}

// perConnBound is what one connection may cost, both ends together: a QUIC
// connection each side, a control stream, a session on the server. A peer
// that made the server allocate what it declared (1 MiB) exceeds it.
const perConnBound = 256 << 10

// acceptLive accepts every session ln completes until the test ends and
// keeps only the live ones, so that a closed session's memory can be
// reclaimed; those still open at the end are closed.
func acceptLive(t *testing.T, ln *kwik.Listener) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			s, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			wg.Go(func() {
				select {
				case <-s.Context().Done():
				case <-ctx.Done():
					s.CloseWithError(0, "")
				}
			})
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

// frameHeader is Type | Length of a control frame, without its body.
func frameHeader(t wire.FrameType, length uint64) []byte {
	return quicvarint.Append(quicvarint.Append(nil, uint64(t)), length)
}

// declaredAttack is a control stream that declares more than it sends.
type declaredAttack struct {
	name      string
	handshake bool   // send a CLIENT_HELLO first
	send      []byte // then this
	code      wire.ErrorCode
	reason    string
	// idle is the listener's MaxIdleTimeout: QUIC's idle timeout, and half
	// the time KWIK waits for the rest of a frame. Only the case that waits
	// for that has a short one: with 1 s, a peer starved on a loaded machine
	// saw its connection idle out before the server closed it.
	idle time.Duration
}

// TestHostileDeclaredLengths: peers that declare a large control frame and
// send only its header, before or after the handshake, cost the server
// what they sent, and are closed: at once when the frame type cannot be
// that long, after the handshake or frame timeout when it can.
// Old code: 50 CLIENT_HELLO headers declaring 1 MiB held +52.7 MiB for the
// handshake timeout; 50 sessions with a PING declaring 1 MiB held +59 MiB
// for ever.
func TestHostileDeclaredLengths(t *testing.T) {
	ctx := testContext(t, 5*time.Minute)
	maxReport, _ := wire.MaxBodyLen(wire.FrameDeliveryReport)
	n := hostilePeers(50)
	for _, tc := range []declaredAttack{
		{"CLIENT_HELLO declaring 1 MiB", false, frameHeader(wire.FrameClientHello, 1<<20), wire.ProtocolViolation, "exceeds the largest CLIENT_HELLO body", healthyIdle},
		{"CLIENT_HELLO never completed", false, append(frameHeader(wire.FrameClientHello, 300), 1, 0), wire.IdleTimeout, "no complete CLIENT_HELLO", healthyIdle},
		{"PING declaring 1 MiB", true, frameHeader(wire.FramePing, 1<<20), wire.ProtocolViolation, "exceeds the largest PING body", healthyIdle},
		{"DELIVERY_REPORT never completed", true, append(frameHeader(wire.FrameDeliveryReport, uint64(maxReport)), 10, 0, 4, 1), wire.IdleTimeout, "incomplete", time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// No listener limits: the long setting's 400 peers come from
			// one address, and what is measured here is what each costs.
			ln := listen(t, &kwik.Config{HandshakeTimeout: 2 * time.Second, MaxIdleTimeout: tc.idle,
				MaxSessions: -1, MaxSessionsPerAddr: -1})
			acceptLive(t, ln)
			base := measure(t)
			heap := sampleHeap()
			peers := make([]*rawPeer, n)
			for i := range peers {
				peers[i] = dialRawPeer(t, ctx, ln.Addr().String())
				if tc.handshake {
					if sh, cl := peers[i].handshake(&wire.ClientHello{Version: wire.Version, MaxStreams: 10, InitialStreamWindow: 1 << 16}); sh == nil {
						t.Fatalf("handshake refused: %+v", cl)
					}
				}
				peers[i].sendBytes(tc.send)
			}
			for _, p := range peers {
				p.expectClosed(tc.code, tc.reason)
			}
			peak := heap.peak()
			t.Logf("%d peers: peak heap +%.1f MiB (%.0f KiB per peer)", n, mib(peak-min(peak, base.heap)), float64(peak-min(peak, base.heap))/1024/float64(n))
			if peak > base.heap+uint64(n)*perConnBound {
				t.Errorf("%d peers held +%.1f MiB at the peak, want ≤ %.1f MiB (%d KiB per connection)", n, mib(peak-base.heap), mib(uint64(n)*perConnBound), perConnBound>>10)
			}
			for _, p := range peers {
				p.conn.CloseWithError(0, "")
			}
			expectReleased(t, base, uint64(n)*perConnBound/4)
		})
	}
}

// TestDialBurstNotRefused: 100 clients dialling at once, with the default
// limits, all get a session, burst after burst (issue 12: 40 of 100 were
// refused with CONNECTION_REFUSED in one run of 7; here, on the old code,
// 60 of 100 in the first burst of one run, 3 of 100 in another). Short: 3
// bursts; KWIK_HOSTILE_LONG: 24.
func TestDialBurstNotRefused(t *testing.T) {
	ctx := testContext(t, 5*time.Minute)
	// The listener's limits are the defaults; only the timeouts are long, so
	// that a loaded machine's slow handshakes are not taken for refusals:
	// once QUIC's handshake is done, the default 5 s MaxIdleTimeout bounds
	// the wait for KWIK's, and a client starved among 100 can go that long
	// without reading a packet ("no recent network activity").
	conf := &kwik.Config{HandshakeTimeout: 2 * time.Minute, MaxIdleTimeout: healthyIdle}
	ln := listen(t, conf)
	acceptLive(t, ln)
	const n = 100
	for burst := range hostilePeers(3) {
		errs := make(chan error, n)
		clients := make(chan *kwik.Session, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				c, err := kwik.Dial(ctx, ln.Addr().String(), testTLS.Client, conf)
				if err == nil {
					clients <- c
					_, err = c.OpenStreamSync(ctx)
				}
				errs <- err
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		close(clients)
		refused := 0
		for err := range errs {
			if err != nil {
				refused++
				t.Log(err)
			}
		}
		for c := range clients {
			c.CloseWithError(0, "")
		}
		if refused > 0 {
			t.Fatalf("burst %d: %d of %d clients refused", burst, refused, n)
		}
	}
}

// dialFrom opens a raw KWIK connection to addr from the local IP from
// (loopback has all of 127.0.0.0/8), and runs the handshake of a new
// session. It returns the QUIC error when the server refused the
// connection before its handshake. closePeer closes the connection and its
// socket (the test's end does too).
func dialFrom(t *testing.T, ctx context.Context, from, addr string) (p *rawPeer, closePeer func(), err error) {
	t.Helper()
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(from)})
	if err != nil {
		t.Fatal(err)
	}
	tr := &quic.Transport{Conn: udp}
	var conn *quic.Conn
	closePeer = func() {
		if tr == nil {
			return
		}
		if conn != nil {
			conn.CloseWithError(0, "")
		}
		tr.Close()
		udp.Close()
		tr, conn, udp = nil, nil, nil // the test's cleanup keeps this closure
	}
	t.Cleanup(closePeer)
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn, err = tr.Dial(ctx, raddr, kwikALPN(testTLS.Client), &quic.Config{KeepAlivePeriod: time.Second})
	if err != nil {
		closePeer()
		return nil, nil, err
	}
	str, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p = newRawPeer(t, conn, str)
	if sh, cl := p.handshake(&wire.ClientHello{Version: wire.Version, MaxStreams: 10, InitialStreamWindow: 1 << 16}); sh == nil {
		t.Fatalf("handshake refused: %+v", cl)
	}
	return p, closePeer, nil
}

// isConnectionRefused says that a server refused a connection at its
// first packet.
func isConnectionRefused(err error) bool {
	var terr *quic.TransportError
	return errors.As(err, &terr) && terr.Remote && terr.ErrorCode == quic.ConnectionRefused
}

// TestHostileManySessions: peers opening sessions until the server runs
// out get exactly the listener's limits (sessions, then sessions per
// source address); the rest are refused before their handshake, and the
// server's memory stays within its limit's worth of sessions. Old code: 400
// sessions from one address accepted, each entitled to ~30 MiB of window.
// Short: MaxSessions 24, MaxSessionsPerAddr 16; KWIK_HOSTILE_LONG: the
// defaults (256, 128) against 400 peers.
func TestHostileManySessions(t *testing.T) {
	ctx := testContext(t, 10*time.Minute)
	conf := &kwik.Config{MaxSessions: 24, MaxSessionsPerAddr: 16}
	maxSessions, perAddr := conf.MaxSessions, conf.MaxSessionsPerAddr
	peers := 40
	if hostilePeers(1) > 1 {
		conf, maxSessions, perAddr, peers = nil, kwik.DefaultMaxSessions, kwik.DefaultMaxSessionsPerAddr, 400
	}
	ln := listen(t, conf)
	acceptLive(t, ln)
	base := measure(t)
	heap := sampleHeap()
	admitted := map[string]int{}
	var open []func()
	refused := 0
	for i := range peers {
		from := []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}[i%3]
		_, closePeer, err := dialFrom(t, ctx, from, ln.Addr().String())
		switch {
		case err == nil:
			admitted[from]++
			open = append(open, closePeer)
		case isConnectionRefused(err):
			refused++
		default:
			t.Fatalf("peer %d: %v, want a session or CONNECTION_REFUSED", i, err)
		}
	}
	peak := heap.peak()
	total := 0
	for from, n := range admitted {
		total += n
		if n > perAddr {
			t.Errorf("%s got %d sessions, MaxSessionsPerAddr is %d", from, n, perAddr)
		}
	}
	want := min(maxSessions, 3*perAddr, peers)
	if total != want || refused != peers-want {
		t.Errorf("%d peers: %d sessions (%v), %d refused; want %d sessions", peers, total, admitted, refused, want)
	}
	grown := peak - min(peak, base.heap)
	t.Logf("%d peers, %d sessions: peak heap +%.1f MiB, %d goroutines (before %d)", peers, total, mib(grown), runtime.NumGoroutine(), base.goroutines)
	if bound := uint64(want)*perConnBound + uint64(peers-want)*perConnBound/4; grown > bound {
		t.Errorf("peak heap +%.1f MiB, want ≤ %.1f MiB", mib(grown), mib(bound))
	}
	for _, closePeer := range open {
		closePeer()
	}
	expectReleased(t, base, uint64(want)*perConnBound/4)
}

// TestHostileHandshakeFlood: peers that complete QUIC's handshake and never
// open the control stream hold at most MaxHandshakes slots; the next
// connection is refused at its first packet, and once the server's
// handshake timeout has closed them a client gets in again.
func TestHostileHandshakeFlood(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	// The slots must still be held when the ninth client dials: the
	// handshake timeout covers nine dials at a hundredfold slowdown
	// (about 0.1 s in all on an idle machine). With 2 s, a starved run
	// saw the first idle handshakes time out before the ninth dial.
	conf := &kwik.Config{MaxHandshakes: 8, HandshakeTimeout: 10 * time.Second}
	ln := listen(t, conf)
	acceptLive(t, ln)
	base := measure(t)
	var idle []*quic.Conn
	for range conf.MaxHandshakes {
		conn, err := quic.DialAddr(ctx, ln.Addr().String(), kwikALPN(testTLS.Client), &quic.Config{KeepAlivePeriod: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.CloseWithError(0, "")
		idle = append(idle, conn)
	}
	if _, err := kwik.Dial(ctx, ln.Addr().String(), testTLS.Client, nil); !isConnectionRefused(err) {
		t.Fatalf("a client beyond MaxHandshakes: %v, want CONNECTION_REFUSED", err)
	}
	for _, conn := range idle {
		select {
		case <-conn.Context().Done():
		case <-time.After(outcomeTimeout):
			t.Fatal("an idle handshake outlived the handshake timeout")
		}
	}
	c, err := kwik.Dial(ctx, ln.Addr().String(), testTLS.Client, nil)
	if err != nil {
		t.Fatalf("a client after the idle handshakes ended: %v", err)
	}
	c.CloseWithError(0, "")
	expectReleased(t, base, 8*perConnBound)
}

// TestVerifySourceAddress: with Config.VerifySourceAddress saying yes, a
// client proves its address with a Retry and gets its session.
func TestVerifySourceAddress(t *testing.T) {
	ctx := testContext(t, time.Minute)
	var asked atomic.Int32
	ln := listen(t, &kwik.Config{VerifySourceAddress: func(net.Addr) bool { asked.Add(1); return true }})
	client, server := connect(t, ln, nil)
	echo(t, ctx, client, server, 1<<10)
	if asked.Load() == 0 {
		t.Fatal("VerifySourceAddress was never asked")
	}
}

// TestHostileTokenForAnotherSecondary: a client holding the path token the
// primary minted for secondary A tries it on secondary B (never added) and
// on the primary's own listener, which refuse it, then on A, which accepts
// it; a RAW_DATA the primary relays for A is refused by B even on a path B
// did accept, and accepted by A. Old code: the token was accepted by B, by
// A, and by the primary's listener (a RoleSecondary session there), and the
// RAW_DATA by both A and B.
func TestHostileTokenForAnotherSecondary(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	conf := &kwik.Config{ServerGroupKey: groupKey}
	primaryLn, a, b := listen(t, conf), listen(t, conf), listen(t, conf)
	atA, atB := acceptAll(t, a), acceptAll(t, b)
	client, _, primary := joinRaw(t, ctx, primaryLn)
	acceptLive(t, primaryLn)

	added := make(chan error, 1)
	go func() {
		_, err := primary.AddPath(ctx, a.Addr().String(), nil)
		added <- err
	}()
	add := client.next("ADD_PATH", func(f wire.Frame) bool { _, ok := f.(*wire.AddPath); return ok }).(*wire.AddPath)
	join := func(ln *kwik.Listener, pathID uint64, token []byte) (*rawPeer, *wire.ServerHello, *wire.Close) {
		p := dialRawPeer(t, ctx, ln.Addr().String())
		sh, cl := p.handshake(&wire.ClientHello{Version: wire.Version, SessionID: primary.SessionID(), PathID: pathID, Token: token})
		return p, sh, cl
	}

	base := measure(t)
	for name, ln := range map[string]*kwik.Listener{"secondary B": b, "the primary's listener": primaryLn} {
		p, sh, cl := join(ln, add.PathID, add.Token)
		if sh != nil {
			t.Fatalf("%s accepted the token for A (role %v)", name, sh.Role)
		}
		if cl.ErrorCode != wire.Refused || !strings.Contains(cl.Reason, "not valid for this session, path and server") {
			t.Fatalf("%s refused the token with %v %q", name, cl.ErrorCode, cl.Reason)
		}
		p.conn.CloseWithError(0, "")
	}
	expectReleased(t, base, 1<<20)

	pa, sh, cl := join(a, add.PathID, add.Token)
	if sh == nil || sh.Role != wire.RoleSecondary {
		t.Fatalf("A refused its own token: %+v", cl)
	}
	client.send(&wire.PathStatus{PathID: add.PathID, Status: wire.PathActive})
	if err := <-added; err != nil {
		t.Fatalf("AddPath: %v", err)
	}
	sessA := nextSession(t, atA)

	data := []byte("range 0-4095 for A")
	if err := primary.SendRawData(add.PathID, 1, data); err != nil {
		t.Fatal(err)
	}
	raw := client.next("RAW_DATA", func(f wire.Frame) bool { _, ok := f.(*wire.RawData); return ok }).(*wire.RawData)

	// B with a genuine path of its own under the same path ID (the group
	// key mints it here): the RAW_DATA for A still does not verify there.
	tokB := control.MintPathToken(groupKey, primary.SessionID(), add.PathID, control.IdentityOf(b.Addr().String(), nil), time.Minute, time.Now())
	pb, sh, cl := join(b, add.PathID, tokB)
	if sh == nil {
		t.Fatalf("B refused its own token: %+v", cl)
	}
	sessB := nextSession(t, atB)
	pb.send(raw)
	pb.expectClosed(wire.Refused, "failed authentication")
	expectSessionError(t, sessB, wire.Refused, "failed authentication")

	pa.send(raw)
	rctx, cancel := context.WithTimeout(ctx, outcomeTimeout)
	defer cancel()
	if msg, err := sessA.AcceptRawData(rctx); err != nil || string(msg.Data) != string(data) {
		t.Fatalf("A: AcceptRawData = %q, %v", msg.Data, err)
	}
}
