package main

import (
	"bufio"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// samples are the values one benchmark reported over its runs, by unit
// ("ns/op", "MB/s", "ratio", …).
type samples map[string][]float64

// median returns the median of the unit's values, and false if there are
// none.
func (s samples) median(unit string) (float64, bool) {
	v := slices.Clone(s[unit])
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

// max returns the largest of the unit's values, 0 if there are none.
func (s samples) max(unit string) float64 {
	if len(s[unit]) == 0 {
		return 0
	}
	return slices.Max(s[unit])
}

// procsSuffix is the -GOMAXPROCS suffix go test adds to benchmark names.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// readBenchmarks collects the result lines of Go benchmark output, by
// benchmark name without "Benchmark" and the -GOMAXPROCS suffix. Other
// lines are ignored.
func readBenchmarks(r io.Reader) (map[string]samples, error) {
	out := make(map[string]samples)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// Name, iterations, then value-unit pairs.
		if len(f) < 4 || len(f)%2 != 0 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue
		}
		name := procsSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		s := out[name]
		if s == nil {
			s = make(samples)
			out[name] = s
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			s[f[i+1]] = append(s[f[i+1]], v)
		}
	}
	return out, sc.Err()
}
