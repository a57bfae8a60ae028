#!/bin/bash
# tests/e2e/checkers.sh - phase 4: the project's random checkers on real
# mounts.  fsx (file contents against a model: writes, truncates, reads,
# holes, fallocate, SEEK_DATA/HOLE) through the kernel's cache and with
# direct_io through imgfs' own page cache on a squeezed arena, then nsx
# (the namespace against a model of the tree).  Seeds are printed; set
# FSX_SEED / NSX_SEED to replay, FSX_OPS / NSX_OPS for longer runs.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init checkers.sh

ops=${FSX_OPS:-$([ "$SAN" = 1 ] && echo 1500 || echo 4000)}
nops=${NSX_OPS:-$([ "$SAN" = 1 ] && echo 1500 || echo 4000)}
mnt=$W/mnt
n=0
for cfg in "1024 -o mem=32M" "4096 -o direct_io,mem=16M" "2048 -o direct_io,kmap=strict,dma_reach=dma,mem=24M"; do
	set -- $cfg
	bs=$1
	shift
	n=$((n + 1))
	img=$W/img$n
	e2e_image "$img" 96M "" -b "$bs"
	e2e_mount "$img" "$mnt" "$@"
	echo "--- block size $bs, imgfs $*"
	# -P: imgfs punches holes; EOPNOTSUPP would be a regression
	FSX_OPS=$ops "$FSX" -P "$mnt" || fail "fsx ($bs $*)"
	NSX_OPS=$nops "$NSX" "$mnt" || fail "nsx ($bs $*)"
	e2e_listing "$mnt" >"$W/want$n"
	e2e_umount "$mnt"
	e2e_fsck "$img"
	e2e_kernel_check "$img" "$W/want$n"
done
e2e_finish
