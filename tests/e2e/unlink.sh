#!/bin/bash
# tests/e2e/unlink.sh - deleting a file that no descriptor has open frees
# its blocks at once (issue 9, section 4), even though the kernel may still
# hold a lookup of its inode: a file as large as the first fits right after
# rm.  A file open when it is unlinked keeps its data until its last close,
# then gives the blocks back.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init unlink.sh

img=$W/img mnt=$W/mnt
e2e_image "$img" 64M "" -b 4096
e2e_mount "$img" "$mnt"

# 80% of what is free, in MiB
free_kb=$(( $(stat -f -c '%f * %S' "$mnt") / 1024 ))
mb=$(( free_kb * 8 / 10 / 1024 ))
head -c "${mb}M" /dev/urandom >"$W/data"

fill() {	# fill NAME: write $W/data to the mount, fsync'd; 0 or fail
	dd if="$W/data" of="$mnt/$1" bs=1M conv=fsync status=none 2>"$W/dd.err"
}

# rm, then at once one request for all those blocks (fallocate), and a write
for round in 1 2 3 4 5; do
	fill big || fail "round $round: first write: $(cat "$W/dd.err")"
	rm "$mnt/big"
	fallocate -l "${mb}M" "$mnt/again" 2>"$W/fa.err" ||
		fail "round $round: fallocate right after rm: $(cat "$W/fa.err")"
	rm "$mnt/again"
	fill big || fail "round $round: write right after rm: $(cat "$W/dd.err")"
	rm "$mnt/big"
done

# The kernel holds the inode (an O_PATH descriptor: a reference that opens
# nothing, so imgfs sees only the lookup, as with the kernel's own caches)
# while the file is unlinked: the blocks are free at once all the same.
hold() {	# hold FILE: an O_PATH descriptor on it in a helper process
	coproc HOLD { perl -e 'sysopen(F, $ARGV[0], 010000000) or die "O_PATH: $!\n";
		$| = 1; print "held\n"; <STDIN>;' "$1"; }
	read -r -u "${HOLD[0]}" held
	[ "$held" = held ] || fail "no O_PATH hold on $1"
}
unhold() {
	exec {HOLD[1]}>&-
	wait "$HOLD_PID"
}
room() {	# room WHAT: a file as large as the first fits, at once
	fallocate -l "${mb}M" "$mnt/again" 2>"$W/fa.err" || fail "$1: $(cat "$W/fa.err")"
	rm -f "$mnt/again"
}

fill big || fail "O_PATH: first write: $(cat "$W/dd.err")"
hold "$mnt/big"
rm "$mnt/big"
room "rm while the kernel holds the inode"
unhold

# the same for a rename over the file
fill big || fail "rename: first write: $(cat "$W/dd.err")"
echo small >"$mnt/small"
hold "$mnt/big"
mv "$mnt/small" "$mnt/big"
room "rename over a file the kernel holds"
[ "$(cat "$mnt/big")" = small ] || fail "rename: contents"
unhold
rm "$mnt/big"

# open, unlinked: its data stay (no room for another copy) until the last
# close, which frees them though the kernel still holds the inode
fill big || fail "open-unlinked: first write: $(cat "$W/dd.err")"
hold "$mnt/big"
exec 3<"$mnt/big"
rm "$mnt/big"
fill other && fail "a second copy fit while the unlinked file is open"
rm -f "$mnt/other"
cmp - "$W/data" <&3 || fail "the open unlinked file's data changed"
exec 3<&-
# The kernel sends RELEASE after close returns: wait for the space itself.
for i in $(seq 600); do
	[ $(( $(stat -f -c '%f * %S' "$mnt") / 1048576 )) -gt "$mb" ] && break
	sleep 0.1
done
room "the last close of an unlinked file the kernel holds"
unhold
fill big || fail "write after the last close: $(cat "$W/dd.err")"
cmp "$mnt/big" "$W/data" || fail "read back"
rm "$mnt/big"
e2e_umount "$mnt"
e2e_finish
