package integrationtests

import (
	"bytes"
	"crypto/tls"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
)

// TestConnectionStateShowsThePeersCertificate authorises a client by its
// certificate (mTLS), as a quic-go server would with ConnectionState.
func TestConnectionStateShowsThePeersCertificate(t *testing.T) {
	serverTLS := testTLS.Server.Clone()
	serverTLS.ClientAuth = tls.RequireAnyClientCert
	ln, err := kwik.Listen("127.0.0.1:0", serverTLS, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	clientTLS := testTLS.Client.Clone()
	clientTLS.Certificates = testTLS.Server.Certificates // any certificate will do
	ctx := testContext(t, 20*time.Second)
	accepted := make(chan *kwik.Session, 1)
	go func() {
		s, _ := ln.Accept(ctx)
		accepted <- s
	}()
	client, err := kwik.Dial(ctx, ln.Addr().String(), clientTLS, &kwik.Config{MaxIdleTimeout: healthyIdle})
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseWithError(0, "")
	server := <-accepted
	if server == nil {
		t.Fatal("the server accepted no session")
	}
	defer server.CloseWithError(0, "")
	for name, sess := range map[string]*kwik.Session{"client": client, "server": server} {
		select {
		case <-sess.HandshakeComplete():
		case <-time.After(10 * time.Second):
			t.Fatalf("the %s's HandshakeComplete is not closed on a session Dial/Accept returned", name)
		}
		st := sess.ConnectionState()
		if !st.TLS.HandshakeComplete || st.TLS.NegotiatedProtocol != "kwik/1" {
			t.Errorf("the %s's TLS state: handshake %v, ALPN %q; want complete, kwik/1", name, st.TLS.HandshakeComplete, st.TLS.NegotiatedProtocol)
		}
		peers := st.TLS.PeerCertificates
		if len(peers) == 0 || !bytes.Equal(peers[0].Raw, testTLS.Server.Certificates[0].Certificate[0]) {
			t.Errorf("the %s sees %d peer certificates; want the peer's", name, len(peers))
		}
	}
}
