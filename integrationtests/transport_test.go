package integrationtests

import (
	"net"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik"
)

// callerTransport is a quic-go transport on a loopback socket the test
// owns, closed when the test ends.
func callerTransport(t *testing.T) (*quic.Transport, *net.UDPConn) {
	t.Helper()
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	tr := &quic.Transport{Conn: udp}
	t.Cleanup(func() {
		tr.Close()
		udp.Close()
	})
	return tr, udp
}

// TestDialTransport: every path of a session dialled with DialTransport
// leaves from the caller's socket, and the transport outlives the session.
func TestDialTransport(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	conf := &kwik.Config{ServerGroupKey: groupKey}
	primary := listen(t, conf)
	secondary := listen(t, conf)
	joined := acceptAll(t, secondary)
	tr, udp := callerTransport(t)

	for round := range 2 { // the second round reuses the transport
		accepted := make(chan *kwik.Session, 1)
		go func() {
			s, err := primary.Accept(ctx)
			if err != nil {
				t.Error(err)
			}
			accepted <- s
		}()
		client, err := kwik.DialTransport(ctx, tr, primary.Addr().String(), testTLS.Client, nil)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		server := <-accepted
		if server == nil {
			t.FailNow()
		}
		if got := client.LocalAddr().String(); got != udp.LocalAddr().String() {
			t.Fatalf("client's primary path from %s, want the caller's socket %s", got, udp.LocalAddr())
		}
		if _, err := server.AddPath(ctx, secondary.Addr().String(), nil); err != nil {
			t.Fatal(err)
		}
		if got := nextSession(t, joined).RemoteAddr().String(); got != udp.LocalAddr().String() {
			t.Fatalf("the secondary sees the client at %s, want the caller's socket %s", got, udp.LocalAddr())
		}
		echo(t, ctx, client, server, 16<<10)
		client.CloseWithError(0, "")
		server.CloseWithError(0, "")
	}
}

// TestListenTransport: a Listener on the caller's transport serves
// sessions and leaves the transport open when it closes: another Listener
// can take it over.
func TestListenTransport(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	tr, udp := callerTransport(t)
	for round := range 2 {
		ln, err := kwik.ListenTransport(tr, testTLS.Server, nil)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if ln.Addr().String() != udp.LocalAddr().String() {
			t.Fatalf("listener on %s, want the caller's socket %s", ln.Addr(), udp.LocalAddr())
		}
		client, server := connect(t, ln, nil)
		echo(t, ctx, client, server, 16<<10)
		client.CloseWithError(0, "")
		server.CloseWithError(0, "")
		ln.Close()
	}
	// The socket is still the caller's and open.
	if _, err := udp.WriteTo([]byte("x"), udp.LocalAddr()); err != nil {
		t.Fatalf("the caller's socket was closed: %v", err)
	}
}
