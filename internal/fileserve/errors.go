package fileserve

import (
	"errors"
	"fmt"
	"io"
)

// Errors a Store returns and a client matches with errors.Is against the
// server's refusal.
var (
	// ErrNotFound means the root holds no file of that name.
	ErrNotFound = errors.New("no such file")
	// ErrForbidden means the name leaves the served root (.., an absolute
	// path, a symbolic link pointing outside) or is not a regular file.
	ErrForbidden = errors.New("refused")
	// ErrBadRequest means the request did not follow the protocol.
	ErrBadRequest = errors.New("malformed request")
	// ErrInternal means the server failed for a reason of its own.
	ErrInternal = errors.New("server error")
)

// Code is how a refusal travels in an ERR header.
type Code string

// Refusal codes.
const (
	CodeNotFound   Code = "not-found"
	CodeForbidden  Code = "forbidden"
	CodeBadRequest Code = "bad-request"
	CodeInternal   Code = "internal"
)

// sentinel returns the error a code stands for.
func (c Code) sentinel() error {
	switch c {
	case CodeNotFound:
		return ErrNotFound
	case CodeForbidden:
		return ErrForbidden
	case CodeBadRequest:
		return ErrBadRequest
	default:
		return ErrInternal
	}
}

// codeOf classifies a server-side error for the ERR header.
func codeOf(err error) Code {
	switch {
	case errors.Is(err, ErrNotFound):
		return CodeNotFound
	case errors.Is(err, ErrForbidden):
		return CodeForbidden
	case errors.Is(err, ErrBadRequest):
		return CodeBadRequest
	default:
		return CodeInternal
	}
}

// RemoteError is a server's refusal of a request. errors.Is matches it
// against ErrNotFound, ErrForbidden, ErrBadRequest and ErrInternal.
type RemoteError struct {
	Code    Code
	Message string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("server refused the request (%s): %s", e.Code, e.Message)
}

// Is reports whether target is the sentinel error of e's code.
func (e *RemoteError) Is(target error) bool { return target == e.Code.sentinel() }

// ProtocolError says that bytes from the peer do not follow the protocol.
type ProtocolError struct {
	What   string // "request" or "header"
	Reason string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("malformed %s: %s", e.What, e.Reason)
}

// Is makes a malformed request match ErrBadRequest, so the server refuses it
// with that code.
func (e *ProtocolError) Is(target error) bool { return target == ErrBadRequest && e.What == "request" }

// ShortError says the stream ended before the size the header announced.
type ShortError struct {
	Got, Want int64
}

func (e *ShortError) Error() string {
	return fmt.Sprintf("the stream ended after %d of %d bytes; the server or a path failed, try again", e.Got, e.Want)
}

// Unwrap makes a short stream match io.ErrUnexpectedEOF.
func (e *ShortError) Unwrap() error { return io.ErrUnexpectedEOF }
