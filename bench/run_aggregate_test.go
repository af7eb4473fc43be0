package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/bench/internal/harness"
	"github.com/kwik-transport/kwik/internal/certs"
	"github.com/kwik-transport/kwik/internal/fileserve"
	"github.com/kwik-transport/kwik/pkg/emulator"
)

// pathSpec is one emulated path's shaping, applied in both directions.
type pathSpec struct {
	Rate  int64         // bits per second; 0 means unlimited
	Delay time.Duration // one way
	Loss  float64       // probability per packet
	// QueueBytes is the link's drop-tail queue; 0 means the emulator's
	// default (one bandwidth-delay product, at least 64 KiB).
	QueueBytes int
}

// aggregateConfig is one in-process aggregation run: a primary and
// len(Paths)-1 secondaries on loopback, each behind an emulated link.
type aggregateConfig struct {
	// Paths[0] shapes the path to the primary, Paths[i] the one to
	// secondary i. At least one.
	Paths []pathSpec
	// Object is what the client fetches, spread over every path.
	Object Object
	// Client configures the client session; nil means the defaults.
	Client *kwik.Config
	// Unverified turns piece verification off: the primary assigns
	// nothing (fileserve.Primary.InsecureNoDigests) and the client takes
	// unassigned bytes (Config.InsecureAcceptUnassignedData). For
	// measuring what verification costs.
	Unverified bool
}

// localTLS is the certificate every in-process benchmark server uses.
var localTLS = sync.OnceValues(certs.NewPair)

// runAggregate runs one aggregation and returns its figures. Everything it
// starts is stopped before it returns.
func runAggregate(ctx context.Context, cfg aggregateConfig) (harness.Result, error) {
	if len(cfg.Paths) == 0 {
		return harness.Result{}, errors.New("bench: runAggregate needs at least one path")
	}
	tlsPair, err := localTLS()
	if err != nil {
		return harness.Result{}, err
	}
	groupKey := make([]byte, 32)
	rand.Read(groupKey)
	serverConf := &kwik.Config{ServerGroupKey: groupKey}

	var links []*emulator.Link
	var listeners []*kwik.Listener
	serveCtx, stopServers := context.WithCancel(ctx)
	var servers sync.WaitGroup
	defer func() { // servers first, so that sessions close over live links
		stopServers()
		for _, ln := range listeners {
			ln.Close()
		}
		servers.Wait()
		for _, l := range links {
			l.Close()
		}
	}()

	addrs := make([]string, len(cfg.Paths))
	for i, p := range cfg.Paths {
		ln, err := kwik.Listen("127.0.0.1:0", tlsPair.Server, serverConf)
		if err != nil {
			return harness.Result{}, err
		}
		listeners = append(listeners, ln)
		link, err := emulator.Listen(ctx, "127.0.0.1:0", ln.Addr().String(), emulator.LinkConfig{Rate: p.Rate, Delay: p.Delay, Loss: p.Loss, QueueBytes: p.QueueBytes})
		if err != nil {
			return harness.Result{}, err
		}
		links = append(links, link)
		addrs[i] = link.Addr().String()
	}
	pin := kwik.PublicKeyPin(tlsPair.Cert.Leaf)
	remotes := make([]fileserve.Remote, len(addrs)-1)
	for i, a := range addrs[1:] {
		remotes[i] = fileserve.Remote{Addr: a, Pin: pin}
	}
	servers.Add(len(listeners))
	go func() {
		defer servers.Done()
		srv := &fileserve.Server{Primary: &fileserve.Primary{Store: Store{}, Secondaries: remotes, InsecureNoDigests: cfg.Unverified}}
		srv.Serve(serveCtx, listeners[0])
	}()
	for _, ln := range listeners[1:] {
		go func() {
			defer servers.Done()
			srv := &fileserve.Server{Secondary: &fileserve.Secondary{Store: Store{}}}
			srv.Serve(serveCtx, ln)
		}()
	}

	res := harness.Result{Size: cfg.Object.Size()}
	for _, p := range cfg.Paths {
		res.Rates = append(res.Rates, float64(p.Rate))
	}
	start := time.Now()
	clientConf := cfg.Client
	if cfg.Unverified {
		var c kwik.Config
		if cfg.Client != nil {
			c = *cfg.Client
		}
		c.InsecureAcceptUnassignedData = true
		clientConf = &c
	}
	client, err := kwik.Dial(ctx, addrs[0], tlsPair.Client, clientConf)
	if err != nil {
		return harness.Result{}, err
	}
	defer client.CloseWithError(0, "")
	if err := WaitPaths(ctx, client, len(cfg.Paths)); err != nil {
		return harness.Result{}, err
	}
	res.Setup = time.Since(start)
	res.Elapsed, err = Fetch(ctx, client, cfg.Object, nil)
	if err != nil {
		return harness.Result{}, fmt.Errorf("bench: fetching over %d paths: %w", len(cfg.Paths), err)
	}
	res.PathBytes = PathBytes(client)
	return res, nil
}
