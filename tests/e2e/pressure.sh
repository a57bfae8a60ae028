#!/bin/bash
# tests/e2e/pressure.sh - phase 4: memory pressure.  Mounted with mem=16M
# (half of it high memory, kmap=strict so a missed kmap faults), 1 GiB (128 MiB under the
# sanitizers) is copied in and out and verified; reclaim and bouncing
# must have run (vmstat), nothing fails for lack of memory.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init pressure.sh

img=$W/img mnt=$W/mnt
mb=$([ "$SAN" = 1 ] && echo 128 || echo 1024)
e2e_image "$img" $((2 * mb + 256))M "" -b 4096
# half of the 16 MiB is high memory: file pages bounce on their way to the device
e2e_mount "$img" "$mnt" -o mem=16M,lowmem=8M,kmap=strict

head -c $((mb / 4))M /dev/urandom >"$W/part"
sum=$(for i in 1 2 3 4; do cat "$W/part"; done | md5sum)
for i in 1 2 3 4; do cat "$W/part"; done >"$mnt/big" || fail "write ${mb}M"
rm -f "$W/part"
sync -f "$mnt"
"$IMGFSCTL" "$mnt" vmstat >"$W/vmstat1"
[ "$(md5sum <"$mnt/big")" = "$sum" ] || fail "read back ${mb}M"
cp "$mnt/big" "$W/out" && [ "$(md5sum <"$W/out")" = "$sum" ] || fail "copy out"
cp "$W/out" "$mnt/big2" && rm -f "$W/out"
"$IMGFSCTL" "$mnt" vmstat >"$W/vmstat2"
"$IMGFSCTL" "$mnt" meminfo
grep -E '^(pgsteal|pgscan|kswapd_wakeup|bounce_write|bounce_read|emergency_page_hit|allocstall|pgcache_hit_permille) ' "$W/vmstat2"
[ "$(awk '$1 == "pgsteal" { print $2 }' "$W/vmstat2")" -gt 0 ] || fail "no reclaim under mem=16M"
[ "$(awk '$1 == "bounce_write" { print $2 }' "$W/vmstat2")" -gt 0 ] || fail "no bounced writes"
e2e_umount "$mnt"
e2e_fsck "$img"
# the kernel's view of the second copy
if [ "$(id -u)" = 0 ] && [ -e /dev/loop-control ] && mkdir -p "$W/kmnt" &&
	mount -t ext2 -o loop,ro "$img" "$W/kmnt" 2>/dev/null; then
	[ "$(md5sum <"$W/kmnt/big2")" = "$sum" ] || fail "kernel reads another big2"
	umount "$W/kmnt"
fi
e2e_finish
