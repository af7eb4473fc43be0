package emulator

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// BenchmarkForward measures what forwarding through a link costs at
// unlimited rate, next to the same traffic sent straight to the receiver in
// the same run. One op is one 1200-byte datagram; a window of datagrams in
// flight keeps every path busy without overflowing socket buffers. With a
// delay, every datagram goes through the delay line and its timer.
func BenchmarkForward(b *testing.B) {
	// The window fills 10 ms at 2 Gbit/s, and stays within the socket
	// buffers (4 MiB, which Linux doubles for overhead).
	const size, window = 1200, 2048
	b.Run("direct", func(b *testing.B) {
		sink := listenUDP(b)
		forward(b, dialUDP(b, sink.LocalAddr()), sink, size, window, nil)
	})
	for _, delay := range []time.Duration{0, 10 * time.Millisecond} {
		b.Run(fmt.Sprintf("link/delay=%v", delay), func(b *testing.B) {
			sink := listenUDP(b)
			l := startLink(b, sink.LocalAddr(), LinkConfig{Delay: delay})
			forward(b, dialUDP(b, l.Addr()), sink, size, window, l)
		})
	}
}

// forward sends b.N datagrams from client to sink with at most window of
// them in flight, and reports the packet and bit rates. l, if not nil, is
// the link in between, whose stats explain a failure.
func forward(b *testing.B, client, sink *net.UDPConn, size, window int, l *Link) {
	credit := make(chan struct{}, window)
	for range window {
		credit <- struct{}{}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)

	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	start := time.Now()
	wg.Go(func() {
		buf := make([]byte, size)
		for range b.N {
			select {
			case <-credit:
			case <-stop:
				return
			}
			if _, err := client.Write(buf); err != nil {
				return
			}
		}
	})
	buf := make([]byte, maxDatagram)
	for range b.N {
		// Only turns a lost datagram into a failure instead of a hang.
		_ = sink.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := sink.Read(buf); err != nil {
			if l != nil {
				b.Fatalf("read: %v; link stats %+v", err, l.Stats())
			}
			b.Fatalf("read: %v", err)
		}
		credit <- struct{}{}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "pkts/s")
	b.ReportMetric(float64(b.N*size*8)/elapsed.Seconds()/1e6, "Mbit/s")
}

// BenchmarkRateAccuracy blasts a quarter of a second's worth of 1200-byte
// datagrams through a link at each rate and reports the rate it achieved as
// a fraction of the configured one (see checkRate): overall, over the whole
// blast; sustained, between punctual datagrams; excess, the most the token
// bucket was ever beaten by (above 1 is a bug).
func BenchmarkRateAccuracy(b *testing.B) {
	const size, burst = 1200, 16 << 10
	for _, mbit := range []int64{10, 20, 50, 100, 200, 500, 1000} {
		b.Run(fmt.Sprintf("%dMbit", mbit), func(b *testing.B) {
			rate := mbit * 1_000_000
			count := int(rate / 8 / 4 / size)
			sink := listenUDP(b)
			l := startLink(b, sink.LocalAddr(), LinkConfig{Rate: rate, Burst: burst, QueueBytes: min(maxHeldBytes, 2*count*size)})
			client := dialUDP(b, l.Addr())
			var overall, sustained, excess, delivered float64
			b.ResetTimer()
			for range b.N {
				res := blast(b, client, sink, count, size)
				c := checkRate(res, size, rate, burst)
				overall += c.overall
				sustained += c.sustained
				excess = max(excess, c.excess)
				delivered += float64(res.packets) / float64(count)
			}
			n := float64(b.N)
			b.ReportMetric(overall/n, "overall")
			b.ReportMetric(sustained/n, "sustained")
			b.ReportMetric(excess, "excess")
			b.ReportMetric(delivered/n, "delivered")
		})
	}
}
