package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/certs"
	"github.com/kwik-transport/kwik/internal/fileserve"
	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/pkg/emulator"
)

// demoObject is the name the demo's file is served under.
const demoObject = "demo.bin"

// demoPath is one path of the demo: a server, and the emulated link in
// front of it if any.
type demoPath struct {
	index int
	role  string // "primary", "secondary 1", …
	shape emulator.LinkConfig

	ln     *kwik.Listener
	link   *emulator.Link // nil without emulation
	server string         // the server's own address
	addr   string         // what the client dials or the primary adds: the link's address, or the server's
	pin    []byte

	killedAt time.Duration // since the start; 0 if not killed
}

func (p *demoPath) label() string { return fmt.Sprintf("path %d %s", p.index, p.role) }

// demo is one run of the demo command.
type demo struct {
	opts  *demoOptions
	paths []*demoPath
	log   *slog.Logger
	links bool // an emulated link in front of every path
	ui    view
	mon   *monitor // once the transfer started
}

// view is how the demo shows a transfer while it runs.
type view interface {
	update(sample)
	event(line string)
	finish()
}

// quietView shows nothing: --json.
type quietView struct{}

func (quietView) update(sample) {}
func (quietView) event(string)  {}
func (quietView) finish()       {}

// lineView prints events as lines, for output that is not a terminal.
type lineView struct {
	mu sync.Mutex
	w  io.Writer
}

func (*lineView) update(sample) {}
func (*lineView) finish()       {}

func (v *lineView) event(line string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintln(v.w, line)
}

func (d *demo) labels() []string {
	labels := make([]string, len(d.paths))
	for i, p := range d.paths {
		labels[i] = p.label()
	}
	return labels
}

// printPlan says what the demo is about to do.
func (d *demo) printPlan(w io.Writer) {
	secondaries := "no secondary"
	switch n := len(d.paths) - 1; n {
	case 0:
	case 1:
		secondaries = "1 secondary"
	default:
		secondaries = fmt.Sprintf("%d secondaries", n)
	}
	fmt.Fprintf(w, "kwik demo: %s from a primary and %s on 127.0.0.1 into one client stream\n", formatBytes(int64(d.opts.size)), secondaries)
	for _, p := range d.paths {
		fmt.Fprintf(w, "  %-20s %s\n", p.label(), describeShape(p.shape, d.links))
	}
	if d.opts.killAfter > 0 {
		fmt.Fprintf(w, "  the link of %s is cut %v after the start\n", d.paths[len(d.paths)-1].label(), d.opts.killAfter)
	}
}

// demoContent returns size pseudo-random bytes that depend only on seed.
func demoContent(size int64, seed uint64) []byte {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	b := make([]byte, size)
	rand.NewChaCha8(key).Read(b)
	return b
}

// run runs the demo and reports what happened; the report's err says why
// it failed.
func (d *demo) run(ctx context.Context) *demoReport {
	o := d.opts
	content := demoContent(int64(o.size), o.seed)
	want := sha256.Sum256(content)
	rep := &demoReport{Object: demoObject, Size: int64(o.size), PieceSize: uint64(o.chunk), SHA256: fmt.Sprintf("%x", want)}

	// Teardown runs in reverse: the client closes first, so that every
	// server session ends; then the servers stop and the links close.
	var servers sync.WaitGroup
	srvCtx, stopServers := context.WithCancel(context.Background())
	defer d.teardown(stopServers, &servers)
	transfers := make(chan fileserve.Transfer, 1)
	if err := d.startServers(ctx, srvCtx, &servers, content, transfers); err != nil {
		return rep.fail(err)
	}

	start := time.Now()
	client, dl, err := d.request(ctx)
	if err != nil {
		return rep.fail(err)
	}
	defer client.CloseWithError(0, "")
	defer dl.Close()
	rep.FirstByteSeconds = time.Since(start).Seconds()
	var tr fileserve.Transfer
	select {
	case tr = <-transfers: // sent before the header the client just read
	case <-ctx.Done():
		return rep.fail(context.Cause(ctx))
	}

	mon := newMonitor(d.paths, tr, start)
	d.mon = mon
	var received atomic.Int64
	watchCtx, stopWatching := context.WithCancel(ctx)
	var watcher sync.WaitGroup
	watcher.Go(func() { mon.watch(watchCtx, &received, d.ui) })
	defer func() { // on early returns; a second stop is harmless
		stopWatching()
		watcher.Wait()
	}()
	victim := d.paths[len(d.paths)-1]
	killCtx, stopKiller := context.WithCancel(ctx)
	var killer sync.WaitGroup
	if o.killAfter > 0 {
		killer.Go(func() { d.killLater(killCtx, tr, victim, start) })
	}

	h := sha256.New()
	last := &lastByteClock{received: &received, size: int64(o.size)}
	n, copyErr := io.CopyBuffer(io.MultiWriter(h, last), stallGuard{dl, o.stall}, make([]byte, 256<<10))
	stopKiller()
	killer.Wait()
	if copyErr == nil && victim.killedAt > 0 {
		// The kill happened mid-transfer: wait (bounded) for the primary to
		// declare the path dead, so that the report says what became of it.
		d.awaitDeath(ctx, tr, victim)
	}
	stopWatching()
	watcher.Wait()

	rep.Received = n
	rep.ChecksumMatch = copyErr == nil && n == int64(o.size) && [32]byte(h.Sum(nil)) == want
	if copyErr == nil {
		rep.Seconds = last.at.Sub(start).Seconds()
	} else {
		rep.Seconds = time.Since(start).Seconds()
	}
	rep.fill(d, mon.sample(received.Load()))
	if copyErr != nil {
		return rep.fail(fmt.Errorf("receiving the file after %s: %w", formatBytes(n), copyErr))
	}
	return rep
}

// teardown stops the servers, waits for them and closes their listeners
// and links.
func (d *demo) teardown(stopServers context.CancelFunc, servers *sync.WaitGroup) {
	stopServers()
	servers.Wait()
	for _, p := range d.paths {
		if p.ln != nil {
			p.ln.Close()
		}
		if p.link != nil {
			p.link.Close()
		}
	}
}

// request dials the primary and asks for the demo's file. On success the
// caller closes both.
func (d *demo) request(ctx context.Context) (*kwik.Session, *fileserve.Download, error) {
	primary := d.paths[0]
	tlsConf, err := transport.ClientTLS(nil, primary.addr, primary.pin)
	if err != nil {
		return nil, nil, err
	}
	client, err := kwik.Dial(ctx, primary.addr, tlsConf, fileserve.ClientConfig(&kwik.Config{MaxIdleTimeout: d.opts.idle, Logger: d.log}))
	if err != nil {
		return nil, nil, fmt.Errorf("dialling the primary: %w", err)
	}
	dl, err := fileserve.Get(ctx, client, demoObject)
	if err != nil {
		client.CloseWithError(0, "")
		return nil, nil, fmt.Errorf("requesting the file: %w", err)
	}
	return client, dl, nil
}

// startServers starts every server of the demo and the links in front of
// them.
func (d *demo) startServers(ctx, srvCtx context.Context, wg *sync.WaitGroup, content []byte, transfers chan<- fileserve.Transfer) error {
	key := newGroupKey()
	conf := &kwik.Config{ServerGroupKey: key, MaxIdleTimeout: d.opts.idle, Logger: d.log}
	store := fileserve.MemStore{demoObject: content}
	for _, p := range d.paths {
		cert, err := certs.SelfSigned("127.0.0.1", "localhost")
		if err != nil {
			return err
		}
		p.pin = pinOf(cert)
		if p.ln, err = kwik.Listen("127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}}, conf); err != nil {
			return fmt.Errorf("starting the %s: %w", p.role, err)
		}
		p.server = p.ln.Addr().String()
		p.addr = p.server
		if d.links {
			if p.link, err = emulator.Listen(ctx, "127.0.0.1:0", p.server, p.shape); err != nil {
				return fmt.Errorf("starting the link of the %s: %w", p.role, err)
			}
			p.addr = p.link.Addr().String()
		}
	}
	var remotes []fileserve.Remote
	for _, p := range d.paths[1:] {
		remotes = append(remotes, fileserve.Remote{Addr: p.addr, Pin: p.pin})
	}
	for _, p := range d.paths {
		srv := &fileserve.Server{Logger: d.log}
		if p.index == 0 {
			srv.Primary = &fileserve.Primary{
				Store:       store,
				Secondaries: remotes,
				PieceSize:   uint64(d.opts.chunk),
				Logger:      d.log,
				OnTransfer: func(t fileserve.Transfer) {
					select {
					case transfers <- t:
					default: // only the first transfer is the demo's
					}
				},
			}
		} else {
			srv.Secondary = &fileserve.Secondary{Store: store, Logger: d.log}
		}
		wg.Go(func() {
			if err := srv.Serve(srvCtx, p.ln); err != nil {
				d.log.Warn("server stopped", "role", p.role, "err", err)
			}
		})
	}
	return nil
}

// killLater cuts victim's link after --kill-secondary-after, but not
// before victim's path has joined the transfer: the cut is to show a
// secondary dying mid-transfer, and on a loaded machine the joins can take
// longer than the delay asked for, when a cut would only make victim fail
// to join. Nothing is cut if ctx ends first or victim never joins.
func (d *demo) killLater(ctx context.Context, tr fileserve.Transfer, victim *demoPath, start time.Time) {
	if st, ok := d.awaitPath(ctx, tr, victim, func(st kwik.PathState) bool { return st != kwik.PathPending }); !ok || st.Terminal() {
		return
	}
	t := time.NewTimer(time.Until(start.Add(d.opts.killAfter)))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return
	}
	victim.link.Kill()
	victim.killedAt = time.Since(start)
	d.ui.event(fmt.Sprintf("%7.2fs  %s: link cut (every packet dropped from now on)", victim.killedAt.Seconds(), victim.label()))
}

// awaitDeath waits until the primary counts victim's path as lost, for at
// most the idle timeout plus a margin.
func (d *demo) awaitDeath(ctx context.Context, tr fileserve.Transfer, victim *demoPath) {
	ctx, cancel := context.WithTimeout(ctx, d.opts.idle+5*time.Second)
	defer cancel()
	d.awaitPath(ctx, tr, victim, kwik.PathState.Terminal)
}

// awaitPath waits until the primary has victim's path in a state done
// accepts, and returns it; ok is false if ctx ended first.
func (d *demo) awaitPath(ctx context.Context, tr fileserve.Transfer, victim *demoPath, done func(kwik.PathState) bool) (st kwik.PathState, ok bool) {
	for {
		_, changed := tr.Session.Deliveries(tr.StreamID) // closed when a path changes state
		for _, info := range tr.Session.AllPaths() {
			if info.Address == victim.addr && done(info.State) {
				return info.State, true
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return 0, false
		}
	}
}

// lastByteClock counts the bytes the client read and notes when the last
// one arrived.
type lastByteClock struct {
	received *atomic.Int64
	size     int64
	at       time.Time
}

func (c *lastByteClock) Write(p []byte) (int, error) {
	if c.received.Add(int64(len(p))) >= c.size && c.at.IsZero() {
		c.at = time.Now()
	}
	return len(p), nil
}
