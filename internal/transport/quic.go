package transport

import (
	"time"

	"github.com/quic-go/quic-go"
)

// ALPN is the TLS application protocol every KWIK path negotiates.
const ALPN = "kwik/1"

// QUICOptions are the quic-go settings KWIK derives from its own Config.
type QUICOptions struct {
	KeepAlivePeriod      time.Duration
	MaxIdleTimeout       time.Duration
	HandshakeIdleTimeout time.Duration
	// ReceiveWindow bounds quic-go's own per-stream and per-connection
	// windows. KWIK's flow control sits above; quic-go's only has to keep
	// a path's pipe full, so it is sized for the bandwidth-delay product.
	ReceiveWindow uint64
	// MaxLanes is how many unidirectional streams the peer may open.
	MaxLanes int64
}

// QUICConfig returns the quic-go configuration for a path.
func QUICConfig(o QUICOptions) *quic.Config {
	window := o.ReceiveWindow
	if window == 0 {
		window = 32 << 20
	}
	lanes := o.MaxLanes
	if lanes <= 0 {
		lanes = 64
	}
	return &quic.Config{
		HandshakeIdleTimeout:           o.HandshakeIdleTimeout,
		MaxIdleTimeout:                 o.MaxIdleTimeout,
		KeepAlivePeriod:                o.KeepAlivePeriod,
		InitialStreamReceiveWindow:     window / 4,
		MaxStreamReceiveWindow:         window,
		InitialConnectionReceiveWindow: window / 2,
		MaxConnectionReceiveWindow:     window * 2,
		// Only the control stream is bidirectional.
		MaxIncomingStreams:    1,
		MaxIncomingUniStreams: lanes,
	}
}
