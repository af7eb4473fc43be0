package scheduler

import (
	"log/slog"
	"time"
)

// Defaults applied by [Config] to zero fields.
const (
	// DefaultPieceSize is the piece size for objects of at least
	// minPiecesPerObject × DefaultPieceSize bytes.
	DefaultPieceSize = 256 << 10
	// DefaultReportInterval is how often the receiver is expected to report.
	DefaultReportInterval = 25 * time.Millisecond
	// DefaultWindow is the receiver's stream flow-control window assumed when
	// none is given.
	DefaultWindow = 16 << 20
)

const (
	// maxSize is the largest object: stream offsets are QUIC varints.
	maxSize = 1<<62 - 1
	// minPieceSize bounds the per-piece overhead (one command, one entry)
	// when the piece size is chosen for a small object.
	minPieceSize = 16 << 10
	// minPiecesPerObject is how many pieces an adaptively sized object is
	// cut into at least, so that small objects still spread over paths.
	minPiecesPerObject = 64
	// minExplicitPieceSize keeps each command worth its overhead.
	minExplicitPieceSize = 1 << 10
	// minReportInterval keeps stall timeouts, which are a few report
	// intervals, above scheduling noise.
	minReportInterval = time.Millisecond
	// maxWindowPieces caps the window in pieces, which bounds the plan's
	// memory (one small record per piece handed out and not yet complete).
	maxWindowPieces = 1 << 16
)

// Config says what to distribute and what is known about the receiver.
// The zero value of every field except Size selects its default.
type Config struct {
	// Size is the object's length in bytes: offsets 0..Size are delivered.
	// It must be at most 2^62-1. A zero Size is complete at once.
	Size uint64
	// PieceSize is the unit of work handed to a path. Zero selects
	// DefaultPieceSize, reduced for small objects so that there are at least
	// 64 pieces, but never below 16 KiB. An explicit value must be at least
	// 1 KiB.
	PieceSize uint64
	// ReportInterval is how often the receiver reports delivered bytes.
	// Zero selects DefaultReportInterval; otherwise it must be at least 1ms.
	// It sets how much work each path is
	// given ahead and how soon a path without progress counts as stalled.
	ReportInterval time.Duration
	// Window is the receiver's per-stream flow-control window in bytes.
	// No piece is handed out that ends more than Window bytes past the lowest
	// incomplete offset: a source could not write it anyway, and holding the
	// piece back keeps it free for whichever path drains first. Zero selects
	// DefaultWindow; a value of at least Size disables the limit. It must be
	// at least the piece size, and is capped at 65536 pieces.
	Window uint64
	// InitialRates optionally gives starting estimates of paths' rates in
	// bytes per second, by path ID. They are refined from reports at once.
	InitialRates map[uint64]uint64
	// OnReceiverLimit, if set, is called from Run, once per limit value,
	// when a path could take more work but the next piece ends beyond the
	// limit given to SetReceiverLimit: the receiver's window, not the
	// paths, holds the transfer back. A caller tells the receiver so, as
	// QUIC's STREAM_DATA_BLOCKED does, and it may widen the window.
	OnReceiverLimit func(limit uint64)
	// HoldBack, if not nil, gives one path no work at the start: see
	// HoldBack.
	HoldBack *HoldBack
	// Relay, if not nil, is the ID of the path over which the other paths'
	// commands travel: see Relay.
	Relay *Relay
	// Logger receives debug records about path events and duplication.
	// Nil discards them.
	Logger *slog.Logger
}

// HoldBack keeps path PathID without work from when it is added until
// every other live path's rate is measured, or for at most For. Spread
// holds the primary back: when its path is the slowest, its own bytes fill
// that path's bottleneck queue from the first millisecond, and the other
// paths' first commands, relayed over it, wait behind them (60-130 ms on
// a 10 Mbit/s path with a 50 ms queue) while the fast paths idle. The path
// is released early when the others that were added are all down.
type HoldBack struct {
	PathID uint64
	For    time.Duration
}

// Relay names path PathID as the one the other paths' commands cross
// (Spread relays them through the client over the primary's path). While
// it is at most half as fast as every other path, its own work ahead is
// kept to what it drains in about a report interval, in pieces of half
// that: with the usual work ahead its bytes kept its bottleneck queue full
// (75 ms at 10 Mbit/s with tbf latency 50 ms and a 32 KB burst), and every
// command waited behind them, so that tail pieces and copies for the fast
// paths started late.
type Relay struct {
	PathID uint64
}

// withDefaults returns c with defaults applied, or a *ConfigError.
func (c Config) withDefaults() (Config, error) {
	if c.Size > maxSize {
		return c, &ConfigError{Field: "Size", Reason: "exceeds 2^62-1, the largest stream offset"}
	}
	switch {
	case c.ReportInterval == 0:
		c.ReportInterval = DefaultReportInterval
	case c.ReportInterval < minReportInterval:
		return c, &ConfigError{Field: "ReportInterval", Reason: "is below 1ms; use 0 for the default"}
	}
	switch {
	case c.PieceSize == 0:
		c.PieceSize = adaptivePieceSize(c.Size)
	case c.PieceSize < minExplicitPieceSize:
		return c, &ConfigError{Field: "PieceSize", Reason: "is below 1 KiB; use 0 for an adaptive size"}
	case c.PieceSize > maxSize:
		return c, &ConfigError{Field: "PieceSize", Reason: "exceeds 2^62-1"}
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.Window < c.PieceSize {
		return c, &ConfigError{Field: "Window", Reason: "is smaller than PieceSize, so no piece could ever be handed out; lower PieceSize or raise Window"}
	}
	if c.Window/maxWindowPieces > c.PieceSize {
		c.Window = c.PieceSize * maxWindowPieces
	}
	if c.HoldBack != nil && c.HoldBack.For < 0 {
		return c, &ConfigError{Field: "HoldBack.For", Reason: "is negative"}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// adaptivePieceSize picks DefaultPieceSize unless the object is too small to
// give every path several pieces.
func adaptivePieceSize(size uint64) uint64 {
	ps := uint64(DefaultPieceSize)
	if size/minPiecesPerObject < ps {
		ps = size / minPiecesPerObject
	}
	return max(ps, minPieceSize)
}
