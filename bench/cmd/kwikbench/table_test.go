package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestWriteTable renders benchmark results and checks the ratios and
// verdicts of the rows that have a comparison point or a target.
func TestWriteTable(t *testing.T) {
	in := `BenchmarkTransfer/streams=1/transport=kwik-2 1 1 ns/op 190 MB/s
BenchmarkTransfer/streams=1/transport=quic-go-2 1 1 ns/op 200 MB/s
BenchmarkTransfer/streams=16/transport=kwik-2 1 1 ns/op 100 MB/s
BenchmarkTransfer/streams=16/transport=quic-go-2 1 1 ns/op 200 MB/s
BenchmarkAggregate/paths=3x50Mbit/window=default-2 1 1 ns/op 147 goodput-Mbit/s 150 sum-Mbit/s 0.98 ratio 0.34 share-p0 0.33 share-p1 0.33 share-p2
BenchmarkNetns/calibrate/paths=10+50+100Mbit/path=0 1 1 ns/op 9.6 tcp-Mbit/s
BenchmarkNetns/paths=10+50+100Mbit/kwik 1 1 ns/op 0.92 ratio
BenchmarkNetns/paths=10+50+100Mbit/oracle 1 1 ns/op 0.95 ratio
BenchmarkNetns/paths=10+50+100Mbit/aria2=0 1 1 ns/op 0.90 ratio
BenchmarkNetns/paths=10+50+100Mbit/aria2=1 1 1 ns/op 0.91 ratio
BenchmarkNetns/paths=10+50+100Mbit/kwik 1 1 ns/op 0.93 ratio
BenchmarkNetns/paths=10+50+100Mbit/oracle 1 1 ns/op 0.94 ratio
BenchmarkNetns/paths=10+50+100Mbit/kwik 1 1 ns/op 0.94 ratio
BenchmarkNetns/paths=10+50+100Mbit/oracle 1 1 ns/op 0.93 ratio
BenchmarkNetns/paths=50+50+50Mbit/kwik 1 1 ns/op 0.945 ratio
BenchmarkNetns/paths=50+50+50Mbit/oracle 1 1 ns/op 0.95 ratio
BenchmarkNetns/paths=50+50+50Mbit/aria2=0 1 1 ns/op 0.944 ratio
BenchmarkNetns/paths=50+50+50Mbit/kwik-unverified 1 1 ns/op 0.96 ratio
BenchmarkAggregate/paths=10+50+100Mbit/delay=50ms/window=default-2 1 1 ns/op 144 goodput-Mbit/s 160 sum-Mbit/s 0.90 ratio
BenchmarkSlowReader-2 1 1 ns/op 100 MB/s 18 peak-live-MiB 16 window-MiB
BenchmarkDemo/paths=10+50+100Mbit 1 1 ns/op 155 goodput-Mbit/s 160 sum-Mbit/s 0.97 ratio 0.06 share-p0 0.31 share-p1 0.63 share-p2
`
	checkTable(t, in,
		"| single path vs quic-go | loopback, 256 MiB, 1 stream(s) | 190 MB/s | quic-go 200 MB/s | 0.950 | ≥ 0.90 | yes |",
		"| single path vs quic-go | loopback, 256 MiB, 16 stream(s) | 100 MB/s | quic-go 200 MB/s | 0.500 | ≥ 0.90 | **no** |",
		"| aggregation | emulator, paths=3x50Mbit/window=default | 147.0 Mbit/s (shares 34%/33%/33%) | sum 150 Mbit/s | 0.980 | ≥ 0.95 | yes |",
		"| aggregation vs oracle | tc tbf netns, paths=10+50+100Mbit | ratio 0.930 (0.920–0.940, n=3) | oracle 0.940 (0.930–0.950, n=3); KWIK/oracle by round 0.989 (0.968–1.011); aria2 best 0.910 (0.910–0.910, n=1) (aria2=1) | 0.989 | ≥ 0.99 of oracle, > aria2 best | **no** |",
		"| aggregation vs oracle | tc tbf netns, paths=50+50+50Mbit | ratio 0.945 (0.945–0.945, n=1) | oracle 0.950 (0.950–0.950, n=1); KWIK/oracle by round 0.995 (0.995–0.995); aria2 best 0.944 (0.944–0.944, n=1) (aria2=0) | 0.995 | ≥ 0.99 of oracle, > aria2 best | yes |",
		"| verification cost | tc tbf netns, paths=50+50+50Mbit | on 0.945 (0.945–0.945, n=1) | off 0.960 (0.960–0.960, n=1) | 0.984 | ≥ 0.99 | **no** |",
		"| aggregation | emulator, paths=10+50+100Mbit/delay=50ms/window=default | 144.0 Mbit/s (shares ) | sum 160 Mbit/s | 0.900 | ≥ 0.85 | yes |",
		"| memory | 1 slow reader at 100 MB/s | peak live 18.0 MiB",
		"| window 16 MiB | 1.125 | live ≤ window + 4 MiB | yes | warm session, server in a child process: `go test -run '^$' -bench SlowReader -benchtime 1x ./bench` |",
		"| aggregation | kwik demo, paths=10+50+100Mbit | 155.0 Mbit/s (shares 6%/31%/63%) | sum 160 Mbit/s | 0.970 | ≥ 0.93 | yes | fresh session per run, one process, link emulator: `kwik demo",
		"| ≥ 0.90 | yes | warm connection, one process, no hashing: `go test -run '^$' -bench Transfer",
	)
}

// TestReadFilesMerges reads two files of one benchmark (two netns.sh
// runs): the table sees both runs' values, not the last file's alone.
func TestReadFilesMerges(t *testing.T) {
	dir := t.TempDir()
	var names []string
	for i, in := range []string{
		"BenchmarkNetns/paths=50+50+50Mbit/kwik 1 1 ns/op 0.90 ratio\n",
		"BenchmarkNetns/paths=50+50+50Mbit/kwik 1 1 ns/op 0.92 ratio\nBenchmarkNetns/paths=50+50+50Mbit/kwik 1 1 ns/op 0.94 ratio\n",
	} {
		name := filepath.Join(dir, fmt.Sprintf("run%d.txt", i))
		if err := os.WriteFile(name, []byte(in), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	all, err := readFiles(names)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := all["Netns/paths=50+50+50Mbit/kwik"]["ratio"], []float64{0.90, 0.92, 0.94}; !slices.Equal(got, want) {
		t.Fatalf("merged ratios %v, want %v", got, want)
	}
}

// checkTable renders the benchmark output in and checks that the table has
// every row fragment in want.
func checkTable(t *testing.T, in string, want ...string) {
	t.Helper()
	all, err := readBenchmarks(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	writeTable(&out, all)
	got := out.String()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("table lacks %q; got:\n%s", w, got)
		}
	}
}
