// Package data is KWIK's data plane: STREAM frames of logical streams sent
// and received on the lanes (QUIC unidirectional streams) of a path.
package data

import (
	"context"
	"fmt"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/pkg/wire"
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

// sendLane is one QUIC unidirectional stream, held by one frame at a time.
type sendLane struct {
	turn   chan struct{} // a token: whoever holds it writes the next frame
	str    *quic.SendStream
	header []byte
}

// NewSender returns a sender on conn with n lanes (n ≤ 0: the default);
// counter, if not nil, is told the payload bytes of every frame sent.
func NewSender(conn LaneOpener, n int, counter func(int)) *Sender {
	if n <= 0 {
		n = DefaultLanesPerPath
	}
	s := &Sender{conn: conn, counter: counter, lanes: make([]*sendLane, n)}
	for i := range s.lanes {
		l := &sendLane{turn: make(chan struct{}, 1), header: make([]byte, 0, 32)}
		l.turn <- struct{}{}
		s.lanes[i] = l
	}
	return s
}

// WriteFrame sends one STREAM frame. It waits for the stream's lane while ctx
// allows; once the frame is started it is written whole, whatever ctx says,
// because half a frame would corrupt the lane for every stream on it.
func (s *Sender) WriteFrame(ctx context.Context, h wire.StreamHeader, payload []byte) error {
	h.Length = len(payload)
	l := s.lanes[(h.StreamID>>2)%uint64(len(s.lanes))]
	select {
	case <-l.turn:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { l.turn <- struct{}{} }()

	if l.str == nil {
		str, err := s.conn.OpenUniStream()
		if err != nil {
			return fmt.Errorf("kwik: opening a lane: %w", err)
		}
		l.str = str
		l.header = wire.AppendLaneMagic(l.header[:0])
	}
	var err error
	l.header, err = h.Append(l.header)
	if err != nil {
		return err
	}
	// The header is small, so quic-go copies it and returns at once; the
	// payload is sent from p without another copy.
	if _, err := l.str.Write(l.header); err != nil {
		return err
	}
	l.header = l.header[:0]
	if len(payload) > 0 {
		if _, err := l.str.Write(payload); err != nil {
			return err
		}
	}
	if s.counter != nil {
		s.counter(len(payload))
	}
	return nil
}
