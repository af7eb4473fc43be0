package integrationtests

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/multisource"
	"github.com/kwik-transport/kwik/pkg/emulator"
)

// The soak test is off by default: it runs for a minute or more.
//
//	KWIK_SOAK=1 go test -run Soak -v ./integrationtests                 # 60 s
//	go test -run Soak -v ./integrationtests -kwik.soak -kwik.soak.duration=5m
//	KWIK_SOAK=1 KWIK_SOAK_DURATION=5m KWIK_SOAK_SEED=7 go test -run Soak -v ./integrationtests
//	KWIK_SOAK=1 KWIK_SOAK_WINDOW=16MiB go test -run Soak -v ./integrationtests   # client streams start with a 16 MiB window
//	KWIK_SOAK=1 KWIK_SOAK_DEBUG=1 go test -run Soak -v ./integrationtests 2>log  # sessions' and Spread's logs on stderr
var (
	soakFlag     = flag.Bool("kwik.soak", false, "run TestSoak (also KWIK_SOAK=1)")
	soakDuration = flag.Duration("kwik.soak.duration", 0, "how long TestSoak starts new sessions (also KWIK_SOAK_DURATION; default 60s)")
)

// Soak shape: soakWorkers sessions at a time, each with soakStreams
// concurrent streams (KWIK_SOAK_STREAMS changes it); every session has its
// own emulated links.
const (
	soakWorkers   = 4
	soakStreams   = 3
	soakMaxObject = 4 << 20
)

// soakHeapBound bounds the process's peak live heap. Per concurrent session:
// the client's receive window (24 MiB session window, the default, plus the
// minimum share of its streams) plus the same again on the sending side
// (quic-go keeps sent data until it is acknowledged, bounded by the window
// the client grants), plus six link directions whose queues hold at most
// one bandwidth-delay product each, under 1 MiB at these rates; and a base
// for the runtime, TLS and the shared test payload (8 MiB).
func soakHeapBound(streams int) uint64 {
	return soakWorkers*(2*(24<<20+uint64(streams)*64<<10)+6<<20) + 32<<20
}

// soakParams are the knobs of one soak run.
type soakParams struct {
	duration time.Duration
	seed     uint64
	streams  int
	window   uint64 // the clients' initial stream window; 0: the default
}

func soakSettings(t *testing.T) soakParams {
	if !*soakFlag && os.Getenv("KWIK_SOAK") == "" {
		t.Skip("soak test: set KWIK_SOAK=1 or -kwik.soak to run it")
	}
	d := 60 * time.Second
	if s := os.Getenv("KWIK_SOAK_DURATION"); s != "" {
		v, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("KWIK_SOAK_DURATION: %v", err)
		}
		d = v
	}
	if *soakDuration > 0 {
		d = *soakDuration
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("KWIK_SOAK_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("KWIK_SOAK_SEED: %v", err)
		}
		seed = v
	}
	var pc uint64
	switch w := os.Getenv("KWIK_SOAK_WINDOW"); w {
	case "":
	case "16MiB":
		pc = 16 << 20
	default:
		t.Fatalf("KWIK_SOAK_WINDOW=%q: only 16MiB is offered", w)
	}
	streams := soakStreams
	if s := os.Getenv("KWIK_SOAK_STREAMS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > 50 {
			t.Fatalf("KWIK_SOAK_STREAMS=%q: want 1..50", s)
		}
		streams = v
	}
	return soakParams{duration: d, seed: seed, streams: streams, window: pc}
}

// soakCounters are what the soak did, for its log.
type soakCounters struct {
	sessions, failed, streams, kills, bytes atomic.Int64
}

// TestSoak runs sessions back to back for a while, soakWorkers at a time.
// Each session reaches a primary and two secondaries through links of its
// own with random rates and random loss; it fetches soakStreams objects of
// random sizes at once with Spread, reading at random speeds, while one of
// its secondary links may be cut at a random moment. Every stream must
// arrive byte for byte; the peak live heap must stay under soakHeapBound;
// TestMain checks that no goroutine is left.
func TestSoak(t *testing.T) {
	p := soakSettings(t)
	t.Logf("soak: %v, %d streams per session, seed %d (KWIK_SOAK_SEED=%d repeats the random choices)", p.duration, p.streams, p.seed, p.seed)
	conf := &kwik.Config{ServerGroupKey: groupKey, MaxIdleTimeout: 2 * time.Second, KeepAlivePeriod: 200 * time.Millisecond, Logger: soakLog(slog.LevelInfo, "side", "server")}
	clientConf := &kwik.Config{MaxIdleTimeout: 2 * time.Second, KeepAlivePeriod: 200 * time.Millisecond, InitialStreamReceiveWindow: p.window, Logger: soakLog(slog.LevelInfo, "side", "client")}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	primary := listen(t, conf)
	secondaries := []*kwik.Listener{listen(t, conf), listen(t, conf)}
	var servers sync.WaitGroup
	defer servers.Wait() // after cancel, below
	defer cancel()
	servers.Add(1 + len(secondaries))
	go func() {
		defer servers.Done()
		soakPrimary(ctx, t, primary)
	}()
	for _, ln := range secondaries {
		go func() {
			defer servers.Done()
			soakSecondary(ctx, ln)
		}()
	}

	heap := sampleHeap()
	var c soakCounters
	deadline := time.Now().Add(p.duration)
	var workers sync.WaitGroup
	for w := range soakWorkers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			rng := rand.New(rand.NewPCG(p.seed, uint64(w)))
			for n := 0; time.Now().Before(deadline); n++ {
				if err := soakSession(ctx, rng, primary, secondaries, clientConf, p.streams, &c); err != nil {
					if c.failed.Add(1) <= 10 { // the rest are counted only
						t.Errorf("worker %d, session %d: %v", w, n, err)
					}
				}
			}
		}()
	}
	workers.Wait()
	peak := heap.peak()
	t.Logf("soak: %d sessions (%d failed), %d streams delivered byte for byte (%d MiB), %d secondary links cut; peak live heap %d MiB (bound %d MiB)",
		c.sessions.Load(), c.failed.Load(), c.streams.Load(), c.bytes.Load()>>20, c.kills.Load(), peak>>20, soakHeapBound(p.streams)>>20)
	if n := c.failed.Load(); n > 0 {
		t.Errorf("%d of %d sessions failed", n, c.sessions.Load())
	}
	if peak > soakHeapBound(p.streams) {
		t.Errorf("peak live heap %d MiB exceeds the bound of %d MiB", peak>>20, soakHeapBound(p.streams)>>20)
	}
}

// soakLog returns a logger to stderr with KWIK_SOAK_DEBUG set, else nil.
func soakLog(level slog.Level, attrs ...any) *slog.Logger {
	if os.Getenv("KWIK_SOAK_DEBUG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With(attrs...)
}

// soakObject is the content named name, "seed/size", which the primary and
// the secondaries derive from the name alone.
func soakObject(name string) ([]byte, error) {
	s, z, ok := strings.Cut(name, "/")
	seed, err1 := strconv.ParseUint(s, 10, 64)
	size, err2 := strconv.Atoi(z)
	if !ok || err1 != nil || err2 != nil || size < 0 || size > soakMaxObject {
		return nil, fmt.Errorf("soak: bad object name %q", name)
	}
	return payload(seed%(1<<32), size), nil // payload wants small seeds
}

// soakSession is one client session: links, dial, paths, streams, checks.
func soakSession(ctx context.Context, rng *rand.Rand, primary *kwik.Listener, secondaries []*kwik.Listener, conf *kwik.Config, nstreams int, c *soakCounters) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	links, paths, err := soakLinks(ctx, rng, primary, secondaries)
	defer func() {
		for _, l := range links {
			l.Close()
		}
	}()
	if err != nil {
		return err
	}

	sess, err := kwik.Dial(ctx, links[0].Addr().String(), testTLS.Client, conf)
	if err != nil {
		return err
	}
	defer sess.CloseWithError(0, "")
	c.sessions.Add(1)
	// The first stream tells the primary which links lead to the secondaries.
	setup, err := sess.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	setup.Write([]byte("paths " + strings.Join(paths, " ")))
	setup.Close()
	if _, err := io.ReadAll(setup); err != nil {
		return fmt.Errorf("setting up paths: %w", err)
	}

	cut := "no link cut"
	if rng.IntN(2) == 0 { // cut one secondary link at a random moment
		i := 1 + rng.IntN(len(secondaries))
		after := time.Duration(rng.IntN(1500)) * time.Millisecond
		cut = fmt.Sprintf("link to path %d cut after %v", i, after)
		kill := time.AfterFunc(after, func() {
			links[i].Kill()
			c.kills.Add(1)
		})
		defer kill.Stop()
	}
	type stream struct {
		name string
		slow bool
	}
	streams := make([]stream, nstreams)
	for i := range streams {
		streams[i] = stream{name: fmt.Sprintf("%d/%d", rng.Uint64N(1<<32), 64<<10+rng.IntN(soakMaxObject-64<<10)), slow: rng.IntN(3) == 0}
	}
	errs := make(chan error, len(streams))
	for _, s := range streams {
		go func() { errs <- soakFetch(ctx, sess, s.name, s.slow, c) }()
	}
	var all []error
	for range streams {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	if len(all) > 0 {
		var paths []string
		for _, p := range sess.AllPaths() {
			paths = append(paths, fmt.Sprintf("%d:%v:%dB", p.ID, p.State, p.Stats.BytesReceived))
		}
		all = append(all, fmt.Errorf("%s; client paths %v", cut, paths))
	}
	return errors.Join(all...)
}

// soakLinks puts an emulated link of random rate and loss in front of the
// primary (links[0]) and of each secondary; paths are the secondaries'
// links' addresses. The caller closes links, also on error.
func soakLinks(ctx context.Context, rng *rand.Rand, primary *kwik.Listener, secondaries []*kwik.Listener) (links []*emulator.Link, paths []string, err error) {
	for _, ln := range append([]*kwik.Listener{primary}, secondaries...) {
		l, err := emulator.Listen(ctx, "127.0.0.1:0", ln.Addr().String(), emulator.LinkConfig{
			Rate: int64(20+rng.IntN(81)) * 1e6, // 20–100 Mbit/s
			Loss: rng.Float64() * 0.01,         // up to 1%
			Seed: rng.Int64(),
		})
		if err != nil {
			return links, paths, err
		}
		if len(links) > 0 {
			paths = append(paths, l.Addr().String())
		}
		links = append(links, l)
	}
	return links, paths, nil
}

// soakFetch fetches one object and compares it byte for byte. A slow
// reader sleeps between small reads, as a slow application would.
func soakFetch(ctx context.Context, sess *kwik.Session, name string, slow bool, c *soakCounters) error {
	want, err := soakObject(name)
	if err != nil {
		return err
	}
	str, err := sess.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { str.CancelRead(1) })
	defer stop()
	str.Write([]byte("get " + name))
	str.Close()
	buf := make([]byte, 64<<10)
	if slow {
		buf = buf[:4<<10]
	}
	got := 0
	for {
		n, err := str.Read(buf)
		if !bytes.Equal(buf[:n], want[got:min(got+n, len(want))]) {
			return fmt.Errorf("object %s: bytes %d..%d differ from what was sent", name, got, got+n)
		}
		got += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("object %s: after %d of %d bytes: %w", name, got, len(want), err)
		}
		if slow {
			time.Sleep(time.Millisecond) // a slow application, not synchronisation
		}
	}
	if got != len(want) {
		return fmt.Errorf("object %s: %d bytes, want %d", name, got, len(want))
	}
	c.streams.Add(1)
	c.bytes.Add(int64(got))
	return nil
}

// soakPrimary serves every session: the setup stream adds the paths, every
// other stream gets its object through Spread.
func soakPrimary(ctx context.Context, t *testing.T, ln *kwik.Listener) {
	soakAccept(ctx, ln, func(sess *kwik.Session) {
		var streams sync.WaitGroup
		defer streams.Wait()
		for {
			str, err := sess.AcceptStream(ctx)
			if err != nil {
				return
			}
			streams.Add(1)
			go func() {
				defer streams.Done()
				if err := soakServe(ctx, sess, str); err != nil && sess.Err() == nil && ctx.Err() == nil {
					t.Errorf("primary: stream %d: %v", str.StreamID(), err)
				}
			}()
		}
	})
}

func soakServe(ctx context.Context, sess *kwik.Session, str *kwik.Stream) error {
	req, err := io.ReadAll(io.LimitReader(str, 1024))
	if err != nil {
		return err
	}
	verb, arg, _ := strings.Cut(string(req), " ")
	switch verb {
	case "paths":
		for _, addr := range strings.Fields(arg) {
			if _, err := sess.AddPath(ctx, addr, testPin); err != nil {
				return err
			}
		}
		return str.Close()
	case "get":
		obj, err := soakObject(arg)
		if err != nil {
			return err
		}
		spread := &multisource.Config{Logger: soakLog(slog.LevelDebug, "session", fmt.Sprintf("%x", sess.SessionID()[:4]), "stream", str.StreamID())}
		if err := multisource.Spread(ctx, sess, str, arg, bytes.NewReader(obj), int64(len(obj)), spread); err != nil {
			return err
		}
		return str.CloseWithSize(int64(len(obj)))
	}
	return fmt.Errorf("unknown request %q", req)
}

// soakSecondary answers range requests on every session until ctx ends.
func soakSecondary(ctx context.Context, ln *kwik.Listener) {
	soakAccept(ctx, ln, func(sess *kwik.Session) {
		multisource.ServeRanges(ctx, sess, func(name string) (io.ReaderAt, error) {
			obj, err := soakObject(name)
			if err != nil {
				return nil, err
			}
			return bytes.NewReader(obj), nil
		})
	})
}

// soakAccept runs handle on every session ln accepts, each on its own
// goroutine, closes the session when handle returns, and returns once ctx
// ended and every handler returned.
func soakAccept(ctx context.Context, ln *kwik.Listener, handle func(*kwik.Session)) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		sess, err := ln.Accept(ctx)
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer sess.CloseWithError(0, "")
			handle(sess)
		}()
	}
}
