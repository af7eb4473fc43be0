package session

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestDefaultAllowPath: a secondary may not be more local than the primary.
func TestDefaultAllowPath(t *testing.T) {
	for _, tc := range []struct {
		primary, secondary string
		refused            string // "" = allowed
	}{
		{"127.0.0.1", "127.0.0.1:4433", ""},
		{"127.0.0.1", "10.0.0.2:4433", ""},
		{"127.0.0.1", "192.0.2.1:4433", ""},
		{"::1", "[::1]:4433", ""},
		{"10.1.2.3", "192.168.1.9:4433", ""},
		{"10.1.2.3", "[fe80::1]:4433", ""},
		{"10.1.2.3", "198.51.100.7:4433", ""},
		{"10.1.2.3", "127.0.0.1:22", "loopback address and the primary (10.1.2.3) is private"},
		{"198.51.100.1", "203.0.113.5:4433", ""},
		{"198.51.100.1", "[2001:db8::1]:4433", ""},
		{"198.51.100.1", "127.0.0.1:6379", "loopback"},
		{"198.51.100.1", "[::ffff:127.0.0.1]:6379", "loopback"},
		{"198.51.100.1", "192.168.0.1:80", "private or link-local"},
		{"198.51.100.1", "[fd00::1]:80", "private or link-local"},
		{"198.51.100.1", "169.254.169.254:80", "private or link-local"},
	} {
		to := netip.MustParseAddrPort(tc.secondary)
		err := defaultAllowPath(netip.MustParseAddr(tc.primary))(tc.secondary, netip.AddrPortFrom(to.Addr().Unmap(), to.Port()))
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("primary %s, secondary %s refused: %v", tc.primary, tc.secondary, err)
		case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
			t.Errorf("primary %s, secondary %s: %v, want a refusal saying %q", tc.primary, tc.secondary, err, tc.refused)
		}
	}
}

// TestCheckUnicast: what can never be a secondary is refused.
func TestCheckUnicast(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:4433", "[::]:4433", "127.0.0.1:0", "224.0.0.1:4433", "[ff02::1]:4433", "255.255.255.255:4433"} {
		if err := checkUnicast(addr, netip.MustParseAddrPort(addr)); err == nil || !strings.Contains(err.Error(), "not a unicast") {
			t.Errorf("%s: %v, want refused", addr, err)
		}
	}
	if err := checkUnicast("x", netip.MustParseAddrPort("192.0.2.1:4433")); err != nil {
		t.Errorf("unicast refused: %v", err)
	}
}

// TestDialBudget: burst dials at once, then one per interval; a refund
// gives one back, never beyond the burst.
func TestDialBudget(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	b := newDialBudget(3, time.Second)
	for i := range 3 {
		if !b.take(t0) {
			t.Fatalf("dial %d of the burst refused", i)
		}
	}
	if b.take(t0.Add(500 * time.Millisecond)) {
		t.Fatal("a fourth dial within the first second")
	}
	if !b.take(t0.Add(1100*time.Millisecond)) || b.take(t0.Add(1200*time.Millisecond)) {
		t.Fatal("want exactly one dial after a second")
	}
	b.refund()
	if !b.take(t0.Add(1300 * time.Millisecond)) {
		t.Fatal("a refunded dial was refused")
	}
	for range 10 {
		b.refund()
	}
	n := 0
	for b.take(t0.Add(1400 * time.Millisecond)) {
		n++
	}
	if n != 3 {
		t.Fatalf("%d dials after many refunds, want the burst (3)", n)
	}
}
