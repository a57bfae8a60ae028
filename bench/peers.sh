#!/usr/bin/env bash
# bench/peers.sh - imgfs against its peers, on this machine, in one run, on
# identical fresh images: imgfs, the kernel's ext2 on a loop device, and
# fuse2fs (e2fsprogs' FUSE server).  Never run by make check.
#
#   bench/peers.sh [BUILD_DIR]        (as root; BUILD_DIR holds tools/imgfs)
#
# Workloads: SIZE (1 GiB) sequential write with fsync; cold read (every
# cache dropped: unmount, drop_caches, mount) and warm read of it; fio
# random 4 KiB reads and writes on a 512 MiB file (FIO_SECS each);
# /usr/include copied in, walked (find + du, cold), diffed and deleted;
# dbench (DBENCH_SECS, 4 clients).  Prints a table of absolute figures
# and imgfs' ratio to each peer (higher is better for imgfs in every row:
# times are shown as rates or as 1/time ratios).
#
# Environment: SIZE (MiB, 1024), FIO_SECS (10), DBENCH_SECS (10),
# IMGFS_OPTS (extra -o options for imgfs, e.g. mem=512M), WORK (a
# directory for the images, default a scratch dir in the build tree).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
b=$(cd "${1:-$top/build}" && pwd)
IMGFS=$b/tools/imgfs/imgfs
SIZE=${SIZE:-1024}
FIO_SECS=${FIO_SECS:-10}
DBENCH_SECS=${DBENCH_SECS:-10}
IMGFS_OPTS=${IMGFS_OPTS:-}

[ "$(id -u)" = 0 ] || { echo "peers.sh: needs root (loop mounts, drop_caches)"; exit 1; }
[ -x "$IMGFS" ] || { echo "peers.sh: $IMGFS not built"; exit 1; }
command -v fuse2fs >/dev/null || apt-get install -y fuse2fs >/dev/null 2>&1
command -v fio >/dev/null || apt-get install -y fio >/dev/null 2>&1
command -v dbench >/dev/null || apt-get install -y dbench >/dev/null 2>&1
command -v fuse2fs >/dev/null || echo "peers.sh: no fuse2fs: its column stays empty"

work=${WORK:-$(mktemp -d "$b/tmp-peers-XXXXXX")}
mnt=$work/mnt
mkdir -p "$mnt"
FSPID=""
cleanup() {
	fs_umount 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# ---- mounting each file system ------------------------------------------------

fs_mount() {	# fs_mount FS IMAGE
	local fs=$1 img=$2 i
	case $fs in
	imgfs)
		"$IMGFS" -f ${IMGFS_OPTS:+-o "$IMGFS_OPTS"} "$img" "$mnt" 2>>"$work/imgfs.log" &
		FSPID=$! ;;
	ext2)
		mount -t ext2 -o loop "$img" "$mnt" || return 1
		FSPID="" ;;
	fuse2fs)
		fuse2fs -f "$img" "$mnt" -o rw 2>>"$work/fuse2fs.log" &
		FSPID=$! ;;
	esac
	for i in $(seq 100); do mountpoint -q "$mnt" && return 0; sleep 0.1; done
	echo "peers.sh: $fs did not mount" >&2
	return 1
}

# Unmount and wait until the server has written everything and exited.
fs_umount() {
	mountpoint -q "$mnt" || return 0
	case $CUR in
	ext2) umount "$mnt" ;;
	*) fusermount3 -u "$mnt" ;;
	esac
	[ -n "$FSPID" ] && wait "$FSPID" 2>/dev/null
	FSPID=""
}

# ---- the workloads ----------------------------------------------------------------

declare -A R	# R[fs,row] = figure

run_fs() {
	local fs=$1 img=$work/$1.img t0 t1 out
	CUR=$fs
	rm -f "$img"
	mke2fs -q -F -t ext2 -b 4096 "$img" $((SIZE * 2 + 2048))M || return
	fs_mount "$fs" "$img" || return
	echo "--- $fs" >&2

	# sequential write with fsync
	t0=$(now)
	dd if=/dev/zero of="$mnt/seq" bs=1M count="$SIZE" conv=fsync 2>/dev/null
	t1=$(now)
	R[$fs,seqw]=$(echo "$SIZE / $(secs "$t0" "$t1")" | bc -l)

	# cold and warm sequential read
	fs_umount; drop_caches; fs_mount "$fs" "$img" || return
	t0=$(now); cat "$mnt/seq" >/dev/null; t1=$(now)
	R[$fs,coldr]=$(echo "$SIZE / $(secs "$t0" "$t1")" | bc -l)
	t0=$(now); cat "$mnt/seq" >/dev/null; t1=$(now)
	R[$fs,warmr]=$(echo "$SIZE / $(secs "$t0" "$t1")" | bc -l)
	rm -f "$mnt/seq"

	# fio random 4 KiB reads and writes
	out=$(cd "$mnt" && fio --name=rr --filename=fio.dat --size=512M --bs=4k --rw=randread \
		--ioengine=psync --runtime="$FIO_SECS" --time_based --output-format=terse \
		--terse-version=3 2>/dev/null)
	R[$fs,randr]=$(echo "$out" | awk -F';' '{ print $8 }')
	out=$(cd "$mnt" && fio --name=rw --filename=fio.dat --size=512M --bs=4k --rw=randwrite \
		--ioengine=psync --runtime="$FIO_SECS" --time_based --end_fsync=1 \
		--output-format=terse --terse-version=3 2>/dev/null)
	R[$fs,randw]=$(echo "$out" | awk -F';' '{ print $49 }')
	rm -f "$mnt/fio.dat"

	# /usr/include: copy in, walk cold, diff, delete
	t0=$(now); cp -a /usr/include "$mnt/include"; sync -f "$mnt"; t1=$(now)
	R[$fs,cpin]=$(secs "$t0" "$t1")
	fs_umount; drop_caches; fs_mount "$fs" "$img" || return
	t0=$(now); find "$mnt/include" >/dev/null; du -s "$mnt/include" >/dev/null; t1=$(now)
	R[$fs,walk]=$(secs "$t0" "$t1")
	t0=$(now); diff -r --no-dereference /usr/include "$mnt/include" >/dev/null || echo "peers.sh: $fs: diff differs" >&2
	t1=$(now)
	R[$fs,diff]=$(secs "$t0" "$t1")
	t0=$(now); rm -rf "$mnt/include"; sync -f "$mnt"; t1=$(now)
	R[$fs,rm]=$(secs "$t0" "$t1")

	# dbench
	if command -v dbench >/dev/null; then
		out=$(dbench -D "$mnt" -t "$DBENCH_SECS" 4 2>/dev/null | sed -n 's/^Throughput \([0-9.]*\) MB\/sec.*/\1/p')
		R[$fs,dbench]=${out:-}
	fi
	fs_umount
	e2fsck -fn "$img" >/dev/null 2>&1 || echo "peers.sh: $fs left an image e2fsck -fn does not pass" >&2
	rm -f "$img"
}

for fs in imgfs ext2 fuse2fs; do
	[ $fs = fuse2fs ] && ! command -v fuse2fs >/dev/null && continue
	run_fs $fs
done

# ---- the table -------------------------------------------------------------------

# ratio ROW FS: imgfs relative to FS, >1 means imgfs is better
ratio() {
	local row=$1 peer=$2 a=${R[imgfs,$1]:-} p=${R[$2,$1]:-}
	[ -n "$a" ] && [ -n "$p" ] || { echo "-"; return; }
	case $row in
	cpin|walk|diff|rm) echo "$p / $a" | bc -l ;;	# times: lower is better
	*) echo "$a / $p" | bc -l ;;
	esac
}
fmt() { [ -n "${1:-}" ] && printf '%.2f' "$1" || printf -- '-'; }

echo
echo "imgfs vs peers on $(uname -r), $(nproc) CPUs, ${SIZE} MiB, images on $(df -T "$work" | awk 'NR == 2 { print $2 }')"
echo "imgfs options: ${IMGFS_OPTS:-defaults}"
printf '%-28s %12s %12s %12s %10s %10s\n' workload imgfs ext2-loop fuse2fs "vs ext2" "vs fuse2fs"
for row in seqw coldr warmr randr randw cpin walk diff rm dbench; do
	case $row in
	seqw) name="seq write+fsync MiB/s" ;;
	coldr) name="cold seq read MiB/s" ;;
	warmr) name="warm seq read MiB/s" ;;
	randr) name="fio 4k randread IOPS" ;;
	randw) name="fio 4k randwrite IOPS" ;;
	cpin) name="cp -a /usr/include s" ;;
	walk) name="find+du (cold) s" ;;
	diff) name="diff -r s" ;;
	rm) name="rm -rf s" ;;
	dbench) name="dbench 4 MB/s" ;;
	esac
	printf '%-28s %12s %12s %12s %10s %10s\n' "$name" "$(fmt "${R[imgfs,$row]:-}")" \
		"$(fmt "${R[ext2,$row]:-}")" "$(fmt "${R[fuse2fs,$row]:-}")" \
		"$(fmt "$(ratio $row ext2)")" "$(fmt "$(ratio $row fuse2fs)")"
done
echo "(ratios: imgfs relative to the peer, above 1 means imgfs is faster)"
