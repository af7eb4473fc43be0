package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/kwik-transport/kwik/bench/internal/harness"
	"github.com/kwik-transport/kwik/pkg/emulator"
)

// The calibration checks a shaped path with plain TCP before KWIK runs on
// it: blast writes as fast as it can for a while, sink counts what arrives.
// TCP's goodput through the same shaping is the reference a transport can
// reach there, headers included.

func sinkCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sink", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:5001", "TCP address to listen on")
	name := fs.String("name", "Calibrate", "benchmark name printed")
	rate := fs.String("rate", "", "the path's nominal rate (tc syntax), for the ratio")
	fs.Parse(args)
	nominal, err := emulator.ParseRate(*rate)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	conn, err := ln.Accept()
	if err != nil {
		return err
	}
	defer conn.Close()
	// Timing starts at the first byte, so the connection setup is not counted.
	buf := make([]byte, 256<<10)
	if _, err := io.ReadFull(conn, buf[:1]); err != nil {
		return err
	}
	start := time.Now()
	n, err := io.CopyBuffer(io.Discard, conn, buf)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	got := float64(n) * 8 / elapsed.Seconds()
	metrics := []harness.Metric{{Value: got / 1e6, Unit: "tcp-Mbit/s"}, {Value: float64(nominal) / 1e6, Unit: "nominal-Mbit/s"}}
	if nominal > 0 {
		metrics = append(metrics, harness.Metric{Value: got / float64(nominal), Unit: "ratio"})
	}
	fmt.Println(harness.FormatBenchmark(*name, elapsed, metrics))
	return nil
}

func blastCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("blast", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:5001", "the sink's TCP address")
	dur := fs.Duration("for", 5*time.Second, "how long to send")
	fs.Parse(args)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", *addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetWriteDeadline(time.Now().Add(*dur))
	buf := make([]byte, 256<<10)
	for {
		if _, err := conn.Write(buf); err != nil {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, net.ErrClosed) || isTimeout(err) {
				return nil
			}
			return fmt.Errorf("sending: %w", err)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
