package control

import (
	"bytes"
	"crypto/hmac"
	"encoding/binary"
	"testing"
	"time"
)

// FuzzVerifyPathToken feeds arbitrary tokens, as a client would present
// them, to a secondary's verifier: it must never panic and accept only the
// token the primary minted.
func FuzzVerifyPathToken(f *testing.F) {
	// MintPathToken draws a random nonce, and every fuzzing worker must
	// agree on the genuine token: this one is minted with a fixed nonce.
	body := binary.BigEndian.AppendUint64(nil, uint64(testNow.Add(time.Minute).Unix()))
	body = append(body, bytes.Repeat([]byte{7}, tokenNonceSize)...)
	genuine := append(body, tokenMAC(testKey, testSession, 1, testID, body)...)
	if _, err := NewTokenVerifier(testKey, []ServerIdentity{testID}).Verify(genuine, testSession, 1, testNow); err != nil {
		f.Fatalf("the fixed-nonce token is not genuine: %v", err)
	}
	f.Add(genuine, uint64(1))
	f.Add(genuine[:TokenSize-1], uint64(1))
	f.Add(append(bytes.Clone(genuine), 0), uint64(1))
	f.Add(genuine, uint64(2))
	f.Add([]byte{}, uint64(0))
	f.Add(make([]byte, TokenSize), uint64(1))
	f.Fuzz(func(t *testing.T, tok []byte, pathID uint64) {
		_, err := NewTokenVerifier(testKey, []ServerIdentity{testID}).Verify(tok, testSession, pathID, testNow)
		if err == nil && (pathID != 1 || !bytes.Equal(tok, genuine)) {
			t.Fatalf("accepted a token the primary never minted: %x for path %d", tok, pathID)
		}
		if err != nil && err != ErrBadToken && err != ErrTokenExpired {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// FuzzVerifyRelay feeds arbitrary relayed messages to a secondary's
// verifier: only a message with the primary's MAC gets through.
func FuzzVerifyRelay(f *testing.F) {
	data := []byte("range 0-65535")
	f.Add(uint64(4), uint64(1), data, RelayMAC(testKey, testSession, testID, 1, 4, 1, data))
	f.Add(uint64(4), uint64(1), data, make([]byte, 32))
	f.Add(uint64(0), uint64(0), []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, streamID, seq uint64, data, mac []byte) {
		err := NewRelayVerifier(testKey, testSession, testID, 1).Verify(streamID, seq, data, mac)
		genuine := hmac.Equal(mac, RelayMAC(testKey, testSession, testID, 1, streamID, seq, data))
		switch {
		case err == nil && !genuine:
			t.Fatal("accepted a message without the primary's MAC")
		case err == ErrBadRelayMAC && genuine:
			t.Fatal("refused the primary's MAC")
		case err != nil && err != ErrBadRelayMAC && err != ErrRelayReplay:
			t.Fatalf("unexpected error %v", err)
		}
	})
}
