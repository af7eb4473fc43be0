package bench

import (
	"errors"
	"fmt"
	"strings"
)

// Request is what the benchmark client asks the primary for, as the whole
// content of its side of a stream.
type Request struct {
	Object Object
	// Spread delivers the object with multisource.Spread over the primary and
	// every secondary; otherwise the primary writes it alone with Write.
	Spread bool
}

// Request verbs.
const (
	verbSpread = "spread"
	verbWrite  = "write"
)

// maxRequestLen bounds what the primary reads of a request.
const maxRequestLen = 256

// ErrBadRequest is returned by parseRequest for anything a benchmark
// client would not send.
var ErrBadRequest = errors.New("bench: malformed request (want \"spread|write kwikbench/<size>\")")

func (r Request) encode() []byte {
	verb := verbWrite
	if r.Spread {
		verb = verbSpread
	}
	return []byte(verb + " " + r.Object.Name())
}

// parseRequest decodes a request read from the network.
func parseRequest(b []byte) (Request, error) {
	if len(b) > maxRequestLen {
		return Request{}, fmt.Errorf("%w: %d bytes", ErrBadRequest, len(b))
	}
	verb, name, ok := strings.Cut(string(b), " ")
	if !ok || (verb != verbSpread && verb != verbWrite) {
		return Request{}, ErrBadRequest
	}
	obj, err := ParseObjectName(name)
	if err != nil {
		return Request{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return Request{Object: obj, Spread: verb == verbSpread}, nil
}
