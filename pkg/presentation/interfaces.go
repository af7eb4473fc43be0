// Package presentation is KWIK's receive side: it reassembles the bytes
// that several paths write at explicit offsets into one ordered byte stream
// per logical stream, and runs the receiver's flow control.
//
// A DataPresentationManager owns one StreamBuffer per stream, a
// ReceiveWindowManager that shares the session receive window among them,
// and a BackpressureManager that decides when credit stops growing. Writers
// (the data plane) call WriteToStream from any goroutine; they never block.
// Readers (the application's Stream.Read) block in ReadFromStream until
// bytes are contiguous, woken by the writer.
//
// The four are views of one core: the manager and its streams. A
// StreamBuffer is a stream itself; the ReceiveWindowManager and the
// BackpressureManager returned by the manager's accessors read and change
// the streams' windows and backpressure and keep only the session's sums
// and global state. A received frame takes at most 3 lock acquisitions
// (locks.go).
package presentation

import (
	"context"
	"io"
	"time"
)

// DataPresentationManager routes received data to per-stream buffers and
// serves the application's reads. Safe for concurrent use.
type DataPresentationManager interface {
	// CreateStreamBuffer opens a buffer and allocates its window share
	// (ErrStreamExists if the stream has one).
	CreateStreamBuffer(streamID uint64, meta *StreamMetadata) error
	// RemoveStreamBuffer frees the buffer and its window share; blocked
	// readers get ErrStreamClosed. The ID may then be created afresh.
	RemoveStreamBuffer(streamID uint64) error
	// GetStreamBuffer returns the stream's buffer (ErrStreamNotFound).
	GetStreamBuffer(streamID uint64) (StreamBuffer, error)

	// GetBuffer returns a pooled slice of length n to read a payload into.
	// WriteToStream with DataFlagPooled takes ownership of it; a slice that
	// is not written must be given back with PutBuffer.
	GetBuffer(n int) []byte
	// PutBuffer gives back a slice from GetBuffer that was not written.
	PutBuffer(b []byte)
	// WriteToStream stores data at offset of the stream. It never blocks.
	// With DataFlagPooled, data (from GetBuffer) is owned by the manager
	// whatever the result; otherwise it is copied. Errors: *FlowControlError,
	// *ConflictError (the stream is failed), *FinalSizeError,
	// *RangeLimitError (one disjoint range too many: nothing stored, the
	// sender is hostile), ErrStreamNotFound, ErrStreamClosed, ErrClosed.
	WriteToStream(streamID uint64, offset uint64, data []byte, meta *DataMetadata) error
	// WriteBatch writes a path's frames in order as WriteToStream would;
	// each write's error is left in its Err field. It returns how many failed.
	WriteBatch(writes []StreamWrite) int

	// ReadFromStream blocks until at least one byte, io.EOF or an error.
	ReadFromStream(streamID uint64, p []byte) (int, error)
	// ReadFromStreamContext is ReadFromStream that returns ctx.Err() when ctx is done.
	ReadFromStreamContext(ctx context.Context, streamID uint64, p []byte) (int, error)
	// ReadFromStreamWithTimeout gives up after d with an error matching
	// os.ErrDeadlineExceeded (and a net.Error whose Timeout is true).
	ReadFromStreamWithTimeout(streamID uint64, p []byte, d time.Duration) (int, error)

	// FailStream makes reads return err, frees the buffers and the window
	// share, and drops later writes (remote reset, local CancelRead).
	FailStream(streamID uint64, err error) error
	// StreamLimit is the absolute offset a sender may write up to.
	StreamLimit(streamID uint64) (uint64, error)
	// SessionLimit is the absolute amount of data, summed over all
	// streams, senders may send; it is never below the sum of stream limits.
	SessionLimit() uint64
	// SenderBlocked reports a STREAM_DATA_BLOCKED at limit: Events'
	// StreamLimitMoved is told at once of the current limit if it is higher.
	SenderBlocked(streamID uint64, limit uint64) error
	// MissingRanges returns what the stream still needs.
	MissingRanges(streamID uint64) (MissingRanges, error)
	// SetRTT gives auto-tuning the path RTT.
	SetRTT(time.Duration)

	// UpdateConfig applies a new configuration at run time.
	UpdateConfig(cfg *PresentationConfig) error
	// Config returns the configuration in force, defaults filled in.
	Config() PresentationConfig
	// GetStreamStats returns one stream's counters.
	GetStreamStats(streamID uint64) (StreamStats, error)
	// GetGlobalStats summarises every stream.
	GetGlobalStats() GlobalPresentationStats
	// Metrics returns a snapshot of the production metrics.
	Metrics() Metrics
	// Diagnostics returns every stream's state for debugging.
	Diagnostics() Diagnostics
	// DumpState writes Diagnostics as text.
	DumpState(w io.Writer) error
	// ReceiveWindowManager returns the session window manager.
	ReceiveWindowManager() ReceiveWindowManager
	// BackpressureManager returns the backpressure manager.
	BackpressureManager() BackpressureManager
	// ForceCleanup releases the window shares of failed streams still
	// registered (failing already does) and returns the bytes freed.
	ForceCleanup() uint64

	// Close fails every stream; blocked readers get ErrClosed. It waits for
	// running gap reports, so it must not be called from Events.GapPersists.
	Close() error
}

// StreamBuffer is the receive buffer of one stream: writes at any offset in
// any order, contiguous reads from the read position. Safe for concurrent use.
type StreamBuffer interface {
	io.Reader
	// StreamID returns the stream this buffer belongs to.
	StreamID() uint64
	// Metadata returns the metadata given at creation.
	Metadata() StreamMetadata
	// Write stores a copy of data at offset.
	Write(offset uint64, data []byte) error
	// WriteWithMetadata stores a copy of data; DataFlagFin sets the final size.
	WriteWithMetadata(offset uint64, data []byte, meta *DataMetadata) error
	// ReadContext is Read that returns ctx.Err() when ctx is done.
	ReadContext(ctx context.Context, p []byte) (int, error)
	// ReadContiguous copies the bytes available now without blocking;
	// (0, nil) means the read position is at a hole.
	ReadContiguous(p []byte) (int, error)

	// HasGaps reports whether bytes are missing below the highest received.
	HasGaps() bool
	// GetNextGapPosition is the first offset at or after the read position
	// not yet received; false when everything up to the final size was.
	GetNextGapPosition() (uint64, bool)
	// GetContiguousBytes is how many bytes a read could return now.
	GetContiguousBytes() uint64
	// ReceivedRanges are the received ranges at or after the read position.
	ReceivedRanges() []Range
	// MissingRanges are the holes the sender still has to fill.
	MissingRanges() MissingRanges

	// GetReadPosition is the offset of the next byte to read.
	GetReadPosition() uint64
	// SetReadPosition skips forward to pos, dropping the bytes before it.
	SetReadPosition(pos uint64) error
	// AdvanceReadPosition skips n bytes.
	AdvanceReadPosition(n uint64) error

	// FinalSize is the stream's size once a FIN arrived.
	FinalSize() (uint64, bool)
	// Limit is the absolute offset a sender may write up to.
	Limit() uint64
	// GetBufferUsage returns the buffer's memory use.
	GetBufferUsage() BufferUsage
	// Stats returns the stream's counters.
	Stats() StreamStats
	// Cleanup drops spare memory (read pieces are released as they are read).
	Cleanup()
	// Close releases the buffered bytes; readers get ErrStreamClosed.
	Close() error
}

// ReceiveWindowManager shares the session receive window among streams.
// Safe for concurrent use.
type ReceiveWindowManager interface {
	// SetWindowSize changes the session window (shares already given stay).
	SetWindowSize(size uint64) error
	// GetWindowSize returns the session window.
	GetWindowSize() uint64
	// GetAvailableWindow returns the part of the window not allocated.
	GetAvailableWindow() uint64
	// AllocateWindow sets a stream's share (ErrWindowExhausted if it does not fit).
	AllocateWindow(streamID uint64, size uint64) error
	// ReleaseWindow gives a stream's share back.
	ReleaseWindow(streamID uint64) error
	// StreamWindow returns a stream's share.
	StreamWindow(streamID uint64) (uint64, bool)
	// RecordData records n bytes received into a stream buffer.
	RecordData(n uint64)
	// SlideWindow records bytes read by the application; the window slides.
	SlideWindow(bytesConsumed uint64) error
	// GetWindowStatus returns a snapshot.
	GetWindowStatus() *ReceiveWindowStatus
	// IsWindowFull reports whether buffered bytes fill the window.
	IsWindowFull() bool
	// GetWindowUtilization is buffered bytes / window.
	GetWindowUtilization() float64
}

// BackpressureManager tracks per-stream and global backpressure. While a
// stream (or, except for critical streams, the session) is under
// backpressure its window does not grow. Safe for concurrent use.
type BackpressureManager interface {
	// ActivateBackpressure puts a stream under backpressure for reason.
	ActivateBackpressure(streamID uint64, reason BackpressureReason) error
	// DeactivateBackpressure lifts it.
	DeactivateBackpressure(streamID uint64) error
	// IsBackpressureActive reports whether the stream is under backpressure.
	IsBackpressureActive(streamID uint64) bool
	// GetBackpressureReason returns why (BackpressureReasonNone if not).
	GetBackpressureReason(streamID uint64) BackpressureReason
	// ActivateGlobalBackpressure adds a session-wide reason.
	ActivateGlobalBackpressure(reason BackpressureReason) error
	// DeactivateGlobalBackpressure removes one (None: all).
	DeactivateGlobalBackpressure(reason BackpressureReason) error
	// IsGlobalBackpressureActive reports whether any global reason is active.
	IsGlobalBackpressureActive() bool
	// GetBackpressureStatus returns the active streams and global reasons.
	GetBackpressureStatus() BackpressureStatus
	// GetBackpressureStats returns the counters.
	GetBackpressureStats() BackpressureStats
}

// Events is what a manager tells its owner (the session): the one way the
// receive side calls up, given once in PresentationConfig.Events. Every
// method runs outside every presentation lock and must not block; events
// from different goroutines may arrive out of order (the manager's state
// methods are authoritative). Embed NoEvents to implement only some.
type Events interface {
	// StreamLimitMoved: a stream's limit moved by a quarter of its window
	// since last told (or a blocked sender should hear of it at once).
	StreamLimitMoved(streamID, limit uint64)
	// SessionLimitMoved: the session limit moved by a quarter of the
	// session window since last told.
	SessionLimitMoved(limit uint64)
	// GapPersists: a reader has waited at a hole for GapTimeout while later
	// bytes are buffered; repeated every GapTimeout until it is filled.
	GapPersists(GapReport)
	// BackpressureChanged: backpressure started (active) or stopped for a
	// stream, or for the session (streamID GlobalBackpressureStreamID).
	BackpressureChanged(streamID uint64, active bool, reason BackpressureReason)
	// WindowFull: the bytes buffered reached the session window (full), or
	// dropped below it again.
	WindowFull(full bool)
}

// NoEvents ignores every event.
type NoEvents struct{}

func (NoEvents) StreamLimitMoved(uint64, uint64)                      {}
func (NoEvents) SessionLimitMoved(uint64)                             {}
func (NoEvents) GapPersists(GapReport)                                {}
func (NoEvents) BackpressureChanged(uint64, bool, BackpressureReason) {}
func (NoEvents) WindowFull(bool)                                      {}
