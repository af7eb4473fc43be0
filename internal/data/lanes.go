package data

import (
	"errors"
	"fmt"

	"github.com/kwik-transport/kwik/internal/wire"
)

// lanes is the Handler of one path: Admission's rules for the path's Role.
// Receive gives each lane its own (lane), so that what it remembers of the
// last stream needs no lock: one lane reads one frame at a time.
type lanes struct {
	a       *Admission
	pathID  uint64
	role    Role
	counter Counter     // may be nil
	pieces  *pieceTable // Assigned roles only
	// known are streams of this lane's recent frames that were found open,
	// so that their frames ask the session once, not per frame (its lock
	// each), and count their bytes without the deliveries' lock. One lane
	// carries every stream of the path by default, interleaved, hence
	// several. A stream that closed since is caught below: its buffer is
	// gone, or its bytes are dropped by the presentation layer, as a frame
	// admitted just before the close is.
	known [knownStreams]knownStream
	next  int // the entry the next new stream replaces
}

// knownStreams bounds what a lane remembers: a hint, so a small array.
const knownStreams = 16

// knownStream is a stream found open, and its deliveries' counter.
type knownStream struct {
	ok        bool
	id        uint64
	delivered *Delivery // nil without deliveries
}

// lookup returns what the lane knows of stream id, or nil.
func (l *lanes) lookup(id uint64) *knownStream {
	for i := range l.known {
		if k := &l.known[i]; k.ok && k.id == id {
			return k
		}
	}
	return nil
}

// lane returns the Handler of one more lane of the path.
func (l *lanes) lane() Handler {
	return &lanes{a: l.a, pathID: l.pathID, role: l.role, counter: l.counter, pieces: l.pieces}
}

func (l *lanes) Admit(h wire.StreamHeader) error {
	switch {
	case !l.role.Opens && !l.role.Assigned:
		return &PathError{Code: wire.ProtocolViolation, Reason: fmt.Sprintf("data of stream %d on path %d, which takes none", h.StreamID, l.pathID)}
	case h.Fin && !l.role.Ends:
		return &PathError{Code: wire.ProtocolViolation, Reason: fmt.Sprintf("secondary path %d tried to end stream %d; only the primary may", l.pathID, h.StreamID)}
	}
	if err := l.admitStream(h.StreamID); err != nil {
		return err
	}
	if err := CheckLimit(l.a.dpm, h); err != nil {
		return err
	}
	if l.pieces == nil {
		return nil
	}
	if h.Length == 0 {
		return ErrDiscard // no bytes to vouch for
	}
	unassigned, err := l.pieces.check(l.pathID, h)
	if unassigned && !l.a.conf.AcceptUnassigned {
		return &PathError{Code: wire.ProtocolViolation, Reason: fmt.Sprintf(
			"secondary path %d wrote bytes [%d, %d) of stream %d, which the primary did not assign to it", l.pathID, h.Offset, h.Offset+uint64(h.Length), h.StreamID)}
	}
	return err
}

// admitStream lets through frames of open streams: nil, ErrDiscard, or the
// session's error.
func (l *lanes) admitStream(id uint64) error {
	if l.lookup(id) != nil {
		return nil
	}
	st, err := l.a.sess.StreamStatus(id, l.role.Opens)
	if err != nil {
		return err
	}
	switch st {
	case StreamUnknown:
		l.a.sess.Refuse(l.pathID, id, &UnknownStreamError{StreamID: id})
		return ErrDiscard
	case StreamClosed:
		return ErrDiscard
	}
	k := knownStream{ok: true, id: id}
	if l.a.deliveries != nil {
		k.delivered = l.a.deliveries.Counter(l.pathID, id)
	}
	l.known[l.next] = k
	l.next = (l.next + 1) % knownStreams
	return nil
}

func (l *lanes) Buffer(n int) []byte { return l.a.dpm.GetBuffer(n) }
func (l *lanes) PutBuffer(b []byte)  { l.a.dpm.PutBuffer(b) }

func (l *lanes) Deliver(h wire.StreamHeader, payload []byte) error {
	n := len(payload)
	if l.counter != nil {
		l.counter.CountReceived(n)
	}
	if l.pieces == nil {
		return l.write(h, payload, n)
	}
	if unassigned, _ := l.pieces.check(l.pathID, h); unassigned && l.a.conf.AcceptUnassigned {
		return l.write(h, payload, n)
	}
	p, err := l.pieces.add(l.pathID, h, payload)
	if err != nil {
		l.a.dpm.PutBuffer(payload)
		if st, _ := l.a.sess.StreamStatus(h.StreamID, false); st != StreamOpen {
			// The stream ended between Admit and now (the client read it
			// all: other paths covered this piece), and its assignments
			// went with it. A late frame, not a violation.
			return nil
		}
		return err
	}
	if p != nil {
		if err := l.complete(p); err != nil {
			return err
		}
	}
	l.count(h.StreamID, n)
	return nil
}

// write hands a frame's bytes to the stream: every frame of a path that is
// not Assigned, and bytes outside every assignment with AcceptUnassigned.
func (l *lanes) write(h wire.StreamHeader, payload []byte, n int) error {
	err := Write(l.a.dpm, l.pathID, h, payload)
	var rej *RejectedError
	if errors.As(err, &rej) {
		l.a.sess.Refuse(l.pathID, h.StreamID, rej.Err)
		return nil
	}
	if err == nil {
		l.count(h.StreamID, n)
	}
	return err
}

// count adds n delivered bytes to the path's share of a stream.
func (l *lanes) count(streamID uint64, n int) {
	if l.a.deliveries == nil {
		return
	}
	if k := l.lookup(streamID); k != nil {
		k.delivered.Add(n)
		return
	}
	l.a.deliveries.Add(l.pathID, streamID, n)
}

// complete writes a whole piece into its stream if it matches its digest,
// and otherwise discards it and reports it.
func (l *lanes) complete(p *piece) error {
	if !p.verified() {
		l.a.free([]*piece{p})
		l.a.sess.PieceFailed(l.pathID, p.Assignment)
		return nil
	}
	for i, c := range p.chunks {
		h := wire.StreamHeader{StreamID: p.StreamID, Offset: c.off, Length: len(c.b)}
		err := Write(l.a.dpm, l.pathID, h, c.b)
		p.chunks[i].b = nil
		var rej *RejectedError
		switch {
		case errors.As(err, &rej):
			l.a.sess.Refuse(l.pathID, p.StreamID, rej.Err)
			l.a.free([]*piece{{chunks: p.chunks[i+1:]}})
			return nil
		case err != nil:
			l.a.free([]*piece{{chunks: p.chunks[i+1:]}})
			return err
		}
	}
	return nil
}
