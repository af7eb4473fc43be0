package session

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/data"
	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
)

// TestReportInterval: a client sends its delivery counters once per
// ReportInterval while they change, and nothing while they do not.
func TestReportInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := (&Config{}).withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		every := c.ReportInterval
		s, err := newSession(RoleClient, c, control.NewSessionID())
		if err != nil {
			t.Fatal(err)
		}
		defer s.dpm.Close()
		local, remote := net.Pipe()
		defer local.Close()
		defer remote.Close()
		s.primary = transport.NewPath(0, "primary:1", true, nil, control.NewChannel(local, 0), 0)
		cs := &clientState{s: s, deliveries: data.NewDeliveries()}
		s.client = cs
		start := time.Now()

		var wg sync.WaitGroup
		defer wg.Wait()
		defer s.cancel(nil)
		wg.Go(func() { s.primary.Control().Run(s.ctx, func(wire.Frame) error { return nil }) })
		var mu sync.Mutex
		var reports []string // "bytes@time"
		peer := control.NewChannel(remote, 0)
		wg.Go(func() {
			peer.Run(s.ctx, func(f wire.Frame) error {
				if r, ok := f.(*wire.DeliveryReport); ok {
					var n uint64
					for _, d := range r.Deliveries {
						n += d.Bytes
					}
					mu.Lock()
					reports = append(reports, fmt.Sprintf("%d@%v", n, time.Since(start)))
					mu.Unlock()
				}
				return nil
			})
		})
		s.wg.Add(1)
		go cs.reportLoop(every)

		// Bytes arrive at 0.5 and 1.5 intervals, then nothing for 4; then
		// at 6.5.
		add := func(at time.Duration, n int) {
			time.Sleep(at - time.Since(start))
			cs.deliveries.Add(1, 0, n)
		}
		add(every/2, 100)
		add(every*3/2, 50)
		add(every*13/2, 7)
		time.Sleep(10*every - time.Since(start))
		s.cancel(nil)
		s.wg.Wait() // the loop ends with the session

		mu.Lock()
		defer mu.Unlock()
		want := []string{
			fmt.Sprintf("100@%v", every),
			fmt.Sprintf("150@%v", 2*every),
			fmt.Sprintf("157@%v", 7*every),
		}
		if fmt.Sprint(reports) != fmt.Sprint(want) {
			t.Errorf("reports (total bytes@time) %v, want %v", reports, want)
		}
	})
}
