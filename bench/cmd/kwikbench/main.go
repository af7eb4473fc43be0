// Command kwikbench runs the comparison points of KWIK's benchmarks in
// processes of their own, so that bench/onepath.sh and bench/netns.sh can
// place them in separate processes and network namespaces (KWIK's side
// there is kwik serve and kwik get):
//
//	kwikbench certs -dir D -hosts 10.77.1.1,10.77.2.1
//	kwikbench sink -listen 10.77.1.2:5001 -name calibrate/p0 -rate 50mbit
//	kwikbench blast -addr 10.77.1.2:5001 -for 5s
//	kwikbench serve1 -transport kwik -listen 127.0.0.1:4433 -certs D
//	kwikbench fetch1 -transport kwik -addr 127.0.0.1:4433 -certs D -size 1073741824 -n 3
//	kwikbench split -addrs 10.77.1.1:4433,10.77.2.1:4433 -rates 10mbit,50mbit -certs D -size 100000000 -name netns/x
//	kwikbench httpd -listen 10.77.1.1:8080 -root DIR
//	kwikbench table bench/out/*.txt
//
// Servers run until SIGINT or SIGTERM. fetch1, split and sink print one line in Go
// benchmark format, which benchstat and the table subcommand read; table
// prints run.sh's markdown table from benchmark output files.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kwik-transport/kwik/bench/internal/harness"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmds := map[string]func(context.Context, []string) error{
		"certs": certsCmd, "sink": sinkCmd, "blast": blastCmd, "table": tableCmd,
		"serve1": serve1Cmd, "fetch1": fetch1Cmd, "split": splitCmd, "httpd": httpdCmd,
	}
	run, ok := cmds[os.Args[1]]
	if !ok {
		usage()
	}
	if err := run(ctx, os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "kwikbench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: kwikbench certs|serve1|fetch1|split|httpd|sink|blast|table [flags]; kwikbench CMD -h for flags")
	os.Exit(2)
}

func certsCmd(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("certs", flag.ExitOnError)
	dir := fs.String("dir", "", "directory to write cert.pem and key.pem into")
	hosts := fs.String("hosts", "127.0.0.1", "comma-separated names and IP addresses the certificate is valid for")
	fs.Parse(args)
	if *dir == "" {
		return errors.New("-dir is required")
	}
	return harness.WriteCerts(*dir, strings.Split(*hosts, ",")...)
}

// serverFlags are the flags every server role has.
type serverFlags struct {
	listen, certs *string
}

func addServerFlags(fs *flag.FlagSet) serverFlags {
	return serverFlags{
		listen: fs.String("listen", "127.0.0.1:4433", "UDP address to listen on"),
		certs:  fs.String("certs", "", "directory written by kwikbench certs"),
	}
}
