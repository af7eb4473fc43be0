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
func (m *dataPresentationManager) allocateStreamWindow(meta *StreamMetadata) (window uint64, exhausted bool) {
	cfg := m.config()
	want := cfg.InitialStreamWindow
	if meta != nil && meta.InitialWindow > 0 {
		want = min(max(meta.InitialWindow, cfg.MinStreamWindow), cfg.MaxStreamWindow)
	}
	if w := m.rwm.reserve(want, cfg.MinStreamWindow); w > 0 {
		return w, false
	}
	m.rwm.allocated.Add(cfg.MinStreamWindow)
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
	m.bpm.reconcile(BackpressureReasonWindowExhausted, func(on bool) bool {
		return (on || start) && m.rwm.GetAvailableWindow() < m.config().MinStreamWindow
	})
}

// releaseShareLocked gives the stream's share back to the session window,
// once; it reports whether it held one.
func (s *streamBuffer) releaseShareLocked() bool {
	if !s.shared {
		return false
	}
	s.shared = false
	s.m.rwm.allocated.Add(-s.window)
	return true
}

// afterRelease advertises the room a released share made and lifts the
// exhaustion backpressure once a new stream would get its minimum again.
func (m *dataPresentationManager) afterRelease() {
	m.advertiseSession()
	m.checkExhaustion(false)
}

// ForceCleanup releases the window shares of every failed stream still
// registered and returns how many bytes of window it freed. Failing a
// stream already does this; ForceCleanup is the explicit, idempotent form
// an administrator can call when the window looks exhausted.
func (m *dataPresentationManager) ForceCleanup() uint64 {
	var freed uint64
	m.eachStream(func(s *streamBuffer) {
		if w := s.window; s.state != stateOpen && s.releaseShareLocked() {
			freed += w
		}
	})
	if freed > 0 {
		m.afterRelease()
	}
	return freed
}
