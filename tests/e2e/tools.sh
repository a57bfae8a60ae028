#!/bin/bash
# tests/e2e/tools.sh - phase 4: real programs on a mount: git (init, add,
# commit, branch, checkout, gc, fsck) and make building a small C program,
# find and du; then fsck and the kernel's view.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init tools.sh

img=$W/img mnt=$W/mnt
e2e_image "$img" 256M "" -b 4096
e2e_mount "$img" "$mnt"

if command -v git >/dev/null; then
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@e
	export HOME=$W
	r=$mnt/repo
	code=$(cd "$srcdir/fs" 2>/dev/null && pwd || echo /usr/include/linux)
	# (not `( set -e ... ) || fail`: a subshell whose status is tested
	# runs without set -e, and only its last command would count)
	(
		set -e
		git init -q "$r"
		cd "$r"
		git config gc.auto 0
		cp -a "$code" fs
		git add -A && git commit -q -m one
		git checkout -q -b side
		echo change >>"$(find fs -type f | head -1)"
		git rm -q -r "$(find fs -mindepth 1 -maxdepth 1 | sort | tail -1)"
		git commit -q -a -m two
		git checkout -q -
		git gc -q --aggressive
		git fsck --strict --no-progress
		git checkout -q side
		git log --oneline | wc -l | grep -qx 2
		git status --porcelain | wc -l | grep -qx 0
	)
	[ $? = 0 ] || fail "git"
else
	e2e_cannot "no git: the git part"
fi

mkdir -p "$mnt/proj"
cat >"$mnt/proj/main.c" <<'C'
#include <stdio.h>
int add(int, int);
int main(void) { printf("%d\n", add(40, 2)); return 0; }
C
cat >"$mnt/proj/add.c" <<'C'
int add(int a, int b) { return a + b; }
C
printf 'prog: main.o add.o\n\t$(CC) -o $@ main.o add.o\nclean:\n\trm -f prog *.o\n' >"$mnt/proj/Makefile"
(cd "$mnt/proj" && unset MAKEFLAGS MFLAGS MAKELEVEL &&
	make -s && [ "$(./prog)" = 42 ] && sleep 1 && touch add.c &&
	make 2>&1 | grep -q 'add.o' && make -s clean && [ ! -e prog ]) || fail "make"

find "$mnt" -type f | wc -l | grep -qv '^0$' || fail "find"
du -s "$mnt" >/dev/null || fail "du"
e2e_listing "$mnt" >"$W/want"
e2e_umount "$mnt"
e2e_fsck "$img"
e2e_kernel_check "$img" "$W/want"
e2e_finish
