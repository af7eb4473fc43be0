package kwik_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go/quicvarint"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/pkg/wire"
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

// usage is a process's resources at one moment.
type usage struct {
	heap       uint64 // live heap after GC
	goroutines int
	fds        int
}

func measure(t *testing.T) usage {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return usage{heap: ms.HeapAlloc, goroutines: runtime.NumGoroutine(), fds: openFDs(t)}
}

// openFDs counts the process's open file descriptors (-1 where /proc is
// not available).
func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// heapSampler records the peak of the live heap (after GC) while an attack
// runs.
type heapSampler struct {
	stop chan struct{}
	done chan uint64
}

func sampleHeap() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan uint64, 1)}
	go func() {
		var peak uint64
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-h.stop:
				h.done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

// peak stops the sampler and returns the peak heap it saw.
func (h *heapSampler) peak() uint64 {
	close(h.stop)
	return <-h.done
}

// expectReleased waits until the goroutines and descriptors the attack took
// are gone again and the heap is back near base.
func expectReleased(t *testing.T, base usage, slack uint64) {
	t.Helper()
	deadline := time.Now().Add(outcomeTimeout)
	for {
		now := measure(t)
		if now.goroutines <= base.goroutines+2 && now.fds <= base.fds && now.heap <= base.heap+slack {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the attack: %d goroutines (before %d), %d fds (before %d), heap %.1f MiB (before %.1f MiB, slack %.1f MiB)",
				now.goroutines, base.goroutines, now.fds, base.fds, mib(now.heap), mib(base.heap), mib(slack))
		}
		time.Sleep(50 * time.Millisecond) // polling the runtime's counters; nothing to wait on
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

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
	conf := &kwik.Config{HandshakeTimeout: 2 * time.Second, MaxIdleTimeout: time.Second}
	ln := listen(t, conf)
	acceptLive(t, ln)
	maxReport, _ := wire.MaxBodyLen(wire.FrameDeliveryReport)
	n := hostilePeers(50)
	for _, tc := range []declaredAttack{
		{"CLIENT_HELLO declaring 1 MiB", false, frameHeader(wire.FrameClientHello, 1<<20), wire.ProtocolViolation, "exceeds the largest CLIENT_HELLO body"},
		{"CLIENT_HELLO never completed", false, append(frameHeader(wire.FrameClientHello, 300), 1, 0), wire.IdleTimeout, "no complete CLIENT_HELLO"},
		{"PING declaring 1 MiB", true, frameHeader(wire.FramePing, 1<<20), wire.ProtocolViolation, "exceeds the largest PING body"},
		{"DELIVERY_REPORT never completed", true, append(frameHeader(wire.FrameDeliveryReport, uint64(maxReport)), 10, 0, 4, 1), wire.IdleTimeout, "incomplete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
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
