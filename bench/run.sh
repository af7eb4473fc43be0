#!/usr/bin/env bash
# run.sh: every KWIK benchmark behind a figure of README.md or
# bench/README.md, then one markdown table of the claims, their comparison
# points from the same run, their targets and how each was measured (fresh
# or warm connection, one process or several, the command). Raw outputs and
# benchstat's tables go to bench/out/ (not in git). As root it also runs
# netns.sh (tc tbf on veth pairs); otherwise those rows are missing.
#
#   bench/run.sh                   # about 20 minutes on 2 cores, netns.sh (13 of them) included
#   KWIKB_COUNT=5                  # repetitions of the loopback benchmarks
#   KWIKB_SECONDS=6                # aggregation: transfer time at the sum of the rates
#   KWIKB_NETNS=0                  # skip netns.sh even as root
#   KWIKB_ONEPATH_SIZE=268435456   # bytes per transfer of BenchmarkOnePath (one process)
#   KWIKB_PROCS_SIZE=536870912     # bytes per transfer of onepath.sh (separate processes)
#   KWIKB_SCALE_SIZE=268435456     # BenchmarkScale, BenchmarkStreams: bytes over all streams
#   KWIKB_SCALE_COUNT=3            # BenchmarkScale, BenchmarkStreams repetitions
#   KWIKB_SLOW_SIZE=1073741824     # BenchmarkSlowReader: bytes of the stream
#   KWIKB_CLIENTS_SIZE=33554432    # BenchmarkClients: bytes each client fetches
#   KWIKB_CLIENTS_COUNT=3          # BenchmarkClients repetitions
#   KWIKB_DEMO_SIZE=128MiB         # kwik demo: file size
#   KWIKB_DEMO_COUNT=2             # kwik demo: runs per configuration
#
# A smoke run of the script itself (minutes, figures meaningless):
#   KWIKB_COUNT=1 KWIKB_SECONDS=1 KWIKB_NETNS=0 KWIKB_ONEPATH_SIZE=4194304 KWIKB_PROCS_SIZE=4194304 \
#   KWIKB_SCALE_SIZE=16777216 KWIKB_SCALE_COUNT=1 KWIKB_SLOW_SIZE=16777216 KWIKB_CLIENTS_SIZE=1048576 \
#   KWIKB_CLIENTS_COUNT=1 KWIKB_DEMO_SIZE=4MiB \
#   KWIKB_DEMO_COUNT=1 bench/run.sh
set -euo pipefail

cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
count=${KWIKB_COUNT:-5}
seconds=${KWIKB_SECONDS:-6}
onepath_size=${KWIKB_ONEPATH_SIZE:-268435456}
procs_size=${KWIKB_PROCS_SIZE:-536870912}
scale_size=${KWIKB_SCALE_SIZE:-268435456}
scale_count=${KWIKB_SCALE_COUNT:-3}
slow_size=${KWIKB_SLOW_SIZE:-1073741824}
clients_size=${KWIKB_CLIENTS_SIZE:-33554432}
clients_count=${KWIKB_CLIENTS_COUNT:-3}
demo_size=${KWIKB_DEMO_SIZE:-128MiB}
demo_count=${KWIKB_DEMO_COUNT:-2}
benchstat=(go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da)
start=$SECONDS

step() { echo "== $* ($((SECONDS - start)) s)" >&2; }

# The comparisons run as compiled test binaries, one repetition of every
# configuration after the other, so that load from other processes on a
# shared machine spreads over both sides of each comparison.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go test -c -o "$bin/presentation.test" ./pkg/presentation
go test -c -o "$bin/kwik.test" ./integrationtests
go test -c -o "$bin/bench.test" ./bench
go build -o "$bin/kwik" ./cmd/kwik
: >"$out/presentation.txt"
: >"$out/transfer.txt"
: >"$out/lanes.txt"
: >"$out/onepath.txt"
for i in $(seq "$count"); do
	step "repetition $i of $count: presentation vs memcpy; single path KWIK vs quic-go; LanesPerPath 1, 2, 4, 8"
	"$bin/presentation.test" -test.run '^$' -test.bench '^Benchmark(Presentation|Memcpy)$' \
		-test.benchtime 200ms >>"$out/presentation.txt"
	"$bin/kwik.test" -test.run '^$' -test.bench '^BenchmarkTransfer$' -test.benchtime 1x >>"$out/transfer.txt"
	"$bin/bench.test" -test.run '^$' -test.bench '^BenchmarkLanes$' -test.benchtime 1x >>"$out/lanes.txt"
	"$bin/bench.test" -test.run '^$' -test.bench '^BenchmarkOnePath$' -test.benchtime 1x \
		-kwikbench.onepath="$onepath_size" >>"$out/onepath.txt"
done

step "single path, separate processes, fresh connection per transfer, hashing client"
KWIKB_COUNT=$count KWIKB_SIZE=$procs_size bench/onepath.sh >"$out/onepath-procs.txt"

step "scale: 1, 100, 1000, 10000 streams; 1 vs 10000 streams over KWIK and plain quic-go"
"$bin/bench.test" -test.run '^$' -test.bench '^Benchmark(Scale|Streams)$' -test.benchtime 1x -test.count "$scale_count" \
	-kwikbench.scalesize="$scale_size" >"$out/scale.txt"

step "many clients: 1 vs 100 clients in a dial burst, KWIK and plain quic-go"
"$bin/bench.test" -test.run '^$' -test.bench '^BenchmarkClients(QUIC)?$' -test.benchtime 1x -test.count "$clients_count" \
	-kwikbench.clientsize="$clients_size" >"$out/clients.txt"

step "server memory per session, idle and active"
"$bin/bench.test" -test.run '^$' -test.bench '^BenchmarkServerSessionMemory$' -test.benchtime 1x >"$out/session-memory.txt"

step "memory: a slow reader of a 1 GiB stream"
"$bin/bench.test" -test.run '^$' -test.bench '^BenchmarkSlowReader$' -test.benchtime 1x \
	-kwikbench.slowsize="$slow_size" >"$out/memory.txt"

step "aggregation over the link emulator"
"$bin/bench.test" -test.run '^$' -test.bench '^BenchmarkAggregate$' -test.benchtime 1x \
	-kwikbench.transfer="${seconds}s" >"$out/aggregate.txt"

# demo NAME ARGS…: one kwik demo run, its JSON report turned into a Go
# benchmark line (goodput, configured sum, ratio, per-path shares).
demo() {
	local name=$1
	shift
	"$bin/kwik" demo --size "$demo_size" --json "$@" >"$bin/demo.json"
	jq -r --arg n "$name" '"Benchmark\($n) \t1\t\(.elapsed_seconds * 1e9 | floor) ns/op\t\(.goodput_bps / 1e6) goodput-Mbit/s\t\(.configured_bps / 1e6) sum-Mbit/s\t\(.goodput_ratio) ratio" + ([.paths[] | "\t\(.share) share-p\(.index)"] | join(""))' "$bin/demo.json"
}
: >"$out/demo.txt"
for i in $(seq "$demo_count"); do
	step "kwik demo $i of $demo_count: 3 × 20 Mbit/s; 10/50/100 and 100/50/10 Mbit/s"
	{
		demo Demo/paths=20+20+20Mbit --rate 20mbit
		demo Demo/paths=10+50+100Mbit --path-rate 0=10mbit --path-rate 1=50mbit --path-rate 2=100mbit
		demo Demo/paths=100+50+10Mbit --path-rate 0=100mbit --path-rate 1=50mbit --path-rate 2=10mbit
	} >>"$out/demo.txt"
done

rm -f "$out/netns.txt"
if [ "$(id -u)" = 0 ] && [ "${KWIKB_NETNS:-1}" != 0 ]; then
	step "aggregation over tc tbf in network namespaces"
	KWIKB_SECONDS=$seconds bench/netns.sh >"$out/netns.txt"
else
	echo "run.sh: not root (or KWIKB_NETNS=0): no tc tbf rows; run bench/netns.sh as root" >&2
fi

step "benchstat"
{
	"${benchstat[@]}" -col .name -row /chunk "$out/presentation.txt"
	"${benchstat[@]}" -col /transport "$out/transfer.txt"
	"${benchstat[@]}" -col /lanes "$out/lanes.txt"
	"${benchstat[@]}" -col /transport "$out/onepath.txt"
	"${benchstat[@]}" -col /transport "$out/onepath-procs.txt"
} >"$out/benchstat.txt"

step "table"
go run ./bench/cmd/kwikbench table "$out"/*.txt | tee "$out/table.md"
step "done"
