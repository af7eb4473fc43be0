package presentation

import (
	"sync"
	"sync/atomic"
)

// Locks per received frame. A frame takes at most three lock acquisitions
// on its way through this package, and a read as many:
//
//	WriteToStream / ReadFromStream
//	  lookup               m.mu read lock                       1
//	  write / readWait     s.mu, the stream's lock              2
//	    store, ranges, flow control, backpressure: the stream's own state;
//	    the session's sums (used, consumed, allocated, memory, ranges),
//	    window growth (a compare-and-swap on allocated) and the global
//	    backpressure reasons (one bit each) are atomics
//	    checkGapLocked     timers.mu, only when the reader comes to
//	                       a hole with later bytes buffered (the
//	                       gap timer starts; stopping it takes none) 3
//	  applyEffects         atomics and callbacks, no lock
//
// GetBuffer and PutBuffer take none (sync.Pool). countLocks makes every
// mutex of the package count its acquisitions, which TestLocksPerFrame
// checks frame by frame; it is off outside that test (one atomic load).
var (
	countLocks atomic.Bool
	lockCount  atomic.Int64
)

func countLock() {
	if countLocks.Load() {
		lockCount.Add(1)
	}
}

// mutex is a sync.Mutex whose acquisitions can be counted.
type mutex struct{ sync.Mutex }

// Lock locks m.
func (m *mutex) Lock() {
	countLock()
	m.Mutex.Lock()
}

// rwMutex is a sync.RWMutex whose acquisitions can be counted.
type rwMutex struct{ sync.RWMutex }

// Lock locks m for writing.
func (m *rwMutex) Lock() {
	countLock()
	m.RWMutex.Lock()
}

// RLock locks m for reading.
func (m *rwMutex) RLock() {
	countLock()
	m.RWMutex.RLock()
}
