// Package harness is what the benchmarks in bench and the kwikbench command
// share: the one-path comparison of KWIK with plain quic-go (a server and a
// client of each, with the same application on both), certificates in
// files for servers in other processes, CPU time, and results printed as
// Go benchmark lines.
package harness
