package integrationtests

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// What a test measures of the process: the hostile tests' bounds and the
// soak test's peak.

// usage is a process's resources at one moment.
type usage struct {
	heap       uint64 // live heap after GC
	goroutines int
	fds        int
}

func measure(t *testing.T) usage {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return usage{heap: ms.HeapAlloc, goroutines: runtime.NumGoroutine(), fds: openFDs(t)}
}

// openFDs counts the process's open file descriptors (-1 where /proc is
// not available).
func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// heapSampler records the peak of the live heap (after GC) while an attack
// runs.
type heapSampler struct {
	stop chan struct{}
	done chan uint64
}

func sampleHeap() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan uint64, 1)}
	go func() {
		var peak uint64
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-h.stop:
				h.done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

// peak stops the sampler and returns the peak heap it saw.
func (h *heapSampler) peak() uint64 {
	close(h.stop)
	return <-h.done
}

// expectReleased waits until the goroutines and descriptors the attack took
// are gone again and the heap is back near base.
func expectReleased(t *testing.T, base usage, slack uint64) {
	t.Helper()
	deadline := time.Now().Add(outcomeTimeout)
	for {
		now := measure(t)
		if now.goroutines <= base.goroutines+2 && now.fds <= base.fds && now.heap <= base.heap+slack {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the attack: %d goroutines (before %d), %d fds (before %d), heap %.1f MiB (before %.1f MiB, slack %.1f MiB)",
				now.goroutines, base.goroutines, now.fds, base.fds, mib(now.heap), mib(base.heap), mib(slack))
		}
		time.Sleep(50 * time.Millisecond) // polling the runtime's counters; nothing to wait on
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }
