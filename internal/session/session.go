package session

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/data"
	"github.com/kwik-transport/kwik/internal/gate"
	"github.com/kwik-transport/kwik/internal/stream"
	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
	"github.com/kwik-transport/kwik/pkg/presentation"
)

// Role is which end of a KWIK session this is.
type Role int

// Roles.
const (
	RoleClient    Role = iota // the application that dialled the primary
	RolePrimary               // the server the client dialled
	RoleSecondary             // a server the primary asked the client to add
)

func (r Role) String() string {
	switch r {
	case RoleClient:
		return "client"
	case RolePrimary:
		return "primary"
	case RoleSecondary:
		return "secondary"
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// Session is one KWIK session. On a client it aggregates the paths to every
// server; on a server it is one client's session (or, on a secondary, one
// path of a client's session). Its methods are safe for concurrent use.
type Session struct {
	role      Role
	conf      *Config
	log       *slog.Logger
	sessionID []byte
	ctx       context.Context
	cancel    context.CancelCauseFunc
	wg        sync.WaitGroup // every goroutine the session starts

	// primary is the client's path to the primary, or a server's path to
	// the client.
	primary *transport.Path
	// dpm holds every stream's receive side; nil on a secondary.
	dpm presentation.DataPresentationManager
	// admission takes every path's stream data into dpm; nil on a
	// secondary.
	admission *data.Admission
	// peerWindow is the credit the peer grants a new stream before telling
	// more.
	peerWindow uint64

	mu       sync.Mutex
	closeErr error
	streams  map[uint64]*stream.Control // the session's handle on each open stream
	ids      streamIDs
	// openWait's condition: the peer may allow more streams, or the
	// session ended; s.mu guards what it says.
	openWait gate.Gate
	accepted *queue[*stream.Stream] // streams the peer opened, for AcceptStream

	onClosed func() // told once the session is closed (a listener's count)

	client    *clientState    // RoleClient only
	server    *serverState    // RolePrimary only
	secondary *secondaryState // RoleSecondary only
}

func newSession(role Role, conf *Config, sessionID []byte) (*Session, error) {
	ctx, cancel := context.WithCancelCause(context.Background())
	s := &Session{
		role:      role,
		conf:      conf,
		log:       conf.Logger.With("role", role.String(), "session", fmt.Sprintf("%x", sessionID[:4])),
		sessionID: sessionID,
		ctx:       ctx,
		cancel:    cancel,
		streams:   make(map[uint64]*stream.Control),
		openWait:  gate.New(),
		accepted:  newQueue[*stream.Stream](),
	}
	if role == RoleSecondary {
		return s, nil
	}
	var pc presentation.PresentationConfig
	if conf.Presentation != nil {
		pc = *conf.Presentation
	}
	pc.Events = presentationEvents{s: s}
	dpm, err := presentation.NewDataPresentationManager(&pc)
	if err != nil {
		cancel(err)
		return nil, fmt.Errorf("kwik: receive side: %w", err)
	}
	s.dpm = dpm
	s.ids = newStreamIDs(role == RoleClient, uint64(conf.MaxIncomingStreams))
	return s, nil
}

// presentationEvents is what the receive side tells the session: credit
// to advertise and, on a client, persistent gaps to ask the paths about.
type presentationEvents struct {
	presentation.NoEvents
	s *Session
}

func (e presentationEvents) StreamLimitMoved(id, limit uint64) { e.s.advertiseLimit(id, limit) }

func (e presentationEvents) GapPersists(g presentation.GapReport) {
	if cs := e.s.client; cs != nil { // set before any path runs
		cs.reportGap(g)
	}
}

// Logger is the session's logger (Config.Logger with the session's
// attributes).
func (s *Session) Logger() *slog.Logger { return s.log }

// Role reports which end of the session this is.
func (s *Session) Role() Role { return s.role }

// SessionID returns the session's identifier, shared by every path.
func (s *Session) SessionID() []byte { return append([]byte(nil), s.sessionID...) }

// Context is cancelled when the session closes; its cause is why.
func (s *Session) Context() context.Context { return s.ctx }

// LocalAddr is the local address of the primary path.
func (s *Session) LocalAddr() net.Addr { return s.primary.LocalAddr() }

// RemoteAddr is the remote address of the primary path.
func (s *Session) RemoteAddr() net.Addr { return s.primary.RemoteAddr() }

// ReceiveStats summarises the receive side: buffered bytes, window use,
// streams. A secondary session has no receive side and returns zeros.
func (s *Session) ReceiveStats() presentation.GlobalPresentationStats {
	if s.dpm == nil {
		return presentation.GlobalPresentationStats{}
	}
	return s.dpm.GetGlobalStats()
}

// Err returns why the session closed, or nil while it is open.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeErr
}

// CloseWithError closes the session and every path with an application
// error code and message, as quic-go's Conn.CloseWithError, and waits for the
// session's goroutines to stop.
func (s *Session) CloseWithError(code quic.ApplicationErrorCode, msg string) error {
	s.closeWith(&quic.ApplicationError{ErrorCode: code, ErrorMessage: msg})
	s.wg.Wait()
	return nil
}

// closeWith closes the session once: every path, stream and waiter learns
// err. It does not wait, so the session's own goroutines may call it.
func (s *Session) closeWith(err error) {
	s.mu.Lock()
	if s.closeErr != nil {
		s.mu.Unlock()
		return
	}
	s.closeErr = err
	streams := make([]*stream.Control, 0, len(s.streams))
	for _, str := range s.streams {
		streams = append(streams, str)
	}
	s.mu.Unlock()
	s.openWait.Set()
	s.accepted.end(err)

	s.log.Debug("session closing", "err", err)
	code, msg := closeCode(err)
	for _, p := range s.paths() {
		p.Conn().CloseWithError(code, control.TruncateReason(msg))
	}
	s.cancel(err)
	for _, str := range streams {
		str.Shutdown(err)
	}
	if s.dpm != nil {
		s.dpm.Close()
	}
	switch {
	case s.server != nil:
		s.server.close()
	case s.secondary != nil:
		s.secondary.close()
	}
	if s.onClosed != nil {
		s.onClosed()
	}
}

// paths returns every path the session has open.
func (s *Session) paths() []*transport.Path {
	if s.client != nil {
		return s.client.allPaths()
	}
	return []*transport.Path{s.primary}
}

// protocolError is a control frame this side will not accept on a path.
func protocolError(format string, args ...any) error {
	return &ConnectionError{Code: wire.ProtocolViolation, Reason: fmt.Sprintf(format, args...)}
}

// handleStreamControl applies the stream-level control frames both clients
// and primaries receive from the peer. ok is false for other frames.
func (s *Session) handleStreamControl(f wire.Frame) (ok bool, err error) {
	switch f := f.(type) {
	case *wire.MaxStreamData:
		str, err := s.streamForControl(f.StreamID)
		if str != nil && str.UpdateLimit(f.Limit) && s.server != nil {
			s.server.creditGrew() // Spread paces itself by the credit
		}
		return true, err
	case *wire.StopSending:
		str, err := s.streamForControl(f.StreamID)
		if str != nil {
			str.HandleStopSending(f.ErrorCode, f.Reason)
		}
		return true, err
	case *wire.ResetStream:
		str, err := s.streamForControl(f.StreamID)
		if str != nil {
			str.HandleReset(f.ErrorCode)
		}
		return true, err
	case *wire.StreamDataBlocked:
		str, err := s.streamForControl(f.StreamID)
		if str != nil {
			// The presentation layer re-advertises at once if it can.
			s.dpm.SenderBlocked(f.StreamID, f.Limit)
		}
		return true, err
	case *wire.MaxStreams:
		s.mu.Lock()
		raised := f.Count > s.ids.peerMax
		if raised {
			s.ids.peerMax = f.Count
		}
		s.mu.Unlock()
		if raised {
			s.openWait.Set()
		}
		return true, nil
	case *wire.Ping:
		s.primary.Control().Send(&wire.Pong{Seq: f.Seq})
		return true, nil
	case *wire.Pong:
		if s.client != nil {
			s.client.pong(s.primary)
		}
		return true, nil
	}
	return false, nil
}
