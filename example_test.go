package kwik_test

import (
	"context"
	"crypto/tls"
	"log"
	"net"

	"github.com/quic-go/quic-go"

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
