package presentation

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// ErrInvalidStreamID is returned for stream IDs beyond the 62-bit range.
var ErrInvalidStreamID = errors.New("presentation: stream ID beyond 2^62-1")

// dataPresentationManager is the DataPresentationManager. Lock order:
// mu (stream map) before a stream's lock before the window manager's lock.
// Callbacks run with none of them held.
type dataPresentationManager struct {
	cfg    atomic.Pointer[PresentationConfig]
	pool   *bufferPool
	rwm    *receiveWindowManager
	bpm    *backpressureManager
	timers timerGroup
	rttNs  atomic.Int64 // 0 until SetRTT

	mu      rwMutex
	streams map[uint64]*streamBuffer
	closed  bool
	gone    streamCounters // counters of removed streams
	created uint64
	removed uint64

	events Events // given once at construction

	memory atomic.Int64 // capacity of every buffer the streams hold
	ranges atomic.Int64 // disjoint ranges buffered, all streams

	sessionAdvertised atomic.Uint64
	exhaustions       atomic.Uint64
	gapReports        atomic.Uint64

	metrics metricsState
}

// NewDataPresentationManager returns a manager configured by cfg (nil:
// defaults), or the *ConfigError of an invalid cfg.
func NewDataPresentationManager(cfg *PresentationConfig) (DataPresentationManager, error) {
	return newDataPresentationManager(cfg)
}

func newDataPresentationManager(cfg *PresentationConfig) (*dataPresentationManager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	m := &dataPresentationManager{
		pool:    newBufferPool(),
		streams: make(map[uint64]*streamBuffer),
		events:  c.Events,
	}
	if m.events == nil {
		m.events = NoEvents{}
	}
	m.rwm = &receiveWindowManager{m: m}
	m.rwm.size.Store(c.SessionWindow)
	m.bpm = &backpressureManager{m: m}
	m.cfg.Store(c)
	m.sessionAdvertised.Store(m.rwm.sessionLimit())
	m.metrics.init()
	return m, nil
}

func (m *dataPresentationManager) config() *PresentationConfig { return m.cfg.Load() }

func (m *dataPresentationManager) rtt() time.Duration {
	if r := m.rttNs.Load(); r > 0 {
		return time.Duration(r)
	}
	return m.config().DefaultRTT
}

// CreateStreamBuffer opens a stream's buffer with its window share.
func (m *dataPresentationManager) CreateStreamBuffer(streamID uint64, meta *StreamMetadata) error {
	if streamID > maxOffset {
		return ErrInvalidStreamID
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	if _, ok := m.streams[streamID]; ok {
		m.mu.Unlock()
		return streamErr(streamID, ErrStreamExists)
	}
	window, exhausted := m.allocateStreamWindow(meta)
	m.streams[streamID] = newStreamBuffer(streamID, meta, m, window)
	m.created++
	m.mu.Unlock()
	if exhausted {
		m.onWindowExhausted(streamID, window)
	}
	m.advertiseSession()
	return nil
}

// RemoveStreamBuffer frees a stream's buffer and window share.
func (m *dataPresentationManager) RemoveStreamBuffer(streamID uint64) error {
	m.mu.Lock()
	s, ok := m.streams[streamID]
	if !ok {
		closed := m.closed
		m.mu.Unlock()
		if closed {
			return ErrClosed
		}
		return streamErr(streamID, ErrStreamNotFound)
	}
	delete(m.streams, streamID)
	m.removed++
	var eff effects
	s.mu.Lock()
	s.endLocked(stateClosed, streamErr(streamID, ErrStreamClosed), &eff)
	m.gone.add(&s.st)
	s.mu.Unlock()
	m.mu.Unlock()
	m.applyEffects(s, eff)
	return nil
}

// eachStream calls f on every stream, under the stream's lock.
func (m *dataPresentationManager) eachStream(f func(s *streamBuffer)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, s := range m.streams {
		s.mu.Lock()
		f(s)
		s.mu.Unlock()
	}
}

// GetStreamBuffer returns a stream's buffer.
func (m *dataPresentationManager) GetStreamBuffer(streamID uint64) (StreamBuffer, error) {
	s, err := m.lookup(streamID)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (m *dataPresentationManager) lookup(streamID uint64) (*streamBuffer, error) {
	m.mu.RLock()
	s, ok := m.streams[streamID]
	closed := m.closed
	m.mu.RUnlock()
	switch {
	case ok:
		return s, nil
	case closed:
		return nil, ErrClosed
	}
	return nil, streamErr(streamID, ErrStreamNotFound)
}

// GetBuffer returns a pooled slice of length n.
func (m *dataPresentationManager) GetBuffer(n int) []byte { return m.pool.getSlice(n) }

// PutBuffer gives back an unwritten slice from GetBuffer.
func (m *dataPresentationManager) PutBuffer(b []byte) { m.pool.putSlice(b) }

// WriteToStream stores data at offset of a stream.
func (m *dataPresentationManager) WriteToStream(streamID uint64, offset uint64, data []byte, meta *DataMetadata) error {
	var md DataMetadata
	if meta != nil {
		md = *meta
	}
	pooled := md.Flags&DataFlagPooled != 0
	s, err := m.lookup(streamID)
	if err != nil {
		if pooled {
			m.pool.putSlice(data)
		}
		return err
	}
	eff, err := s.write(offset, data, pooled, md)
	m.applyEffects(s, eff)
	if err != nil {
		m.logWriteError(err, streamID, md.PathID)
	}
	return err
}

func (m *dataPresentationManager) logWriteError(err error, streamID, pathID uint64) {
	log := m.config().Logger
	switch {
	case isConflict(err):
		log.Warn("presentation: stream failed on conflicting data", "stream", streamID, "path", pathID, "err", err)
	case errors.Is(err, ErrFlowControl), errors.Is(err, ErrFinalSize):
		log.Warn("presentation: write rejected", "stream", streamID, "path", pathID, "err", err)
	default:
		log.Debug("presentation: write dropped", "stream", streamID, "path", pathID, "err", err)
	}
}

// ReadFromStream blocks until at least one byte, io.EOF or an error.
func (m *dataPresentationManager) ReadFromStream(streamID uint64, p []byte) (int, error) {
	return m.ReadFromStreamContext(context.Background(), streamID, p)
}

// ReadFromStreamContext is ReadFromStream bounded by ctx.
func (m *dataPresentationManager) ReadFromStreamContext(ctx context.Context, streamID uint64, p []byte) (int, error) {
	s, err := m.lookup(streamID)
	if err != nil {
		return 0, err
	}
	return s.readWait(ctx, p, nil)
}

// ReadFromStreamWithTimeout is ReadFromStream bounded by d.
func (m *dataPresentationManager) ReadFromStreamWithTimeout(streamID uint64, p []byte, d time.Duration) (int, error) {
	s, err := m.lookup(streamID)
	if err != nil {
		return 0, err
	}
	t := time.NewTimer(d) // d <= 0: fires at once, after the first look

	defer t.Stop()
	return s.readWait(context.Background(), p, t.C)
}

// FailStream fails a stream: reads return err, memory and share are freed.
func (m *dataPresentationManager) FailStream(streamID uint64, err error) error {
	s, lerr := m.lookup(streamID)
	if lerr != nil {
		return lerr
	}
	return s.fail(err)
}

// StreamLimit returns the stream's absolute limit.
func (m *dataPresentationManager) StreamLimit(streamID uint64) (uint64, error) {
	s, err := m.lookup(streamID)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen {
		return 0, streamErr(streamID, ErrStreamClosed)
	}
	return s.limit, nil
}

// SessionLimit returns the session's absolute limit.
func (m *dataPresentationManager) SessionLimit() uint64 { return m.rwm.sessionLimit() }

// SenderBlocked answers a sender stuck at limit with the current limit.
func (m *dataPresentationManager) SenderBlocked(streamID uint64, limit uint64) error {
	s, err := m.lookup(streamID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return streamErr(streamID, ErrStreamClosed)
	}
	cur := s.limit
	// A limit above ours was never advertised: no reason to grow.
	if limit <= cur && s.growOnBlockedLocked(limit) {
		cur = s.limit
	}
	if cur > limit {
		s.advertised = cur
	} else {
		// Advertise the very next increase, however small: a sender that
		// sits exactly at the limit may hold the bytes the reader waits for.
		s.senderBlocked = true
	}
	s.mu.Unlock()
	if cur > limit {
		m.applyEffects(s, effects{advertise: true, limit: cur})
	}
	return nil
}

// MissingRanges returns what a stream still needs.
func (m *dataPresentationManager) MissingRanges(streamID uint64) (MissingRanges, error) {
	s, err := m.lookup(streamID)
	if err != nil {
		return MissingRanges{}, err
	}
	return s.MissingRanges(), nil
}

// SetRTT sets the RTT auto-tuning assumes; non-positive values restore the default.
func (m *dataPresentationManager) SetRTT(rtt time.Duration) { m.rttNs.Store(max(int64(rtt), 0)) }

// UpdateConfig validates and applies cfg at run time.
func (m *dataPresentationManager) UpdateConfig(cfg *PresentationConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	c := cfg.withDefaults()
	c.Events = m.config().Events
	m.cfg.Store(c)
	return m.rwm.SetWindowSize(c.SessionWindow)
}

// Config returns the configuration in force.
func (m *dataPresentationManager) Config() PresentationConfig { return *m.config() }

// ReceiveWindowManager returns the session window manager.
func (m *dataPresentationManager) ReceiveWindowManager() ReceiveWindowManager { return m.rwm }

// BackpressureManager returns the backpressure manager.
func (m *dataPresentationManager) BackpressureManager() BackpressureManager { return m.bpm }

// applyEffects does, outside the stream lock, what a stream operation asked.
func (m *dataPresentationManager) applyEffects(s *streamBuffer, eff effects) {
	eff.wakeReader()
	if eff.usedMoved {
		m.rwm.crossed(eff.usedFrom, eff.usedTo)
		m.checkMemoryPressure()
	}
	if eff.consumed {
		m.advertiseSession()
	}
	if eff.advertise {
		m.events.StreamLimitMoved(s.id, eff.limit)
	}
	m.bpm.notify(eff.bp)
	if eff.ended {
		m.afterRelease()
	}
}

// wakeReader sets the readable gate of a stream with a reader to wake.
func (eff *effects) wakeReader() {
	if eff.wake != nil {
		eff.wake.Set()
	}
}

// advertiseSession tells Events.SessionLimitMoved when the session limit
// moved by a quarter of the session window since it was last told.
func (m *dataPresentationManager) advertiseSession() {
	limit := m.rwm.sessionLimit()
	last := m.sessionAdvertised.Load()
	if limit >= last+m.rwm.size.Load()/4 && m.sessionAdvertised.CompareAndSwap(last, limit) {
		m.events.SessionLimitMoved(limit)
	}
}

// checkMemoryPressure turns global memory-pressure backpressure on above
// GlobalBackpressureThreshold of the session window and off below
// BackpressureLowWater of it.
func (m *dataPresentationManager) checkMemoryPressure() {
	m.bpm.reconcile(BackpressureReasonMemoryPressure, func(on bool) bool {
		cfg := m.config()
		// What the buffers cost, not only the bytes they hold.
		used := float64(max(m.rwm.used.Load(), uint64(max(m.memory.Load(), 0))))
		size := float64(m.rwm.size.Load())
		switch {
		case used >= cfg.GlobalBackpressureThreshold*size:
			return true
		case used <= cfg.BackpressureLowWater*size:
			return false
		}
		return on
	})
}

// reportGap counts, logs and forwards a persistent-gap report.
func (m *dataPresentationManager) reportGap(r GapReport) {
	m.gapReports.Add(1)
	m.config().Logger.Info("presentation: persistent gap", "stream", r.StreamID, "read_offset", r.ReadOffset, "missing", len(r.Missing), "age", r.Age)
	m.events.GapPersists(r)
}

// Close fails every stream with ErrClosed and stops every gap timer.
func (m *dataPresentationManager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	streams := m.streams
	m.streams = make(map[uint64]*streamBuffer)
	for _, s := range streams {
		var eff effects
		s.mu.Lock()
		s.endLocked(stateClosed, ErrClosed, &eff)
		m.gone.add(&s.st)
		s.mu.Unlock()
		eff.wakeReader()
	}
	m.mu.Unlock()
	m.timers.closeAndWait()
	return nil
}
