#!/bin/bash
# tests/e2e/ctl.sh - phase 3: imgfsctl prints all five statistics of a live
# mount in the kernel's formats, through a socket that adds nothing to the
# image; direct_io sends reads through imgfs' page cache (its hit counter
# moves); SIGTERM and SIGINT to the daemon, and -f in the foreground,
# unmount with everything written back and the image clean.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init ctl.sh

img=$W/img mnt=$W/mnt
e2e_image "$img" 64M
e2e_mount "$img" "$mnt" -o mem=32M,direct_io

head -c 4M /dev/urandom >"$W/blob"
cp "$W/blob" "$mnt/blob"
cmp "$W/blob" "$mnt/blob" || fail "read back"
# direct_io: a second read of the whole file, through the same open
# file, reaches imgfs again (the kernel keeps no copy), and imgfs' page
# cache serves it: nothing is read from the device.  (pgcache_hit alone
# would not tell: bread() counts there too, for every lookup.)
e2e_reread "$mnt/blob" "$mnt" "$W/vmstat0"
"$IMGFSCTL" "$mnt" meminfo >"$W/meminfo" || fail "meminfo"
for f in MemTotal: MemFree: Cached: Dirty: HighTotal: LowTotal: Bounce:; do
	grep -q "^$f" "$W/meminfo" || fail "meminfo has no $f"
done
"$IMGFSCTL" "$mnt" buddyinfo | grep -q '^Node 0, zone *DMA' || fail "buddyinfo"
"$IMGFSCTL" "$mnt" zoneinfo | grep -q 'pages free' || fail "zoneinfo"
"$IMGFSCTL" "$mnt" slabinfo | grep -q '^fuse_node ' || fail "slabinfo has no fuse_node"
"$IMGFSCTL" "$mnt" vmstat >"$W/vmstat" || fail "vmstat"
for c in pgcache_hit pgcache_miss bounce_read bounce_write emergency_page_hit nr_emergency_pages \
	pgcache_hit_permille fuse_read blk_bounced; do
	grep -q "^$c " "$W/vmstat" || fail "vmstat has no $c"
done
delta() {
	echo $(($(awk -v c="$1" '$1 == c { print $2 }' "$W/vmstat") -
		$(awk -v c="$1" '$1 == c { print $2 }' "$W/vmstat0")))
}
[ "$(delta fuse_read_kb)" -ge 4096 ] || fail "direct_io: $(delta fuse_read_kb) KiB of 4096 reached imgfs"
[ "$(delta blk_read_kb)" = 0 ] || fail "direct_io: $(delta blk_read_kb) KiB read from the device again"
[ "$(delta pgcache_hit)" -ge 1024 ] || fail "direct_io: $(delta pgcache_hit) page cache hits for 1024 pages"
[ "$(ls -A "$mnt" | sort | tr '\n' ' ')" = "blob lost+found " ] || fail "names added: $(ls -A "$mnt")"
"$IMGFSCTL" "$W" meminfo 2>/dev/null && fail "imgfsctl on a non-imgfs directory"

# SIGTERM and SIGINT to the daemon: written back, unmounted, clean
e2e_umount "$mnt"
for sig in TERM INT; do
	E2E_DAEMON=1 e2e_mount "$img" "$mnt"
	pid=$("$IMGFSCTL" "$mnt" pid)
	head -c 2M /dev/urandom >"$W/blob2"
	cp "$W/blob2" "$mnt/blob2"
	kill -$sig "$pid"
	for i in $(seq $((300 * E2E_SCALE))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && fail "daemon alive after SIG$sig"
	mountpoint -q "$mnt" && fail "still mounted after SIG$sig"
	E2E_MOUNTS=""
	e2e_fsck "$img"
	dumpe2fs -h "$img" 2>/dev/null | grep -q '^Filesystem state: *clean$' || fail "not marked clean"
	debugfs -R "dump /blob2 $W/blob2.out" "$img" >/dev/null 2>&1
	cmp "$W/blob2" "$W/blob2.out" || fail "blob2 lost by SIG$sig"
done

# -f in the foreground, SIGHUP (a background job of a script ignores SIGINT)
"$IMGFS" -f "$img" "$mnt" &
fpid=$!
for i in $(seq $((100 * E2E_SCALE))); do mountpoint -q "$mnt" && break; sleep 0.1; done
mountpoint -q "$mnt" || fail "-f did not mount"
[ "$("$IMGFSCTL" "$mnt" pid)" = "$fpid" ] || fail "-f forked"
echo hi >"$mnt/hi"
kill -HUP "$fpid"
for i in $(seq $((300 * E2E_SCALE))); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$fpid" 2>/dev/null && { fail "-f alive after SIGHUP"; kill -9 "$fpid"; }
wait "$fpid" || fail "exit status after SIGHUP"
mountpoint -q "$mnt" && fail "still mounted after SIGHUP"
e2e_fsck "$img"
debugfs -R "cat /hi" "$img" 2>/dev/null | grep -q '^hi$' || fail "hi lost by SIGHUP"
e2e_finish
