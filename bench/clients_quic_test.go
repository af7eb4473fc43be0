package bench

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/bench/internal/harness"
)

// BenchmarkClientsQUIC is BenchmarkClients's comparison point in plain
// quic-go: the same process layout (3 servers and every client in this
// process, loopback, no link emulation) and the same bytes per client
// (-kwikbench.clientsize), each client dialling a fresh connection to each
// of the 3 servers in one burst and fetching a third of its bytes from
// each at once, hashing what it reads. What 100 clients lose against 1
// here is what the layout costs plain QUIC, before anything KWIK adds.
//
//	go test -run '^$' -bench ClientsQUIC -benchtime 1x -count 6 ./bench
func BenchmarkClientsQUIC(b *testing.B) {
	size := *clientsSize
	serverTLS, clientTLS := loopbackTLS(b)
	shares := thirds(size)
	var wants [3][sha256.Size]byte
	for i, n := range shares {
		wants[i] = harness.OnePathDigest(n)
	}
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			var addrs [3]string
			for i := range addrs {
				srv, err := harness.ListenOnePath(harness.TransportQUIC, "127.0.0.1:0", serverTLS, 0)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { srv.Close() })
				addrs[i] = srv.Addr().String()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			var redials atomic.Int64
			b.SetBytes(int64(n) * size)
			b.ResetTimer()
			cpu0 := harness.CPUTime()
			for range b.N {
				var wg sync.WaitGroup
				errs := make(chan error, 3*n)
				for range n {
					for i, addr := range addrs {
						wg.Go(func() {
							if err := fetchQUICShare(ctx, addr, clientTLS, shares[i], wants[i], &redials); err != nil {
								errs <- err
							}
						})
					}
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
			b.ReportMetric(float64(redials.Load())/float64(b.N), "redials/op")
		})
	}
}

// fetchQUICShare fetches size bytes from the plain quic-go server at addr
// over a fresh connection, dialling again while the server refuses it:
// quic-go refuses a handshake beyond its accept queue (32 connections
// handshaking or not yet accepted), which a burst of 100 clients exceeds,
// where KWIK's listener queues them. redials counts the dials again.
func fetchQUICShare(ctx context.Context, addr string, tlsConf *tls.Config, size int64, want [sha256.Size]byte, redials *atomic.Int64) error {
	for {
		_, err := harness.FetchOnePath(ctx, harness.TransportQUIC, addr, tlsConf, size, want)
		var terr *quic.TransportError
		if !errors.As(err, &terr) || terr.ErrorCode != quic.ConnectionRefused {
			return err
		}
		redials.Add(1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// thirds cuts size into 3 shares that add up to it.
func thirds(size int64) [3]int64 {
	third := size / 3
	return [3]int64{third, third, size - 2*third}
}

// TestClientsQUICShares checks BenchmarkClientsQUIC's comparison itself:
// the 3 shares add up to the client's bytes, each is fetched whole and a
// wrong digest is reported.
func TestClientsQUICShares(t *testing.T) {
	serverTLS, clientTLS := loopbackTLS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const size = 1<<20 + 1 // the last share is 2 bytes longer
	shares := thirds(size)
	if got := shares[0] + shares[1] + shares[2]; got != size {
		t.Fatalf("shares %v add up to %d, want %d", shares, got, size)
	}
	srv, err := harness.ListenOnePath(harness.TransportQUIC, "127.0.0.1:0", serverTLS, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var redials atomic.Int64
	for _, n := range shares {
		if err := fetchQUICShare(ctx, srv.Addr().String(), clientTLS, n, harness.OnePathDigest(n), &redials); err != nil {
			t.Errorf("share of %d bytes: %v", n, err)
		}
	}
	if err := fetchQUICShare(ctx, srv.Addr().String(), clientTLS, shares[2], harness.OnePathDigest(shares[0]), &redials); err == nil {
		t.Error("a wrong digest was not reported")
	}
}
