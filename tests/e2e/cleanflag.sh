#!/bin/bash
# tests/e2e/cleanflag.sh - an honest clean flag (issue 9, section 4): an
# image whose state is "not clean" or has errors mounts with the kernel's
# warning and keeps that state after a read-write mount and unmount, so
# e2fsck -p still checks it; a clean image stays clean; a read-only mount
# changes nothing.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init cleanflag.sh

img=$W/img mnt=$W/mnt
e2e_image "$img" 32M

state() {
	dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Filesystem state: *//p'
}

# cycle STATE WANT-STATE WARNING [imgfs options]: set s_state, mount, write
# (unless ro), unmount, then the state must be WANT-STATE and the log say WARNING.
cycle() {
	local set=$1 want=$2 warn=$3 log
	shift 3
	debugfs -w -R "ssv state $set" "$img" >/dev/null 2>&1 || die "debugfs ssv state $set"
	e2e_mount "$img" "$mnt" "$@"
	log=${E2E_LOG[$mnt]}
	case " $* " in
	*" ro "*) ;;
	*) echo "state $set" >"$mnt/f-$set" || fail "write with state $set" ;;
	esac
	e2e_umount "$mnt"
	[ "$(state)" = "$want" ] || fail "state $set: after unmount '$(state)', want '$want'"
	if [ -n "$warn" ]; then
		grep -q "$warn" "$log" || fail "state $set: no warning '$warn' in: $(cat "$log")"
	elif grep -q 'warning: mounting' "$log"; then
		fail "state $set: warned: $(cat "$log")"
	fi
	echo "ok: state $set -> $(state)"
}

cycle 1 "clean" ""
cycle 0 "not clean" "mounting unchecked fs"
e2fsck -p "$img" >"$W/p.log" 2>&1
grep -q ': clean, ' "$W/p.log" && fail "e2fsck -p skipped a not-clean image: $(cat "$W/p.log")"
[ "$(state)" = clean ] || fail "e2fsck -p did not check: $(state)"
cycle 3 "clean with errors" "mounting fs with errors"
cycle 2 "not clean with errors" "mounting unchecked fs"
cycle 0 "not clean" "mounting unchecked fs" -o ro
e2fsck -fy "$img" >"$W/y.log" 2>&1
[ "$(state)" = clean ] || fail "e2fsck -fy left '$(state)'"
cycle 1 "clean" ""
e2e_finish
