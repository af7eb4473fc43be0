package kwik

import (
	"context"
	"log/slog"
	"net"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/session"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// Session is one KWIK session. On a client it aggregates the paths to every
// server; on a server it is one client's session (or, on a secondary, one
// path of a client's session). Its methods are safe for concurrent use.
//
// A client uses it as a quic-go connection: OpenStreamSync, AcceptStream,
// CloseWithError. A primary server also manages the client's paths to
// secondary servers (AddPath, RemovePath, AllPaths), tells the client what
// each secondary may write (AssignRange) and relays work to them
// (SendRawData); a secondary takes that work (AcceptRawData) and writes
// into the client's streams (StreamWriter).
type Session struct {
	s *session.Session
}

// wrapSession returns the Session an application sees for s, nil with
// err when s is nil.
func wrapSession(s *session.Session, err error) (*Session, error) {
	if s == nil {
		return nil, err
	}
	return &Session{s: s}, err
}

// OpenStream opens a stream without waiting; it fails with
// ErrTooManyStreams when the peer's limit is reached.
func (s *Session) OpenStream() (*Stream, error) { return wrapStream(s.s.OpenStream()) }

// OpenStreamSync opens a stream, waiting while the peer's stream limit is
// reached, until ctx ends.
func (s *Session) OpenStreamSync(ctx context.Context) (*Stream, error) {
	return wrapStream(s.s.OpenStreamSync(ctx))
}

// AcceptStream returns the next stream the peer opened, waiting until ctx
// ends. Streams secondary servers write into never appear here.
func (s *Session) AcceptStream(ctx context.Context) (*Stream, error) {
	return wrapStream(s.s.AcceptStream(ctx))
}

// CloseWithError closes the session and every path with an application
// error code and message, as quic-go's Conn.CloseWithError, and waits for
// the session's goroutines to stop.
func (s *Session) CloseWithError(code ApplicationErrorCode, msg string) error {
	return s.s.CloseWithError(code, msg)
}

// Context is cancelled when the session closes; its cause is why.
func (s *Session) Context() context.Context { return s.s.Context() }

// Err returns why the session closed, or nil while it is open.
func (s *Session) Err() error { return s.s.Err() }

// HandshakeComplete is closed once the primary path's handshake is
// complete, like quic-go's. Dial and Accept return a session only after its
// handshake (TLS and KWIK's own), so on a Session it is always closed
// already; it exists so that code written for quic-go works unchanged.
func (s *Session) HandshakeComplete() <-chan struct{} { return s.s.HandshakeComplete() }

// ConnectionState is the state of the primary path's QUIC connection, as
// quic-go's Conn.ConnectionState reports it: TLS (negotiated protocol,
// cipher suite, the peer's certificates for authorisation by mTLS), QUIC
// version, datagram and 0-RTT support. A secondary path has TLS state of
// its own; the primary path is the one the application authenticated.
func (s *Session) ConnectionState() quic.ConnectionState { return s.s.ConnectionState() }

// LocalAddr is the local address of the primary path.
func (s *Session) LocalAddr() net.Addr { return s.s.LocalAddr() }

// RemoteAddr is the remote address of the primary path.
func (s *Session) RemoteAddr() net.Addr { return s.s.RemoteAddr() }

// Role reports which end of the session this is.
func (s *Session) Role() Role { return s.s.Role() }

// SessionID returns the session's identifier, shared by every path.
func (s *Session) SessionID() []byte { return s.s.SessionID() }

// Logger is the session's logger: Config.Logger with the session's
// attributes.
func (s *Session) Logger() *slog.Logger { return s.s.Logger() }

// ReceiveStats summarises the receive side: buffered bytes, window use,
// streams. A secondary session has no receive side and returns zeros.
func (s *Session) ReceiveStats() presentation.GlobalPresentationStats { return s.s.ReceiveStats() }
