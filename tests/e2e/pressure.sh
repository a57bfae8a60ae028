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
# The host kernel's page cache still holds what was written: drop the
# file from it (fadvise DONTNEED), or imgfs would see none of the reads.
uncache() { dd if="$1" iflag=nocache count=0 status=none || fail "uncache $1"; }
uncache "$mnt/big"
[ "$(md5sum <"$mnt/big")" = "$sum" ] || fail "read back ${mb}M"
uncache "$mnt/big"
cp "$mnt/big" "$W/out" && [ "$(md5sum <"$W/out")" = "$sum" ] || fail "copy out"
cp "$W/out" "$mnt/big2" && rm -f "$W/out"
"$IMGFSCTL" "$mnt" vmstat >"$W/vmstat2"
"$IMGFSCTL" "$mnt" meminfo
grep -E '^(pgsteal|pgscan|kswapd_wakeup|bounce_write|bounce_read|emergency_page_hit|allocstall|pgcache_hit_permille|fuse_read_kb|blk_read_kb) ' "$W/vmstat2"
# what moved between the snapshots: reading ${mb}M back twice and writing
# it once more on a 16M arena must reclaim, read the device, bounce
delta() {
	echo $(($(awk -v c="$1" '$1 == c { print $2 }' "$W/vmstat2") -
		$(awk -v c="$1" '$1 == c { print $2 }' "$W/vmstat1")))
}
[ "$(awk '$1 == "bounce_write" { print $2 }' "$W/vmstat1")" -gt 0 ] || fail "no bounced writes"
[ "$(delta pgsteal)" -gt 0 ] || fail "no reclaim under mem=16M while reading back"
[ "$(delta fuse_read_kb)" -ge $((2 * mb * 1024)) ] ||
	fail "imgfs served $(delta fuse_read_kb) KiB of reads, 2x${mb}M were read"
[ "$(delta blk_read_kb)" -ge $((2 * (mb - 16) * 1024)) ] ||
	fail "$(delta blk_read_kb) KiB read from the device for 2x${mb}M on a 16M arena"
[ "$(delta bounce_read)" -gt 0 ] || fail "no bounced reads"
[ "$(delta bounce_write)" -gt 0 ] || fail "no bounced writes of the second copy"
e2e_umount "$mnt"
e2e_fsck "$img"
# the kernel's view of the second copy
if [ "$(id -u)" = 0 ] && [ -e /dev/loop-control ] && mkdir -p "$W/kmnt" &&
	mount -t ext2 -o loop,ro "$img" "$W/kmnt" 2>/dev/null; then
	[ "$(md5sum <"$W/kmnt/big2")" = "$sum" ] || fail "kernel reads another big2"
	umount "$W/kmnt"
fi
e2e_finish
