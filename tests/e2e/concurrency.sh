#!/bin/bash
# tests/e2e/concurrency.sh - phase 4: several writers and readers at once,
# on different files and on the same file (each writer owning its own
# stripes of it), give the contents the same work done one after another
# gives; parallel cp -a of trees and readers racing writers; then fsck.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init concurrency.sh

img=$W/img mnt=$W/mnt
mb=$([ "$SAN" = 1 ] && echo 8 || echo 32)
e2e_image "$img" 512M "" -b 4096
e2e_mount "$img" "$mnt" -o mem=48M,threads=8

# the reference, made one writer after another in a plain directory
python3 - "$W/ref" "$mnt" "$mb" <<'PY' || fail "parallel writers"
import os, sys, threading, hashlib
ref, mnt, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(ref, exist_ok=True)
N, STRIPE = 6, 64 * 1024
size = mb << 20
def chunk(w, i):
    return hashlib.sha256(b"%d-%d" % (w, i)).digest() * (STRIPE // 32)
def writer(root, w, same):
    # own file, and every N-th stripe of the shared file
    with open(os.path.join(root, "own-%d" % w), "wb") as f:
        for i in range(size // STRIPE // N):
            f.write(chunk(w, i))
    fd = os.open(os.path.join(root, "shared"), os.O_WRONLY | os.O_CREAT, 0o644)
    for i in range(w, size // STRIPE, N):
        os.pwrite(fd, chunk(w, i), i * STRIPE)
    os.fsync(fd) if w % 2 else None
    os.close(fd)
for w in range(N):
    writer(ref, w, True)
ths = [threading.Thread(target=writer, args=(mnt, w, True)) for w in range(N)]
errors = []
checked = [0]
writing = threading.Event()
writing.set()
ZERO = bytes(4096)
def foreign(b, exp):
    # every byte is either still zero or the writer's (a read racing a
    # write may see part of it: the kernel makes no promise of more)
    for p in range(0, len(b), 4096):
        got, want = b[p:p + 4096], exp[p:p + len(b[p:p + 4096])]
        if got != want and got != ZERO[:len(got)] and \
           any(x and x != y for x, y in zip(got, want)):
            return p
    return -1
def reader(k):
    # readers racing the writers: a stripe read while it is written holds
    # zeros and that stripe's writer's bytes, nothing else
    import random
    rnd = random.Random(k)
    p = os.path.join(mnt, "shared")
    try:
        while not os.path.exists(p):
            if not writing.is_set():
                errors.append("shared never appeared")
                return
            threading.Event().wait(0.001)
        with open(p, "rb") as f:
            while writing.is_set():
                i = rnd.randrange(size // STRIPE)
                b = os.pread(f.fileno(), STRIPE, i * STRIPE)
                if not b or b == bytes(len(b)):
                    continue
                checked[0] += 1
                at = foreign(b, chunk(i % N, i))
                if at >= 0:
                    errors.append("stripe %d: foreign bytes at +%d" % (i, at))
    except Exception as e:
        errors.append(repr(e))
rs = [threading.Thread(target=reader, args=(k,)) for k in range(3)]
for t in rs + ths:
    t.start()
for t in ths:
    t.join()
writing.clear()
for t in rs:
    t.join()
assert not errors, errors[:5]
print("readers checked %d stripes while the writers ran" % checked[0])
assert checked[0] > 0, "no reader saw a written stripe"
for name in ["shared"] + ["own-%d" % w for w in range(N)]:
    a = open(os.path.join(ref, name), "rb").read()
    b = open(os.path.join(mnt, name), "rb").read()
    assert a == b, name
PY

# parallel trees
mkdir -p "$W/src"
e2e_make_tree "$W/src"
# (wait for these by pid: the daemon is a background job too)
pids=""
for i in 1 2 3 4; do cp -a "$W/src" "$mnt/tree$i" & pids="$pids $!"; done
wait $pids
for i in 1 2 3 4; do
	diff -r -x fifo -x null --no-dereference "$W/src" "$mnt/tree$i" >/dev/null || fail "tree$i"
done
# readers of one file while it is rewritten in place with the same bytes
pids=""
for i in 1 2 3; do
	(for j in 1 2 3 4 5; do
		cmp -s "$W/src/dir/sub/dind" "$mnt/tree1/dir/sub/dind" || echo bad
	done) >"$W/r$i" &
	pids="$pids $!"
done
for j in 1 2 3; do dd if="$W/src/dir/sub/dind" of="$mnt/tree1/dir/sub/dind" conv=notrunc bs=7k 2>/dev/null; done
wait $pids
cat "$W"/r? | grep -q bad && fail "a reader saw other bytes during same-bytes rewrites"
e2e_listing "$mnt" >"$W/want"
e2e_umount "$mnt"
e2e_fsck "$img"
e2e_kernel_check "$img" "$W/want"
e2e_finish
