package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/fileserve"
)

// defaultPort is the UDP port serve listens on and get dials by default.
const defaultPort = "4433"

var serveCommand = &command{
	name:    "serve",
	summary: "serve the files of a directory, as a primary or a secondary server",
	usage: `
Usage: kwik serve --role primary|secondary --root DIR [flags]

Serves the regular files under DIR (never a path outside it: "..", absolute
paths and symbolic links that leave DIR are refused).

A primary answers "kwik get" clients. It adds every --secondary to each
client's session and spreads each file it sends over itself and those
secondaries, in small pieces, to whichever path drains fastest; it re-sends
what a secondary that dies leaves missing. A secondary serves the ranges a
primary asks for; give it a copy of the same files under the same names.

Servers of one group share a secret key (--group-key-file, or the hex key in
$KWIK_GROUP_KEY). Without --cert/--key a server runs in development mode: it
makes a self-signed certificate and prints its pin, and it makes a group key
when none is given and prints it for the other servers.

Start the secondaries first, then the primary with their addresses and pins:

	kwik serve --role secondary --root /srv/files --listen :4434
	    pin: 5d1c…   group-key: 8e2f…
	KWIK_GROUP_KEY=8e2f… kwik serve --role primary --root /srv/files \
	    --secondary mirror1.example:4434=5d1c…
	    pin: 77ab…
	kwik get --pin 77ab… primary.example:4433 big.iso

Stop a server with Ctrl-C (SIGINT) or SIGTERM.
`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &serveOptions{}
		fs.StringVar(&o.role, "role", "", "`ROLE`: primary or secondary (required)")
		fs.StringVar(&o.root, "root", "", "`DIR`, the directory whose files are served (required)")
		fs.StringVar(&o.listen, "listen", ":"+defaultPort, "UDP `ADDR` to listen on")
		fs.Var(&o.secondaries, "secondary", "`ADDR[=PIN]` of a secondary the primary adds to each session (repeatable);\nPIN is that server's \"pin:\" line, without it clients verify its certificate")
		fs.StringVar(&o.serverID, "server-id", "", "for a secondary: the `ADDR` primaries add it by without a pin (path tokens are bound to\nthe secondary they are for: by its key pin, or by this address)")
		fs.StringVar(&o.certFile, "cert", "", "TLS certificate chain `FILE` (PEM); with neither --cert nor --key, a self-signed\ndevelopment certificate is made and its pin printed")
		fs.StringVar(&o.keyFile, "key", "", "TLS private key `FILE` (PEM)")
		fs.StringVar(&o.groupKeyFile, "group-key-file", "", "`FILE` holding the server-group key in hex (else $"+groupKeyEnv+")")
		fs.Var(&o.chunk, "chunk", "piece `SIZE` the primary hands to one path at a time (default: chosen per file)")
		fs.DurationVar(&o.idle, "idle-timeout", 5*time.Second, "how long a silent path lives before it counts as dead")
		fs.BoolVar(&o.verbose, "verbose", false, "log debug records to stderr")
		fs.BoolVar(&o.noDigests, "insecure-no-digests", false, "for benchmarks only: a primary assigns no pieces to its secondaries, so only a\n\"kwik get --insecure-accept-unassigned\" takes their bytes, unverified")
		fs.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics at http://`ADDR`/metrics (TCP, e.g. 127.0.0.1:9464)")
		return o.run
	},
}

// serveOptions are serve's flags.
type serveOptions struct {
	role, root, listen string
	serverID           string
	secondaries        stringList
	certFile, keyFile  string
	groupKeyFile       string
	chunk              byteSize
	idle               time.Duration
	verbose            bool
	noDigests          bool
	metrics            string
}

func (o *serveOptions) run(ctx context.Context, e *env, args []string) error {
	remotes, err := o.check(args)
	if err != nil {
		return err
	}
	root, err := filepath.Abs(o.root)
	if err != nil {
		return err
	}
	store, err := fileserve.OpenDir(root)
	if err != nil {
		return err
	}
	defer store.Close()

	cert, selfSigned, err := serverCert(o.certFile, o.keyFile, o.listen)
	if err != nil {
		return err
	}
	key, generated, err := o.groupKey(e, selfSigned, len(remotes) > 0)
	if err != nil {
		return err
	}

	log := newLogger(e.stderr, o.verbose)
	conf := &kwik.Config{ServerGroupKey: key, ServerID: o.serverID, MaxIdleTimeout: o.idle, Logger: log}
	ln, err := kwik.Listen(o.listen, &tls.Config{Certificates: []tls.Certificate{cert}}, conf)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", o.listen, err)
	}
	defer ln.Close()

	srv := &fileserve.Server{Logger: log}
	if o.role == "primary" {
		srv.Primary = &fileserve.Primary{Store: store, Secondaries: remotes, PieceSize: uint64(o.chunk), InsecureNoDigests: o.noDigests, Logger: log}
	} else {
		srv.Secondary = &fileserve.Secondary{Store: store, Logger: log}
	}
	metricsAddr, stopMetrics, err := o.startMetrics(srv)
	if err != nil {
		return err
	}
	defer stopMetrics()

	w := e.stdout
	fmt.Fprintf(w, "role: %s\nroot: %s\n", o.role, root)
	o.printPin(w, pinOf(cert), selfSigned)
	if generated {
		fmt.Fprintf(w, "group-key: %x  (generated: start the other servers of this group with %s=%x)\n", key, groupKeyEnv, key)
	}
	printRemotes(w, remotes)
	if metricsAddr != nil {
		fmt.Fprintf(w, "metrics: http://%s/metrics\n", metricsAddr)
	}
	fmt.Fprintf(w, "listening: %s\n", ln.Addr()) // the last line: supervisors wait for it

	err = srv.Serve(ctx, ln)
	if err == nil && ctx.Err() != nil {
		fmt.Fprintln(e.stderr, "kwik serve: stopped")
	}
	return err
}

// check validates the flags before anything starts and returns the
// secondaries of a primary.
func (o *serveOptions) check(args []string) ([]fileserve.Remote, error) {
	if len(args) > 0 {
		return nil, usagef("unexpected arguments %q: serve takes only flags", args)
	}
	if o.role != "primary" && o.role != "secondary" {
		return nil, usagef("--role must be primary or secondary, not %q", o.role)
	}
	if o.root == "" {
		return nil, usagef("--root DIR is required: the directory whose files are served")
	}
	if o.role == "secondary" && len(o.secondaries) > 0 {
		return nil, usagef("--secondary is for a primary; a secondary is told what to send by the primary")
	}
	return parseRemotes(o.secondaries)
}

// groupKey loads the server-group key. A secondary in development mode may
// make the group's key (generated is then true, and it prints it); a
// primary never does: a key of its own is one its secondaries refuse.
func (o *serveOptions) groupKey(e *env, selfSigned, hasSecondaries bool) (key []byte, generated bool, err error) {
	key, err = loadGroupKey(o.groupKeyFile, e.getenv)
	switch {
	case err != nil:
		return nil, false, err
	case key == nil && hasSecondaries:
		return nil, false, usagef("a primary with --secondary needs the group key its secondaries have: set $%s or --group-key-file FILE (a development-mode secondary prints its key on its \"group-key:\" line)", groupKeyEnv)
	case key == nil && o.role == "secondary" && selfSigned:
		return newGroupKey(), true, nil
	case key == nil && o.role == "secondary":
		return nil, false, usagef("a secondary needs the group key its primary has: --group-key-file FILE or $%s (hex; e.g. openssl rand -hex 32)", groupKeyEnv)
	}
	return key, false, nil
}

// startMetrics serves --metrics, if given, counting srv's sessions and
// refused joins; stop ends it.
func (o *serveOptions) startMetrics(srv *fileserve.Server) (addr net.Addr, stop func(), err error) {
	if o.metrics == "" {
		return nil, func() {}, nil
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newServerMetrics(reg)
	srv.OnSession = m.session
	if srv.Primary != nil {
		srv.Primary.OnJoinFailure = m.joinFailed
		srv.Primary.OnSpread = m.spread
	}
	return serveMetrics(o.metrics, reg)
}

// printPin prints the server's pin with the instruction its role needs.
func (o *serveOptions) printPin(w io.Writer, pinBytes []byte, selfSigned bool) {
	pin := formatPin(pinBytes)
	switch {
	case selfSigned && o.role == "primary":
		fmt.Fprintf(w, "pin: %s  (self-signed development certificate: clients pass --pin %s)\n", pin, pin)
	case selfSigned:
		fmt.Fprintf(w, "pin: %s  (self-signed development certificate: start the primary with --secondary ADDR=%s; it changes when this server restarts)\n", pin, pin)
	default:
		fmt.Fprintf(w, "pin: %s\n", pin)
	}
}

// printRemotes lists a primary's secondaries in its banner.
func printRemotes(w io.Writer, remotes []fileserve.Remote) {
	for _, r := range remotes {
		if r.Pin != nil {
			fmt.Fprintf(w, "secondary: %s  pin %s\n", r.Addr, formatPin(r.Pin))
		} else {
			fmt.Fprintf(w, "secondary: %s  (clients verify its certificate)\n", r.Addr)
		}
	}
}

// parseRemotes reads the --secondary flags: ADDR or ADDR=PIN.
func parseRemotes(list []string) ([]fileserve.Remote, error) {
	var remotes []fileserve.Remote
	for _, s := range list {
		addr, pinText, hasPin := strings.Cut(s, "=")
		addr = withDefaultPort(strings.TrimSpace(addr))
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, usagef("--secondary %q: want HOST:PORT or HOST:PORT=PIN", s)
		}
		r := fileserve.Remote{Addr: addr}
		if hasPin {
			pin, err := parsePin(pinText)
			if err != nil {
				return nil, usagef("--secondary %s: %v", addr, err)
			}
			r.Pin = pin
		}
		remotes = append(remotes, r)
	}
	return remotes, nil
}

// withDefaultPort adds kwik's default port to an address without one.
func withDefaultPort(addr string) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	if strings.Count(addr, ":") > 1 && !strings.HasPrefix(addr, "[") { // a bare IPv6 address
		return net.JoinHostPort(addr, defaultPort)
	}
	return net.JoinHostPort(strings.Trim(addr, "[]"), defaultPort)
}
