#!/bin/bash
# tests/e2e/ioerr.sh - device errors injected into a running daemon
# (imgfsctl fault, only with IMGFS_FAULT_INJECTION=1): EIO from fsync once
# per descriptor, then the retry; EIO in the middle of a namespace
# operation as the FUSE reply; a write-back that fails at unmount (exit
# status, log line, image not clean); errors=remount-ro (EROFS to writers,
# what was written still reaches the image); errors=panic (the daemon
# stops, non-zero, writing nothing more).
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init ioerr.sh
E2E_DAEMON=0	# the daemon's exit status and log are what is tested

src=$W/src img=$W/img mnt=$W/mnt
mkdir -p "$src/d"
echo x >"$src/d/x"
e2e_image "$img" 32M "$src" -b 4096
SPB=8	# 512-byte sectors per block

blk() {	# blk PATH N: the image block of block N of PATH
	debugfs -R "bmap $1 $2" "$img" 2>/dev/null
}

# Unmount a mount whose daemon is expected to fail; its exit status in ST.
umount_failing() {
	local mnt=$1 pid=${E2E_PID[$1]} m rest="" i=0
	ST=0
	for m in $E2E_MOUNTS; do
		[ "$m" = "$mnt" ] || rest="$rest $m"
	done
	E2E_MOUNTS=$rest
	e2e_is_mounted "$mnt" && fusermount3 -u "$mnt" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $i -lt $((1200 * E2E_SCALE)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	wait "$pid" || ST=$?
	unset "E2E_PID[$mnt]"
	if e2e_is_mounted "$mnt"; then
		fusermount3 -u -z "$mnt"
	fi
}

state() {
	dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Filesystem state: *//p'
}

repair() {
	local st=0
	e2fsck -fy "$img" >"$W/fsck-y.log" 2>&1 || st=$?
	[ $st -le 1 ] || { cat "$W/fsck-y.log"; fail "e2fsck -fy: $st"; }
	e2e_fsck "$img"
}

# The statistics socket is named after the mount's st_dev, and a daemon
# that outlived its mount (elsewhere on the machine) keeps that name: the
# new mount's daemon cannot bind it, and imgfsctl would reach the old one.
# Make sure this daemon answers; mount again (another st_dev) if not.
own_socket() {	# own_socket FAULTS(0|1) [mount options]
	local p tries=0 faults=$1
	shift
	while :; do
		p=$("$IMGFSCTL" "$mnt" pid 2>/dev/null)
		[ "$p" = "${E2E_PID[$mnt]}" ] && return 0
		tries=$((tries + 1))
		[ $tries -lt 5 ] ||
			die "imgfsctl $mnt reaches process '$p', not this mount's daemon ${E2E_PID[$mnt]}"
		echo "the socket of $mnt belongs to process $p: mounting again"
		[ -f "$W/hold.img" ] || e2e_image "$W/hold.img" 8M
		e2e_umount "$mnt"
		e2e_mount "$W/hold.img" "$W/hold$tries" -o ro	# takes that st_dev
		IMGFS_FAULT_INJECTION=$faults e2e_mount "$img" "$mnt" "$@"
	done
}

# --- a bad errors= value: one line, non-zero, nothing mounted ---------------
mkdir -p "$mnt"
if "$IMGFS" -o errors=bogus "$img" "$mnt" 2>"$W/err"; then
	fail "errors=bogus accepted"
	E2E_MOUNTS="$E2E_MOUNTS $mnt"
	e2e_umount "$mnt"
fi
[ "$(wc -l <"$W/err")" = 1 ] && grep -q "errors=bogus" "$W/err" ||
	fail "errors=bogus: not one line naming it: $(cat "$W/err")"
e2e_is_mounted "$mnt" && fail "errors=bogus: mounted"

# --- without the opt-in, no faults ------------------------------------------
e2e_mount "$img" "$mnt"
own_socket 0
if "$IMGFSCTL" "$mnt" fault clear >"$W/out" 2>&1; then
	fail "fault injection accepted without IMGFS_FAULT_INJECTION=1"
fi
grep -q "fault injection is off" "$W/out" || fail "no reason given: $(cat "$W/out")"
e2e_umount "$mnt"

# --- EIO from fsync, once per descriptor; retried; EIO as a FUSE reply -------
IMGFS_FAULT_INJECTION=1 e2e_mount "$img" "$mnt"
own_socket 1
python3 - "$mnt" "$IMGFSCTL" "$img" "$SPB" >"$W/trace" 2>&1 <<'PY'
import errno, os, subprocess, sys
mnt, ctl, img, spb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def fsync(fd):
    try:
        os.fsync(fd); return "0"
    except OSError as e:
        return errno.errorcode[e.errno]
def bmap(n):
    out = subprocess.run(["debugfs", "-R", "bmap /f %d" % n, img],
                         capture_output=True, text=True).stdout
    return int(out.split()[0])
a = os.open(mnt + "/f", os.O_WRONLY | os.O_CREAT, 0o644)
os.write(a, b"a" * 49152)       # 12 blocks: direct ones only
print("fsync a", fsync(a))
b = os.open(mnt + "/f", os.O_RDONLY)
first, last = bmap(0), bmap(11)
print("contiguous", last == first + 11)
subprocess.run([ctl, mnt, "fault", "eio", "write", str(first * spb), str(12 * spb)], check=True,
               stdout=subprocess.DEVNULL)
os.pwrite(a, b"b" * 49152, 0)
print("fsync a (fault)", fsync(a))
subprocess.run([ctl, mnt, "fault", "clear"], check=True, stdout=subprocess.DEVNULL)
print("fsync a (retry)", fsync(a))
print("fsync b", fsync(b))
print("fsync b again", fsync(b))
c = os.open(mnt + "/f", os.O_RDONLY)
print("fsync c", fsync(c))
for fd in (a, b, c):
    os.close(fd)
PY
cat "$W/trace"
for want in "fsync a 0" "contiguous True" "fsync a (fault) EIO" "fsync a (retry) 0" \
	    "fsync b EIO" "fsync b again 0" "fsync c 0"; do
	grep -qx -- "$want" "$W/trace" || fail "expected '$want'"
done
[ "$(debugfs -R 'cat /f' "$img" 2>/dev/null | tr -d b | wc -c)" = 0 ] &&
	[ "$(debugfs -R 'cat /f' "$img" 2>/dev/null | wc -c)" = 49152 ] ||
	fail "f: the retried data is not on the image"

dblk=$(blk /d 0)
"$IMGFSCTL" "$mnt" fault eio read $((dblk * SPB)) $SPB >/dev/null || fail "fault eio read"
ls "$mnt/d" >/dev/null 2>"$W/ls.err" && fail "ls of a directory that cannot be read succeeded"
grep -q "Input/output error" "$W/ls.err" || fail "ls: $(cat "$W/ls.err")"
touch "$mnt/d/new" 2>"$W/touch.err" && fail "create in an unreadable directory succeeded"
grep -q "Input/output error" "$W/touch.err" || fail "touch: $(cat "$W/touch.err")"
touch "$mnt/elsewhere" || fail "the rest of the image is still usable"
"$IMGFSCTL" "$mnt" fault clear >/dev/null
[ "$(cat "$mnt/d/x")" = x ] || fail "d/x after the fault is gone"
e2e_umount "$mnt"
echo "state after a failed write and a failed read: $(state)"
case $(state) in clean) fail "marked clean after write and read errors" ;; esac
repair

# --- a write-back that fails at unmount -----------------------------------------
IMGFS_FAULT_INJECTION=1 e2e_mount "$img" "$mnt"
own_socket 1
head -c 40K /dev/urandom >"$mnt/u"	# data only (no indirect block), written at unmount
ublk=$(( $(blk /f 11) + 1 ))			# new data goes after f's
nblk=$(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Block count: *//p')
"$IMGFSCTL" "$mnt" fault eio write $((ublk * SPB)) $(((nblk - ublk) * SPB)) >/dev/null ||
	fail "fault eio write"
umount_failing "$mnt"
echo "unmount with a failing write-back: exit status $ST, state $(state)"
[ "$ST" != 0 ] || fail "unmount succeeded though the write-back failed"
grep -q "could not be written: lost" "${E2E_LOG[$mnt]}" ||
	{ cat "${E2E_LOG[$mnt]}"; fail "no log line for what unmount could not write"; }
case $(state) in *"with errors"*) ;; *) fail "state after a failed unmount: $(state)" ;; esac
repair

# --- errors=remount-ro ------------------------------------------------------------
IMGFS_FAULT_INJECTION=1 e2e_mount "$img" "$mnt" -o errors=remount-ro
own_socket 1 -o errors=remount-ro
python3 - "$mnt" "$IMGFSCTL" "$img" "$SPB" >"$W/trace" 2>&1 <<'PY'
import errno, os, subprocess, sys
mnt, ctl, img, spb = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def res(f, *args):
    try:
        f(*args); return "0"
    except OSError as e:
        return errno.errorcode[e.errno]
a = os.open(mnt + "/f", os.O_WRONLY)
first = int(subprocess.run(["debugfs", "-R", "bmap /f 0", img],
                           capture_output=True, text=True).stdout.split()[0])
subprocess.run([ctl, mnt, "fault", "eio", "write", str(first * spb), str(12 * spb)], check=True,
               stdout=subprocess.DEVNULL)
os.pwrite(a, b"r" * 49152, 0)
print("fsync", res(os.fsync, a))
print("fsync (retry fails)", res(os.fsync, a))
print("create", res(os.open, mnt + "/new", os.O_WRONLY | os.O_CREAT, 0o644))
print("open for writing", res(os.open, mnt + "/f", os.O_WRONLY))
print("write", res(os.pwrite, a, b"z", 0))
subprocess.run([ctl, mnt, "fault", "clear"], check=True, stdout=subprocess.DEVNULL)
print("fsync (fault gone)", res(os.fsync, a))
os.close(a)
PY
cat "$W/trace"
for want in "fsync EIO" "fsync (retry fails) EIO" "create EROFS" "open for writing EROFS" \
	    "write EROFS" "fsync (fault gone) 0"; do
	grep -qx -- "$want" "$W/trace" || fail "remount-ro: expected '$want'"
done
grep -q "errors=remount-ro" "${E2E_LOG[$mnt]}" || fail "no log line for remount-ro"
e2e_umount "$mnt"
[ "$(debugfs -R 'cat /f' "$img" 2>/dev/null | tr -d r | wc -c)" = 0 ] ||
	fail "remount-ro: what was written before did not reach the image"
case $(state) in *"with errors"*) ;; *) fail "remount-ro: state $(state)" ;; esac
repair

# --- errors=panic -------------------------------------------------------------------
rootblk=$(blk / 0)
IMGFS_FAULT_INJECTION=1 e2e_mount "$img" "$mnt" -o errors=panic
own_socket 1 -o errors=panic
"$IMGFSCTL" "$mnt" fault eio write $((rootblk * SPB)) $SPB >/dev/null || fail "fault eio write"
python3 - "$mnt" <<'PY' >"$W/trace" 2>&1
import os, sys
fd = os.open(sys.argv[1] + "/p", os.O_WRONLY | os.O_CREAT, 0o644)
try:
    os.fsync(fd)
    print("fsync 0")
except OSError as e:
    print("fsync", e.strerror)
PY
cat "$W/trace"
# The daemon stops by itself (nobody unmounts it).
pid=${E2E_PID[$mnt]}
for i in $(seq $((SAN ? 1200 : 600))); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$pid" 2>/dev/null && fail "errors=panic: the daemon did not stop"
umount_failing "$mnt"
echo "errors=panic: exit status $ST, state $(state)"
[ "$ST" = 2 ] || { cat "${E2E_LOG[$mnt]}"; fail "errors=panic: exit status $ST, not 2"; }
grep -q "errors=panic" "${E2E_LOG[$mnt]}" || fail "no log line for the panic"
debugfs -R "ls /" "$img" 2>/dev/null | grep -qw p && fail "errors=panic: p reached the image"
case $(state) in clean*) fail "errors=panic: marked clean" ;; esac
repair

e2e_finish
