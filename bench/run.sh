#!/usr/bin/env bash
# run.sh: every KWIK benchmark, then one markdown table of the claims, their
# comparison points from the same run and their targets. Raw outputs and
# benchstat's tables go to bench/out/ (not in git). As root it also runs
# netns.sh (tc tbf on veth pairs); otherwise those rows are missing.
#
#   bench/run.sh                   # about 5 minutes on 2 cores
#   KWIKB_COUNT=5                  # repetitions of the loopback benchmarks
#   KWIKB_SECONDS=6                # aggregation: transfer time at the sum of the rates
#   KWIKB_NETNS=0                  # skip netns.sh even as root
set -euo pipefail

cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
count=${KWIKB_COUNT:-5}
seconds=${KWIKB_SECONDS:-6}
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
	"$bin/bench.test" -test.run '^$' -test.bench '^BenchmarkOnePath$' -test.benchtime 1x >>"$out/onepath.txt"
done

step "single path, separate processes, fresh connection per transfer, hashing client"
KWIKB_COUNT=$count bench/onepath.sh >"$out/onepath-procs.txt"

step "scale: 1, 100, 1000, 10000 streams"
"$bin/bench.test" -test.run '^$' -test.bench '^BenchmarkScale$' -test.benchtime 1x -test.count 3 >"$out/scale.txt"

step "memory: a slow reader of a 1 GiB stream"
"$bin/bench.test" -test.run '^$' -test.bench '^BenchmarkSlowReader$' -test.benchtime 1x >"$out/memory.txt"

step "aggregation over the link emulator"
"$bin/bench.test" -test.run '^$' -test.bench '^BenchmarkAggregate$' -test.benchtime 1x \
	-kwikbench.transfer="${seconds}s" >"$out/aggregate.txt"

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
