#!/bin/bash
# tests/e2e/ro.sh - phase 1: the command line refuses what it cannot serve
# before mounting anything; an mke2fs -d image mounted read-only shows the
# source tree (cp -a out, diff -r, metadata listing, the kernel's ext2
# agrees), refuses writes with EROFS, reports statfs as df sees it, and
# unmounts clean.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init ro.sh

src=$W/src img=$W/img mnt=$W/mnt
mkdir -p "$src" "$mnt"
e2e_make_tree "$src"
e2e_image "$img" 64M "$src" -b 1024

# --- errors: one line, non-zero, nothing mounted --------------------------
expect_error() {	# expect_error WHAT imgfs-args...
	local what=$1
	shift
	if "$IMGFS" "$@" 2>"$W/err"; then
		fail "$what: imgfs succeeded"
		fusermount3 -u "$mnt" 2>/dev/null
		return
	fi
	[ "$(wc -l <"$W/err")" -ge 1 ] || fail "$what: no message"
	grep -q '^imgfs: ' "$W/err" || fail "$what: message '$(cat "$W/err")'"
	mountpoint -q "$mnt" && fail "$what: mounted anyway"
	echo "ok: $what -> $(head -1 "$W/err")"
}
expect_error "bad option" -o bogus "$img" "$mnt"
expect_error "bad mem" -o mem=12Q "$img" "$mnt"
expect_error "tiny mem" -o mem=1K "$img" "$mnt"
expect_error "bad dma_reach" -o dma_reach=far "$img" "$mnt"
expect_error "bad kmap" -o kmap=lazy "$img" "$mnt"
expect_error "bad threads" -o threads=0 "$img" "$mnt"
expect_error "missing image" "$W/nonexistent" "$mnt"
expect_error "no mountpoint" "$img" "$W/nonexistent"
head -c 4M /dev/zero >"$W/zeros"
expect_error "not ext2" "$W/zeros" "$mnt"
cp "$img" "$W/incompat" && debugfs -w -R "feature extent" "$W/incompat" >/dev/null 2>&1 &&
	expect_error "INCOMPAT feature" "$W/incompat" "$mnt"
mkdir -p "$W/full" && touch "$W/full/x"
expect_error "non-empty mountpoint" "$img" "$W/full"
if [ "$(id -u)" = 0 ]; then
	cp "$img" "$W/unreadable" && chmod 000 "$W/unreadable"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$IMGFS" "$W/unreadable" "$mnt" 2>"$W/err" &&
		fail "unreadable image mounted"
fi

# --- read-only mount ----------------------------------------------------------
e2e_listing "$src" >"$W/want"
E2E_DAEMON=1 e2e_mount "$img" "$mnt" -o ro
e2e_listing "$mnt" >"$W/got"
diff "$W/want" "$W/got" >"$W/diff" || { head -40 "$W/diff"; fail "listing differs"; }
cp -a "$mnt" "$W/out"
diff -r -x lost+found -x fifo -x null --no-dereference "$src" "$W/out" >/dev/null || fail "diff -r of cp -a out"
cmp "$src/dir/sub/dind" "$mnt/dir/sub/dind" || fail "dind contents"
[ "$(readlink "$mnt/slow-link")" = "$(readlink "$src/slow-link")" ] || fail "slow link"
[ "$(stat -c %i "$mnt/small")" = "$(stat -c %i "$mnt/dir/hardlink")" ] || fail "hard link"

# writes are refused
touch "$mnt/newfile" 2>"$W/err" && fail "create on ro mount"
grep -q 'Read-only file system' "$W/err" || fail "create: $(cat "$W/err")"
( echo x >>"$mnt/small" ) 2>/dev/null && fail "append on ro mount"
chmod 600 "$mnt/small" 2>/dev/null && fail "chmod on ro mount"

# statfs against df and dumpe2fs
set -- $(stat -f -c '%S %b %f %c %d' "$mnt")
bs=$1 blocks=$2 bfree=$3 files=$4 ffree=$5
fsblocks=$(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Block count: *//p')
fsfree=$(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Free blocks: *//p')
fsinodes=$(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Inode count: *//p')
[ "$bs" = 1024 ] || fail "statfs block size $bs"
[ "$bfree" = "$fsfree" ] || fail "statfs free blocks $bfree, image says $fsfree"
[ "$files" = "$fsinodes" ] || fail "statfs inodes $files, image says $fsinodes"
[ "$blocks" -le "$fsblocks" ] || fail "statfs blocks $blocks > $fsblocks"
df -P "$mnt" | tail -1 | awk -v b="$blocks" -v f="$bfree" \
	'{ if ($2 != b || $4 > f) exit 1 }' || fail "df disagrees: $(df -P "$mnt" | tail -1)"

# the statistics socket answers and adds nothing to the tree
"$IMGFSCTL" "$mnt" meminfo | grep -q '^MemTotal:' || fail "imgfsctl meminfo"
"$IMGFSCTL" "$mnt" vmstat | grep -q '^pgcache_hit ' || fail "imgfsctl vmstat"
"$IMGFSCTL" "$mnt" bogus 2>/dev/null && fail "imgfsctl bogus"

e2e_umount "$mnt"
e2e_kernel_check "$img" "$W/want"
e2e_finish
