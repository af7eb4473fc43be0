// Command kwik is KWIK's command-line tool: a self-contained demo, and a
// file server and client that spread a download over several servers.
//
//	kwik demo     a primary and secondaries on 127.0.0.1 send a generated
//	              file into one client stream; progress per path, SHA-256
//	              check, throughput table (or --json)
//	kwik serve    serve a directory as a primary or a secondary server
//	kwik get      download a file from a primary through every path it adds
//	kwik version  module and wire protocol versions
//
// Run "kwik <command> --help" for each command's flags.
//
// # Application protocol
//
// kwik get and kwik serve speak a small protocol over one KWIK stream per
// file (package internal/fileserve implements it):
//
//  1. The client opens a stream, writes "GET <name>\n" (and, to resume, a
//     "start <offset>\n" line) and closes its write side. name is a
//     slash-separated path relative to the server's root, without "." or
//     ".." elements, at most 4064 bytes of UTF-8.
//  2. The primary answers with one header line, "OK <size>\n" (with
//     " start=<offset>" for a resumed request, and possibly more key=value
//     fields a client ignores if unknown) followed by the bytes from the
//     offset to size, or "ERR <code> <message>\n" and the end of the
//     stream. code is not-found, forbidden (outside the root, a symbolic
//     link that leaves it, not a regular file), bad-request or internal.
//  3. The primary writes the header itself and spreads the file's bytes,
//     which start right after it, over itself and its secondaries with
//     multisource.Spread (Offset = the header's length). Each secondary answers
//     the primary's range requests with multisource.ServeRanges, reading the same
//     name under its own root. When a secondary dies, the primary sends
//     what it left missing.
//  4. The client reads until the end of the stream and then closes the
//     session; the servers keep theirs open until then, because closing a
//     QUIC connection drops data the peer has not read yet.
//
// A client should grant each stream a 32 MiB window from the start
// (fileserve.ClientConfig): the primary hands out pieces up to half of it
// past the lowest byte the client still misses.
//
// # Exit status
//
// 0 on success, 1 when the command failed (a refused request, a checksum
// mismatch, a network error), 2 for a wrong command line.
package main
