// Package integrationtests holds black-box tests of KWIK's public API over
// real loopback sockets: streams run side by side with plain quic-go as the
// control (KWIK's streams must behave as quic-go's); hostile peers speaking
// raw quic-go; several servers feeding one client (multipath, mirrors,
// Spread); the soak test; and the transfer benchmarks.
package integrationtests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/kwik-transport/kwik/internal/leaktest"
	"github.com/kwik-transport/kwik/internal/testkit"
	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik"
)

func TestMain(m *testing.M) {
	leaktest.VerifyTestMain(m)
}

// testTLS is the certificate every test server uses (internal/testkit).
var testTLS = testkit.TLS

// setupTimeout bounds connecting and opening a stream: generous, so that a
// loaded machine (10× slower) does not fail the tests.
const setupTimeout = 20 * time.Second

// stream is what the tests use of a KWIK or a quic-go stream; both
// *kwik.Stream and *quic.Stream are one.
type stream interface {
	io.ReadWriteCloser
	CancelRead(quic.StreamErrorCode)
	CancelWrite(quic.StreamErrorCode)
	SetDeadline(time.Time) error
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
	Context() context.Context
}

// streamPair is one stream seen from both ends, with the sessions around it.
type streamPair struct {
	client, server stream
	local, remote  net.Addr
	// closeServer closes the server's session with an application code.
	closeServer func(code quic.ApplicationErrorCode, msg string)
	// openClient opens another stream on the client's session.
	openClient func(ctx context.Context) (stream, error)
	stop       func() // closes everything
}

// impl is a transport under test.
type impl struct {
	name string
	open func() (*streamPair, error)
}

// impls is quic-go (the control) and KWIK.
var impls = []impl{{"quic-go", openQUIC}, {"kwik", openKWIK}}

// openPair opens a pair for a test and closes it at its end.
func openPair(t *testing.T, im impl) *streamPair {
	t.Helper()
	p, err := im.open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return p
}

// handshake makes the server see the client's new stream, as both
// transports announce a stream with its first byte: the client writes one
// byte, the server accepts the stream and reads it.
func handshake(ctx context.Context, client stream, accept func(context.Context) (stream, error)) (stream, error) {
	if _, err := client.Write([]byte{'!'}); err != nil {
		return nil, fmt.Errorf("first byte: %w", err)
	}
	server, err := accept(ctx)
	if err != nil {
		return nil, fmt.Errorf("accepting the stream: %w", err)
	}
	if _, err := io.ReadFull(server, make([]byte, 1)); err != nil {
		return nil, fmt.Errorf("reading the first byte: %w", err)
	}
	return server, nil
}

// transportConn is a KWIK session or a quic-go connection, whose streams
// are S.
type transportConn[S stream] interface {
	CloseWithError(quic.ApplicationErrorCode, string) error
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
	OpenStreamSync(context.Context) (S, error)
	AcceptStream(context.Context) (S, error)
}

// listener is a KWIK or quic-go listener whose connections are C.
type listener[C any] interface {
	Accept(context.Context) (C, error)
	Addr() net.Addr
	Close() error
}

// openKWIK is a KWIK client and primary server on loopback.
func openKWIK() (*streamPair, error) {
	ln, err := kwik.Listen("127.0.0.1:0", testTLS.Server, nil)
	if err != nil {
		return nil, err
	}
	return openOver(ln, func(ctx context.Context, addr string) (*kwik.Session, error) {
		return kwik.Dial(ctx, addr, testTLS.Client, nil)
	})
}

// openQUIC is a quic-go client and server on loopback: the control.
func openQUIC() (*streamPair, error) {
	serverTLS, clientTLS := testTLS.Server.Clone(), testTLS.Client.Clone()
	serverTLS.NextProtos, clientTLS.NextProtos = []string{"control"}, []string{"control"}
	conf := &quic.Config{MaxIdleTimeout: time.Minute}
	ln, err := quic.ListenAddr("127.0.0.1:0", serverTLS, conf)
	if err != nil {
		return nil, err
	}
	return openOver(ln, func(ctx context.Context, addr string) (*quic.Conn, error) {
		return quic.DialAddr(ctx, addr, clientTLS, conf)
	})
}

// openOver connects a client to ln with dial and opens the pair's stream;
// it owns ln, which stop closes with both ends.
func openOver[C transportConn[S], S stream](ln listener[C], dial func(context.Context, string) (C, error)) (*streamPair, error) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	type result struct {
		c   C
		err error
	}
	accepted := make(chan result, 1)
	go func() {
		c, err := ln.Accept(ctx)
		accepted <- result{c, err}
	}()
	client, err := dial(ctx, ln.Addr().String())
	server := <-accepted
	stop := func() {
		if err == nil {
			client.CloseWithError(0, "")
		}
		if server.err == nil {
			server.c.CloseWithError(0, "")
		}
		ln.Close()
	}
	if err != nil || server.err != nil {
		stop()
		return nil, errors.Join(errors.New("no connection"), err, server.err)
	}
	p := &streamPair{
		local: client.LocalAddr(), remote: client.RemoteAddr(), stop: stop,
		closeServer: func(code quic.ApplicationErrorCode, msg string) { server.c.CloseWithError(code, msg) },
		openClient: func(ctx context.Context) (stream, error) {
			return asStream(client.OpenStreamSync(ctx))
		},
	}
	if err := p.openStream(ctx, func(ctx context.Context) (stream, error) {
		return asStream(server.c.AcceptStream(ctx))
	}); err != nil {
		stop()
		return nil, err
	}
	return p, nil
}

// asStream returns s as a stream, or a nil stream (not one holding a nil
// pointer) with err.
func asStream[S stream](s S, err error) (stream, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}

// openStream opens the pair's stream from the client.
func (p *streamPair) openStream(ctx context.Context, accept func(context.Context) (stream, error)) error {
	client, err := p.openClient(ctx)
	if err != nil {
		return err
	}
	server, err := handshake(ctx, client, accept)
	if err != nil {
		return err
	}
	p.client, p.server = client, server
	return nil
}
