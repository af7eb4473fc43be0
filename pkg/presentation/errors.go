package presentation

import (
	"errors"
	"fmt"
	"os"
	"strconv"
)

// Sentinel errors of the presentation layer. Functions wrap them with the
// stream they concern; test for them with errors.Is.
var (
	// ErrStreamExists is returned when a buffer is created for a stream ID
	// that already has one. Remove the old buffer first to restart a stream.
	ErrStreamExists = errors.New("presentation: stream buffer already exists")
	// ErrStreamNotFound is returned for a stream ID without a buffer: the
	// stream was never created or was removed.
	ErrStreamNotFound = errors.New("presentation: stream buffer not found")
	// ErrStreamClosed is returned when data arrives for, or a read is made
	// on, a stream that was cancelled, failed or removed; its data is dropped.
	ErrStreamClosed = errors.New("presentation: stream closed")
	// ErrClosed is returned by every call after the manager was closed.
	ErrClosed = errors.New("presentation: manager closed")
	// ErrConflictingData is matched by every *ConflictError.
	ErrConflictingData = errors.New("presentation: overlapping data differs")
	// ErrFlowControl is matched by every *FlowControlError.
	ErrFlowControl = errors.New("presentation: flow-control limit exceeded")
	// ErrFinalSize is matched by every *FinalSizeError.
	ErrFinalSize = errors.New("presentation: final size violated")
	// ErrTooManyRanges is matched by every *RangeLimitError.
	ErrTooManyRanges = errors.New("presentation: too many disjoint ranges buffered")
	// ErrWindowExhausted is returned when the session window has no room
	// for a requested allocation.
	ErrWindowExhausted = errors.New("presentation: session receive window exhausted")
	// ErrInvalidReadPosition is returned when a read position would move
	// backwards (those bytes were already released).
	ErrInvalidReadPosition = errors.New("presentation: invalid read position")
)

// ConflictError reports bytes that overlap already received bytes of the
// same stream but differ from them. The stream is failed: nobody can tell
// which copy is right, so the sender must reset and resend the stream.
type ConflictError struct {
	StreamID uint64
	Offset   uint64 // first offset whose bytes differ
	PathID   uint64 // path that delivered the conflicting bytes
}

// Error says what differed and what the sender must do.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("presentation: stream %d: bytes at offset %d from path %d differ from bytes already received; stream failed, the sender must resend it",
		e.StreamID, e.Offset, e.PathID)
}

// Is makes errors.Is(err, ErrConflictingData) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflictingData }

// FlowControlError reports data beyond the limit the receiver advertised.
// The data was not stored; the path that sent it violated flow control.
type FlowControlError struct {
	StreamID uint64
	Offset   uint64 // first offset of the rejected data
	End      uint64 // offset just past the rejected data
	Limit    uint64 // the stream's limit when the data arrived
}

// Error says which data exceeded which limit.
func (e *FlowControlError) Error() string {
	return fmt.Sprintf("presentation: stream %d: data [%d, %d) exceeds the advertised limit %d; the sender must wait for MAX_STREAM_DATA",
		e.StreamID, e.Offset, e.End, e.Limit)
}

// Is makes errors.Is(err, ErrFlowControl) true.
func (e *FlowControlError) Is(target error) bool { return target == ErrFlowControl }

// FinalSizeError reports data past a stream's final size, or a final size
// that contradicts an earlier one or the data already received. The data
// was not stored; the stream itself is left intact.
type FinalSizeError struct {
	StreamID  uint64
	FinalSize uint64 // final size already known (or the highest offset received)
	Offset    uint64 // offending end offset or final size
	Reason    string
}

// Error says how the final size was violated.
func (e *FinalSizeError) Error() string {
	return fmt.Sprintf("presentation: stream %d: %s (known %d, got %d)", e.StreamID, e.Reason, e.FinalSize, e.Offset)
}

// Is makes errors.Is(err, ErrFinalSize) true.
func (e *FinalSizeError) Is(target error) bool { return target == ErrFinalSize }

// RangeLimitError reports a write that would have opened one disjoint range
// of unread bytes too many, in its stream (Session false) or summed over the
// session. The data was not stored. Legitimate senders never come near the
// bound: the path that sent it is hostile or broken and should be closed
// with a protocol violation.
type RangeLimitError struct {
	StreamID uint64
	Offset   uint64 // first offset of the rejected data
	Ranges   int    // disjoint ranges held when the data arrived
	Limit    int    // MaxStreamRanges or MaxSessionRanges
	Session  bool   // the session-wide bound was hit
}

// Error says which bound the data would have exceeded.
func (e *RangeLimitError) Error() string {
	scope := "stream"
	if e.Session {
		scope = "session"
	}
	return fmt.Sprintf("presentation: stream %d: data at offset %d would open a disjoint range beyond the %s's %d (limit %d); the sender fragments the stream beyond what any legitimate sender does",
		e.StreamID, e.Offset, scope, e.Ranges, e.Limit)
}

// Is makes errors.Is(err, ErrTooManyRanges) true.
func (e *RangeLimitError) Is(target error) bool { return target == ErrTooManyRanges }

// timeoutError is returned by reads whose deadline passed. It satisfies
// errors.Is(err, os.ErrDeadlineExceeded) and net.Error with Timeout() true.
type timeoutError struct{ streamID uint64 }

// Error says which stream timed out.
func (e *timeoutError) Error() string {
	return fmt.Sprintf("presentation: stream %d: read deadline exceeded", e.streamID)
}

// Timeout is true: this is a deadline (net.Error).
func (e *timeoutError) Timeout() bool { return true }

// Temporary is true: a later read may succeed (net.Error).
func (e *timeoutError) Temporary() bool { return true }

// Is makes errors.Is(err, os.ErrDeadlineExceeded) true.
func (e *timeoutError) Is(target error) bool { return target == os.ErrDeadlineExceeded }

// ConfigError reports an invalid PresentationConfig field.
type ConfigError struct {
	Field  string // name of the PresentationConfig field
	Value  any
	Reason string // the valid range
}

// Error names the field, its value and the valid range.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("presentation: invalid PresentationConfig.%s = %v: %s", e.Field, e.Value, e.Reason)
}

// streamErr wraps a sentinel with the stream it concerns.
func streamErr(id uint64, err error) error { return &streamError{id: id, err: err} }

// streamError is err about one stream. Its message is made only when
// asked for: every stream removed gets a closing error, which almost
// nobody reads (fmt.Errorf for it was 0.9% of a 10,000-stream transfer).
type streamError struct {
	id  uint64
	err error
}

func (e *streamError) Error() string {
	return "stream " + strconv.FormatUint(e.id, 10) + ": " + e.err.Error()
}

func (e *streamError) Unwrap() error { return e.err }
