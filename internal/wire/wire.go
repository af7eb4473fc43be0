// Package wire encodes and decodes every KWIK frame: the control frames of a
// path's control stream (Type | Length | Body) and the STREAM frame headers
// of its lanes. All integers are QUIC variable-length integers (quicvarint).
//
// Decoders check every field against its documented bound before allocating
// anything sized by the input, and report malformed input as an *Error.
// Encoders refuse to write a frame that the peer would reject.
package wire

import "github.com/quic-go/quic-go/quicvarint"

// Version is the KWIK protocol version carried by CLIENT_HELLO and SERVER_HELLO.
const Version = 1

// MaxVarint is the largest value a QUIC varint holds (2^62-1); it bounds
// every ID, offset, limit and size.
const MaxVarint = quicvarint.Max

// MaxControlFrameSize bounds the Length (body size) of a control frame.
const MaxControlFrameSize = 1 << 20

// MaxStreamPayload bounds the payload Length of one STREAM frame.
const MaxStreamPayload = 1 << 20

// LaneMagic is the varint that opens every lane ("KWIK" in ASCII).
const LaneMagic = 0x4b57494b

// Bounds of the variable-size fields of control frames.
const (
	// SessionIDLen is the size of a session ID.
	SessionIDLen = 16
	// MaxTokenLen bounds a path token.
	MaxTokenLen = 256
	// MaxAddressLen bounds the server address in ADD_PATH.
	MaxAddressLen = 256
	// CertPinLen is the size of a certificate pin (SHA-256 of the SubjectPublicKeyInfo).
	CertPinLen = 32
	// MACLen is the size of the HMAC-SHA256 that authenticates RAW_DATA.
	MACLen = 32
	// MaxReasonLen bounds the Reason of CLOSE, STOP_SENDING and PATH_STATUS;
	// callers with a longer text should cut it.
	MaxReasonLen = 1024
	// MaxRanges bounds the ranges of one MISSING_RANGES frame.
	MaxRanges = 4096
	// MaxDeliveries bounds the entries of one DELIVERY_REPORT frame.
	MaxDeliveries = 4096
)
