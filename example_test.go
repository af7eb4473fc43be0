package kwik_test

import (
	"context"
	"crypto/tls"
	"log"
	"net"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/qlog"

	"github.com/kwik-transport/kwik"
)

// A client whose paths (to the primary and to every secondary) all leave
// from a socket the application chose, for instance one bound to a given
// interface or port. The socket and its transport stay the application's.
func ExampleDialTransport() {
	udp, err := net.ListenUDP("udp", &net.UDPAddr{Port: 0})
	if err != nil {
		log.Fatal(err)
	}
	defer udp.Close()
	tr := &quic.Transport{Conn: udp} // any net.PacketConn works
	defer tr.Close()

	sess, err := kwik.DialTransport(context.Background(), tr, "primary.example:4433", &tls.Config{}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sess.CloseWithError(0, "")
	// ... sess.OpenStreamSync, AcceptStream as with kwik.Dial
}

// A server on a socket the application owns: the Listener serves it and
// leaves it open when closed.
func ExampleListenTransport() {
	udp, err := net.ListenUDP("udp", &net.UDPAddr{Port: 4433})
	if err != nil {
		log.Fatal(err)
	}
	defer udp.Close()
	tr := &quic.Transport{Conn: udp}
	defer tr.Close()

	var serverTLS *tls.Config // with the server's certificate
	ln, err := kwik.ListenTransport(tr, serverTLS, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	// ... ln.Accept(ctx)
}

// A server that authorises clients by their certificate (mTLS): the TLS
// state of a session is that of its primary path, as quic-go's
// Conn.ConnectionState gives it.
func ExampleSession_ConnectionState() {
	serverTLS := &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert} // with Certificates and ClientCAs
	ln, err := kwik.Listen(":4433", serverTLS, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	sess, err := ln.Accept(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	<-sess.HandshakeComplete() // already closed: Accept returns sessions whose handshake is done
	state := sess.ConnectionState()
	if len(state.TLS.PeerCertificates) == 0 || state.TLS.PeerCertificates[0].Subject.CommonName != "trusted-client" {
		sess.CloseWithError(1, "not authorised")
		return
	}
	// ... serve sess
}

// One qlog file per path: each path is a QUIC connection of its own, and
// quic-go's qlog.DefaultConnectionTracer writes one file per connection into
// $QLOGDIR (named by connection ID and perspective). Open them in qvis
// (https://qvis.quictools.info) to see each path's packets, congestion
// window and losses side by side.
func ExampleConfig_tracer() {
	conf := &kwik.Config{Tracer: qlog.DefaultConnectionTracer} // QLOGDIR=/tmp/qlog go run …
	sess, err := kwik.Dial(context.Background(), "primary.example:4433", &tls.Config{}, conf)
	if err != nil {
		log.Fatal(err)
	}
	defer sess.CloseWithError(0, "")
}
