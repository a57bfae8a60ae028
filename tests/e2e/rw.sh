#!/bin/bash
# tests/e2e/rw.sh - phase 2: ordinary tools on a read-write mount.  cp -a in
# and out, a tar round trip, find and du, O_TRUNC, hard and symbolic
# links, rename over files and directories (and RENAME_NOREPLACE /
# RENAME_EXCHANGE), chmod/chown/utimens to the nanosecond, xattrs, long
# names, statfs against df; then e2fsck -fn and the kernel's ext2 sees the
# tree imgfs showed.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init rw.sh

src=$W/src img=$W/img mnt=$W/mnt
mkdir -p "$src" "$mnt"
e2e_make_tree "$src"
e2e_image "$img" 256M "" -b 4096 -I 256
e2e_mount "$img" "$mnt"

# cp -a in and out
cp -a "$src" "$mnt/copy" || fail "cp -a in"
e2e_listing "$src" >"$W/want"
e2e_listing "$mnt/copy" >"$W/got"
diff "$W/want" "$W/got" >"$W/diff" || { head -20 "$W/diff"; fail "listing after cp -a in"; }
cp -a "$mnt/copy" "$W/out" || fail "cp -a out"
diff -r -x fifo -x null --no-dereference "$src" "$W/out" >/dev/null || fail "diff -r out"

# tar round trip
(cd "$src" && tar cf - .) | (mkdir -p "$mnt/tar" && cd "$mnt/tar" && tar xpf -) || fail "tar x"
(cd "$mnt/tar" && tar cf - .) | (mkdir -p "$W/untar" && cd "$W/untar" && tar xpf -) || fail "tar c"
diff -r -x fifo -x null --no-dereference "$src" "$W/untar" >/dev/null || fail "tar round trip"

# find and du
[ "$(cd "$src" && find . | wc -l)" = "$(cd "$mnt/copy" && find . | wc -l)" ] || fail "find count"
du -s "$mnt/copy" >/dev/null || fail "du"
# du's apparent size of the files (directories' sizes are the host's and
# the image's own business): the same on both sides
du_files() {
	echo $(($(du -s --apparent-size -B1 "$1" | cut -f1) -
		$(find "$1" -type d -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')))
}
du_a=$(du_files "$mnt/copy/dir")
du_b=$(du_files "$src/dir")
[ "$du_a" -gt 3000000 ] && [ "$du_a" = "$du_b" ] || fail "du apparent size $du_a, source $du_b"

# O_TRUNC, appends, overwrite in the middle
printf 'a long first version of the file\n' >"$mnt/t"
printf 'short\n' >"$mnt/t"
[ "$(cat "$mnt/t")" = short ] || fail "O_TRUNC: $(cat "$mnt/t")"
printf 'more\n' >>"$mnt/t"
[ "$(cat "$mnt/t")" = "$(printf 'short\nmore')" ] || fail "append"
printf 'XY' | dd of="$mnt/t" bs=1 seek=1 conv=notrunc 2>/dev/null
[ "$(head -1 "$mnt/t")" = sXYrt ] || fail "overwrite"

# links and renames
ln "$mnt/t" "$mnt/t-link" || fail "link"
[ "$(stat -c %h "$mnt/t")" = 2 ] || fail "nlink after link"
rm "$mnt/t-link"
[ "$(stat -c %h "$mnt/t")" = 1 ] || fail "nlink after unlink"
ln -s t "$mnt/t-sym" && [ "$(cat "$mnt/t-sym")" = "$(cat "$mnt/t")" ] || fail "symlink"
echo one >"$mnt/r1"; echo two >"$mnt/r2"
mv -f "$mnt/r1" "$mnt/r2" && [ "$(cat "$mnt/r2")" = one ] && [ ! -e "$mnt/r1" ] ||
	fail "rename over a file"
mkdir -p "$mnt/d1/x" "$mnt/d2"
mv -T "$mnt/d1" "$mnt/d2" && [ -d "$mnt/d2/x" ] && [ ! -e "$mnt/d1" ] ||
	fail "rename over an empty directory"
mkdir -p "$mnt/d3" "$mnt/d4/y"
mv -T "$mnt/d3" "$mnt/d4" 2>/dev/null && fail "rename over a non-empty directory"
mv "$mnt/d4/y" "$mnt/d2/x/" && [ -d "$mnt/d2/x/y" ] || fail "rename across directories"
mv "$mnt/d2" "$mnt/d2/x/y/" 2>/dev/null && fail "rename into own subdirectory"
echo A >"$mnt/ea"; echo B >"$mnt/eb"
python3 - "$mnt/ea" "$mnt/eb" <<'PY' || fail "renameat2"
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT = -100
def rn(a, b, flags):
    r = libc.renameat2(AT, a.encode(), AT, b.encode(), flags)
    return 0 if r == 0 else ctypes.get_errno()
a, b = sys.argv[1], sys.argv[2]
assert rn(a, b, 1) == errno.EEXIST, "NOREPLACE over an existing name"
assert rn(a, b, 2) == 0, "EXCHANGE"
assert open(a).read() == "B\n" and open(b).read() == "A\n", "exchanged contents"
assert rn(a, b + ".new", 1) == 0, "NOREPLACE to a new name"
PY

# attributes: chmod, chown, utimens with nanoseconds, UTIME_NOW/OMIT
chmod 741 "$mnt/t" && [ "$(stat -c %a "$mnt/t")" = 741 ] || fail "chmod"
chown 321:654 "$mnt/t" && [ "$(stat -c %u:%g "$mnt/t")" = 321:654 ] || fail "chown"
# (times given and read in UTC: the host's time zone is no business here)
touch -m -d '2020-05-06 07:08:09.123456789 +0000' "$mnt/t"
[ "$(TZ=UTC0 stat -c %y "$mnt/t")" = "2020-05-06 07:08:09.123456789 +0000" ] ||
	fail "mtime with ns: $(TZ=UTC0 stat -c %y "$mnt/t")"
touch -a -d '2011-01-01 00:00:00.5 +0000' "$mnt/t"
[ "$(stat -c %X.%Y "$mnt/t")" = "1293840000.$(date -d '2020-05-06 07:08:09 +0000' +%s)" ] ||
	fail "atime or UTIME_OMIT'd mtime: $(stat -c %X.%Y "$mnt/t")"
before=$(date +%s); touch "$mnt/t"
[ "$(stat -c %Y "$mnt/t")" -ge "$before" ] || fail "UTIME_NOW"

# xattrs
python3 - "$mnt/t" <<'PY' || fail "xattrs"
import errno, os, sys
p = sys.argv[1]
os.setxattr(p, "user.colour", b"blue")
os.setxattr(p, "user.big", b"x" * 1000)
assert os.getxattr(p, "user.colour") == b"blue"
assert sorted(os.listxattr(p)) == ["user.big", "user.colour"], os.listxattr(p)
try:
    os.setxattr(p, "user.colour", b"red", os.XATTR_CREATE); raise SystemExit("XATTR_CREATE")
except OSError as e:
    assert e.errno == errno.EEXIST
os.removexattr(p, "user.big")
try:
    os.getxattr(p, "user.big"); raise SystemExit("removed xattr still there")
except OSError as e:
    assert e.errno == errno.ENODATA
PY

# names: 255 bytes fine, 256 refused
n255=$(printf 'n%.0s' $(seq 255)); n256=${n255}x
touch "$mnt/$n255" || fail "255-byte name"
touch "$mnt/$n256" 2>"$W/err" && fail "256-byte name accepted"
grep -q 'too long' "$W/err" || fail "256-byte name: $(cat "$W/err")"
rm -f "$mnt/$n255"

# unlinked but open: the data stays until the last close
exec 9<"$mnt/copy/dir/sub/dind"
rm "$mnt/copy/dir/sub/dind"
cmp - "$src/dir/sub/dind" <&9 || fail "open unlinked file"
exec 9<&-

# rmdir of non-empty refused, of empty fine
rmdir "$mnt/copy/dir" 2>/dev/null && fail "rmdir non-empty"
rmdir "$mnt/copy/empty-dir" || fail "rmdir empty"

# fsync through the file: data on the image before it returns
head -c 1M /dev/urandom >"$W/blob"
dd if="$W/blob" of="$mnt/synced" bs=64k conv=fsync 2>/dev/null || fail "dd conv=fsync"
# read from the image itself, by inode number (fsync promises the file's
# data, inode and indirect blocks, not its directory entry)
debugfs -R "cat <$(stat -c %i "$mnt/synced")>" "$img" 2>/dev/null | cmp - "$W/blob" ||
	fail "fsync'd file not on the image"
cmp "$W/blob" "$mnt/synced" || fail "fsync'd file"

e2e_listing "$mnt" >"$W/want"

# statfs against df
set -- $(stat -f -c '%S %b %f %a %c %d' "$mnt")
df -P -B "$1" "$mnt" | tail -1 | awk -v b="$2" -v a="$4" \
	'{ if ($2 != b || $4 != a) exit 1 }' || fail "df: $(df -P "$mnt" | tail -1) vs $*"
bfree_mounted=$3
e2e_umount "$mnt"
e2e_fsck "$img"
e2e_kernel_check "$img" "$W/want"

# mount again: the tree is still there, and statfs says what the image
# says (while files were open for writing, their preallocated blocks
# counted as used: never fewer used than the image has)
dumpe2fs -h "$img" 2>/dev/null >"$W/dumpe2fs"
e2e_mount "$img" "$mnt"
sb() { sed -n "s/^$1: *//p" "$W/dumpe2fs"; }
set -- $(stat -f -c '%S %b %f %a %c %d' "$mnt")
[ "$1 $3 $5 $6" = "$(sb 'Block size') $(sb 'Free blocks') $(sb 'Inode count') $(sb 'Free inodes')" ] ||
	fail "statfs (bsize bfree files ffree) $1 $3 $5 $6, image $(sb 'Block size') $(sb 'Free blocks') $(sb 'Inode count') $(sb 'Free inodes')"
[ "$4" = $(($3 > $(sb 'Reserved block count') ? $3 - $(sb 'Reserved block count') : 0)) ] ||
	fail "statfs bavail $4, image free $3 less reserved $(sb 'Reserved block count')"
[ "$2" -le "$(sb 'Block count')" ] && [ "$2" -gt $(($(sb 'Block count') * 9 / 10)) ] ||
	fail "statfs blocks $2, image $(sb 'Block count')"
[ "$bfree_mounted" -le "$3" ] || fail "statfs said $bfree_mounted free blocks, the image has $3"
e2e_listing "$mnt" >"$W/got"
diff "$W/want" "$W/got" >/dev/null || fail "tree changed across remount"
e2e_finish
