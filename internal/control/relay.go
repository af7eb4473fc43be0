package control

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"sync"
)

// Errors a secondary returns for relayed raw data it will not accept.
var (
	ErrBadRelayMAC = errors.New("kwik: relayed raw data failed authentication (forged or altered on the way)")
	ErrRelayReplay = errors.New("kwik: relayed raw data is a replay (sequence number not increasing)")
	ErrNoRelayKey  = errors.New("kwik: raw data relay needs a server-group key (set Config.ServerGroupKey)")
)

// RelayMAC authenticates raw data the primary relays through the client to
// the secondary with identity id, so that the client can neither forge nor
// alter it, nor hand it to another secondary.
func RelayMAC(key, sessionID []byte, id ServerIdentity, pathID, streamID, seq uint64, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kwik raw data v2"))
	m.Write(sessionID)
	id.write(m)
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], pathID)
	binary.BigEndian.PutUint64(b[8:], streamID)
	binary.BigEndian.PutUint64(b[16:], seq)
	m.Write(b[:])
	m.Write(data)
	return m.Sum(nil)
}

// RelayVerifier checks relayed raw data arriving on one secondary path.
type RelayVerifier struct {
	key       []byte
	sessionID []byte
	id        ServerIdentity
	pathID    uint64

	mu      sync.Mutex
	lastSeq uint64 // sequence numbers start at 1
}

// NewRelayVerifier returns a verifier for the raw data of one path, on the
// secondary whose identity the path's token was bound to.
func NewRelayVerifier(key, sessionID []byte, id ServerIdentity, pathID uint64) *RelayVerifier {
	return &RelayVerifier{key: key, sessionID: sessionID, id: id, pathID: pathID}
}

// Verify accepts a message once, in sequence order.
func (v *RelayVerifier) Verify(streamID, seq uint64, data, mac []byte) error {
	if len(v.key) == 0 {
		return ErrNoRelayKey
	}
	if !hmac.Equal(mac, RelayMAC(v.key, v.sessionID, v.id, v.pathID, streamID, seq, data)) {
		return ErrBadRelayMAC
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if seq <= v.lastSeq {
		return ErrRelayReplay
	}
	v.lastSeq = seq
	return nil
}
