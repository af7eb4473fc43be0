package presentation

import (
	"time"
)

// Metrics is a snapshot of a manager's production metrics (seed 10.3).
// Counters include removed streams.
type Metrics struct {
	Time time.Time

	BytesWritten          uint64 // new bytes stored
	BytesRead             uint64
	DuplicateBytes        uint64 // identical bytes received again
	Writes                uint64
	Reads                 uint64
	Conflicts             uint64
	FlowControlViolations uint64

	// Throughput over Interval, the time since the previous snapshot that
	// was at least PresentationConfig.MetricsInterval old (or since start).
	WriteThroughput float64 // bytes/s
	ReadThroughput  float64 // bytes/s
	Interval        time.Duration

	// Arrival-to-read latency of stored pieces.
	LatencyAvg time.Duration
	LatencyMax time.Duration

	ActiveStreams     int
	BufferedBytes     uint64
	BufferUtilization float64 // buffered / sum of the stream windows

	WindowSize        uint64
	WindowAllocated   uint64
	WindowUsed        uint64
	WindowUtilization float64

	BackpressureEvents        uint64 // per-stream activations
	GlobalBackpressureEvents  uint64
	BackpressureActiveStreams int
	GlobalBackpressure        bool

	GapReports        uint64
	WindowExhaustions uint64
	PoolRequests      uint64 // buffers asked of the pool
	PoolAllocations   uint64 // of which freshly allocated
}

// metricsSample is the counters at one instant, for throughput.
type metricsSample struct {
	t             time.Time
	written, read uint64
}

// metricsState keeps what throughput needs between snapshots.
type metricsState struct {
	mu        mutex
	ref       metricsSample // start of the current interval
	lastW     float64
	lastR     float64
	lastSpan  time.Duration
	haveRates bool
}

func (s *metricsState) init() { s.ref.t = time.Now() }

// rates returns throughput over the last interval of at least minSpan,
// starting a new interval when the current one is long enough.
func (s *metricsState) rates(now metricsSample, minSpan time.Duration) (w, r float64, span time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	span = now.t.Sub(s.ref.t)
	if span >= minSpan || !s.haveRates {
		if secs := span.Seconds(); secs > 0 {
			s.lastW = float64(now.written-s.ref.written) / secs
			s.lastR = float64(now.read-s.ref.read) / secs
			s.lastSpan = span
			s.haveRates = true
		}
		if span >= minSpan {
			s.ref = now
		}
	}
	return s.lastW, s.lastR, s.lastSpan
}

// totals sums the counters of every stream, removed ones included.
func (m *dataPresentationManager) totals() (c streamCounters, buffered, windows uint64, active int) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c = m.gone
	for _, s := range m.streams {
		s.mu.Lock()
		c.add(&s.st)
		buffered += s.buffered
		windows += s.window
		s.mu.Unlock()
		active++
	}
	return c, buffered, windows, active
}

// Metrics returns a snapshot of the production metrics.
func (m *dataPresentationManager) Metrics() Metrics {
	c, buffered, windows, active := m.totals()
	now := time.Now()
	bp := m.bpm.GetBackpressureStats()
	mt := Metrics{
		Time:                      now,
		BytesWritten:              c.bytesWritten,
		BytesRead:                 c.bytesRead,
		DuplicateBytes:            c.duplicates,
		Writes:                    c.writes,
		Reads:                     c.reads,
		Conflicts:                 c.conflicts,
		FlowControlViolations:     c.flowViolations,
		LatencyMax:                time.Duration(c.latencyMax),
		ActiveStreams:             active,
		BufferedBytes:             buffered,
		WindowSize:                m.rwm.GetWindowSize(),
		WindowAllocated:           m.rwm.allocated.Load(),
		WindowUsed:                m.rwm.used.Load(),
		WindowUtilization:         m.rwm.GetWindowUtilization(),
		BackpressureEvents:        bp.Activations,
		GlobalBackpressureEvents:  bp.GlobalActivations,
		BackpressureActiveStreams: bp.ActiveStreams,
		GlobalBackpressure:        bp.GlobalActive,
		GapReports:                m.gapReports.Load(),
		WindowExhaustions:         m.exhaustions.Load(),
		PoolRequests:              m.pool.gets.Load(),
		PoolAllocations:           m.pool.news.Load(),
	}
	if c.latencyCount > 0 {
		mt.LatencyAvg = time.Duration(c.latencySum / c.latencyCount)
	}
	if windows > 0 {
		mt.BufferUtilization = float64(buffered) / float64(windows)
	}
	mt.WriteThroughput, mt.ReadThroughput, mt.Interval = m.metrics.rates(
		metricsSample{t: now, written: c.bytesWritten, read: c.bytesRead}, m.config().MetricsInterval)
	return mt
}

// GetStreamStats returns one stream's counters.
func (m *dataPresentationManager) GetStreamStats(streamID uint64) (StreamStats, error) {
	s, err := m.lookup(streamID)
	if err != nil {
		return StreamStats{}, err
	}
	return s.Stats(), nil
}

// GetGlobalStats summarises every stream.
func (m *dataPresentationManager) GetGlobalStats() GlobalPresentationStats {
	m.mu.RLock()
	g := GlobalPresentationStats{
		BytesWritten:   m.gone.bytesWritten,
		BytesRead:      m.gone.bytesRead,
		StreamsCreated: m.created,
		StreamsRemoved: m.removed,
	}
	for _, s := range m.streams {
		s.mu.Lock()
		g.ActiveStreams++
		if s.state == stateFailed {
			g.FailedStreams++
		}
		g.TotalBuffered += s.buffered
		g.BytesWritten += s.st.bytesWritten
		g.BytesRead += s.st.bytesRead
		s.mu.Unlock()
	}
	m.mu.RUnlock()
	g.SessionLimit = m.SessionLimit()
	g.Window = *m.rwm.GetWindowStatus()
	g.Backpressure = m.bpm.GetBackpressureStats()
	g.WindowExhausted = m.exhaustions.Load()
	g.GapReports = m.gapReports.Load()
	return g
}
