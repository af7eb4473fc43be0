package kwik

import (
	"context"
	"time"

	"github.com/kwik-transport/kwik/internal/stream"
	"github.com/kwik-transport/kwik/internal/streamctl"
)

// Stream is a bidirectional logical stream: an io.ReadWriteCloser, as a
// quic-go stream is. On a client its bytes may come from several servers;
// Read returns them in order. On a server, WriteAt writes at any offset,
// in any order, from any number of goroutines.
type Stream struct {
	s *stream.Stream
}

// wrapStream returns the Stream an application sees for s, nil with err
// when s is nil.
func wrapStream(s *stream.Stream, err error) (*Stream, error) {
	if s == nil {
		return nil, err
	}
	return &Stream{s: s}, err
}

// Spread paces its writes by the peer's credit, which applications must
// not reach: internal/streamctl gives it to KWIK's own packages.
func init() {
	streamctl.Register(func(str any) (streamctl.Credit, bool) {
		s, ok := str.(*Stream)
		if !ok {
			return nil, false
		}
		return streamctl.Of(s.s), true
	})
}

// StreamID returns the stream's ID.
func (s *Stream) StreamID() StreamID { return s.s.StreamID() }

// Read reads the next contiguous bytes of the stream. It returns io.EOF
// once every byte up to the final size has been read.
func (s *Stream) Read(p []byte) (int, error) { return s.s.Read(p) }

// Write appends p to the stream, blocking while the peer's flow-control
// credit does not cover it, until the write deadline or until the write
// side is closed. Close does not wait for a blocked Write: it ends the
// stream after the bytes accepted so far, and the Write returns how many
// those were with ErrWriteClosed.
func (s *Stream) Write(p []byte) (int, error) { return s.s.Write(p) }

// WriteAt writes p at offset off of the stream (io.WriterAt). It does not
// move the position of Write. Calls may run in parallel. A secondary
// server writes only within the ranges the primary assigned to its path.
func (s *Stream) WriteAt(p []byte, off int64) (int, error) { return s.s.WriteAt(p, off) }

// Close ends the write side (FIN) after every byte accepted so far,
// including those of a Write still running, which then returns
// ErrWriteClosed. It does not wait for the peer to read anything, nor for
// a blocked Write. Like quic-go's, it returns nil once the session has
// closed, and an error after CancelWrite or the peer's STOP_SENDING.
func (s *Stream) Close() error { return s.s.Close() }

// CloseWithSize ends the write side declaring that the stream holds
// exactly size bytes; bytes this side did not write may come from other
// paths (secondary servers). It blocks until the peer's credit covers
// size, or until the write deadline; if it fails the write side stays
// open. Only the primary may end a stream (ErrNoFin).
func (s *Stream) CloseWithSize(size int64) error { return s.s.CloseWithSize(size) }

// CancelRead abandons the read side: buffered data is dropped and the peer
// is asked to stop sending with code.
func (s *Stream) CancelRead(code StreamErrorCode) { s.s.CancelRead(code) }

// CancelWrite abandons the write side: the peer is told with code, pending
// and later writes fail.
func (s *Stream) CancelWrite(code StreamErrorCode) { s.s.CancelWrite(code) }

// Context is cancelled when the write side is closed: Close, cancelled,
// stopped by the peer, or the session ended.
func (s *Stream) Context() context.Context { return s.s.Context() }

// SetReadDeadline sets the deadline of Read. SetReadDeadline,
// SetWriteDeadline and SetDeadline work as on net.Conn, including for calls
// already blocked; the zero time means none.
func (s *Stream) SetReadDeadline(t time.Time) error { return s.s.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline of Write, WriteAt and Close.
func (s *Stream) SetWriteDeadline(t time.Time) error { return s.s.SetWriteDeadline(t) }

// SetDeadline sets both deadlines.
func (s *Stream) SetDeadline(t time.Time) error { return s.s.SetDeadline(t) }
