package kwik

import (
	"context"
	"crypto/tls"
	"crypto/x509"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/session"
	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// Dial opens a session to the primary server at addr (host:port, UDP),
// like quic-go's DialAddr. tlsConf verifies the primary (and, unless
// conf.SecondaryTLS is set, the secondaries the primary adds without a
// certificate pin). Every path of the session shares one UDP socket,
// closed with it.
func Dial(ctx context.Context, addr string, tlsConf *tls.Config, conf *Config) (*Session, error) {
	c, err := conf.internal()
	if err != nil {
		return nil, err
	}
	return wrapSession(session.Dial(ctx, addr, tlsConf, c))
}

// DialTransport is Dial over the caller's quic-go transport: every path of
// the session uses tr, which stays the caller's (the session never closes
// it); tr may also serve a Listener. To dial from a net.PacketConn, wrap
// it: &quic.Transport{Conn: pc}.
func DialTransport(ctx context.Context, tr *quic.Transport, addr string, tlsConf *tls.Config, conf *Config) (*Session, error) {
	c, err := conf.internal()
	if err != nil {
		return nil, err
	}
	return wrapSession(session.DialTransport(ctx, tr, addr, tlsConf, c))
}

// Listen accepts sessions on the UDP address addr, like quic-go's
// ListenAddr. tlsConf must hold the server's certificate.
func Listen(addr string, tlsConf *tls.Config, conf *Config) (*Listener, error) {
	c, err := conf.internal()
	if err != nil {
		return nil, err
	}
	return wrapListener(session.Listen(addr, tlsConf, c))
}

// ListenTransport is Listen on the caller's quic-go transport, like
// quic-go's Transport.Listen. tr stays the caller's: the Listener never
// closes it, and it may also dial (DialTransport). As with quic-go, a
// transport has at most one Listener at a time. The Listener sets tr's
// ConnContext to enforce its limits (calling the caller's, if any, for the
// connections it admits), and its VerifySourceAddress if
// Config.VerifySourceAddress is set. To listen on a net.PacketConn, wrap
// it: &quic.Transport{Conn: pc}.
func ListenTransport(tr *quic.Transport, tlsConf *tls.Config, conf *Config) (*Listener, error) {
	c, err := conf.internal()
	if err != nil {
		return nil, err
	}
	return wrapListener(session.ListenTransport(tr, tlsConf, c))
}

// PublicKeyPin returns the SHA-256 of cert's public key (its
// SubjectPublicKeyInfo), as AddPath takes it: a client then accepts that
// secondary by its key alone, whatever names its certificate holds.
func PublicKeyPin(cert *x509.Certificate) []byte { return transport.PublicKeyPin(cert) }

// The types a session reports. They are KWIK's internal types under the
// names here, as quic-go's errors are; each comment lists their fields.
type (
	// Role says which end of a session a Session is: RoleClient,
	// RolePrimary or RoleSecondary. Its String method names it.
	Role = session.Role
	// PathInfo is a snapshot of one path of a session, as AddPath,
	// AllPaths and PathEvent give it. Fields: ID uint64; Address string
	// (the server's, as given to Dial or AddPath); Primary bool; State
	// PathState; Err error (why the path failed or died, if it did);
	// Created, LastActive time.Time; Stats PathStats.
	PathInfo = transport.PathInfo
	// PathStats counts the logical-stream payload bytes a path carried.
	// Fields: BytesSent, BytesReceived uint64; SmoothedRTT time.Duration;
	// Goodput float64 (on a primary, the bytes per second the client
	// reported receiving through the path over the last second).
	PathStats = transport.PathStats
	// PathState is where a path is in its life: PathPending, PathActive,
	// PathDegraded (alive but missing keep-alives), then PathDead (lost),
	// PathRemoved (RemovePath) or PathFailed (never opened). Its Terminal
	// method reports the last three; String names it.
	PathState = transport.PathState
	// RawData is a message relayed from the primary to a secondary.
	// Fields: StreamID uint64 (the client stream it is about); Data
	// []byte (the primary's bytes).
	RawData = session.RawData
	// Event is a path or stream event of a primary session, as Events
	// delivers it: a PathEvent or a GapEvent (values, not pointers).
	Event = session.Event
	// PathEvent reports a change of a path's state. Field: Path PathInfo,
	// whose State says what happened (active: added; dead: lost; removed;
	// failed: could not open).
	PathEvent = session.PathEvent
	// GapEvent reports bytes of a stream that stayed missing on the client
	// for longer than its Config.GapTimeout: a path that was to send them
	// may be dead. Fields: StreamID uint64; Missing Missing.
	GapEvent = session.GapEvent
	// PieceEvent reports a secondary's piece the client discarded, as
	// PieceFailures returns it. Fields: PathID, StreamID uint64 (the path
	// at fault for a corrupt piece); Range Range (the piece as assigned);
	// Reason (PieceCorrupt: the digest did not match; PieceRefused: the
	// client did not take the assignment).
	PieceEvent = session.PieceEvent
	// Missing is a client's view of the missing bytes of a stream, as
	// MissingRanges and GapEvent give it: presentation.MissingRanges,
	// whose fields go doc shows (ReadOffset, FinalSize and FinalSizeKnown,
	// Ranges, Truncated).
	Missing = presentation.MissingRanges
	// Range is a half-open byte range [Start, End): presentation.Range.
	Range = presentation.Range
	// StreamID is quic-go's stream ID.
	StreamID = quic.StreamID
)

// Roles.
const (
	RoleClient    = session.RoleClient
	RolePrimary   = session.RolePrimary
	RoleSecondary = session.RoleSecondary
)

// DigestSize is the size of a piece digest (SHA-256): see
// Session.AssignDigest.
const DigestSize = session.DigestSize

// Piece failures, the Reason of a PieceEvent.
const (
	PieceCorrupt = wire.PieceCorrupt
	PieceRefused = wire.PieceRefused
)

// Path states.
const (
	PathPending  = transport.PathPending
	PathActive   = transport.PathActive
	PathDegraded = transport.PathDegraded
	PathDead     = transport.PathDead
	PathRemoved  = transport.PathRemoved
	PathFailed   = transport.PathFailed
)

// Defaults of the listener limits in Config.
const (
	DefaultMaxSessions        = session.DefaultMaxSessions
	DefaultMaxHandshakes      = session.DefaultMaxHandshakes
	DefaultMaxSessionsPerAddr = session.DefaultMaxSessionsPerAddr
)
