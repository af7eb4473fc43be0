package bench

import (
	"runtime/metrics"
	"time"
)

// heapPeak is the highest heap use a heapSampler saw, in bytes.
type heapPeak struct {
	// Inuse is the heap's in-use spans (runtime.MemStats.HeapInuse): what
	// the process holds for Go objects, garbage included.
	Inuse uint64
	// Objects is the bytes of allocated objects, live or not yet swept
	// (MemStats.HeapAlloc).
	Objects uint64
	// Live is the heap marked live by the latest GC: what the program
	// really retains.
	Live uint64
}

// heapMetrics are the runtime/metrics a heapSampler reads; reading them does
// not stop the world, unlike runtime.ReadMemStats.
var heapMetrics = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/gc/heap/live:bytes",
}

// readHeap returns the current heap figures.
func readHeap(samples []metrics.Sample) heapPeak {
	metrics.Read(samples)
	objects := samples[0].Value.Uint64()
	return heapPeak{Inuse: objects + samples[1].Value.Uint64(), Objects: objects, Live: samples[2].Value.Uint64()}
}

// heapSampler samples the heap in a goroutine and keeps the peaks, until
// Stop.
type heapSampler struct {
	stop chan struct{}
	done chan heapPeak
}

// startHeapSampler samples every interval until Stop.
func startHeapSampler(interval time.Duration) *heapSampler {
	s := &heapSampler{stop: make(chan struct{}), done: make(chan heapPeak, 1)}
	samples := make([]metrics.Sample, len(heapMetrics))
	for i, name := range heapMetrics {
		samples[i].Name = name
	}
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		var peak heapPeak
		for {
			h := readHeap(samples)
			peak.Inuse = max(peak.Inuse, h.Inuse)
			peak.Objects = max(peak.Objects, h.Objects)
			peak.Live = max(peak.Live, h.Live)
			select {
			case <-tick.C:
			case <-s.stop:
				s.done <- peak
				return
			}
		}
	}()
	return s
}

// Stop ends the sampling and returns the peaks.
func (s *heapSampler) Stop() heapPeak {
	close(s.stop)
	return <-s.done
}

// currentHeap returns the heap figures now.
func currentHeap() heapPeak {
	samples := make([]metrics.Sample, len(heapMetrics))
	for i, name := range heapMetrics {
		samples[i].Name = name
	}
	return readHeap(samples)
}

// allocatedBytes returns the bytes allocated on the heap since the program
// started; the difference of two calls is what ran in between allocated.
func allocatedBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
