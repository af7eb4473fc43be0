package presentation

import (
	"log/slog"
	"time"
)

// Defaults applied to zero-valued PresentationConfig fields.
const (
	DefaultSessionWindow               = 24 << 20
	DefaultInitialStreamWindow         = 512 << 10
	DefaultMaxStreamWindow             = 16 << 20
	DefaultMinStreamWindow             = 64 << 10
	DefaultGapTimeout                  = 2 * time.Second
	DefaultBackpressureHighWater       = 0.9
	DefaultBackpressureLowWater        = 0.5
	DefaultGlobalBackpressureThreshold = 0.9
	DefaultEscalationStreams           = 16
	DefaultSlowReaderTimeout           = time.Second
	DefaultRTT                         = 100 * time.Millisecond
	DefaultMetricsInterval             = time.Second
	DefaultMaxStreamRanges             = 1024
	DefaultMaxSessionRanges            = 16384

	// maxOffset is the largest stream offset (QUIC varint range).
	maxOffset = 1<<62 - 1
)

// PresentationConfig tunes the receive side. The zero value of every field
// means its default (Default... constants). It can be changed at run time
// with DataPresentationManager.UpdateConfig: new windows apply at the next
// allocation or auto-tune, thresholds at the next evaluation.
type PresentationConfig struct {
	// SessionWindow is the receive window shared by all streams (24 MiB).
	SessionWindow uint64
	// InitialStreamWindow is a new stream's share (512 KiB).
	InitialStreamWindow uint64
	// MaxStreamWindow bounds auto-tuning (16 MiB).
	MaxStreamWindow uint64
	// MinStreamWindow is granted to every stream even when the session
	// window is exhausted, so that no stream deadlocks behind others (64 KiB).
	MinStreamWindow uint64
	// GapTimeout is how long a reader may wait at a hole while later bytes
	// are buffered before Events.GapPersists is told (2 s).
	GapTimeout time.Duration
	// BackpressureHighWater is the fraction of a stream's window buffered
	// that starts per-stream backpressure (0.9).
	BackpressureHighWater float64
	// BackpressureLowWater is the fraction below which it stops (0.5).
	BackpressureLowWater float64
	// GlobalBackpressureThreshold is the fraction of the session window
	// buffered that starts global backpressure (0.9); it stops below
	// BackpressureLowWater of the session window.
	GlobalBackpressureThreshold float64
	// EscalationStreams is how many streams under backpressure at once
	// escalate to global backpressure (16).
	EscalationStreams int
	// SlowReaderTimeout: a stream under backpressure whose reader has not
	// read for this long is reported as a slow consumer (1 s).
	SlowReaderTimeout time.Duration
	// DefaultRTT is the RTT assumed by auto-tuning before SetRTT (100 ms).
	DefaultRTT time.Duration
	// MetricsInterval is the shortest interval over which Metrics computes
	// throughput (1 s).
	MetricsInterval time.Duration
	// MaxStreamRanges bounds the disjoint ranges of unread bytes one stream
	// may hold (1024, or one per 8 KiB of the stream's window if that is
	// more): a write that would open one more is refused with a
	// *RangeLimitError, and the session closes the path that sent it.
	// Legitimate delivery stays far below (docs/DESIGN.md): raise it only
	// for pieces smaller than 16 KiB in large windows.
	MaxStreamRanges int
	// MaxSessionRanges bounds them summed over every stream (16384, or one
	// per 8 KiB of the session window if that is more).
	MaxSessionRanges int
	// Logger receives debug and warning records; nil discards them.
	Logger *slog.Logger
	// Events is told what the session acts on (credit to advertise,
	// persistent gaps, backpressure); nil ignores them. It is read once,
	// by NewDataPresentationManager: UpdateConfig keeps the first.
	Events Events
}

// DefaultPresentationConfig returns a config with every default filled in.
func DefaultPresentationConfig() *PresentationConfig {
	return (&PresentationConfig{}).withDefaults()
}

// withDefaults returns a copy of c with zero fields replaced by defaults.
func (c *PresentationConfig) withDefaults() *PresentationConfig {
	var r PresentationConfig
	if c != nil {
		r = *c
	}
	setDefault(&r.SessionWindow, DefaultSessionWindow)
	setDefault(&r.InitialStreamWindow, DefaultInitialStreamWindow)
	setDefault(&r.MaxStreamWindow, DefaultMaxStreamWindow)
	setDefault(&r.MinStreamWindow, DefaultMinStreamWindow)
	setDefault(&r.GapTimeout, DefaultGapTimeout)
	setDefault(&r.BackpressureHighWater, DefaultBackpressureHighWater)
	setDefault(&r.BackpressureLowWater, DefaultBackpressureLowWater)
	setDefault(&r.GlobalBackpressureThreshold, DefaultGlobalBackpressureThreshold)
	setDefault(&r.EscalationStreams, DefaultEscalationStreams)
	setDefault(&r.SlowReaderTimeout, DefaultSlowReaderTimeout)
	setDefault(&r.DefaultRTT, DefaultRTT)
	setDefault(&r.MetricsInterval, DefaultMetricsInterval)
	setDefault(&r.MaxStreamRanges, DefaultMaxStreamRanges)
	setDefault(&r.MaxSessionRanges, DefaultMaxSessionRanges)
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	return &r
}

func setDefault[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}

// Validate reports the first invalid field, after defaults are applied to
// zero fields, as a *ConfigError naming the field and its valid range.
func (c *PresentationConfig) Validate() error {
	r := c.withDefaults()
	switch {
	case r.SessionWindow > maxOffset:
		return &ConfigError{"SessionWindow", r.SessionWindow, "must be at most 2^62-1"}
	case r.MinStreamWindow > r.SessionWindow:
		return &ConfigError{"MinStreamWindow", r.MinStreamWindow, "must be at most SessionWindow"}
	case r.MaxStreamWindow > maxOffset:
		return &ConfigError{"MaxStreamWindow", r.MaxStreamWindow, "must be at most 2^62-1"}
	case r.MinStreamWindow > r.InitialStreamWindow:
		return &ConfigError{"MinStreamWindow", r.MinStreamWindow, "must be at most InitialStreamWindow"}
	case r.InitialStreamWindow > r.MaxStreamWindow:
		return &ConfigError{"InitialStreamWindow", r.InitialStreamWindow, "must be at most MaxStreamWindow"}
	case r.GapTimeout < 0:
		return &ConfigError{"GapTimeout", r.GapTimeout, "must be positive (0 means 2s)"}
	case !(r.BackpressureHighWater > 0 && r.BackpressureHighWater <= 1):
		return &ConfigError{"BackpressureHighWater", r.BackpressureHighWater, "must be in (0, 1]"}
	case !(r.BackpressureLowWater > 0 && r.BackpressureLowWater < r.BackpressureHighWater):
		return &ConfigError{"BackpressureLowWater", r.BackpressureLowWater, "must be in (0, BackpressureHighWater)"}
	case !(r.GlobalBackpressureThreshold > r.BackpressureLowWater && r.GlobalBackpressureThreshold <= 1):
		return &ConfigError{"GlobalBackpressureThreshold", r.GlobalBackpressureThreshold, "must be in (BackpressureLowWater, 1]"}
	case r.EscalationStreams < 0:
		return &ConfigError{"EscalationStreams", r.EscalationStreams, "must be positive (0 means 16)"}
	case r.SlowReaderTimeout < 0:
		return &ConfigError{"SlowReaderTimeout", r.SlowReaderTimeout, "must be positive (0 means 1s)"}
	case r.DefaultRTT < 0:
		return &ConfigError{"DefaultRTT", r.DefaultRTT, "must be positive (0 means 100ms)"}
	case r.MaxStreamRanges < 0:
		return &ConfigError{"MaxStreamRanges", r.MaxStreamRanges, "must not be negative (0 means 1024)"}
	case r.MaxSessionRanges < 0:
		return &ConfigError{"MaxSessionRanges", r.MaxSessionRanges, "must not be negative (0 means 16384)"}
	case r.MetricsInterval < 0:
		return &ConfigError{"MetricsInterval", r.MetricsInterval, "must be positive (0 means 1s)"}
	}
	return nil
}
