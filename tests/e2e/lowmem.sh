#!/bin/bash
# tests/e2e/lowmem.sh - issue 10: memory pressure makes imgfs slower,
# never wrong.  On the smallest arena imgfs accepts (mem=4M), and on 8M
# and 16M: a tree copied in with cp -a, compared with diff -r, taken out
# again with tar; no caller sees an error, the daemon logs none, and the
# image is clean (e2e_finish runs e2fsck -fn: no leaked blocks).
#
# The inode cache shrinks while the kernel remembers names: after the
# kernel has looked up thousands of files, pressure leaves far fewer
# in-core inodes than nodes; an unlinked file that is still open and a
# removed directory that is still open live on through that pressure.
# /usr/include is the tree (its linux/ part under the sanitizers).
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init lowmem.sh

src=/usr/include
[ "$SAN" = 1 ] && src=/usr/include/linux
[ -d "$src" ] || { echo "no $src: skip"; exit 77; }
mnt=$W/mnt

# vmget KEY: a counter of imgfsctl vmstat on $mnt
vmget() {
	"$IMGFSCTL" "$mnt" vmstat | awk -v k="$1" '$1 == k { print $2 }'
}

# quiet CMD...: run it; fail if it fails or says anything on stderr
quiet() {
	if ! "$@" 2>"$W/err" || [ -s "$W/err" ]; then
		head -5 "$W/err" >&2
		fail "$*"
	fi
}

# Names the kernel holds do not hold the inode cache: 3000 files looked
# up, then enough data through a 4 MiB arena to push inodes out.
icache_shrinks() {
	local nodes inodes
	mkdir "$mnt/many" && (cd "$mnt/many" && touch $(seq 3000)) || fail "3000 files"
	quiet find "$mnt/many" -printf "%s\n" >/dev/null
	head -c 24M /dev/zero >"$mnt/push" && cat "$mnt/push" >/dev/null || fail "push"
	nodes=$(vmget fuse_nodes) inodes=$(vmget nr_inodes)
	echo "fuse_nodes $nodes nr_inodes $inodes"
	[ "$nodes" -ge 3000 ] || fail "the kernel holds $nodes nodes, not 3000"
	[ "$inodes" -lt $((nodes / 2)) ] || fail "$inodes in-core inodes for $nodes nodes"
	rm -rf "$mnt/many" "$mnt/push"
}

# An open unlinked file and an open removed directory outlive eviction.
unlinked_live_on() {
	local sum
	head -c 300000 /dev/urandom >"$mnt/victim" && mkdir "$mnt/gone" || fail "victims"
	sum=$(md5sum <"$mnt/victim")
	exec 3<"$mnt/victim" 4<"$mnt/gone"
	rm "$mnt/victim" && rmdir "$mnt/gone" || fail "remove victims"
	head -c 24M /dev/zero >"$mnt/push" && cat "$mnt/push" >/dev/null || fail "push"
	[ "$(md5sum </proc/self/fd/3)" = "$sum" ] || fail "the unlinked open file changed"
	quiet ls /proc/self/fd/4/
	exec 3<&- 4<&-
	rm -f "$mnt/push"
}

# cp -a in, diff -r, tar out: no error anywhere.
copy_round() {
	quiet cp -a "$src" "$mnt/tree"
	quiet diff -r --no-dereference "$src" "$mnt/tree" >"$W/diff" || head -5 "$W/diff" >&2
	mkdir -p "$W/out"
	if ! tar -C "$mnt" -cf - tree 2>"$W/err" | tar -C "$W/out" -xf - || [ -s "$W/err" ]; then
		fail "tar out"
	fi
	quiet diff -r --no-dereference "$src" "$W/out/tree" >/dev/null
	rm -rf "$W/out"
}

n=0
for mem in 4M 8M 16M; do
	n=$((n + 1))
	img=$W/img$n
	e2e_image "$img" 512M "" -b 4096
	e2e_mount "$img" "$mnt" -o mem=$mem
	echo "--- mem=$mem"
	[ $mem = 4M ] && icache_shrinks
	[ $mem = 4M ] && unlinked_live_on
	copy_round
	"$IMGFSCTL" "$mnt" vmstat | grep -E '^(pgscan|pgsteal|allocstall|pgalloc_fail|fuse_nodes|nr_inodes) '
	log=${E2E_LOG[$mnt]}
	e2e_umount "$mnt"
	if grep -i -e error -e 'cannot' "$log" >&2; then
		fail "mem=$mem: the daemon logged errors"
	fi
	e2e_fsck "$img"
	rm -f "$img"
done
e2e_finish
