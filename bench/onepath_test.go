package bench

import (
	"context"
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
		b.Run("transport="+tr, func(b *testing.B) { benchOnePath(b, tr, *onePathSize) })
	}
}

func benchOnePath(b *testing.B, tr string, size int64) {
	serverTLS, clientTLS := loopbackTLS(b)
	srv, err := harness.ListenOnePath(tr, "127.0.0.1:0", serverTLS, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	want := harness.OnePathDigest(size)
	ctx := context.Background()
	b.SetBytes(size)
	b.ResetTimer()
	cpu0 := harness.CPUTime()
	for range b.N {
		if _, err := harness.FetchOnePath(ctx, tr, srv.Addr().String(), clientTLS, size, want); err != nil {
			b.Fatal(err)
		}
	}
	cpu := harness.CPUTime() - cpu0
	b.StopTimer()
	b.ReportMetric(harness.CPUPerGiB(cpu, size*int64(b.N)), "cpu-s/GiB")
}

// TestOnePath checks the comparison itself: every transport delivers the
// bytes it is asked for, and a wrong digest is reported.
func TestOnePath(t *testing.T) {
	serverTLS, clientTLS := loopbackTLS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const size = 1<<20 + 123
	for _, tr := range []string{harness.TransportQUIC, harness.TransportKWIK} {
		srv, err := harness.ListenOnePath(tr, "127.0.0.1:0", serverTLS, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := harness.FetchOnePath(ctx, tr, srv.Addr().String(), clientTLS, size, harness.OnePathDigest(size)); err != nil {
			t.Errorf("%s: %v", tr, err)
		}
		if _, err := harness.FetchOnePath(ctx, tr, srv.Addr().String(), clientTLS, size, harness.OnePathDigest(size-1)); err == nil {
			t.Errorf("%s: a wrong digest was not reported", tr)
		}
		if _, err := harness.FetchOnePath(ctx, tr, srv.Addr().String(), clientTLS, 0, harness.OnePathDigest(0)); err != nil {
			t.Errorf("%s, an empty transfer: %v", tr, err)
		}
		srv.Close()
	}
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
	serverTLS, clientTLS := loopbackTLS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const streams, size = 300, 10<<10 + 7
	for _, tr := range []string{harness.TransportQUIC, harness.TransportKWIK} {
		for _, max := range []int{streams, 16} {
			srv, err := harness.ListenOnePath(tr, "127.0.0.1:0", serverTLS, max)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := harness.FetchStreams(ctx, tr, srv.Addr().String(), clientTLS, streams, size, harness.OnePathDigest(size)); err != nil {
				t.Errorf("%s, at most %d streams open: %v", tr, max, err)
			}
			srv.Close()
		}
		srv, err := harness.ListenOnePath(tr, "127.0.0.1:0", serverTLS, streams)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := harness.FetchStreams(ctx, tr, srv.Addr().String(), clientTLS, streams, size, harness.OnePathDigest(size+1)); err == nil {
			t.Errorf("%s: a wrong digest was not reported", tr)
		}
		// 2 x 1 TiB would take hours: the end of the context must stop
		// the reads.
		short, stop := context.WithTimeout(ctx, 100*time.Millisecond)
		_, err = harness.FetchStreams(short, tr, srv.Addr().String(), clientTLS, 2, 1<<40, [32]byte{})
		stop()
		if err == nil {
			t.Errorf("%s: a fetch whose context ended reported no error", tr)
		}
		srv.Close()
	}
}
