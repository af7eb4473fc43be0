package session

import (
	"errors"
	"fmt"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/wire"
)

// Errors of the session API.
var (
	// ErrNotPrimary is returned by path management on a session that is not
	// a primary server's.
	ErrNotPrimary = errors.New("kwik: only a primary server session can manage paths and relay raw data")
	// ErrNotSecondary is returned by AcceptRawData and StreamWriter on a
	// session that is not a secondary server's.
	ErrNotSecondary = errors.New("kwik: only a secondary server session receives raw data and writes into client streams by ID")
	// ErrNoGroupKey is returned by AddPath and SendRawData without
	// Config.ServerGroupKey.
	ErrNoGroupKey = errors.New("kwik: path management needs Config.ServerGroupKey, shared with the secondary servers")
	// ErrUnknownPath is returned for a path ID the session does not have.
	ErrUnknownPath = errors.New("kwik: unknown path")
	// ErrPathRemoved is returned by AcceptRawData on a secondary whose path
	// the primary removed, once the messages received before are taken:
	// the secondary finishes the work they asked for and closes the session.
	ErrPathRemoved = errors.New("kwik: the primary removed this path: finish the work already received, then close the session")
	// ErrTooManyStreams is returned by OpenStream when the peer's stream
	// limit is reached; OpenStreamSync waits instead.
	ErrTooManyStreams = errors.New("kwik: too many open streams (the peer's limit); use OpenStreamSync to wait")
)

// ConnectionError is a session or path closed by KWIK itself: a protocol
// violation, a flow-control violation, a refused join. Remote is true when
// the peer closed it.
type ConnectionError struct {
	Code   wire.ErrorCode
	Reason string
	Remote bool
}

func (e *ConnectionError) Error() string {
	who := "locally"
	if e.Remote {
		who = "by the peer"
	}
	return fmt.Sprintf("kwik: connection closed %s: %v: %s", who, e.Code, e.Reason)
}

// closeCode is the QUIC close code and message that tell the peer err.
func closeCode(err error) (quic.ApplicationErrorCode, string) {
	var appErr *quic.ApplicationError
	var connErr *ConnectionError
	switch {
	case err == nil:
		return quic.ApplicationErrorCode(wire.NoError), ""
	case errors.As(err, &appErr):
		// The application's code, ours or the peer's: a session the primary
		// closed with code c closes the secondary paths with c too.
		return quic.ApplicationErrorCode(wire.ApplicationCode(uint64(appErr.ErrorCode))), appErr.ErrorMessage
	case errors.As(err, &connErr):
		return quic.ApplicationErrorCode(connErr.Code), connErr.Reason
	}
	return quic.ApplicationErrorCode(wire.InternalError), err.Error()
}

// fromQUIC turns how quic-go says a connection ended into the session's
// error: the application's own code comes back as *quic.ApplicationError,
// KWIK's as *ConnectionError, anything else (idle timeout, reset) as is.
func fromQUIC(err error) error {
	var appErr *quic.ApplicationError
	if !errors.As(err, &appErr) {
		return err
	}
	code := wire.ErrorCode(appErr.ErrorCode)
	if app, ok := code.Application(); ok {
		return &quic.ApplicationError{ErrorCode: quic.ApplicationErrorCode(app), ErrorMessage: appErr.ErrorMessage, Remote: appErr.Remote}
	}
	if code == wire.NoError && appErr.Remote {
		return &quic.ApplicationError{ErrorCode: 0, ErrorMessage: appErr.ErrorMessage, Remote: true}
	}
	return &ConnectionError{Code: code, Reason: appErr.ErrorMessage, Remote: appErr.Remote}
}

// ConfigError is an invalid Config field, reported by Dial and Listen.
type ConfigError struct {
	Field string // the field's name in Config
	Value any    // its value, after the default replaced a zero
	Want  string // the values it may take
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("kwik: Config.%s is %v, want %s", e.Field, e.Value, e.Want)
}
