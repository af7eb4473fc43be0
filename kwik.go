// Package kwik is a transport on quic-go that lets one client receive one
// logical byte stream from several servers at once, behind an API shaped
// like QUIC's.
//
// A client Dials a primary server and gets a *Session; streams come from
// OpenStreamSync and AcceptStream and are io.ReadWriteClosers, exactly as
// with quic-go. The primary may ask the client to open paths to secondary
// servers (Session.AddPath); those write into the client's streams at
// explicit offsets (Stream.WriteAt), and the client reassembles one ordered
// byte stream per logical stream. The client application never sees paths.
package kwik

import (
	"context"
	"crypto/tls"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/session"
	"github.com/kwik-transport/kwik/internal/stream"
	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

type (
	// Config configures sessions; nil is valid and every field documents
	// its default.
	Config = session.Config
	// Session is a KWIK session, on the client or on a server.
	Session = session.Session
	// Listener accepts sessions on a server.
	Listener = session.Listener
	// Stream is a bidirectional logical stream.
	Stream = stream.Stream
	// Role says which end of a session a Session is.
	Role = session.Role
	// PathInfo describes one path of a session.
	PathInfo = transport.PathInfo
	// PathState is where a path is in its life.
	PathState = transport.PathState
	// RawData is a message relayed from the primary to a secondary.
	RawData = session.RawData
	// Event is a path or stream event of a primary session.
	Event = session.Event
	// PathEvent reports a change of a path's state.
	PathEvent = session.PathEvent
	// GapEvent reports bytes a client has been missing for too long.
	GapEvent = session.GapEvent
	// PieceEvent reports a secondary's piece the client discarded.
	PieceEvent = session.PieceEvent
	// Missing is a client's view of the missing bytes of a stream: the
	// receive side's presentation.MissingRanges.
	Missing = presentation.MissingRanges
	// Range is a half-open byte range: presentation.Range.
	Range = presentation.Range
	// ConnectionError is a session or path closed by KWIK itself.
	ConnectionError = session.ConnectionError

	// StreamID, StreamErrorCode, ApplicationErrorCode, StreamError and
	// ApplicationError are quic-go's, so code moving from quic-go keeps
	// its error handling.
	StreamID             = quic.StreamID
	StreamErrorCode      = quic.StreamErrorCode
	ApplicationErrorCode = quic.ApplicationErrorCode
	StreamError          = quic.StreamError
	ApplicationError     = quic.ApplicationError
)

// Roles.
const (
	RoleClient    = session.RoleClient
	RolePrimary   = session.RolePrimary
	RoleSecondary = session.RoleSecondary
)

// DigestSize is the size of a piece digest (SHA-256): see
// Session.AssignRange.
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

// Errors.
var (
	ErrNotPrimary     = session.ErrNotPrimary
	ErrNotSecondary   = session.ErrNotSecondary
	ErrNoGroupKey     = session.ErrNoGroupKey
	ErrUnknownPath    = session.ErrUnknownPath
	ErrPathRemoved    = session.ErrPathRemoved
	ErrTooManyStreams = session.ErrTooManyStreams
	ErrListenerClosed = session.ErrListenerClosed
)

// Dial opens a session to the primary server at addr (host:port, UDP).
// Every path of the session shares one UDP socket, closed with it.
func Dial(ctx context.Context, addr string, tlsConf *tls.Config, conf *Config) (*Session, error) {
	return session.Dial(ctx, addr, tlsConf, conf)
}

// DialTransport is Dial over the caller's quic-go transport: every path of
// the session uses tr, which stays the caller's. To dial from a
// net.PacketConn, wrap it: &quic.Transport{Conn: pc}.
func DialTransport(ctx context.Context, tr *quic.Transport, addr string, tlsConf *tls.Config, conf *Config) (*Session, error) {
	return session.DialTransport(ctx, tr, addr, tlsConf, conf)
}

// ListenTransport is Listen on the caller's quic-go transport, which
// stays the caller's (closing the Listener does not close it). To listen
// on a net.PacketConn, wrap it: &quic.Transport{Conn: pc}.
func ListenTransport(tr *quic.Transport, tlsConf *tls.Config, conf *Config) (*Listener, error) {
	return session.ListenTransport(tr, tlsConf, conf)
}

// Listen accepts sessions on the UDP address addr. tlsConf holds the
// server's certificate.
func Listen(addr string, tlsConf *tls.Config, conf *Config) (*Listener, error) {
	return session.Listen(addr, tlsConf, conf)
}

// PublicKeyPin returns the SHA-256 of a certificate's public key, as
// AddPath takes it.
var PublicKeyPin = transport.PublicKeyPin
