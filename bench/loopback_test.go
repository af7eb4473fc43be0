package bench

import (
	"context"
	"flag"
	"fmt"
	"github.com/kwik-transport/kwik/bench/internal/harness"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// The loopback benchmarks fetch objects from a server in a child process
// (see child_test.go), so that the heap sampled is the client's alone.

var (
	slowSize  = flag.Int64("kwikbench.slowsize", 1<<30, "BenchmarkSlowReader: bytes of the stream")
	scaleSize = flag.Int64("kwikbench.scalesize", 256*mib, "BenchmarkScale: bytes over all streams")
	slowRate  = flag.Float64("kwikbench.slowrate", 100<<20, "BenchmarkSlowReader: the reader's pace in bytes per second")
)

const mib = 1 << 20

// dialChild dials a child server started with spec.
func dialChild(b *testing.B, spec childSpec, conf *kwik.Config) *kwik.Session {
	sess, _ := dialChildProcess(b, spec, conf)
	return sess
}

// dialChildProcess is dialChild that also returns the child, to ask it
// for its CPU time or heap.
func dialChildProcess(b *testing.B, spec childSpec, conf *kwik.Config) (*kwik.Session, *child) {
	c := startChildProcess(b, spec)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := kwik.Dial(ctx, c.addr, c.tls, conf)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sess.CloseWithError(0, "") })
	return sess, c
}

// readBuffers returns one read buffer per stream; the benchmarks allocate
// them before they measure the heap, which is then KWIK's alone. Every page
// is written once here, so that the first fault on each (640 MiB of them at
// 10,000 streams) is not counted as the transfer's time.
func readBuffers(streams int) [][]byte {
	bufs := make([][]byte, streams)
	for i := range bufs {
		bufs[i] = make([]byte, 64<<10)
		for j := 0; j < len(bufs[i]); j += 4096 {
			bufs[i][j] = 1
		}
	}
	return bufs
}

// fetchAll fetches an object of size bytes on each of len(bufs) concurrent
// streams of sess, reading into bufs, and checks every byte.
func fetchAll(ctx context.Context, sess *kwik.Session, bufs [][]byte, size int64) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(bufs))
	for _, buf := range bufs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := Fetch(ctx, sess, NewObject(size), &ReadOptions{Buf: buf}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// BenchmarkScale moves 256 MiB per op (-kwikbench.scalesize) over 1, 100, 1000 and 10,000
// concurrent streams of one session (one warm session; the server in a
// child process) and reports the client's peak heap above its level before
// the transfer, next to the receive-memory bound of the presentation layer
// (SessionWindow + streams × MinStreamWindow), and the client's CPU seconds
// per GiB, and the server's (the child's: on 2 cores the two compete, and
// the server's share of the per-stream cost is as large as the client's).
//
//	go test -run '^$' -bench Scale -benchtime 1x -count 3 ./bench
func BenchmarkScale(b *testing.B) {
	total := *scaleSize
	def := presentation.DefaultPresentationConfig()
	for _, streams := range []int{1, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			sess, server := dialChildProcess(b, childSpec{MaxStreams: streams}, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			bufs := readBuffers(streams)
			runtime.GC()
			base := currentHeap()
			heap := startHeapSampler(5 * time.Millisecond)
			b.SetBytes(total)
			b.ResetTimer()
			cpu0, serverCPU0 := harness.CPUTime(), server.cpuTime(b)
			for range b.N {
				if err := fetchAll(ctx, sess, bufs, total/int64(streams)); err != nil {
					heap.Stop()
					b.Fatal(err)
				}
			}
			cpu, serverCPU := harness.CPUTime()-cpu0, server.cpuTime(b)-serverCPU0
			b.StopTimer()
			b.ReportMetric(harness.CPUPerGiB(cpu, total*int64(b.N)), "client-cpu-s/GiB")
			b.ReportMetric(harness.CPUPerGiB(serverCPU, total*int64(b.N)), "server-cpu-s/GiB")
			peak := heap.Stop()
			bound := def.SessionWindow + uint64(streams)*def.MinStreamWindow
			b.ReportMetric(float64(peak.Inuse-min(peak.Inuse, base.Inuse))/mib, "peak-heap-MiB")
			b.ReportMetric(float64(peak.Live-min(peak.Live, base.Live))/mib, "peak-live-MiB")
			b.ReportMetric(float64(bound)/mib, "bound-MiB")
			b.ReportMetric(float64(total)/mib, "total-MiB")
			runtime.KeepAlive(bufs)
		})
	}
}

// BenchmarkSlowReader reads one 1 GiB stream at a fixed pace slower than
// the sender, so the receive buffer fills to the stream's window and stays
// there, and reports the client's peak heap above its level before the
// transfer against the window (MaxStreamWindow of the default config) and
// their ratio. It also reports the peak of the presentation layer's
// buffered bytes.
//
//	go test -run '^$' -bench SlowReader -benchtime 1x ./bench
func BenchmarkSlowReader(b *testing.B) {
	def := presentation.DefaultPresentationConfig()
	window := min(def.MaxStreamWindow, def.SessionWindow)
	sess := dialChild(b, childSpec{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	buf := make([]byte, 64<<10)
	runtime.GC()
	base := currentHeap()
	heap := startHeapSampler(5 * time.Millisecond)
	allocated := allocatedBytes()
	var buffered uint64
	var start time.Time
	pace := func(total int64) {
		if st := sess.ReceiveStats(); st.TotalBuffered > buffered {
			buffered = st.TotalBuffered
		}
		// A benchmark's slow reader: it sleeps to hold its pace.
		if ahead := time.Duration(float64(total)/(*slowRate)*float64(time.Second)) - time.Since(start); ahead > time.Millisecond {
			time.Sleep(ahead)
		}
	}
	b.SetBytes(*slowSize)
	b.ResetTimer()
	for range b.N {
		start = time.Now()
		if _, err := Fetch(ctx, sess, NewObject(*slowSize), &ReadOptions{Buf: buf, AfterRead: pace}); err != nil {
			heap.Stop()
			b.Fatal(err)
		}
	}
	b.StopTimer()
	allocated = allocatedBytes() - allocated
	peak := heap.Stop()
	grown := peak.Inuse - min(peak.Inuse, base.Inuse)
	b.ReportMetric(float64(allocated)/float64(*slowSize*int64(b.N)), "alloc-B/B")
	b.ReportMetric(float64(grown)/mib, "peak-heap-MiB")
	b.ReportMetric(float64(peak.Live-min(peak.Live, base.Live))/mib, "peak-live-MiB")
	b.ReportMetric(float64(buffered)/mib, "peak-buffered-MiB")
	b.ReportMetric(float64(window)/mib, "window-MiB")
	b.ReportMetric(float64(grown)/float64(window), "heap/window")
}

// BenchmarkLanes chooses Config.LanesPerPath: 16 concurrent streams of
// 16 MiB each over one loopback path, with 1, 2, 4 and 8 lanes per path on
// both ends.
//
//	go test -run '^$' -bench Lanes -benchtime 1x -count 5 ./bench | tee lanes.txt
//	benchstat -col /lanes lanes.txt
func BenchmarkLanes(b *testing.B) {
	const streams, size = 16, 16 * mib
	for _, lanes := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("lanes=%d", lanes), func(b *testing.B) {
			sess := dialChild(b, childSpec{Lanes: lanes}, &kwik.Config{LanesPerPath: lanes})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			bufs := readBuffers(streams)
			b.SetBytes(streams * size)
			b.ResetTimer()
			for range b.N {
				if err := fetchAll(ctx, sess, bufs, size); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
