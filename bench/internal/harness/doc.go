// Package harness is what the benchmarks in bench and the kwikbench command
// share: synthetic objects that every server derives from their size and
// the client checks without a copy (Object, Store, Checker), a client of
// the file protocol of internal/fileserve (Fetch), the one-path comparison
// of KWIK with plain quic-go, certificates in files, and results printed as
// Go benchmark lines.
package harness
