// Package fileserve is the file protocol that `kwik serve` and `kwik get`
// speak over one KWIK stream, and the server and client sides of it.
//
// A client opens a stream, writes one request line and closes its write side:
//
//	GET <name>\n
//
// name is a slash-separated path relative to the server's root, as
// io/fs.ValidPath accepts it, at most MaxNameLen bytes. The primary answers
// with one header line, then the object:
//
//	OK <size>\n<size bytes>
//	ERR <code> <message>\n
//
// code is one of not-found, forbidden, bad-request, internal; an ERR header
// ends the stream. The object's bytes start right after the header, so the
// primary spreads them over its secondaries with kwik.Spread at Offset equal
// to the header's length, and the secondaries answer with kwik.ServeRanges,
// opening the same name under their own roots.
package fileserve
