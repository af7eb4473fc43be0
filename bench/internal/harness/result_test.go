package harness

import (
	"fmt"
	"testing"
	"time"
)

func TestFormatBenchmark(t *testing.T) {
	got := FormatBenchmark("X/paths=2", 1500*time.Millisecond, []Metric{{0.93421, "ratio"}, {120, "goodput-Mbit/s"}})
	want := fmt.Sprintf("BenchmarkX/paths=2 \t       1\t%d ns/op\t0.93421 ratio\t120 goodput-Mbit/s", 1500*time.Millisecond)
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
