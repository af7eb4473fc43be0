package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/kwik-transport/kwik/bench/internal/harness"
)

// serve1Cmd runs the server side of the one-path comparison (bench/onepath.sh)
// until SIGINT or SIGTERM, after printing its address.
func serve1Cmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve1", flag.ExitOnError)
	sf := addServerFlags(fs)
	tr := fs.String("transport", harness.TransportKWIK, "kwik or quic-go")
	prof := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.Parse(args)
	if *prof != "" {
		stop, err := startProfile(*prof)
		if err != nil {
			return err
		}
		defer stop()
	}
	tlsConf, err := harness.ServerTLS(*sf.certs)
	if err != nil {
		return err
	}
	srv, err := harness.ListenOnePath(*tr, *sf.listen, tlsConf, 0)
	if err != nil {
		return err
	}
	fmt.Println(srv.Addr())
	<-ctx.Done()
	return srv.Close()
}

// fetch1Cmd runs the client side of the one-path comparison: n transfers of
// size bytes, each over a fresh connection, hashing what it reads. Each
// prints one benchmark line with the throughput (dial to last byte) and
// this process's CPU seconds per GiB.
func fetch1Cmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fetch1", flag.ExitOnError)
	tr := fs.String("transport", harness.TransportKWIK, "kwik or quic-go")
	addr := fs.String("addr", "127.0.0.1:4433", "the server's address")
	certs := fs.String("certs", "", "directory written by kwikbench certs")
	size := fs.Int64("size", 1<<30, "bytes per transfer")
	n := fs.Int("n", 1, "transfers, one after the other")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	prof := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.Parse(args)
	if *prof != "" {
		stop, err := startProfile(*prof)
		if err != nil {
			return err
		}
		defer stop()
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	tlsConf, err := harness.ClientTLS(*certs)
	if err != nil {
		return err
	}
	want := harness.OnePathDigest(*size)
	for range *n {
		cpu0 := harness.CPUTime()
		elapsed, err := harness.FetchOnePath(ctx, *tr, *addr, tlsConf, *size, want)
		if err != nil {
			return err
		}
		cpu := harness.CPUTime() - cpu0
		fmt.Println(harness.FormatBenchmark("OnePathProcs/transport="+*tr, elapsed, []harness.Metric{
			{Value: float64(*size) / elapsed.Seconds() / 1e6, Unit: "MB/s"},
			{Value: harness.CPUPerGiB(cpu, *size), Unit: "client-cpu-s/GiB"},
		}))
	}
	return nil
}

// startProfile starts a CPU profile into path; the function it returns
// stops it and closes the file.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
