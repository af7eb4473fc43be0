package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// tableCmd reads Go benchmark output files and prints the markdown table of
// every claim, its comparison point from the same run, and its target.
func tableCmd(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("table", flag.ExitOnError)
	fs.Parse(args)
	all, err := readFiles(fs.Args())
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return errors.New("no benchmark results in the files given")
	}
	writeTable(os.Stdout, all)
	return nil
}

// readFiles reads the benchmark results of every file, merged.
func readFiles(names []string) (map[string]samples, error) {
	all := make(map[string]samples)
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		got, err := readBenchmarks(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		mergeSamples(all, got)
	}
	return all, nil
}

// mergeSamples adds got's values to all's, benchmark by benchmark and
// unit by unit: two files of one configuration (two netns.sh runs, say) are
// one set of samples, in file order.
func mergeSamples(all, got map[string]samples) {
	for name, s := range got {
		dst := all[name]
		if dst == nil {
			dst = make(samples)
			all[name] = dst
		}
		for unit, v := range s {
			dst[unit] = append(dst[unit], v...)
		}
	}
}

// results are the benchmarks of one run, by name.
type results map[string]samples

// median returns a metric's median, or NaN-free zero and false.
func (r results) median(name, unit string) (float64, bool) {
	s, ok := r[name]
	if !ok {
		return 0, false
	}
	return s.median(unit)
}

// under returns the names that start with prefix, sorted.
func (r results) under(prefix string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(r)) {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

func writeTable(w io.Writer, all map[string]samples) {
	r := results(all)
	fmt.Fprintln(w, "| claim | configuration | KWIK | comparison point (same run) | ratio | target | met | how measured |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	row := func(claim, conf, kwik, ref string, ratio float64, target string, met bool) {
		verdict := yesNo(met)
		if target == "" {
			target, verdict = "—", "—"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.3f | %s | %s | %s |\n", claim, conf, kwik, ref, ratio, target, verdict, measuredBy(claim, conf))
	}

	for _, name := range r.under("Presentation/") {
		chunk := strings.TrimPrefix(name, "Presentation/")
		p, ok1 := r.median(name, "MB/s")
		m, ok2 := r.median("Memcpy/"+chunk, "MB/s")
		if ok1 && ok2 {
			target, met := "", true
			if want, ok := presentationTargets[chunk]; ok {
				target, met = fmt.Sprintf("≥ %.2f", want), p >= want*m
			}
			row("presentation vs memcpy", chunk, mbps(p), "memcpy "+mbps(m), p/m, target, met)
		}
	}
	for _, streams := range []string{"1", "16"} {
		k, ok1 := r.median("Transfer/streams="+streams+"/transport=kwik", "MB/s")
		q, ok2 := r.median("Transfer/streams="+streams+"/transport=quic-go", "MB/s")
		if ok1 && ok2 {
			row("single path vs quic-go", "loopback, 256 MiB, "+streams+" stream(s)", mbps(k), "quic-go "+mbps(q), k/q, "≥ 0.90", k/q >= 0.9)
		}
	}
	onePathRows(row, r)
	if names := r.under("Lanes/"); len(names) > 0 {
		base, _ := r.median("Lanes/lanes=1", "MB/s")
		for _, name := range names {
			v, _ := r.median(name, "MB/s")
			row("LanesPerPath", "16 streams × 16 MiB, "+strings.TrimPrefix(name, "Lanes/"), mbps(v), "lanes=1 "+mbps(base), v/base, "", true)
		}
	}
	for _, name := range r.under("Aggregate/") {
		aggregateRow(row, r, name, "emulator, "+strings.TrimPrefix(name, "Aggregate/"), 0)
	}
	for _, name := range r.under("Demo/") {
		aggregateRow(row, r, name, "kwik demo, "+strings.TrimPrefix(name, "Demo/"), 0)
	}
	netnsRows(row, r)
	for _, name := range r.under("Scale/") {
		v, _ := r.median(name, "MB/s")
		live, _ := r.median(name, "peak-live-MiB")
		heap, _ := r.median(name, "peak-heap-MiB")
		bound, _ := r.median(name, "bound-MiB")
		total, ok := r.median(name, "total-MiB")
		if !ok {
			total = 256 // before the benchmark reported it
		}
		row("scale", fmt.Sprintf("%s, %.0f MiB in all", strings.TrimPrefix(name, "Scale/"), total),
			fmt.Sprintf("%s; peak heap in use %.1f MiB (live at GCs %.1f)", mbps(v), heap, live),
			fmt.Sprintf("bound %.1f MiB", bound), heap/bound, "in use ≤ bound", heap <= bound)
	}
	scaleRows(row, r)
	clientsRows(row, r)
	sessionMemoryRows(row, r)
	if s, ok := r["SlowReader"]; ok {
		live, _ := s.median("peak-live-MiB")
		heap, _ := s.median("peak-heap-MiB")
		buffered, _ := s.median("peak-buffered-MiB")
		window, _ := s.median("window-MiB")
		v, _ := s.median("MB/s")
		row("memory", fmt.Sprintf("1 slow reader at %s", mbps(v)),
			fmt.Sprintf("peak live %.1f MiB (buffered %.1f, in use %.1f)", live, buffered, heap),
			fmt.Sprintf("window %.0f MiB", window), live/window,
			fmt.Sprintf("live ≤ window + %d MiB", memoryConstant), live <= window+memoryConstant)
	}
}

// measuredBy says how run.sh measured a row: fresh or warm connection, one
// process or several, and the command that gives the figure alone.
func measuredBy(claim, conf string) string {
	switch {
	case claim == "presentation vs memcpy":
		return "in-process, no network: `go test -run '^$' -bench 'Presentation$|Memcpy' ./pkg/presentation`"
	case strings.HasPrefix(conf, "loopback, 256 MiB"):
		return "warm connection, one process, no hashing: `go test -run '^$' -bench Transfer -benchtime 1x ./integrationtests`"
	case strings.Contains(conf, "one process"):
		return "fresh connection per transfer, one process: `go test -run '^$' -bench OnePath -benchtime 1x ./bench`"
	case strings.Contains(conf, "separate processes"):
		return "fresh connection per transfer, separate processes: `bench/onepath.sh`"
	case claim == "LanesPerPath":
		return "warm session, server in a child process: `go test -run '^$' -bench Lanes -benchtime 1x ./bench`"
	case strings.HasPrefix(conf, "emulator"):
		return "fresh session per run, one process, link emulator: `go test -run '^$' -bench Aggregate -benchtime 1x ./bench`"
	case strings.HasPrefix(conf, "kwik demo"):
		return "fresh session per run, one process, link emulator: `kwik demo --size 128MiB --json` with the paths' rates (bench/run.sh)"
	case strings.HasPrefix(conf, "tc tbf"):
		return "fresh session per transfer, separate processes in network namespaces, tc tbf: `sudo bench/netns.sh`"
	case claim == "scale":
		return "warm session, server in a child process: `go test -run '^$' -bench Scale -benchtime 1x ./bench`"
	case claim == "many streams vs one" && strings.HasPrefix(conf, "one-path server"):
		return "fresh connection per transfer, one process, client and server of the one-path comparison: `go test -run '^$' -bench '^BenchmarkStreams$' -benchtime 1x ./bench`"
	case claim == "many streams vs one":
		return "warm session, server in a child process: `go test -run '^$' -bench Scale -benchtime 1x ./bench`"
	case claim == "many clients vs one":
		return "fresh session per client, dial burst, one process, primary + 2 secondaries: `go test -run '^$' -bench Clients -benchtime 1x ./bench`"
	case claim == "server memory per session":
		return "server in a child process, live heap after GC: `go test -run '^$' -bench ServerSessionMemory -benchtime 1x ./bench`"
	case claim == "memory":
		return "warm session, server in a child process: `go test -run '^$' -bench SlowReader -benchtime 1x ./bench`"
	}
	return "—"
}

// memoryConstant is what the client holds besides its receive window: quic-go's
// connection state and packet buffers, TLS, the buffer pool's slack.
const memoryConstant = 4

// aggregateRow prints one aggregation result. tcp, if not zero, is the sum
// of the paths' calibrated TCP goodput in Mbit/s.
func aggregateRow(row rowFunc, r results, name, conf string, tcp float64) {
	good, _ := r.median(name, "goodput-Mbit/s")
	sum, _ := r.median(name, "sum-Mbit/s")
	ratio, _ := r.median(name, "ratio")
	var shares []string
	for i := 0; ; i++ {
		v, ok := r.median(name, fmt.Sprintf("share-p%d", i))
		if !ok {
			break
		}
		shares = append(shares, fmt.Sprintf("%.0f%%", 100*v))
	}
	kwik := fmt.Sprintf("%.1f Mbit/s (shares %s)", good, strings.Join(shares, "/"))
	ref := fmt.Sprintf("sum %.0f Mbit/s", sum)
	if tcp > 0 {
		ref += fmt.Sprintf(" (TCP through the same shaping: %.1f, ratio to it %.3f)", tcp, good/tcp)
	}
	target, want := aggregateTarget(name)
	row("aggregation", conf, kwik, ref, ratio, target, ratio >= want)
}

// aggregateTarget is the goodput ratio the issues set for a path set: 0.95
// for equal rates, 0.93 for unequal ones, 0.85 with a long delay.
func aggregateTarget(name string) (string, float64) {
	switch {
	case strings.Contains(name, "delay="):
		return "≥ 0.85", 0.85
	case unequalRates(name):
		return "≥ 0.93", 0.93
	}
	return "≥ 0.95", 0.95
}

// unequalRates reports whether a name's path set, "paths=10+50+100Mbit" or
// "paths=3x50Mbit", has paths of different rates.
func unequalRates(name string) bool {
	_, set, _ := strings.Cut(name, "paths=")
	set, _, _ = strings.Cut(set, "Mbit")
	rates := strings.Split(set, "+")
	for _, r := range rates {
		if r != rates[0] {
			return true
		}
	}
	return false
}

func mbps(v float64) string { return fmt.Sprintf("%.0f MB/s", v) }

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// onePathRows are the rows of the one-path comparison (issue 12): a fresh
// connection per transfer and a hashing client, throughput and CPU per GiB,
// in one process (OnePath) and in separate processes (OnePathProcs).
func onePathRows(row rowFunc, r results) {
	for _, c := range []struct{ name, conf string }{
		{"OnePath", "fresh connection, hashing client, one process"},
		{"OnePathProcs", "fresh connection, hashing client, separate processes"},
	} {
		kn, qn := c.name+"/transport=kwik", c.name+"/transport=quic-go"
		if k, ok1 := r.median(kn, "MB/s"); ok1 {
			if q, ok2 := r.median(qn, "MB/s"); ok2 {
				row("single path vs quic-go", c.conf, mbps(k), "quic-go "+mbps(q), k/q, "≥ 1.00", k/q >= 1)
			}
		}
		for _, unit := range []string{"cpu-s/GiB", "client-cpu-s/GiB", "server-cpu-s/GiB"} {
			k, ok1 := r.median(kn, unit)
			q, ok2 := r.median(qn, unit)
			if ok1 && ok2 {
				row("CPU per GiB vs quic-go", c.conf+", "+unit, fmt.Sprintf("%.2f", k), fmt.Sprintf("quic-go %.2f", q), k/q, "≤ 1.03", k/q <= 1.03)
			}
		}
	}
}
