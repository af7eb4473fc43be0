package data

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/wire"
)

// ErrDiscard, returned by Handler.Admit, makes the receiver read and drop a
// frame's payload (a frame for a stream that is already gone).
var ErrDiscard = errors.New("kwik: discard frame")

// PathError closes the path it happened on with Code; the session turns it
// into a QUIC connection close carrying Reason.
type PathError struct {
	Code   wire.ErrorCode
	Reason string
}

func (e *PathError) Error() string { return fmt.Sprintf("kwik: %v: %s", e.Code, e.Reason) }

// Handler takes the STREAM frames that arrive on one path. It is called from
// the path's lane readers and must never block on a logical stream.
type Handler interface {
	// Admit judges a frame by its header, before its payload is read: nil
	// delivers it, ErrDiscard drops it, a *PathError closes the path.
	Admit(h wire.StreamHeader) error
	// Buffer returns a slice of n bytes to read the payload into;
	// PutBuffer takes it back when it was not delivered.
	Buffer(n int) []byte
	PutBuffer(b []byte)
	// Deliver takes ownership of payload. A *PathError closes the path.
	Deliver(h wire.StreamHeader, payload []byte) error
}

// perLane is a Handler that keeps state per lane: each lane gets its own.
type perLane interface{ lane() Handler }

// LaneAcceptor accepts the peer's lanes; *quic.Conn is one.
type LaneAcceptor interface {
	AcceptUniStream(ctx context.Context) (*quic.ReceiveStream, error)
}

// Receive reads every lane the peer opens on conn and hands its frames to h,
// until ctx ends, conn fails, or a lane breaks the protocol. It returns the
// first error after all its lane readers have stopped.
func Receive(ctx context.Context, conn LaneAcceptor, h Handler) error {
	ctx, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel(nil)
	for {
		str, err := conn.AcceptUniStream(ctx)
		if err != nil {
			if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
				return cause // a lane failed first
			}
			return err
		}
		lh := h
		if p, ok := h.(perLane); ok {
			lh = p.lane()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := readLane(ctx, str, lh); err != nil {
				cancel(err)
			}
		}()
	}
}

// laneBuffer is the buffer a lane reads headers (and small frames) through.
const laneBuffer = 16 << 10

// largeFrame is the payload from which a lane reads around its buffer: the
// bytes of a payload that the buffer took with the header are copied out
// of it, and the rest go straight from quic-go into the payload's buffer;
// after such a frame the next header is read with a small fill, so that
// the buffer takes little of the next payload. A frame smaller than this
// costs less copied twice than read with one more call into quic-go: many
// small frames share one fill of the buffer.
const largeFrame = 4 << 10

// headerFill is how much a lane reads for a header after a large frame: the
// longest header and some.
const headerFill = 64

// laneSource is a lane's quic-go stream as its buffer reads it: limit, if
// not zero, caps each fill.
type laneSource struct {
	r     io.Reader
	limit int
}

func (s *laneSource) Read(p []byte) (int, error) {
	if s.limit > 0 && len(p) > s.limit {
		p = p[:s.limit]
	}
	return s.r.Read(p)
}

// laneReader is a lane: its buffer, and the stream behind it for reading
// large payloads around the buffer.
type laneReader struct {
	buf *bufio.Reader
	src *laneSource
}

func newLaneReader(r io.Reader) *laneReader {
	src := &laneSource{r: r}
	return &laneReader{buf: bufio.NewReaderSize(src, laneBuffer), src: src}
}

// Read reads what the buffer holds, and reads past it from the stream once
// it is empty, so that p is filled without a copy through the buffer.
func (l *laneReader) Read(p []byte) (int, error) {
	if n := l.buf.Buffered(); n > 0 {
		return l.buf.Read(p[:min(len(p), n)])
	}
	return l.src.r.Read(p)
}

// frameRead is called after each frame: how the next header is read
// depends on how large this one was.
func (l *laneReader) frameRead(length int) {
	if length >= largeFrame {
		l.src.limit = headerFill
	} else {
		l.src.limit = 0
	}
}

// payloadReader returns what reads a payload of n bytes.
func (l *laneReader) payloadReader(n int) io.Reader {
	if n >= largeFrame {
		return l
	}
	return l.buf
}

// laneStream is a lane as its reader uses it; *quic.ReceiveStream is one.
type laneStream interface {
	io.Reader
	CancelRead(quic.StreamErrorCode)
}

// readLane reads frames from one lane until it ends or fails.
func readLane(ctx context.Context, str laneStream, h Handler) error {
	stop := context.AfterFunc(ctx, func() { str.CancelRead(0) })
	defer stop()
	lr := newLaneReader(str)
	r := lr.buf
	if err := wire.ReadLaneMagic(r); err != nil {
		str.CancelRead(0)
		return &PathError{Code: wire.ProtocolViolation, Reason: fmt.Sprintf("bad lane: %v", err)}
	}
	for {
		hdr, err := wire.ReadStreamHeader(r)
		if err != nil {
			if err == io.EOF {
				return nil // the peer closed the lane between frames
			}
			var werr *wire.Error
			if errors.As(err, &werr) {
				return &PathError{Code: wire.ProtocolViolation, Reason: err.Error()}
			}
			return err
		}
		switch err := h.Admit(hdr); {
		case err == nil:
			if err := readPayload(lr.payloadReader(hdr.Length), hdr, h); err != nil {
				return err
			}
		case errors.Is(err, ErrDiscard):
			// io.Discard reads through its own buffer, in bounded reads.
			if _, err := io.CopyN(io.Discard, lr.payloadReader(hdr.Length), int64(hdr.Length)); err != nil {
				return payloadError(hdr, err)
			}
		default:
			return err
		}
		lr.frameRead(hdr.Length)
	}
}

// MaxPayloadSegment is the most memory a lane takes for a payload before its
// bytes arrived: a frame's payload is read and delivered in segments of at
// most this size, so a header that declares a large Length and sends nothing
// holds one segment, not Length bytes. A default sender's frame (64 KiB)
// is two segments.
const MaxPayloadSegment = 32 << 10

// readPayload reads an admitted frame's payload and delivers it in segments
// of at most MaxPayloadSegment bytes; only the last carries the FIN.
func readPayload(r io.Reader, hdr wire.StreamHeader, h Handler) error {
	for done := 0; ; {
		seg := hdr
		seg.Offset += uint64(done)
		seg.Length = min(hdr.Length-done, MaxPayloadSegment)
		seg.Fin = hdr.Fin && done+seg.Length == hdr.Length
		buf := h.Buffer(seg.Length)
		if _, err := io.ReadFull(r, buf); err != nil {
			h.PutBuffer(buf)
			return payloadError(hdr, err)
		}
		if err := h.Deliver(seg, buf); err != nil {
			return err
		}
		if done += seg.Length; done == hdr.Length {
			return nil
		}
	}
}

// payloadError is the error of a lane that broke inside a frame's payload.
// A lane the peer ended there was cut short: a protocol violation, not an
// internal error of this side.
func payloadError(h wire.StreamHeader, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &PathError{Code: wire.ProtocolViolation,
			Reason: fmt.Sprintf("lane ended inside a frame of stream %d (%d-byte payload)", h.StreamID, h.Length)}
	}
	return fmt.Errorf("kwik: reading a frame of stream %d: %w", h.StreamID, err)
}
