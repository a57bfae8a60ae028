#!/usr/bin/env bash
# bench/blk_bench.sh - the buffer path (bench/blk_bench) next to fio
# (ioengine=libaio, direct=1, iodepth 32) on the same file in the same run:
# sequential 1 MiB and random 4 KiB reads and writes, imgfs without
# bouncing (low pages) and with it (HIGHMEM pages, dma_reach=low).
#
#   bench/blk_bench.sh [BUILD_DIR]      (default: the current directory)
#   env: BENCH_SECONDS (5), BENCH_SIZE_MB (1024), BENCH_DEPTH (32),
#        BENCH_ROUNDS (3)
#
# The image is made in BUILD_DIR (a filesystem with O_DIRECT) and removed
# afterwards.  Each workload runs fio, then imgfs without and with bounce,
# back to back, BENCH_ROUNDS times; the table shows the median of each, so
# drift and noise in the host affect all three alike.
set -euo pipefail

build=$(cd "${1:-.}" && pwd)
secs=${BENCH_SECONDS:-5}
size_mb=${BENCH_SIZE_MB:-1024}
depth=${BENCH_DEPTH:-32}
rounds=${BENCH_ROUNDS:-3}

command -v fio >/dev/null || { echo "blk_bench.sh: fio is not installed" >&2; exit 1; }
cd "$build"
make -s bench/blk_bench
dir=$(mktemp -d "$build/blk-bench-XXXXXX")
trap 'rm -rf "$dir"' EXIT
img=$dir/image
dd if=/dev/zero of="$img" bs=1M count="$size_mb" oflag=direct status=none

# fio RW BS -> "MiB/s IOPS"
fio_run() {
	fio --name=blk --filename="$img" --ioengine=libaio --direct=1 \
	    --rw="$1" --bs="$2" --iodepth="$depth" --runtime="$secs" --time_based \
	    --ramp_time=1 --norandommap --randrepeat=0 --output-format=json |
	python3 -c '
import json, sys
j = json.load(sys.stdin)["jobs"][0]
d = j["write"] if j["write"]["io_bytes"] else j["read"]
print("%.1f %.0f" % (d["bw"] / 1024.0, d["iops"]))'
}

# imgfs WORKLOAD MODE -> "MiB/s IOPS"
imgfs_run() {
	./bench/blk_bench -t "$secs" -q "$depth" -w "$1" -b "$2" "$img" | awk '{ print $3, $4 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }

# median of "MiB/s IOPS" lines on stdin, by IOPS
median() { sort -k2 -g | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'; }

printf '%-10s %4s | %9s %8s | %9s %8s %6s | %9s %8s %6s %8s\n' \
	workload bs "fio MiB/s" IOPS "nobounce" IOPS "/fio" "bounce" IOPS "/fio" "/nobnc"
for spec in seqread:read:1M seqwrite:write:1M randread:randread:4k randwrite:randwrite:4k; do
	IFS=: read -r w rw bs <<<"$spec"
	f=() n=() b=()
	for ((i = 0; i < rounds; i++)); do
		f+=("$(fio_run "$rw" "$bs")")
		n+=("$(imgfs_run "$w" nobounce)")
		b+=("$(imgfs_run "$w" bounce)")
	done
	read -r fmb fiops < <(printf '%s\n' "${f[@]}" | median)
	read -r nmb niops < <(printf '%s\n' "${n[@]}" | median)
	read -r bmb biops < <(printf '%s\n' "${b[@]}" | median)
	printf '%-10s %4s | %9s %8s | %9s %8s %6s | %9s %8s %6s %8s\n' \
		"$w" "$bs" "$fmb" "$fiops" "$nmb" "$niops" "$(ratio "$niops" "$fiops")" \
		"$bmb" "$biops" "$(ratio "$biops" "$fiops")" "$(ratio "$biops" "$niops")"
done
echo "(median of $rounds, depth $depth, ${secs}s each, ${size_mb} MiB file on $(df -PT "$dir" | awk 'NR==2 { print $2 }'))"
