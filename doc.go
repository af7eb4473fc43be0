// Package kwik is a transport on quic-go that lets one client receive one
// logical byte stream from several servers at once, behind an API shaped
// like QUIC's.
//
// A client Dials a primary server and gets a *Session; streams come from
// OpenStreamSync and AcceptStream and are io.ReadWriteClosers, exactly as
// with quic-go. The primary may ask the client to open paths to secondary
// servers (Session.AddPath); those write into the client's streams at
// explicit offsets (Stream.WriteAt), and the client reassembles one ordered
// byte stream per logical stream. The client application never sees paths.
//
// Servers Listen; a Listener accepts both the sessions of clients (this
// server is their primary) and the paths clients open on a primary's
// request (this server is one of their secondaries). Config tunes both
// ends, receive windows included. Errors are typed: the Err variables for
// errors.Is, ConnectionError, RefusedError, ConfigError, StreamError and
// ApplicationError for errors.As.
package kwik
