package bench

import (
	"runtime/metrics"
	"time"
)

// HeapPeak is the highest heap use a HeapSampler saw, in bytes.
type HeapPeak struct {
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

// heapMetrics are the runtime/metrics a HeapSampler reads; reading them does
// not stop the world, unlike runtime.ReadMemStats.
var heapMetrics = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/gc/heap/live:bytes",
}

// readHeap returns the current heap figures.
func readHeap(samples []metrics.Sample) HeapPeak {
	metrics.Read(samples)
	objects := samples[0].Value.Uint64()
	return HeapPeak{Inuse: objects + samples[1].Value.Uint64(), Objects: objects, Live: samples[2].Value.Uint64()}
}

// HeapSampler samples the heap in a goroutine and keeps the peaks, until
// Stop.
type HeapSampler struct {
	stop chan struct{}
	done chan HeapPeak
}

// StartHeapSampler samples every interval until Stop.
func StartHeapSampler(interval time.Duration) *HeapSampler {
	s := &HeapSampler{stop: make(chan struct{}), done: make(chan HeapPeak, 1)}
	samples := make([]metrics.Sample, len(heapMetrics))
	for i, name := range heapMetrics {
		samples[i].Name = name
	}
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		var peak HeapPeak
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
func (s *HeapSampler) Stop() HeapPeak {
	close(s.stop)
	return <-s.done
}

// CurrentHeap returns the heap figures now.
func CurrentHeap() HeapPeak {
	samples := make([]metrics.Sample, len(heapMetrics))
	for i, name := range heapMetrics {
		samples[i].Name = name
	}
	return readHeap(samples)
}

// AllocatedBytes returns the bytes allocated on the heap since the program
// started; the difference of two calls is what ran in between allocated.
func AllocatedBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
