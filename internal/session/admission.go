package session

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"github.com/quic-go/quic-go"
)

// admission enforces a Listener's limits on what it holds at once: sessions
// (handshakes included), handshakes in progress, and both from one source
// address. It is consulted when quic-go sees a client's first packet, so a
// connection over a limit is refused (CONNECTION_REFUSED) before it costs a
// TLS handshake or any connection state.
type admission struct {
	maxSessions, maxHandshakes, maxPerAddr int // ≤ 0: no limit

	mu         sync.Mutex
	sessions   int // admitted and not yet ended, handshakes included
	handshakes int
	perAddr    map[netip.Addr]int
}

func newAdmission(c *Config) *admission {
	return &admission{
		maxSessions:   c.MaxSessions,
		maxHandshakes: c.MaxHandshakes,
		maxPerAddr:    c.MaxSessionsPerAddr,
		perAddr:       make(map[netip.Addr]int),
	}
}

// admitted is one connection counted by an admission, from its first packet
// until the connection ends.
type admitted struct {
	a    *admission
	addr netip.Addr

	handshaking, released bool // guarded by a.mu
}

// admit counts a new connection from addr, or says which limit it is over.
func (a *admission) admit(addr netip.Addr) (*admitted, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.maxSessions > 0 && a.sessions >= a.maxSessions:
		return nil, fmt.Errorf("kwik: refused %v: the listener holds %d sessions (Config.MaxSessions)", addr, a.sessions)
	case a.maxHandshakes > 0 && a.handshakes >= a.maxHandshakes:
		return nil, fmt.Errorf("kwik: refused %v: %d handshakes in progress (Config.MaxHandshakes)", addr, a.handshakes)
	case a.maxPerAddr > 0 && a.perAddr[addr] >= a.maxPerAddr:
		return nil, fmt.Errorf("kwik: refused %v: it holds %d sessions (Config.MaxSessionsPerAddr)", addr, a.perAddr[addr])
	}
	a.sessions++
	a.handshakes++
	a.perAddr[addr]++
	return &admitted{a: a, addr: addr, handshaking: true}, nil
}

// established says the connection's handshakes are done: it no longer
// counts as a handshake in progress.
func (t *admitted) established() {
	t.a.mu.Lock()
	t.endHandshake()
	t.a.mu.Unlock()
}

func (t *admitted) endHandshake() {
	if t.handshaking {
		t.handshaking = false
		t.a.handshakes--
	}
}

// release counts the connection out; calls after the first do nothing.
func (t *admitted) release() {
	t.a.mu.Lock()
	defer t.a.mu.Unlock()
	if t.released {
		return
	}
	t.released = true
	t.endHandshake()
	t.a.sessions--
	if t.a.perAddr[t.addr]--; t.a.perAddr[t.addr] <= 0 {
		delete(t.a.perAddr, t.addr)
	}
}

// admittedKey finds a connection's *admitted in its context.
type admittedKey struct{}

// connContext is the quic.Transport's ConnContext: it admits a connection
// or refuses it, and releases it when the connection ends (quic-go ends
// ctx when the connection closes or its handshake fails).
func (a *admission) connContext(ctx context.Context, addr net.Addr) (context.Context, error) {
	t, err := a.admit(sourceAddr(addr))
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, t.release)
	return context.WithValue(ctx, admittedKey{}, t), nil
}

// admit returns a quic.Transport ConnContext that admits connections
// through a, tells admitted of each one, then hands it to next, if not nil.
func admit(a *admission, next func(context.Context, *quic.ClientInfo) (context.Context, error), log *slog.Logger, admitted func(*admitted, context.Context)) func(context.Context, *quic.ClientInfo) (context.Context, error) {
	return func(ctx context.Context, info *quic.ClientInfo) (context.Context, error) {
		ctx, err := a.connContext(ctx, info.RemoteAddr)
		if err != nil {
			log.Debug("refused a connection", "remote", info.RemoteAddr, "err", err)
			return nil, err
		}
		admitted(admittedOf(ctx), ctx)
		if next != nil {
			return next(ctx, info)
		}
		return ctx, nil
	}
}

// admittedOf returns the admission record in a connection's context, or nil.
func admittedOf(ctx context.Context) *admitted {
	t, _ := ctx.Value(admittedKey{}).(*admitted)
	return t
}

// sourceAddr is the IP a connection comes from, IPv4-mapped IPv6 unmapped.
func sourceAddr(addr net.Addr) netip.Addr {
	if u, ok := addr.(*net.UDPAddr); ok {
		ip, _ := netip.AddrFromSlice(u.IP)
		return ip.Unmap()
	}
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
