package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/kwik-transport/kwik/pkg/emulator"
)

var demoCommand = &command{
	name:    "demo",
	summary: "send a generated file from a primary and secondaries on this machine",
	usage: `
Usage: kwik demo [flags]

Starts a primary and --paths-1 secondary servers on 127.0.0.1 in this
process, and a client that downloads a generated file (--size) from the
primary, which spreads it over itself and the secondaries into the client's
one stream. Shows each path's progress live (on a terminal), checks the
SHA-256 of what arrived and prints, per path, the bytes and throughput, then
the total goodput. Exits with status 1 if anything fails or the checksum
does not match.

With --rate, --delay, --loss or a --path-* override, each path goes through
an emulated link (user-space UDP relay) with that rate, one-way delay and
random loss. --kill-secondary-after cuts the last secondary's link during the
transfer: the primary learns which bytes are missing and sends them through
the remaining paths.

	kwik demo
	kwik demo --rate 20mbit --delay 10ms --size 64MiB
	kwik demo --rate 50mbit --path-rate 0=10mbit --path-rate 2=100mbit
	kwik demo --rate 20mbit --kill-secondary-after 2s --json
`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &demoOptions{
			paths:     3,
			size:      256 << 20,
			pathRate:  newPerPath(emulator.ParseRate, formatRate),
			pathDelay: newPerPath(parseDuration, time.Duration.String),
			pathLoss:  newPerPath(emulator.ParseLoss, formatLoss),
		}
		fs.IntVar(&o.paths, "paths", o.paths, "`N` paths: the primary plus N-1 secondaries")
		fs.Var(&o.size, "size", "`SIZE` of the generated file (256MiB, 8M, 1GB, …)")
		fs.Var(&o.chunk, "chunk", "piece `SIZE` handed to one path at a time (default: chosen from --size)")
		fs.Var(&o.rate, "rate", "emulated `RATE` of every path, as tc writes it: 50mbit, 1gbit (default unlimited)")
		fs.DurationVar(&o.delay, "delay", 0, "emulated one-way delay of every path")
		fs.Var(&o.loss, "loss", "emulated random `LOSS` of every path, in each direction: 1% or 0.01")
		fs.Var(o.pathRate, "path-rate", "`I=RATE` overrides --rate for path I (0 is the primary); repeatable")
		fs.Var(o.pathDelay, "path-delay", "`I=DURATION` overrides --delay for path I; repeatable")
		fs.Var(o.pathLoss, "path-loss", "`I=LOSS` overrides --loss for path I; repeatable")
		fs.DurationVar(&o.killAfter, "kill-secondary-after", 0, "cut the last secondary's link this long after the start")
		fs.BoolVar(&o.link, "link", false, "put an emulated link in front of every path even without shaping")
		fs.DurationVar(&o.idle, "idle-timeout", 5*time.Second, "how long a silent path lives before it counts as dead\n(a killed secondary is declared dead after this)")
		fs.Uint64Var(&o.seed, "seed", 1, "seed of the generated file's pseudo-random content")
		fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long")
		fs.DurationVar(&o.stall, "stall-timeout", 30*time.Second, "give up when no byte arrives for this long (0: never)")
		fs.BoolVar(&o.json, "json", false, "print the summary as JSON instead of a table (and no progress)")
		fs.BoolVar(&o.verbose, "verbose", false, "log debug records to stderr")
		return o.run
	},
}

// demoOptions are demo's flags.
type demoOptions struct {
	paths       int
	size, chunk byteSize
	rate        rate
	delay       time.Duration
	loss        loss
	pathRate    *perPath[int64]
	pathDelay   *perPath[time.Duration]
	pathLoss    *perPath[float64]
	killAfter   time.Duration
	link        bool
	idle        time.Duration
	seed        uint64
	timeout     time.Duration
	stall       time.Duration
	json        bool
	verbose     bool
}

// maxDemoPaths bounds --paths: every path is a server in this process.
const maxDemoPaths = 16

// errChecksum is the demo's failure when the bytes that arrived are not
// the bytes that were sent.
var errChecksum = errors.New("the SHA-256 of the received file does not match the one sent")

func (o *demoOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q: demo takes only flags", args)
	}
	paths, err := o.plan()
	if err != nil {
		return err
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.timeout, fmt.Errorf("the demo did not finish within --timeout %v", o.timeout))
		defer cancel()
	}
	d := &demo{
		opts:  o,
		paths: paths,
		log:   newLogger(e.stderr, o.verbose),
		links: o.link || o.shaped(),
	}
	switch {
	case o.json:
		d.ui = quietView{}
	case e.stdoutTTY:
		d.printPlan(e.stdout)
		d.ui = newPathBars(e.stdout, d.labels(), int64(o.size))
	default:
		d.printPlan(e.stdout)
		d.ui = &lineView{w: e.stdout}
	}
	rep := d.run(ctx)
	d.ui.finish()
	if o.json {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		writeTable(e.stdout, rep)
	}
	switch {
	case rep.err != nil:
		return rep.err
	case !rep.ChecksumMatch:
		return errChecksum
	}
	return nil
}

// shaped reports whether any path has emulated rate, delay or loss, or the
// kill needs a link to cut.
func (o *demoOptions) shaped() bool {
	return o.rate > 0 || o.delay > 0 || o.loss > 0 || o.killAfter > 0 ||
		len(o.pathRate.values) > 0 || len(o.pathDelay.values) > 0 || len(o.pathLoss.values) > 0
}

// plan checks the flags and returns the demo's paths with their shapes.
func (o *demoOptions) plan() ([]*demoPath, error) {
	switch {
	case o.paths < 1 || o.paths > maxDemoPaths:
		return nil, usagef("--paths must be between 1 (the primary alone) and %d, not %d", maxDemoPaths, o.paths)
	case o.size <= 0:
		return nil, usagef("--size must be at least one byte")
	case o.size > 1<<34:
		return nil, usagef("--size %s is more than the 16 GiB the demo is willing to hold in memory", formatBytes(int64(o.size)))
	case o.chunk < 0 || (o.chunk > 0 && o.chunk < 1<<10):
		return nil, usagef("--chunk must be at least 1KiB (or 0 to let the scheduler choose)")
	case o.killAfter > 0 && o.paths < 2:
		return nil, usagef("--kill-secondary-after needs a secondary: use --paths 2 or more")
	case o.idle < time.Second:
		return nil, usagef("--idle-timeout below 1s makes healthy paths die; use at least 1s")
	}
	for name, keys := range map[string][]int{"--path-rate": keysOf(o.pathRate.values), "--path-delay": keysOf(o.pathDelay.values), "--path-loss": keysOf(o.pathLoss.values)} {
		for _, i := range keys {
			if i >= o.paths {
				return nil, usagef("%s %d=…: there are only %d paths, numbered 0 (the primary) to %d", name, i, o.paths, o.paths-1)
			}
		}
	}
	paths := make([]*demoPath, o.paths)
	for i := range paths {
		p := &demoPath{index: i, role: "primary"}
		if i > 0 {
			p.role = fmt.Sprintf("secondary %d", i)
		}
		p.shape = emulator.LinkConfig{Rate: int64(o.rate), Delay: o.delay, Loss: float64(o.loss), Seed: int64(o.seed)<<8 + int64(i) + 1}
		if v, ok := o.pathRate.values[i]; ok {
			p.shape.Rate = v
		}
		if v, ok := o.pathDelay.values[i]; ok {
			p.shape.Delay = v
		}
		if v, ok := o.pathLoss.values[i]; ok {
			p.shape.Loss = v
		}
		if err := p.shape.Validate(); err != nil {
			return nil, usagef("path %d: %v", i, err)
		}
		paths[i] = p
	}
	return paths, nil
}

func keysOf[T any](m map[int]T) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// describeShape says what a path's link does, for the plan and the table.
func describeShape(s emulator.LinkConfig, linked bool) string {
	if !linked {
		return "loopback"
	}
	parts := []string{formatRate(s.Rate)}
	if s.Delay > 0 {
		parts = append(parts, s.Delay.String()+" delay")
	}
	if s.Loss > 0 {
		parts = append(parts, formatLoss(s.Loss)+" loss")
	}
	return strings.Join(parts, ", ")
}
