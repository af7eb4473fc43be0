package kwik

import (
	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/session"
	"github.com/kwik-transport/kwik/internal/stream"
)

// Errors of the session API. Test for them with errors.Is.
var (
	// ErrNotPrimary is returned by path management (AddPath, AssignRange,
	// SendRawData ...) on a session that is not a primary server's.
	ErrNotPrimary = session.ErrNotPrimary
	// ErrNotSecondary is returned by AcceptRawData and StreamWriter on a
	// session that is not a secondary server's.
	ErrNotSecondary = session.ErrNotSecondary
	// ErrNoGroupKey is returned by AddPath and SendRawData on a primary
	// without Config.ServerGroupKey: set it to the key its secondaries
	// have.
	ErrNoGroupKey = session.ErrNoGroupKey
	// ErrUnknownPath is returned for a path ID the session does not have:
	// take IDs from AddPath or AllPaths.
	ErrUnknownPath = session.ErrUnknownPath
	// ErrPathRemoved is returned by AcceptRawData on a secondary whose path
	// the primary removed, once the messages received before are taken:
	// the secondary finishes the work they asked for and closes the
	// session.
	ErrPathRemoved = session.ErrPathRemoved
	// ErrTooManyStreams is returned by OpenStream when the peer's stream
	// limit is reached; OpenStreamSync waits instead.
	ErrTooManyStreams = session.ErrTooManyStreams
	// ErrListenerClosed is returned by Accept after Close.
	ErrListenerClosed = session.ErrListenerClosed
	// ErrAssignmentRefused is matched by AssignRange and AssignDigest
	// when the client would refuse the piece (its path has
	// Config.MaxAssignments outstanding, or the piece overlaps one):
	// nothing was sent, so do not ask the secondary for those bytes.
	ErrAssignmentRefused = session.ErrAssignmentRefused
)

// Errors of a stream's write side. Test for them with errors.Is.
var (
	// ErrWriteClosed is returned by a Write still running when Close or
	// CloseWithSize ended the stream, and by later writes. It wraps
	// quic-go's ErrStreamClosed.
	ErrWriteClosed = stream.ErrWriteClosed
	// ErrWriteOnly is returned by Read on a stream a secondary server
	// writes into (StreamWriter): it has no receive side.
	ErrWriteOnly = stream.ErrWriteOnly
	// ErrNoFin is returned when a secondary server tries to end a stream:
	// only the primary decides where a stream ends, so close the writer
	// with Close, which sends no final size there.
	ErrNoFin = stream.ErrNoFin
	// ErrPastFinalSize is returned by writes beyond the final size set by
	// CloseWithSize.
	ErrPastFinalSize = stream.ErrPastFinalSize
)

// Error types. Test for them with errors.As. As in quic-go, an
// application's own codes come back as *StreamError (a stream the peer
// reset or stopped) and *ApplicationError (a session the peer closed with
// CloseWithError); KWIK's own reasons as *RefusedError and
// *ConnectionError.
type (
	// ConnectionError is a session or path closed by KWIK itself: a
	// protocol violation, a flow-control violation, a refused join. Code
	// says which, Reason says why in words, Remote is true when the peer
	// closed it.
	ConnectionError = session.ConnectionError
	// RefusedError is a peer's STOP_SENDING that says why: a secondary
	// wrote into a stream the client does not have, or bytes that conflict
	// with what the client already received. It embeds the *StreamError,
	// which errors.As finds too.
	RefusedError = stream.RefusedError
	// ConfigError is an invalid Config field, returned by Dial and Listen
	// (joined with the others, one per field). Field names it, Value is
	// its value with defaults in place of zeros, Want says which values it
	// may take.
	ConfigError = session.ConfigError

	// StreamError is quic-go's: a stream the peer reset (CancelWrite) or
	// asked to stop (CancelRead), with the application's code.
	StreamError = quic.StreamError
	// ApplicationError is quic-go's: a session closed by CloseWithError,
	// with the application's code and message.
	ApplicationError = quic.ApplicationError
	// StreamErrorCode is quic-go's, as CancelRead and CancelWrite take it.
	StreamErrorCode = quic.StreamErrorCode
	// ApplicationErrorCode is quic-go's, as CloseWithError takes it.
	ApplicationErrorCode = quic.ApplicationErrorCode
)
