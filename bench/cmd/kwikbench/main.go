// Command kwikbench runs one role of a KWIK benchmark, so that bench/netns.sh
// can place servers and the client in separate network namespaces:
//
//	kwikbench certs -dir D -hosts 10.77.1.1,10.77.2.1
//	kwikbench secondary -listen 10.77.2.1:4433 -certs D
//	kwikbench primary -listen 10.77.1.1:4433 -certs D -secondaries 10.77.2.1:4433
//	kwikbench get -addr 10.77.1.1:4433 -certs D -paths 2 -rates 50mbit,50mbit -size 100000000 -name netns/x
//	kwikbench sink -listen 10.77.1.2:5001 -name calibrate/p0 -rate 50mbit
//	kwikbench blast -addr 10.77.1.2:5001 -for 5s
//	kwikbench serve1 -transport kwik -listen 127.0.0.1:4433 -certs D
//	kwikbench fetch1 -transport kwik -addr 127.0.0.1:4433 -certs D -size 1073741824 -n 3
//	kwikbench split -addrs 10.77.1.1:4433,10.77.2.1:4433 -rates 10mbit,50mbit -certs D -size 100000000 -name netns/x
//	kwikbench httpd -listen 10.77.1.1:8080 -root DIR
//	kwikbench table bench/out/*.txt
//
// Servers run until SIGINT or SIGTERM. get and sink print one line in Go
// benchmark format, which benchstat and the table subcommand read; table
// prints run.sh's markdown table from benchmark output files.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/bench/internal/harness"
	"github.com/kwik-transport/kwik/internal/fileserve"
	"github.com/kwik-transport/kwik/pkg/emulator"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmds := map[string]func(context.Context, []string) error{
		"certs": certsCmd, "primary": primaryCmd, "secondary": secondaryCmd,
		"get": getCmd, "sink": sinkCmd, "blast": blastCmd, "table": tableCmd,
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
	fmt.Fprintln(os.Stderr, "usage: kwikbench certs|primary|secondary|get|serve1|fetch1|split|httpd|sink|blast|table [flags]; kwikbench CMD -h for flags")
	os.Exit(2)
}

// logger writes warnings and errors to stderr.
func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
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

// groupKey is the benchmark's server-group key. It is public: these servers
// exist only for the length of a benchmark, on addresses of their own.
var groupKey = []byte("kwikbench server-group key, 32+ bytes, public")

func (f serverFlags) listener() (*kwik.Listener, error) {
	tlsConf, err := harness.ServerTLS(*f.certs)
	if err != nil {
		return nil, err
	}
	return kwik.Listen(*f.listen, tlsConf, &kwik.Config{ServerGroupKey: groupKey, Logger: logger()})
}

func primaryCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("primary", flag.ExitOnError)
	sf := addServerFlags(fs)
	secondaries := fs.String("secondaries", "", "comma-separated addresses of the secondary servers, as the client reaches them")
	fs.Parse(args)
	ln, err := sf.listener()
	if err != nil {
		return err
	}
	defer ln.Close()
	p := &fileserve.Primary{Store: harness.Store{}, Logger: logger()}
	if *secondaries != "" {
		for _, a := range strings.Split(*secondaries, ",") {
			p.Secondaries = append(p.Secondaries, fileserve.Remote{Addr: a})
		}
	}
	return (&fileserve.Server{Primary: p, Logger: logger()}).Serve(ctx, ln)
}

func secondaryCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("secondary", flag.ExitOnError)
	sf := addServerFlags(fs)
	fs.Parse(args)
	ln, err := sf.listener()
	if err != nil {
		return err
	}
	defer ln.Close()
	srv := &fileserve.Server{Secondary: &fileserve.Secondary{Store: harness.Store{}, Logger: logger()}, Logger: logger()}
	return srv.Serve(ctx, ln)
}

func getCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("get", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:4433", "the primary's address")
	certs := fs.String("certs", "", "directory written by kwikbench certs")
	paths := fs.Int("paths", 1, "wait for this many active paths (the primary's included) before the request")
	rates := fs.String("rates", "", "comma-separated rates of the paths by path ID (tc syntax: 50mbit), for the ratio")
	size := fs.Int64("size", 100e6, "object size in bytes")
	name := fs.String("name", "Get", "benchmark name printed")
	initWindow := fs.Uint64("init-window", 0, "client's initial stream window in bytes (0: the default)")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	fs.Parse(args)
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	tlsConf, err := harness.ClientTLS(*certs)
	if err != nil {
		return err
	}
	conf := &kwik.Config{Logger: logger(), InitialStreamReceiveWindow: *initWindow}
	res := harness.Result{Size: *size}
	if *rates != "" {
		for _, s := range strings.Split(*rates, ",") {
			r, err := emulator.ParseRate(s)
			if err != nil {
				return err
			}
			res.Rates = append(res.Rates, float64(r))
		}
	}
	start := time.Now()
	sess, err := kwik.Dial(ctx, *addr, tlsConf, conf)
	if err != nil {
		return err
	}
	defer sess.CloseWithError(0, "")
	if err := harness.WaitPaths(ctx, sess, *paths); err != nil {
		return err
	}
	res.Setup = time.Since(start)
	res.Elapsed, err = harness.Fetch(ctx, sess, harness.NewObject(*size), nil)
	if err != nil {
		return err
	}
	res.PathBytes = harness.PathBytes(sess)
	fmt.Println(harness.FormatBenchmark(*name, res.Elapsed, res.Metrics()))
	return nil
}
