package control

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	testKey     = bytes.Repeat([]byte{0x42}, MinGroupKeySize)
	testSession = bytes.Repeat([]byte{0x5e}, 16)
	testNow     = time.Unix(1_700_000_000, 0)
	testID      = ServerIdentity{Addr: "secondary-a.example:4433"}
)

func TestPathTokenAcceptedOnce(t *testing.T) {
	v := NewTokenVerifier(testKey, []ServerIdentity{testID})
	tok := MintPathToken(testKey, testSession, 3, testID, 30*time.Second, testNow)
	if len(tok) != TokenSize {
		t.Fatalf("token has %d bytes, want %d", len(tok), TokenSize)
	}
	if _, err := v.Verify(tok, testSession, 3, testNow); err != nil {
		t.Fatalf("fresh token refused: %v", err)
	}
	if _, err := v.Verify(tok, testSession, 3, testNow.Add(time.Second)); !errors.Is(err, ErrTokenReplayed) {
		t.Fatalf("second use: %v, want ErrTokenReplayed", err)
	}
	// Another token for the same path is a different nonce: accepted.
	if _, err := v.Verify(MintPathToken(testKey, testSession, 3, testID, 30*time.Second, testNow), testSession, 3, testNow); err != nil {
		t.Fatalf("a second token for the same path: %v", err)
	}
}

func TestPathTokenRefusals(t *testing.T) {
	tok := MintPathToken(testKey, testSession, 3, testID, 30*time.Second, testNow)
	otherKey := bytes.Repeat([]byte{0x43}, MinGroupKeySize)
	otherSession := bytes.Repeat([]byte{0x5f}, 16)
	for _, tc := range []struct {
		name      string
		tok       []byte
		sessionID []byte
		pathID    uint64
		now       time.Time
		want      error
	}{
		{"unknown session", tok, otherSession, 3, testNow, ErrBadToken},
		{"no session", tok, nil, 3, testNow, ErrBadToken},
		{"other path", tok, testSession, 4, testNow, ErrBadToken},
		{"other key", MintPathToken(otherKey, testSession, 3, testID, time.Minute, testNow), testSession, 3, testNow, ErrBadToken},
		{"empty", nil, testSession, 3, testNow, ErrBadToken},
		{"short", tok[:TokenSize-1], testSession, 3, testNow, ErrBadToken},
		{"long", append(bytes.Clone(tok), 0), testSession, 3, testNow, ErrBadToken},
		{"zeros", make([]byte, TokenSize), testSession, 3, testNow, ErrBadToken},
		{"expired", tok, testSession, 3, testNow.Add(31 * time.Second), ErrTokenExpired},
		{"at expiry", tok, testSession, 3, testNow.Add(30 * time.Second), ErrTokenExpired},
		{"minted expired", MintPathToken(testKey, testSession, 3, testID, -time.Second, testNow), testSession, 3, testNow, ErrTokenExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := NewTokenVerifier(testKey, []ServerIdentity{testID})
			if _, err := v.Verify(tc.tok, tc.sessionID, tc.pathID, tc.now); !errors.Is(err, tc.want) {
				t.Fatalf("%v, want %v", err, tc.want)
			}
			// A refused token is not spent: the right one still works.
			if !bytes.Equal(tc.tok, tok) {
				return
			}
			if _, err := v.Verify(tok, testSession, 3, testNow); err != nil {
				t.Fatalf("the genuine token after a refusal: %v", err)
			}
		})
	}
}

func TestPathTokenEveryBitCounts(t *testing.T) {
	tok := MintPathToken(testKey, testSession, 1, testID, time.Hour, testNow)
	for i := range tok {
		altered := bytes.Clone(tok)
		altered[i] ^= 0x01
		_, err := NewTokenVerifier(testKey, []ServerIdentity{testID}).Verify(altered, testSession, 1, testNow)
		if !errors.Is(err, ErrBadToken) {
			t.Fatalf("bit 0 of byte %d flipped: %v, want ErrBadToken", i, err)
		}
	}
}

func TestPathTokenWithoutKey(t *testing.T) {
	tok := MintPathToken(testKey, testSession, 1, testID, time.Hour, testNow)
	for _, key := range [][]byte{nil, {}} {
		if _, err := NewTokenVerifier(key, []ServerIdentity{testID}).Verify(tok, testSession, 1, testNow); !errors.Is(err, ErrNoGroupKey) {
			t.Fatalf("verifier with key %v: %v, want ErrNoGroupKey", key, err)
		}
	}
	if !strings.Contains(ErrNoGroupKey.Error(), "ServerGroupKey") {
		t.Fatalf("%q does not say what to set", ErrNoGroupKey)
	}
}

func TestPathTokenNoncesForgottenAfterExpiry(t *testing.T) {
	v := NewTokenVerifier(testKey, []ServerIdentity{testID})
	for i := range 10 {
		tok := MintPathToken(testKey, testSession, uint64(i), testID, time.Minute, testNow)
		if _, err := v.Verify(tok, testSession, uint64(i), testNow); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(v.used); n != 10 {
		t.Fatalf("%d nonces remembered, want 10", n)
	}
	later := testNow.Add(2 * time.Minute)
	if _, err := v.Verify(MintPathToken(testKey, testSession, 0, testID, time.Minute, later), testSession, 0, later); err != nil {
		t.Fatal(err)
	}
	if n := len(v.used); n != 1 {
		t.Fatalf("%d nonces remembered after the others expired, want 1", n)
	}
}

func TestCheckGroupKey(t *testing.T) {
	if err := CheckGroupKey(make([]byte, MinGroupKeySize)); err != nil {
		t.Fatalf("a %d-byte key: %v", MinGroupKeySize, err)
	}
	err := CheckGroupKey(make([]byte, MinGroupKeySize-1))
	if err == nil || !strings.Contains(err.Error(), "31 bytes") || !strings.Contains(err.Error(), "32") {
		t.Fatalf("a short key: %v, want an error with both sizes", err)
	}
}

func TestNewSessionID(t *testing.T) {
	a, b := NewSessionID(), NewSessionID()
	if len(a) != 16 || len(b) != 16 {
		t.Fatalf("session IDs of %d and %d bytes, want 16", len(a), len(b))
	}
	if bytes.Equal(a, b) || bytes.Equal(a, make([]byte, 16)) {
		t.Fatal("session IDs are not random")
	}
}

// TestPathTokenBoundToTheSecondary: a token minted for one secondary is
// refused by every other (another address, another pin, a pin where an
// address was added and the other way round), and by a server with no
// identity at all; the secondary it names accepts it, whichever of its
// identities it names. Old code: every server of the group accepted it.
func TestPathTokenBoundToTheSecondary(t *testing.T) {
	pinA, pinB := bytes.Repeat([]byte{0xa}, 32), bytes.Repeat([]byte{0xb}, 32)
	a := []ServerIdentity{{Addr: "a.example:4433"}, {Pin: pinA}}
	for _, tc := range []struct {
		name   string
		minted ServerIdentity
		server []ServerIdentity
		want   error
	}{
		{"its address", IdentityOf("a.example:4433", nil), a, nil},
		{"its pin", IdentityOf("anything:1", pinA), a, nil},
		{"another address", IdentityOf("b.example:4433", nil), a, ErrBadToken},
		{"another port", IdentityOf("a.example:4434", nil), a, ErrBadToken},
		{"another pin", IdentityOf("a.example:4433", pinB), a, ErrBadToken},
		{"a pin's bytes as an address", ServerIdentity{Addr: string(pinA)}, a, ErrBadToken},
		{"no identity", IdentityOf("a.example:4433", nil), nil, ErrNotSecondary},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := MintPathToken(testKey, testSession, 1, tc.minted, time.Minute, testNow)
			got, err := NewTokenVerifier(testKey, tc.server).Verify(tok, testSession, 1, testNow)
			if !errors.Is(err, tc.want) {
				t.Fatalf("%v, want %v", err, tc.want)
			}
			if err == nil && got.String() != tc.minted.String() {
				t.Fatalf("accepted as %v, minted for %v", got, tc.minted)
			}
		})
	}
}
