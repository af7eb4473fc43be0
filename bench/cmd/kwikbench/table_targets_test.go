package main

import "testing"

// TestTargetRows checks the rows of issue 12's targets 3, 4 and 5, the
// plain quic-go comparison points of 3 and 4, and the server's memory per
// session: ratios to their comparison point and verdicts on both sides of
// each target.
func TestTargetRows(t *testing.T) {
	in := `BenchmarkPresentation/chunk=1KiB-2 1 1 ns/op 400 MB/s
BenchmarkMemcpy/chunk=1KiB-2 1 1 ns/op 1000 MB/s
BenchmarkPresentation/chunk=16KiB-2 1 1 ns/op 950 MB/s
BenchmarkMemcpy/chunk=16KiB-2 1 1 ns/op 1000 MB/s
BenchmarkScale/streams=1-2 1 1 ns/op 200 MB/s 5 client-cpu-s/GiB
BenchmarkScale/streams=10000-2 1 1 ns/op 150 MB/s 8 client-cpu-s/GiB
BenchmarkStreams/transport=quic-go/streams=1-2 1 1 ns/op 300 MB/s 6 cpu-s/GiB
BenchmarkStreams/transport=quic-go/streams=10000-2 1 1 ns/op 150 MB/s 12 cpu-s/GiB
BenchmarkStreams/transport=kwik/streams=1-2 1 1 ns/op 280 MB/s 7 cpu-s/GiB
BenchmarkStreams/transport=kwik/streams=10000-2 1 1 ns/op 182 MB/s 10 cpu-s/GiB
BenchmarkClients/clients=1-2 1 1 ns/op 100 MB/s 10 cpu-s/GiB 0 refused/op
BenchmarkClients/clients=100-2 1 1 ns/op 95 MB/s 13 cpu-s/GiB 0 refused/op
BenchmarkClients/clients=100-2 1 1 ns/op 93 MB/s 12 cpu-s/GiB 2 refused/op
BenchmarkClientsQUIC/clients=1-2 1 1 ns/op 200 MB/s 10 cpu-s/GiB 0 redials/op
BenchmarkClientsQUIC/clients=100-2 1 1 ns/op 110 MB/s 19 cpu-s/GiB 3 redials/op
BenchmarkServerSessionMemory-2 1 1 ns/op 86 idle-KiB/session 700 active-KiB/session
`
	checkTable(t, in,
		"| presentation vs memcpy | chunk=1KiB | 400 MB/s | memcpy 1000 MB/s | 0.400 | ≥ 0.50 | **no** |",
		"| presentation vs memcpy | chunk=16KiB | 950 MB/s | memcpy 1000 MB/s | 0.950 | ≥ 0.90 | yes |",
		"| many streams vs one | 10000 streams | 150 MB/s, client CPU 8.00 s/GiB | 1 stream 200 MB/s, client CPU 5.00 s/GiB | 0.750 | ≥ 0.80 | **no** |",
		"| many streams vs one | one-path server, quic-go: 10000 streams | 150 MB/s, CPU 12.00 s/GiB | 1 stream 300 MB/s, CPU 6.00 s/GiB | 0.500 | — | — | fresh connection per transfer, one process, client and server of the one-path comparison: `go test -run '^$' -bench '^BenchmarkStreams$' -benchtime 1x ./bench` |",
		"| many streams vs one | one-path server, kwik: 10000 streams | 182 MB/s, CPU 10.00 s/GiB | 1 stream 280 MB/s, CPU 7.00 s/GiB | 0.650 | — | — |",
		"| many clients vs one | 100 clients, dial burst, total throughput | 94 MB/s | 1 client 100 MB/s | 0.940 | ≥ 0.90 | yes |",
		"| many clients vs one | 100 clients, CPU s/GiB (clients and servers) | 12.50 | 1 client 10.00 | 1.250 | ≤ 1.20 | **no** |",
		"| many clients vs one | 100 clients, dials refused (worst run) | 2 | — | 2.000 | 0 | **no** |",
		"| many clients vs one | plain quic-go, same layout: 100 clients, total throughput | 110 MB/s | 1 client 200 MB/s | 0.550 |",
		"| many clients vs one | plain quic-go, same layout: 100 clients, CPU s/GiB | 19.00 | 1 client 10.00 | 1.900 |",
		"| server memory per session | 100 sessions, idle | 86 KiB | bound 1024 KiB | 0.084 | ≤ 1024 KiB | yes |",
		"| server memory per session | 100 sessions, each mid-way through an 8 MiB fetch | 700 KiB |",
	)
}
