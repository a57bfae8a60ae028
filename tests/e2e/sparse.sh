#!/bin/bash
# tests/e2e/sparse.sh - phase 2: sparse files (one of 5 GiB), SEEK_DATA and
# SEEK_HOLE, fallocate (allocate, punch hole; keep-size past the end of
# file refused with EOPNOTSUPP), EFBIG past the format's limit; e2fsck and
# the kernel agree afterwards.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init sparse.sh

img=$W/img mnt=$W/mnt
e2e_image "$img" 128M "" -b 1024
e2e_mount "$img" "$mnt"

# a 5 GiB sparse file: size right, blocks few, data where written
truncate -s 5G "$mnt/big" || fail "truncate 5G"
printf 'tail' | dd of="$mnt/big" bs=1 seek=$((5 * 1024 * 1024 * 1024 - 4)) conv=notrunc 2>/dev/null
printf 'head' | dd of="$mnt/big" bs=1 conv=notrunc 2>/dev/null
printf 'middle' | dd of="$mnt/big" bs=1 seek=$((3 * 1024 * 1024 * 1024)) conv=notrunc 2>/dev/null
[ "$(stat -c %s "$mnt/big")" = $((5 * 1024 * 1024 * 1024)) ] || fail "5G size"
[ "$(stat -c %b "$mnt/big")" -lt 200 ] || fail "5G sparse file has $(stat -c %b "$mnt/big") blocks"
[ "$(tail -c 4 "$mnt/big")" = tail ] || fail "tail of 5G file"
[ "$(dd if="$mnt/big" bs=1M skip=3072 count=1 2>/dev/null | head -c 6)" = middle ] ||
	fail "middle of 5G file"
dd if="$mnt/big" of="$W/hole" bs=1M skip=1000 count=1 2>/dev/null
[ "$(stat -c %s "$W/hole")" = 1048576 ] && [ "$(tr -d '\0' <"$W/hole" | wc -c)" = 0 ] ||
	fail "hole reads as 1 MiB of zeros: $(stat -c %s "$W/hole") bytes, $(tr -d '\0' <"$W/hole" | wc -c) not zero"

python3 - "$mnt" <<'PY' || fail "seek/fallocate"
import errno, os, sys
m = sys.argv[1]
G = 1 << 30
fd = os.open(m + "/big", os.O_RDWR)
assert os.lseek(fd, 0, os.SEEK_DATA) == 0
h = os.lseek(fd, 0, os.SEEK_HOLE)
assert 0 < h <= 65536, h
d = os.lseek(fd, h, os.SEEK_DATA)
assert 3 * G - 65536 < d <= 3 * G, d
assert os.lseek(fd, 3 * G + 100, os.SEEK_HOLE) <= 3 * G + 65536
try:
    os.lseek(fd, 5 * G, os.SEEK_DATA); raise SystemExit("SEEK_DATA past EOF")
except OSError as e:
    assert e.errno == errno.ENXIO
os.close(fd)

# fallocate: allocate inside, extend, punch, keep-size past EOF refused
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE = 1, 2
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def falloc(fd, mode, off, ln):
    r = libc.fallocate(fd, mode, ctypes.c_long(off), ctypes.c_long(ln))
    return 0 if r == 0 else ctypes.get_errno()
p = m + "/fa"
fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
assert falloc(fd, 0, 0, 1 << 20) == 0
st = os.fstat(fd)
assert st.st_size == 1 << 20 and st.st_blocks >= 2048, (st.st_size, st.st_blocks)
os.pwrite(fd, b"A" * (1 << 20), 0)
assert falloc(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 65536) == 0
data = os.pread(fd, 1 << 20, 0)
assert data[:4096] == b"A" * 4096 and data[4096:69632] == bytes(65536) and data[69632:] == b"A" * (len(data) - 69632)
assert os.fstat(fd).st_blocks < st.st_blocks
assert os.lseek(fd, 4096, os.SEEK_HOLE) == 4096
assert os.lseek(fd, 4096, os.SEEK_DATA) == 69632
assert falloc(fd, FALLOC_FL_KEEP_SIZE, 0, 2 << 20) == errno.EOPNOTSUPP
assert falloc(fd, FALLOC_FL_KEEP_SIZE, 0, 4096) == 0
assert os.fstat(fd).st_size == 1 << 20
os.close(fd)
PY

# past the format's limit (1 KiB blocks: about 16 GiB)
truncate -s 20G "$mnt/toobig" 2>"$W/err" && fail "20G file on 1 KiB blocks"
grep -q 'too large' "$W/err" || fail "EFBIG: $(cat "$W/err")"
rm -f "$mnt/toobig"

# shrink the big one across indirect levels, then grow it again
truncate -s 3G "$mnt/big" && [ "$(stat -c %s "$mnt/big")" = $((3 * 1024 * 1024 * 1024)) ] ||
	fail "shrink"
truncate -s 70M "$mnt/big" && truncate -s 4G "$mnt/big" || fail "shrink and grow"
[ "$(head -c 4 "$mnt/big")" = head ] || fail "head after shrinking"
truncate -s 100M "$mnt/big"	# keep the checksummed listing quick

e2e_listing "$mnt" >"$W/want"
e2e_umount "$mnt"
e2e_fsck "$img"
e2e_kernel_check "$img" "$W/want"
e2e_finish
