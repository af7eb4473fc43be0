package main

import "fmt"

// rowFunc prints one row of the table (see writeTable).
type rowFunc = func(claim, conf, kwik, ref string, ratio float64, target string, met bool)

// presentationTargets are issue 12's targets for the presentation layer
// against memcpy, by chunk size; other chunk sizes have none.
var presentationTargets = map[string]float64{"chunk=1KiB": 0.5, "chunk=16KiB": 0.9}

// scaleRows compare many concurrent streams with one (issue 12: 10,000
// streams get at least 0.8 of one stream's throughput).
func scaleRows(row rowFunc, r results) {
	one, ok := r.median("Scale/streams=1", "MB/s")
	if !ok {
		return
	}
	oneCPU, _ := r.median("Scale/streams=1", "client-cpu-s/GiB")
	for _, n := range []string{"100", "1000", "10000"} {
		name := "Scale/streams=" + n
		v, ok := r.median(name, "MB/s")
		if !ok {
			continue
		}
		cpu, _ := r.median(name, "client-cpu-s/GiB")
		target, met := "", true
		if n == "10000" {
			target, met = "≥ 0.80", v >= 0.8*one
		}
		row("many streams vs one", n+" streams", fmt.Sprintf("%s, client CPU %.2f s/GiB", mbps(v), cpu),
			fmt.Sprintf("1 stream %s, client CPU %.2f s/GiB", mbps(one), oneCPU), v/one, target, met)
	}
	// The same count of streams over one fresh connection of plain quic-go
	// and of KWIK, through one server and client (BenchmarkStreams): what
	// 10,000 streams cost the transport underneath.
	for _, tr := range []string{"quic-go", "kwik"} {
		name := "Streams/transport=" + tr + "/streams="
		s, ok := manyVsOne(r, name+"1", name+"10000")
		if !ok {
			continue
		}
		row("many streams vs one", fmt.Sprintf("one-path server, %s: 10000 streams", tr), fmt.Sprintf("%s, CPU %.2f s/GiB", mbps(s.many), s.manyCPU),
			fmt.Sprintf("1 stream %s, CPU %.2f s/GiB", mbps(s.one), s.oneCPU), s.many/s.one, "", true)
	}
}

// clientsRows compare 100 clients at once with one (issue 12: at least
// 0.9 of the total throughput, at most 1.2 times the CPU per GiB, none
// refused).
func clientsRows(row rowFunc, r results) {
	c, ok := manyVsOne(r, "Clients/clients=1", "Clients/clients=100")
	if !ok {
		return
	}
	row("many clients vs one", "100 clients, dial burst, total throughput", mbps(c.many), "1 client "+mbps(c.one), c.many/c.one, "≥ 0.90", c.many >= 0.9*c.one)
	row("many clients vs one", "100 clients, CPU s/GiB (clients and servers)", fmt.Sprintf("%.2f", c.manyCPU), fmt.Sprintf("1 client %.2f", c.oneCPU), c.manyCPU/c.oneCPU, "≤ 1.20", c.manyCPU <= 1.2*c.oneCPU)
	refused := r["Clients/clients=100"].max("refused/op")
	row("many clients vs one", "100 clients, dials refused (worst run)", fmt.Sprintf("%.0f", refused), "—", refused, "0", refused == 0)
	// The same layout over plain quic-go (BenchmarkClientsQUIC): what 100
	// clients cost the transport underneath, before anything KWIK adds.
	q, ok := manyVsOne(r, "ClientsQUIC/clients=1", "ClientsQUIC/clients=100")
	if !ok {
		return
	}
	row("many clients vs one", "plain quic-go, same layout: 100 clients, total throughput", mbps(q.many), "1 client "+mbps(q.one), q.many/q.one, "", true)
	row("many clients vs one", "plain quic-go, same layout: 100 clients, CPU s/GiB", fmt.Sprintf("%.2f", q.manyCPU), fmt.Sprintf("1 client %.2f", q.oneCPU), q.manyCPU/q.oneCPU, "", true)
}

// scaling is one benchmark's medians (MB/s and cpu-s/GiB) at one count
// of clients or streams and at many.
type scaling struct{ one, many, oneCPU, manyCPU float64 }

// manyVsOne reads the medians of the benchmarks named one and many; ok is
// false unless both throughputs are there.
func manyVsOne(r results, one, many string) (s scaling, ok bool) {
	var ok1, ok2 bool
	s.one, ok1 = r.median(one, "MB/s")
	s.many, ok2 = r.median(many, "MB/s")
	s.oneCPU, _ = r.median(one, "cpu-s/GiB")
	s.manyCPU, _ = r.median(many, "cpu-s/GiB")
	return s, ok1 && ok2
}

// sessionMemoryRows give the server's live heap per session (issue 12: at
// most 1 MiB idle).
func sessionMemoryRows(row rowFunc, r results) {
	idle, ok := r.median("ServerSessionMemory", "idle-KiB/session")
	if !ok {
		return
	}
	active, _ := r.median("ServerSessionMemory", "active-KiB/session")
	row("server memory per session", "100 sessions, idle", fmt.Sprintf("%.0f KiB", idle), "bound 1024 KiB", idle/1024, "≤ 1024 KiB", idle <= 1024)
	row("server memory per session", "100 sessions, each mid-way through an 8 MiB fetch", fmt.Sprintf("%.0f KiB", active), "—", active/1024, "", true)
}
