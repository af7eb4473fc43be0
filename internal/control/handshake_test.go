package control

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kwik-transport/kwik/internal/wire"
)

// handshakeResult is what ServerHandshake returned.
type handshakeResult struct {
	hello *wire.ClientHello
	reply *wire.ServerHello
	err   error
}

// serveHandshake runs ServerHandshake on ch in the background.
func serveHandshake(ctx context.Context, ch *Channel, accept func(*wire.ClientHello) (*wire.ServerHello, error)) <-chan handshakeResult {
	done := make(chan handshakeResult, 1)
	go func() {
		h, r, err := ServerHandshake(ctx, ch, accept)
		done <- handshakeResult{h, r, err}
	}()
	return done
}

func handshakeContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestHandshakeSuccess(t *testing.T) {
	ctx := handshakeContext(t)
	clientEnd, serverEnd := pipe(t)
	sessionID := bytes.Repeat([]byte{0xab}, 16)
	done := serveHandshake(ctx, NewChannel(serverEnd, 0), func(h *wire.ClientHello) (*wire.ServerHello, error) {
		return &wire.ServerHello{SessionID: sessionID, PathID: h.PathID, Role: wire.RolePrimary, MaxStreams: 7, InitialStreamWindow: 1000}, nil
	})
	sh, err := ClientHandshake(ctx, NewChannel(clientEnd, 0), &wire.ClientHello{Version: wire.Version, MaxStreams: 9, InitialStreamWindow: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sh.SessionID, sessionID) || sh.MaxStreams != 7 || sh.InitialStreamWindow != 1000 || sh.Version != wire.Version {
		t.Fatalf("client got %+v", sh)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.hello.MaxStreams != 9 || r.hello.InitialStreamWindow != 2000 || len(r.hello.SessionID) != 0 {
		t.Fatalf("server got %+v", r.hello)
	}
}

func TestHandshakeVersionMismatch(t *testing.T) {
	ctx := handshakeContext(t)
	clientEnd, serverEnd := pipe(t)
	done := serveHandshake(ctx, NewChannel(serverEnd, 0), func(*wire.ClientHello) (*wire.ServerHello, error) {
		t.Error("accept called for a client of another version")
		return &wire.ServerHello{}, nil
	})
	_, err := ClientHandshake(ctx, NewChannel(clientEnd, 0), &wire.ClientHello{Version: wire.Version + 1})
	var herr *HandshakeError
	if !errors.As(err, &herr) || herr.Code != wire.VersionMismatch || !herr.Remote {
		t.Fatalf("client: %v, want a remote VERSION_MISMATCH", err)
	}
	if !strings.Contains(herr.Reason, "kwik/2") || !strings.Contains(herr.Reason, "kwik/1") {
		t.Fatalf("reason %q does not name both versions", herr.Reason)
	}
	r := <-done
	if !errors.As(r.err, &herr) || herr.Code != wire.VersionMismatch || herr.Remote {
		t.Fatalf("server: %v, want a local VERSION_MISMATCH", r.err)
	}
}

func TestHandshakeRefusals(t *testing.T) {
	for _, tc := range []struct {
		name      string
		acceptErr error
		code      wire.ErrorCode
		reason    string
	}{
		{"typed", &HandshakeError{Code: wire.ProtocolViolation, Reason: "a new session starts on path 0"}, wire.ProtocolViolation, "a new session starts on path 0"},
		{"untyped", ErrTokenExpired, wire.Refused, ErrTokenExpired.Error()},
		{"long reason", errors.New(strings.Repeat("r", 3000)), wire.Refused, strings.Repeat("r", MaxReasonLen-3) + "..."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := handshakeContext(t)
			clientEnd, serverEnd := pipe(t)
			done := serveHandshake(ctx, NewChannel(serverEnd, 0), func(*wire.ClientHello) (*wire.ServerHello, error) {
				return nil, tc.acceptErr
			})
			_, err := ClientHandshake(ctx, NewChannel(clientEnd, 0), &wire.ClientHello{Version: wire.Version})
			var herr *HandshakeError
			if !errors.As(err, &herr) || herr.Code != tc.code || herr.Reason != tc.reason || !herr.Remote {
				t.Fatalf("client: %v, want a remote %v with the server's reason", err, tc.code)
			}
			if r := <-done; !errors.As(r.err, &herr) || herr.Code != tc.code || herr.Remote {
				t.Fatalf("server: %v, want a local %v", r.err, tc.code)
			}
		})
	}
}

func TestServerHandshakeRejectsBadFirstFrame(t *testing.T) {
	for _, tc := range []struct {
		name   string
		input  []byte
		end    bool   // the client ends its stream after input
		reason string // in the server's CLOSE, when the client can still read it
	}{
		{name: "garbage", input: []byte("GET / HTTP/1.1\r\n\r\n"), reason: "malformed handshake"},
		{name: "frame before hello", input: []byte{byte(wire.FramePing), 0x01, 0x05}, reason: "expected CLIENT_HELLO, got PING"},
		{name: "huge length", input: []byte{byte(wire.FrameClientHello), 0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, reason: "malformed handshake"},
		{name: "session ID of 3 bytes", input: []byte{byte(wire.FrameClientHello), 0x05, 0x01, 0x03, 0xaa, 0xbb, 0xcc}, reason: "malformed handshake"},
		{name: "truncated hello", input: []byte{byte(wire.FrameClientHello), 0x10, 0x01}, end: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := handshakeContext(t)
			clientEnd, serverEnd := pipe(t)
			done := serveHandshake(ctx, NewChannel(serverEnd, 0), func(*wire.ClientHello) (*wire.ServerHello, error) {
				t.Error("accept called for a malformed handshake")
				return &wire.ServerHello{}, nil
			})
			if _, err := clientEnd.Write(tc.input); err != nil {
				t.Fatal(err)
			}
			if tc.end {
				clientEnd.Close()
			} else {
				f := newFrameReader(clientEnd).next(t)
				c, ok := f.(*wire.Close)
				if !ok || c.ErrorCode != wire.ProtocolViolation || !strings.Contains(c.Reason, tc.reason) {
					t.Fatalf("server answered %#v, want CLOSE PROTOCOL_VIOLATION %q", f, tc.reason)
				}
			}
			r := <-done
			var herr *HandshakeError
			if !errors.As(r.err, &herr) || herr.Code != wire.ProtocolViolation || herr.Remote {
				t.Fatalf("server: %v, want a local PROTOCOL_VIOLATION", r.err)
			}
		})
	}
}

func TestServerHandshakeStreamEndsEarly(t *testing.T) {
	clientEnd, serverEnd := pipe(t)
	done := serveHandshake(handshakeContext(t), NewChannel(serverEnd, 0), func(*wire.ClientHello) (*wire.ServerHello, error) {
		t.Error("accept called without a hello")
		return &wire.ServerHello{}, nil
	})
	clientEnd.Close()
	r := <-done
	var herr *HandshakeError
	if r.err == nil || errors.As(r.err, &herr) {
		t.Fatalf("server: %v, want a plain I/O error (nobody to refuse)", r.err)
	}
}

func TestClientHandshakeRejectsBadAnswer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer wire.Frame // nil: the server closes the stream
		code   wire.ErrorCode
	}{
		{"garbage", rawFrame("HTTP/1.1 400 Bad Request\r\n"), wire.ProtocolViolation},
		{"truncated", rawFrame(string([]byte{byte(wire.FrameServerHello), 0x30, 0x01})), wire.ProtocolViolation},
		{"ping", &wire.Ping{Seq: 1}, wire.ProtocolViolation},
		{"client hello", &wire.ClientHello{Version: wire.Version}, wire.ProtocolViolation},
		{"other version", &wire.ServerHello{Version: wire.Version + 1, SessionID: make([]byte, 16)}, wire.VersionMismatch},
		{"closed", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clientEnd, serverEnd := pipe(t)
			go func() {
				r := newFrameReader(serverEnd)
				if _, err := wire.ReadControlFrame(r.br); err != nil {
					return
				}
				if tc.answer == nil {
					serverEnd.Close()
					return
				}
				b, _ := tc.answer.Append(nil)
				serverEnd.Write(b)
				serverEnd.Close() // a truncated answer ends here
			}()
			_, err := ClientHandshake(handshakeContext(t), NewChannel(clientEnd, 0), &wire.ClientHello{Version: wire.Version})
			var herr *HandshakeError
			if tc.answer == nil {
				if err == nil || errors.As(err, &herr) {
					t.Fatalf("%v, want an I/O error", err)
				}
				return
			}
			if !errors.As(err, &herr) || herr.Code != tc.code || herr.Remote {
				t.Fatalf("%v, want a local %v", err, tc.code)
			}
		})
	}
}

func TestHandshakeTimesOut(t *testing.T) {
	clientEnd, _ := pipe(t) // a server that never answers
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := ClientHandshake(ctx, NewChannel(clientEnd, 0), &wire.ClientHello{Version: wire.Version})
		errc <- err
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%v, want context.DeadlineExceeded", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ClientHandshake ignored its context")
	}
}

func TestTruncateReason(t *testing.T) {
	short := strings.Repeat("a", MaxReasonLen)
	if got := TruncateReason(short); got != short {
		t.Fatal("a reason of exactly MaxReasonLen bytes was changed")
	}
	got := TruncateReason(short + "b")
	if len(got) != MaxReasonLen || !strings.HasSuffix(got, "...") {
		t.Fatalf("truncated to %d bytes ending %q", len(got), got[len(got)-5:])
	}
	if _, err := (&wire.Close{Reason: got}).Append(nil); err != nil {
		t.Fatalf("a truncated reason does not fit a frame: %v", err)
	}
}

func TestHandshakeErrorMessage(t *testing.T) {
	local := (&HandshakeError{Code: wire.Refused, Reason: "bad token"}).Error()
	remote := (&HandshakeError{Code: wire.Refused, Reason: "bad token", Remote: true}).Error()
	for _, msg := range []string{local, remote} {
		if !strings.Contains(msg, "REFUSED") || !strings.Contains(msg, "bad token") {
			t.Errorf("%q does not carry the code and reason", msg)
		}
	}
	if !strings.Contains(local, "local") || !strings.Contains(remote, "peer") {
		t.Errorf("%q / %q do not say who refused", local, remote)
	}
}

// rawFrame is a Frame whose encoding is b as is, to send malformed input.
type rawFrame string

func (rawFrame) Type() wire.FrameType              { return 0 }
func (f rawFrame) Append(b []byte) ([]byte, error) { return append(b, f...), nil }
