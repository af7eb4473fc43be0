package control

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// MinGroupKeySize is the shortest server-group key accepted.
const MinGroupKeySize = 32

// Path token layout: expiry (8, unix seconds) | nonce (16) | MAC (32).
const (
	tokenNonceSize = 16
	TokenSize      = 8 + tokenNonceSize + sha256.Size
)

// Errors a secondary returns when refusing a join. They are sent back to the
// client as the reason of a refusal.
var (
	ErrNoGroupKey    = errors.New("kwik: this server has no server-group key and refuses every path join (set Config.ServerGroupKey)")
	ErrBadToken      = errors.New("kwik: path token is not valid for this session, path and server (a token is for the secondary the primary added)")
	ErrNotSecondary  = errors.New("kwik: this server has no identity a primary could have added it by, and refuses every path join (set Config.ServerID, or listen on a specific address)")
	ErrTokenExpired  = errors.New("kwik: path token has expired; ask the primary for a new path")
	ErrTokenReplayed = errors.New("kwik: path token was already used")
)

// CheckGroupKey validates a server-group key.
func CheckGroupKey(key []byte) error {
	if len(key) < MinGroupKeySize {
		return fmt.Errorf("kwik: server-group key has %d bytes, want at least %d", len(key), MinGroupKeySize)
	}
	return nil
}

// NewSessionID returns a fresh, unguessable 16-byte session ID.
func NewSessionID() []byte {
	id := make([]byte, 16)
	rand.Read(id) // never fails on supported platforms
	return id
}

// MintPathToken issues the token that lets the client of session join path
// pathID on the secondary with identity id, sharing key, until now+ttl.
func MintPathToken(key, sessionID []byte, pathID uint64, id ServerIdentity, ttl time.Duration, now time.Time) []byte {
	tok := make([]byte, 8+tokenNonceSize, TokenSize)
	binary.BigEndian.PutUint64(tok, uint64(now.Add(ttl).Unix()))
	rand.Read(tok[8:])
	return append(tok, tokenMAC(key, sessionID, pathID, id, tok)...)
}

func tokenMAC(key, sessionID []byte, pathID uint64, id ServerIdentity, expiryAndNonce []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kwik path token v2"))
	m.Write(sessionID)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], pathID)
	m.Write(b[:])
	id.write(m)
	m.Write(expiryAndNonce)
	return m.Sum(nil)
}

// TokenVerifier checks path tokens on a secondary and remembers the nonces
// it accepted until they expire, so a token works once.
type TokenVerifier struct {
	key []byte
	ids []ServerIdentity // this server's

	mu   sync.Mutex
	used map[[tokenNonceSize]byte]time.Time // nonce → expiry
}

// NewTokenVerifier returns a verifier for key (nil key: refuse everything)
// on the server whose identities are ids (none: refuse everything).
func NewTokenVerifier(key []byte, ids []ServerIdentity) *TokenVerifier {
	return &TokenVerifier{key: key, ids: ids, used: make(map[[tokenNonceSize]byte]time.Time)}
}

// Verify accepts tok for (sessionID, pathID) at most once, if it was minted
// for one of this server's identities, and returns that identity.
func (v *TokenVerifier) Verify(tok, sessionID []byte, pathID uint64, now time.Time) (ServerIdentity, error) {
	if len(v.key) == 0 {
		return ServerIdentity{}, ErrNoGroupKey
	}
	if len(v.ids) == 0 {
		return ServerIdentity{}, ErrNotSecondary
	}
	if len(tok) != TokenSize {
		return ServerIdentity{}, ErrBadToken
	}
	body, mac := tok[:8+tokenNonceSize], tok[8+tokenNonceSize:]
	matched := -1
	for i, id := range v.ids {
		if hmac.Equal(mac, tokenMAC(v.key, sessionID, pathID, id, body)) {
			matched = i
			break
		}
	}
	if matched < 0 {
		return ServerIdentity{}, ErrBadToken
	}
	id := v.ids[matched]
	if err := v.spend(body, now); err != nil {
		return ServerIdentity{}, err
	}
	return id, nil
}

// spend checks the expiry and uses the nonce of a genuine token.
func (v *TokenVerifier) spend(body []byte, now time.Time) error {
	expiry := time.Unix(int64(binary.BigEndian.Uint64(body)), 0)
	if !now.Before(expiry) {
		return ErrTokenExpired
	}
	var nonce [tokenNonceSize]byte
	copy(nonce[:], body[8:])

	v.mu.Lock()
	defer v.mu.Unlock()
	for n, exp := range v.used { // the map holds only unexpired tokens, so it stays small
		if !now.Before(exp) {
			delete(v.used, n)
		}
	}
	if _, seen := v.used[nonce]; seen {
		return ErrTokenReplayed
	}
	v.used[nonce] = expiry
	return nil
}
