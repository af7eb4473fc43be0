#!/usr/bin/env bash
# verifycpu.sh: CPU seconds per GiB of the client and of the primary, each in
# its own process, with piece verification on and off (issue 11), over
# loopback without rate limits: `kwik serve` runs two secondaries and two
# primaries (one with --insecure-no-digests), `kwik get` fetches one file
# from each primary in turn, A B A B. The primary's CPU is the change of its
# /proc/PID/stat user+system time across one get; the client's is that get's
# own (/usr/bin/time). Before each get the file's mtime changes, so the
# primary's digest cache misses and it hashes the file again (cold, the
# worst case); KWIKB_WARM=1 keeps the cache (a popular file).
#
#	bench/verifycpu.sh > out.txt; benchstat -col /verify out.txt
#
# Knobs: KWIKB_BIN (the kwik binary; default: built from this tree),
# KWIKB_SIZE (bytes, default 256 MiB), KWIKB_COUNT (rounds, default 6),
# KWIKB_MODES (default "on off").
# Prints Go benchmark lines: BenchmarkVerifyCPU/verify=on|off with
# client-cpu-s/GiB, primary-cpu-s/GiB and MB/s.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
size=${KWIKB_SIZE:-$((256 << 20))}
count=${KWIKB_COUNT:-6}
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

bin=${KWIKB_BIN:-}
if [[ -z $bin ]]; then
	bin=$tmp/kwik
	(cd "$here/.." && go build -o "$bin" ./cmd/kwik)
fi
mkdir -p "$tmp/root" "$tmp/out"
head -c "$size" /dev/urandom >"$tmp/root/f.bin"
key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export KWIK_GROUP_KEY=$key

# serve LOG ARGS... starts kwik serve and waits for its "listening:" line.
serve() {
	local log=$1
	shift
	"$bin" serve --root "$tmp/root" --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		grep -q '^listening:' "$log" && return 0
		sleep 0.1
	done
	echo "verifycpu: kwik serve $* did not start:" >&2
	cat "$log" >&2
	exit 1
}
field() { sed -n "s/^$2: \([^ ]*\).*/\1/p" "$1" | head -1; }

secs=()
for i in 1 2; do
	serve "$tmp/s$i.log" --role secondary
	secs+=(--secondary "$(field "$tmp/s$i.log" listening)=$(field "$tmp/s$i.log" pin)")
done
serve "$tmp/on.log" --role primary "${secs[@]}"
on_pid=${pids[-1]}
serve "$tmp/off.log" --role primary --insecure-no-digests "${secs[@]}"
off_pid=${pids[-1]}

tick=$(getconf CLK_TCK)
# cpu PID: user+system seconds of a running process.
cpu() { awk -v t="$tick" '{printf "%.3f", ($14 + $15) / t}' "/proc/$1/stat"; }
# settle PID: wait until a process's CPU time stops growing (the primary
# hashes the whole file after a transfer), at most 10 s.
settle() {
	local a b
	a=$(cpu "$1")
	for _ in $(seq 40); do
		sleep 0.25
		b=$(cpu "$1")
		[[ $a == "$b" ]] && return 0
		a=$b
	done
}

run() {
	local mode=$1 pid=$2 log=$3
	shift 3
	[[ ${KWIKB_WARM:-0} == 1 ]] || touch "$tmp/root/f.bin"
	rm -f "$tmp/out/f"
	local before after
	settle "$pid"
	before=$(cpu "$pid")
	/usr/bin/time -f '%U %S %e' -o "$tmp/time" \
		"$bin" get --no-progress --pin "$(field "$log" pin)" "$@" "$(field "$log" listening)" f.bin -o "$tmp/out/f" >"$tmp/get.log" 2>&1 ||
		{ cat "$tmp/get.log" >&2; exit 1; }
	settle "$pid"
	after=$(cpu "$pid")
	read -r u s e <"$tmp/time"
	awk -v n="$size" -v u="$u" -v s="$s" -v e="$e" -v b="$before" -v a="$after" -v m="$mode" 'BEGIN {
		gib = n / 2^30
		printf "BenchmarkVerifyCPU/verify=%s \t1\t%.0f ns/op\t%.2f MB/s\t%.3f client-cpu-s/GiB\t%.3f primary-cpu-s/GiB\n",
			m, e * 1e9, n / e / 1e6, (u + s) / gib, (a - b) / gib
	}'
}

for _ in $(seq "$count"); do
	for mode in ${KWIKB_MODES:-on off}; do
		case $mode in
		on) run on "$on_pid" "$tmp/on.log" ;;
		off) run off "$off_pid" "$tmp/off.log" --insecure-accept-unassigned ;;
		esac
	done
done
