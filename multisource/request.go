package multisource

import (
	"encoding/binary"
	"errors"
)

// A range request, relayed from Spread to ServeRanges:
// magic (1 byte) | stream offset (8) | length (8) | object offset (8) | object name.
const (
	rangeRequestMagic = 0x52 // 'R'
	rangeRequestHead  = 1 + 8 + 8 + 8
	maxObjectName     = 4096
)

func appendRangeRequest(b []byte, object string, off, n, base uint64) []byte {
	b = append(b, rangeRequestMagic)
	b = binary.BigEndian.AppendUint64(b, off)
	b = binary.BigEndian.AppendUint64(b, n)
	b = binary.BigEndian.AppendUint64(b, base)
	return append(b, object...)
}

// rangeRequest is a decoded range request.
type rangeRequest struct {
	object    string
	off, n    uint64 // the stream range to write
	objectOff uint64 // where the object starts in the stream
}

// ErrBadRangeRequest is returned by ServeRanges for raw data that is not a
// range request from Spread.
var ErrBadRangeRequest = errors.New("multisource: raw data is not a range request from Spread")

func parseRangeRequest(b []byte) (rangeRequest, error) {
	if len(b) < rangeRequestHead || b[0] != rangeRequestMagic || len(b)-rangeRequestHead > maxObjectName {
		return rangeRequest{}, ErrBadRangeRequest
	}
	r := rangeRequest{
		off:       binary.BigEndian.Uint64(b[1:]),
		n:         binary.BigEndian.Uint64(b[9:]),
		objectOff: binary.BigEndian.Uint64(b[17:]),
		object:    string(b[rangeRequestHead:]),
	}
	if r.off < r.objectOff || r.off+r.n < r.off || r.off+r.n > 1<<62 {
		return rangeRequest{}, ErrBadRangeRequest
	}
	return r, nil
}
