package integrationtests

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/certs"
	"github.com/kwik-transport/kwik/internal/control"
	"github.com/kwik-transport/kwik/internal/wire"
)

// The security and bad-input tests of issue 4; the raw peers they use are
// in rawpeer_test.go.

// TestSecondaryRefusesBadJoins: a client with an unknown session ID or a
// wrong, expired or reused path token is refused by the secondary, which
// goes on serving good joins.
func TestSecondaryRefusesBadJoins(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	secondary := listen(t, &kwik.Config{ServerGroupKey: groupKey})
	keyless := listen(t, nil)
	otherKey := bytes.Repeat([]byte("o"), 32)
	session := control.NewSessionID()
	mint := func(key []byte, pathID uint64, ttl time.Duration) []byte {
		return control.MintPathToken(key, session, pathID, control.IdentityOf(secondary.Addr().String(), nil), ttl, time.Now())
	}
	reused := mint(groupKey, 1, time.Minute)
	accepted := acceptAll(t, secondary)

	join := func(t *testing.T, addr string, h *wire.ClientHello) (*rawPeer, *wire.ServerHello, *wire.Close) {
		p := dialRawPeer(t, ctx, addr)
		h.Version = wire.Version
		sh, cl := p.handshake(h)
		return p, sh, cl
	}
	// The genuine join the reuse case replays.
	if _, sh, cl := join(t, secondary.Addr().String(), &wire.ClientHello{SessionID: session, PathID: 1, Token: reused}); sh == nil {
		t.Fatalf("genuine join refused: %+v", cl)
	} else if sh.Role != wire.RoleSecondary || sh.PathID != 1 || !bytes.Equal(sh.SessionID, session) {
		t.Fatalf("genuine join answered %+v", sh)
	}
	if s := nextSession(t, accepted); s.Role() != kwik.RoleSecondary || !bytes.Equal(s.SessionID(), session) {
		t.Fatalf("secondary accepted a %v session %x", s.Role(), s.SessionID())
	}

	for _, tc := range []struct {
		name   string
		addr   string
		hello  wire.ClientHello
		reason string
	}{
		{"unknown session", secondary.Addr().String(), wire.ClientHello{SessionID: control.NewSessionID(), PathID: 1, Token: mint(groupKey, 1, time.Minute)}, "not valid for this session"},
		{"token of another path", secondary.Addr().String(), wire.ClientHello{SessionID: session, PathID: 2, Token: mint(groupKey, 1, time.Minute)}, "not valid"},
		{"token of another server group", secondary.Addr().String(), wire.ClientHello{SessionID: session, PathID: 1, Token: mint(otherKey, 1, time.Minute)}, "not valid"},
		{"random token", secondary.Addr().String(), wire.ClientHello{SessionID: session, PathID: 1, Token: control.NewSessionID()}, "not valid"},
		{"no token", secondary.Addr().String(), wire.ClientHello{SessionID: session, PathID: 1}, "not valid"},
		{"expired token", secondary.Addr().String(), wire.ClientHello{SessionID: session, PathID: 1, Token: mint(groupKey, 1, -time.Second)}, "expired"},
		{"reused token", secondary.Addr().String(), wire.ClientHello{SessionID: session, PathID: 1, Token: reused}, "already used"},
		{"server without group key", keyless.Addr().String(), wire.ClientHello{SessionID: session, PathID: 1, Token: mint(groupKey, 1, time.Minute)}, "no server-group key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, sh, cl := join(t, tc.addr, &tc.hello)
			if sh != nil {
				t.Fatalf("join accepted: %+v", sh)
			}
			if cl.ErrorCode != wire.Refused || !strings.Contains(cl.Reason, tc.reason) {
				t.Fatalf("refused with %v %q; want REFUSED %q", cl.ErrorCode, cl.Reason, tc.reason)
			}
			p.expectClosed(wire.Refused, tc.reason)
		})
	}
	select {
	case s := <-accepted:
		t.Fatalf("a refused join reached Accept: %x", s.SessionID())
	default:
	}
	// Refusals cost the secondary nothing: a good join still works.
	if _, sh, cl := join(t, secondary.Addr().String(), &wire.ClientHello{SessionID: session, PathID: 3, Token: mint(groupKey, 3, time.Minute)}); sh == nil {
		t.Fatalf("good join after the refusals: %+v", cl)
	}
	nextSession(t, accepted)
}

// TestClientVerifiesSecondaryTLS: the client refuses a secondary whose TLS
// identity does not verify; with a pin from the primary it accepts exactly
// that key.
func TestClientVerifiesSecondaryTLS(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	untrusted, err := certs.NewPair()
	if err != nil {
		t.Fatal(err)
	}
	conf := &kwik.Config{ServerGroupKey: groupKey}
	primary := listen(t, conf)
	trustedLn := listen(t, conf)
	untrustedLn, err := kwik.Listen("127.0.0.1:0", untrusted.Server, conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { untrustedLn.Close() })
	joined := map[string]<-chan *kwik.Session{ // by listener address
		trustedLn.Addr().String():   acceptAll(t, trustedLn),
		untrustedLn.Addr().String(): acceptAll(t, untrustedLn),
	}
	_, server := connect(t, primary, nil)
	untrustedPin := kwik.PublicKeyPin(untrusted.Cert.Leaf)
	trustedPin := kwik.PublicKeyPin(testTLS.Cert.Leaf)

	for _, tc := range []struct {
		name   string
		addr   string
		pin    []byte
		reason string // "" when the path must open
	}{
		{"untrusted certificate", untrustedLn.Addr().String(), nil, "certificate"},
		{"untrusted, pin of another key", untrustedLn.Addr().String(), trustedPin, "pin"},
		{"trusted, pin of another key", trustedLn.Addr().String(), untrustedPin, "pin"},
		{"untrusted, its own pin", untrustedLn.Addr().String(), untrustedPin, ""},
		{"trusted, no pin", trustedLn.Addr().String(), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := server.AddPath(ctx, tc.addr, tc.pin)
			if tc.reason == "" {
				if err != nil || info.State != kwik.PathActive {
					t.Fatalf("AddPath = %v, %v; want an active path", info.State, err)
				}
				if s := nextSession(t, joined[tc.addr]); s.Role() != kwik.RoleSecondary {
					t.Fatalf("secondary got a %v session", s.Role())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("AddPath: %v; want a refusal mentioning %q", err, tc.reason)
			}
			if info.State != kwik.PathFailed || info.Err == nil {
				t.Fatalf("path state %v (%v), want failed with the reason", info.State, info.Err)
			}
		})
	}
	for addr, ch := range joined {
		select {
		case s := <-ch:
			t.Fatalf("secondary %s got a session it should have been refused: %v", addr, s.Role())
		default:
		}
	}
}

// TestRelayedRawDataAuthenticated: raw data the primary relays through the
// client reaches the secondary only unaltered and once; a client that
// alters, forges, misdirects or replays it is refused.
func TestRelayedRawDataAuthenticated(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	conf := &kwik.Config{ServerGroupKey: groupKey}
	primary := listen(t, conf)
	secondary := listen(t, conf)
	secondarySessions := acceptAll(t, secondary)
	// The client is raw: it relays what it wants.
	client, sh, server := joinRaw(t, ctx, primary)

	// addPath has the primary add a secondary path and joins it with the
	// token the primary issued.
	addPath := func(t *testing.T) (*rawPeer, *kwik.Session, uint64) {
		t.Helper()
		client := client.in(t)
		added := make(chan error, 1)
		go func() {
			_, err := server.AddPath(ctx, secondary.Addr().String(), nil)
			added <- err
		}()
		ap := client.next("ADD_PATH", func(f wire.Frame) bool { _, ok := f.(*wire.AddPath); return ok }).(*wire.AddPath)
		path := dialRawPeer(t, ctx, secondary.Addr().String())
		if joined, cl := path.handshake(&wire.ClientHello{Version: wire.Version, SessionID: sh.SessionID, PathID: ap.PathID, Token: ap.Token}); joined == nil {
			t.Fatalf("secondary refused the primary's token: %+v", cl)
		}
		client.send(&wire.PathStatus{PathID: ap.PathID, Status: wire.PathActive})
		if err := <-added; err != nil {
			t.Fatal(err)
		}
		return path, nextSession(t, secondarySessions), ap.PathID
	}
	// relayed returns the next RAW_DATA the primary sends through the client.
	relayed := func(t *testing.T, pathID uint64, data string) *wire.RawData {
		t.Helper()
		client := client.in(t)
		if err := server.SendRawData(pathID, 0, []byte(data)); err != nil {
			t.Fatal(err)
		}
		return client.next("RAW_DATA", func(f wire.Frame) bool { _, ok := f.(*wire.RawData); return ok }).(*wire.RawData)
	}
	receive := func(t *testing.T, s *kwik.Session, want string) {
		t.Helper()
		rctx, cancel := context.WithTimeout(ctx, outcomeTimeout)
		defer cancel()
		msg, err := s.AcceptRawData(rctx)
		if err != nil || string(msg.Data) != want {
			t.Fatalf("secondary got %q, %v; want %q", msg.Data, err, want)
		}
	}

	// Honest relay, then a replay of the same message.
	path1, sess1, id1 := addPath(t)
	m := relayed(t, id1, "bytes 0-99 of object 1")
	path1.send(m)
	receive(t, sess1, "bytes 0-99 of object 1")
	path1.send(m)
	path1.expectClosed(wire.Refused, "replay")

	for _, tc := range []struct {
		name   string
		alter  func(t *testing.T, m *wire.RawData, otherPath uint64) // turns the genuine message into the client's version
		reason string
	}{
		{"altered data", func(_ *testing.T, m *wire.RawData, _ uint64) { m.Data = []byte("bytes 0-99 of object 2") }, "failed authentication"},
		{"altered stream", func(_ *testing.T, m *wire.RawData, _ uint64) { m.StreamID = 4 }, "failed authentication"},
		{"altered sequence", func(_ *testing.T, m *wire.RawData, _ uint64) { m.Seq += 100 }, "failed authentication"},
		{"forged", func(_ *testing.T, m *wire.RawData, _ uint64) { m.MAC = make([]byte, 32) }, "failed authentication"},
		{"meant for another path", func(t *testing.T, m *wire.RawData, other uint64) { *m = *relayed(t, other, "for the other path") }, "failed authentication"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, sess, id := addPath(t)
			m := relayed(t, id, "bytes 0-99 of object 1")
			tc.alter(t, m, id1)
			path.send(m)
			path.expectClosed(wire.Refused, tc.reason)
			if _, err := sess.AcceptRawData(ctx); err == nil {
				t.Fatal("the secondary accepted the client's version")
			}
		})
	}
}
