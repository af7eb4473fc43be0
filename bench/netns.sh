#!/usr/bin/env bash
# netns.sh: KWIK aggregation over real kernel links. Needs root.
#
# It builds four network namespaces on this machine: a client, a primary
# and two secondaries, each server joined to the client by its own veth pair
# shaped in both directions by tc tbf. It calibrates every path with a plain
# TCP transfer, then fetches one object with Spread over the three paths and
# prints Go benchmark lines (goodput, sum of rates, ratio, per-path shares).
# Everything it creates is removed on exit, even on failure. The addresses
# are its own, 10.77.{1,2,3}.0/24, on links that exist only inside these
# namespaces.
#
#   sudo bench/netns.sh            # or from run.sh, which it is part of
#   KWIKB_SECONDS=8                # transfer time at the sum of the rates
#
# tbf settings, per direction: burst 32 KB (2.6 ms at 100 Mbit/s, more than
# a timer tick) and latency 25 ms, which makes the queue at 10 Mbit/s about
# 64 KB, the link emulator's default queue; netem (delay, loss) is not in
# this kernel, so delay cases run on the emulator (go test -bench Aggregate).
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${KWIKB_SECONDS:-8}
ns_client=kwikb-c
servers=(kwikb-p kwikb-s1 kwikb-s2)

skip() { echo "netns.sh: skipped: $*" >&2; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root for ip netns and tc"
command -v ip >/dev/null && command -v tc >/dev/null || skip "needs ip and tc (iproute2)"

tmp=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	for ns in "$ns_client" "${servers[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/kwikbench" ./bench/cmd/kwikbench
kb=$tmp/kwikbench

for ns in "$ns_client" "${servers[@]}"; do
	ip netns del "$ns" 2>/dev/null || true # left over from a killed run
	ip netns add "$ns" || skip "cannot create network namespaces"
	ip -n "$ns" link set lo up
done
for i in 0 1 2; do
	net=10.77.$((i + 1))
	ip link add kwc$i netns "$ns_client" type veth peer name kws$i netns "${servers[$i]}"
	ip -n "$ns_client" addr add "$net.2/24" dev kwc$i
	ip -n "${servers[$i]}" addr add "$net.1/24" dev kws$i
	ip -n "$ns_client" link set kwc$i up
	ip -n "${servers[$i]}" link set kws$i up
done
$kb certs -dir "$tmp" -hosts 10.77.1.1,10.77.2.1,10.77.3.1

# shape RATE0 RATE1 RATE2 sets each path's rate, both directions.
shape() {
	local rates=("$@")
	for i in 0 1 2; do
		for end in "$ns_client kwc$i" "${servers[$i]} kws$i"; do
			read -r ns dev <<<"$end"
			tc -n "$ns" qdisc replace dev "$dev" root tbf rate "${rates[$i]}" burst 32kb latency 25ms ||
				skip "tc tbf is not available"
		done
	done
}

# wait_port NS PROTO ADDR: until something listens there.
wait_port() {
	for _ in $(seq 100); do
		ip netns exec "$1" ss -Hln"$2" | grep -q "$3" && return 0
		sleep 0.05
	done
	echo "netns.sh: nothing listens on $3 in $1" >&2
	return 1
}

# calibrate NAME RATES...: a TCP transfer over each path on its own.
calibrate() {
	local name=$1; shift
	local rates=("$@")
	for i in 0 1 2; do
		local addr=10.77.$((i + 1)).2:5001
		ip netns exec "$ns_client" "$kb" sink -listen "$addr" -rate "${rates[$i]}" \
			-name "Netns/calibrate/$name/path=$i" &
		local sink=$!
		wait_port "$ns_client" t "$addr"
		ip netns exec "${servers[$i]}" "$kb" blast -addr "$addr" -for 4s
		wait "$sink"
	done
}

# mbit RATE prints a tc rate in Mbit/s.
mbit() { echo "${1%mbit}"; }

# transfer NAME CLIENT-FLAGS...: one Spread fetch over the three paths.
transfer() {
	local name=$1; shift
	local sum=0
	for r in "${rates[@]}"; do sum=$((sum + $(mbit "$r"))); done
	local size=$((sum * 1000000 / 8 * seconds))
	local spids=()
	for i in 1 2; do
		ip netns exec "${servers[$i]}" "$kb" secondary -listen 10.77.$((i + 1)).1:4433 -certs "$tmp" &
		spids+=($!)
	done
	ip netns exec "${servers[0]}" "$kb" primary -listen 10.77.1.1:4433 -certs "$tmp" \
		-secondaries 10.77.2.1:4433,10.77.3.1:4433 &
	spids+=($!)
	pids+=("${spids[@]}")
	for i in 0 1 2; do wait_port "${servers[$i]}" u 10.77.$((i + 1)).1:4433; done
	ip netns exec "$ns_client" "$kb" get -addr 10.77.1.1:4433 -certs "$tmp" -paths 3 \
		-rates "$(IFS=,; echo "${rates[*]}")" -size "$size" -name "Netns/$name" "$@"
	kill "${spids[@]}"
	wait "${spids[@]}" 2>/dev/null || true
}

for set in 50mbit,50mbit,50mbit 10mbit,50mbit,100mbit 100mbit,50mbit,10mbit; do
	IFS=, read -r -a rates <<<"$set"
	label=paths=$(IFS=+; echo "${rates[*]//mbit/}")Mbit
	shape "${rates[@]}"
	calibrate "$label" "${rates[@]}"
	transfer "$label/window=default"
	transfer "$label/window=16MiB" -init-window 16777216
done
