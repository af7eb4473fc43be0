// Package session implements KWIK sessions: the client's aggregate of paths
// to several servers, and the primary and secondary servers' view of one
// client. The module root re-exports it as the kwik API.
package session

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/qlogwriter"

	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/data"
	"github.com/kwik-transport/kwik/internal/stream"
	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// Config configures KWIK sessions, on clients and servers. A nil Config is
// valid; each field documents its zero-value default.
type Config struct {
	// HandshakeTimeout bounds opening a path: the QUIC and KWIK handshakes.
	// Default 10 s.
	HandshakeTimeout time.Duration
	// KeepAlivePeriod is how often an idle path sends a keep-alive.
	// Default 1 s.
	KeepAlivePeriod time.Duration
	// MaxIdleTimeout is how long a path may stay silent before it is
	// declared dead. Default 5 s.
	MaxIdleTimeout time.Duration

	// MaxIncomingStreams is how many streams the peer may have open at once.
	// Default 100.
	MaxIncomingStreams int
	// LanesPerPath is how many QUIC streams carry logical streams' data in
	// each direction of a path. Default data.DefaultLanesPerPath.
	LanesPerPath int
	// MaxFrameSize is the largest STREAM frame payload sent. Default 32 KiB;
	// at most 1 MiB.
	MaxFrameSize int
	// Presentation configures the receive side: session and stream windows,
	// buffers, gap reporting. Nil means the presentation defaults.
	Presentation *presentation.PresentationConfig

	// ServerGroupKey is a secret of at least 32 bytes shared by a primary
	// server and its secondaries. A primary needs it for AddPath and
	// SendRawData; a secondary refuses every path join without it.
	ServerGroupKey []byte
	// ServerID is the address (host:port, exactly as the primary writes it
	// in AddPath) by which primaries add this server as a secondary when
	// they give no certificate pin. Path tokens and relayed raw data are
	// bound to the secondary they are for: a listener accepts a join only
	// with a token minted for ServerID, for its own address when it is
	// bound to a specific IP (not 0.0.0.0 or ::), or, with a pin, for the
	// public key of one of its certificates. Set it when the listener is
	// bound to a wildcard address or reached through a relay. Empty: only
	// the bound address and the pins.
	ServerID string
	// PathTokenTTL is how long a path token minted by AddPath stays valid.
	// Default 30 s.
	PathTokenTTL time.Duration
	// ReportInterval is how often a client sends the primary its delivery
	// reports, when something changed. Default 25 ms; negative disables
	// periodic reports (they are still sent when the primary asks).
	ReportInterval time.Duration
	// SecondaryTLS is the TLS configuration a client uses to verify a
	// secondary server when the primary sent no certificate pin for it.
	// Nil means the tls.Config given to Dial.
	SecondaryTLS *tls.Config
	// MaxAssignments bounds, on a client, the pieces the primary may have
	// assigned to one secondary path and not yet seen delivered; an
	// assignment beyond it is refused (the primary is told). Each costs
	// about data.PieceOverhead bytes. The client announces it in
	// CLIENT_HELLO; a primary keeps at most the smaller of the client's
	// value and its own outstanding per path, so AssignDigest refuses with
	// ErrAssignmentRefused what the client would refuse, before the
	// secondary is asked for the bytes (both default to
	// DefaultMaxAssignments).
	MaxAssignments int
	// MaxUnverifiedBytes bounds, on a client, the memory of the bytes one
	// secondary path delivered into pieces not yet complete and verified;
	// a path that would exceed it is closed (flow-control violation).
	// Default DefaultMaxUnverified.
	MaxUnverifiedBytes int
	// InsecureAcceptUnassignedData makes a client accept a secondary's
	// bytes outside every piece the primary assigned to it, straight into
	// the stream and unverified: any secondary may then write anything
	// into any stream. Only for applications that trust every secondary.
	InsecureAcceptUnassignedData bool
	// EventBuffer is the capacity of a server session's Events channel.
	// Default 256.
	EventBuffer int

	// MaxPaths bounds the secondary paths a client session has open or
	// opening at once. The client refuses an ADD_PATH beyond it (the
	// primary's AddPath fails with the reason). Dials are rate-limited
	// too: MaxPaths at once, then one per second, where a dial that
	// reaches a KWIK secondary gives its share back. Default 8.
	MaxPaths int
	// AllowPath approves, with a nil error, or refuses the secondary
	// server a primary asks a client to dial: addr is the address as the
	// primary sent it, resolved what it resolved to. A refusal's text
	// reaches the primary. The client never dials port 0, unspecified,
	// multicast or broadcast addresses, whatever AllowPath says. Nil
	// means: a secondary may not be more local than the primary — a
	// loopback address only when the primary is one, a private or
	// link-local address only when the primary is loopback, private or
	// link-local; public addresses are always allowed.
	AllowPath func(addr string, resolved netip.AddrPort) error

	// Listener limits. A connection over one of them is refused when its
	// first packet arrives (QUIC CONNECTION_REFUSED), before it costs a TLS
	// handshake. Negative means no limit. DESIGN.md says what a session
	// costs a server.
	//
	// MaxSessions bounds the sessions a Listener holds at once, handshakes
	// included, primary and secondary alike. Default 256.
	MaxSessions int
	// MaxHandshakes bounds the connections a Listener is handshaking (QUIC
	// and KWIK handshakes) at once. Default 256, so that a burst of 100
	// clients dialling together gets through with room to spare.
	MaxHandshakes int
	// MaxSessionsPerAddr bounds the sessions and handshakes from one source
	// IP address. Default 256. Without address validation the address is
	// the one the client's packets claim; see VerifySourceAddress.
	MaxSessionsPerAddr int
	// VerifySourceAddress is quic-go's Transport.VerifySourceAddress: when
	// it returns true for a client's address, the client must prove it
	// receives packets there (a QUIC Retry, one more round trip) before the
	// handshake starts. Nil means never (or, with ListenTransport, whatever
	// the transport has); a server under attack may return true always, or
	// when a rate limiter's Allow fails.
	VerifySourceAddress func(net.Addr) bool

	// Tracer, if not nil, is set as quic-go's Config.Tracer on every path:
	// each path is a QUIC connection of its own, so quic-go's
	// qlog.DefaultConnectionTracer (which writes $QLOGDIR/<connID>_<role>.sqlog)
	// gives one qlog file per path, to view in qvis
	// (https://qvis.quictools.info).
	Tracer func(ctx context.Context, isClient bool, connID quic.ConnectionID) qlogwriter.Trace

	// Logger receives KWIK's diagnostics. Nil means no logging.
	Logger *slog.Logger
}

// Defaults of the listener limits.
const (
	DefaultMaxSessions        = 256
	DefaultMaxHandshakes      = 256
	DefaultMaxSessionsPerAddr = 256
)

// withDefaults returns a copy of c with every zero field set, or an error
// naming the first invalid field.
func (c *Config) withDefaults() (*Config, error) {
	var out Config
	if c != nil {
		out = *c
	}
	setDefault(&out.HandshakeTimeout, 10*time.Second)
	setDefault(&out.KeepAlivePeriod, time.Second)
	setDefault(&out.MaxIdleTimeout, 5*time.Second)
	setDefault(&out.MaxIncomingStreams, 100)
	setDefault(&out.LanesPerPath, data.DefaultLanesPerPath)
	setDefault(&out.MaxFrameSize, stream.DefaultMaxFrameSize)
	setDefault(&out.PathTokenTTL, 30*time.Second)
	setDefault(&out.ReportInterval, 25*time.Millisecond)
	setDefault(&out.EventBuffer, 256)
	setDefault(&out.MaxPaths, 8)
	setDefault(&out.MaxSessions, DefaultMaxSessions)
	setDefault(&out.MaxHandshakes, DefaultMaxHandshakes)
	setDefault(&out.MaxSessionsPerAddr, DefaultMaxSessionsPerAddr)
	setDefault(&out.MaxAssignments, DefaultMaxAssignments)
	setDefault(&out.MaxUnverifiedBytes, DefaultMaxUnverified)
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	var errs []error
	check := func(ok bool, field string, value any, want string) {
		if !ok {
			errs = append(errs, &ConfigError{Field: field, Value: value, Want: want})
		}
	}
	check(out.HandshakeTimeout > 0, "HandshakeTimeout", out.HandshakeTimeout, "> 0")
	check(out.KeepAlivePeriod > 0, "KeepAlivePeriod", out.KeepAlivePeriod, "> 0")
	check(out.MaxIdleTimeout > 0, "MaxIdleTimeout", out.MaxIdleTimeout, "> 0")
	check(out.MaxIncomingStreams > 0, "MaxIncomingStreams", out.MaxIncomingStreams, "> 0")
	check(out.LanesPerPath > 0 && out.LanesPerPath <= maxLanesPerPath, "LanesPerPath", out.LanesPerPath, fmt.Sprint("1..", maxLanesPerPath))
	check(out.MaxFrameSize > 0 && out.MaxFrameSize <= wire.MaxStreamPayload, "MaxFrameSize", out.MaxFrameSize, fmt.Sprint("1..", wire.MaxStreamPayload))
	check(out.PathTokenTTL > 0, "PathTokenTTL", out.PathTokenTTL, "> 0")
	check(out.EventBuffer > 0, "EventBuffer", out.EventBuffer, "> 0")
	check(out.MaxPaths > 0, "MaxPaths", out.MaxPaths, "> 0")
	check(out.MaxAssignments > 0, "MaxAssignments", out.MaxAssignments, "> 0")
	check(out.MaxUnverifiedBytes > 0, "MaxUnverifiedBytes", out.MaxUnverifiedBytes, "> 0")
	if out.ServerGroupKey != nil {
		check(control.CheckGroupKey(out.ServerGroupKey) == nil, "ServerGroupKey", fmt.Sprintf("%d bytes", len(out.ServerGroupKey)),
			fmt.Sprintf("at least %d random bytes, the same on the primary and its secondaries", control.MinGroupKeySize))
	}
	if out.Presentation != nil {
		if err := out.Presentation.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("kwik: Config.Presentation: %w", err))
		}
	}
	return &out, errors.Join(errs...)
}

// maxLanesPerPath bounds Config.LanesPerPath.
const maxLanesPerPath = 64

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// initialStreamWindow is the credit this side promises every new stream
// before any MAX_STREAM_DATA: the presentation layer's minimum share.
func (c *Config) initialStreamWindow() uint64 {
	if c.Presentation != nil && c.Presentation.MinStreamWindow != 0 {
		return c.Presentation.MinStreamWindow
	}
	return presentation.DefaultMinStreamWindow
}

// frameTimeout bounds how long a peer may leave a control frame it began
// incomplete: twice the idle timeout is ample for any frame (at most 1 MiB)
// on a path that works, and short enough that a stalled frame does not hold
// its memory for long.
func (c *Config) frameTimeout() time.Duration { return 2 * c.MaxIdleTimeout }
