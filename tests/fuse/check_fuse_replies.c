/*
 * tests/fuse/check_fuse_replies.c - the FUSE server's replies (fs/fuse/
 * ops.c), over the FUSE wire protocol with no kernel and no mount
 * (tests/fuse/fuse_wire.h): INIT, what OPEN/SETATTR/CREATE leave on the
 * image, and the errno of every error path, which must be what Linux's
 * ext2 returns for the same system call - names (ENOENT as a negative
 * entry, ENOTDIR, EEXIST, ENOTEMPTY, ENAMETOOLONG, EINVAL rename flags),
 * extended attributes (ERANGE, the size reply, ENODATA), EROFS for every
 * change on a read-only mount, ENOSPC, EFBIG, EOPNOTSUPP fallocate modes,
 * short reads at the end of file, ENXIO from SEEK_DATA/SEEK_HOLE.
 *
 * Every test ends with the session stopped, the image unmounted and
 * e2fsck -fn clean.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "tests/fuse/fuse_test.h"

/*
 * The kernel's ext2_max_size() for 1 KiB blocks (fs/ext2/super.c in
 * Linux): 12 + 256 + 256^2 + 256^3 blocks, as i_blocks does not limit
 * it at this block size.
 */
#define KERNEL_EXT2_MAXBYTES_1K	(16843020ULL << 10)

/* INIT: the server turns off what would let the kernel trust stale data
 * or skip the server (write-back caching, killpriv, auto invalidation). */
START_TEST(test_init)
{
	struct fx f;

	fx_start(&f, 8192, NULL, 0, 0);
	ck_assert_uint_eq(f.c.init.major, FUSE_KERNEL_VERSION);
	ck_assert_uint_ge(f.c.init.minor, 31);
	ck_assert_uint_eq(f.c.init.flags & (FUSE_WRITEBACK_CACHE | FUSE_HANDLE_KILLPRIV |
					    FUSE_AUTO_INVAL_DATA), 0);
	ck_assert_uint_ne(f.c.init.flags & FUSE_ATOMIC_O_TRUNC, 0);
	ck_assert_uint_ne(f.c.init.flags & FUSE_DO_READDIRPLUS, 0);
	ck_assert_uint_ge(f.c.init.max_write, 128 << 10);
	ck_assert_uint_eq(f.c.init.time_gran, 1);
	fx_stop(&f);
}
END_TEST

/* OPEN with O_TRUNC (FUSE_ATOMIC_O_TRUNC) and SETATTR reply with the
 * attributes as they are after the change. */
START_TEST(test_trunc_and_setattr)
{
	struct fx f;
	struct fuse_setattr_in sa;
	struct fuse_attr a;
	uint64_t id, fh;

	fx_start(&f, 8192, NULL, 0, 0);
	id = lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL);
	/* The kernel takes the file as truncated once OPEN succeeds, for
	 * O_RDONLY too, as Linux truncates then. */
	ck_assert_int_eq(fw_open(&f.c, id, O_RDONLY | O_TRUNC, &fh), 0);
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), 0);
	ck_assert_uint_eq(a.size, 0);
	ck_assert_uint_eq(a.blocks, 0);
	ck_assert_int_eq(fw_open(&f.c, id, O_WRONLY, &fh), 0);
	ck_assert_int_eq(fw_write(&f.c, id, fh, 0, "abc", 3), 3);
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);
	ck_assert_int_eq(fw_open(&f.c, id, O_WRONLY | O_TRUNC, &fh), 0);
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), 0);
	ck_assert_uint_eq(a.size, 0);

	memset(&sa, 0, sizeof(sa));
	sa.valid = FATTR_SIZE | FATTR_MODE | FATTR_UID | FATTR_GID | FATTR_MTIME;
	sa.size = 12345;
	sa.mode = S_IFREG | 0640;
	sa.uid = 1234;
	sa.gid = 5678;
	sa.mtime = 1000000000;
	sa.mtimensec = 5;
	ck_assert_int_eq(fw_setattr(&f.c, id, &sa, &a), 0);
	ck_assert_uint_eq(a.size, 12345);
	ck_assert_uint_eq(a.mode, S_IFREG | 0640);
	ck_assert_uint_eq(a.uid, 1234);
	ck_assert_uint_eq(a.gid, 5678);
	ck_assert_uint_eq(a.mtime, 1000000000);
	fw_forget(&f.c, id, 1);
	fx_stop(&f);
}
END_TEST

/* ---- errors: names ------------------------------------------------------------------ */

START_TEST(test_name_errors)
{
	struct fx f;
	struct fuse_entry_out e;
	char longname[257], maxname[256];
	unsigned long base;
	uint64_t file, d, fh;

	fx_start(&f, 8192, NULL, 0, 0);
	memset(longname, 'n', 256);
	longname[256] = '\0';
	memset(maxname, 'm', 255);
	maxname[255] = '\0';
	file = lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL);
	d = lookup_ok(&f.c, FUSE_ROOT_ID, "d", NULL);
	base = nr_nodes();

	ck_assert_int_eq(fw_lookup(&f.c, FUSE_ROOT_ID, longname, &e), -ENAMETOOLONG);
	ck_assert_int_eq(fw_lookup(&f.c, FUSE_ROOT_ID, maxname, &e), 0);
	ck_assert_uint_eq(e.nodeid, 0);
	ck_assert_int_eq(fw_lookup(&f.c, file, "x", &e), -ENOTDIR);
	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, longname, 0755, &e), -ENAMETOOLONG);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, longname, S_IFREG | 0644, O_CREAT,
				   &e, &fh), -ENAMETOOLONG);
	ck_assert_int_eq(fw_symlink(&f.c, FUSE_ROOT_ID, longname, "f", &e), -ENAMETOOLONG);
	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, longname), -ENAMETOOLONG);

	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, "d", 0755, &e), -EEXIST);
	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, "f", 0755, &e), -EEXIST);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "f", S_IFREG | 0644,
				   O_CREAT | O_EXCL | O_RDWR, &e, &fh), -EEXIST);
	ck_assert_int_eq(fw_mknod(&f.c, FUSE_ROOT_ID, "d", S_IFIFO | 0644, &e), -EEXIST);
	ck_assert_int_eq(fw_symlink(&f.c, FUSE_ROOT_ID, "l", "f", &e), -EEXIST);
	ck_assert_int_eq(fw_link(&f.c, file, FUSE_ROOT_ID, "d", &e), -EEXIST);
	ck_assert_int_eq(fw_mkdir(&f.c, file, "x", 0755, &e), -ENOTDIR);
	ck_assert_int_eq(fw_create(&f.c, file, "x", S_IFREG | 0644, O_CREAT, &e, &fh),
			 -ENOTDIR);

	ck_assert_int_eq(fw_rmdir(&f.c, FUSE_ROOT_ID, "full"), -ENOTEMPTY);
	ck_assert_int_eq(fw_rmdir(&f.c, FUSE_ROOT_ID, "f"), -ENOTDIR);
	ck_assert_int_eq(fw_rmdir(&f.c, FUSE_ROOT_ID, "nothing"), -ENOENT);
	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "d"), -EISDIR);
	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "nothing"), -ENOENT);
	ck_assert_int_eq(fw_link(&f.c, d, FUSE_ROOT_ID, "dirlink", &e), -EPERM);

	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "nothing", FUSE_ROOT_ID, "x", 0),
			 -ENOENT);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "l",
				   RENAME_WHITEOUT), -EINVAL);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "l",
				   RENAME_NOREPLACE | RENAME_EXCHANGE), -EINVAL);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "l", 1U << 7),
			 -EINVAL);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "l",
				   RENAME_NOREPLACE), -EEXIST);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "d", FUSE_ROOT_ID, "full", 0),
			 -ENOTEMPTY);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "d", FUSE_ROOT_ID, "f", 0), -ENOTDIR);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "d", 0), -EISDIR);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "d", d, "inside", 0), -EINVAL);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, longname, 0),
			 -ENAMETOOLONG);

	/* A target that does not fit in a block (with its NUL, as Linux
	 * counts it). */
	{
		char target[1025];
		uint64_t sym;

		memset(target, 't', 1024);
		target[1024] = '\0';
		ck_assert_int_eq(fw_symlink(&f.c, FUSE_ROOT_ID, "s", target, &e), -ENAMETOOLONG);
		target[1023] = '\0';
		ck_assert_int_eq(fw_symlink(&f.c, FUSE_ROOT_ID, "s", target, &e), 0);
		sym = e.nodeid;
		ck_assert_uint_eq(e.attr.size, 1023);
		ck_assert_int_eq(fw_call(&f.c, FUSE_READLINK, sym, NULL, 0, NULL, 0, target,
					 sizeof(target)), 1023);
		ck_assert_int_eq(target[0], 't');
		ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "s"), 0);
		fw_forget(&f.c, sym, 1);
	}
	ck_assert_int_eq(fw_opendir(&f.c, file, &fh), -ENOTDIR);
	ck_assert_int_eq(fw_call(&f.c, FUSE_READLINK, file, NULL, 0, NULL, 0, NULL, 0),
			 -EINVAL);
	/* No error handed out a lookup. */
	ck_assert_uint_eq(nr_nodes(), base);
	fw_forget(&f.c, file, 1);
	fw_forget(&f.c, d, 1);
	fx_stop(&f);
}
END_TEST

/* Owners of new inodes: the caller's, or a set-group-ID directory's group
 * (which a new directory inherits with the bit), as Linux's ext2 does. */
START_TEST(test_owners)
{
	struct fx f;
	struct fuse_entry_out e;
	struct fuse_setattr_in sa;
	uint64_t d, fh;

	fx_start(&f, 8192, NULL, 0, 0);
	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, "sgid", 0777, &e), 0);
	d = e.nodeid;
	memset(&sa, 0, sizeof(sa));
	sa.valid = FATTR_MODE | FATTR_GID;
	sa.mode = S_IFDIR | S_ISGID | 0777;
	sa.gid = 777;
	ck_assert_int_eq(fw_setattr(&f.c, d, &sa, NULL), 0);
	f.c.uid = 1000;
	f.c.gid = 1000;
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "mine", S_IFREG | 0644, O_CREAT | O_RDWR,
				   &e, &fh), 0);
	ck_assert_uint_eq(e.attr.uid, 1000);
	ck_assert_uint_eq(e.attr.gid, 1000);
	ck_assert_int_eq(fw_release(&f.c, e.nodeid, fh), 0);
	fw_forget(&f.c, e.nodeid, 1);
	ck_assert_int_eq(fw_create(&f.c, d, "file", S_IFREG | 0644, O_CREAT | O_RDWR, &e, &fh),
			 0);
	ck_assert_uint_eq(e.attr.uid, 1000);
	ck_assert_uint_eq(e.attr.gid, 777);
	ck_assert_uint_eq(e.attr.mode, S_IFREG | 0644);
	ck_assert_int_eq(fw_release(&f.c, e.nodeid, fh), 0);
	fw_forget(&f.c, e.nodeid, 1);
	ck_assert_int_eq(fw_mkdir(&f.c, d, "sub", 0755, &e), 0);
	ck_assert_uint_eq(e.attr.gid, 777);
	ck_assert_uint_eq(e.attr.mode, S_IFDIR | S_ISGID | 0755);
	fw_forget(&f.c, e.nodeid, 1);
	ck_assert_int_eq(fw_symlink(&f.c, d, "sym", "file", &e), 0);
	ck_assert_uint_eq(e.attr.gid, 777);
	fw_forget(&f.c, e.nodeid, 1);
	fw_forget(&f.c, d, 1);
	fx_stop(&f);
}
END_TEST

/* ---- errors: extended attributes ----------------------------------------------------- */

START_TEST(test_xattr_errors)
{
	struct fx f;
	char buf[2048], longname[300];
	uint64_t file;

	fx_start(&f, 8192, NULL, 0, 0);
	file = lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL);
	ck_assert_int_eq(fw_setxattr(&f.c, file, "user.a", "value", 5, 0), 0);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.a", NULL, 0), 5);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.a", buf, 4), -ERANGE);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.a", buf, 5), 5);
	ck_assert(!memcmp(buf, "value", 5));
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.a", buf, sizeof(buf)), 5);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.none", NULL, 0), -ENODATA);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.none", buf, sizeof(buf)), -ENODATA);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "bogus.a", buf, sizeof(buf)), -EOPNOTSUPP);

	ck_assert_int_eq(fw_listxattr(&f.c, file, NULL, 0), 7);
	ck_assert_int_eq(fw_listxattr(&f.c, file, buf, 6), -ERANGE);
	ck_assert_int_eq(fw_listxattr(&f.c, file, buf, sizeof(buf)), 7);
	ck_assert(!memcmp(buf, "user.a", 7));

	ck_assert_int_eq(fw_setxattr(&f.c, file, "user.a", "x", 1, XATTR_CREATE), -EEXIST);
	ck_assert_int_eq(fw_setxattr(&f.c, file, "user.b", "x", 1, XATTR_REPLACE), -ENODATA);
	ck_assert_int_eq(fw_setxattr(&f.c, file, "bogus.a", "x", 1, 0), -EOPNOTSUPP);
	memset(longname, 'x', sizeof(longname));
	memcpy(longname, "user.", 5);
	longname[5 + 256] = '\0';
	ck_assert_int_eq(fw_setxattr(&f.c, file, longname, "x", 1, 0), -ERANGE);
	/* Larger than a block: ERANGE; a block that cannot hold it: ENOSPC. */
	memset(buf, 'v', sizeof(buf));
	ck_assert_int_eq(fw_setxattr(&f.c, file, "user.big", buf, 1025, 0), -ERANGE);
	ck_assert_int_eq(fw_setxattr(&f.c, file, "user.big", buf, 1024, 0), -ENOSPC);
	/* trusted.* names are listed to root only (CAP_SYS_ADMIN in Linux). */
	ck_assert_int_eq(fw_setxattr(&f.c, file, "trusted.t", "x", 1, 0), 0);
	ck_assert_int_eq(fw_listxattr(&f.c, file, NULL, 0), 7 + 10);
	f.c.uid = f.c.gid = 1000;
	ck_assert_int_eq(fw_listxattr(&f.c, file, NULL, 0), 7);
	ck_assert_int_eq(fw_listxattr(&f.c, file, buf, 7), 7);
	ck_assert(!memcmp(buf, "user.a", 7));
	ck_assert_int_eq(fw_listxattr(&f.c, file, buf, 6), -ERANGE);
	f.c.uid = f.c.gid = 0;
	ck_assert_int_eq(fw_listxattr(&f.c, file, buf, sizeof(buf)), 17);
	ck_assert_int_eq(fw_removexattr(&f.c, file, "trusted.t"), 0);
	ck_assert_int_eq(fw_removexattr(&f.c, file, "user.none"), -ENODATA);
	ck_assert_int_eq(fw_removexattr(&f.c, file, "user.a"), 0);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.a", NULL, 0), -ENODATA);
	ck_assert_int_eq(fw_listxattr(&f.c, file, NULL, 0), 0);
	fw_forget(&f.c, file, 1);
	fx_stop(&f);
}
END_TEST

/* ---- errors: a read-only mount refuses every change --------------------------------- */

START_TEST(test_readonly)
{
	struct fx f;
	struct fuse_entry_out e;
	struct fuse_setattr_in sa;
	char buf[8192];
	uint64_t file, d, l, fh;
	unsigned long base;

	/* Give the file an attribute first, read-write. */
	fx_start(&f, 8192, NULL, 0, 0);
	file = lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL);
	ck_assert_int_eq(fw_setxattr(&f.c, file, "user.a", "v", 1, 0), 0);
	fw_forget(&f.c, file, 1);
	fx_unserve(&f);
	fx_serve(&f, 1, 0);

	file = lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL);
	d = lookup_ok(&f.c, FUSE_ROOT_ID, "d", NULL);
	l = lookup_ok(&f.c, FUSE_ROOT_ID, "l", NULL);
	base = nr_nodes();

	/* Reading works. */
	ck_assert_int_eq(fw_open(&f.c, file, O_RDONLY, &fh), 0);
	ck_assert_int_eq(fw_read(&f.c, file, fh, 0, buf, sizeof(buf)), 5000);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.a", buf, sizeof(buf)), 1);
	ck_assert_int_eq(fw_access(&f.c, file, R_OK), 0);

	/* Every change: EROFS. */
	ck_assert_int_eq(fw_write(&f.c, file, fh, 0, "x", 1), -EROFS);
	ck_assert_int_eq(fw_fallocate(&f.c, file, fh, 0, 0, 8192), -EROFS);
	ck_assert_int_eq(fw_fallocate(&f.c, file, fh, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      0, 4096), -EROFS);
	ck_assert_int_eq(fw_release(&f.c, file, fh), 0);
	ck_assert_int_eq(fw_open(&f.c, file, O_WRONLY, &fh), -EROFS);
	ck_assert_int_eq(fw_open(&f.c, file, O_RDWR | O_TRUNC, &fh), -EROFS);
	ck_assert_int_eq(fw_open(&f.c, file, O_RDONLY | O_TRUNC, &fh), -EROFS);
	ck_assert_int_eq(fw_access(&f.c, file, W_OK), -EROFS);
	memset(&sa, 0, sizeof(sa));
	sa.valid = FATTR_SIZE;
	ck_assert_int_eq(fw_setattr(&f.c, file, &sa, NULL), -EROFS);
	sa.valid = FATTR_MODE;
	sa.mode = S_IFREG | 0600;
	ck_assert_int_eq(fw_setattr(&f.c, file, &sa, NULL), -EROFS);
	sa.valid = FATTR_UID | FATTR_GID;
	ck_assert_int_eq(fw_setattr(&f.c, file, &sa, NULL), -EROFS);
	sa.valid = FATTR_ATIME | FATTR_MTIME;
	ck_assert_int_eq(fw_setattr(&f.c, file, &sa, NULL), -EROFS);
	ck_assert_int_eq(fw_setxattr(&f.c, file, "user.b", "v", 1, 0), -EROFS);
	ck_assert_int_eq(fw_removexattr(&f.c, file, "user.a"), -EROFS);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "n", S_IFREG | 0644, O_CREAT | O_RDWR,
				   &e, &fh), -EROFS);
	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, "n", 0755, &e), -EROFS);
	ck_assert_int_eq(fw_mknod(&f.c, FUSE_ROOT_ID, "n", S_IFIFO | 0644, &e), -EROFS);
	ck_assert_int_eq(fw_symlink(&f.c, FUSE_ROOT_ID, "n", "f", &e), -EROFS);
	ck_assert_int_eq(fw_link(&f.c, file, FUSE_ROOT_ID, "n", &e), -EROFS);
	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "f"), -EROFS);
	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "l"), -EROFS);
	ck_assert_int_eq(fw_rmdir(&f.c, FUSE_ROOT_ID, "d"), -EROFS);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "g", 0), -EROFS);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "l",
				   RENAME_EXCHANGE), -EROFS);
	ck_assert_uint_eq(nr_nodes(), base);
	fw_forget(&f.c, file, 1);
	fw_forget(&f.c, d, 1);
	fw_forget(&f.c, l, 1);
	fx_stop(&f);
}
END_TEST

/* ---- errors: space, size, and what ext2 cannot keep ---------------------------------- */

START_TEST(test_enospc)
{
	enum { CHUNK = 32 << 10 };
	struct fx f;
	struct fuse_entry_out e;
	struct fuse_kstatfs s0, s;
	static char chunk[CHUNK], back[CHUNK];
	char name[16];
	uint64_t ids[256], id, fh;
	unsigned long n = 0, i;
	uint64_t off = 0;
	ssize_t w;
	int err;

	fx_start(&f, 1024, "-N 32", 0, 0);
	s0 = statfs_ok(&f.c);
	ck_assert_uint_lt(s0.ffree, 256);

	/* Inodes: exactly ffree files, then ENOSPC for files and dirs. */
	for (;;) {
		snprintf(name, sizeof(name), "n%lu", n);
		err = fw_create(&f.c, FUSE_ROOT_ID, name, S_IFREG | 0644, O_CREAT | O_RDWR, &e,
				&fh);
		if (err)
			break;
		ck_assert_int_eq(fw_release(&f.c, e.nodeid, fh), 0);
		ids[n++] = e.nodeid;
		ck_assert_uint_lt(n, 256);
	}
	ck_assert_int_eq(err, -ENOSPC);
	ck_assert_uint_eq(n, s0.ffree);
	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, "dir", 0755, &e), -ENOSPC);
	ck_assert_int_eq(fw_symlink(&f.c, FUSE_ROOT_ID, "sym", "f", &e), -ENOSPC);
	ck_assert_uint_eq(nr_nodes(), 1 + n);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "n%lu", i);
		ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, name), 0);
		fw_forget(&f.c, ids[i], 1);
	}
	s = statfs_ok(&f.c);
	ck_assert_uint_eq(s.ffree, s0.ffree);

	/* Blocks: write until ENOSPC; what was written stays readable. */
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "big", S_IFREG | 0644, O_CREAT | O_RDWR,
				   &e, &fh), 0);
	id = e.nodeid;
	for (i = 0; i < CHUNK; i++)
		chunk[i] = (char)(i % 253);
	for (;;) {
		w = fw_write(&f.c, id, fh, off, chunk, CHUNK);
		if (w < 0)
			break;
		ck_assert_int_gt(w, 0);
		off += (uint64_t)w;
		ck_assert_uint_lt(off, 2 << 20);
	}
	ck_assert_int_eq(w, -ENOSPC);
	ck_assert_uint_gt(off, 0);
	s = statfs_ok(&f.c);
	ck_assert_uint_eq(s.bavail, 0);
	ck_assert_int_eq(fw_read(&f.c, id, fh, off - (off % CHUNK ? off % CHUNK : CHUNK), back,
				 CHUNK), off % CHUNK ? (ssize_t)(off % CHUNK) : CHUNK);
	ck_assert(!memcmp(back, chunk, off % CHUNK ? off % CHUNK : CHUNK));
	ck_assert_int_eq(fw_setxattr(&f.c, id, "user.x", "v", 1, 0), -ENOSPC);
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);
	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "big"), 0);
	fw_forget(&f.c, id, 1);
	s = statfs_ok(&f.c);
	ck_assert_uint_eq(s.bfree, s0.bfree);
	ck_assert_uint_eq(s.ffree, s0.ffree);
	fx_stop(&f);
}
END_TEST

START_TEST(test_efbig)
{
	const uint64_t max = KERNEL_EXT2_MAXBYTES_1K;
	struct fx f;
	struct fuse_entry_out e;
	struct fuse_setattr_in sa;
	struct fuse_attr a;
	char buf[64];
	uint64_t id, fh;

	fx_start(&f, 8192, NULL, 0, 0);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "huge", S_IFREG | 0644,
				   O_CREAT | O_RDWR, &e, &fh), 0);
	id = e.nodeid;
	ck_assert_int_eq(fw_write(&f.c, id, fh, max, "x", 1), -EFBIG);
	ck_assert_int_eq(fw_write(&f.c, id, fh, max + 4096, "x", 1), -EFBIG);
	/* Across the limit: the part below it. */
	ck_assert_int_eq(fw_write(&f.c, id, fh, max - 8, "0123456789abcdef", 16), 8);
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), 0);
	ck_assert_uint_eq(a.size, max);
	ck_assert_int_eq(fw_read(&f.c, id, fh, max - 8, buf, sizeof(buf)), 8);
	ck_assert(!memcmp(buf, "01234567", 8));
	ck_assert_int_eq(fw_read(&f.c, id, fh, max, buf, sizeof(buf)), 0);
	memset(&sa, 0, sizeof(sa));
	sa.valid = FATTR_SIZE;
	sa.size = max + 1;
	ck_assert_int_eq(fw_setattr(&f.c, id, &sa, NULL), -EFBIG);
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, 0, max, 1), -EFBIG);
	sa.size = 0;
	ck_assert_int_eq(fw_setattr(&f.c, id, &sa, &a), 0);
	ck_assert_uint_eq(a.size, 0);
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);
	fw_forget(&f.c, id, 1);
	fx_stop(&f);
}
END_TEST

START_TEST(test_fallocate_and_seek)
{
	struct fx f;
	struct fuse_entry_out e;
	struct fuse_attr a;
	char buf[8192];
	uint64_t id, fh, sp;

	fx_start(&f, 8192, NULL, 0, 0);
	id = lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL);
	ck_assert_int_eq(fw_open(&f.c, id, O_RDWR, &fh), 0);

	/* Modes ext2 has no way to keep. */
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, FALLOC_FL_ZERO_RANGE, 0, 1024), -EOPNOTSUPP);
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, FALLOC_FL_COLLAPSE_RANGE, 0, 1024),
			 -EOPNOTSUPP);
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, FALLOC_FL_INSERT_RANGE, 0, 1024),
			 -EOPNOTSUPP);
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, FALLOC_FL_UNSHARE_RANGE, 0, 1024),
			 -EOPNOTSUPP);
	/* Blocks past i_size. */
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, FALLOC_FL_KEEP_SIZE, 4096, 8192),
			 -EOPNOTSUPP);
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), 0);
	ck_assert_uint_eq(a.size, 5000);
	/* What it can: allocation that extends, and punching inside. */
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, 0, 0, 6000), 0);
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), 0);
	ck_assert_uint_eq(a.size, 6000);
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      1024, 2048), 0);
	ck_assert_int_eq(fw_read(&f.c, id, fh, 1000, buf, 100), 100);
	ck_assert_int_eq(buf[23], 1023 % 251);	/* kept */
	ck_assert_int_eq(buf[24], 0);		/* 1024: punched */

	/* Short reads at the end of file, none past it. */
	ck_assert_int_eq(fw_read(&f.c, id, fh, 4096, buf, 4096), 6000 - 4096);
	ck_assert_int_eq(fw_read(&f.c, id, fh, 5999, buf, 4096), 1);
	ck_assert_int_eq(fw_read(&f.c, id, fh, 6000, buf, 4096), 0);
	ck_assert_int_eq(fw_read(&f.c, id, fh, 1 << 20, buf, 4096), 0);

	/* SEEK_DATA / SEEK_HOLE: ENXIO at and past the end. */
	ck_assert_int_eq(fw_lseek(&f.c, id, fh, 6000, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(fw_lseek(&f.c, id, fh, 6000, SEEK_HOLE), -ENXIO);
	ck_assert_int_eq(fw_lseek(&f.c, id, fh, 1 << 30, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(fw_lseek(&f.c, id, fh, 0, SEEK_DATA), 0);
	ck_assert_int_eq(fw_lseek(&f.c, id, fh, 5999, SEEK_HOLE), 6000);
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);

	/* A sparse file: the data after the hole is found. */
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "sparse", S_IFREG | 0644,
				   O_CREAT | O_RDWR, &e, &fh), 0);
	sp = e.nodeid;
	ck_assert_int_eq(fw_write(&f.c, sp, fh, 65536, "data", 4), 4);
	ck_assert_int_eq(fw_lseek(&f.c, sp, fh, 0, SEEK_DATA), 65536);
	ck_assert_int_eq(fw_lseek(&f.c, sp, fh, 65540, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(fw_read(&f.c, sp, fh, 0, buf, 4096), 4096);
	ck_assert_int_eq(buf[0] | buf[4095], 0);
	ck_assert_int_eq(fw_release(&f.c, sp, fh), 0);
	fw_forget(&f.c, sp, 1);
	fw_forget(&f.c, id, 1);
	fx_stop(&f);
}
END_TEST

static Suite *fuse_replies_suite(void)
{
	Suite *s = suite_create("fuse_replies");
	TCase *tc = tcase_create("replies");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_trunc_and_setattr);
	tcase_add_test(tc, test_owners);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_name_errors);
	tcase_add_test(tc, test_xattr_errors);
	tcase_add_test(tc, test_readonly);
	tcase_add_test(tc, test_enospc);
	tcase_add_test(tc, test_efbig);
	tcase_add_test(tc, test_fallocate_and_seek);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(fuse_replies_suite)
