#!/usr/bin/env bash
# The README's first command: install what is missing, build, and show the
# VM at work.  Today that is the allocator workload of bench/vm_bench on a
# 256 MiB arena followed by its live statistics in the kernel's formats;
# mounting a sample image with imgfs joins this script when the FUSE
# server lands (docs/book-map.md lists what exists).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh
bash scripts/build.sh build
(cd build && make -s bench/vm_bench)
./build/bench/vm_bench --quick --stats
