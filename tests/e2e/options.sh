#!/bin/bash
# tests/e2e/options.sh - the mount options no other test drives, each by
# what it does: noexec (exec refused with EACCES), noatime (a read keeps
# the atime), debug (libfuse's request trace on stderr), timeout= (the
# kernel's entry and attribute cache: with 0 every stat asks imgfs, with
# an hour only the first does - counted in the debug trace), cache=none
# (re-reading a file reaches imgfs again; with the default the kernel's
# page cache keeps it).  Bad values: one line, exit 1, nothing mounted.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init options.sh

img=$W/img mnt=$W/mnt
e2e_image "$img" 16M
mkdir -p "$mnt"

# bad values: a one-line error naming the option, status 1, not mounted
# (as a daemon: a value wrongly taken mounts and returns, not hangs)
for bad in timeout=-1 timeout=abc timeout= timeout=nan timeout=90000 cache=bogus cache= \
	debug=1 noexec=yes; do
	"$IMGFS" -o "$bad" "$img" "$mnt" >"$W/out" 2>"$W/err"
	st=$?
	[ $st = 1 ] || fail "-o $bad: exit status $st"
	[ "$(wc -l <"$W/err")" = 1 ] && grep -q "^imgfs: .*${bad%%=*}" "$W/err" ||
		fail "-o $bad: error output: $(cat "$W/err")"
	[ -s "$W/out" ] && fail "-o $bad: printed on stdout"
	e2e_is_mounted "$mnt" && { fail "-o $bad: mounted"; fusermount3 -u "$mnt"; }
done

# How many requests of the given opcodes the trace of mount MNT holds.
requests() {
	grep -c -E "opcode: ($2) " "${E2E_LOG[$1]}"
}

# Bytes imgfs has served reads of, in KiB: now, and at e2e_reread's snapshot.
read_kb() {
	"$IMGFSCTL" "$1" vmstat | awk '$1 == "fuse_read_kb" { print $2 }'
}
read_kb0() {
	awk '$1 == "fuse_read_kb" { print $2 }' "$W/vmstat0"
}

# N stats of one name: how many LOOKUP and GETATTR requests reach imgfs.
stat_requests() {
	local m=$1 before i
	before=$(requests "$m" 'LOOKUP|GETATTR')
	for i in $(seq 20); do
		stat "$m/f" >/dev/null || fail "stat $m/f"
	done
	echo $(($(requests "$m" 'LOOKUP|GETATTR') - before))
}

# 1. noexec, noatime, timeout=0, debug (debug keeps imgfs in the
#    foreground: whatever E2E_DAEMON says)
E2E_DAEMON=0 e2e_mount "$img" "$mnt" -o noexec,noatime,timeout=0,debug
grep -q 'opcode: INIT' "${E2E_LOG[$mnt]}" || fail "debug: no request trace on stderr"
cp /bin/true "$mnt/true" && chmod 755 "$mnt/true"
python3 - "$mnt/true" <<'PY'
import errno, os, sys
try:
    os.execv(sys.argv[1], [sys.argv[1]])
except OSError as e:
    sys.exit(3 if e.errno == errno.EACCES else 4)
PY
st=$?
[ $st = 3 ] || fail "noexec: exec gave status $st, not EACCES (3)"
awk -v m="$mnt" '$2 == m { print $4 }' /proc/self/mounts | tr ',' '\n' >"$W/mopts"
grep -qx noexec "$W/mopts" && grep -qx noatime "$W/mopts" ||
	fail "noexec,noatime not in the mount's flags: $(tr '\n' , <"$W/mopts")"
echo data >"$mnt/f"
touch -a -d '2001-01-01 00:00:00 +0000' "$mnt/f"
cat "$mnt/f" >/dev/null
[ "$(stat -c %X "$mnt/f")" = 978307200 ] || fail "noatime: a read changed atime to $(stat -c %X "$mnt/f")"
n0=$(stat_requests "$mnt")
[ "$n0" -ge 20 ] || fail "timeout=0: 20 stats sent $n0 lookups and getattrs"
e2e_umount "$mnt"

# 2. the defaults against 1: exec allowed; timeout=3600: the kernel asks
#    once, then trusts its cache; default caching: a second read of a
#    file (through the same open file) stays in the kernel
E2E_DAEMON=0 e2e_mount "$img" "$mnt" -o timeout=3600,debug
"$mnt/true" || fail "exec without noexec"
n1=$(stat_requests "$mnt")
[ "$n1" -le 2 ] || fail "timeout=3600: 20 stats sent $n1 lookups and getattrs"
head -c 1M /dev/urandom >"$mnt/big"
e2e_reread "$mnt/big" "$mnt" "$W/vmstat0"
kb=$(($(read_kb "$mnt") - $(read_kb0)))
[ "$kb" -lt 1024 ] || fail "default cache: a second read of 1 MiB reached imgfs ($kb KiB)"
e2e_umount "$mnt"

# 3. cache=none, without debug: no trace, a second read through the same
#    open file reaches imgfs again
e2e_mount "$img" "$mnt" -o cache=none
e2e_reread "$mnt/big" "$mnt" "$W/vmstat0"
kb=$(($(read_kb "$mnt") - $(read_kb0)))
[ "$kb" -ge 1024 ] || fail "cache=none: a second read of 1 MiB: $kb KiB reached imgfs"
[ -z "${E2E_PID[$mnt]:-}" ] || ! grep -q 'opcode:' "${E2E_LOG[$mnt]}" ||
	fail "a request trace without debug"
e2e_listing "$mnt" >"$W/want"
e2e_umount "$mnt"
e2e_fsck "$img"
e2e_kernel_check "$img" "$W/want"
e2e_finish
