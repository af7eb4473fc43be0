package emulator

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
)

const testALPN = "kwik-emulator-test"

// testTLS returns a server and a client TLS configuration around a fresh
// self-signed certificate for 127.0.0.1.
func testTLS(tb testing.TB) (server, client *tls.Config) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "emulator test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	server = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}},
		NextProtos:   []string{testALPN},
	}
	client = &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", NextProtos: []string{testALPN}}
	return server, client
}

// quicTransport returns a QUIC transport on its own loopback socket, closed
// when the test ends. Owning the transport, rather than letting
// quic.ListenAddr or quic.DialAddr create one, lets the test stop its
// goroutines at once: a transport those create lingers for a few PTOs after
// its last connection closed, which goleak would report.
func quicTransport(tb testing.TB) *quic.Transport {
	tb.Helper()
	tr := &quic.Transport{Conn: listenUDP(tb)}
	tb.Cleanup(func() { tr.Close() })
	return tr
}

// quicServer accepts one connection and runs serve on it; the result of
// serve arrives on the returned channel.
func quicServer(tb testing.TB, tlsConf *tls.Config, conf *quic.Config, serve func(context.Context, *quic.Conn) error) (addr net.Addr, result <-chan error) {
	tb.Helper()
	ln, err := quicTransport(tb).Listen(tlsConf, conf)
	if err != nil {
		tb.Fatal(err)
	}
	results := make(chan error, 1)
	finished := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*safetyTimeout)
	go func() {
		defer close(finished)
		conn, err := ln.Accept(ctx)
		if err != nil {
			results <- err
			return
		}
		err = serve(ctx, conn)
		conn.CloseWithError(0, "")
		results <- err
	}()
	tb.Cleanup(func() {
		cancel()
		ln.Close()
		<-finished
	})
	return ln.Addr(), results
}

func TestQUICTransferIsShaped(t *testing.T) {
	const (
		rate  = 20_000_000
		burst = 16 << 10
		size  = 3 << 20
	)
	payload := make([]byte, size)
	if _, err := rand.Read(payload); err != nil {
		t.Fatal(err)
	}
	serverTLS, clientTLS := testTLS(t)
	// The server sends the payload on the first stream the client opens,
	// once the client asked for it.
	serverAddr, served := quicServer(t, serverTLS, nil, func(ctx context.Context, conn *quic.Conn) error {
		str, err := conn.AcceptStream(ctx)
		if err != nil {
			return err
		}
		if _, err := io.ReadFull(str, make([]byte, 3)); err != nil {
			return err
		}
		if _, err := str.Write(payload); err != nil {
			return err
		}
		if err := str.Close(); err != nil {
			return err
		}
		// Closing before the client has everything could lose the end of
		// the stream: wait for the client to close.
		<-conn.Context().Done()
		return nil
	})
	l := startLink(t, serverAddr, LinkConfig{Rate: rate, Burst: burst, Delay: 5 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 2*safetyTimeout)
	defer cancel()
	conn, err := quicTransport(t).Dial(ctx, l.Addr(), clientTLS, nil)
	if err != nil {
		t.Fatal(err)
	}
	str, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := str.Write([]byte("get")); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(str)
	elapsed := time.Since(start)
	conn.CloseWithError(0, "")
	if err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("server: %v", err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("received %d bytes that differ from the %d sent", len(got), len(payload))
	}
	st := l.Stats()
	t.Logf("%d bytes in %v (%.2f Mbit/s goodput); down %+v", size, elapsed, float64(size*8)/elapsed.Seconds()/1e6, st.Down)
	// The link let at most burst + rate × elapsed bytes through, and QUIC's
	// headers only add to the payload: a shaped link cannot be faster.
	if minimum := time.Duration(float64(size-burst) * 8 / rate * float64(time.Second)); elapsed < minimum {
		t.Errorf("transfer took %v, less than the %v a %d Mbit/s link allows", elapsed, minimum, rate/1_000_000)
	}
	if st.Down.Bytes < size {
		t.Errorf("the link forwarded %d bytes down, less than the payload", st.Down.Bytes)
	}
}

func TestQUICIdleTimeoutAfterKill(t *testing.T) {
	// Keep-alives every 100 ms would keep the connection up forever; only a
	// link that drops them lets the 500 ms idle timeout fire.
	conf := &quic.Config{MaxIdleTimeout: 500 * time.Millisecond, KeepAlivePeriod: 100 * time.Millisecond}
	serverTLS, clientTLS := testTLS(t)
	serverAddr, served := quicServer(t, serverTLS, conf, func(ctx context.Context, conn *quic.Conn) error {
		str, err := conn.AcceptStream(ctx)
		if err != nil {
			return err
		}
		if _, err := io.Copy(str, io.LimitReader(str, 1)); err != nil {
			return err
		}
		<-conn.Context().Done()
		return nil
	})
	l := startLink(t, serverAddr, LinkConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), safetyTimeout)
	defer cancel()
	conn, err := quicTransport(t).Dial(ctx, l.Addr(), clientTLS, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseWithError(0, "")
	// One byte there and back: both ends have finished the handshake.
	str, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := str.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(str, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}

	l.Kill()
	select {
	case <-conn.Context().Done():
	case <-ctx.Done():
		t.Fatal("the connection survived a killed link")
	}
	var idle *quic.IdleTimeoutError
	if cause := context.Cause(conn.Context()); !errors.As(cause, &idle) {
		t.Errorf("connection ended with %v, want an idle timeout", cause)
	}
	if err := <-served; err != nil {
		t.Errorf("server: %v", err)
	}
	if st := l.Stats(); st.Up.KillDrops == 0 {
		t.Errorf("stats %+v: no keep-alive was dropped", st)
	}
}
