// Package multisource delivers one object into a KWIK stream from several
// servers at once: the primary runs Spread, which writes some ranges itself
// and hands the others, piece by piece, to whichever secondary path drains
// fastest; every secondary runs ServeRanges, which answers the range
// requests Spread relays to it by writing the bytes from its own copy of
// the object.
//
// Each piece a secondary writes is assigned to it first with its SHA-256
// (kwik.Session.AssignDigest): the client reads a secondary's bytes only
// once their piece is complete and verified, and a piece that fails is
// sent again through another path. Spread uses only kwik's public API.
//
// A range request is a raw-data message (kwik.Session.SendRawData):
//
//	magic 0x52 (1 byte) | stream offset (8) | length (8) | object offset (8) | object name (≤ 4096)
//
// integers big-endian; the secondary writes [stream offset, +length) of
// the stream from the object's bytes at stream offset − object offset.
package multisource
