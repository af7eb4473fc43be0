package control

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestRelayVerifier(t *testing.T) {
	data := []byte("bytes 0-1023 of object 7")
	mac := RelayMAC(testKey, testSession, testID, 2, 4, 1, data)
	otherKey := bytes.Repeat([]byte{0x43}, MinGroupKeySize)
	for _, tc := range []struct {
		name     string
		verifier *RelayVerifier
		streamID uint64
		seq      uint64
		data     []byte
		mac      []byte
		want     error
	}{
		{"genuine", NewRelayVerifier(testKey, testSession, testID, 2), 4, 1, data, mac, nil},
		{"altered data", NewRelayVerifier(testKey, testSession, testID, 2), 4, 1, []byte("bytes 0-1023 of object 8"), mac, ErrBadRelayMAC},
		{"altered stream", NewRelayVerifier(testKey, testSession, testID, 2), 8, 1, data, mac, ErrBadRelayMAC},
		{"altered seq", NewRelayVerifier(testKey, testSession, testID, 2), 4, 2, data, mac, ErrBadRelayMAC},
		{"truncated MAC", NewRelayVerifier(testKey, testSession, testID, 2), 4, 1, data, mac[:31], ErrBadRelayMAC},
		{"no MAC", NewRelayVerifier(testKey, testSession, testID, 2), 4, 1, data, nil, ErrBadRelayMAC},
		{"forged with another key", NewRelayVerifier(testKey, testSession, testID, 2), 4, 1, data, RelayMAC(otherKey, testSession, testID, 2, 4, 1, data), ErrBadRelayMAC},
		{"meant for another path", NewRelayVerifier(testKey, testSession, testID, 3), 4, 1, data, mac, ErrBadRelayMAC},
		{"meant for another secondary", NewRelayVerifier(testKey, testSession, ServerIdentity{Addr: "secondary-b.example:4433"}, 2), 4, 1, data, mac, ErrBadRelayMAC},
		{"meant for another session", NewRelayVerifier(testKey, NewSessionID(), testID, 2), 4, 1, data, mac, ErrBadRelayMAC},
		{"sequence 0", NewRelayVerifier(testKey, testSession, testID, 2), 4, 0, data, RelayMAC(testKey, testSession, testID, 2, 4, 0, data), ErrRelayReplay},
		{"no key", NewRelayVerifier(nil, testSession, testID, 2), 4, 1, data, mac, ErrNoRelayKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.verifier.Verify(tc.streamID, tc.seq, tc.data, tc.mac); !errors.Is(err, tc.want) {
				t.Fatalf("%v, want %v", err, tc.want)
			}
		})
	}
}

func TestRelayVerifierReplay(t *testing.T) {
	v := NewRelayVerifier(testKey, testSession, testID, 1)
	send := func(seq uint64, data string) error {
		return v.Verify(0, seq, []byte(data), RelayMAC(testKey, testSession, testID, 1, 0, seq, []byte(data)))
	}
	if err := send(1, "a"); err != nil {
		t.Fatal(err)
	}
	if err := send(1, "a"); !errors.Is(err, ErrRelayReplay) {
		t.Fatalf("the same message again: %v, want ErrRelayReplay", err)
	}
	if err := send(5, "b"); err != nil {
		t.Fatalf("a gap in sequence numbers: %v (the primary numbers all paths from one counter)", err)
	}
	if err := send(3, "c"); !errors.Is(err, ErrRelayReplay) {
		t.Fatalf("an older sequence number: %v, want ErrRelayReplay", err)
	}
	// A forged message does not move the sequence.
	if err := v.Verify(0, 100, []byte("x"), make([]byte, 32)); !errors.Is(err, ErrBadRelayMAC) {
		t.Fatal(err)
	}
	if err := send(6, "d"); err != nil {
		t.Fatalf("after a forged message with seq 100: %v", err)
	}
}

func TestRelayVerifierConcurrentReplays(t *testing.T) {
	v := NewRelayVerifier(testKey, testSession, testID, 1)
	data := []byte("payload")
	mac := RelayMAC(testKey, testSession, testID, 1, 0, 1, data)
	var accepted atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if v.Verify(0, 1, data, mac) == nil {
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	if n := accepted.Load(); n != 1 {
		t.Fatalf("one message accepted %d times by concurrent Verify calls", n)
	}
}
