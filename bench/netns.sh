#!/usr/bin/env bash
# netns.sh: KWIK aggregation over real kernel links, against an oracle and
# aria2, measured in one run. Needs root; never run by go test or CI.
#
# It builds four network namespaces on this machine: a client, a primary
# and two secondaries, each server joined to the client by its own veth pair
# shaped in both directions by tc tbf. Every server namespace runs three
# servers for the whole run:
#
#   kwik     kwik serve (the primary in kwikb-p, a secondary in the others)
#   oracle   kwikbench serve1 -transport quic-go: plain quic-go, one path
#   aria2    kwikbench httpd: plain HTTP/1.1 with range requests
#
# and for each configuration (path rates, primary's first) and round the
# client fetches one object with
#
#   kwik     kwik get: the primary spreads it over the three paths
#   oracle   kwikbench split: the object cut in advance in shares
#            proportional to the nominal rates, each fetched over plain
#            quic-go on its own path, all at once (what a scheduler that
#            knew the rates would get from quic-go)
#   aria2    aria2c with the three HTTP servers as mirrors, several flag sets
#
# Each row's time is the client command's wall-clock time (from its start
# to its exit, the last byte on disk; the same for all rows); ratio is the
# object's bits over that time over the sum of the nominal rates.
# own-ratio, where the command measures itself (kwik, oracle), is the same
# from its dial to its last byte. Output: Go benchmark lines
# (stdout), then a markdown table of medians and spreads (stderr).
# Everything it creates is removed on exit, even on failure. The addresses
# are its own, 10.77.{1,2,3}.0/24, on links that exist only inside these
# namespaces.
#
#   sudo bench/netns.sh            # or from run.sh, which it is part of
#   KWIKB_SECONDS=5                # transfer time at the sum of the rates
#   KWIKB_ROUNDS=3                 # rounds; each runs every configuration once
#   KWIKB_SETS="10,50,100 50,50,50"  # configurations (Mbit/s, primary's first);
#                                  # default: every order of 10/50/100 and 3 × 50
#   KWIKB_ROWS="kwik oracle aria2" # rows; also kwik-unverified (the primary
#                                  # assigns no digests, the client accepts
#                                  # unassigned bytes: issue 11's "off")
#   KWIKB_ARIA2="a|b"              # aria2c flag sets, separated by |
#   KWIKB_CALIBRATE=1              # also a plain TCP transfer per path (4 s each)
#   KWIKB_BIN=DIR                  # use DIR/kwik and DIR/kwikbench, not a fresh build
#   KWIKB_OLD=DIR                  # also row kwik-old: DIR/kwik's servers and client
#                                  # (another commit), interleaved with kwik
#   KWIKB_LOGS=DIR                 # keep each client command's output there
#   KWIKB_NICE=-10                 # run servers and clients at this nice level:
#                                  # on a shared machine the rows need little CPU
#                                  # but must get it when they need it
#
# tbf settings, per direction: rate R, burst 32 KB (2.6 ms at 100 Mbit/s,
# more than a timer tick) and latency 50 ms: the queue a real bottleneck
# has, 62 KB at 10 Mbit/s and 625 KB at 100. netem (delay, loss) is not in
# this kernel, so delay cases run on the emulator (go test -bench Aggregate).
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${KWIKB_SECONDS:-5}
rounds=${KWIKB_ROUNDS:-3}
sets=${KWIKB_SETS:-"10,50,100 10,100,50 50,10,100 50,100,10 100,10,50 100,50,10 50,50,50"}
rows=${KWIKB_ROWS:-"kwik oracle aria2"}
aria2_sets=${KWIKB_ARIA2:-"-s3 -x1 -k1M --uri-selector=inorder|-s3 -x1 -k1M --stream-piece-selector=geom|-s4 -x2 -k1M --uri-selector=feedback"}
nice=(nice -n "${KWIKB_NICE:-0}")
ns_client=kwikb-c
servers=(kwikb-p kwikb-s1 kwikb-s2)

skip() { echo "netns.sh: skipped: $*" >&2; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root for ip netns and tc"
command -v ip >/dev/null && command -v tc >/dev/null || skip "needs ip and tc (iproute2)"
if [[ " $rows " == *" aria2 "* ]] && ! command -v aria2c >/dev/null; then
	echo "netns.sh: no aria2c (apt-get install aria2): no aria2 rows" >&2
	rows=${rows//aria2/}
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	for ns in "$ns_client" "${servers[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ -n "${KWIKB_BIN:-}" ]; then
	cp "$KWIKB_BIN/kwikbench" "$KWIKB_BIN/kwik" "$tmp/"
else
	go build -o "$tmp/kwikbench" ./bench/cmd/kwikbench
	go build -o "$tmp/kwik" ./cmd/kwik
fi
if [ -n "${KWIKB_OLD:-}" ]; then
	cp "$KWIKB_OLD/kwik" "$tmp/kwik-old"
	rows="$rows kwik-old"
fi
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
			tc -n "$ns" qdisc replace dev "$dev" root tbf rate "${rates[$i]}" burst 32kb latency 50ms ||
				skip "tc tbf is not available"
		done
	done
}

# wait_port NS PROTO ADDR: until something listens there.
wait_port() {
	for _ in $(seq 200); do
		ip netns exec "$1" ss -Hln"$2" | grep -q "$3" && return 0
		sleep 0.05
	done
	echo "netns.sh: nothing listens on $3 in $1" >&2
	return 1
}

# serve NS PROTO ADDR CMD...: start a server for the whole run.
serve() {
	local ns=$1 proto=$2 addr=$3; shift 3
	ip netns exec "$ns" "${nice[@]}" "$@" >"$tmp/log.$ns.${addr//[:.]/_}" 2>&1 &
	pids+=($!)
	wait_port "$ns" "$proto" "$addr"
}

# The objects: one per sum of rates, named by it, in a root every server
# reads (the namespaces share the file system).
root=$tmp/root
dl=$tmp/dl
mkdir -p "$root" "$dl"
declare -A sizes
for set in $sets; do
	sum=0
	for r in ${set//,/ }; do sum=$((sum + r)); done
	size=$((sum * 1000000 / 8 * seconds))
	[ -e "$root/obj$sum" ] || head -c "$size" /dev/urandom >"$root/obj$sum"
	sizes[$sum]=$size
done

# kwik_servers BIN PRIMARY-PORT SECONDARY-PORT [PRIMARY-FLAGS...]: a
# primary and two secondaries of one kwik binary.
export KWIK_GROUP_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
kwik_servers() {
	local bin=$1 pport=$2 sport=$3; shift 3
	local tls=(--cert "$tmp/cert.pem" --key "$tmp/key.pem") secs=()
	for i in 1 2; do
		local a=10.77.$((i + 1)).1:$sport
		serve "${servers[$i]}" u $a "$bin" serve --role secondary --root "$root" --listen $a --server-id $a "${tls[@]}"
		secs+=(--secondary $a)
	done
	serve "${servers[0]}" u 10.77.1.1:$pport "$bin" serve --role primary --root "$root" \
		--listen 10.77.1.1:$pport "${tls[@]}" "${secs[@]}" "$@"
}
kwik_servers "$tmp/kwik" 4433 4434
if [[ " $rows " == *" kwik-unverified "* ]]; then
	# The same secondaries would do; their own keep the rows apart.
	kwik_servers "$tmp/kwik" 4435 4437 --insecure-no-digests
fi
if [[ " $rows " == *" kwik-old "* ]]; then
	kwik_servers "$tmp/kwik-old" 4438 4439
fi
for i in 0 1 2; do
	a=10.77.$((i + 1)).1
	if [[ " $rows " == *" oracle "* ]]; then
		serve "${servers[$i]}" u $a:4436 "$kb" serve1 -transport quic-go -listen $a:4436 -certs "$tmp"
	fi
	if [[ " $rows " == *" aria2 "* ]]; then
		serve "${servers[$i]}" t $a:8080 "$kb" httpd -listen $a:8080 -root "$root"
	fi
done

# timed NAME SIZE SUM CMD...: run CMD in the client namespace and print a
# benchmark line from its wall-clock time.
timed() {
	local name=$1 size=$2 sum=$3; shift 3
	local t0 t1
	t0=$(date +%s%N)
	if ! ip netns exec "$ns_client" "${nice[@]}" "$@" >"$tmp/out" 2>&1; then
		echo "netns.sh: $name failed:" >&2
		tail -5 "$tmp/out" >&2
		return 0 # a failed run has no line: the table shows fewer samples
	fi
	t1=$(date +%s%N)
	rm -f "$dl"/*
	if [ -n "${KWIKB_LOGS:-}" ]; then cp "$tmp/out" "$KWIKB_LOGS/${name//\//_}.$t0"; fi
	# The command's own time from its dial to its last byte, where it
	# says (kwik get --json, kwikbench split): without process start and
	# exit, which a loaded machine stretches.
	local own=0
	if grep -q '"elapsed_seconds"' "$tmp/out"; then
		own=$(jq -r '.elapsed_seconds * 1e9' "$tmp/out")
	elif grep -q '^BenchmarkSplit' "$tmp/out"; then
		own=$(awk '/^BenchmarkSplit/ {print $3}' "$tmp/out")
	fi
	awk -v n="$name" -v ns=$((t1 - t0)) -v own="$own" -v size="$size" -v sum="$sum" 'BEGIN {
		g = size * 8 / (ns / 1e9) / 1e6
		printf "Benchmark%s 1 %.0f ns/op %.2f goodput-Mbit/s %d sum-Mbit/s %.4f ratio", n, ns, g, sum, g / sum
		if (own > 0) printf " %.4f own-ratio", size * 8 / (own / 1e9) / 1e6 / sum
		printf "\n"
	}'
}

# run ROW LABEL SET: one fetch of the configuration's object.
run() {
	local row=$1 label=$2 set=$3
	local sum=0
	for r in ${set//,/ }; do sum=$((sum + r)); done
	local size=${sizes[$sum]} obj=obj$sum
	local get=("$tmp/kwik" get --ca "$tmp/cert.pem" --allow-secondary 10.77.0.0/16 --no-progress --json -o "$dl/$obj")
	case $row in
	kwik) timed "Netns/$label/kwik" "$size" "$sum" "${get[@]}" 10.77.1.1:4433 "$obj" ;;
	kwik-old)
		get[0]=$tmp/kwik-old
		timed "Netns/$label/kwik-old" "$size" "$sum" "${get[@]}" 10.77.1.1:4438 "$obj"
		;;
	kwik-unverified) timed "Netns/$label/kwik-unverified" "$size" "$sum" "${get[@]}" --insecure-accept-unassigned 10.77.1.1:4435 "$obj" ;;
	oracle)
		timed "Netns/$label/oracle" "$size" "$sum" "$kb" split -certs "$tmp" -size "$size" \
			-addrs 10.77.1.1:4436,10.77.2.1:4436,10.77.3.1:4436 -rates "${set//,/mbit,}mbit"
		;;
	aria2)
		local i=0 flags
		IFS='|' read -r -a flags <<<"$aria2_sets"
		for f in "${flags[@]}"; do
			# shellcheck disable=SC2086 # a flag set is words
			timed "Netns/$label/aria2=$i" "$size" "$sum" aria2c $f --file-allocation=none --allow-overwrite=true \
				--auto-file-renaming=false --summary-interval=0 --console-log-level=warn --download-result=hide -q \
				-d "$dl" -o "$obj" http://10.77.1.1:8080/$obj http://10.77.2.1:8080/$obj http://10.77.3.1:8080/$obj
			i=$((i + 1))
		done
		;;
	esac
}

# calibrate LABEL RATES...: a TCP transfer over each path on its own.
calibrate() {
	local label=$1; shift
	local rates=("$@")
	for i in 0 1 2; do
		local addr=10.77.$((i + 1)).2:5001
		ip netns exec "$ns_client" "$kb" sink -listen "$addr" -rate "${rates[$i]}" \
			-name "Netns/calibrate/$label/path=$i" &
		local sink=$!
		wait_port "$ns_client" t "$addr"
		ip netns exec "${servers[$i]}" "$kb" blast -addr "$addr" -for 4s
		wait "$sink"
	done
}

i=0
IFS='|' read -r -a flags <<<"$aria2_sets"
for f in "${flags[@]}"; do echo "# aria2=$i: aria2c $f" >&2; i=$((i + 1)); done
for round in $(seq "$rounds"); do
	for set in $sets; do
		label=paths=${set//,/+}Mbit
		read -r -a rates <<<"${set//,/mbit }mbit"
		shape "${rates[@]}"
		if [ "${KWIKB_CALIBRATE:-0}" = 1 ] && [ "$round" = 1 ]; then calibrate "$label" "${rates[@]}"; fi
		for row in $rows; do run "$row" "$label" "$set"; done
	done
done | tee "$tmp/netns.txt"
"$kb" table "$tmp/netns.txt" >&2
