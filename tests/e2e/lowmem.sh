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
# A random mix of xattr calls (thousands) gets no error either, and
# afterwards setxattr on new files still works.  Nothing past order 0
# is allocated after mount but by callers with a fallback
# (pgalloc_order_N, pgalloc_order_fallback).
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
	if ! diff -r --no-dereference "$src" "$mnt/tree" >"$W/diff" 2>&1; then
		head -5 "$W/diff" >&2
		fail "diff -r $src $mnt/tree"
	fi
	mkdir -p "$W/out"
	if ! tar -C "$mnt" -cf - tree 2>"$W/err" | tar -C "$W/out" -xf - || [ -s "$W/err" ]; then
		fail "tar out"
	fi
	quiet diff -r --no-dereference "$src" "$W/out/tree" >/dev/null
	rm -rf "$W/out"
}

# xattr_mix OPS SEED: a random mix of file and extended-attribute calls
# against a model; any error or wrong answer fails.  Then setxattr on 200
# new files: fragmentation must not have piled up into failures.
xattr_mix() {
	python3 - "$mnt/x" "$1" "$2" <<'PY' || fail "xattr mix"
import os, random, sys
d, ops, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
os.mkdir(d)
model = {}				# file -> {name: value}
for i in range(ops):
    op = rnd.randrange(10)
    if op == 0 or not model:
        f = os.path.join(d, "f%d" % rnd.randrange(200))
        with open(f, "wb") as fp:
            fp.write(os.urandom(rnd.randrange(9000)))
        model.setdefault(f, {})
        continue
    f = rnd.choice(sorted(model))
    attrs = model[f]
    if op <= 4 and len(attrs) < 3:
        name = "user.a%d" % rnd.randrange(6)
        value = os.urandom(rnd.randrange(1000))
        os.setxattr(f, name, value)
        attrs[name] = value
    elif op <= 6 and attrs:
        name = rnd.choice(sorted(attrs))
        got = os.getxattr(f, name)
        assert got == attrs[name], "%s %s: wrong value (op %d)" % (f, name, i)
    elif op == 7:
        got = sorted(os.listxattr(f))
        assert got == sorted(attrs), "%s: %s, not %s (op %d)" % (f, got, sorted(attrs), i)
    elif op == 8 and attrs:
        name = rnd.choice(sorted(attrs))
        os.removexattr(f, name)
        del attrs[name]
    elif op == 9:
        os.unlink(f)
        del model[f]
for i in range(200):
    f = os.path.join(d, "new%d" % i)
    open(f, "wb").close()
    os.setxattr(f, "user.fresh", b"v" * 100)
    assert os.getxattr(f, "user.fresh") == b"v" * 100
PY
}

ops=$([ "$SAN" = 1 ] && echo 1500 || echo 3000)
seed=${LOWMEM_SEED:-$RANDOM}
echo "xattr mix: $ops operations, LOWMEM_SEED=$seed"
n=0
for mem in 4M 8M 16M; do
	n=$((n + 1))
	img=$W/img$n
	e2e_image "$img" 512M "" -b 4096
	e2e_mount "$img" "$mnt" -o mem=$mem
	echo "--- mem=$mem"
	high0=$(e2e_high_orders "$mnt")
	[ $mem = 4M ] && icache_shrinks
	[ $mem = 4M ] && unlinked_live_on
	copy_round
	xattr_mix "$ops" "$seed"
	high=$(e2e_high_orders "$mnt")
	[ "$high" = "$high0" ] || fail "mem=$mem: $((high - high0)) blocks past order 0 without a fallback"
	"$IMGFSCTL" "$mnt" vmstat | grep -E '^(pgscan|pgsteal|allocstall|pgalloc_fail|fuse_nodes|nr_inodes|pgalloc_order_[0-9]) '
	e2e_lowmem_finish "$mnt" "$img" "$mem"
done
e2e_finish
