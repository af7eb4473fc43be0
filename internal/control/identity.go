package control

import (
	"encoding/binary"
	"hash"
)

// ServerIdentity is the identity of a secondary server as its primary added
// it, to which path tokens and relayed raw data are bound: the SHA-256 pin
// of its certificate's public key when the primary gave one, else the
// address (host:port, as written) it was added by. A token or a RAW_DATA
// for one secondary is refused by any other, which cannot claim the same
// identity.
type ServerIdentity struct {
	Pin  []byte // 32 bytes, or nil
	Addr string // used when Pin is nil
}

// IdentityOf is the identity a primary binds a path to: the pin if there
// is one, else the address.
func IdentityOf(addr string, pin []byte) ServerIdentity {
	if len(pin) != 0 {
		return ServerIdentity{Pin: pin}
	}
	return ServerIdentity{Addr: addr}
}

// String returns "pin <hex>" or "address <addr>".
func (id ServerIdentity) String() string {
	if len(id.Pin) != 0 {
		return "pin " + hexString(id.Pin)
	}
	return "address " + id.Addr
}

// write feeds the identity to a MAC: a kind byte, a length and the bytes,
// so that no pin reads as an address or the other way round.
func (id ServerIdentity) write(m hash.Hash) {
	kind, b := byte(2), []byte(id.Addr)
	if len(id.Pin) != 0 {
		kind, b = 1, id.Pin
	}
	var hdr [3]byte
	hdr[0] = kind
	binary.BigEndian.PutUint16(hdr[1:], uint16(len(b)))
	m.Write(hdr[:])
	m.Write(b)
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}
