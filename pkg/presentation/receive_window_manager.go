package presentation

import "sync/atomic"

// receiveWindowManager is the ReceiveWindowManager: a view of the manager's
// core. A stream's share of the session window is its own window
// (streamBuffer.window, counted while streamBuffer.shared); this type keeps
// only the session's sums, as atomics: the window, the shares allocated,
// the bytes buffered (used) and read (consumed). Growing a share is a
// compare-and-swap on allocated, so no frame takes a lock here.
type receiveWindowManager struct {
	m *dataPresentationManager

	size      atomic.Uint64 // the session window
	allocated atomic.Uint64 // sum of the shares
	used      atomic.Uint64 // bytes buffered, all streams
	consumed  atomic.Uint64 // bytes read or released, all streams
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

// AllocateWindow sets a stream's share (its window) to size, failing with
// ErrWindowExhausted when the growth does not fit the available window. A
// smaller share takes no credit back: the limit already advertised stays.
func (w *receiveWindowManager) AllocateWindow(streamID uint64, size uint64) error {
	s, err := w.m.lookup(streamID)
	if err != nil {
		return err
	}
	var eff effects
	s.mu.Lock()
	switch {
	case s.state != stateOpen:
		err = streamErr(streamID, ErrStreamClosed)
	case size > s.window && w.reserve(size-s.window, size-s.window) == 0:
		err = streamErr(streamID, ErrWindowExhausted)
	default:
		if size < s.window {
			w.allocated.Add(-(s.window - size))
		}
		s.window = size
		s.updateLimitLocked(&eff, monotime())
	}
	s.mu.Unlock()
	s.apply(eff)
	return err
}

// reserve takes up to want bytes of the available window, and none if
// fewer than minimum are available; it returns what it took.
func (w *receiveWindowManager) reserve(want, minimum uint64) uint64 {
	for {
		alloc := w.allocated.Load()
		size := w.size.Load()
		avail := uint64(0)
		if alloc < size {
			avail = size - alloc
		}
		grant := min(want, avail)
		if grant < minimum || grant == 0 {
			return 0
		}
		if w.allocated.CompareAndSwap(alloc, alloc+grant) {
			return grant
		}
	}
}

// grow raises a share of cur bytes toward target within the available
// window and returns the new share (at least cur).
func (w *receiveWindowManager) grow(cur, target uint64) uint64 {
	if target <= cur {
		return cur
	}
	return cur + w.reserve(target-cur, 1)
}

// ReleaseWindow gives a stream's share back to the session; the stream
// keeps its limit but its window no longer grows.
func (w *receiveWindowManager) ReleaseWindow(streamID uint64) error {
	s, err := w.m.lookup(streamID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	released := s.releaseShareLocked()
	s.mu.Unlock()
	if !released {
		return streamErr(streamID, ErrStreamNotFound)
	}
	w.m.afterRelease()
	return nil
}

// StreamWindow returns a stream's share, if it holds one.
func (w *receiveWindowManager) StreamWindow(streamID uint64) (uint64, bool) {
	s, err := w.m.lookup(streamID)
	if err != nil {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.window, s.shared
}

// RecordData records n bytes received into some stream buffer.
func (w *receiveWindowManager) RecordData(n uint64) {
	after := w.used.Add(n)
	w.crossed(after-n, after)
}

// SlideWindow records bytesConsumed bytes read by the application: they
// leave the buffers and the session window slides forward by as much.
func (w *receiveWindowManager) SlideWindow(bytesConsumed uint64) error {
	if bytesConsumed > w.used.Load() {
		return ErrInvalidReadPosition
	}
	after := w.used.Add(-bytesConsumed)
	w.crossed(after+bytesConsumed, after)
	w.consumed.Add(bytesConsumed)
	return nil
}

// crossed tells Events.WindowFull when the buffered bytes went from before
// to after across the session window.
func (w *receiveWindowManager) crossed(before, after uint64) {
	if size := w.size.Load(); (before < size) != (after < size) {
		w.m.events.WindowFull(after >= size)
	}
}

// sessionLimit is the absolute amount of data, summed over streams, that
// senders may have sent: what was consumed plus the window, or plus the
// shares when minimum grants overcommitted it.
func (w *receiveWindowManager) sessionLimit() uint64 {
	return w.consumed.Load() + max(w.size.Load(), w.allocated.Load())
}

// GetWindowStatus returns a snapshot.
func (w *receiveWindowManager) GetWindowStatus() *ReceiveWindowStatus {
	shares := make(map[uint64]uint64)
	w.m.eachStream(func(s *streamBuffer) {
		if s.shared {
			shares[s.id] = s.window
		}
	})
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
