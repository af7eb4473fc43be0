package wire

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrTruncated is wrapped by an *Error when the input ended in the middle of
// a frame: more bytes of the same stream would have completed it. A frame
// whose fields run past its own declared Length is malformed, not truncated.
var ErrTruncated = errors.New("kwik/wire: input ended in the middle of a frame")

// Error reports a frame that cannot be decoded or encoded. From a decoder it
// means the peer sent malformed bytes: close its path with ProtocolViolation.
// From Append it means a field of the caller's frame is out of range.
type Error struct {
	Frame  FrameType // the frame concerned; 0 when not known (lane magic, unreadable Type)
	Field  string    // the field concerned, e.g. "Count"; empty when it is the frame as a whole
	Reason string    // what is wrong with it

	err error // cause reported by Unwrap (ErrTruncated) or nil
}

// Error returns a message such as
// "kwik/wire: MISSING_RANGES: field Count: 5000 exceeds the maximum 4096".
func (e *Error) Error() string {
	var sb strings.Builder
	sb.WriteString("kwik/wire: ")
	if e.Frame != 0 {
		sb.WriteString(e.Frame.String())
		sb.WriteString(": ")
	}
	if e.Field != "" {
		sb.WriteString("field ")
		sb.WriteString(e.Field)
		sb.WriteString(": ")
	}
	sb.WriteString(e.Reason)
	return sb.String()
}

// Unwrap returns ErrTruncated for truncated input, else nil.
func (e *Error) Unwrap() error { return e.err }

func newError(t FrameType, field, format string, args ...any) *Error {
	return &Error{Frame: t, Field: field, Reason: fmt.Sprintf(format, args...)}
}

func truncatedError(t FrameType, field string) *Error {
	return &Error{Frame: t, Field: field, Reason: "input ended before the field was complete", err: ErrTruncated}
}

// nBytes returns "1 byte" or "n bytes".
func nBytes(n int) string {
	if n == 1 {
		return "1 byte"
	}
	return strconv.Itoa(n) + " bytes"
}
