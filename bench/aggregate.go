package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/certs"
	"github.com/kwik-transport/kwik/multisource"
	"github.com/kwik-transport/kwik/pkg/emulator"
)

// PathSpec is one emulated path's shaping, applied in both directions.
type PathSpec struct {
	Rate  int64         // bits per second; 0 means unlimited
	Delay time.Duration // one way
	Loss  float64       // probability per packet
	// QueueBytes is the link's drop-tail queue; 0 means the emulator's
	// default (one bandwidth-delay product, at least 64 KiB).
	QueueBytes int
}

// AggregateConfig is one in-process aggregation run: a primary and
// len(Paths)-1 secondaries on loopback, each behind an emulated link.
type AggregateConfig struct {
	// Paths[0] shapes the path to the primary, Paths[i] the one to
	// secondary i. At least one.
	Paths []PathSpec
	// Object is what the client fetches, spread over every path.
	Object Object
	// Spread tunes multisource.Spread; nil means its defaults.
	Spread *multisource.Config
	// Client configures the client session; nil means the defaults.
	Client *kwik.Config
}

// localTLS is the certificate every in-process benchmark server uses.
var localTLS = sync.OnceValues(certs.NewPair)

// RunAggregate runs one aggregation and returns its figures. Everything it
// starts is stopped before it returns.
func RunAggregate(ctx context.Context, cfg AggregateConfig) (Result, error) {
	if len(cfg.Paths) == 0 {
		return Result{}, errors.New("bench: RunAggregate needs at least one path")
	}
	tlsPair, err := localTLS()
	if err != nil {
		return Result{}, err
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
			return Result{}, err
		}
		listeners = append(listeners, ln)
		link, err := emulator.Listen(ctx, "127.0.0.1:0", ln.Addr().String(), emulator.LinkConfig{Rate: p.Rate, Delay: p.Delay, Loss: p.Loss, QueueBytes: p.QueueBytes})
		if err != nil {
			return Result{}, err
		}
		links = append(links, link)
		addrs[i] = link.Addr().String()
	}
	primary := &Primary{Secondaries: addrs[1:], Pin: kwik.PublicKeyPin(tlsPair.Cert.Leaf), Spread: cfg.Spread}
	servers.Add(len(listeners))
	go func() {
		defer servers.Done()
		primary.Serve(serveCtx, listeners[0])
	}()
	for _, ln := range listeners[1:] {
		go func() {
			defer servers.Done()
			ServeSecondary(serveCtx, ln, nil)
		}()
	}

	res := Result{Size: cfg.Object.Size()}
	for _, p := range cfg.Paths {
		res.Rates = append(res.Rates, float64(p.Rate))
	}
	start := time.Now()
	client, err := kwik.Dial(ctx, addrs[0], tlsPair.Client, cfg.Client)
	if err != nil {
		return Result{}, err
	}
	defer client.CloseWithError(0, "")
	if err := WaitPaths(ctx, client, len(cfg.Paths)); err != nil {
		return Result{}, err
	}
	res.Setup = time.Since(start)
	res.Elapsed, err = Fetch(ctx, client, Request{Object: cfg.Object, Spread: true}, nil)
	if err != nil {
		return Result{}, fmt.Errorf("bench: fetching over %d paths: %w", len(cfg.Paths), err)
	}
	res.PathBytes = PathBytes(client)
	return res, nil
}
