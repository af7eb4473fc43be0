package bench

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
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
	conf := &kwik.Config{ServerGroupKey: groupKey, MaxIdleTimeout: clientsIdleTimeout}
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

// clientsIdleTimeout is the paths' idle timeout in BenchmarkClients. With
// 100 sessions and 300 QUIC connections in one process on a shared 2-core
// machine (load average 20–30), a primary path went 5 s (the default)
// without a packet in 1 of 2 runs, and the session died with it.
const clientsIdleTimeout = 30 * time.Second

// BenchmarkClients is many clients at once: 1 or 100 client sessions, dialled
// in one burst, each fetching 32 MiB (-kwikbench.clientsize) with Spread from a primary and 2
// secondaries (every session gets both as paths), all in this process on
// loopback without link emulation. It reports the total MB/s (from the
// burst to the last byte of the last client), the process's CPU seconds
// per GiB (clients and servers) and the dials refused.
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
			b.SetBytes(int64(n) * size)
			b.ResetTimer()
			cpu0 := harness.CPUTime()
			for range b.N {
				var wg sync.WaitGroup
				errs := make(chan error, n)
				for range n {
					wg.Go(func() {
						if err := fetchSpread(ctx, addr, tlsPair.Client, size); err != nil {
							if errors.Is(err, errRefused) {
								refused.Add(1)
								return
							}
							errs <- err
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
		})
	}
}

// errRefused marks a dial the server refused.
var errRefused = errors.New("dial refused")

// fetchSpread dials a client session to the primary at addr, waits for its
// 3 paths and fetches size bytes spread over them.
func fetchSpread(ctx context.Context, addr string, tlsConf *tls.Config, size int64) error {
	sess, err := kwik.Dial(ctx, addr, tlsConf, &kwik.Config{MaxIdleTimeout: clientsIdleTimeout})
	if err != nil {
		var terr *quic.TransportError
		if errors.As(err, &terr) && terr.ErrorCode == quic.ConnectionRefused {
			return fmt.Errorf("%w: %v", errRefused, err)
		}
		return err
	}
	defer sess.CloseWithError(0, "")
	if err := WaitPaths(ctx, sess, 3); err != nil {
		return err
	}
	_, err = Fetch(ctx, sess, NewObject(size), nil)
	return err
}
