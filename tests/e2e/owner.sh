#!/bin/bash
# tests/e2e/owner.sh - one owner per image (issue 9, section 1): a
# read-write mount holds its image exclusively and a read-only one holds it
# shared, so every second mount that could lose data (rw+rw, rw then ro,
# ro then rw) is refused before anything is mounted, with one line that
# says the image is in use and by which process; two read-only mounts
# both work; mkimg refuses to write over an image in use; the hold goes
# with the daemon.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init owner.sh

img=$W/img a=$W/a b=$W/b
e2e_image "$img" 32M
mkdir -p "$a" "$b"

# expect_busy WHAT HOLDER-PID imgfs-options...: a second mount of $img on $b
expect_busy() {
	local what=$1 holder=$2 st
	shift 2
	"$IMGFS" "$@" "$img" "$b" 2>"$W/err"
	st=$?
	if [ $st = 0 ]; then
		fail "$what: the second mount succeeded"
		E2E_MOUNTS="$E2E_MOUNTS $b"
		e2e_umount "$b"
		return
	fi
	[ $st = 1 ] || fail "$what: exit status $st"
	[ "$(wc -l <"$W/err")" = 1 ] || fail "$what: not one line: $(cat "$W/err")"
	grep -q '^imgfs: .*in use' "$W/err" || fail "$what: message '$(cat "$W/err")'"
	grep -q "process $holder\b" "$W/err" || fail "$what: holder $holder not named: $(cat "$W/err")"
	e2e_is_mounted "$b" && fail "$what: $b mounted anyway"
	echo "ok: $what -> $(cat "$W/err")"
}

# read-write holder: a second rw, a ro, and mkimg are refused
e2e_mount "$img" "$a"
pid=${E2E_PID[$a]}
for i in $(seq 50); do echo "first $i" >"$a/first-$i"; done
expect_busy "rw while rw" "$pid"
expect_busy "ro while rw" "$pid" -o ro
"$MKIMG" -q "$img" 32M 2>"$W/err" && fail "mkimg over an image mounted rw"
grep -q "in use.*process $pid\b" "$W/err" || fail "mkimg message: $(cat "$W/err")"
[ "$(wc -l <"$W/err")" = 1 ] || fail "mkimg: not one line: $(cat "$W/err")"
ls "$W" | grep -q 'mkimg-' && fail "mkimg left a temporary file"
[ "$(cat "$a/first-50")" = "first 50" ] || fail "the mount lost its files"
e2e_umount "$a"
for i in 1 25 50; do
	debugfs -R "cat /first-$i" "$img" 2>/dev/null | grep -qx "first $i" || fail "first-$i lost"
done

# read-only holder: a rw mount and mkimg are refused, a second ro works
e2e_mount "$img" "$a" -o ro
pid=${E2E_PID[$a]}
expect_busy "rw while ro" "$pid"
"$MKIMG" -q "$img" 32M 2>"$W/err" && fail "mkimg over an image mounted ro"
grep -q "in use" "$W/err" || fail "mkimg message: $(cat "$W/err")"
e2e_mount "$img" "$b" -o ro
[ "$(cat "$b/first-7")" = "first 7" ] || fail "second ro mount reads"
[ "$(ls "$a" | wc -l)" = "$(ls "$b" | wc -l)" ] || fail "the ro mounts disagree"
e2e_umount "$b"
e2e_umount "$a"

# the hold goes with the daemon: rw again, then mkimg
e2e_mount "$img" "$a"
[ "$(cat "$a/first-50")" = "first 50" ] || fail "remount reads"
e2e_umount "$a"
e2e_fsck "$img"
"$MKIMG" -q "$img" 16M || fail "mkimg over an image no longer in use"
e2e_finish
