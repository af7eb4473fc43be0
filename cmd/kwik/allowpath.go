package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// parseAllowSecondary builds kwik.Config.AllowPath from get's
// --allow-secondary: "" keeps the library's rule (no secondary more local
// than the primary), "any" allows every unicast address, and a list of
// addresses and CIDR prefixes ("203.0.113.7,10.0.0.0/8,2001:db8::/32")
// allows exactly those.
func parseAllowSecondary(s string) (func(addr string, to netip.AddrPort) error, error) {
	switch strings.TrimSpace(s) {
	case "":
		return nil, nil
	case "any":
		return func(string, netip.AddrPort) error { return nil }, nil
	}
	var allowed []netip.Prefix
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		p, err := netip.ParsePrefix(item)
		if err != nil {
			a, aerr := netip.ParseAddr(item)
			if aerr != nil {
				return nil, fmt.Errorf("%q is neither an IP address nor a CIDR prefix (as in 10.0.0.0/8), nor \"any\"", item)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		allowed = append(allowed, p.Masked())
	}
	return func(addr string, to netip.AddrPort) error {
		for _, p := range allowed {
			if p.Contains(to.Addr().Unmap()) {
				return nil
			}
		}
		return errors.New("not allowed by the client's --allow-secondary")
	}, nil
}
