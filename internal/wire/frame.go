package wire

import (
	"strconv"

	"github.com/quic-go/quic-go/quicvarint"
)

// FrameType is the Type of a frame on a control stream or a lane.
type FrameType uint64

// Frame types. STREAM frames travel on lanes; every other type on the
// control stream.
const (
	FrameClientHello       FrameType = 0x01
	FrameServerHello       FrameType = 0x02
	FrameClose             FrameType = 0x03
	FramePing              FrameType = 0x04
	FramePong              FrameType = 0x05
	FrameStream            FrameType = 0x08
	FrameStreamFin         FrameType = 0x09
	FrameMaxStreamData     FrameType = 0x10
	FrameMaxData           FrameType = 0x11
	FrameStreamDataBlocked FrameType = 0x12
	FrameMaxStreams        FrameType = 0x13
	FrameResetStream       FrameType = 0x14
	FrameStopSending       FrameType = 0x15
	FrameAddPath           FrameType = 0x20
	FramePathStatus        FrameType = 0x21
	FrameRemovePath        FrameType = 0x22
	FrameRawData           FrameType = 0x23
	FrameRangesRequest     FrameType = 0x24
	FrameMissingRanges     FrameType = 0x25
	FrameDeliveryReport    FrameType = 0x26
	FrameReportRequest     FrameType = 0x27
	FrameAssignRange       FrameType = 0x28
	FrameWithdrawRange     FrameType = 0x29
	FramePieceFailed       FrameType = 0x2a
)

var frameNames = map[FrameType]string{
	FrameClientHello:       "CLIENT_HELLO",
	FrameServerHello:       "SERVER_HELLO",
	FrameClose:             "CLOSE",
	FramePing:              "PING",
	FramePong:              "PONG",
	FrameStream:            "STREAM",
	FrameStreamFin:         "STREAM_FIN",
	FrameMaxStreamData:     "MAX_STREAM_DATA",
	FrameMaxData:           "MAX_DATA",
	FrameStreamDataBlocked: "STREAM_DATA_BLOCKED",
	FrameMaxStreams:        "MAX_STREAMS",
	FrameResetStream:       "RESET_STREAM",
	FrameStopSending:       "STOP_SENDING",
	FrameAddPath:           "ADD_PATH",
	FramePathStatus:        "PATH_STATUS",
	FrameRemovePath:        "REMOVE_PATH",
	FrameRawData:           "RAW_DATA",
	FrameRangesRequest:     "RANGES_REQUEST",
	FrameMissingRanges:     "MISSING_RANGES",
	FrameDeliveryReport:    "DELIVERY_REPORT",
	FrameReportRequest:     "REPORT_REQUEST",
	FrameAssignRange:       "ASSIGN_RANGE",
	FrameWithdrawRange:     "WITHDRAW_RANGE",
	FramePieceFailed:       "PIECE_FAILED",
}

// String returns the frame's name as in DESIGN.md, or "FrameType(0x..)" for
// a type this version does not know.
func (t FrameType) String() string {
	if name, ok := frameNames[t]; ok {
		return name
	}
	return "FrameType(0x" + strconv.FormatUint(uint64(t), 16) + ")"
}

// Frame is a control frame. ParseControlFrame and ReadControlFrame return
// pointers to the frame structs (*Ping, *MaxStreamData, ...).
type Frame interface {
	// Type returns the frame's type.
	Type() FrameType
	// Append appends the whole frame (Type | Length | Body) to b. If a field
	// is out of range it returns b unchanged and an *Error.
	Append(b []byte) ([]byte, error)
}

// bodyDecoder is a Frame that can read its body.
type bodyDecoder interface {
	Frame
	decode(d *decoder)
}

// newControlFrame returns an empty frame of type t and the largest body it
// can have, or nil if t is not a control frame type.
func newControlFrame(t FrameType) (bodyDecoder, int) {
	spec, ok := controlFrames[t]
	if !ok {
		return nil, 0
	}
	return spec.new(), spec.maxBody
}

func unknownTypeError(t FrameType) *Error {
	return newError(t, "Type", "not a control frame type")
}

func frameTooLargeError(t FrameType, length uint64, maxBody int) *Error {
	return newError(t, "Length", "%d exceeds the largest %v body (%d bytes)", length, t, maxBody)
}

// parseBody decodes body into f. With copyBytes set,
// []byte fields are copied out of body; otherwise they alias it.
func parseBody(f bodyDecoder, body []byte, copyBytes bool) (Frame, error) {
	d := newBodyDecoder(f.Type(), body, copyBytes)
	f.decode(&d)
	if err := d.finish(); err != nil {
		return nil, err
	}
	return f, nil
}

// ParseControlFrame decodes the control frame at the start of b and returns
// it with the number of bytes it took. The frame does not alias b. Every
// error is an *Error; it wraps ErrTruncated when b ends inside the frame.
func ParseControlFrame(b []byte) (Frame, int, error) {
	t, n, err := quicvarint.Parse(b)
	if err != nil {
		return nil, 0, truncatedError(0, "Type")
	}
	f, maxBody := newControlFrame(FrameType(t))
	if f == nil {
		return nil, 0, unknownTypeError(FrameType(t))
	}
	length, m, err := quicvarint.Parse(b[n:])
	if err != nil {
		return nil, 0, truncatedError(f.Type(), "Length")
	}
	if length > uint64(maxBody) {
		return nil, 0, frameTooLargeError(f.Type(), length, maxBody)
	}
	n += m
	if length > uint64(len(b)-n) {
		return nil, 0, &Error{
			Frame:  f.Type(),
			Reason: "input ended inside the " + strconv.FormatUint(length, 10) + "-byte body",
			err:    ErrTruncated,
		}
	}
	end := n + int(length)
	frame, err := parseBody(f, b[n:end], true)
	if err != nil {
		return nil, 0, err
	}
	return frame, end, nil
}
