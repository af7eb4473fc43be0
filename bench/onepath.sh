#!/usr/bin/env bash
# onepath.sh: one bulk stream over loopback, KWIK vs plain quic-go, client and
# server in separate processes (kwikbench serve1/fetch1). Every transfer
# dials a fresh connection and the client hashes what it reads (SHA-256).
# The transports alternate, A B B A, and every transfer prints one Go
# benchmark line: MB/s (dial to last byte), the client's CPU seconds per GiB
# (its rusage) and the server's (its /proc utime+stime over the transfer).
#
#   bench/onepath.sh > out.txt; benchstat -col /transport out.txt
#   KWIKB_COUNT=6        # transfers per transport
#   KWIKB_SIZE=1073741824  # bytes per transfer
#   KWIKB_BIN=path       # a kwikbench binary to use instead of building one
set -euo pipefail

cd "$(dirname "$0")/.."
count=${KWIKB_COUNT:-6}
size=${KWIKB_SIZE:-1073741824}
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
bin=${KWIKB_BIN:-}
if [ -z "$bin" ]; then
	bin=$tmp/kwikbench
	go build -o "$bin" ./bench/cmd/kwikbench
fi
"$bin" certs -dir "$tmp" -hosts 127.0.0.1

declare -A addr pid
for tr in quic-go kwik; do
	"$bin" serve1 -transport "$tr" -listen 127.0.0.1:0 -certs "$tmp" >"$tmp/$tr.addr" &
	pid[$tr]=$!
	pids+=($!)
	for _ in $(seq 100); do [ -s "$tmp/$tr.addr" ] && break; sleep 0.05; done
	addr[$tr]=$(head -1 "$tmp/$tr.addr")
done

tck=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
echo "goos: linux"
echo "pkg: github.com/kwik-transport/kwik/bench"
# The order alternates (A B, then B A): a transfer that follows another ran
# measurably slower here (the 1 GiB client CPU ratio was 1.115 with quic-go
# always first and 1.000 with KWIK always first), so a fixed order biases
# every pair the same way.
order=(quic-go kwik)
for _ in $(seq "$count"); do
	for tr in "${order[@]}"; do
		t0=$(ticks "${pid[$tr]}")
		line=$("$bin" fetch1 -transport "$tr" -addr "${addr[$tr]}" -certs "$tmp" -size "$size")
		t1=$(ticks "${pid[$tr]}")
		srv=$(awk -v d=$((t1 - t0)) -v h="$tck" -v s="$size" 'BEGIN{printf "%.4g", d / h / (s / 1073741824)}')
		printf '%s\t%s server-cpu-s/GiB\n' "$line" "$srv"
	done
	order=("${order[1]}" "${order[0]}")
done
