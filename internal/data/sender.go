// Package data is KWIK's data plane: STREAM frames of logical streams sent
// and received on the lanes (QUIC unidirectional streams) of a path.
package data

import (
	"context"
	"fmt"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/wire"
)

// DefaultLanesPerPath is how many lanes a path uses unless configured; it
// was chosen by BenchmarkLanes (see README).
const DefaultLanesPerPath = 1

// LaneOpener opens lanes; *quic.Conn is one.
type LaneOpener interface {
	OpenUniStream() (*quic.SendStream, error)
}

// Sender writes STREAM frames onto the lanes of one path. Logical stream id
// always uses the same lane, so its frames arrive in the order they were
// sent; different streams may share a lane.
type Sender struct {
	conn    LaneOpener
	counter func(n int)
	lanes   []*sendLane
}

// NewSender returns a sender on conn with n lanes (n ≤ 0: the default);
// counter, if not nil, is told the payload bytes of every frame sent.
func NewSender(conn LaneOpener, n int, counter func(int)) *Sender {
	if n <= 0 {
		n = DefaultLanesPerPath
	}
	s := &Sender{conn: conn, counter: counter, lanes: make([]*sendLane, n)}
	for i := range s.lanes {
		s.lanes[i] = newSendLane(nil)
	}
	return s
}

// WriteFrame sends one STREAM frame. It waits for the stream's lane, and
// for room in the lane's queue, while ctx allows; once the frame is queued
// it is written whole, whatever ctx says, because half a frame would
// corrupt the lane for every stream on it. It returns before quic-go has
// the frame; if the lane fails later, the lane's next WriteFrame returns
// the error. A FIN with no payload is set on the stream's last frame
// instead when that frame ends where the FIN does and is still queued.
func (s *Sender) WriteFrame(ctx context.Context, h wire.StreamHeader, payload []byte) error {
	h.Length = len(payload)
	l := s.lanes[(h.StreamID>>2)%uint64(len(s.lanes))]
	if h.Fin && h.Length == 0 && l.setFin(h) {
		return nil
	}
	select {
	case <-l.turn:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { l.turn <- struct{}{} }()

	if l.w == nil {
		str, err := s.conn.OpenUniStream()
		if err != nil {
			return fmt.Errorf("kwik: opening a lane: %w", err)
		}
		l.w, l.magic = str, true
	}
	if err := l.enqueue(ctx, h, payload); err != nil {
		return err
	}
	if s.counter != nil {
		s.counter(len(payload))
	}
	return nil
}
