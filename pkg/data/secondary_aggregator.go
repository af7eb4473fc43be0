package data

import (
	"errors"
	"fmt"

	"github.com/kwik-transport/kwik/pkg/presentation"
	"github.com/kwik-transport/kwik/pkg/wire"
)

// StreamStatus is what the client knows of a stream ID.
type StreamStatus int

// Stream statuses.
const (
	StreamUnknown StreamStatus = iota // never opened
	StreamOpen
	StreamClosed // existed and is gone: late frames are dropped
)

// SecondaryStreamAggregator places the bytes secondary servers write into
// the client's streams, through the same DataPresentationManager the primary
// path feeds: only into streams the client has, never past their limit or
// final size, and counted per path for the primary's delivery reports.
type SecondaryStreamAggregator struct {
	dpm        presentation.DataPresentationManager
	deliveries *Deliveries
	lookup     func(streamID uint64) StreamStatus
	// reject tells the path's server that a stream refused its data.
	reject func(pathID, streamID uint64, err error)
}

// NewSecondaryStreamAggregator returns an aggregator writing into dpm.
func NewSecondaryStreamAggregator(dpm presentation.DataPresentationManager, deliveries *Deliveries,
	lookup func(uint64) StreamStatus, reject func(pathID, streamID uint64, err error)) *SecondaryStreamAggregator {
	return &SecondaryStreamAggregator{dpm: dpm, deliveries: deliveries, lookup: lookup, reject: reject}
}

// ForPath returns the Handler for the lanes of one secondary path;
// received, if not nil, is told the payload bytes of every frame (the
// path's statistics).
func (a *SecondaryStreamAggregator) ForPath(pathID uint64, received func(n int)) Handler {
	return &secondaryLanes{a: a, pathID: pathID, received: received}
}

// UnknownStreamError is the reason a secondary is given when it writes into
// a stream the client does not have.
type UnknownStreamError struct{ StreamID uint64 }

func (e *UnknownStreamError) Error() string {
	return fmt.Sprintf("kwik: stream %d does not exist on the client; secondaries may only write into streams the primary opened", e.StreamID)
}

// secondaryLanes is the Handler of one secondary path.
type secondaryLanes struct {
	a        *SecondaryStreamAggregator
	pathID   uint64
	received func(n int)
}

func (s *secondaryLanes) Admit(h wire.StreamHeader) error {
	if h.Fin {
		return &PathError{Code: wire.ProtocolViolation, Reason: fmt.Sprintf("secondary path %d tried to end stream %d; only the primary may", s.pathID, h.StreamID)}
	}
	switch s.a.lookup(h.StreamID) {
	case StreamUnknown:
		s.a.reject(s.pathID, h.StreamID, &UnknownStreamError{StreamID: h.StreamID})
		return ErrDiscard
	case StreamClosed:
		return ErrDiscard
	}
	return CheckLimit(s.a.dpm, h)
}

func (s *secondaryLanes) Buffer(n int) []byte { return s.a.dpm.GetBuffer(n) }
func (s *secondaryLanes) PutBuffer(b []byte)  { s.a.dpm.PutBuffer(b) }

func (s *secondaryLanes) Deliver(h wire.StreamHeader, payload []byte) error {
	n := len(payload)
	if s.received != nil {
		s.received(n)
	}
	err := Write(s.a.dpm, s.pathID, h, payload)
	var rej *RejectedError
	if errors.As(err, &rej) {
		s.a.reject(s.pathID, h.StreamID, rej.Err)
		return nil
	}
	if err == nil {
		s.a.deliveries.Add(s.pathID, h.StreamID, n)
	}
	return err
}

// CheckLimit refuses, before its payload is read, a frame that goes past its
// stream's flow-control limit: that is a protocol violation by the path.
func CheckLimit(dpm presentation.DataPresentationManager, h wire.StreamHeader) error {
	limit, err := dpm.StreamLimit(h.StreamID)
	if err != nil {
		return ErrDiscard // the stream went away meanwhile
	}
	if end := h.Offset + uint64(h.Length); end > limit {
		return &PathError{Code: wire.FlowControlError,
			Reason: fmt.Sprintf("stream %d: data up to offset %d exceeds the advertised limit %d", h.StreamID, end, limit)}
	}
	return nil
}

// RejectedError means a stream refused a frame's data and is now failed
// (conflicting bytes, a final-size violation): the sender should be told, the
// path itself is fine.
type RejectedError struct {
	StreamID uint64
	Err      error
}

func (e *RejectedError) Error() string { return e.Err.Error() }
func (e *RejectedError) Unwrap() error { return e.Err }

// Write hands a frame's payload, owned by the caller and taken over here, to
// the presentation layer and sorts the outcome: nil, *PathError (close the
// path: data past the limit, or a *presentation.RangeLimitError), or *RejectedError (tell the sender). Data for a stream that is
// already closed or cancelled is dropped silently, as QUIC does.
func Write(dpm presentation.DataPresentationManager, pathID uint64, h wire.StreamHeader, payload []byte) error {
	meta := presentation.DataMetadata{PathID: pathID, Flags: presentation.DataFlagPooled}
	if h.Fin {
		meta.Flags |= presentation.DataFlagFin
	}
	err := dpm.WriteToStream(h.StreamID, h.Offset, payload, &meta)
	var fc *presentation.FlowControlError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fc):
		return &PathError{Code: wire.FlowControlError, Reason: err.Error()}
	case errors.Is(err, presentation.ErrTooManyRanges):
		// Fragmenting a stream beyond any legitimate sender is an attack on
		// the receiver's memory: the path goes, the stream stays.
		return &PathError{Code: wire.ProtocolViolation, Reason: err.Error()}
	case errors.Is(err, presentation.ErrStreamClosed), errors.Is(err, presentation.ErrStreamNotFound):
		return nil
	default:
		return &RejectedError{StreamID: h.StreamID, Err: err}
	}
}
