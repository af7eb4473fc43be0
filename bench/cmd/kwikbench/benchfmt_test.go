package main

import (
	"strings"
	"testing"
)

func TestReadBenchmarks(t *testing.T) {
	in := `goos: linux
BenchmarkTransfer/streams=1/transport=kwik-2   	       3	 987126955 ns/op	 271.94 MB/s
BenchmarkTransfer/streams=1/transport=kwik-2   	       3	 887126955 ns/op	 301.00 MB/s
BenchmarkTransfer/streams=1/transport=kwik-2   	       3	 787126955 ns/op	 341.00 MB/s
BenchmarkNetns/paths=50+50+50Mbit/window=default 	       1	8445176055 ns/op	142.09 goodput-Mbit/s	0.94729 ratio
--- FAIL: BenchmarkBroken
BenchmarkNoResult
PASS
`
	got, err := readBenchmarks(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("read %d benchmarks, want 2: %v", len(got), got)
	}
	kwik := got["Transfer/streams=1/transport=kwik"]
	if m, ok := kwik.median("MB/s"); !ok || m != 301 {
		t.Errorf("median MB/s = %v, %v; want 301", m, ok)
	}
	if n := len(kwik["ns/op"]); n != 3 {
		t.Errorf("%d ns/op samples, want 3", n)
	}
	netns := got["Netns/paths=50+50+50Mbit/window=default"]
	if m, _ := netns.median("ratio"); m != 0.94729 {
		t.Errorf("ratio = %v, want 0.94729", m)
	}
	if _, ok := netns.median("MB/s"); ok {
		t.Error("median of a unit never reported says ok")
	}
	even := samples{"x": {4, 1, 3, 2}}
	if m, _ := even.median("x"); m != 2.5 {
		t.Errorf("median of 1..4 = %v, want 2.5", m)
	}
}
