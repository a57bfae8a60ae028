#!/bin/bash
# tests/e2e/umount.sh - imgfs -u MOUNTPOINT (issue 9, section 4) returns
# only once the image is final: the daemon has written everything back,
# marked the image clean and exited, and its exit status is imgfs -u's.
# A busy mount stays mounted and served (non-zero status); a daemon that
# dies before it reports a status is a failure, never a success; a
# directory that is no imgfs mount is refused.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init umount.sh

img=$W/img mnt=$W/mnt
mkdir -p "$mnt"
e2e_image "$img" 512M "" -b 4096
E2E_IMAGES=$img
mb=200
[ "$SAN" = 1 ] && mb=64
head -c "${mb}M" /dev/urandom >"$W/data"

# Running: the process is there and no zombie (init reaps those in its time).
running() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

"$IMGFS" -u "$W" 2>"$W/err" && fail "imgfs -u on a directory that is no mount"
grep -q '^imgfs: .*not .*imgfs mount' "$W/err" || fail "message: $(cat "$W/err")"

# Unwritten data at unmount: imgfs -u waits for the write-back.
"$IMGFS" -o mem=512M "$img" "$mnt" || die "mount"
pid=$("$IMGFSCTL" "$mnt" pid) || die "imgfsctl pid"
cp "$W/data" "$mnt/data" || fail "cp"
"$IMGFS" -u "$mnt" 2>"$W/err"
st=$?
running "$pid" && fail "the daemon ($pid) still runs after imgfs -u returned"
[ $st = 0 ] || fail "imgfs -u: status $st: $(cat "$W/err")"
e2e_is_mounted "$mnt" && fail "still mounted after imgfs -u"
dumpe2fs -h "$img" 2>/dev/null | grep -q '^Filesystem state: *clean$' ||
	fail "not clean when imgfs -u returned"
debugfs -R "dump /data $W/data.out" "$img" >/dev/null 2>&1
cmp "$W/data" "$W/data.out" || fail "the data are not all on the image"
e2e_fsck "$img"

# A busy mount: the unmount fails, the daemon goes on serving.
"$IMGFS" "$img" "$mnt" || die "mount"
E2E_MOUNTS="$E2E_MOUNTS $mnt"
pid=$("$IMGFSCTL" "$mnt" pid) || die "imgfsctl pid"
exec 3<"$mnt/data"
"$IMGFS" -u "$mnt" 2>"$W/err" && fail "imgfs -u of a busy mount succeeded"
echo "ok: busy -> $(cat "$W/err")"
running "$pid" || fail "the daemon of a busy mount exited"
cmp - "$W/data" <&3 || fail "a busy mount stopped serving"
exec 3<&-
"$IMGFS" -u "$mnt" || fail "imgfs -u once no longer busy"
running "$pid" && fail "the daemon still runs"

# A daemon that dies without a status: imgfs -u reports a failure.
"$IMGFS" "$img" "$mnt" || die "mount"
E2E_MOUNTS="$E2E_MOUNTS $mnt"
pid=$("$IMGFSCTL" "$mnt" pid) || die "imgfsctl pid"
kill -STOP "$pid"
"$IMGFS" -u "$mnt" 2>"$W/err" &
upid=$!
sleep 1		# imgfs -u connects and waits; the outcome is the same if not yet
kill -KILL "$pid"
wait "$upid" && fail "imgfs -u succeeded though the daemon was killed"
echo "ok: killed -> $(cat "$W/err")"
[ "$(wc -l <"$W/err")" = 1 ] || fail "not one line: $(cat "$W/err")"
fusermount3 -u -z "$mnt" 2>/dev/null
E2E_MOUNTS=""
e2fsck -fy "$img" >"$W/fsck-y.log" 2>&1
e2e_finish
