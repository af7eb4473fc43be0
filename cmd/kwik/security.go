package main

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/certs"
	"github.com/kwik-transport/kwik/internal/transport"
)

// groupKeyEnv names the environment variable holding the server-group key
// in hex, for servers started without --group-key-file.
const groupKeyEnv = "KWIK_GROUP_KEY"

// minGroupKeyLen is the shortest server-group key kwik.Config accepts.
const minGroupKeyLen = 32

// parsePin reads a certificate pin: the 64 hex digits kwik serve prints.
func parsePin(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != transport.PinSize {
		return nil, fmt.Errorf("pin %q: want the 64 hex digits (SHA-256 of the server's public key) that kwik serve prints on its \"pin:\" line", s)
	}
	return b, nil
}

func formatPin(pin []byte) string { return hex.EncodeToString(pin) }

// parseGroupKey reads a server-group key written in hex.
func parseGroupKey(s, from string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("group key from %s is not hex: write it as hex digits, e.g. the output of \"openssl rand -hex 32\"", from)
	}
	if len(b) < minGroupKeyLen {
		return nil, fmt.Errorf("group key from %s has %d bytes; it needs at least %d (%d hex digits)", from, len(b), minGroupKeyLen, 2*minGroupKeyLen)
	}
	return b, nil
}

// loadGroupKey returns the server-group key from file, or else from
// $KWIK_GROUP_KEY, or nil when neither is set.
func loadGroupKey(file string, getenv func(string) string) ([]byte, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading the group key: %w", err)
		}
		return parseGroupKey(string(b), file)
	}
	if v := getenv(groupKeyEnv); v != "" {
		return parseGroupKey(v, "$"+groupKeyEnv)
	}
	return nil, nil
}

// newGroupKey returns a random server-group key.
func newGroupKey() []byte {
	key := make([]byte, minGroupKeyLen)
	rand.Read(key) // never fails (crypto/rand)
	return key
}

// serverCert returns the server's certificate: from certFile and keyFile,
// or, when both are empty, a self-signed development certificate for the
// listen address and this machine's names.
func serverCert(certFile, keyFile, listenAddr string) (cert tls.Certificate, selfSigned bool, err error) {
	switch {
	case certFile != "" && keyFile != "":
		cert, err = tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return cert, false, fmt.Errorf("loading the certificate: %w", err)
		}
		if cert.Leaf == nil {
			cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0])
		}
		return cert, false, err
	case certFile != "" || keyFile != "":
		return cert, false, usagef("--cert and --key go together: give both, or neither for a self-signed development certificate")
	}
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if host, _, err := net.SplitHostPort(listenAddr); err == nil && host != "" {
		hosts = append(hosts, host)
	}
	if name, err := os.Hostname(); err == nil {
		hosts = append(hosts, name)
	}
	cert, err = certs.SelfSigned(hosts...)
	return cert, true, err
}

// clientTLS returns the TLS configurations of a client: one that verifies
// the primary (by pin, by CA, or not at all with insecure) and one for the
// secondaries the primary announces without a pin.
func clientTLS(addr string, pin []byte, insecure bool, caFile string) (primary, secondary *tls.Config, err error) {
	if pin != nil && insecure {
		return nil, nil, usagef("--pin and --insecure exclude each other: a pin already replaces certificate verification")
	}
	base := &tls.Config{}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the CA certificates: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, errors.New("--ca " + caFile + " holds no PEM certificate")
		}
		base.RootCAs = pool
	}
	if insecure {
		base.InsecureSkipVerify = true
	}
	primary, err = transport.ClientTLS(base, addr, pin)
	if err != nil {
		return nil, nil, err
	}
	return primary, base, nil
}

// pinOf returns the pin of a certificate.
func pinOf(cert tls.Certificate) []byte { return kwik.PublicKeyPin(cert.Leaf) }
