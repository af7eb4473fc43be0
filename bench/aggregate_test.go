package bench

import (
	"context"
	"flag"
	"fmt"
	"github.com/kwik-transport/kwik/bench/internal/harness"
	"strings"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
)

// transferTime sizes each aggregation benchmark's object: the sum of its
// paths' rates times this. Long enough that the connections' ramp-up is
// small, short enough that run.sh fits in ten minutes.
var transferTime = flag.Duration("kwikbench.transfer", 8*time.Second, "aggregation benchmarks: transfer time at the sum of the path rates")

// verify=false runs the aggregation benchmarks without piece verification
// (Spread assigns nothing, the client takes unassigned bytes), to measure
// what verification costs: run the binary with both values in turn.
var verify = flag.Bool("kwikbench.verify", true, "aggregation benchmarks: assign and verify the secondaries' pieces")

const mbit = 1_000_000

// aggregateCases are the path sets of BenchmarkAggregate: N equal paths of
// 50 Mbit/s, then unequal rates with the slowest or the fastest path as the
// primary, and with a long delay on the fastest path.
var aggregateCases = []struct {
	name  string
	paths []pathSpec
}{
	{"paths=1x50Mbit", equalPaths(1, 50*mbit)},
	{"paths=2x50Mbit", equalPaths(2, 50*mbit)},
	{"paths=3x50Mbit", equalPaths(3, 50*mbit)},
	{"paths=4x50Mbit", equalPaths(4, 50*mbit)},
	{"paths=10+50+100Mbit", []pathSpec{{Rate: 10 * mbit}, {Rate: 50 * mbit}, {Rate: 100 * mbit}}},
	{"paths=100+50+10Mbit", []pathSpec{{Rate: 100 * mbit}, {Rate: 50 * mbit}, {Rate: 10 * mbit}}},
	{"paths=10+50+100Mbit/delay=50ms", []pathSpec{{Rate: 10 * mbit}, {Rate: 50 * mbit}, {Rate: 100 * mbit, Delay: 50 * time.Millisecond}}},
}

// windowVariants are the client configurations the unequal cases run with:
// the defaults, and a stream window that starts at its maximum, because the
// default one does not grow while the reader waits at a gap (see README).
var windowVariants = []struct {
	name string
	conf *kwik.Config
}{
	{"window=default", nil},
	{"window=16MiB", &kwik.Config{InitialStreamReceiveWindow: 16 << 20}},
}

func equalPaths(n int, rate int64) []pathSpec {
	p := make([]pathSpec, n)
	for i := range p {
		p[i].Rate = rate
	}
	return p
}

// BenchmarkAggregate delivers one object with Spread over every path of a
// case, each path behind a rate-limited link emulator, and reports goodput
// against the sum of the rates (ratio), each path's share of the bytes and
// the duplicated fraction. ns/op includes the setup; goodput does not.
//
//	go test -run '^$' -bench Aggregate -benchtime 1x ./bench
func BenchmarkAggregate(b *testing.B) {
	for _, c := range aggregateCases {
		variants := windowVariants
		if !strings.Contains(c.name, "+") {
			variants = variants[:1] // equal paths reach their sum with the defaults
		}
		for _, v := range variants {
			b.Run(c.name+"/"+v.name, func(b *testing.B) { benchAggregate(b, c.paths, v.conf) })
		}
	}
}

func benchAggregate(b *testing.B, paths []pathSpec, client *kwik.Config) {
	var sum float64
	for _, p := range paths {
		sum += float64(p.Rate)
	}
	obj := NewObject(int64(sum / 8 * transferTime.Seconds()))
	b.SetBytes(obj.Size())
	var runs []harness.Result
	for range b.N {
		ctx, cancel := context.WithTimeout(context.Background(), 4**transferTime+30*time.Second)
		r, err := runAggregate(ctx, aggregateConfig{Paths: paths, Object: obj, Client: client, Unverified: !*verify})
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		runs = append(runs, r)
	}
	reportMetrics(b, combine(runs).Metrics())
}

// combine adds up runs of one configuration: total bytes over total time.
func combine(runs []harness.Result) harness.Result {
	var c harness.Result
	for _, r := range runs {
		c.Size += r.Size
		c.Elapsed += r.Elapsed
		c.Setup += r.Setup / time.Duration(len(runs))
		c.Rates = r.Rates
		for len(c.PathBytes) < len(r.PathBytes) {
			c.PathBytes = append(c.PathBytes, 0)
		}
		for i, n := range r.PathBytes {
			c.PathBytes[i] += n
		}
	}
	return c
}

func reportMetrics(b *testing.B, ms []harness.Metric) {
	for _, m := range ms {
		b.ReportMetric(m.Value, m.Unit)
	}
}

// TestAggregateDelivers runs a small aggregation over three emulated paths
// and checks that every path carried part of the object, which Fetch checked
// byte by byte.
func TestAggregateDelivers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	paths := []pathSpec{{Rate: 40 * mbit}, {Rate: 40 * mbit}, {Rate: 40 * mbit, Delay: 5 * time.Millisecond}}
	r, err := runAggregate(ctx, aggregateConfig{Paths: paths, Object: NewObject(6 << 20)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.PathBytes) != len(paths) {
		t.Fatalf("client saw %d paths, want %d", len(r.PathBytes), len(paths))
	}
	for id, n := range r.PathBytes {
		if n == 0 {
			t.Errorf("path %d carried nothing", id)
		}
	}
	t.Logf("%s", harness.FormatBenchmark("AggregateDelivers", r.Elapsed, r.Metrics()))
}

// BenchmarkPrimaryQueue shows why a slow primary path holds back fast
// secondaries: the range requests for the secondaries travel on the primary
// path, behind the primary's own data in that path's bottleneck queue. Two
// paths, 10 Mbit/s to the primary and 100 Mbit/s to the secondary, with the
// primary link's queue at 16, 64 (the emulator's default at 10 Mbit/s) and
// 256 KiB, and a client window that does not limit (see windowVariants).
// Not part of run.sh.
//
//	go test -run '^$' -bench PrimaryQueue -benchtime 1x ./bench
func BenchmarkPrimaryQueue(b *testing.B) {
	for _, q := range []int{16 << 10, 64 << 10, 256 << 10} {
		b.Run(fmt.Sprintf("queue=%dKiB", q>>10), func(b *testing.B) {
			benchAggregate(b, []pathSpec{{Rate: 10 * mbit, QueueBytes: q}, {Rate: 100 * mbit}}, windowVariants[1].conf)
		})
	}
}
