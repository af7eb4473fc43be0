package scheduler

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkPlanReport measures what the primary spends per receiver report
// in steady state: taking the report and computing what to send next.
func BenchmarkPlanReport(b *testing.B) {
	for _, n := range []int{3, 8} {
		b.Run(fmt.Sprintf("paths=%d", n), func(b *testing.B) {
			c, err := Config{Size: 1 << 50}.withDefaults()
			if err != nil {
				b.Fatal(err)
			}
			pl := newPlan(c)
			now := t0
			for id := range uint64(n) {
				if err := pl.addPath(id, now); err != nil {
					b.Fatal(err)
				}
			}
			pl.next(now)
			step := c.ReportInterval / time.Duration(n)
			rate := uint64(12 << 20 / n) // bytes per second per path
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				now = now.Add(step)
				p := pl.paths[i%n]
				d := min(p.delivered+rate*uint64(c.ReportInterval)/uint64(time.Second), p.assigned)
				if err := pl.onReport(p.id, d, now); err != nil {
					b.Fatal(err)
				}
				pl.next(now)
			}
		})
	}
}
