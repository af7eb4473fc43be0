package harness

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Result is one aggregation run: an object delivered over several paths of
// known rates.
type Result struct {
	Size      int64         // object bytes
	Elapsed   time.Duration // from the request to the last byte read
	Setup     time.Duration // dial and every path up, before the request
	Rates     []float64     // each path's rate in bit/s, by path ID; 0 unknown
	PathBytes []uint64      // payload bytes the client received per path, by path ID
}

// Goodput is the object's bits over Elapsed.
func (r Result) Goodput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Size) * 8 / r.Elapsed.Seconds()
}

// SumRate is the sum of the paths' rates in bit/s.
func (r Result) SumRate() float64 {
	var sum float64
	for _, x := range r.Rates {
		sum += x
	}
	return sum
}

// Ratio is Goodput over SumRate, or 0 when a rate is unknown.
func (r Result) Ratio() float64 {
	if sum := r.SumRate(); sum > 0 {
		return r.Goodput() / sum
	}
	return 0
}

// Metric is one named figure of a benchmark, as testing.B.ReportMetric
// takes it.
type Metric struct {
	Value float64
	Unit  string
}

// Metrics are the figures of the run: goodput, sum of rates and their
// ratio in Mbit/s, each path's share of the bytes received, the bytes
// received twice (work stealing), and the setup time.
func (r Result) Metrics() []Metric {
	m := []Metric{
		{r.Goodput() / 1e6, "goodput-Mbit/s"},
		{r.SumRate() / 1e6, "sum-Mbit/s"},
		{r.Ratio(), "ratio"},
	}
	var total uint64
	for _, b := range r.PathBytes {
		total += b
	}
	for id, b := range r.PathBytes {
		share := 0.0
		if total > 0 {
			share = float64(b) / float64(total)
		}
		m = append(m, Metric{share, fmt.Sprintf("share-p%d", id)})
	}
	dup := 0.0
	if r.Size > 0 && total > uint64(r.Size) {
		dup = float64(total-uint64(r.Size)) / float64(r.Size)
	}
	return append(m, Metric{dup, "dup-fraction"}, Metric{r.Setup.Seconds() * 1e3, "setup-ms"})
}

// FormatBenchmark formats metrics as one line of Go benchmark output, so
// that results of the cmd/kwikbench driver go through benchstat and the
// table like those of go test -bench.
func FormatBenchmark(name string, elapsed time.Duration, metrics []Metric) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Benchmark%s \t       1\t%d ns/op", name, elapsed.Nanoseconds())
	for _, m := range metrics {
		b.WriteString("\t")
		b.WriteString(strconv.FormatFloat(m.Value, 'g', 5, 64))
		b.WriteString(" ")
		b.WriteString(m.Unit)
	}
	return b.String()
}
