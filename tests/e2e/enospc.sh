#!/bin/bash
# tests/e2e/enospc.sh - the image on a host file system that fills up
# (issue 9, section 3): a small tmpfs holds a sparse image, so writing
# into the image takes host space.  A writer that overruns it hears ENOSPC
# (the host's errno, not EIO) from fsync, once per descriptor open at the
# time; the failed pages stay dirty, and once host space is freed the
# retry writes them: a descriptor opened later gets 0, and every byte that
# was written - not only what a successful fsync acknowledged - is on the
# image.  A write failed, so the image is not marked clean at unmount
# (with errors too if a retry failed before the space came back: the
# writers' throttling writes pages as well); e2fsck -fy repairs and -fn is
# then clean.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init enospc.sh
[ "$(id -u)" = 0 ] || { echo "enospc.sh: not root (tmpfs mount): skip"; exit 77; }

host=$W/host mnt=$W/mnt
mkdir -p "$host" "$mnt"
mount -t tmpfs -o size=48m imgfs-e2e-enospc "$host" || { echo "no tmpfs: skip"; exit 77; }
enospc_cleanup() {
	local m
	for m in $E2E_MOUNTS; do
		e2e_umount "$m" || true
	done
	umount "$host" 2>/dev/null
	e2e_cleanup
}
trap enospc_cleanup EXIT
img=$host/img

e2e_image "$img" 64M
# What the image really takes on the host, and room for 37 MiB more.
head -c 8M /dev/zero >"$host/ballast"
e2e_mount "$img" "$mnt"

big_mb=42
python3 - "$mnt" "$host/ballast" "$big_mb" >"$W/trace" 2>&1 <<'PY'
import errno, os, sys
mnt, ballast, big_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])

def fsync(fd):
    try:
        os.fsync(fd)
        return "0"
    except OSError as e:
        return errno.errorcode[e.errno]

def chunk(i):
    return bytes([(i * 7 + j) % 251 for j in range(256)]) * 4096   # 1 MiB

acked = os.open(mnt + "/acked", os.O_WRONLY | os.O_CREAT, 0o644)
os.write(acked, chunk(99))
print("fsync acked", fsync(acked))
os.close(acked)

a = os.open(mnt + "/big", os.O_WRONLY | os.O_CREAT, 0o644)
b = os.open(mnt + "/big", os.O_RDONLY)      # open when the error happens
for i in range(big_mb):
    os.write(a, chunk(i))
print("fsync a (host full)", fsync(a))
os.unlink(ballast)                           # the host has room again
print("fsync a (retry)", fsync(a))
print("fsync b", fsync(b))
print("fsync b again", fsync(b))
c = os.open(mnt + "/big", os.O_RDONLY)       # opened after the error
print("fsync c", fsync(c))
for name, fd in (("a", a), ("b", b), ("c", c)):
    try:
        os.close(fd)
        print("close", name, "0")
    except OSError as e:
        print("close", name, errno.errorcode[e.errno])
PY
cat "$W/trace"
expect() {	# expect LINE: the trace has it
	grep -qx -- "$1" "$W/trace" || fail "expected '$1'"
}
expect "fsync acked 0"
expect "fsync a (host full) ENOSPC"
expect "fsync a (retry) 0"
expect "fsync b ENOSPC"
expect "fsync b again 0"
expect "fsync c 0"
expect "close a 0"
expect "close b 0"
expect "close c 0"

e2e_umount "$mnt"
# The failure was logged, with the host's errno.
grep -q "writing data failed: No space left on device" "${E2E_LOG[$mnt]}" ||
	{ cat "${E2E_LOG[$mnt]}"; fail "no log line for the write error"; }
state=$(dumpe2fs -h "$img" 2>/dev/null | sed -n 's/^Filesystem state: *//p')
echo "state after unmount: $state"
[ "$state" != clean ] || fail "the image is marked clean after a failed write"

# Nothing written is lost: the retry put every page on the image.
python3 - "$W/expect" "$big_mb" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    for i in range(int(sys.argv[2])):
        f.write(bytes([(i * 7 + j) % 251 for j in range(256)]) * 4096)
PY
debugfs -R "dump /big $W/big.out" "$img" >/dev/null 2>&1
if ! cmp -s "$W/expect" "$W/big.out"; then
	lost=$(cmp -l "$W/expect" "$W/big.out" 2>/dev/null | awk '{ print int(($1 - 1) / 4096) }' | uniq | wc -l)
	fail "big: $lost of $((big_mb * 256)) blocks on the image are not what was written"
fi
debugfs -R "dump /acked $W/acked.out" "$img" >/dev/null 2>&1
python3 -c 'import sys; sys.stdout.buffer.write(bytes([(99 * 7 + j) % 251 for j in range(256)]) * 4096)' >"$W/acked.exp"
cmp -s "$W/acked.exp" "$W/acked.out" || fail "acked: the image lost fsynced data"

st=0
e2fsck -fn "$img" >"$W/fsck-n.log" 2>&1 || st=$?
echo "e2fsck -fn before the repair: exit status $st"
st=0
e2fsck -fy "$img" >"$W/fsck-y.log" 2>&1 || st=$?
[ $st -le 1 ] || { cat "$W/fsck-y.log"; fail "e2fsck -fy: $st"; }
e2e_finish	# e2fsck -fn: clean after the repair
