package kwik

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

	"github.com/kwik-transport/kwik/internal/session"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// Config configures KWIK sessions, on clients and servers. A nil Config is
// valid; each field documents its zero-value default. Dial and Listen
// report an invalid field as a *ConfigError.
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

	// MaxIncomingStreams is how many streams the peer may have open at
	// once. Default 100.
	MaxIncomingStreams int
	// LanesPerPath is how many QUIC streams carry logical streams' data in
	// each direction of a path. Default 1; at most 64.
	LanesPerPath int
	// MaxFrameSize is the largest STREAM frame payload sent. Default 64 KiB;
	// at most 1 MiB.
	MaxFrameSize int

	// Receive windows, as in quic-go: how many bytes this side lets the
	// peer send ahead of what the application has read. On a client they
	// cover the bytes of every path: the primary's and the secondaries'.

	// InitialStreamReceiveWindow is the receive window of a new stream.
	// Default 512 KiB.
	InitialStreamReceiveWindow uint64
	// MaxStreamReceiveWindow is the largest a stream's window grows to as
	// it auto-tunes to a reader that keeps up. Default 16 MiB, or
	// InitialStreamReceiveWindow if that is more.
	MaxStreamReceiveWindow uint64
	// MinStreamReceiveWindow is the window every stream keeps even when
	// the session's is spent, so that no stream waits behind others; it is
	// also the credit a peer may use on a new stream before this side
	// grants more. Default 64 KiB, or InitialStreamReceiveWindow if that is
	// less; at most SessionReceiveWindow.
	MinStreamReceiveWindow uint64
	// SessionReceiveWindow bounds the bytes buffered over every stream of
	// the session, like quic-go's MaxConnectionReceiveWindow; it does not
	// auto-tune. Default 24 MiB.
	SessionReceiveWindow uint64
	// GapTimeout is how long a reader may wait at a hole in a stream while
	// later bytes are buffered before the primary is told (a GapEvent on
	// its side). Default 2 s.
	GapTimeout time.Duration
	// MaxStreamRanges bounds the disjoint ranges of unread bytes one stream
	// may hold, so that a peer writing scattered bytes cannot make the
	// client track them without end; a path that would open one more is
	// closed. Legitimate delivery stays far below. Default 1024, or one
	// per 8 KiB of MaxStreamReceiveWindow if that is more.
	MaxStreamRanges int
	// MaxSessionRanges bounds them summed over every stream. Default
	// 16384, or one per 8 KiB of SessionReceiveWindow if that is more.
	MaxSessionRanges int

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
	// assignment beyond it is refused (the primary is told). Each costs a
	// few hundred bytes. The client announces it in its handshake, and a
	// primary keeps at most the smaller of the client's value and its own
	// outstanding per path: AssignDigest refuses with ErrAssignmentRefused
	// what the client would refuse, before the secondary is asked for the
	// bytes. Default 1024 on both.
	MaxAssignments int
	// MaxUnverifiedBytes bounds, on a client, the memory of the bytes one
	// secondary path delivered into pieces not yet complete and verified;
	// a path that would exceed it is closed (flow-control violation).
	// Default 16 MiB.
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

// maxWindow is the largest window QUIC's varints can express.
const maxWindow = 1<<62 - 1

// internal returns the session package's Config for c, or the receive
// windows' errors. The session package checks the other fields.
func (c *Config) internal() (*session.Config, error) {
	if c == nil {
		return nil, nil
	}
	windows, err := c.windows()
	if err != nil {
		return nil, err
	}
	return &session.Config{
		HandshakeTimeout:   c.HandshakeTimeout,
		KeepAlivePeriod:    c.KeepAlivePeriod,
		MaxIdleTimeout:     c.MaxIdleTimeout,
		MaxIncomingStreams: c.MaxIncomingStreams,
		LanesPerPath:       c.LanesPerPath,
		MaxFrameSize:       c.MaxFrameSize,
		Presentation:       windows,

		ServerGroupKey:               c.ServerGroupKey,
		ServerID:                     c.ServerID,
		PathTokenTTL:                 c.PathTokenTTL,
		ReportInterval:               c.ReportInterval,
		SecondaryTLS:                 c.SecondaryTLS,
		MaxAssignments:               c.MaxAssignments,
		MaxUnverifiedBytes:           c.MaxUnverifiedBytes,
		InsecureAcceptUnassignedData: c.InsecureAcceptUnassignedData,
		EventBuffer:                  c.EventBuffer,
		MaxPaths:                     c.MaxPaths,
		AllowPath:                    c.AllowPath,
		MaxSessions:                  c.MaxSessions,
		MaxHandshakes:                c.MaxHandshakes,
		MaxSessionsPerAddr:           c.MaxSessionsPerAddr,
		VerifySourceAddress:          c.VerifySourceAddress,
		Tracer:                       c.Tracer,
		Logger:                       c.Logger,
	}, nil
}

// windows returns the receive-side settings with the defaults in place of
// zeros, or a *ConfigError for each that is out of range or in conflict
// with another, named as in Config.
func (c *Config) windows() (*presentation.PresentationConfig, error) {
	orDefault := func(v, def uint64) uint64 {
		if v == 0 {
			return def
		}
		return v
	}
	initial := orDefault(c.InitialStreamReceiveWindow, presentation.DefaultInitialStreamWindow)
	maxStream := orDefault(c.MaxStreamReceiveWindow, max(presentation.DefaultMaxStreamWindow, initial))
	minStream := orDefault(c.MinStreamReceiveWindow, min(presentation.DefaultMinStreamWindow, initial))
	sess := orDefault(c.SessionReceiveWindow, presentation.DefaultSessionWindow)
	var errs []error
	check := func(ok bool, field string, value any, want string) {
		if !ok {
			errs = append(errs, &ConfigError{Field: field, Value: value, Want: want})
		}
	}
	check(sess <= maxWindow, "SessionReceiveWindow", sess, "at most 2^62-1")
	check(maxStream <= maxWindow, "MaxStreamReceiveWindow", maxStream, "at most 2^62-1")
	check(initial <= maxStream, "InitialStreamReceiveWindow", initial, fmt.Sprintf("at most MaxStreamReceiveWindow (%d)", maxStream))
	check(minStream <= initial, "MinStreamReceiveWindow", minStream, fmt.Sprintf("at most InitialStreamReceiveWindow (%d)", initial))
	check(minStream <= sess, "MinStreamReceiveWindow", minStream, fmt.Sprintf("at most SessionReceiveWindow (%d)", sess))
	check(c.GapTimeout >= 0, "GapTimeout", c.GapTimeout, ">= 0 (0 means 2s)")
	check(c.MaxStreamRanges >= 0, "MaxStreamRanges", c.MaxStreamRanges, ">= 0 (0 means the default)")
	check(c.MaxSessionRanges >= 0, "MaxSessionRanges", c.MaxSessionRanges, ">= 0 (0 means the default)")
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &presentation.PresentationConfig{
		InitialStreamWindow: initial,
		MaxStreamWindow:     maxStream,
		MinStreamWindow:     minStream,
		SessionWindow:       sess,
		GapTimeout:          c.GapTimeout,
		MaxStreamRanges:     c.MaxStreamRanges,
		MaxSessionRanges:    c.MaxSessionRanges,
	}, nil
}
