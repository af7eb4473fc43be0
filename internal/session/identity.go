package session

import (
	"crypto/tls"
	"crypto/x509"
	"net"

	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/transport"
)

// identities are what a primary may have added this server by, as a
// secondary (control.ServerIdentity): the public-key pin of each of its
// certificates, Config.ServerID, and the listener's own address when it is
// bound to a specific IP. A path token is accepted only if it was minted
// for one of them.
func identities(c *Config, tlsConf *tls.Config, bound net.Addr) []control.ServerIdentity {
	var ids []control.ServerIdentity
	if c.ServerID != "" {
		ids = append(ids, control.ServerIdentity{Addr: c.ServerID})
	}
	if u, ok := bound.(*net.UDPAddr); ok && !u.IP.IsUnspecified() && bound.String() != c.ServerID {
		ids = append(ids, control.ServerIdentity{Addr: bound.String()})
	}
	if tlsConf != nil {
		for _, cert := range tlsConf.Certificates {
			leaf := cert.Leaf
			if leaf == nil && len(cert.Certificate) > 0 {
				leaf, _ = x509.ParseCertificate(cert.Certificate[0])
			}
			if leaf != nil {
				ids = append(ids, control.ServerIdentity{Pin: transport.PublicKeyPin(leaf)})
			}
		}
	}
	return ids
}
