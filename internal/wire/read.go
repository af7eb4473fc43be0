package wire

import (
	"bufio"
	"errors"
	"io"

	"github.com/quic-go/quic-go/quicvarint"
)

// ReadControlFrame reads exactly one control frame from r, which should be
// buffered: Type and Length are read a byte at a time, through r's ReadByte
// if it has one. Length is checked against the largest body of the frame's
// type (MaxBodyLen) before anything is read or allocated for the body, and
// the body is read into memory as its bytes arrive: a peer that declares a
// long body and sends little costs little. From a *bufio.Reader a body that
// fits its buffer is decoded in place without an intermediate copy. The
// frame never aliases r's buffer.
//
// It returns io.EOF if r ends before the first byte of a frame (a clean end
// of stream), an *Error for malformed input (wrapping ErrTruncated if r ends
// inside the frame), and any other error from r unchanged. After any error
// but io.EOF, r may have stopped inside a frame: do not read frames from it
// again.
func ReadControlFrame(r io.Reader) (Frame, error) {
	br, ok := r.(io.ByteReader)
	if !ok {
		br = &byteReader{r: r}
	}
	t, err := readVarint(br)
	if err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, truncatedError(0, "Type")
		}
		return nil, err // io.EOF before the frame, or r's own error
	}
	f, maxBody := newControlFrame(FrameType(t))
	if f == nil {
		return nil, unknownTypeError(FrameType(t))
	}
	length, err := readVarint(br)
	if err != nil {
		return nil, readError(f.Type(), "Length", err)
	}
	if length > uint64(maxBody) {
		return nil, frameTooLargeError(f.Type(), length, maxBody)
	}
	if buf, ok := r.(*bufio.Reader); ok && int(length) <= buf.Size() {
		body, err := buf.Peek(int(length))
		if err != nil {
			return nil, readError(f.Type(), "", err)
		}
		frame, err := parseBody(f, body, true)
		buf.Discard(len(body)) // cannot fail: the bytes are buffered
		return frame, err
	}
	body, err := readBody(r, int(length))
	if err != nil {
		return nil, readError(f.Type(), "", err)
	}
	return parseBody(f, body, false) // body is ours: fields may alias it
}

// firstBodyChunk is the buffer a body that does not fit the reader's
// buffer starts with.
const firstBodyChunk = 4 << 10

// readBody reads n bytes from r into a buffer that doubles as the bytes
// arrive, up to n: what it holds is never more than twice what the peer
// sent, plus firstBodyChunk.
func readBody(r io.Reader, n int) ([]byte, error) {
	body := make([]byte, 0, min(n, firstBodyChunk))
	for len(body) < n {
		if len(body) == cap(body) {
			grown := make([]byte, len(body), min(n, 2*cap(body)))
			copy(grown, body)
			body = grown
		}
		m, err := r.Read(body[len(body):cap(body)])
		body = body[:len(body)+m]
		if err != nil && len(body) < n {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return body, nil
}

// readError turns the end of input inside a frame into a truncation error
// and passes r's own errors through.
func readError(t FrameType, field string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return truncatedError(t, field)
	}
	return err
}

// readVarint reads one varint. It returns io.EOF if r ends before its first
// byte and io.ErrUnexpectedEOF if r ends inside it; other errors of r pass
// through. (quicvarint.Read returns io.EOF in both cases.)
func readVarint(r io.ByteReader) (uint64, error) {
	var buf [8]byte
	first, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	buf[0] = first
	n := 1 << (first >> 6)
	for i := 1; i < n; i++ {
		if buf[i], err = r.ReadByte(); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
	v, _, err := quicvarint.Parse(buf[:n])
	return v, err
}

// byteReader reads an unbuffered io.Reader one byte at a time.
type byteReader struct {
	r   io.Reader
	buf [1]byte
}

// maxEmptyReads bounds the (0, nil) reads tolerated in a row, as bufio does,
// so that a misbehaving reader cannot spin ReadByte forever.
const maxEmptyReads = 100

func (b *byteReader) ReadByte() (byte, error) {
	for range maxEmptyReads {
		n, err := b.r.Read(b.buf[:])
		if n == 1 {
			return b.buf[0], nil // a byte delivered with an error counts; the error repeats on the next call
		}
		if err != nil {
			return 0, err
		}
	}
	return 0, io.ErrNoProgress
}
