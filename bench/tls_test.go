package bench

import (
	"crypto/tls"
	"testing"

	"github.com/kwik-transport/kwik/bench/internal/harness"
)

// loopbackTLS writes a certificate for 127.0.0.1 into a temp dir and
// returns the server's and the client's TLS configs that use it, as the
// out-of-process servers do.
func loopbackTLS(tb testing.TB) (server, client *tls.Config) {
	tb.Helper()
	dir := tb.TempDir()
	if err := harness.WriteCerts(dir, "127.0.0.1"); err != nil {
		tb.Fatal(err)
	}
	server, err := harness.ServerTLS(dir)
	if err != nil {
		tb.Fatal(err)
	}
	client, err = harness.ClientTLS(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return server, client
}
