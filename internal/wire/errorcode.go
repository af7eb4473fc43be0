package wire

import (
	"math"
	"strconv"
)

// ErrorCode is the code of CLOSE, RESET_STREAM and STOP_SENDING, and of the
// QUIC connection close of a path. Codes below ApplicationCodeBase are KWIK's
// own; application code c travels as c+ApplicationCodeBase so that the two
// never collide.
type ErrorCode uint64

// KWIK's own error codes.
const (
	NoError           ErrorCode = 0 // orderly close
	InternalError     ErrorCode = 1 // a bug or resource failure at the sender
	ProtocolViolation ErrorCode = 2 // malformed frame or frame in the wrong state
	VersionMismatch   ErrorCode = 3 // CLIENT_HELLO carried a version the server does not speak
	Refused           ErrorCode = 4 // bad path token or unknown session
	FlowControlError  ErrorCode = 5 // data beyond the advertised limit
	IdleTimeout       ErrorCode = 6 // keep-alive or idle timeout
)

// ApplicationCodeBase is the first code of the application's code space.
const ApplicationCodeBase ErrorCode = 0x100

// MaxApplicationCode is the largest application code that fits a varint
// once shifted by ApplicationCodeBase.
const MaxApplicationCode = MaxVarint - uint64(ApplicationCodeBase)

// ApplicationCode returns the ErrorCode that carries application code c.
// For c > MaxApplicationCode it returns a code that Append rejects.
func ApplicationCode(c uint64) ErrorCode {
	if c > MaxApplicationCode {
		return math.MaxUint64
	}
	return ErrorCode(c) + ApplicationCodeBase
}

// Application returns the application code carried by e, and false if e is
// one of KWIK's own codes.
func (e ErrorCode) Application() (uint64, bool) {
	if e < ApplicationCodeBase {
		return 0, false
	}
	return uint64(e - ApplicationCodeBase), true
}

// String returns the code's name, "APPLICATION_ERROR(c)" for application
// code c, or "ERROR_CODE(0x..)" for a KWIK code this version does not know.
func (e ErrorCode) String() string {
	switch e {
	case NoError:
		return "NO_ERROR"
	case InternalError:
		return "INTERNAL_ERROR"
	case ProtocolViolation:
		return "PROTOCOL_VIOLATION"
	case VersionMismatch:
		return "VERSION_MISMATCH"
	case Refused:
		return "REFUSED"
	case FlowControlError:
		return "FLOW_CONTROL_ERROR"
	case IdleTimeout:
		return "IDLE_TIMEOUT"
	}
	if c, ok := e.Application(); ok {
		return "APPLICATION_ERROR(" + strconv.FormatUint(c, 10) + ")"
	}
	return "ERROR_CODE(0x" + strconv.FormatUint(uint64(e), 16) + ")"
}
