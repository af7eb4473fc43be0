package stream

import (
	"github.com/kwik-transport/kwik/internal/streamctl"
	"github.com/kwik-transport/kwik/internal/wire"
)

// Control is what the session that owns a stream drives it with: the
// peer's credit and cancellations, and the session's end. Only the session
// holds it; the application gets the Stream, which has only quic-go's
// methods (and WriteAt, CloseWithSize).
type Control struct{ s *Stream }

// Stream returns the stream the application uses.
func (c *Control) Stream() *Stream { return c.s }

// SendLimit returns the absolute offset the peer lets this side write up
// to.
func (c *Control) SendLimit() uint64 {
	s := c.s
	s.lock()
	defer s.unlock()
	return s.limit
}

// DataBlocked tells the peer that this side has bytes to send beyond its
// current limit (QUIC's STREAM_DATA_BLOCKED), once per limit value. Write
// does so itself when it waits for credit; a sender that holds its bytes
// back before reaching the limit, as multisource.Spread does, calls it so that the
// receiver may widen the stream's window.
func (c *Control) DataBlocked() {
	s := c.s
	s.lock()
	if s.complete || s.sendErr != nil {
		s.unlock()
		return
	}
	s.unlockAndAnnounceBlocked()
}

// UpdateLimit raises the send credit to limit (MAX_STREAM_DATA) and
// reports whether it grew.
func (c *Control) UpdateLimit(limit uint64) (raised bool) {
	s := c.s
	s.lock()
	defer s.unlock()
	if limit <= s.limit {
		return false
	}
	s.limit = limit
	return true
}

// HandleStopSending is the peer's STOP_SENDING: writes fail with its code and
// the stream answers with RESET_STREAM, as QUIC does. A refusal by KWIK
// itself (a secondary's data refused by the client) keeps the reason.
func (c *Control) HandleStopSending(code wire.ErrorCode, reason string) {
	s := c.s
	s.lock()
	if code == wire.NoError { // the peer read everything: nothing to reset
		s.complete = true
		s.unlock()
		s.finishSend()
		return
	}
	if s.sendErr != nil || s.complete {
		s.unlock()
		return
	}
	s.sendErr = s.peerError(code, reason)
	final := s.end
	s.unlock()
	if s.cfg.Recv != nil {
		s.cfg.Control.Send(&wire.ResetStream{StreamID: s.cfg.ID, ErrorCode: code, FinalSize: final})
	}
	s.finishSend()
}

// HandleReset is the peer's RESET_STREAM: reads fail with its code at once.
func (c *Control) HandleReset(code wire.ErrorCode) {
	s := c.s
	if s.cfg.Recv == nil {
		return
	}
	err := s.peerError(code, "")
	s.cfg.Recv.FailStream(s.cfg.ID, err)
	s.finishRead(err)
}

// Shutdown fails both directions with err; the session calls it when it
// closes. It does not report the stream as done.
func (c *Control) Shutdown(err error) {
	s := c.s
	s.lock()
	if s.sendErr == nil {
		s.sendErr = err
	}
	if s.readErr == nil {
		s.readErr = err
	}
	s.shutdown = true
	s.doneSent = true
	s.unlock()
	s.cancelCtx(err)
}

// Spread paces its writes by the peer's credit: it reaches it through the
// internal streamctl package rather than through methods on Stream, which
// an application could call.
func init() {
	streamctl.Register(func(str any) (streamctl.Credit, bool) {
		s, ok := str.(*Stream)
		if !ok {
			return nil, false
		}
		return &Control{s}, true
	})
}
