package main

import (
	"fmt"
	"slices"
	"strings"
)

// netnsRows are the rows of netns.sh (issue 12, target 2): per
// configuration, `kwik get`'s ratio to the sum of the rates against the
// oracle's (a proportional split over plain quic-go) and aria2's best flag
// set, all from the same rounds; and issue 11's verification cost, when
// the run has kwik-unverified rows.
func netnsRows(row rowFunc, r results) {
	for _, set := range netnsSets(r) {
		prefix := "Netns/" + set + "/"
		conf := "tc tbf netns, " + set
		kwik, okK := r.median(prefix+"kwik", "ratio")
		oracle, okO := r.median(prefix+"oracle", "ratio")
		best, bestName := 0.0, ""
		for _, name := range r.under(prefix + "aria2=") {
			if v, _ := r.median(name, "ratio"); v > best {
				best, bestName = v, strings.TrimPrefix(name, prefix)
			}
		}
		if okK && okO {
			ref := "oracle " + r.spread(prefix+"oracle", "ratio") + "; KWIK/oracle by round " + r.paired(prefix+"kwik", prefix+"oracle", "ratio")
			if bestName != "" {
				ref += fmt.Sprintf("; aria2 best %s (%s)", r.spread(prefix+bestName, "ratio"), bestName)
			}
			met := kwik >= 0.99*oracle && kwik > best
			row("aggregation vs oracle", conf, "ratio "+r.spread(prefix+"kwik", "ratio"), ref, kwik/oracle, "≥ 0.99 of oracle, > aria2 best", met)
		}
		if off, ok := r.median(prefix+"kwik-unverified", "ratio"); ok && okK {
			row("verification cost", conf, "on "+r.spread(prefix+"kwik", "ratio"), "off "+r.spread(prefix+"kwik-unverified", "ratio"), kwik/off, "≥ 0.99", kwik >= 0.99*off)
		}
	}
}

// netnsSets are the configurations of netns.sh's results, "paths=10+50+100Mbit".
func netnsSets(r results) []string {
	var sets []string
	for _, name := range r.under("Netns/paths=") {
		set, _, _ := strings.Cut(strings.TrimPrefix(name, "Netns/"), "/")
		if !slices.Contains(sets, set) {
			sets = append(sets, set)
		}
	}
	return sets
}

// paired formats the median and range of a's values over b's, sample by
// sample: netns.sh runs its rows one after the other in each round, so a
// pair shares the machine's load of the moment.
func (r results) paired(a, b, unit string) string {
	va, vb := r[a][unit], r[b][unit]
	var q []float64
	for i := range min(len(va), len(vb)) {
		if vb[i] > 0 {
			q = append(q, va[i]/vb[i])
		}
	}
	if len(q) == 0 {
		return "—"
	}
	slices.Sort(q)
	m := samples{"q": q}
	med, _ := m.median("q")
	return fmt.Sprintf("%.3f (%.3f–%.3f)", med, q[0], q[len(q)-1])
}

// spread formats a metric's median with its range and sample count:
// "0.931 (0.925–0.940, n=3)".
func (r results) spread(name, unit string) string {
	v := slices.Clone(r[name][unit])
	if len(v) == 0 {
		return "—"
	}
	slices.Sort(v)
	m, _ := r.median(name, unit)
	return fmt.Sprintf("%.3f (%.3f–%.3f, n=%d)", m, v[0], v[len(v)-1], len(v))
}
