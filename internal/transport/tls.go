package transport

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
)

// PinSize is the length of a certificate pin: SHA-256 of the leaf
// certificate's SubjectPublicKeyInfo.
const PinSize = sha256.Size

// PublicKeyPin returns the pin of cert.
func PublicKeyPin(cert *x509.Certificate) []byte {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return sum[:]
}

// PinError says that a server's key did not match the expected pin.
type PinError struct {
	Want, Got []byte
}

func (e *PinError) Error() string {
	return fmt.Sprintf("kwik: server public key pin %x does not match the expected %x", e.Got, e.Want)
}

// ServerTLS returns a copy of conf that negotiates KWIK's ALPN.
func ServerTLS(conf *tls.Config) (*tls.Config, error) {
	if conf == nil || (len(conf.Certificates) == 0 && conf.GetCertificate == nil && conf.GetConfigForClient == nil) {
		return nil, errors.New("kwik: the server TLS config has no certificate (set Certificates or GetCertificate)")
	}
	c := conf.Clone()
	c.NextProtos = withALPN(c.NextProtos)
	return c, nil
}

// ClientTLS returns a copy of conf for dialling addr. With a pin, the server
// is accepted exactly when its leaf key matches the pin, whatever its name
// or issuer; otherwise conf's own verification applies, with the host of addr
// as server name unless conf sets one.
func ClientTLS(conf *tls.Config, addr string, pin []byte) (*tls.Config, error) {
	var c *tls.Config
	if conf == nil {
		c = &tls.Config{}
	} else {
		c = conf.Clone()
	}
	c.NextProtos = withALPN(c.NextProtos)
	if c.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("kwik: address %q: %w", addr, err)
		}
		c.ServerName = host
	}
	if len(pin) == 0 {
		return c, nil
	}
	if len(pin) != PinSize {
		return nil, fmt.Errorf("kwik: certificate pin has %d bytes, want %d", len(pin), PinSize)
	}
	want := slices.Clone(pin)
	// The pin replaces chain and name checks, which crypto/tls only allows
	// through InsecureSkipVerify plus our own verification.
	c.InsecureSkipVerify = true
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("kwik: server sent no certificate")
		}
		got := PublicKeyPin(cs.PeerCertificates[0])
		if !slices.Equal(got, want) {
			return &PinError{Want: want, Got: got}
		}
		return nil
	}
	return c, nil
}

func withALPN(protos []string) []string {
	if slices.Contains(protos, ALPN) {
		return protos
	}
	return append([]string{ALPN}, protos...)
}
