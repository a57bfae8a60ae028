#!/bin/sh
# tests/fs/mkimg.sh - mkimg end to end without the kernel: images of a
# tree at block sizes 1024/2048/4096 that e2fsck -fn finds clean and
# debugfs reads back; byte-for-byte reproducibility with
# SOURCE_DATE_EPOCH; and every error (bad option, size too small or too
# large, unreadable source, a tree that does not fit) exits non-zero
# with a message and leaves no image behind.
set -u
srcdir=${srcdir:-.}
MKIMG=${MKIMG:-./tools/mkimg/mkimg}
. "$srcdir/tests/fs/mkimg_tree.sh"

command -v e2fsck >/dev/null 2>&1 || { echo "e2fsck missing: skip"; exit 77; }
work=$(mktemp -d ./tmp-mkimg-XXXXXX) || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
fail=0
bad() { echo "FAIL: $*"; fail=1; }

make_tree "$work/src"

for bs in 1024 2048 4096; do
	img=$work/img-$bs
	"$MKIMG" -q -b "$bs" -L "label$bs" -d "$work/src" "$img" 64M || bad "mkimg -b $bs"
	e2fsck -fn "$img" >"$work/fsck.log" 2>&1 || { cat "$work/fsck.log"; bad "e2fsck -b $bs"; }
	debugfs -R 'cat /dir/sub/dind' "$img" 2>/dev/null | cmp -s - "$work/src/dir/sub/dind" ||
		bad "debugfs cat dind ($bs)"
	debugfs -R 'cat /small' "$img" 2>/dev/null | cmp -s - "$work/src/small" ||
		bad "debugfs cat small ($bs)"
	debugfs -R 'stat /dir/indirect' "$img" 2>/dev/null | grep -q 'Mode:  04755' ||
		bad "debugfs mode of dir/indirect ($bs)"
	debugfs -R 'stat /small' "$img" 2>/dev/null | grep -q 'Links: 3' ||
		bad "hard links ($bs)"
	dumpe2fs -h "$img" 2>/dev/null | grep -q 'features:.*filetype.*sparse_super.*large_file' ||
		bad "features ($bs)"
	dumpe2fs -h "$img" 2>/dev/null | grep -q "Block size:[[:space:]]*$bs" || bad "block size $bs"
	dumpe2fs -h "$img" 2>/dev/null | grep -q "volume name:[[:space:]]*label$bs" || bad "label ($bs)"
	blocks=$(debugfs -R 'stat /all-hole' "$img" 2>/dev/null | sed -n 's/.*Blockcount: \([0-9]*\).*/\1/p')
	[ "$blocks" = 0 ] || bad "a file of holes took $blocks sectors ($bs)"
done

# -N, -i, -m, -U, -I
"$MKIMG" -q -N 5000 -m 10 -I 128 -U 01234567-89ab-cdef-0123-456789abcdef "$work/opts" 32M ||
	bad "mkimg with options"
dumpe2fs -h "$work/opts" 2>/dev/null >"$work/opts.h"
grep -q 'UUID:[[:space:]]*01234567-89ab-cdef-0123-456789abcdef' "$work/opts.h" || bad "-U"
grep -q 'Inode size:[[:space:]]*128' "$work/opts.h" || bad "-I"
inodes=$(sed -n 's/^Inode count:[[:space:]]*//p' "$work/opts.h")
[ "$inodes" -ge 5000 ] && [ "$inodes" -lt 6000 ] || bad "-N gave $inodes"
e2fsck -fn "$work/opts" >/dev/null 2>&1 || bad "e2fsck options image"

# reproducibility
SOURCE_DATE_EPOCH=1600000000 "$MKIMG" -q -d "$work/src" "$work/r1" 48M || bad "repro 1"
sleep 1
cat "$work/src/small" >/dev/null
SOURCE_DATE_EPOCH=1600000000 "$MKIMG" -q -d "$work/src" "$work/r2" 48M || bad "repro 2"
cmp -s "$work/r1" "$work/r2" || bad "SOURCE_DATE_EPOCH images differ"

# errors: non-zero, a message, nothing left behind
expect_fail() {
	what=$1
	shift
	rm -f "$work/err-img"
	if "$MKIMG" "$@" >"$work/err.out" 2>&1; then
		bad "$what: succeeded"
	elif ! grep -q . "$work/err.out"; then
		bad "$what: no message"
	fi
	ls "$work" | grep -q '^err-img' && bad "$what: left $(ls "$work" | grep '^err-img')"
}
mkdir -p "$work/toobig"
head -c 3000000 /dev/urandom > "$work/toobig/f"
expect_fail "size too small" "$work/err-img" 20K
expect_fail "size too large" -b 1024 "$work/err-img" 8T
expect_fail "bad size" "$work/err-img" 12Q
expect_fail "bad block size" -b 3000 "$work/err-img" 8M
expect_fail "unknown option" -Z "$work/err-img" 8M
expect_fail "missing size" "$work/err-img"
expect_fail "unreadable source" -d "$work/no-such-dir" "$work/err-img" 8M
expect_fail "tree does not fit" -d "$work/toobig" "$work/err-img" 1M
expect_fail "too many inodes asked" -N 99999999999 "$work/err-img" 8M
mkdir -p "$work/unreadable/sub"
: > "$work/unreadable/sub/f"
if [ "$(id -u)" != 0 ]; then
	chmod 000 "$work/unreadable/sub"
	expect_fail "unreadable file in source" -d "$work/unreadable" "$work/err-img" 8M
	chmod 755 "$work/unreadable/sub"
fi

[ $fail = 0 ] && echo "mkimg.sh: all passed"
exit $fail
