package session

import (
	"context"
	"fmt"

	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/data"
	"github.com/kwik-transport/kwik/internal/stream"
	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// streamIDs numbers streams as QUIC does for bidirectional ones: bit 0 is the
// initiator (0 client, 1 server), bit 1 is 0, the rest is an index.
type streamIDs struct {
	localBit  uint64
	nextLocal uint64 // index of the next stream we open
	nextPeer  uint64 // every peer index below this was opened
	peerMax   uint64 // we may open indices below this
	localMax  uint64 // the peer may open indices below this
}

func newStreamIDs(client bool, maxIncoming uint64) streamIDs {
	ids := streamIDs{localMax: maxIncoming}
	if !client {
		ids.localBit = 1
	}
	return ids
}

func (ids *streamIDs) local(id uint64) bool   { return id&1 == ids.localBit }
func (ids *streamIDs) id(index uint64) uint64 { return index<<2 | ids.localBit }

// OpenStream opens a stream without waiting; it fails with
// ErrTooManyStreams when the peer's limit is reached.
func (s *Session) OpenStream() (*stream.Stream, error) {
	return s.openStream(context.Background(), false)
}

// OpenStreamSync opens a stream, waiting while the peer's stream limit is
// reached, until ctx ends.
func (s *Session) OpenStreamSync(ctx context.Context) (*stream.Stream, error) {
	return s.openStream(ctx, true)
}

func (s *Session) openStream(ctx context.Context, wait bool) (*stream.Stream, error) {
	if s.role == RoleSecondary {
		return nil, fmt.Errorf("kwik: a secondary server cannot open streams; use StreamWriter to write into the client's: %w", ErrNotPrimary)
	}
	for {
		s.mu.Lock()
		if s.closeErr != nil {
			err := s.closeErr
			s.mu.Unlock()
			s.openWait.Set() // the end holds for every other waiter too
			return nil, err
		}
		if s.ids.nextLocal < s.ids.peerMax {
			id := s.ids.id(s.ids.nextLocal)
			s.ids.nextLocal++
			ctl, err := s.newStreamLocked(id)
			more := s.ids.nextLocal < s.ids.peerMax
			s.mu.Unlock()
			if more {
				s.openWait.Set() // one raise may let several waiters open
			}
			if err != nil {
				return nil, err
			}
			s.announceWindow(id)
			return ctl.Stream(), nil
		}
		s.mu.Unlock()
		if !wait {
			return nil, ErrTooManyStreams
		}
		// A raise or the end that came after the look above left the
		// condition set; a stale one costs one more look.
		if err := s.openWait.WaitAndLock(ctx); err != nil {
			return nil, err
		}
		s.openWait.Unlock(false)
	}
}

// AcceptStream returns the next stream the peer opened, waiting until ctx
// ends. Streams secondary servers write into never appear here.
func (s *Session) AcceptStream(ctx context.Context) (*stream.Stream, error) {
	return s.accepted.pop(ctx)
}

// newStreamLocked creates stream id with its receive buffer; s.mu is held.
// The session keeps the stream's Control; the application gets the Stream.
func (s *Session) newStreamLocked(id uint64) (*stream.Control, error) {
	if err := s.dpm.CreateStreamBuffer(id, &presentation.StreamMetadata{}); err != nil {
		return nil, fmt.Errorf("kwik: stream %d: %w", id, err)
	}
	_, ctl := stream.New(s.ctx, stream.Config{
		ID:           id,
		Data:         s.primary.Sender(),
		Control:      s.primary.Control(),
		Recv:         s.dpm,
		InitialLimit: s.peerWindow,
		MaxFrameSize: s.conf.MaxFrameSize,
		Owner:        streamOwner{s},
	})
	s.streams[id] = ctl
	return ctl, nil
}

// announceWindow tells the peer a new stream's limit when it is above what
// the peer assumes for new streams.
func (s *Session) announceWindow(id uint64) {
	if limit, err := s.dpm.StreamLimit(id); err == nil && limit > s.conf.initialStreamWindow() {
		s.advertiseLimit(id, limit)
	}
}

// peerStream returns the stream a peer's frame refers to, opening it (and
// every lower peer stream, as QUIC does) if it is new. It returns nil for a
// stream that existed and is gone, and an error for an ID the peer may not
// use.
func (s *Session) peerStream(id uint64) (*stream.Control, error) {
	if id&2 != 0 {
		return nil, protocolError("stream %d is unidirectional; KWIK has only bidirectional streams", id)
	}
	s.mu.Lock()
	if str, ok := s.streams[id]; ok {
		s.mu.Unlock()
		return str, nil
	}
	index := id >> 2
	if s.closeErr != nil {
		s.mu.Unlock()
		return nil, nil
	}
	if s.ids.local(id) {
		next := s.ids.nextLocal
		s.mu.Unlock()
		if index < next {
			return nil, nil
		}
		return nil, protocolError("stream %d was never opened by this side", id)
	}
	if index < s.ids.nextPeer {
		s.mu.Unlock()
		return nil, nil
	}
	if index >= s.ids.localMax {
		max := s.ids.localMax
		s.mu.Unlock()
		return nil, &ConnectionError{Code: wire.ProtocolViolation, Reason: fmt.Sprintf("stream %d exceeds the stream limit %d", id, max)}
	}
	var created []uint64
	var str *stream.Control
	for ; s.ids.nextPeer <= index; s.ids.nextPeer++ {
		sid := s.ids.nextPeer<<2 | (s.ids.localBit ^ 1)
		var err error
		str, err = s.newStreamLocked(sid)
		if err != nil {
			s.mu.Unlock()
			return nil, err
		}
		s.accepted.push(str.Stream())
		created = append(created, sid)
	}
	s.mu.Unlock()
	for _, sid := range created {
		s.announceWindow(sid)
	}
	return str, nil
}

// streamForControl is peerStream for control frames, which may also name
// streams that are ours.
func (s *Session) streamForControl(id uint64) (*stream.Control, error) {
	s.mu.Lock()
	str, ok := s.streams[id]
	s.mu.Unlock()
	if ok {
		return str, nil
	}
	return s.peerStream(id)
}

// streamStatus says what this side knows of stream id.
func (s *Session) streamStatus(id uint64) data.StreamStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.streams[id]; ok {
		return data.StreamOpen
	}
	index := id >> 2
	if (s.ids.local(id) && index < s.ids.nextLocal) || (!s.ids.local(id) && index < s.ids.nextPeer) {
		return data.StreamClosed
	}
	return data.StreamUnknown
}

// streamOpen reports whether stream id is open on this side.
func (s *Session) streamOpen(id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.streams[id]
	return ok
}

// streamDone forgets a stream whose both directions are over, and lets the
// peer open another one in its place.
func (s *Session) streamDone(id uint64) {
	s.mu.Lock()
	if _, ok := s.streams[id]; !ok {
		s.mu.Unlock()
		return
	}
	delete(s.streams, id)
	var maxStreams uint64
	if !s.ids.local(id) && s.closeErr == nil {
		s.ids.localMax++
		maxStreams = s.ids.localMax
	}
	s.mu.Unlock()
	s.dpm.RemoveStreamBuffer(id)
	if s.client != nil {
		s.client.forgetStream(id)
	}
	if s.server != nil {
		s.server.forgetStream(id)
	}
	if maxStreams > 0 {
		s.primary.Control().Send(&wire.MaxStreams{Count: maxStreams})
	}
}

// streamComplete tells every path writing into a stream that the
// application read all of it: their pending writes are moot.
func (s *Session) streamComplete(id uint64) {
	if s.client != nil {
		// The primary forgets a stream's deliveries when it ends: tell it
		// the last of them first, on the same control stream.
		s.client.sendReport(false)
	}
	f := &wire.StopSending{StreamID: id, ErrorCode: wire.NoError}
	s.primary.Control().Send(f)
	if s.client != nil {
		s.client.sendToWriters(id, f)
	}
}

// advertiseLimit sends a stream's new flow-control limit to every path that
// writes into it. The presentation layer calls it outside its locks.
func (s *Session) advertiseLimit(id, limit uint64) {
	f := &wire.MaxStreamData{StreamID: id, Limit: limit}
	s.primary.Control().Send(f)
	if s.client != nil {
		s.client.sendToWriters(id, f)
	}
}

// dataSession is the session as its admission path (data.Admission) sees
// it.
type dataSession struct{ s *Session }

// StreamStatus implements data.Session.
func (d dataSession) StreamStatus(id uint64, open bool) (data.StreamStatus, error) {
	if !open {
		return d.s.streamStatus(id), nil
	}
	str, err := d.s.peerStream(id)
	if err != nil {
		if cerr, ok := err.(*ConnectionError); ok {
			return data.StreamUnknown, &data.PathError{Code: cerr.Code, Reason: cerr.Reason}
		}
		return data.StreamUnknown, err
	}
	if str == nil {
		return data.StreamClosed, nil
	}
	return data.StreamOpen, nil
}

// Refuse implements data.Session: the path's peer is told with
// STOP_SENDING that the stream refused its bytes.
func (d dataSession) Refuse(pathID, streamID uint64, err error) {
	pc := d.s.primary
	if d.s.client != nil && pathID != pc.ID() {
		pc = d.s.client.secondary(pathID)
	}
	d.s.log.Info("refusing a path's data", "path", pathID, "stream", streamID, "err", err)
	if pc != nil {
		pc.Control().Send(&wire.StopSending{StreamID: streamID, ErrorCode: wire.Refused, Reason: control.TruncateReason(err.Error())})
	}
}

// PieceFailed implements data.Session: the client tells the primary, which
// re-sends or reassigns the piece.
func (d dataSession) PieceFailed(pathID uint64, a data.Assignment) {
	d.s.log.Warn("discarding a secondary's piece: its bytes do not match the primary's digest",
		"path", pathID, "stream", a.StreamID, "offset", a.Offset, "length", a.Length)
	d.s.primary.Control().Send(&wire.PieceFailed{PathID: pathID, StreamID: a.StreamID, Offset: a.Offset, Length: a.Length, Reason: wire.PieceCorrupt})
}
