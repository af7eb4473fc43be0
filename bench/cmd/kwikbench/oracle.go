package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kwik-transport/kwik/bench/internal/harness"
	"github.com/kwik-transport/kwik/pkg/emulator"
)

// splitCmd is netns.sh's oracle: what a scheduler that knew every path's
// rate in advance would get from plain quic-go. It fetches the share
// size × rate/sum of the rates from each one-path quic-go server (kwikbench
// serve1 -transport quic-go) at once, each over a fresh connection, and
// prints one benchmark line whose time runs from the dials to the last
// byte of the slowest share.
func splitCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("split", flag.ExitOnError)
	addrs := fs.String("addrs", "", "comma-separated addresses of the one-path quic-go servers, one per path")
	rates := fs.String("rates", "", "comma-separated rates of the paths, in the order of -addrs (tc syntax: 50mbit)")
	certs := fs.String("certs", "", "directory written by kwikbench certs")
	size := fs.Int64("size", 100e6, "object size in bytes, split over the paths")
	name := fs.String("name", "Split", "benchmark name printed")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	fs.Parse(args)
	as, rs := strings.Split(*addrs, ","), strings.Split(*rates, ",")
	if *addrs == "" || len(as) != len(rs) {
		return fmt.Errorf("want as many -rates as -addrs, got %d and %d", len(rs), len(as))
	}
	res := harness.Result{Size: *size}
	for _, s := range rs {
		r, err := emulator.ParseRate(s)
		if err != nil {
			return err
		}
		res.Rates = append(res.Rates, float64(r))
	}
	shares := proportional(*size, res.Rates)
	tlsConf, err := harness.ClientTLS(*certs)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var (
		wg   sync.WaitGroup
		errs = make([]error, len(as))
	)
	start := time.Now()
	for i, addr := range as {
		wg.Go(func() {
			_, errs[i] = harness.FetchOnePath(ctx, harness.TransportQUIC, addr, tlsConf, shares[i], harness.OnePathDigest(shares[i]))
			if errs[i] != nil {
				cancel() // one failed share fails the whole fetch
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, n := range shares {
		res.PathBytes = append(res.PathBytes, uint64(n))
	}
	fmt.Println(harness.FormatBenchmark(*name, res.Elapsed, res.Metrics()))
	return nil
}

// proportional splits size into shares by rates; the last share takes the
// rounding.
func proportional(size int64, rates []float64) []int64 {
	var sum float64
	for _, r := range rates {
		sum += r
	}
	shares := make([]int64, len(rates))
	left := size
	for i, r := range rates[:len(rates)-1] {
		shares[i] = int64(float64(size) * r / sum)
		left -= shares[i]
	}
	shares[len(shares)-1] = left
	return shares
}

// httpdCmd serves the files under a directory over plain HTTP/1.1 with
// range requests (net/http.FileServer), for netns.sh's aria2 row, until
// SIGINT or SIGTERM.
func httpdCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("httpd", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:8080", "TCP address to listen on")
	root := fs.String("root", ".", "directory whose files are served")
	fs.Parse(args)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(*root)), ReadHeaderTimeout: 10 * time.Second}
	defer context.AfterFunc(ctx, func() { srv.Close() })()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
