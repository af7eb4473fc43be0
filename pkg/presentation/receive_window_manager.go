package presentation

import (
	"maps"
	"sync"
	"sync/atomic"
)

// receiveWindowManager shares the session receive window among streams.
// Shares (allocations) change rarely and sit under a mutex; the bytes
// buffered (used) and read (consumed) change on every write and read and
// are atomics, so readers of different streams do not contend on a lock.
type receiveWindowManager struct {
	mu     sync.Mutex
	shares map[uint64]uint64

	size      atomic.Uint64 // the session window
	allocated atomic.Uint64 // sum of shares
	used      atomic.Uint64 // bytes buffered, all streams
	consumed  atomic.Uint64 // bytes read or released, all streams

	onFull      atomic.Pointer[func()]
	onAvailable atomic.Pointer[func()]
}

// NewReceiveWindowManager returns a manager of a session window of size bytes.
func NewReceiveWindowManager(size uint64) ReceiveWindowManager {
	return newReceiveWindowManager(size)
}

func newReceiveWindowManager(size uint64) *receiveWindowManager {
	w := &receiveWindowManager{shares: make(map[uint64]uint64)}
	w.size.Store(size)
	return w
}

// SetWindowSize changes the session window. Shrinking below the allocated
// shares takes no credit back; it only stops new allocations.
func (w *receiveWindowManager) SetWindowSize(size uint64) error {
	if size == 0 || size > maxOffset {
		return &ConfigError{Field: "SessionWindow", Value: size, Reason: "must be in [1, 2^62-1]"}
	}
	w.size.Store(size)
	return nil
}

// GetWindowSize returns the session window.
func (w *receiveWindowManager) GetWindowSize() uint64 { return w.size.Load() }

// GetAvailableWindow returns the part of the session window not allocated.
func (w *receiveWindowManager) GetAvailableWindow() uint64 {
	size, alloc := w.size.Load(), w.allocated.Load()
	if alloc >= size {
		return 0
	}
	return size - alloc
}

// AllocateWindow sets a stream's share to size, failing with
// ErrWindowExhausted when the growth does not fit the available window.
func (w *receiveWindowManager) AllocateWindow(streamID uint64, size uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	old := w.shares[streamID]
	if size > old && size-old > w.GetAvailableWindow() {
		return streamErr(streamID, ErrWindowExhausted)
	}
	w.setShareLocked(streamID, old, size)
	return nil
}

// forceAllocate sets a share even beyond the session window (the minimum
// grant that keeps a new stream from deadlocking).
func (w *receiveWindowManager) forceAllocate(streamID uint64, size uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.setShareLocked(streamID, w.shares[streamID], size)
}

// allocateUpTo gives a stream a share of want bytes, or of what is
// available if that is at least minimum; ok is false when even minimum
// does not fit (nothing is allocated then).
func (w *receiveWindowManager) allocateUpTo(streamID, want, minimum uint64) (uint64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	old := w.shares[streamID]
	grant := min(want, old+w.GetAvailableWindow())
	if grant < minimum {
		return 0, false
	}
	w.setShareLocked(streamID, old, grant)
	return grant, true
}

// grow raises a stream's share toward target within the available window
// and returns the stream's new window (at least cur, its current one).
func (w *receiveWindowManager) grow(streamID, cur, target uint64) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	old, ok := w.shares[streamID]
	if !ok || target <= old {
		return max(cur, old)
	}
	grant := min(target, old+w.GetAvailableWindow())
	w.setShareLocked(streamID, old, grant)
	return max(cur, grant)
}

func (w *receiveWindowManager) setShareLocked(streamID, old, size uint64) {
	w.shares[streamID] = size
	w.allocated.Add(size - old) // wraps correctly when size < old
}

// ReleaseWindow gives a stream's share back to the session.
func (w *receiveWindowManager) ReleaseWindow(streamID uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	old, ok := w.shares[streamID]
	if !ok {
		return streamErr(streamID, ErrStreamNotFound)
	}
	delete(w.shares, streamID)
	w.allocated.Add(-old)
	return nil
}

// StreamWindow returns a stream's share.
func (w *receiveWindowManager) StreamWindow(streamID uint64) (uint64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.shares[streamID]
	return s, ok
}

// occupy records n bytes buffered.
func (w *receiveWindowManager) occupy(n uint64) {
	after := w.used.Add(n)
	w.crossed(after-n, after)
}

// free records n buffered bytes released.
func (w *receiveWindowManager) free(n uint64) {
	after := w.used.Add(-n)
	w.crossed(after+n, after)
}

// crossed calls the full or available callback when the buffered bytes
// went from before to after across the session window.
func (w *receiveWindowManager) crossed(before, after uint64) {
	size := w.size.Load()
	var f *func()
	switch {
	case before < size && after >= size:
		f = w.onFull.Load()
	case before >= size && after < size:
		f = w.onAvailable.Load()
	}
	if f != nil {
		(*f)()
	}
}

// SlideWindow records bytesConsumed bytes read by the application: they
// leave the buffers and the session window slides forward by as much.
func (w *receiveWindowManager) SlideWindow(bytesConsumed uint64) error {
	if bytesConsumed > w.used.Load() {
		return ErrInvalidReadPosition
	}
	w.free(bytesConsumed)
	w.consumed.Add(bytesConsumed)
	return nil
}

// RecordData records n bytes received into some stream buffer.
func (w *receiveWindowManager) RecordData(n uint64) { w.occupy(n) }

// sessionLimit is the absolute amount of data, summed over streams, that
// senders may have sent: what was consumed plus the window, or plus the
// shares when minimum grants overcommitted it.
func (w *receiveWindowManager) sessionLimit() uint64 {
	return w.consumed.Load() + max(w.size.Load(), w.allocated.Load())
}

// GetWindowStatus returns a snapshot.
func (w *receiveWindowManager) GetWindowStatus() *ReceiveWindowStatus {
	w.mu.Lock()
	shares := maps.Clone(w.shares)
	w.mu.Unlock()
	st := &ReceiveWindowStatus{
		TotalSize:         w.size.Load(),
		Allocated:         w.allocated.Load(),
		Available:         w.GetAvailableWindow(),
		Used:              w.used.Load(),
		Consumed:          w.consumed.Load(),
		Streams:           len(shares),
		StreamAllocations: shares,
	}
	st.Utilization = w.GetWindowUtilization()
	st.IsFull = st.Used >= st.TotalSize
	return st
}

// IsWindowFull reports whether the buffered bytes fill the session window.
func (w *receiveWindowManager) IsWindowFull() bool { return w.used.Load() >= w.size.Load() }

// GetWindowUtilization returns buffered bytes / session window.
func (w *receiveWindowManager) GetWindowUtilization() float64 {
	return float64(w.used.Load()) / float64(w.size.Load())
}

// SetWindowFullCallback sets the function called (outside locks) when the
// buffered bytes reach the session window.
func (w *receiveWindowManager) SetWindowFullCallback(f func()) {
	if f == nil {
		w.onFull.Store(nil)
		return
	}
	w.onFull.Store(&f)
}

// SetWindowAvailableCallback sets the function called when they drop below it again.
func (w *receiveWindowManager) SetWindowAvailableCallback(f func()) {
	if f == nil {
		w.onAvailable.Store(nil)
		return
	}
	w.onAvailable.Store(&f)
}
