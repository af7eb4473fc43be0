package wire

import (
	"errors"
	"io"

	"github.com/quic-go/quic-go/quicvarint"
)

// StreamHeader is the header of a STREAM frame on a lane; Length bytes of
// payload follow it. With Fin set, Offset+Length is the stream's final size.
type StreamHeader struct {
	StreamID uint64
	Offset   uint64
	Length   int // at most MaxStreamPayload
	Fin      bool
}

// Type returns FrameStreamFin if h has Fin set, else FrameStream.
func (h StreamHeader) Type() FrameType {
	if h.Fin {
		return FrameStreamFin
	}
	return FrameStream
}

// End returns the offset just past the payload.
func (h StreamHeader) End() uint64 { return h.Offset + uint64(h.Length) }

// check applies the limits of a STREAM header that has been read or is to be
// written.
func (h StreamHeader) check() *Error {
	t := h.Type()
	if h.StreamID > MaxVarint {
		return newError(t, "StreamID", "%d exceeds 2^62-1, the largest varint", h.StreamID)
	}
	if h.Length < 0 || h.Length > MaxStreamPayload {
		return newError(t, "Length", "%d is outside [0, MaxStreamPayload = %d]", h.Length, MaxStreamPayload)
	}
	if h.Offset > MaxVarint-uint64(h.Length) {
		return newError(t, "Offset", "Offset %d + Length %d exceeds 2^62-1", h.Offset, h.Length)
	}
	return nil
}

// Append appends the encoded header to b. It returns b unchanged and an
// *Error if a field is out of range.
func (h StreamHeader) Append(b []byte) ([]byte, error) {
	if err := h.check(); err != nil {
		return b, err
	}
	b = quicvarint.Append(b, uint64(h.Type()))
	b = quicvarint.Append(b, h.StreamID)
	b = quicvarint.Append(b, h.Offset)
	return quicvarint.Append(b, uint64(h.Length)), nil
}

func isStreamType(t uint64) bool {
	return t == uint64(FrameStream) || t == uint64(FrameStreamFin)
}

func streamTypeError(t uint64) *Error {
	return newError(FrameType(t), "Type", "not a STREAM frame type (0x08 or 0x09)")
}

// ParseStreamHeader decodes the STREAM header at the start of b and returns
// it with the number of bytes it took; the payload is not part of it. Every
// error is an *Error; it wraps ErrTruncated when b ends inside the header.
func ParseStreamHeader(b []byte) (StreamHeader, int, error) {
	d := decoder{frame: FrameStream, b: b, endIsTruncation: true}
	t := d.uint("Type")
	if d.err != nil {
		return StreamHeader{}, 0, d.err
	}
	if !isStreamType(t) {
		return StreamHeader{}, 0, streamTypeError(t)
	}
	d.frame = FrameType(t)
	h := StreamHeader{Fin: t == uint64(FrameStreamFin)}
	h.StreamID = d.uint("StreamID")
	h.Offset = d.uint("Offset")
	length := d.uint("Length")
	if d.err != nil {
		return StreamHeader{}, 0, d.err
	}
	if err := h.withLength(length); err != nil {
		return StreamHeader{}, 0, err
	}
	return h, len(b) - len(d.b), nil
}

// withLength sets h.Length from the wire after checking every limit.
func (h *StreamHeader) withLength(length uint64) error {
	if length > MaxStreamPayload {
		return newError(h.Type(), "Length", "%d exceeds MaxStreamPayload (%d)", length, MaxStreamPayload)
	}
	h.Length = int(length)
	if err := h.check(); err != nil {
		return err
	}
	return nil
}

// ReadStreamHeader reads one STREAM header from a lane; the caller then reads
// Length bytes of payload. It returns io.EOF if r ends before the first byte
// (the lane was closed between frames), an *Error for malformed input
// (wrapping ErrTruncated if r ends inside the header), and any other error
// from r unchanged; after those the lane is unusable.
//
// From a reader that buffers (a *bufio.Reader) the header is parsed in place
// from the buffered bytes when they hold all of it, rather than read a byte
// at a time.
func ReadStreamHeader(r io.ByteReader) (StreamHeader, error) {
	if p, ok := r.(peeker); ok {
		if h, ok, err := peekStreamHeader(p); ok || err != nil {
			return h, err
		}
	}
	t, err := readVarint(r)
	if err != nil {
		if err == io.ErrUnexpectedEOF {
			return StreamHeader{}, truncatedError(FrameStream, "Type")
		}
		return StreamHeader{}, err
	}
	if !isStreamType(t) {
		return StreamHeader{}, streamTypeError(t)
	}
	h := StreamHeader{Fin: t == uint64(FrameStreamFin)}
	if h.StreamID, err = readVarint(r); err != nil {
		return StreamHeader{}, readError(h.Type(), "StreamID", err)
	}
	if h.Offset, err = readVarint(r); err != nil {
		return StreamHeader{}, readError(h.Type(), "Offset", err)
	}
	length, err := readVarint(r)
	if err != nil {
		return StreamHeader{}, readError(h.Type(), "Length", err)
	}
	if err := h.withLength(length); err != nil {
		return StreamHeader{}, err
	}
	return h, nil
}

// peeker is a reader that buffers, as *bufio.Reader does.
type peeker interface {
	Buffered() int
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
}

// maxStreamHeaderLen is the longest STREAM header: four 8-byte varints.
const maxStreamHeaderLen = 4 * 8

// peekStreamHeader parses a STREAM header from the bytes r has buffered,
// waiting for the first one, and consumes it. It reports false, consuming
// nothing, when r's buffer ends inside the header: then the caller reads it
// byte by byte. Errors are those of ReadStreamHeader.
func peekStreamHeader(r peeker) (StreamHeader, bool, error) {
	if r.Buffered() == 0 {
		if _, err := r.Peek(1); err != nil {
			return StreamHeader{}, false, err // io.EOF: the lane ended between frames
		}
	}
	b, _ := r.Peek(min(r.Buffered(), maxStreamHeaderLen))
	h, n, err := ParseStreamHeader(b)
	if errors.Is(err, ErrTruncated) && len(b) < maxStreamHeaderLen {
		return StreamHeader{}, false, nil
	}
	if err != nil {
		return StreamHeader{}, false, err
	}
	r.Discard(n)
	return h, true, nil
}

// AppendLaneMagic appends LaneMagic, the first bytes of every lane, to b.
func AppendLaneMagic(b []byte) []byte {
	return quicvarint.Append(b, LaneMagic)
}

// ReadLaneMagic reads the start of a lane and checks that it is LaneMagic.
// It returns io.EOF if r ends before the first byte, an *Error if the lane
// does not start with LaneMagic, and any other error from r unchanged.
func ReadLaneMagic(r io.ByteReader) error {
	v, err := readVarint(r)
	if err != nil {
		if err == io.ErrUnexpectedEOF {
			return truncatedError(0, "LaneMagic")
		}
		return err
	}
	if v != LaneMagic {
		return newError(0, "LaneMagic", "0x%x is not 0x%x: the peer did not open a KWIK lane", v, LaneMagic)
	}
	return nil
}
