// Package stream implements KWIK's logical streams: reads come from the
// presentation layer, which reassembles what every path delivered; writes go
// out as STREAM frames on one path, within the credit the peer advertised.
package stream

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/gate"
	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// DefaultMaxFrameSize is the largest payload a Write puts in one frame. A
// frame's costs (its reservation, lane turn, header, admission and
// delivery) are per frame, not per byte, so a bulk writer's 64 KiB Write
// goes as one frame, not two; the receiver still reads it in
// data.MaxPayloadSegment segments. (chosen by BenchmarkOnePath, see
// bench/README.md)
const DefaultMaxFrameSize = 64 << 10

// Errors of the write side.
var (
	// ErrWriteOnly is returned by Read on a stream a secondary server writes
	// into: it has no receive side.
	ErrWriteOnly = errors.New("kwik: this stream is write-only (a secondary server's writer)")
	// ErrNoFin is returned when a secondary server tries to end a stream;
	// only the primary decides where a stream ends.
	ErrNoFin = errors.New("kwik: only the primary server may end a stream; close the writer without a final size")
	// ErrPastFinalSize is returned by writes beyond the final size set by Close.
	ErrPastFinalSize = errors.New("kwik: write past the stream's final size")
)

// RefusedError is a peer's STOP_SENDING that says why: a secondary wrote
// into a stream the client does not have, or bytes that conflict with what
// the client already received. errors.As to *quic.StreamError works too.
type RefusedError struct {
	*quic.StreamError
	Reason string
}

func (e *RefusedError) Error() string { return e.StreamError.Error() + ": " + e.Reason }
func (e *RefusedError) Unwrap() error { return e.StreamError }

// FrameSender writes STREAM frames on a path; *data.Sender is one.
type FrameSender interface {
	WriteFrame(ctx context.Context, h wire.StreamHeader, payload []byte) error
}

// ControlSender queues control frames for the path; *control.Channel is one.
type ControlSender interface {
	Send(f wire.Frame) error
}

// Owner is the session a stream belongs to, as the stream calls up into
// it. It is given once, in Config, as data.Session is to the admission
// path: the one way KWIK's lower layers call into the session.
type Owner interface {
	// Err returns why the session closed, or nil while it is open.
	Err() error
	// StreamDone is told once, when both directions of stream id are
	// finished.
	StreamDone(id uint64)
	// StreamComplete is told once, when Read reached the end of stream id,
	// so that the session can tell every sender (STOP_SENDING with
	// NoError) that nothing more is needed. A write-only stream never is.
	StreamComplete(id uint64)
}

// Config is what a Stream needs from the session that owns it.
type Config struct {
	ID      uint64
	Data    FrameSender
	Control ControlSender
	// Recv is the presentation layer holding the stream's receive buffer;
	// nil makes a write-only stream that may not send FIN (a secondary's).
	Recv presentation.DataPresentationManager
	// InitialLimit is the send credit before any MAX_STREAM_DATA.
	InitialLimit uint64
	MaxFrameSize int
	// Owner is the session; nil for a stream no session owns (tests).
	Owner Owner
}

// noOwner is the Owner of a stream no session owns.
type noOwner struct{}

func (noOwner) Err() error            { return nil }
func (noOwner) StreamDone(uint64)     {}
func (noOwner) StreamComplete(uint64) {}

// Stream is a bidirectional KWIK stream. Read and Write have io semantics;
// WriteAt lets a server write at any offset, in any order, from any number
// of goroutines.
type Stream struct {
	cfg           Config
	parent        context.Context // the session's: bytes promised by Close are sent until it ends
	ctx           context.Context
	cancelCtx     context.CancelCauseFunc
	readDeadline  *deadline
	writeDeadline *deadline
	writeMu       sync.Mutex // serialises Writes
	writeOff      uint64     // where the next Write lands; guarded by writeMu

	// gate is the lock of what follows. Its condition: a writer waiting
	// for credit may go on (writable); every unlock works it out again, so
	// the writer a change lets go, once done, leaves it set for the next.
	gate      gate.Gate
	blocked   []*creditWait // the writers waiting for credit
	limit     uint64        // highest offset the peer lets us write up to
	blockedAt uint64        // limit+1 when STREAM_DATA_BLOCKED was sent for it
	end       uint64        // highest offset accepted (sent or being sent) so far
	finalSet  bool          // Close fixed the final size: Write is over, WriteAt may fill in below it
	final     uint64        // the final size, once finalSet
	finSent   bool          // FIN went out at final
	complete  bool          // the peer has every byte: pending and later writes are moot
	shutdown  bool          // the session closed
	sendErr   error         // the write side failed: cancelled, stopped, session closed
	readErr   error         // the read side is over: io.EOF, reset, cancelled
	sendDone  bool
	doneSent  bool
}

// New returns a stream and the Control its session drives it with; parent
// is the session's context.
func New(parent context.Context, cfg Config) (*Stream, *Control) {
	if cfg.MaxFrameSize <= 0 {
		cfg.MaxFrameSize = DefaultMaxFrameSize
	}
	if cfg.Owner == nil {
		cfg.Owner = noOwner{}
	}
	ctx, cancel := context.WithCancelCause(parent)
	s := &Stream{
		cfg:           cfg,
		parent:        parent,
		ctx:           ctx,
		cancelCtx:     cancel,
		readDeadline:  newDeadline(),
		writeDeadline: newDeadline(),
		gate:          gate.New(),
		limit:         cfg.InitialLimit,
	}
	if cfg.Recv == nil {
		s.readErr = ErrWriteOnly
	}
	return s, &Control{s}
}

// StreamID returns the stream's ID.
func (s *Stream) StreamID() quic.StreamID { return quic.StreamID(s.cfg.ID) }

// Context is cancelled when the write side is closed: Close, cancelled,
// stopped by the peer, or the session ended.
func (s *Stream) Context() context.Context { return s.ctx }

// Read reads the next contiguous bytes of the stream. It returns io.EOF once
// every byte up to the final size has been read.
func (s *Stream) Read(p []byte) (int, error) {
	s.lock()
	err := s.readErr
	s.unlock()
	if err != nil {
		return 0, err
	}
	// A deadline in the past fails every Read, even with bytes buffered, as
	// on net.Conn: a caller that retries after a timeout stays in step.
	passed := s.readDeadline.done()
	if isClosed(passed) {
		return 0, errDeadline
	}
	ctx := deadlineContext{passed}
	n, err := s.cfg.Recv.ReadFromStreamContext(ctx, s.cfg.ID, p)
	if err == nil {
		return n, nil
	}
	switch {
	case errors.Is(err, errDeadline):
		return n, err
	case errors.Is(err, presentation.ErrClosed):
		if serr := s.cfg.Owner.Err(); serr != nil {
			err = serr
		}
		return n, err
	}
	// EOF, a reset, a cancel or a corrupted stream: the read side is over.
	if err == io.EOF {
		s.cfg.Owner.StreamComplete(s.cfg.ID)
	}
	s.finishRead(err)
	return n, err
}

// CancelRead abandons the read side: buffered data is dropped and the peer
// is asked to stop sending with code.
func (s *Stream) CancelRead(code quic.StreamErrorCode) {
	s.lock()
	if s.readErr != nil {
		s.unlock()
		return
	}
	s.unlock()
	err := &quic.StreamError{StreamID: s.StreamID(), ErrorCode: code}
	s.cfg.Recv.FailStream(s.cfg.ID, err)
	s.cfg.Control.Send(&wire.StopSending{StreamID: s.cfg.ID, ErrorCode: wire.ApplicationCode(uint64(code))})
	s.finishRead(err)
}

// SetReadDeadline, SetWriteDeadline and SetDeadline work as on net.Conn,
// including for calls already blocked.
func (s *Stream) SetReadDeadline(t time.Time) error {
	s.readDeadline.set(t)
	return nil
}

// SetWriteDeadline sets the deadline of Write, WriteAt and Close.
func (s *Stream) SetWriteDeadline(t time.Time) error {
	s.writeDeadline.set(t)
	return nil
}

// SetDeadline sets both deadlines.
func (s *Stream) SetDeadline(t time.Time) error {
	s.readDeadline.set(t)
	s.writeDeadline.set(t)
	return nil
}

// unlockAndAnnounceBlocked unlocks the stream and sends STREAM_DATA_BLOCKED unless it
// was sent for the current limit already.
func (s *Stream) unlockAndAnnounceBlocked() {
	limit := s.limit
	announce := s.blockedAt != limit+1
	s.blockedAt = limit + 1
	s.unlock()
	if announce {
		s.cfg.Control.Send(&wire.StreamDataBlocked{StreamID: s.cfg.ID, Limit: limit})
	}
}

// peerError is the error for a code the peer sent: the application's code
// as a *quic.StreamError, KWIK's own as a *RefusedError saying why.
func (s *Stream) peerError(code wire.ErrorCode, reason string) error {
	if app, ok := code.Application(); ok {
		return &quic.StreamError{StreamID: s.StreamID(), ErrorCode: quic.StreamErrorCode(app), Remote: true}
	}
	if reason == "" {
		reason = code.String()
	}
	return &RefusedError{StreamError: &quic.StreamError{StreamID: s.StreamID(), ErrorCode: quic.StreamErrorCode(code), Remote: true}, Reason: reason}
}

// lock acquires the stream's state, whatever the gate's condition.
func (s *Stream) lock() { s.gate.Lock() }

// unlock releases the stream's state, with the gate set if a waiting
// writer may now go on.
func (s *Stream) unlock() { s.gate.Unlock(s.writable()) }

func (s *Stream) finishRead(err error) {
	s.lock()
	if s.readErr == nil {
		s.readErr = err
	}
	s.unlock()
	s.maybeDone()
}

// finishSend marks the write side over: nothing more will be sent.
func (s *Stream) finishSend() {
	s.lock()
	s.sendDone = true
	s.unlock()
	s.cancelCtx(io.EOF)
	s.maybeDone()
}

// maybeDone reports the stream to its session once both sides are over.
func (s *Stream) maybeDone() {
	s.lock()
	done := s.sendDone && s.readErr != nil && !s.doneSent
	if done {
		s.doneSent = true
	}
	s.unlock()
	if done {
		s.cfg.Owner.StreamDone(s.cfg.ID)
	}
}
