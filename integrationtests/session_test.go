package integrationtests

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/quic-go/quic-go"

	"github.com/kwik-transport/kwik/internal/wire"
)

func TestEcho(t *testing.T) {
	client, server := pair(t, nil)
	echo(t, testContext(t, 10*time.Second), client, server, 1000)
}

// TestManyStreamsBothWays opens streams from both sides at once, each
// carrying twice its initial window in each direction, and checks every
// byte. The windows are the defaults divided by 4 (the minimum by 2, to
// stay a frame), and so is the size (1 MiB once): the same regime, every
// stream needing window updates and the streams' initial windows summing
// to more than the session's, for a quarter of the bytes (the test took
// 100 s of a loaded CI run with 200 MiB).
func TestManyStreamsBothWays(t *testing.T) {
	t.Parallel() // no resource measurement; waits on the network beside the others
	const streams, size = 100, 256 << 10
	conf := quarterWindows()
	if streams*conf.InitialStreamReceiveWindow <= conf.SessionReceiveWindow || size <= conf.InitialStreamReceiveWindow {
		t.Fatal("the windows do not make the streams contend")
	}
	client, server := pair(t, conf)
	ctx := testContext(t, 120*time.Second)

	// serve reads a stream to EOF, checks it, and answers with its own
	// payload; opened says which side opened it.
	serve := func(str *kwik.Stream, seedIn, seedOut uint64) error {
		want := sha256.Sum256(payload(seedIn, size))
		got, n, err := readAllHash(str)
		if err != nil {
			return err
		}
		if n != size || got != want {
			return fmt.Errorf("stream %d: received %d bytes with a different hash", str.StreamID(), n)
		}
		return nil
	}
	send := func(str *kwik.Stream, seed uint64) error {
		if _, err := str.Write(payload(seed, size)); err != nil {
			return err
		}
		return str.Close()
	}

	var wg sync.WaitGroup
	errs := make(chan error, 4*streams)
	run := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				errs <- err
			}
		}()
	}
	// Each side accepts the other's streams: read, check, answer.
	accept := func(s *kwik.Session, in, out uint64) {
		run(func() error {
			for range streams / 2 {
				str, err := s.AcceptStream(ctx)
				if err != nil {
					return err
				}
				id := uint64(str.StreamID())
				run(func() error { return send(str, out+id) })
				run(func() error { return serve(str, in+id, 0) })
			}
			return nil
		})
	}
	accept(server, 1000, 2000)
	accept(client, 3000, 4000)
	open := func(s *kwik.Session, out, in uint64) {
		for range streams / 2 {
			str, err := s.OpenStreamSync(ctx)
			if err != nil {
				errs <- err
				return
			}
			id := uint64(str.StreamID())
			run(func() error { return send(str, out+id) })
			run(func() error { return serve(str, in+id, 0) })
		}
	}
	open(client, 1000, 2000)
	open(server, 3000, 4000)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestServerOpensStream(t *testing.T) {
	client, server := pair(t, nil)
	ctx := testContext(t, 10*time.Second)
	str, err := server.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if str.StreamID()&1 != 1 {
		t.Fatalf("server stream ID %d is not server-initiated", str.StreamID())
	}
	if _, err := str.Write([]byte("push")); err != nil {
		t.Fatal(err)
	}
	str.Close()
	cstr, err := client.AcceptStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cstr.StreamID() != str.StreamID() {
		t.Fatalf("client accepted stream %d, server opened %d", cstr.StreamID(), str.StreamID())
	}
	got, err := io.ReadAll(cstr)
	if err != nil || string(got) != "push" {
		t.Fatalf("read %q, %v", got, err)
	}
}

func TestEOFAndWriteAfterClose(t *testing.T) {
	client, server := pair(t, nil)
	ctx := testContext(t, 10*time.Second)
	str, _ := client.OpenStreamSync(ctx)
	str.Write([]byte("abc"))
	str.Close()
	if _, err := str.Write([]byte("more")); err == nil {
		t.Fatal("Write after Close succeeded")
	}
	sstr, err := server.AcceptStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	n, err := io.ReadFull(sstr, buf)
	if n != 3 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("ReadFull = %d, %v; want 3 bytes then EOF", n, err)
	}
	// EOF stays EOF.
	if n, err := sstr.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("second Read = %d, %v; want 0, EOF", n, err)
	}
}

func TestReadDeadline(t *testing.T) {
	client, _ := pair(t, nil)
	ctx := testContext(t, 10*time.Second)
	str, _ := client.OpenStreamSync(ctx)
	str.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := str.Read(make([]byte, 1))
	var nerr net.Error
	if !errors.As(err, &nerr) || !nerr.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline = %v; want a timeout", err)
	}
	// Moving the deadline while a Read waits takes effect.
	str.SetReadDeadline(time.Time{})
	readErr := make(chan error, 1)
	go func() {
		_, err := str.Read(make([]byte, 1))
		readErr <- err
	}()
	str.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if err := <-readErr; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read after moving the deadline = %v", err)
	}
}

// smallWindows makes flow control bite quickly.
// quarterWindows are the default windows divided by 4, but the minimum by
// 2 so that it stays a frame.
func quarterWindows() *kwik.Config {
	return &kwik.Config{
		InitialStreamReceiveWindow: 128 << 10,
		MinStreamReceiveWindow:     32 << 10,
		MaxStreamReceiveWindow:     4 << 20,
		SessionReceiveWindow:       6 << 20,
	}
}

func smallWindows() *kwik.Config {
	return &kwik.Config{
		SessionReceiveWindow:       256 << 10,
		InitialStreamReceiveWindow: 64 << 10,
		MinStreamReceiveWindow:     64 << 10,
		MaxStreamReceiveWindow:     64 << 10,
	}
}

func TestWriteDeadlineWhileBlockedOnCredit(t *testing.T) {
	client, server := pair(t, smallWindows())
	ctx := testContext(t, 10*time.Second)
	str, _ := client.OpenStreamSync(ctx)
	str.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	// The server never reads: the write blocks once the window is full.
	n, err := str.Write(make([]byte, 1<<20))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write = %d, %v; want a deadline error", n, err)
	}
	if n > 64<<10 {
		t.Fatalf("wrote %d bytes into a 64 KiB window", n)
	}
	_ = server
}

func TestCancelWriteAndRead(t *testing.T) {
	client, server := pair(t, nil)
	ctx := testContext(t, 10*time.Second)

	str, _ := client.OpenStreamSync(ctx)
	str.Write([]byte("x"))
	sstr, err := server.AcceptStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	str.CancelWrite(42)
	var serr *kwik.StreamError
	_, err = io.ReadAll(sstr)
	if !errors.As(err, &serr) || serr.ErrorCode != 42 || !serr.Remote {
		t.Fatalf("server Read after CancelWrite = %v; want remote stream error 42", err)
	}

	// CancelRead on the server: the client's writes fail with the code.
	str2, _ := client.OpenStreamSync(ctx)
	str2.Write([]byte("y"))
	sstr2, err := server.AcceptStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sstr2.CancelRead(7)
	// STOP_SENDING ends the client's write side, which ends its context.
	select {
	case <-str2.Context().Done():
	case <-ctx.Done():
		t.Fatal("the client's write side never learnt of the peer's CancelRead")
	}
	_, err = str2.Write([]byte("z"))
	if !errors.As(err, &serr) || serr.ErrorCode != 7 || !serr.Remote {
		t.Fatalf("Write after peer CancelRead = %v; want remote stream error 7", err)
	}
}

// TestPeerVanishes: the server stops answering without closing; the client
// notices through the idle timeout and every blocked call returns. The path
// must live through the dial first, so the idle timeout is no shorter than
// cutIdle.
func TestPeerVanishes(t *testing.T) {
	conf := &kwik.Config{MaxIdleTimeout: cutIdle, KeepAlivePeriod: cutKeepAlive}
	ln := listen(t, conf)
	relay := newBlackholeRelay(t, ln.Addr().String())
	ctx := testContext(t, 20*time.Second)
	accepted := make(chan *kwik.Session, 1)
	go func() {
		s, _ := ln.Accept(ctx)
		accepted <- s
	}()
	client, err := kwik.Dial(ctx, relay.Addr(), testTLS.Client, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseWithError(0, "")
	server := <-accepted
	defer server.CloseWithError(0, "")

	str, err := client.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := str.Read(make([]byte, 1))
		readErr <- err
	}()
	relay.blackhole()
	select {
	case err := <-readErr:
		if err == nil {
			t.Fatal("Read returned no error after the peer vanished")
		}
	case <-ctx.Done():
		t.Fatal("Read still blocked after the peer vanished")
	}
	<-client.Context().Done()
	if _, err := client.OpenStreamSync(ctx); err == nil {
		t.Fatal("OpenStreamSync on a dead session succeeded")
	}
}

// TestSlowReaderBoundedMemory: a server writes much more than the window to a
// client that reads slowly; the client never buffers more than the window.
func TestSlowReaderBoundedMemory(t *testing.T) {
	conf := smallWindows()
	client, server := pair(t, conf)
	ctx := testContext(t, 30*time.Second)
	const total = 4 << 20
	data := payload(9, total)
	writeErr := make(chan error, 1)
	go func() {
		str, err := server.OpenStreamSync(ctx)
		if err != nil {
			writeErr <- err
			return
		}
		_, err = str.Write(data)
		if err == nil {
			err = str.Close()
		}
		writeErr <- err
	}()
	str, err := client.AcceptStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 0, total)
	buf := make([]byte, 8<<10)
	maxBuffered := uint64(0)
	for {
		n, err := str.Read(buf)
		got = append(got, buf[:n]...)
		stats := client.ReceiveStats()
		maxBuffered = max(maxBuffered, stats.TotalBuffered)
		if stats.TotalBuffered > conf.MaxStreamReceiveWindow {
			t.Fatalf("client buffers %d bytes, window is %d", stats.TotalBuffered, conf.MaxStreamReceiveWindow)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, data) {
		t.Fatal("received bytes differ from those sent")
	}
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	if maxBuffered == 0 {
		t.Fatal("never saw buffered bytes: the check above tested nothing")
	}
	t.Logf("peak buffered %d bytes with a %d-byte window", maxBuffered, conf.MaxStreamReceiveWindow)
}

func TestVersionMismatchAndGarbage(t *testing.T) {
	ln := listen(t, nil)
	ctx := testContext(t, 10*time.Second)
	hello, _ := (&wire.ClientHello{Version: 7}).Append(nil)
	err := dialRaw(ctx, ln.Addr().String(), hello)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("kwik/7")) {
		t.Fatalf("version 7 handshake: %v; want an error naming both versions", err)
	}
	err = dialRaw(ctx, ln.Addr().String(), []byte("GET / HTTP/1.1\r\n\r\n"))
	var appErr *quic.ApplicationError
	if !errors.As(err, &appErr) || wire.ErrorCode(appErr.ErrorCode) != wire.ProtocolViolation {
		t.Fatalf("garbage handshake: %v; want a protocol violation", err)
	}
	// The server is still fine.
	client, _ := connect(t, ln, nil)
	if client.Role() != kwik.RoleClient {
		t.Fatal("wrong role")
	}
}

// TestPeerClosesSession: the server closes with an application code; the
// client's blocked Read and later calls return that code.
func TestPeerClosesSession(t *testing.T) {
	client, server := pair(t, nil)
	ctx := testContext(t, 10*time.Second)
	str, _ := client.OpenStreamSync(ctx)
	str.Write([]byte("hi"))
	if _, err := server.AcceptStream(ctx); err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := str.Read(make([]byte, 1))
		readErr <- err
	}()
	server.CloseWithError(42, "going away")
	var appErr *kwik.ApplicationError
	if err := <-readErr; !errors.As(err, &appErr) || appErr.ErrorCode != 42 || !appErr.Remote || appErr.ErrorMessage != "going away" {
		t.Fatalf("Read after the peer closed = %v; want remote application error 42", err)
	}
	<-client.Context().Done()
	if _, err := client.AcceptStream(ctx); !errors.As(err, &appErr) {
		t.Fatalf("AcceptStream after close = %v", err)
	}
}
