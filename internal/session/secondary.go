package session

import (
	"context"
	"fmt"
	"sync"

	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/data"
	"github.com/kwik-transport/kwik/internal/stream"
	"github.com/kwik-transport/kwik/internal/wire"
)

// RawData is a message the primary relayed to this secondary through the
// client, about one of the client's streams.
type RawData struct {
	StreamID uint64
	Data     []byte
}

// secondaryState is what only a secondary server session has: the writers
// into client streams and the relayed messages.
type secondaryState struct {
	s      *Session
	verify *control.RelayVerifier

	raw *queue[RawData] // relayed messages; ended when the path is removed or the session ends

	mu      sync.Mutex
	writers map[uint64]*stream.Control
}

func (s *Session) startSecondary(ch *control.Channel, groupKey []byte, id control.ServerIdentity) {
	sec := &secondaryState{
		s:       s,
		verify:  control.NewRelayVerifier(groupKey, s.sessionID, id, s.primary.ID()),
		writers: make(map[uint64]*stream.Control),
		raw:     newQueue[RawData](),
	}
	s.secondary = sec
	// The client never sends stream data to a secondary; lanes it opens
	// anyway are refused rather than left unread in quic-go's buffers.
	none := data.NewAdmission(nil, nil, nil, data.Config{}).ForPath(s.primary.ID(), data.RoleNone, nil)
	s.runPath(s.primary, sec.handle, none, s.closeWith)
}

func (sec *secondaryState) close() {
	sec.mu.Lock()
	writers := make([]*stream.Control, 0, len(sec.writers))
	for _, w := range sec.writers {
		writers = append(writers, w)
	}
	sec.mu.Unlock()
	sec.raw.end(sec.s.Err())
	for _, w := range writers {
		w.Shutdown(sec.s.Err())
	}
}

// handle handles the client's control frames on a secondary path.
func (sec *secondaryState) handle(f wire.Frame) error {
	switch f := f.(type) {
	case *wire.MaxStreamData:
		if w := sec.writer(f.StreamID); w != nil {
			w.UpdateLimit(f.Limit)
		}
	case *wire.StopSending:
		if w := sec.writer(f.StreamID); w != nil {
			w.HandleStopSending(f.ErrorCode, f.Reason)
		}
	case *wire.RawData:
		if err := sec.verify.Verify(f.StreamID, f.Seq, f.Data, f.MAC); err != nil {
			// The client forged or altered it: it is not to be trusted.
			return &ConnectionError{Code: wire.Refused, Reason: err.Error()}
		}
		sec.raw.push(RawData{StreamID: f.StreamID, Data: f.Data})
	case *wire.RemovePath:
		if f.PathID != sec.s.primary.ID() {
			return protocolError("REMOVE_PATH for path %d on path %d", f.PathID, sec.s.primary.ID())
		}
		sec.raw.end(ErrPathRemoved)
	case *wire.Ping:
		sec.s.primary.Control().Send(&wire.Pong{Seq: f.Seq})
	case *wire.Pong:
	default:
		return protocolError("the client sent %v, which a secondary does not accept", f.Type())
	}
	return nil
}

func (sec *secondaryState) writer(id uint64) *stream.Control {
	sec.mu.Lock()
	defer sec.mu.Unlock()
	return sec.writers[id]
}

// AcceptRawData returns the next message the primary relayed to this
// secondary, waiting until ctx ends. Once the primary has removed the path
// and every message is taken, it returns ErrPathRemoved.
func (s *Session) AcceptRawData(ctx context.Context) (RawData, error) {
	sec := s.secondary
	if sec == nil {
		return RawData{}, ErrNotSecondary
	}
	return sec.raw.pop(ctx)
}

// StreamWriter returns a write-only stream bound to the client stream
// streamID: WriteAt places bytes at any offset of it. The client refuses
// writes into streams it does not have (the error says so).
func (s *Session) StreamWriter(streamID uint64) (*stream.Stream, error) {
	sec := s.secondary
	if sec == nil {
		return nil, ErrNotSecondary
	}
	if streamID&2 != 0 {
		return nil, fmt.Errorf("kwik: stream %d is not a bidirectional stream ID", streamID)
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	sec.mu.Lock()
	w := sec.writers[streamID]
	if w == nil {
		_, w = stream.New(s.ctx, stream.Config{
			ID:           streamID,
			Data:         s.primary.Sender(),
			Control:      s.primary.Control(),
			MaxFrameSize: s.conf.MaxFrameSize,
			Owner:        writerOwner{sec},
		})
		sec.writers[streamID] = w
	}
	sec.mu.Unlock()
	// Ask for credit at once: the client answers with the stream's limit
	// and keeps this path informed of it.
	s.primary.Control().Send(&wire.StreamDataBlocked{StreamID: streamID})
	return w.Stream(), nil
}

func (sec *secondaryState) writerDone(id uint64) {
	sec.mu.Lock()
	delete(sec.writers, id)
	sec.mu.Unlock()
}
