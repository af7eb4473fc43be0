package session

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/data"
	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
)

// quicConfig is the quic-go configuration of every path.
func (c *Config) quicConfig() *quic.Config {
	qc := transport.QUICConfig(transport.QUICOptions{
		KeepAlivePeriod:      c.KeepAlivePeriod,
		MaxIdleTimeout:       c.MaxIdleTimeout,
		HandshakeIdleTimeout: c.HandshakeTimeout,
		// Peers may configure more lanes than we do: allow the most any
		// Config accepts.
		MaxLanes: maxLanesPerPath,
	})
	qc.Tracer = c.Tracer
	return qc
}

// controlUrgency puts control frames ahead of stream data in quic-go's
// packet scheduler: a relayed range request or a credit update that waits
// behind a path's queued data delays every path that depends on it.
const controlUrgency = 0

// dialPath opens a QUIC connection to to (addr resolved) through tr, the
// session's one UDP socket, with its control stream, and runs the client
// side of the KWIK handshake.
func dialPath(ctx context.Context, conf *Config, tr *quic.Transport, addr string, to netip.AddrPort, tlsConf *tls.Config, pin []byte, hello *wire.ClientHello) (*quic.Conn, *control.Channel, *wire.ServerHello, error) {
	tlsC, err := transport.ClientTLS(tlsConf, addr, pin)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, conf.HandshakeTimeout)
	defer cancel()
	conn, err := tr.Dial(ctx, net.UDPAddrFromAddrPort(to), tlsC, conf.quicConfig())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("kwik: dialling %s: %w", addr, err)
	}
	str, err := conn.OpenStreamSync(ctx)
	if err != nil {
		conn.CloseWithError(quic.ApplicationErrorCode(wire.InternalError), "")
		return nil, nil, nil, fmt.Errorf("kwik: opening the control stream to %s: %w", addr, err)
	}
	str.SetPriority(controlUrgency, false)
	ch := control.NewChannel(str, 0)
	hello.Version = wire.Version
	sh, err := control.ClientHandshake(ctx, ch, hello)
	if err != nil {
		var herr *control.HandshakeError
		code, reason := wire.InternalError, ""
		if errors.As(err, &herr) {
			code, reason = herr.Code, herr.Reason
		}
		conn.CloseWithError(quic.ApplicationErrorCode(code), control.TruncateReason(reason))
		var appErr *quic.ApplicationError
		if errors.As(err, &appErr) {
			err = fromQUIC(appErr) // the server application's own code, not the wire's
		}
		return nil, nil, nil, fmt.Errorf("kwik: handshake with %s: %w", addr, err)
	}
	return conn, ch, sh, nil
}

// resolveUDP resolves a host:port address, honouring ctx.
func resolveUDP(ctx context.Context, addr string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("kwik: address %q: %w", addr, err)
	}
	pn, err := net.DefaultResolver.LookupPort(ctx, "udp", port)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("kwik: address %q: %w", addr, err)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return netip.AddrPortFrom(ip.Unmap(), uint16(pn)), nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("kwik: resolving %q: %w", addr, err)
	}
	// Prefer IPv4, as net.ResolveUDPAddr does.
	ip := ips[0]
	for _, a := range ips {
		if a.Unmap().Is4() {
			ip = a
			break
		}
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(pn)), nil
}

// runPath serves one path until it ends: its control frames go to handle,
// its lanes (if lanes is not nil) to lanes. When either fails the path's
// connection is closed, and ended is told why.
func (s *Session) runPath(pc *transport.Path, handle func(wire.Frame) error, lanes data.Handler, ended func(error)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		conn, ch := pc.Conn(), pc.Control()
		ch.SetFrameTimeout(s.conf.frameTimeout())
		errc := make(chan error, 2)
		workers := 1
		go func() {
			errc <- ch.Run(s.ctx, func(f wire.Frame) error {
				pc.Touch()
				return handle(f)
			})
		}()
		if lanes != nil {
			workers++
			go func() { errc <- data.Receive(s.ctx, conn, lanes) }()
		}
		first := <-errc
		err := pathError(conn.Context(), first)
		code, msg := closeCode(err)
		conn.CloseWithError(code, control.TruncateReason(msg))
		for i := 1; i < workers; i++ {
			<-errc
		}
		ended(err)
	}()
}

// pathError decides why a path ended: the connection's own end (the peer
// closed it, an idle timeout) wins over what it made a reader return.
// connCtx is the connection's context.
func pathError(connCtx context.Context, first error) error {
	select {
	case <-connCtx.Done():
		return fromQUIC(context.Cause(connCtx))
	default:
	}
	// quic-go fails the connection's streams with its close error before it
	// cancels the connection's context: a reader may return the peer's
	// CONNECTION_CLOSE first, with the code as it is on the wire.
	var appErr *quic.ApplicationError
	if errors.As(first, &appErr) {
		return fromQUIC(appErr)
	}
	var perr *data.PathError
	if errors.As(first, &perr) {
		return &ConnectionError{Code: perr.Code, Reason: perr.Reason}
	}
	var cerr *ConnectionError
	if errors.As(first, &cerr) {
		return cerr
	}
	if errors.Is(first, control.ErrFrameTimeout) {
		return &ConnectionError{Code: wire.IdleTimeout, Reason: first.Error()}
	}
	var werr *wire.Error
	if errors.As(first, &werr) {
		return &ConnectionError{Code: wire.ProtocolViolation, Reason: werr.Error()}
	}
	var serr *quic.StreamError
	if errors.As(first, &serr) && serr.Remote {
		// KWIK never resets its control stream or a lane: a peer that does
		// broke the protocol, it is not a failure of this side.
		return &ConnectionError{Code: wire.ProtocolViolation,
			Reason: fmt.Sprintf("the peer reset stream %d (a control stream or lane) with code %d", serr.StreamID, serr.ErrorCode)}
	}
	return first
}
