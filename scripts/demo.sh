#!/usr/bin/env bash
# The README's first command: install what is missing, build, then show
# imgfs at work: make a sample ext2 image with mkimg, mount it with imgfs
# on a small arena (so high memory, bouncing and reclaim all take part),
# run ordinary tools on it (cp -a, tar, find, du, diff), print the live
# statistics with imgfsctl, unmount and check the image with e2fsck -fn.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh
bash scripts/build.sh build
b=$top/build

work=$(mktemp -d "$b/tmp-demo-XXXXXX")
mnt=$work/mnt
cleanup() {
	if mountpoint -q "$mnt" 2>/dev/null; then
		"$b/tools/imgfs/imgfs" -u "$mnt" || fusermount3 -u -z "$mnt" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$mnt" "$work/src"

tree=/usr/include/linux
[ -d "$tree" ] || tree=/usr/include
echo "== mkimg: a 256 MiB ext2 image holding a few files"
cp -a /etc/hostname /etc/os-release "$work/src/" 2>/dev/null || echo demo >"$work/src/hello"
"$b/tools/mkimg/mkimg" -q -L demo -d "$work/src" "$work/demo.img" 256M

echo "== imgfs -o mem=64M $work/demo.img $mnt"
"$b/tools/imgfs/imgfs" -o mem=64M "$work/demo.img" "$mnt"

echo "== workload: cp -a $tree, tar, find, du, diff"
time (
	cp -a "$tree" "$mnt/include"
	tar -C "$mnt" -cf "$mnt/include.tar" include
	mkdir "$mnt/untar" && tar -C "$mnt/untar" -xf "$mnt/include.tar"
	diff -r "$tree" "$mnt/untar/include"
	echo "files: $(find "$mnt" -type f | wc -l)"
	du -sh "$mnt"
)

echo "== imgfsctl $mnt meminfo"
"$b/tools/imgfsctl/imgfsctl" "$mnt" meminfo
echo "== imgfsctl $mnt vmstat"
"$b/tools/imgfsctl/imgfsctl" "$mnt" vmstat

echo "== imgfs -u $mnt (returns once the daemon has written everything back and exited)"
"$b/tools/imgfs/imgfs" -u "$mnt"
e2fsck -fn "$work/demo.img"
echo "== demo done"
