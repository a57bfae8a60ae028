#!/bin/bash
# tests/e2e/loopdev.sh - IMAGE a block device (issue 9, "Block devices"): a
# loop device with 512-byte and one with 4096-byte logical sectors (so
# O_DIRECT must align every request to 4 KiB on a real device).  Mount,
# write and read a tree, imgfs -u, e2fsck clean, the kernel's ext2 sees the
# same tree.  While imgfs holds the device read-write (O_EXCL, as mke2fs
# and the kernel do), a second imgfs mount and the kernel's own mount are
# refused with EBUSY, and so is mkimg; while the kernel has it mounted,
# imgfs is refused.  An image whose blocks are smaller than the sectors is
# refused cleanly; mkimg writes a device in place.  The trap detaches
# every loop device, even on failure.
. "${srcdir:-.}/tests/e2e/lib.sh"
if [ "$(id -u)" != 0 ] || [ ! -e /dev/loop-control ] || ! command -v losetup >/dev/null; then
	echo "loopdev.sh: no loop devices: skip"
	exit 77
fi
e2e_init loopdev.sh

LOOPS=""
# The EXIT trap's hook (lib.sh), after every mount is gone.
e2e_cleanup_hook() {
	local l
	for l in $LOOPS; do
		losetup -d "$l" 2>/dev/null || fail "losetup -d $l"
	done
	LOOPS=""
}

src=$W/src mnt=$W/mnt b=$W/b kmnt=$W/kmnt
mkdir -p "$src" "$mnt" "$b" "$kmnt"
e2e_make_tree "$src"
e2e_listing "$src" >"$W/want"

# A mount that should have been refused: unmount it (and fail).
unexpected() {
	fail "$1"
	E2E_MOUNTS="$E2E_MOUNTS $2"
	e2e_umount "$2"
}

# loop_setup IMG SECTOR-SIZE: attach it, the device in $dev (no subshell:
# the trap must know every device to detach)
loop_setup() {
	dev=$(losetup -f --show --sector-size "$2" "$1") || die "losetup --sector-size $2 $1"
	LOOPS="$LOOPS $dev"
}

for sector in 512 4096; do
	img=$W/img-$sector
	e2e_image "$img" 128M "" -b 4096
	loop_setup "$img" "$sector"
	[ "$(blockdev --getss "$dev")" = "$sector" ] || die "$dev: $(blockdev --getss "$dev")-byte sectors"
	E2E_DAEMON=1 e2e_mount "$dev" "$mnt"
	pid=$("$IMGFSCTL" "$mnt" pid)

	# the device is held: imgfs (rw and ro) and the kernel are refused
	"$IMGFS" "$dev" "$b" 2>"$W/err" && unexpected "$sector: second rw mount" "$b"
	grep -q "in use.*process $pid\b" "$W/err" || fail "$sector: message: $(cat "$W/err")"
	"$IMGFS" -o ro "$dev" "$b" 2>"$W/err" && unexpected "$sector: ro mount" "$b"
	grep -q "in use" "$W/err" || fail "$sector: ro message: $(cat "$W/err")"
	if mount -t ext2 "$dev" "$kmnt" 2>"$W/kerr"; then
		fail "$sector: the kernel mounted a device imgfs holds"
		umount "$kmnt"
	fi
	"$MKIMG" -q "$dev" 16M 2>"$W/err" && fail "$sector: mkimg wrote over the device imgfs holds"
	grep -q "in use" "$W/err" || fail "$sector: mkimg message: $(cat "$W/err")"
	# EBUSY, which mount(8) words "already mounted" or "busy"
	grep -qiE 'busy|already mounted' "$W/kerr" || fail "$sector: kernel mount: $(cat "$W/kerr")"

	cp -a "$src" "$mnt/copy" || fail "$sector: cp -a in"
	e2e_listing "$mnt/copy" >"$W/got"
	diff "$W/want" "$W/got" >"$W/diff" || { head -20 "$W/diff"; fail "$sector: listing"; }
	head -c 5000001 /dev/urandom >"$W/odd"
	cp "$W/odd" "$mnt/odd" && dd if="$W/odd" of="$mnt/odd" bs=777 seek=1001 count=3 conv=notrunc,fsync status=none
	dd if="$W/odd" of="$W/odd" bs=777 seek=1001 count=3 conv=notrunc status=none
	e2e_umount "$mnt" || fail "$sector: imgfs -u"
	e2fsck -fn "$dev" >"$W/fsck.log" 2>&1 || { cat "$W/fsck.log"; fail "$sector: e2fsck -fn $dev"; }

	# read back through imgfs (a fresh cache), then through the kernel
	E2E_DAEMON=1 e2e_mount "$dev" "$mnt" -o ro
	cmp "$W/odd" "$mnt/odd" || fail "$sector: odd-sized file read back"
	e2e_listing "$mnt/copy" >"$W/got"
	diff "$W/want" "$W/got" >/dev/null || fail "$sector: listing after remount"
	e2e_umount "$mnt" || fail "$sector: imgfs -u (ro)"
	mount -t ext2 -o ro "$dev" "$kmnt" || fail "$sector: the kernel cannot mount it after imgfs"
	if mountpoint -q "$kmnt"; then
		e2e_listing "$kmnt/copy" >"$W/kgot"
		diff "$W/want" "$W/kgot" >/dev/null || fail "$sector: the kernel sees another tree"
		"$IMGFS" "$dev" "$b" 2>"$W/err" && unexpected "$sector: imgfs mounted a kernel-mounted device" "$b"
		grep -q "in use" "$W/err" || fail "$sector: message while kernel-mounted: $(cat "$W/err")"
		umount "$kmnt"
	fi
done

# 1 KiB blocks on 4 KiB sectors: refused in one line, nothing mounted
img=$W/img-1k
e2e_image "$img" 32M "" -b 1024
loop_setup "$img" 4096
"$IMGFS" "$dev" "$b" 2>"$W/err" && unexpected "1 KiB blocks on 4 KiB sectors mounted" "$b"
[ "$(wc -l <"$W/err")" = 1 ] || fail "1k: $(cat "$W/err")"
echo "ok: 1 KiB blocks on 4 KiB sectors -> $(cat "$W/err")"

# mkimg writes a device in place (no temporary beside /dev/loopN)
"$MKIMG" -q -b 4096 -d "$src" "$dev" 32M || fail "mkimg on $dev"
e2fsck -fn "$dev" >"$W/fsck.log" 2>&1 || { cat "$W/fsck.log"; fail "e2fsck -fn after mkimg $dev"; }
E2E_DAEMON=1 e2e_mount "$dev" "$mnt" -o ro
e2e_listing "$mnt" >"$W/got"
diff "$W/want" "$W/got" >/dev/null || fail "mkimg on $dev: another tree"
e2e_umount "$mnt"
[ -b "$dev" ] || fail "$dev is no longer a block device"
e2e_finish
