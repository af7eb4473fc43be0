package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// BenchmarkDemoGoodput runs the demo in this process over emulated paths
// and reports its goodput as a fraction of the sum of the paths' rates
// (goodput/sum), setup included. Run it with a fixed count, e.g.
//
//	go test -run '^$' -bench DemoGoodput -benchtime 3x ./cmd/kwik
func BenchmarkDemoGoodput(b *testing.B) {
	for _, bc := range []struct {
		name string
		args []string
	}{
		{"3x20mbit", []string{"--rate", "20mbit"}},
		{"10-50-100mbit", []string{"--path-rate", "0=10mbit", "--path-rate", "1=50mbit", "--path-rate", "2=100mbit"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var ratio, goodput float64
			runs := 0
			for b.Loop() {
				var out, errOut bytes.Buffer
				args := append([]string{"demo", "--size", "32MiB", "--json"}, bc.args...)
				if code := run(context.Background(), args, &env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}); code != 0 {
					b.Fatalf("demo exited %d: %s", code, errOut.String())
				}
				var rep demoReport
				if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
					b.Fatal(err)
				}
				ratio += rep.GoodputRatio
				goodput += rep.GoodputBPS
				runs++
			}
			b.ReportMetric(ratio/float64(runs), "goodput/sum")
			b.ReportMetric(goodput/float64(runs)/1e6, "Mbit/s")
		})
	}
}
