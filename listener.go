package kwik

import (
	"context"
	"net"

	"github.com/kwik-transport/kwik/internal/session"
)

// Listener accepts KWIK sessions on a server: new sessions from clients
// (this server is their primary) and paths joining an existing client
// session (this server is a secondary of it). Session.Role tells them
// apart.
type Listener struct {
	l *session.Listener
}

// Accept returns the next session whose handshake completed, until ctx
// ends or the listener is closed (ErrListenerClosed).
func (l *Listener) Accept(ctx context.Context) (*Session, error) {
	return wrapSession(l.l.Accept(ctx))
}

// Addr is the address the listener is bound to.
func (l *Listener) Addr() net.Addr { return l.l.Addr() }

// Close stops accepting; sessions already accepted go on, and the socket
// is released when the last of them ends.
func (l *Listener) Close() error { return l.l.Close() }

// wrapListener returns the Listener an application sees for l, nil with
// err when l is nil.
func wrapListener(l *session.Listener, err error) (*Listener, error) {
	if l == nil {
		return nil, err
	}
	return &Listener{l: l}, err
}
