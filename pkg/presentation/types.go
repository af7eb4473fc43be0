package presentation

import (
	"fmt"
	"time"
)

// StreamType says what a logical stream carries.
type StreamType uint8

// Stream types.
const (
	StreamTypeData    StreamType = iota // application bytes (the default)
	StreamTypeControl                   // KWIK-internal control bytes
)

// String returns the type's name.
func (t StreamType) String() string { return nameOf(uint8(t), "StreamType", "data", "control") }

// nameOf returns names[v], or typ(v) for a value without a name.
func nameOf(v uint8, typ string, names ...string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, v)
}

// StreamPriority orders streams when the session is under pressure: only
// StreamPriorityCritical streams may still grow their window while global
// backpressure is active.
type StreamPriority uint8

// Stream priorities.
const (
	StreamPriorityNormal StreamPriority = iota // the default
	StreamPriorityLow
	StreamPriorityHigh
	StreamPriorityCritical
)

// String returns the priority's name.
func (p StreamPriority) String() string {
	return nameOf(uint8(p), "StreamPriority", "normal", "low", "high", "critical")
}

// DataFlags qualify one write.
type DataFlags uint8

// Data flags.
const (
	// DataFlagFin says offset+len(data) is the stream's final size.
	DataFlagFin DataFlags = 1 << iota
	// DataFlagPooled says data came from GetBuffer and its ownership passes
	// to the presentation layer, which keeps it as it is when it is large
	// and fills most of its slice, and otherwise copies it into the
	// stream's blocks and recycles the slice.
	DataFlagPooled
)

// BackpressureReason says why backpressure is active.
type BackpressureReason uint8

// Backpressure reasons.
const (
	BackpressureReasonNone            BackpressureReason = iota
	BackpressureReasonBufferFull                         // a stream buffered its high-water share of its window
	BackpressureReasonSlowConsumer                       // as BufferFull, and its reader has not read for SlowReaderTimeout
	BackpressureReasonWindowExhausted                    // the session window could not satisfy an allocation
	BackpressureReasonMemoryPressure                     // the session buffered its high-water share of the session window
	BackpressureReasonEscalation                         // too many streams are under backpressure at once
	BackpressureReasonManual                             // activated by the application
)

// String returns the reason's name.
func (r BackpressureReason) String() string {
	return nameOf(uint8(r), "BackpressureReason", "none", "buffer-full", "slow-consumer", "window-exhausted", "memory-pressure", "escalation", "manual")
}

// GlobalBackpressureStreamID is the stream ID Events.BackpressureChanged
// receives for session-wide (global) transitions. It is above the 62-bit
// stream ID space.
const GlobalBackpressureStreamID = ^uint64(0)

// StreamMetadata describes a stream when its buffer is created.
type StreamMetadata struct {
	Type     StreamType
	Priority StreamPriority
	// InitialWindow overrides PresentationConfig.InitialStreamWindow for this
	// stream when non-zero.
	InitialWindow uint64
}

// DataMetadata qualifies one write.
type DataMetadata struct {
	PathID uint64 // path the bytes came from (statistics, error reports)
	Flags  DataFlags
}

// Range is a half-open range of stream offsets [Start, End). It is KWIK's
// one range type: the receive side, the control frames that carry ranges
// and the primary's scheduler all use it.
type Range struct {
	Start, End uint64
}

// Len returns the number of offsets in r.
func (r Range) Len() uint64 { return r.End - r.Start }

// String formats r as "[Start, End)".
func (r Range) String() string { return fmt.Sprintf("[%d, %d)", r.Start, r.End) }

// MissingRanges says which bytes of a stream the receiver still needs. It is
// KWIK's one missing-ranges type: what the presentation layer computes, what
// a MISSING_RANGES frame carries and what a primary's session returns.
type MissingRanges struct {
	StreamID       uint64
	ReadOffset     uint64 // everything below was received and read
	FinalSize      uint64 // valid when FinalSizeKnown
	FinalSizeKnown bool
	// Ranges are the holes between ReadOffset and the highest byte received
	// (or the final size when known), sorted and disjoint.
	Ranges []Range
	// Truncated says that Ranges may stop short: the answer carried as
	// many ranges as one frame holds, and more may be missing above the
	// last one. The presentation layer itself always lists every hole.
	Truncated bool
}

// GapReport is passed to Events.GapPersists when a stream's reader has been
// stuck at a hole for PresentationConfig.GapTimeout while later bytes arrived.
type GapReport struct {
	StreamID   uint64
	ReadOffset uint64
	Missing    []Range       // sorted, disjoint, first one starts at ReadOffset
	Age        time.Duration // how long the reader has waited at this hole
}

// ReceiveWindowStatus is a snapshot of the session receive window.
type ReceiveWindowStatus struct {
	TotalSize   uint64  // the session window
	Allocated   uint64  // sum of the stream shares (may exceed TotalSize by minimum grants)
	Available   uint64  // TotalSize - Allocated, or 0
	Used        uint64  // bytes received and not yet read, all streams
	Consumed    uint64  // bytes read (or released) since the start, all streams
	Utilization float64 // Used / TotalSize
	IsFull      bool    // Used >= TotalSize
	Streams     int     // streams holding a share
	// StreamAllocations maps stream IDs to their share.
	StreamAllocations map[uint64]uint64
}

// BufferUsage is a snapshot of one stream buffer's memory.
type BufferUsage struct {
	Buffered     uint64  // bytes received and not yet read
	Window       uint64  // the stream's receive window
	Utilization  float64 // Buffered / Window
	Chunks       int     // stored pieces
	Ranges       int     // disjoint received ranges beyond the read position
	ReadPosition uint64
}

// BackpressureStatus is a snapshot of the backpressure state.
type BackpressureStatus struct {
	GlobalActive  bool
	GlobalReasons []BackpressureReason
	ActiveStreams []StreamBackpressureInfo
}

// StreamBackpressureInfo describes one stream under backpressure.
type StreamBackpressureInfo struct {
	StreamID uint64
	Reason   BackpressureReason
	Since    time.Time
}

// BackpressureStats counts backpressure events since the manager started.
type BackpressureStats struct {
	ActiveStreams       int
	GlobalActive        bool
	Activations         uint64 // per-stream activations
	Deactivations       uint64 // per-stream deactivations
	GlobalActivations   uint64
	GlobalDeactivations uint64
	Escalations         uint64 // global activations caused by escalation
	ByReason            map[BackpressureReason]uint64
	// TotalActiveTime sums how long per-stream backpressure lasted, for
	// episodes that ended.
	TotalActiveTime time.Duration
}

// StreamStats counts one stream's activity.
type StreamStats struct {
	StreamID        uint64
	BytesWritten    uint64 // new bytes stored
	BytesRead       uint64
	DuplicateBytes  uint64 // bytes received again (identical)
	Writes          uint64
	Reads           uint64
	Conflicts       uint64
	FlowViolations  uint64
	BufferUsage     BufferUsage
	Limit           uint64
	FinalSize       uint64
	FinalSizeKnown  bool
	Failed          bool
	LatencyAvg      time.Duration // arrival to read, per stored piece
	LatencyMax      time.Duration
	BackpressureNow bool
}

// GlobalPresentationStats summarises every stream of the manager.
type GlobalPresentationStats struct {
	ActiveStreams   int
	FailedStreams   int
	TotalBuffered   uint64
	SessionLimit    uint64
	Window          ReceiveWindowStatus
	Backpressure    BackpressureStats
	BytesWritten    uint64
	BytesRead       uint64
	StreamsCreated  uint64
	StreamsRemoved  uint64
	WindowExhausted uint64
	GapReports      uint64
}
