package fileserve

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/kwik-transport/kwik"
)

// Application error codes this protocol closes sessions and streams with.
const (
	codeNoError        = 0
	codeRefused        = 1 // the session or stream is not one this server serves
	codeShutdown       = 2 // the server is stopping
	codeTransferFailed = 3 // the primary could not send the whole object
	codeCancelled      = 4 // the client gave up
)

// Server accepts sessions and hands each to the handler of its role.
type Server struct {
	// Primary serves clients that dialled this server; nil refuses them.
	Primary *Primary
	// Secondary serves paths that a primary added; nil refuses them.
	Secondary *Secondary
	// Logger receives warnings and debug records; nil discards them.
	Logger *slog.Logger
	// OnSession, if not nil, is called with each session accepted, before
	// it is served (metrics count them). It must not block.
	OnSession func(*kwik.Session)
}

// Serve accepts sessions on ln until ctx ends or ln is closed, and returns
// once every session it accepted has been closed. Cancelling ctx closes
// them.
func (s *Server) Serve(ctx context.Context, ln *kwik.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		sess, err := ln.Accept(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kwik.ErrListenerClosed) {
				return nil
			}
			return err
		}
		wg.Go(func() { s.serveSession(ctx, sess) })
	}
}

func (s *Server) serveSession(ctx context.Context, sess *kwik.Session) {
	if s.OnSession != nil {
		s.OnSession(sess)
	}
	switch {
	case sess.Role() == kwik.RolePrimary && s.Primary != nil:
		s.Primary.ServeSession(ctx, sess)
	case sess.Role() == kwik.RoleSecondary && s.Secondary != nil:
		s.Secondary.ServeSession(ctx, sess)
	case sess.Role() == kwik.RolePrimary:
		logger(s.Logger).Info("refusing a client: this server is a secondary", "client", sess.RemoteAddr().String())
		sess.CloseWithError(codeRefused, "this server is a secondary: dial the primary, which adds its secondaries to your session")
	default:
		logger(s.Logger).Info("refusing a path: this server is a primary", "client", sess.RemoteAddr().String())
		sess.CloseWithError(codeRefused, "this server is a primary and serves no paths for another primary")
	}
}

// closeOnShutdown closes sess as soon as ctx ends, without waiting for its
// streams: a client that stops reading (or acknowledging) would otherwise
// hold writes blocked inside QUIC, and a shutdown waiting for them, until its
// path's idle timeout. The returned function detaches the hook.
func closeOnShutdown(ctx context.Context, sess *kwik.Session) (stop func() bool) {
	return context.AfterFunc(ctx, func() { sess.CloseWithError(codeShutdown, "server shutting down") })
}

// closeReason says why a server closes a session: the client is done, or
// the server is stopping.
func closeReason(ctx context.Context) (kwik.ApplicationErrorCode, string) {
	if ctx.Err() != nil {
		return codeShutdown, "server shutting down"
	}
	return codeNoError, ""
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
