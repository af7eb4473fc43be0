package stream

import (
	"errors"
	"fmt"
	"io"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/wire"
)

// ErrWriteClosed is returned by Write once Close or CloseWithSize has ended
// the write side, including to a Write that was waiting for credit when the
// stream was closed (it returns the bytes accepted before). It matches
// quic.ErrStreamClosed, as quic-go's Write after Close does.
var ErrWriteClosed = fmt.Errorf("kwik: write on a stream whose write side was closed: %w", quic.ErrStreamClosed)

// errNoCredit says a write must wait for the peer's credit.
var errNoCredit = errors.New("kwik: no send credit")

// errComplete makes waiting writers return: the peer has the whole stream.
var errComplete = errors.New("kwik: the peer has the whole stream")

// Write appends p to the stream, blocking while the peer's flow-control
// credit does not cover it, until the write deadline or until the write
// side is closed. Close does not wait for a blocked Write: it ends the
// stream after the bytes accepted so far, and the Write returns how many
// those were with ErrWriteClosed.
func (s *Stream) Write(p []byte) (int, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	n, err := s.send(p, s.writeOff, true)
	s.writeOff += uint64(n)
	return n, err
}

// WriteAt writes p at offset off of the stream (io.WriterAt). It does not
// move the position of Write. Calls may run in parallel.
func (s *Stream) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || uint64(off)+uint64(len(p)) > wire.MaxVarint {
		return 0, fmt.Errorf("kwik: WriteAt offset %d (+%d bytes) is outside 0..2^62-1", off, len(p))
	}
	return s.send(p, uint64(off), false)
}

// send writes p at off frame by frame, each within the peer's credit.
// appending is true for Write, which the end of the write side stops.
func (s *Stream) send(p []byte, off uint64, appending bool) (int, error) {
	written := 0
	for {
		n, err := s.reserve(off, len(p), appending)
		if errors.Is(err, errComplete) {
			return written + len(p), nil // the peer already has these bytes
		}
		if err != nil || n == 0 {
			return written, err
		}
		if err := s.sendFrame(p[:n], off); err != nil {
			return written, err
		}
		off += uint64(n)
		written += n
		p = p[n:]
		if len(p) == 0 {
			return written, nil
		}
	}
}

// reserve waits until the peer's credit lets size bytes at off start, and
// accepts the first of them (up to one frame) as part of the stream: from
// then on Close counts them in the final size. It returns how many.
func (s *Stream) reserve(off uint64, size int, appending bool) (int, error) {
	s.lock()
	defer s.unlock()
	for {
		n, err := s.tryReserve(off, size, appending)
		if err != errNoCredit {
			return n, err
		}
		s.waitCredit(&creditWait{off: off, end: off + uint64(size), appending: appending})
	}
}

// tryReserve is reserve without waiting; the stream is locked. The deadline is
// looked at before the credit so that a deadline in the past fails every
// write, whatever the credit and lanes would allow.
func (s *Stream) tryReserve(off uint64, size int, appending bool) (int, error) {
	end := off + uint64(size)
	switch {
	case appending && s.finalSet:
		// Even once the peer has everything: a Write after Close is an
		// application's mistake, whenever the peer's word arrives.
		if s.sendErr != nil {
			return 0, s.sendErr
		}
		return 0, ErrWriteClosed
	case s.complete:
		return 0, errComplete
	case s.sendErr != nil:
		return 0, s.sendErr
	case s.finalSet && end > s.final:
		// After the final size is set, bytes below it may still be
		// written: a primary re-sends what a dead secondary did not deliver.
		return 0, ErrPastFinalSize
	case isClosed(s.writeDeadline.done()):
		return 0, errDeadline
	case size == 0:
		return 0, nil
	case off >= s.limit:
		return 0, errNoCredit
	}
	n := min(uint64(size), s.limit-off, uint64(s.cfg.MaxFrameSize))
	s.end = max(s.end, off+n)
	return int(n), nil
}

// sendFrame sends reserved bytes. If the deadline passes before the frame
// is started, the reservation is given back; but once Close has counted
// them in the final size they are sent whatever the deadline says, or the
// peer would wait for them forever.
func (s *Stream) sendFrame(p []byte, off uint64) error {
	h := wire.StreamHeader{StreamID: s.cfg.ID, Offset: off}
	err := s.cfg.Data.WriteFrame(deadlineContext{s.writeDeadline.done()}, h, p)
	if errors.Is(err, errDeadline) {
		s.lock()
		promised := s.finalSet
		if !promised && s.end == off+uint64(len(p)) {
			s.end = off
		}
		s.unlock()
		if !promised {
			return errDeadline
		}
		err = s.cfg.Data.WriteFrame(s.parent, h, p)
	}
	if err != nil {
		return s.writeError(err)
	}
	return nil
}

// writeError turns a frame-sending failure into what Write returns.
func (s *Stream) writeError(err error) error {
	s.lock()
	defer s.unlock()
	if s.sendErr != nil {
		return s.sendErr
	}
	if serr := s.cfg.Owner.Err(); serr != nil {
		return serr
	}
	return err
}

// Close ends the write side (FIN) after every byte accepted so far,
// including those of a Write still running, which then returns
// ErrWriteClosed. It does not wait for the peer to read anything, nor for
// a blocked Write. Like quic-go's, it returns nil once the session has
// closed, and an error after CancelWrite or the peer's STOP_SENDING.
func (s *Stream) Close() error {
	if s.cfg.Recv == nil {
		s.finishSend() // a secondary's writer: nothing to tell the client
		return nil
	}
	return s.finish(0, true)
}

// CloseWithSize ends the write side declaring that the stream holds exactly
// size bytes; bytes this side did not write may come from other paths
// (secondary servers). It blocks until the peer's credit covers size, or
// until the write deadline; if it fails the write side stays open.
func (s *Stream) CloseWithSize(size int64) error {
	if s.cfg.Recv == nil {
		return ErrNoFin
	}
	if size < 0 || uint64(size) > wire.MaxVarint {
		return fmt.Errorf("kwik: final size %d is outside 0..2^62-1", size)
	}
	return s.finish(uint64(size), false)
}

// finish sets the final size (atEnd: where the accepted bytes end) and
// sends FIN there.
func (s *Stream) finish(final uint64, atEnd bool) error {
	s.lock()
	switch {
	case s.finalSet, s.shutdown:
		s.unlock()
		return nil
	case s.sendErr != nil:
		err := s.sendErr
		s.unlock()
		return err
	}
	if atEnd {
		final = s.end
	}
	if final < s.end {
		end := s.end
		s.unlock()
		return fmt.Errorf("kwik: final size %d is below the %d bytes already written", final, end)
	}
	s.finalSet, s.final = true, final
	s.unlock()
	if err := s.waitFinalCredit(final); err != nil {
		return err
	}
	// FIN is sent whatever the deadline says, as quic-go's Close does:
	// the final size is decided, and the lane is busy for one frame at most.
	if err := s.cfg.Data.WriteFrame(s.parent, wire.StreamHeader{StreamID: s.cfg.ID, Offset: final, Fin: true}, nil); err != nil {
		return s.writeError(err)
	}
	s.lock()
	s.finSent = true
	s.unlock()
	// The write side stays open for fill-ins below the final size until
	// the peer says it has everything (STOP_SENDING with NoError).
	s.cancelCtx(io.EOF)
	return nil
}

// waitFinalCredit waits until the peer's limit covers the final size; on
// failure it unsets the final size.
func (s *Stream) waitFinalCredit(final uint64) error {
	s.lock()
	defer s.unlock()
	for {
		var err error
		switch {
		case s.complete || final <= s.limit:
			return nil
		case s.sendErr != nil:
			err = s.sendErr
		case isClosed(s.writeDeadline.done()):
			err = errDeadline
		}
		if err != nil {
			s.finalSet = false
			return err
		}
		// final > limit >= 0: the peer's credit must pass final-1.
		s.waitCredit(&creditWait{off: final - 1, end: final})
	}
}

// CancelWrite abandons the write side: the peer is told with code, pending
// and later writes fail.
func (s *Stream) CancelWrite(code quic.StreamErrorCode) {
	s.lock()
	if s.finSent || s.sendErr != nil {
		s.unlock()
		return
	}
	final := s.end
	s.sendErr = &quic.StreamError{StreamID: s.StreamID(), ErrorCode: code}
	s.unlock()
	if s.cfg.Recv != nil {
		s.cfg.Control.Send(&wire.ResetStream{StreamID: s.cfg.ID, ErrorCode: wire.ApplicationCode(uint64(code)), FinalSize: final})
	}
	s.finishSend()
}
