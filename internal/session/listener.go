package session

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
)

// ErrListenerClosed is returned by Accept after Close.
var ErrListenerClosed = errors.New("kwik: listener closed")

// Listener accepts KWIK sessions: new sessions from clients (this server is
// their primary) and paths joining an existing client session (this server
// is a secondary of it).
type Listener struct {
	conf   *Config
	udp    *net.UDPConn // nil on a caller's transport (ListenTransport)
	tr     *quic.Transport
	ql     *quic.Listener
	tokens *control.TokenVerifier
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	accept *acceptors
	ready  chan *Session

	// The UDP socket is shared by every session accepted here, so it is
	// closed once the listener is closed and the last of them has ended.
	mu       sync.Mutex
	live     int
	closed   bool
	released bool
}

// Listen listens for KWIK sessions on the UDP address addr, like quic-go's
// ListenAddr. tlsConf must hold the server's certificate.
func Listen(addr string, tlsConf *tls.Config, conf *Config) (*Listener, error) {
	udpAddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	udp, err := net.ListenUDP("udp", udpAddr)
	if err != nil {
		return nil, err
	}
	l, err := listen(&quic.Transport{Conn: udp}, udp, tlsConf, conf)
	if err != nil {
		udp.Close()
	}
	return l, err
}

// ListenTransport is Listen on the caller's quic-go transport, like
// quic-go's Transport.Listen. tr stays the caller's: the Listener never
// closes it, and it may also dial (DialTransport). As with quic-go, a
// transport has at most one Listener at a time. The Listener sets tr's
// ConnContext to enforce its limits (calling the caller's, if any, for the
// connections it admits), and its VerifySourceAddress if
// Config.VerifySourceAddress is set.
func ListenTransport(tr *quic.Transport, tlsConf *tls.Config, conf *Config) (*Listener, error) {
	if tr == nil {
		return nil, errors.New("kwik: ListenTransport needs a *quic.Transport")
	}
	return listen(tr, nil, tlsConf, conf)
}

// listen serves tr; udp, if not nil, is the socket the Listener owns.
func listen(tr *quic.Transport, udp *net.UDPConn, tlsConf *tls.Config, conf *Config) (*Listener, error) {
	c, err := conf.withDefaults()
	if err != nil {
		return nil, err
	}
	tlsC, err := transport.ServerTLS(tlsConf)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Listener{conf: c, udp: udp, tr: tr, ctx: ctx, cancel: cancel, ready: make(chan *Session)}
	l.accept = newAcceptors(ctx, &l.wg, maxAcceptors(c), l.serve)
	tr.ConnContext = admit(newAdmission(c), tr.ConnContext, c.Logger, l.accept.admitted)
	if c.VerifySourceAddress != nil {
		tr.VerifySourceAddress = c.VerifySourceAddress
	}
	ql, err := tr.Listen(tlsC, c.quicConfig())
	if err != nil {
		cancel()
		return nil, err
	}
	l.ql = ql
	l.tokens = control.NewTokenVerifier(c.ServerGroupKey, identities(c, tlsConf, ql.Addr()))
	l.accept.start(quicAccept(ql))
	return l, nil
}

// Addr is the address the listener is bound to.
func (l *Listener) Addr() net.Addr { return l.ql.Addr() }

// Accept returns the next session whose handshake completed, until ctx ends
// or the listener is closed. Session.Role tells a primary session from a
// secondary one.
func (l *Listener) Accept(ctx context.Context) (*Session, error) {
	select {
	case s := <-l.ready:
		return s, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.ctx.Done():
		return nil, ErrListenerClosed
	}
}

// Close stops accepting; sessions already accepted go on, and the socket
// is released when the last of them ends.
func (l *Listener) Close() error {
	l.cancel()
	err := l.ql.Close()
	l.accept.close()
	l.wg.Wait()
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.sessionEnded(false)
	return err
}

// sessionEnded counts a session out (if one ended) and releases the socket
// when nothing uses it any more.
func (l *Listener) sessionEnded(one bool) {
	l.mu.Lock()
	if one {
		l.live--
	}
	release := l.closed && l.live == 0 && !l.released
	if release {
		l.released = true
	}
	l.mu.Unlock()
	if release && l.udp != nil { // a caller's transport stays the caller's
		l.tr.Close()
		l.udp.Close()
	}
}

// maxAcceptors is how many goroutines may wait in quic-go's Accept at
// once: with as many waiting as handshakes may be in progress beyond the
// queue's size, none is refused that the limits admitted.
func maxAcceptors(c *Config) int {
	n := c.MaxHandshakes
	if n <= 0 {
		n = DefaultMaxHandshakes
	}
	return max(1, n-quicAcceptQueue)
}

// serve runs the KWIK handshake on an accepted connection and hands its
// session to Accept.
func (l *Listener) serve(conn *quic.Conn) {
	s, err := l.handshake(conn)
	if err != nil {
		l.conf.Logger.Info("refused a connection", "remote", conn.RemoteAddr(), "err", err)
		return
	}
	select {
	case l.ready <- s:
	case <-l.ctx.Done():
		s.CloseWithError(0, "server shutting down")
	}
}

// release counts a connection out of the listener's limits at once,
// rather than when quic-go ends its context.
func (l *Listener) release(conn *quic.Conn) {
	if t := admittedOf(conn.Context()); t != nil {
		t.release()
	}
}

// handshake runs the server side of the KWIK handshake on a new connection
// and builds its session.
func (l *Listener) handshake(conn *quic.Conn) (*Session, error) {
	ctx, cancel := context.WithTimeout(l.ctx, l.conf.HandshakeTimeout)
	defer cancel()
	str, err := conn.AcceptStream(ctx)
	if err != nil {
		l.release(conn)
		conn.CloseWithError(quic.ApplicationErrorCode(wire.ProtocolViolation), "no control stream")
		return nil, err
	}
	str.SetPriority(controlUrgency, false)
	ch := control.NewChannel(str, 0)
	role := RolePrimary
	var sessionID []byte
	var ident control.ServerIdentity // a secondary's, that the token was minted for
	hello, reply, err := control.ServerHandshake(ctx, ch, func(h *wire.ClientHello) (*wire.ServerHello, error) {
		if len(h.SessionID) == 0 {
			if h.PathID != 0 {
				return nil, &control.HandshakeError{Code: wire.ProtocolViolation, Reason: "a new session starts on path 0"}
			}
			sessionID = control.NewSessionID()
		} else {
			if ident, err = l.tokens.Verify(h.Token, h.SessionID, h.PathID, time.Now()); err != nil {
				return nil, &control.HandshakeError{Code: wire.Refused, Reason: err.Error()}
			}
			role, sessionID = RoleSecondary, h.SessionID
		}
		sh := &wire.ServerHello{SessionID: sessionID, PathID: h.PathID, MaxStreams: uint64(l.conf.MaxIncomingStreams), InitialStreamWindow: l.conf.initialStreamWindow()}
		if role == RoleSecondary {
			sh.Role = wire.RoleSecondary
		}
		return sh, nil
	})
	if err != nil {
		var herr *control.HandshakeError
		code, reason := wire.InternalError, err.Error()
		if errors.As(err, &herr) {
			code, reason = herr.Code, herr.Reason
		}
		l.release(conn) // before the peer can see the close and try again
		conn.CloseWithError(quic.ApplicationErrorCode(code), control.TruncateReason(reason))
		return nil, err
	}
	s, err := newSession(role, l.conf, sessionID)
	if err != nil {
		conn.CloseWithError(quic.ApplicationErrorCode(wire.InternalError), "")
		return nil, err
	}
	if t := admittedOf(conn.Context()); t != nil {
		t.established()
	}
	l.mu.Lock()
	l.live++
	l.mu.Unlock()
	s.onClosed = func() {
		l.release(conn)
		l.sessionEnded(true)
	}
	s.peerWindow = hello.InitialStreamWindow
	s.ids.peerMax = hello.MaxStreams
	s.primary = transport.NewPath(reply.PathID, conn.RemoteAddr().String(), role == RolePrimary, conn, ch, l.conf.LanesPerPath)
	if role == RolePrimary {
		s.startPrimary(ch, hello.MaxAssignments)
	} else {
		s.startSecondary(ch, l.conf.ServerGroupKey, ident)
	}
	return s, nil
}
