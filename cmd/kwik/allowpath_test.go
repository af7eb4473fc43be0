package main

import (
	"net/netip"
	"testing"
)

func TestParseAllowSecondary(t *testing.T) {
	if f, err := parseAllowSecondary(""); f != nil || err != nil {
		t.Fatalf("empty: %v, %v; want the library's default (nil)", f != nil, err)
	}
	anyAddr, err := parseAllowSecondary("any")
	if err != nil || anyAddr("x", netip.MustParseAddrPort("127.0.0.1:1")) != nil {
		t.Fatalf("any: %v", err)
	}
	f, err := parseAllowSecondary("203.0.113.7, 10.0.0.0/8,2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	for addr, ok := range map[string]bool{
		"203.0.113.7:4433": true, "203.0.113.8:4433": false, "10.9.8.7:1": true, "[::ffff:10.1.1.1]:1": true,
		"[2001:db8::5]:4433": true, "[2001:db9::5]:4433": false, "127.0.0.1:4433": false,
	} {
		if err := f(addr, netip.MustParseAddrPort(addr)); (err == nil) != ok {
			t.Errorf("%s: %v, want allowed %v", addr, err, ok)
		}
	}
	for _, bad := range []string{"example.com", "10.0.0.0/33", "1.2.3.4,", "anyone"} {
		if _, err := parseAllowSecondary(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
