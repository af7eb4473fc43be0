package data

import (
	"errors"
	"fmt"

	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

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

// UnknownStreamError is the reason a secondary is given when it writes into
// a stream the client does not have.
type UnknownStreamError struct{ StreamID uint64 }

func (e *UnknownStreamError) Error() string {
	return fmt.Sprintf("kwik: stream %d does not exist on the client; secondaries may only write into streams the primary opened", e.StreamID)
}

// Write hands a frame's payload, owned by the caller and taken over here, to
// the presentation layer and sorts the outcome: nil, *PathError (close the
// path: data past the limit, or a *presentation.RangeLimitError), or
// *RejectedError (tell the sender). Data for a stream that is already closed
// or cancelled is dropped silently, as QUIC does.
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
