package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kwik-transport/kwik/bench/internal/harness"
)

// BenchmarkStreams is BenchmarkScale's comparison point in plain quic-go:
// the bytes of -kwikbench.scale fetched over 1 or 10,000 streams of one
// fresh connection at once, KWIK and plain quic-go through the same
// one-path server and client (both sides in this process, every stream
// hashing what it reads into a buffer of its own). What 10,000 streams
// lose against 1 over plain quic-go is what they cost the transport under
// KWIK; compare the two transports' streams=10000/streams=1 ratios.
//
//	go test -run '^$' -bench '^BenchmarkStreams$' -benchtime 1x -count 6 ./bench
func BenchmarkStreams(b *testing.B) {
	for _, tr := range []string{harness.TransportQUIC, harness.TransportKWIK} {
		for _, streams := range []int{1, 10000} {
			b.Run(fmt.Sprintf("transport=%s/streams=%d", tr, streams), func(b *testing.B) {
				benchStreams(b, tr, streams, *scaleSize)
			})
		}
	}
}

func benchStreams(b *testing.B, tr string, streams int, total int64) {
	serverTLS, clientTLS := loopbackTLS(b)
	srv, err := harness.ListenOnePath(tr, "127.0.0.1:0", serverTLS, streams)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	each := total / int64(streams)
	want := harness.OnePathDigest(each)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b.SetBytes(each * int64(streams))
	b.ResetTimer()
	cpu0 := harness.CPUTime()
	for range b.N {
		if _, err := harness.FetchStreams(ctx, tr, srv.Addr().String(), clientTLS, streams, each, want); err != nil {
			b.Fatal(err)
		}
	}
	cpu := harness.CPUTime() - cpu0
	b.StopTimer()
	b.ReportMetric(harness.CPUPerGiB(cpu, each*int64(streams)*int64(b.N)), "cpu-s/GiB")
}
