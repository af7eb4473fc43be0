package wire

import "github.com/quic-go/quic-go/quicvarint"

// encoder writes a frame body in two passes over the same field list: the
// sizing pass checks every field and adds up the body length, the append
// pass writes the fields after the header. Keeping one field list per frame
// keeps the two passes in step and needs no temporary body buffer.
type encoder struct {
	frame  FrameType
	sizing bool
	n      int    // body length, summed by the sizing pass
	b      []byte // output of the append pass
	err    error  // first error of the sizing pass
}

func newEncoder(t FrameType) encoder {
	return encoder{frame: t, sizing: true}
}

// start ends the sizing pass: it reports the first field error, or appends
// Type and Length to b and switches to the append pass.
func (e *encoder) start(b []byte) error {
	if e.err != nil {
		return e.err
	}
	if e.n > MaxControlFrameSize {
		return newError(e.frame, "Length", "the body of %d bytes exceeds MaxControlFrameSize (%d)", e.n, MaxControlFrameSize)
	}
	e.sizing = false
	e.b = quicvarint.Append(b, uint64(e.frame))
	e.b = quicvarint.Append(e.b, uint64(e.n))
	return nil
}

func (e *encoder) fail(err *Error) {
	if e.err == nil {
		e.err = err
	}
}

func (e *encoder) uint(field string, v uint64) {
	if !e.sizing {
		e.b = quicvarint.Append(e.b, v)
		return
	}
	if v > MaxVarint {
		e.fail(newError(e.frame, field, "%d exceeds 2^62-1, the largest varint", v))
		return
	}
	e.n += quicvarint.Len(v)
}

// count writes the Count of a list of n elements.
func (e *encoder) count(field string, n, limit int) {
	if e.sizing && n > limit {
		e.fail(newError(e.frame, field, "%d exceeds the maximum %d", n, limit))
		return
	}
	e.uint(field, uint64(n))
}

// sizeBytes accounts for a length-prefixed field of n bytes.
func (e *encoder) sizeBytes(field string, n, limit int) {
	if n > limit {
		e.fail(newError(e.frame, field, "length %d exceeds the maximum %d", n, limit))
		return
	}
	e.n += quicvarint.Len(uint64(n)) + n
}

func (e *encoder) bytes(field string, v []byte, limit int) {
	if e.sizing {
		e.sizeBytes(field, len(v), limit)
		return
	}
	e.b = quicvarint.Append(e.b, uint64(len(v)))
	e.b = append(e.b, v...)
}

func (e *encoder) string(field string, v string, limit int) {
	if e.sizing {
		e.sizeBytes(field, len(v), limit)
		return
	}
	e.b = quicvarint.Append(e.b, uint64(len(v)))
	e.b = append(e.b, v...)
}

// fixedBytes writes a bytes field whose length must be size, or 0 if optional.
func (e *encoder) fixedBytes(field string, v []byte, size int, optional bool) {
	if e.sizing && len(v) != size && (len(v) != 0 || !optional) {
		e.fail(fixedSizeError(e.frame, field, uint64(len(v)), size, optional))
		return
	}
	e.bytes(field, v, size)
}

func fixedSizeError(t FrameType, field string, n uint64, size int, optional bool) *Error {
	if optional {
		return newError(t, field, "length %d is neither 0 nor %d", n, size)
	}
	return newError(t, field, "length %d is not %d", n, size)
}
