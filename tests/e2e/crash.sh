#!/bin/bash
# tests/e2e/crash.sh - what survives a killed daemon (README, "Durability"):
# SIGKILL of imgfs, fusermount3 -u -z of the dead mount, e2fsck -fy (which
# must leave an image that a second e2fsck -fn calls clean), then a fresh
# mount must show
#   - every file fsynced before the kill, with its contents, also in new
#     directories where only the file was fsynced, and every rename made
#     durable by fsync of its directory;
#   - every file and directory last changed more than the flusher's age
#     plus its period before the kill.
# Kill points: right after fsync; while a large file is being written
# back and files are being created; after idling past the age.  One case
# runs at the real default ages (30 s, every 5 s: the issue's scenario,
# killed 45 s after the last change) while the others, with
# dirty_expire=1,dirty_writeback=0.2, run beside it.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init crash.sh

SHORT="-o dirty_expire=1,dirty_writeback=0.2"
# Past the short age and period, with room for a slow (sanitizer) build.
SETTLE=$((SAN ? 20 : 6))

# crash MNT: SIGKILL its daemon, then lazily unmount the dead mount.  What
# a sanitizer reported before the kill still counts.
crash() {
	local mnt=$1 pid=${E2E_PID[$1]} m rest=""
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	unset "E2E_PID[$mnt]"
	if grep -q -e 'Sanitizer' -e 'runtime error' "${E2E_LOG[$mnt]}"; then
		cat "${E2E_LOG[$mnt]}" >&2
		fail "imgfs on $mnt: sanitizer report"
	fi
	for m in $E2E_MOUNTS; do
		[ "$m" = "$mnt" ] || rest="$rest $m"
	done
	E2E_MOUNTS=$rest
	fusermount3 -u -z "$mnt" || fail "fusermount3 -u -z $mnt"
}

# repair IMG: e2fsck -fy may fix things (a crash leaves the image "not
# clean", and e.g. preallocated blocks marked in use); after it, -fn must
# find nothing.
repair() {
	local img=$1 st
	e2fsck -fy "$img" >"$W/fsck-y.log" 2>&1
	st=$?
	if [ $st -ge 4 ]; then
		cat "$W/fsck-y.log" >&2
		fail "e2fsck -fy $img: status $st"
	fi
	if ! e2fsck -fn "$img" >"$W/fsck-n.log" 2>&1; then
		cat "$W/fsck-y.log" "$W/fsck-n.log" >&2
		fail "e2fsck -fn $img after e2fsck -fy"
	fi
}

# put MNT PATH BYTES MANIFEST: a file of random bytes, recorded.
put() {
	local mnt=$1 path=$2 bytes=$3 manifest=$4
	head -c "$bytes" /dev/urandom >"$W/blob"
	cp "$W/blob" "$mnt/$path" || fail "write $path"
	echo "f $path $(md5sum <"$W/blob" | cut -d' ' -f1)" >>"$manifest"
}

# expect IMG MANIFEST WHAT: a fresh mount shows every entry ("d PATH" or
# "f PATH MD5") of MANIFEST.
expect() {
	local img=$1 manifest=$2 what=$3 mnt=$W/verify kind path sum
	e2e_mount "$img" "$mnt"
	while read -r kind path sum; do
		if [ "$kind" = d ]; then
			[ -d "$mnt/$path" ] || fail "$what: directory $path lost"
		elif [ ! -f "$mnt/$path" ]; then
			fail "$what: $path lost"
		elif [ "$(md5sum <"$mnt/$path" | cut -d' ' -f1)" != "$sum" ]; then
			fail "$what: $path has other contents"
		fi
	done <"$manifest"
	e2e_umount "$mnt"
}

now() { date +%s; }

# ---- the default ages: the issue's scenario, idle 45 s, then the kill ------
def_img=$W/default.img def_mnt=$W/default def_list=$W/default.list
: >"$def_list"
e2e_image "$def_img" 64M
e2e_mount "$def_img" "$def_mnt"
mkdir "$def_mnt/d" && echo "d d" >>"$def_list"
put "$def_mnt" d/f 2 "$def_list"
put "$def_mnt" g 2 "$def_list"
mkdir -p "$def_mnt/n1/n2" && echo "d n1/n2" >>"$def_list"
put "$def_mnt" n1/n2/only-fsynced 5000 "$def_list"	# fsync, then idle too
sync "$def_mnt/n1/n2/only-fsynced" || fail "fsync n1/n2/only-fsynced"
def_since=$(now)

# ---- right after fsync ---------------------------------------------------
img=$W/fsync.img mnt=$W/fsync list=$W/fsync.list
: >"$list"
e2e_image "$img" 64M
e2e_mount "$img" "$mnt" $SHORT
mkdir -p "$mnt/new/deeper/still"
put "$mnt" new/deeper/still/file 70000 "$list"
sync "$mnt/new/deeper/still/file" || fail "fsync file"
# write a temporary, fsync it, rename it over the old, fsync the directory
put "$mnt" new/config 100 "$W/old.list"
sync "$mnt/new/config" || fail "fsync config"
put "$mnt" new/config.tmp 120 "$W/tmp.list"
sync "$mnt/new/config.tmp" || fail "fsync config.tmp"
mv "$mnt/new/config.tmp" "$mnt/new/config" || fail "rename config"
sync "$mnt/new" || fail "fsync new/"
sed 's|config.tmp|config|' "$W/tmp.list" >>"$list"
crash "$mnt"
repair "$img"
expect "$img" "$list" "right after fsync"

# ---- mid write-back: a large file going out, files being made ------------
img=$W/mid.img mnt=$W/mid list=$W/mid.list
: >"$list"
e2e_image "$img" 256M
e2e_mount "$img" "$mnt" $SHORT
mkdir -p "$mnt/old/sub" && echo "d old/sub" >>"$list"
for i in 1 2 3 4 5; do
	put "$mnt" "old/sub/f$i" $((i * 3000)) "$list"
done
put "$mnt" old/fsynced 200000 "$list"
sync "$mnt/old/fsynced" || fail "fsync old/fsynced"
sleep "$SETTLE"				# old/ is older than the age now
mkdir "$mnt/busy"
head -c $((SAN ? 24 : 96))M /dev/urandom >"$mnt/big" || fail "write big"
sync "$mnt/big" 2>/dev/null &
syncer=$!
(i=0; while echo "$i" >"$mnt/busy/$i"; do i=$((i + 1)); done) 2>/dev/null &
maker=$!
sleep 0.5
crash "$mnt"
wait "$syncer" "$maker" 2>/dev/null
repair "$img"
expect "$img" "$list" "mid write-back"

# ---- idle past the age -------------------------------------------------------
img=$W/idle.img mnt=$W/idle list=$W/idle.list
: >"$list"
e2e_image "$img" 64M
e2e_mount "$img" "$mnt" $SHORT
mkdir -p "$mnt/d/e" && echo "d d/e" >>"$list"
put "$mnt" d/f 2 "$list"
put "$mnt" g 2 "$list"
ln -s d/f "$mnt/link"
put "$mnt" d/e/renamed-later 3000 "$list"
mv "$mnt/d/e/renamed-later" "$mnt/moved" && sed -i 's|d/e/renamed-later|moved|' "$list"
sleep "$SETTLE"
crash "$mnt"
repair "$img"
expect "$img" "$list" "idle past the age"
e2e_mount "$img" "$mnt"
[ "$(readlink "$mnt/link")" = d/f ] || fail "idle past the age: symlink lost"
e2e_umount "$mnt"

# ---- back to the default ages ---------------------------------------------
left=$((def_since + 45 - $(now)))
[ $left -gt 0 ] && sleep $left
crash "$def_mnt"
repair "$def_img"
expect "$def_img" "$def_list" "idle 45 s at the default ages"

e2e_finish
