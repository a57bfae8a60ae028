# tests/e2e/lib.sh - sourced by every end-to-end script (tests/e2e/*.sh):
# real imgfs mounts through /dev/fuse, with the image checked afterwards.
#
#   e2e_init NAME           scratch dir $W (./tmp-e2e-XXXXXX in the build
#                           tree), the EXIT trap, skip (77) without /dev/fuse
#   e2e_image IMG SIZE [SRC] [mke2fs options]   mke2fs -t ext2 [-d SRC]
#   e2e_mount IMG MNT [-o opts]   imgfs -f in the background (E2E_DAEMON=1:
#                           as a daemon); registers IMG for fsck
#   e2e_umount MNT          unmount, and wait until the daemon has written
#                           everything back and exited (a daemon: imgfs -u;
#                           -f: fusermount3 -u, wait); fail on a non-zero
#                           status or a sanitizer report
#   e2e_fsck IMG            e2fsck -fn, fail unless clean
#   e2e_finish              unmount what is mounted, fsck every image used;
#                           the script's last word (exit status)
#   e2e_listing DIR         find's view of a tree (type, mode, owner, links,
#                           size, mtime to the second, target), sorted
#   e2e_high_orders MNT     blocks past order 0 without a fallback so far
#   e2e_lowmem_finish MNT IMG MEM   unmount, no error in the daemon's
#                           log, e2fsck -fn, remove the image
#   e2e_kernel_check IMG LISTING   the kernel's ext2 (loop, read-only)
#                           shows LISTING; skipped without loop devices
#   e2e_sanitizer_reports   fail on (and show) any sanitizer report written
#                           since the last call: every program of the test
#                           (daemons included, whose stderr is /dev/null)
#                           logs its reports to $W/sanitizer.PID, except
#                           UBSan beside ASan, which writes to stderr: so
#                           the daemons' stderr logs are searched too (a
#                           sanitizer build of imgfs keeps its stderr)
#   e2e_cannot WHAT         part of a test cannot run on this machine: a
#                           failure under CI=true (CI has every tool and
#                           device), a note otherwise
#   e2e_reread FILE MNT SNAP   read FILE to its end, save MNT's vmstat in
#                           SNAP, read FILE again through the same
#                           descriptor (what the kernel caches is per open
#                           file too: a new open may drop it)
#   fail MSG / check CMD... / $SAN (1 under ASan/TSan: use smaller volumes)
#
# A script may define e2e_cleanup_hook: the trap runs it after unmounting.
# The trap always unmounts (a failing test never leaves a mount behind)
# and removes $W.
set -u

srcdir=${srcdir:-.}
B=$(pwd -P)
IMGFS=$B/tools/imgfs/imgfs
IMGFSCTL=$B/tools/imgfsctl/imgfsctl
MKIMG=$B/tools/mkimg/mkimg
FSX=$B/tests/e2e/fsx
NSX=$B/tests/e2e/nsx

# The sanitizer trees' factor for every wait (configure's TIMEOUT_SCALE,
# exported by make check): waits end on their condition, the factor only
# moves the point where a test gives up.
E2E_SCALE=${IMGFS_TIMEOUT_SCALE:-1}
E2E_MOUNTS=""
E2E_IMAGES=""
E2E_FAILED=0
W=""

fail() {
	echo "FAIL: $*" >&2
	E2E_FAILED=1
}

die() {
	echo "FAIL: $*" >&2
	exit 1
}

# check CMD...: run it, fail (and go on) if it fails.
check() {
	"$@" || fail "$*"
}

# Mounted, even if its daemon died ("Transport endpoint is not connected",
# which mountpoint(1) does not count as a mount point).
e2e_is_mounted() {
	awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/self/mounts
}

e2e_cannot() {
	if [ "${CI:-}" = true ]; then
		fail "$*: CI must run this"
	else
		echo "$*: skipped"
	fi
}

e2e_sanitizer_reports() {
	local r found=0
	[ -n "$W" ] || return 0
	for r in "$W"/sanitizer.* "$W"/imgfs.*.log; do
		[ -f "$r" ] || continue
		case $r in
		*.log) grep -q -e 'Sanitizer' -e 'runtime error' "$r" || continue ;;
		esac
		cat "$r" >&2
		fail "sanitizer report $(basename "$r")"
		mv "$r" "$W/reported.$(basename "$r")"
		found=1
	done
	[ $found = 0 ]
}

e2e_cleanup() {
	local m st=$?
	for m in $E2E_MOUNTS; do
		e2e_umount "$m" || true
	done
	# A script's own cleanup (loop devices...), after the unmounts: the
	# trap ends with exit, so a trap of the script's own would not run.
	if declare -F e2e_cleanup_hook >/dev/null; then
		e2e_cleanup_hook
	fi
	e2e_sanitizer_reports
	[ "$E2E_FAILED" = 1 ] && [ $st = 0 ] && st=1
	if [ -n "$W" ]; then
		mountpoint -q "$W/kmnt" 2>/dev/null && umount "$W/kmnt"
		rm -rf "$W"
	fi
	exit $st
}

e2e_init() {
	E2E_NAME=$1
	if [ ! -c /dev/fuse ]; then
		echo "$E2E_NAME: no /dev/fuse: skip"
		exit 77
	fi
	command -v fusermount3 >/dev/null || { echo "no fusermount3: skip"; exit 77; }
	[ -x "$IMGFS" ] || die "$IMGFS not built"
	case $("$IMGFS" --version) in
	*asan*) SAN=1 ;;
	*tsan*)
		SAN=1
		# Known races in other layers, each to be fixed there (see the file).
		export TSAN_OPTIONS="${TSAN_OPTIONS:-} suppressions=$(cd "$srcdir" && pwd)/tests/e2e/tsan.supp"
		;;
	*) SAN=0 ;;
	esac
	W=$(mktemp -d "$B/tmp-e2e-XXXXXX") || die "mktemp"
	# Sanitizer reports into files (the sanitizers add .PID): a daemon's
	# stderr is /dev/null, and no report may go unseen.
	local o
	for o in ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS; do
		export "$o=${!o:-} log_path=$W/sanitizer"
	done
	trap e2e_cleanup EXIT
	trap 'exit 1' INT TERM
}

e2e_image() {
	local img=$1 size=$2 src=${3:-}
	shift 2
	[ $# -gt 0 ] && shift
	rm -f "$img"
	if [ -n "$src" ]; then
		mke2fs -q -F -t ext2 "$@" -d "$src" "$img" "$size" >/dev/null || die "mke2fs $img"
	else
		mke2fs -q -F -t ext2 "$@" "$img" "$size" >/dev/null || die "mke2fs $img"
	fi
}

# The daemon runs in the foreground here (-f, in the background of the
# script) so that its exit status and its stderr - sanitizer reports
# included - are the test's; ro.sh and ctl.sh cover daemonizing.
declare -A E2E_PID E2E_LOG
e2e_mount() {
	local img=$1 mnt=$2 i
	shift 2
	mkdir -p "$mnt"
	E2E_LOG[$mnt]=$W/imgfs.$(basename "$mnt").$RANDOM.log
	if [ "${E2E_DAEMON:-0}" = 1 ]; then	# as users run it: a daemon
		"$IMGFS" "$@" "$img" "$mnt" 2>"${E2E_LOG[$mnt]}" ||
			{ cat "${E2E_LOG[$mnt]}" >&2; die "imgfs $* $img $mnt"; }
	else
		"$IMGFS" -f "$@" "$img" "$mnt" 2>"${E2E_LOG[$mnt]}" &
		E2E_PID[$mnt]=$!
	fi
	for i in $(seq $((300 * E2E_SCALE))); do
		mountpoint -q "$mnt" && break
		[ -n "${E2E_PID[$mnt]:-}" ] && ! kill -0 "${E2E_PID[$mnt]}" 2>/dev/null && break
		sleep 0.1
	done
	if ! mountpoint -q "$mnt"; then
		cat "${E2E_LOG[$mnt]}" >&2 2>/dev/null
		die "imgfs $* $img $mnt: not mounted"
	fi
	E2E_MOUNTS="$E2E_MOUNTS $mnt"
	case " $E2E_IMAGES " in
	*" $img "*) ;;
	*) E2E_IMAGES="$E2E_IMAGES $img" ;;
	esac
}

e2e_umount() {
	local mnt=$1 pid i=0 m rest="" st reports=0
	for m in $E2E_MOUNTS; do
		[ "$m" = "$mnt" ] || rest="$rest $m"
	done
	E2E_MOUNTS=$rest
	pid=${E2E_PID[$mnt]:-}
	if [ -z "$pid" ]; then	# a daemon: imgfs -u waits for it and gives its status
		if ! e2e_is_mounted "$mnt"; then
			e2e_sanitizer_reports
			return
		fi
		if "$IMGFS" -u "$mnt"; then
			e2e_sanitizer_reports
			return
		fi
		st=$?
		fail "imgfs -u $mnt: status $st"
		fusermount3 -u -z "$mnt" 2>/dev/null
		e2e_sanitizer_reports
		return 1
	fi
	if e2e_is_mounted "$mnt" && ! fusermount3 -u "$mnt"; then
		sleep 1
		fusermount3 -u -z "$mnt" || { fail "fusermount3 -u $mnt"; return 1; }
	fi
	# The image is complete once the daemon has gone.
	if [ -n "$pid" ]; then
		while kill -0 "$pid" 2>/dev/null; do
			i=$((i + 1))
			if [ $i -gt $((1200 * E2E_SCALE)) ]; then
				fail "imgfs ($pid) still running $((120 * E2E_SCALE)) s after unmount"
				kill -9 "$pid"
				break
			fi
			sleep 0.1
		done
	fi
	e2e_sanitizer_reports || reports=1
	if [ -n "${E2E_PID[$mnt]:-}" ]; then
		wait "${E2E_PID[$mnt]}"
		st=$?
		unset "E2E_PID[$mnt]"
		if [ $st != 0 ]; then
			cat "${E2E_LOG[$mnt]}" >&2 2>/dev/null
			fail "imgfs on $mnt exited with status $st"
			return 1
		fi
	fi
	[ $reports = 0 ]
}

e2e_reread() {
	python3 - "$@" "$IMGFSCTL" <<'PY' || fail "reading $1 twice"
import os, subprocess, sys
path, mnt, snap, ctl = sys.argv[1:]
fd = os.open(path, os.O_RDONLY)
while os.read(fd, 1 << 20):
    pass
with open(snap, "w") as out:
    subprocess.run([ctl, mnt, "vmstat"], stdout=out, check=True)
os.lseek(fd, 0, os.SEEK_SET)
while os.read(fd, 1 << 20):
    pass
os.close(fd)
PY
}

e2e_fsck() {
	local img=$1
	if ! e2fsck -fn "$img" >"$W/fsck.log" 2>&1; then
		cat "$W/fsck.log" >&2
		fail "e2fsck -fn $img"
		return 1
	fi
}

e2e_finish() {
	local m img
	for m in $E2E_MOUNTS; do
		e2e_umount "$m"
	done
	for img in $E2E_IMAGES; do
		[ -f "$img" ] && e2e_fsck "$img"
	done
	e2e_sanitizer_reports
	if [ "$E2E_FAILED" = 0 ]; then
		echo "$E2E_NAME: all passed"
		exit 0
	fi
	exit 1
}

e2e_listing() {
	(cd "$1" && find . -path ./lost+found -prune -o -printf '%p %y %m %U %G %n %s %T@ %l\n' |
		grep -v -e '^\./lost+found ' -e '^\. ' |
		awk '{ sub(/\.[0-9]*$/, "", $8) } $2 == "d" { $7 = "-" } { print }' | sort)
	(cd "$1" && find . -path ./lost+found -prune -o -type f -print0 | sort -z |
		xargs -0 -r md5sum)
}

e2e_kernel_check() {
	local img=$1 want=$2
	if [ "$(id -u)" != 0 ] || [ ! -e /dev/loop-control ]; then
		e2e_cannot "no loop devices: kernel comparison"
		return 0
	fi
	mkdir -p "$W/kmnt"
	if ! mount -t ext2 -o loop,ro "$img" "$W/kmnt" 2>"$W/kmount.err"; then
		cat "$W/kmount.err" >&2
		e2e_cannot "loop mount unavailable: kernel comparison"
		return 0
	fi
	e2e_listing "$W/kmnt" >"$W/kernel.listing"
	umount "$W/kmnt"
	if ! diff "$want" "$W/kernel.listing" >"$W/kernel.diff"; then
		head -40 "$W/kernel.diff" >&2
		fail "the kernel's ext2 sees another tree in $img"
	fi
}

# e2e_high_orders MNT: blocks past order 0 the daemon on MNT handed out
# since mount, less those for callers with a fallback
# (pgalloc_order_fallback): what must not grow on a user's path.
e2e_high_orders() {
	"$IMGFSCTL" "$1" vmstat | awk '
		$1 ~ /^pgalloc_order_[1-9]$/ { n += $2 }
		$1 == "pgalloc_order_fallback" { n -= $2 }
		END { print n }'
}

# e2e_lowmem_finish MNT IMG MEM: unmount a small-arena mount, fail if its
# daemon logged an error, e2fsck -fn the image and remove it.
e2e_lowmem_finish() {
	local mnt=$1 img=$2 mem=$3 log=${E2E_LOG[$1]}

	e2e_umount "$mnt"
	if grep -i -e error -e 'cannot' "$log" >&2; then
		fail "mem=$mem: the daemon logged errors"
	fi
	e2e_fsck "$img"
	rm -f "$img"
}

# A tree with every kind of file: e2e_make_tree DIR
e2e_make_tree() {
	local d=$1 i=0
	mkdir -p "$d/dir/sub/deeper" "$d/empty-dir"
	printf 'hello\n' >"$d/small"
	: >"$d/empty"
	head -c 70000 /dev/urandom >"$d/dir/indirect"
	head -c 3000000 /dev/urandom >"$d/dir/sub/dind"
	printf 'start' >"$d/sparse"
	truncate -s 40M "$d/sparse"
	printf 'end' >>"$d/sparse"
	ln "$d/small" "$d/dir/hardlink"
	ln -s small "$d/fast-link"
	ln -s "$(printf 'long/%.0s' $(seq 40))target" "$d/slow-link"
	mkfifo "$d/fifo"
	chmod 4755 "$d/dir/indirect"
	chmod 0600 "$d/dir/sub/dind"
	chmod 1777 "$d/empty-dir"
	while [ $i -lt 150 ]; do
		printf '%s' "$i" >"$d/dir/sub/deeper/file-with-a-longer-name-$i"
		i=$((i + 1))
	done
	if [ "$(id -u)" = 0 ]; then
		mknod "$d/null" c 1 3
		chown 1234:5678 "$d/small"
		chown -h 42:43 "$d/fast-link"
	fi
	touch -d '2001-02-03 04:05:06.789' "$d/dir/indirect"
	touch -h -d '1999-12-31 23:59:59' "$d/fast-link"
}
