package bench

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/bench/internal/harness"
	"github.com/kwik-transport/kwik/internal/fileserve"
)

// startSpreadServers starts a primary and secondaries secondaries on
// loopback in this process, with no link emulation, and returns the
// primary's address; they stop with the benchmark.
func startSpreadServers(b *testing.B, secondaries int) string {
	tlsPair, err := localTLS()
	if err != nil {
		b.Fatal(err)
	}
	groupKey := make([]byte, 32)
	rand.Read(groupKey)
	conf := &kwik.Config{ServerGroupKey: groupKey, MaxIdleTimeout: *clientsIdle}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var lns []*kwik.Listener
	b.Cleanup(func() {
		cancel()
		for _, ln := range lns {
			ln.Close()
		}
		wg.Wait()
	})
	listen := func() *kwik.Listener {
		ln, err := kwik.Listen("127.0.0.1:0", tlsPair.Server, conf)
		if err != nil {
			b.Fatal(err)
		}
		lns = append(lns, ln)
		return ln
	}
	pin := kwik.PublicKeyPin(tlsPair.Cert.Leaf)
	primary := &fileserve.Primary{Store: Store{}}
	for range secondaries {
		ln := listen()
		primary.Secondaries = append(primary.Secondaries, fileserve.Remote{Addr: ln.Addr().String(), Pin: pin})
		srv := &fileserve.Server{Secondary: &fileserve.Secondary{Store: Store{}}}
		wg.Go(func() { srv.Serve(ctx, ln) })
	}
	ln := listen()
	srv := &fileserve.Server{Primary: primary}
	wg.Go(func() { srv.Serve(ctx, ln) })
	return ln.Addr().String()
}

// clientsSize is what each client of BenchmarkClients fetches.
var clientsSize = flag.Int64("kwikbench.clientsize", 32<<20, "BenchmarkClients: bytes each client fetches")

// clientsIdle is the paths' idle timeout in BenchmarkClients. With 100
// sessions and 300 QUIC connections in one process on a shared 2-core
// machine (load average 20–30), a primary path went 5 s (the default)
// without a packet in 1 of 2 runs, and the session died with it; the
// longest time any client waited for a byte is reported (stall-ms) to tell
// a starved session from a loaded machine.
var clientsIdle = flag.Duration("kwikbench.clientsidle", 30*time.Second, "BenchmarkClients: the paths' MaxIdleTimeout")

// BenchmarkClients is many clients at once: 1 or 100 client sessions, dialled
// in one burst, each fetching 32 MiB (-kwikbench.clientsize) with Spread from a primary and 2
// secondaries (every session gets both as paths), all in this process on
// loopback without link emulation. It reports the total MB/s (from the
// burst to the last byte of the last client), the process's CPU seconds
// per GiB (clients and servers) and the dials refused; and, for fairness,
// the slowest client's transfer time over the median's (slowest/median)
// and the longest any client went without a byte, from its request to its
// last byte (stall-ms).
//
//	go test -run '^$' -bench Clients -benchtime 1x -count 6 ./bench | tee clients.txt
//	benchstat -col /clients clients.txt
func BenchmarkClients(b *testing.B) {
	size := *clientsSize
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			addr := startSpreadServers(b, 2)
			tlsPair, _ := localTLS()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			var refused atomic.Int64
			var fair fairness
			b.SetBytes(int64(n) * size)
			b.ResetTimer()
			cpu0 := harness.CPUTime()
			for range b.N {
				var wg sync.WaitGroup
				errs := make(chan error, n)
				for range n {
					wg.Go(func() {
						took, st, err := fetchSpread(ctx, addr, tlsPair.Client, size)
						switch {
						case errors.Is(err, errRefused):
							refused.Add(1)
						case err != nil:
							errs <- err
						default:
							fair.add(took, st)
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
			}
			cpu := harness.CPUTime() - cpu0
			b.StopTimer()
			b.ReportMetric(harness.CPUPerGiB(cpu, int64(n)*size*int64(b.N)), "cpu-s/GiB")
			b.ReportMetric(float64(refused.Load())/float64(b.N), "refused/op")
			b.ReportMetric(fair.slowestOverMedian(), "slowest/median")
			b.ReportMetric(float64(fair.stall.d.Milliseconds()), "stall-ms")
			slices.Sort(fair.stalls)
			b.Logf("longest stall %v, %v after a request, at byte %d of %d; each client's longest: median %v, 90th percentile %v",
				fair.stall.d, fair.stall.at, fair.stall.bytes, size, fair.stalls[len(fair.stalls)/2], fair.stalls[len(fair.stalls)*9/10])
		})
	}
}

// errRefused marks a dial the server refused.
var errRefused = errors.New("dial refused")

// fairness collects the clients' transfer times and their longest wait
// for a byte.
type fairness struct {
	mu     sync.Mutex
	took   []time.Duration
	stalls []time.Duration
	stall  stall // the longest of all
}

// stall is a client's longest wait for a byte: how long, and where in its
// transfer it began.
type stall struct {
	d     time.Duration
	at    time.Duration // since the request
	bytes int64         // read before it
}

func (f *fairness) add(took time.Duration, st stall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.took = append(f.took, took)
	f.stalls = append(f.stalls, st.d)
	if st.d > f.stall.d {
		f.stall = st
	}
}

// slowestOverMedian is the slowest transfer time over the median one: 1
// when every client was served alike.
func (f *fairness) slowestOverMedian() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.took) == 0 {
		return 0
	}
	slices.Sort(f.took)
	return float64(f.took[len(f.took)-1]) / float64(f.took[len(f.took)/2])
}

// fetchSpread dials a client session to the primary at addr, waits for its
// 3 paths and fetches size bytes spread over them. It returns the
// transfer's time (request to last byte) and the longest time in it
// without a byte read.
func fetchSpread(ctx context.Context, addr string, tlsConf *tls.Config, size int64) (took time.Duration, longest stall, err error) {
	sess, err := kwik.Dial(ctx, addr, tlsConf, &kwik.Config{MaxIdleTimeout: *clientsIdle})
	if err != nil {
		var terr *quic.TransportError
		if errors.As(err, &terr) && terr.ErrorCode == quic.ConnectionRefused {
			return 0, stall{}, fmt.Errorf("%w: %v", errRefused, err)
		}
		return 0, stall{}, err
	}
	defer sess.CloseWithError(0, "")
	if err := WaitPaths(ctx, sess, 3); err != nil {
		return 0, stall{}, err
	}
	start := time.Now()
	last, read := start, int64(0)
	note := func(now time.Time) {
		if d := now.Sub(last); d > longest.d {
			longest = stall{d: d, at: last.Sub(start), bytes: read}
		}
		last = now
	}
	took, err = Fetch(ctx, sess, NewObject(size), &ReadOptions{AfterRead: func(total int64) {
		note(time.Now())
		read = total
	}})
	note(time.Now())
	return took, longest, err
}
