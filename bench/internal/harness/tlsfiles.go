package harness

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kwik-transport/kwik/internal/certs"
)

// Names of the files WriteCerts creates.
const (
	CertFile = "cert.pem"
	KeyFile  = "key.pem"
)

// WriteCerts writes a self-signed certificate for hosts and its key into
// dir, for benchmark servers in other processes and the client that trusts
// them.
func WriteCerts(dir string, hosts ...string) error {
	cert, err := certs.SelfSigned(hosts...)
	if err != nil {
		return err
	}
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return fmt.Errorf("bench: encoding the key: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})
	return errors.Join(
		os.WriteFile(filepath.Join(dir, CertFile), certPEM, 0o644),
		os.WriteFile(filepath.Join(dir, KeyFile), keyPEM, 0o600),
	)
}

// ServerTLS loads the certificate and key WriteCerts wrote into dir.
func ServerTLS(dir string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, fmt.Errorf("bench: loading the server certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, nil
}

// ClientTLS trusts the certificate WriteCerts wrote into dir.
func ClientTLS(dir string) (*tls.Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, CertFile))
	if err != nil {
		return nil, fmt.Errorf("bench: loading the certificate to trust: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("bench: %s holds no PEM certificate", filepath.Join(dir, CertFile))
	}
	return &tls.Config{RootCAs: pool}, nil
}
