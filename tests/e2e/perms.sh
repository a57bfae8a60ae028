#!/bin/bash
# tests/e2e/perms.sh - phase 4: default_permissions.  Mounted with
# allow_other, an unprivileged user (nobody) is refused what the mode
# bits forbid (read, write, create, delete, chmod, chown, the sticky
# bit) and allowed what they permit; without allow_other it sees nothing.
. "${srcdir:-.}/tests/e2e/lib.sh"
e2e_init perms.sh
[ "$(id -u)" = 0 ] || { echo "not root: skip"; exit 77; }
command -v setpriv >/dev/null || { echo "no setpriv: skip"; exit 77; }

img=$W/img mnt=$W/mnt
e2e_image "$img" 32M
chmod 755 "$W"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }

e2e_mount "$img" "$mnt"
as_nobody ls "$mnt" >/dev/null 2>&1 && fail "nobody sees a mount without allow_other"
e2e_umount "$mnt"

e2e_mount "$img" "$mnt" -o allow_other
chmod 755 "$mnt"
echo secret >"$mnt/private" && chmod 600 "$mnt/private"
echo public >"$mnt/public" && chmod 644 "$mnt/public"
mkdir -m 1777 "$mnt/tmp"
echo root >"$mnt/tmp/roots"
mkdir -m 700 "$mnt/closed"
echo x >"$mnt/script" && chmod 644 "$mnt/script"

as_nobody cat "$mnt/public" >/dev/null || fail "nobody cannot read a 644 file"
as_nobody cat "$mnt/private" 2>/dev/null && fail "nobody read a 600 file"
as_nobody sh -c "echo x >>'$mnt/public'" 2>/dev/null && fail "nobody wrote a 644 file"
as_nobody touch "$mnt/new" 2>/dev/null && fail "nobody created in a 755 root dir"
as_nobody rm -f "$mnt/public" 2>/dev/null; [ -e "$mnt/public" ] || fail "nobody deleted from a 755 dir"
as_nobody chmod 666 "$mnt/public" 2>/dev/null && fail "nobody chmod'ed root's file"
as_nobody chown 65534 "$mnt/public" 2>/dev/null && fail "nobody chown'ed root's file"
as_nobody ls "$mnt/closed" >/dev/null 2>&1 && fail "nobody listed a 700 dir"
as_nobody "$mnt/script" 2>/dev/null && fail "nobody executed a 644 file"
as_nobody touch -d 2000-01-01 "$mnt/public" 2>/dev/null && fail "nobody set times of root's file"
# sticky /tmp: create own, not delete others'
as_nobody sh -c "echo mine >'$mnt/tmp/mine'" || fail "nobody cannot create in 1777 dir"
[ "$(stat -c %u:%g "$mnt/tmp/mine")" = 65534:65534 ] || fail "owner of a new file: $(stat -c %u:%g "$mnt/tmp/mine")"
as_nobody rm -f "$mnt/tmp/roots" 2>/dev/null; [ -e "$mnt/tmp/roots" ] || fail "sticky bit ignored"
as_nobody chmod 600 "$mnt/tmp/mine" || fail "nobody cannot chmod own file"
as_nobody rm "$mnt/tmp/mine" || fail "nobody cannot delete own file"
# set-group-ID directories pass their group on
mkdir -m 2777 "$mnt/sgid" && chgrp 4321 "$mnt/sgid"
as_nobody mkdir "$mnt/sgid/sub" || fail "mkdir in sgid dir"
[ "$(stat -c %g "$mnt/sgid/sub")" = 4321 ] || fail "sgid: group $(stat -c %g "$mnt/sgid/sub")"
[ -g "$mnt/sgid/sub" ] || fail "sgid: subdirectory lost the bit"
# writing clears set-user-ID
echo x >"$mnt/tmp/suid" && chmod 4777 "$mnt/tmp/suid"
as_nobody sh -c "echo y >>'$mnt/tmp/suid'" || fail "nobody cannot write a 777 file"
[ -u "$mnt/tmp/suid" ] && fail "write by another user kept set-user-ID"
e2e_finish
