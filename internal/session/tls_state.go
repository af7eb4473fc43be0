package session

import "github.com/quic-go/quic-go"

// ConnectionState is the state of the primary path's QUIC connection, as
// quic-go's Conn.ConnectionState reports it: TLS (negotiated protocol,
// cipher suite, the peer's certificates for authorisation by mTLS), QUIC
// version, datagram and 0-RTT support. A secondary path has TLS state of
// its own; the primary path is the one the application authenticated.
func (s *Session) ConnectionState() quic.ConnectionState {
	return s.primary.Conn().ConnectionState()
}

// HandshakeComplete is closed once the primary path's handshake is
// complete, like quic-go's. Dial and Accept return a session only after
// its handshake (TLS and KWIK's own), so on a Session it is always closed
// already; it exists so that code written for quic-go works unchanged.
func (s *Session) HandshakeComplete() <-chan struct{} {
	return s.primary.Conn().HandshakeComplete()
}
