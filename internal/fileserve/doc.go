// Package fileserve is the file protocol that `kwik serve` and `kwik get`
// speak over one KWIK stream, and the server and client sides of it.
//
// A client opens a stream, writes its request and closes its write side.
// The request is one line naming the object, then one "key value" line per
// field that differs from its default; a server refuses a field it does not
// know:
//
//	GET <name>\n
//	start <offset>\n        (optional: the first byte wanted, to resume)
//
// name is a slash-separated path relative to the server's root, as
// io/fs.ValidPath accepts it, at most MaxNameLen bytes. The primary answers
// with one header line, then the object's bytes from start on:
//
//	OK <size>[ start=<offset>]\n<size-offset bytes>
//	ERR <code> <message>\n
//
// size is the whole object's. OK may carry more space-separated key=value
// fields; a client ignores those it does not know, so servers can add them.
// code is one of not-found, forbidden, bad-request, internal; an ERR header
// ends the stream. The bytes start right after the header, so the primary
// spreads them over its secondaries with multisource.Spread at Offset equal to the
// header's length, and the secondaries answer with multisource.ServeRanges,
// opening the same name under their own roots (for a resumed transfer the
// relayed name carries the start after a NUL, and ranges count from there).
package fileserve
