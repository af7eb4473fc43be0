// Package data is KWIK's data plane: STREAM frames of logical streams sent
// and received on the lanes (QUIC unidirectional streams) of a path.
package data

import (
	"context"
	"fmt"
	"io"
	"sync"

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

// sendLane is one QUIC unidirectional stream, held by one frame at a time.
type sendLane struct {
	turn  chan struct{} // a token: whoever holds it writes the next frame
	w     io.Writer     // the lane's *quic.SendStream, or a test's writer
	magic bool          // LaneMagic is still to be sent, before the first frame
}

// NewSender returns a sender on conn with n lanes (n ≤ 0: the default);
// counter, if not nil, is told the payload bytes of every frame sent.
func NewSender(conn LaneOpener, n int, counter func(int)) *Sender {
	if n <= 0 {
		n = DefaultLanesPerPath
	}
	s := &Sender{conn: conn, counter: counter, lanes: make([]*sendLane, n)}
	for i := range s.lanes {
		l := &sendLane{turn: make(chan struct{}, 1)}
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

	if l.w == nil {
		str, err := s.conn.OpenUniStream()
		if err != nil {
			return fmt.Errorf("kwik: opening a lane: %w", err)
		}
		l.w, l.magic = str, true
	}
	if err := l.writeFrame(h, payload); err != nil {
		return err
	}
	if s.counter != nil {
		s.counter(len(payload))
	}
	return nil
}

// maxHeaderLen is the longest encoding of LaneMagic and a STREAM header.
const maxHeaderLen = 8 + 4*8

// framePool holds the buffers frames are assembled in.
var framePool sync.Pool // of *[]byte

// writeFrame writes h and payload (and LaneMagic first on a new lane) in one
// Write. quic-go sends what one Write gives it in full packets: a header
// written apart went out as a packet of its own when the send loop took it
// before the payload came, which cut short the sender's GSO batches (50%
// more sendmsg calls per GiB than quic-go alone, see bench/README.md).
// Copying the payload costs less than those packets.
func (l *sendLane) writeFrame(h wire.StreamHeader, payload []byte) error {
	bp, _ := framePool.Get().(*[]byte)
	if bp == nil || cap(*bp) < maxHeaderLen+len(payload) {
		b := make([]byte, 0, max(maxHeaderLen+len(payload), 4<<10))
		bp = &b
	}
	b := (*bp)[:0]
	if l.magic {
		b = wire.AppendLaneMagic(b)
	}
	b, err := h.Append(b)
	if err != nil {
		framePool.Put(bp)
		return err
	}
	b = append(b, payload...)
	if _, err := l.w.Write(b); err != nil {
		// quic-go may still hold b after a failed Write: b is not reused.
		return err
	}
	l.magic = false
	*bp = b[:0]
	framePool.Put(bp)
	return nil
}
