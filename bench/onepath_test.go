package bench

import (
	"context"
	"crypto/tls"
	"flag"
	"github.com/kwik-transport/kwik/bench/internal/harness"
	"testing"
	"time"
)

var onePathSize = flag.Int64("kwikbench.onepath", 256<<20, "BenchmarkOnePath: bytes per transfer")

// BenchmarkOnePath is one transfer per op over a fresh connection, KWIK and
// plain quic-go interleaved (run with -count; compare with benchstat -col
// /transport): both sides in this process, the client hashing what it
// reads. cpu-s/GiB is the CPU time of the whole process (client and server)
// per GiB transferred.
//
//	go test -run '^$' -bench OnePath -benchtime 1x -count 6 ./bench
func BenchmarkOnePath(b *testing.B) {
	for _, tr := range []string{harness.TransportQUIC, harness.TransportKWIK} {
		b.Run("transport="+tr, func(b *testing.B) { benchStreams(b, tr, 1, *onePathSize) })
	}
}

// TestOnePath checks the comparison itself: every transport delivers the
// bytes it is asked for, and a wrong digest is reported.
func TestOnePath(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const size = 1<<20 + 123
	for _, tr := range []string{harness.TransportQUIC, harness.TransportKWIK} {
		withOnePathServer(t, tr, 0, func(addr string, clientTLS *tls.Config) {
			if _, err := harness.FetchOnePath(ctx, tr, addr, clientTLS, size, harness.OnePathDigest(size)); err != nil {
				t.Errorf("%s: %v", tr, err)
			}
			if _, err := harness.FetchOnePath(ctx, tr, addr, clientTLS, size, harness.OnePathDigest(size-1)); err == nil {
				t.Errorf("%s: a wrong digest was not reported", tr)
			}
			if _, err := harness.FetchOnePath(ctx, tr, addr, clientTLS, 0, harness.OnePathDigest(0)); err != nil {
				t.Errorf("%s, an empty transfer: %v", tr, err)
			}
		})
	}
	serverTLS, _ := loopbackTLS(t)
	if _, err := harness.ListenOnePath("tcp", "127.0.0.1:0", serverTLS, 0); err == nil {
		t.Error("an unknown transport was accepted")
	}
}

// TestStreams checks BenchmarkStreams's comparison: over both transports,
// every one of many streams at once gets its bytes whole, a server that
// lets a client have fewer streams open than it asks for only slows it
// down, a wrong digest on any stream is reported, and the end of the
// context stops a fetch mid-way.
func TestStreams(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const streams, size = 300, 10<<10 + 7
	for _, tr := range []string{harness.TransportQUIC, harness.TransportKWIK} {
		withOnePathServer(t, tr, 16, func(addr string, clientTLS *tls.Config) {
			if _, err := harness.FetchStreams(ctx, tr, addr, clientTLS, streams, size, harness.OnePathDigest(size)); err != nil {
				t.Errorf("%s, at most 16 streams open: %v", tr, err)
			}
		})
		withOnePathServer(t, tr, streams, func(addr string, clientTLS *tls.Config) {
			if _, err := harness.FetchStreams(ctx, tr, addr, clientTLS, streams, size, harness.OnePathDigest(size)); err != nil {
				t.Errorf("%s, at most %d streams open: %v", tr, streams, err)
			}
			if _, err := harness.FetchStreams(ctx, tr, addr, clientTLS, streams, size, harness.OnePathDigest(size+1)); err == nil {
				t.Errorf("%s: a wrong digest was not reported", tr)
			}
			// 2 x 1 TiB would take hours: the end of the context must
			// stop the reads.
			short, stop := context.WithTimeout(ctx, 100*time.Millisecond)
			_, err := harness.FetchStreams(short, tr, addr, clientTLS, 2, 1<<40, [32]byte{})
			stop()
			if err == nil {
				t.Errorf("%s: a fetch whose context ended reported no error", tr)
			}
		})
	}
}

// withOnePathServer runs f against a one-path server of transport tr that
// lets a client have maxStreams streams open (0: its default), and closes
// the server after f.
func withOnePathServer(t *testing.T, tr string, maxStreams int, f func(addr string, clientTLS *tls.Config)) {
	t.Helper()
	serverTLS, clientTLS := loopbackTLS(t)
	srv, err := harness.ListenOnePath(tr, "127.0.0.1:0", serverTLS, maxStreams)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	f(srv.Addr().String(), clientTLS)
}
