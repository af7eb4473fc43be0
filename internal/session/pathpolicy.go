package session

import (
	"fmt"
	"net/netip"
	"time"
)

// A primary can make a client dial any address, so the client decides:
// at most Config.MaxPaths secondaries open or opening, path IDs used once
// at a time, dials through a token bucket (Config.MaxPaths at once, then
// one per pathDialInterval), and an address policy (Config.AllowPath, or
// the scope rule of defaultAllowPath). Every path shares the session's
// one UDP socket, so file descriptors do not grow with paths.

// pathDialInterval is how often a client may start a new dial once it has
// used its burst of Config.MaxPaths.
const pathDialInterval = time.Second

// dialBudget is a token bucket of dials. A dial that reaches a KWIK
// secondary gives its token back: the budget bounds the dials that go
// unanswered, which is what a primary aiming the client at a third party
// gets, while a primary replacing secondaries that joined and later
// failed is not slowed down. Its owner's mutex guards it.
type dialBudget struct {
	tokens, burst float64
	every         time.Duration
	last          time.Time
}

func newDialBudget(burst int, every time.Duration) dialBudget {
	return dialBudget{tokens: float64(burst), burst: float64(burst), every: every}
}

// take spends a token if there is one.
func (b *dialBudget) take(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+float64(now.Sub(b.last))/float64(b.every))
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// refund gives a token back.
func (b *dialBudget) refund() { b.tokens = min(b.burst, b.tokens+1) }

// checkUnicast refuses what can never be a secondary server.
func checkUnicast(addr string, to netip.AddrPort) error {
	ip := to.Addr()
	if to.Port() == 0 || !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return fmt.Errorf("kwik: %s (%v) is not a unicast address and port; the client does not dial it", addr, to)
	}
	return nil
}

// addrScope orders addresses from the most local to the most public.
func addrScope(ip netip.Addr) int {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return 0
	case ip.IsPrivate() || ip.IsLinkLocalUnicast():
		return 1
	}
	return 2
}

var scopeNames = [...]string{"loopback", "private or link-local", "public"}

// defaultAllowPath is the policy when Config.AllowPath is nil: a primary
// may not send the client to an address more local than its own, so a
// server on the internet cannot make a client probe its own machine or
// network.
func defaultAllowPath(primary netip.Addr) func(string, netip.AddrPort) error {
	return func(addr string, to netip.AddrPort) error {
		if got, limit := addrScope(to.Addr()), addrScope(primary); got < limit {
			return fmt.Errorf("kwik: %s (%v) is a %s address and the primary (%v) is %s; the client refuses secondaries more local than its primary (Config.AllowPath decides otherwise)",
				addr, to, scopeNames[got], primary, scopeNames[limit])
		}
		return nil
	}
}
