#!/bin/bash
# tests/e2e/lowmem_tools.sh - issue 10: real programs on a small arena.
# On the smallest arena imgfs accepts (mem=4M), and on 8M and 16M: a git
# workload (init, add a few hundred files, commit, branch, checkout back
# and forth, gc, git fsck --strict) and dbench (4 clients); at mem=8M the
# project's own checkers too (fsx -P, nsx).  No caller sees an error, the
# daemon logs none, the image is clean (e2e_finish runs e2fsck -fn: no
# leaked blocks), and nothing past order 0 is allocated after mount but
# by callers with a fallback (pgalloc_order_N, pgalloc_order_fallback).
# Beside lowmem.sh rather than in it, so the two run in parallel.
# Under the sanitizers: fewer files, dbench shorter and only at 8M.
# LOWMEM_TOOLS_MEMS="8M" runs one arena size only.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init lowmem_tools.sh

mnt=$W/mnt
if [ "$SAN" = 1 ]; then
	nfiles=300 dbsecs=10 dbmems=8M
else
	nfiles=400 dbsecs=20 dbmems="4M 8M 16M"
fi
ops=$([ "$SAN" = 1 ] && echo 1500 || echo 4000)
loadfile=/usr/share/dbench/client.txt

vmstat() {
	"$IMGFSCTL" "$mnt" vmstat
}

# git_round: init, add $nfiles files, commit, a branch that changes and
# removes files, checkout back and forth, gc, fsck --strict.  Every git
# command must succeed and say nothing on stderr.
git_round() {
	local r=$mnt/repo
	# (not `( set -e ... ) || fail`: a subshell whose status is tested
	# runs without set -e, and only its last command would count)
	(
		set -e
		export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@e
		export HOME=$W
		git init -q -b base "$r"
		cd "$r"
		git config gc.auto 0
		(cd /usr/include && find linux -type f | sort | head -n "$nfiles" |
			tar -cf - -T -) | tar -xf -
		[ "$(find linux -type f | wc -l)" = "$nfiles" ]
		git add -A
		git commit -q -m one
		git checkout -q -b side
		find linux -type f | sort | awk 'NR % 7 == 0' | xargs -r sed -i '1s/^/side /'
		git rm -q -r "$(find linux -mindepth 1 -maxdepth 1 -type f | sort | tail -1)"
		git commit -q -a -m two
		for i in 1 2 3; do
			git checkout -q base
			git status --porcelain | wc -l | grep -qx 0
			git checkout -q side
			git status --porcelain | wc -l | grep -qx 0
		done
		git gc -q --aggressive
		git fsck --strict --no-progress
		git log --oneline | wc -l | grep -qx 2
		git diff --stat HEAD~1 | tail -1 | grep -q 'changed'
	) 2>"$W/git.err"
	local rc=$?
	if [ $rc != 0 ] || [ -s "$W/git.err" ]; then
		head -5 "$W/git.err" >&2
		fail "git at mem=$mem (status $rc)"
	fi
	rm -rf "$r"
}

# dbench_round SECS: 4 clients on the mount; its status must be 0 and
# its output free of errors (it reports failed calls as ERROR or
# NT_STATUS_* lines and goes on).  dbench 4.0 takes semaphore id 0 from
# semget for a failure ("failed to create barrier semaphore", and no
# barrier), and id 0 is what the first array on a fresh system gets: so
# it runs in its own IPC namespace whose id 0 is already taken.
dbench_round() {
	local d=$mnt/db
	mkdir "$d" || { fail "mkdir $d"; return; }
	if ! unshare -i sh -c '
		python3 -c "import ctypes; assert ctypes.CDLL(None).semget(0, 1, 0o1600) == 0" &&
		exec dbench -c "$1" -D "$2" -t "$3" 4' sh "$loadfile" "$d" "$1" >"$W/dbench.out" 2>&1; then
		tail -5 "$W/dbench.out" >&2
		fail "dbench at mem=$mem: non-zero status"
	fi
	if grep -i -E 'error|NT_STATUS|failed|unexpected' "$W/dbench.out" >&2; then
		fail "dbench at mem=$mem reported errors"
	fi
	awk '$1 == "Throughput" && $2 > 0 { ok = 1 } END { exit !ok }' "$W/dbench.out" ||
		fail "dbench at mem=$mem: no throughput"
	grep '^Throughput' "$W/dbench.out"
	rm -rf "$d"
}

if ! command -v git >/dev/null || ! command -v dbench >/dev/null || [ ! -r "$loadfile" ] ||
	[ ! -d /usr/include/linux ]; then
	e2e_cannot "git, dbench or /usr/include/linux missing: lowmem_tools"
	e2e_finish
fi

n=0
for mem in ${LOWMEM_TOOLS_MEMS:-4M 8M 16M}; do
	n=$((n + 1))
	img=$W/img$n
	e2e_image "$img" 512M "" -b 4096
	e2e_mount "$img" "$mnt" -o mem=$mem
	echo "--- mem=$mem"
	high0=$(e2e_high_orders "$mnt")
	git_round
	case " $dbmems " in *" $mem "*) dbench_round "$dbsecs" ;; esac
	if [ $mem = 8M ]; then
		# -P: imgfs punches holes; EOPNOTSUPP would be a regression
		FSX_OPS=$ops "$FSX" -P "$mnt" || fail "fsx at mem=$mem"
		NSX_OPS=$ops "$NSX" "$mnt" || fail "nsx at mem=$mem"
	fi
	high=$(e2e_high_orders "$mnt")
	[ "$high" = "$high0" ] || fail "mem=$mem: $((high - high0)) blocks past order 0 without a fallback"
	vmstat | grep -E '^(pgscan|pgsteal|allocstall|pgalloc_fail|pgalloc_order_[0-9]|pgalloc_order_fallback) '
	e2e_lowmem_finish "$mnt" "$img" "$mem"
done
e2e_finish
