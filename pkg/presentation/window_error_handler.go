package presentation

// Receive window error handling (seed 7.2). When the session window cannot
// give a new stream even MinStreamWindow, the stream still gets
// MinStreamWindow (so it cannot deadlock behind unread streams: memory
// stays bounded by SessionWindow + streams × MinStreamWindow), the
// exhaustion is counted and global backpressure (window exhausted) stops
// every window from growing until enough of the window is free again.
// Shares of failed and closed streams are released as soon as they end
// (forced cleanup), which is what frees room.

// allocateStreamWindow gives a new stream its share: the initial window,
// or what is free if at least MinStreamWindow, or MinStreamWindow beyond
// the session window (exhausted true).
func (m *dataPresentationManager) allocateStreamWindow(streamID uint64, meta *StreamMetadata) (window uint64, exhausted bool) {
	cfg := m.config()
	want := cfg.InitialStreamWindow
	if meta != nil && meta.InitialWindow > 0 {
		want = min(max(meta.InitialWindow, cfg.MinStreamWindow), cfg.MaxStreamWindow)
	}
	if w, ok := m.rwm.allocateUpTo(streamID, want, cfg.MinStreamWindow); ok {
		return w, false
	}
	m.rwm.forceAllocate(streamID, cfg.MinStreamWindow)
	return cfg.MinStreamWindow, true
}

// onWindowExhausted records an exhaustion and turns global backpressure on.
func (m *dataPresentationManager) onWindowExhausted(streamID, granted uint64) {
	m.exhaustions.Add(1)
	m.config().Logger.Warn("presentation: session receive window exhausted; granted the minimum stream window",
		"stream", streamID, "granted", granted, "window", m.rwm.GetWindowSize(), "allocated", m.rwm.allocated.Load())
	m.checkExhaustion(true)
}

// checkExhaustion turns exhaustion backpressure on (start) and keeps it on
// while a new stream would not get its minimum window.
func (m *dataPresentationManager) checkExhaustion(start bool) {
	m.windowExhausted.reconcile(func(on bool) bool {
		return (on || start) && m.rwm.GetAvailableWindow() < m.config().MinStreamWindow
	}, BackpressureReasonWindowExhausted, m.bpm)
}

// releaseStreamWindow gives an ended stream's share back and lifts the
// exhaustion backpressure once a new stream would get its minimum again.
func (m *dataPresentationManager) releaseStreamWindow(streamID uint64) {
	if m.rwm.ReleaseWindow(streamID) != nil {
		return // already released
	}
	m.advertiseSession()
	m.checkExhaustion(false)
}

// ForceCleanup releases the window shares of every failed stream still
// registered and returns how many bytes of window it freed. Failing a
// stream already does this; ForceCleanup is the explicit, idempotent form
// an administrator can call when the window looks exhausted.
func (m *dataPresentationManager) ForceCleanup() uint64 {
	m.mu.RLock()
	var ended []uint64
	for id, s := range m.streams {
		s.mu.Lock()
		if s.state != stateOpen {
			ended = append(ended, id)
		}
		s.mu.Unlock()
	}
	m.mu.RUnlock()
	var freed uint64
	for _, id := range ended {
		if w, ok := m.rwm.StreamWindow(id); ok {
			freed += w
			m.releaseStreamWindow(id)
		}
	}
	return freed
}
