package wire

import (
	"bytes"

	"github.com/quic-go/quic-go/quicvarint"
)

// decoder reads the fields of one frame from b. It keeps the first error and
// returns zero values after it, so a frame's field list reads straight
// through and is checked once at the end.
type decoder struct {
	frame FrameType
	b     []byte // what is left to read
	size  int    // len(b) at the start, for messages
	// copyBytes makes []byte fields copies instead of sub-slices of b, for
	// callers that reuse b.
	copyBytes bool
	// endIsTruncation says that b ends where the input ended (a STREAM
	// header, a frame header); otherwise b is a whole body whose declared
	// Length is too short for its fields, which is malformed, not truncated.
	endIsTruncation bool
	err             error
}

func newBodyDecoder(t FrameType, body []byte, copyBytes bool) decoder {
	return decoder{frame: t, b: body, size: len(body), copyBytes: copyBytes}
}

func (d *decoder) fail(err *Error) {
	if d.err == nil {
		d.err = err
	}
}

// short records that field needs more bytes than b holds.
func (d *decoder) short(field string, need int) {
	if d.endIsTruncation {
		d.fail(truncatedError(d.frame, field))
		return
	}
	d.fail(newError(d.frame, field, "needs %s but only %d remain of the %d-byte body", nBytes(need), len(d.b), d.size))
}

func (d *decoder) uint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n, err := quicvarint.Parse(d.b)
	if err != nil {
		need := 1
		if len(d.b) > 0 {
			need = 1 << (d.b[0] >> 6)
		}
		d.short(field, need)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// take returns the next n bytes, copied if the decoder copies; nil for n = 0.
func (d *decoder) take(field string, n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.short(field, int(n)) // n was checked against a limit ≤ MaxControlFrameSize
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	if n == 0 {
		return nil
	}
	if d.copyBytes {
		return bytes.Clone(v)
	}
	return v
}

// length reads the length prefix of a bytes field and checks it against limit.
func (d *decoder) length(field string, limit int) (uint64, bool) {
	n := d.uint(field)
	if d.err != nil {
		return 0, false
	}
	if n > uint64(limit) {
		d.fail(newError(d.frame, field, "length %d exceeds the maximum %d", n, limit))
		return 0, false
	}
	return n, true
}

func (d *decoder) bytes(field string, limit int) []byte {
	n, ok := d.length(field, limit)
	if !ok {
		return nil
	}
	return d.take(field, n)
}

func (d *decoder) string(field string, limit int) string {
	n, ok := d.length(field, limit)
	if !ok {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.short(field, int(n))
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// fixedBytes reads a bytes field whose length must be size, or 0 if optional.
func (d *decoder) fixedBytes(field string, size int, optional bool) []byte {
	n := d.uint(field)
	if d.err != nil {
		return nil
	}
	if n != uint64(size) && (n != 0 || !optional) {
		d.fail(fixedSizeError(d.frame, field, n, size, optional))
		return nil
	}
	return d.take(field, n)
}

// count reads the Count of a list whose elements take at least elemMin bytes
// each, and checks it against limit and against what is left of the body, so
// that the caller can allocate count elements safely. Lists only occur in
// bodies, so a shortage here is never a truncation.
func (d *decoder) count(field string, limit, elemMin int) int {
	n := d.uint(field)
	if d.err != nil {
		return 0
	}
	if n > uint64(limit) {
		d.fail(newError(d.frame, field, "%d exceeds the maximum %d", n, limit))
		return 0
	}
	if need := int(n) * elemMin; need > len(d.b) {
		d.fail(newError(d.frame, field, "%d elements need at least %s but only %d remain of the %d-byte body", n, nBytes(need), len(d.b), d.size))
		return 0
	}
	return int(n)
}

// finish reports the first error, or leftover bytes after the last field.
func (d *decoder) finish() error {
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return newError(d.frame, "", "%s left over after the last field of the %d-byte body", nBytes(len(d.b)), d.size)
	}
	return nil
}
