package session

import (
	"net/netip"
	"strings"
	"testing"
)

func TestAdmissionLimits(t *testing.T) {
	a := newAdmission(&Config{MaxSessions: 4, MaxHandshakes: 3, MaxSessionsPerAddr: 2})
	x, y, z := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3")
	mustAdmit := func(addr netip.Addr) *admitted {
		t.Helper()
		c, err := a.admit(addr)
		if err != nil {
			t.Fatalf("admit(%v): %v", addr, err)
		}
		return c
	}
	mustRefuse := func(addr netip.Addr, limit string) {
		t.Helper()
		if _, err := a.admit(addr); err == nil || !strings.Contains(err.Error(), limit) {
			t.Fatalf("admit(%v): %v, want a refusal naming %s", addr, err, limit)
		}
	}
	x1, x2 := mustAdmit(x), mustAdmit(x)
	mustRefuse(x, "MaxSessionsPerAddr")
	y1 := mustAdmit(y)
	mustRefuse(z, "MaxHandshakes") // three handshakes in progress
	x1.established()
	x1.established() // twice counts once
	z1 := mustAdmit(z)
	mustRefuse(z, "MaxSessions") // four sessions
	x2.release()
	x2.release() // twice counts once
	mustAdmit(x).established()
	mustRefuse(y, "MaxSessions")
	y1.release()
	z1.release()
	x1.release()
	if a.sessions != 1 || a.handshakes != 0 || len(a.perAddr) != 1 || a.perAddr[x] != 1 {
		t.Fatalf("after the releases: %d sessions, %d handshakes, per address %v; want 1, 0, {%v: 1}", a.sessions, a.handshakes, a.perAddr, x)
	}
}

func TestAdmissionNegativeMeansNoLimit(t *testing.T) {
	a := newAdmission(&Config{MaxSessions: -1, MaxHandshakes: -1, MaxSessionsPerAddr: -1})
	for range 1000 {
		if _, err := a.admit(netip.MustParseAddr("192.0.2.1")); err != nil {
			t.Fatal(err)
		}
	}
}

func TestListenerLimitDefaults(t *testing.T) {
	c, err := (*Config)(nil).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxSessions != DefaultMaxSessions || c.MaxHandshakes != DefaultMaxHandshakes || c.MaxSessionsPerAddr != DefaultMaxSessionsPerAddr {
		t.Fatalf("defaults %d, %d, %d", c.MaxSessions, c.MaxHandshakes, c.MaxSessionsPerAddr)
	}
	if DefaultMaxHandshakes < 100 || DefaultMaxSessionsPerAddr < 100 {
		t.Fatal("the defaults must let a burst of 100 clients from one address through")
	}
	if n := maxAcceptors(c); n+quicAcceptQueue < c.MaxHandshakes {
		t.Fatalf("%d acceptors and quic-go's queue of %d hold fewer than %d handshakes", n, quicAcceptQueue, c.MaxHandshakes)
	}
}
