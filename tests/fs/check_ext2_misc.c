/*
 * tests/fs/check_ext2_misc.c - the rest of ext2: extended attributes
 * (and blocks shared between inodes), hash-indexed directories made by
 * e2fsck -D, nanosecond times in 256-byte inodes, and corrupt images:
 * each kind of damage gives EIO for that object, one log line, and the
 * rest of the image stays usable; random damage never crashes.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "fs/ext2/ext2_fs.h"
#include "tests/fs/ext2_test.h"

static const unsigned int block_sizes[] = { 1024, 2048, 4096 };

struct fixture {
	char *dir;
	char src[4200], img[4200];
	struct super_block *sb;
	struct inode *root;
};

static void mount_fx(struct fixture *f, int ro)
{
	f->sb = t_mount(f->img, ro);
	ck_assert_int_eq(ext2_iget(f->sb, EXT2_ROOT_INO_NR, &f->root), 0);
}

static void umount_fx(struct fixture *f)
{
	iput(f->root);
	t_umount(f->sb);
}

static void setup(struct fixture *f, int maker, unsigned int bs, int with_tree)
{
	f->dir = t_scratch();
	snprintf(f->src, sizeof(f->src), "%s/src", f->dir);
	snprintf(f->img, sizeof(f->img), "%s/img", f->dir);
	mkdir(f->src, 0755);
	if (with_tree)
		t_make_tree(f->src);
	t_make_image(maker, f->img, bs, with_tree ? f->src : NULL, 32768);
	t_boot();
}

static void teardown(struct fixture *f, int fsck)
{
	if (fsck)
		ck_assert_int_eq(t_e2fsck(f->img), 0);
	vm_exit();
	t_scratch_free(f->dir);
}

static struct inode *create(struct inode *dir, const char *name)
{
	struct inode *inode;

	ck_assert_int_eq(ext2_create(dir, name, strlen(name), 0644, 0, 0, &inode), 0);
	return inode;
}

/* ---- extended attributes --------------------------------------------------- */

START_TEST(test_xattr)
{
	struct fixture f;
	struct inode *a, *b;
	char buf[5000], big[5000];
	ssize_t n;

	setup(&f, _i / 3, block_sizes[_i % 3], 0);
	mount_fx(&f, 0);
	a = create(f.root, "a");
	ck_assert_int_eq(ext2_getxattr(a, "user.x", buf, sizeof(buf)), -ENODATA);
	ck_assert_int_eq(ext2_listxattr(a, buf, sizeof(buf)), 0);
	ck_assert_int_eq(ext2_setxattr(a, "user.x", "hello", 5, 0), 0);
	ck_assert_int_eq(ext2_setxattr(a, "trusted.t", "T", 1, 0), 0);
	ck_assert_int_eq(ext2_setxattr(a, "security.s", "", 0, 0), 0);
	ck_assert_int_eq(ext2_setxattr(a, "user.x", "again", 5, XATTR_CREATE), -EEXIST);
	ck_assert_int_eq(ext2_setxattr(a, "user.nope", "v", 1, XATTR_REPLACE), -ENODATA);
	ck_assert_int_eq(ext2_setxattr(a, "bogus.x", "v", 1, 0), -EOPNOTSUPP);
	ck_assert_int_eq(ext2_setxattr(a, "user.x", "world!", 6, XATTR_REPLACE), 0);
	n = ext2_getxattr(a, "user.x", buf, sizeof(buf));
	ck_assert_int_eq(n, 6);
	ck_assert(!memcmp(buf, "world!", 6));
	ck_assert_int_eq(ext2_getxattr(a, "user.x", NULL, 0), 6);
	ck_assert_int_eq(ext2_getxattr(a, "user.x", buf, 2), -ERANGE);
	ck_assert_int_eq(ext2_getxattr(a, "security.s", buf, sizeof(buf)), 0);
	n = ext2_listxattr(a, buf, sizeof(buf));
	ck_assert_int_eq(n, (ssize_t)(sizeof("user.x") + sizeof("trusted.t") + sizeof("security.s")));
	memset(big, 'v', sizeof(big));
	ck_assert_int_eq(ext2_setxattr(a, "user.big", big, f.sb->s_blocksize, 0), -ENOSPC);
	ck_assert_int_eq(ext2_setxattr(a, "user.big", big, f.sb->s_blocksize / 2, 0), 0);
	b = create(f.root, "b");
	ck_assert_int_eq(ext2_setxattr(b, "user.only", "1", 1, 0), 0);
	ck_assert_int_eq(ext2_removexattr(b, "user.only"), 0);
	ck_assert_int_eq(ext2_removexattr(b, "user.only"), -ENODATA);
	iput(b);
	iput(a);
	umount_fx(&f);
	ck_assert_int_eq(t_e2fsck(f.img), 0);
	mount_fx(&f, 0);
	a = t_walk(f.sb, "a");
	n = ext2_getxattr(a, "user.big", buf, sizeof(buf));
	ck_assert_int_eq(n, (ssize_t)f.sb->s_blocksize / 2);
	ck_assert(!memcmp(buf, big, (size_t)n));
	ck_assert_int_eq(ext2_getxattr(a, "trusted.t", buf, sizeof(buf)), 1);
	iput(a);
	ck_assert_int_eq(ext2_unlink(f.root, "a", 1), 0);	/* frees the block */
	umount_fx(&f);
	teardown(&f, 1);
}
END_TEST

static void poke(const char *img, unsigned long long off, const void *data, size_t len)
{
	int fd = open(img, O_RDWR);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, data, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/* The xattr block's h_refcount, as on the image (1 KiB blocks). */
static uint32_t refcount_of(const char *img, unsigned long blk)
{
	uint32_t v = 0;
	int fd = open(img, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &v, 4, (off_t)(blk * 1024 + 4)), 4);
	close(fd);
	return le32_to_cpu(v);
}

/* Whether the block bitmap has blk in use, as debugfs reads it. */
static int block_in_use(const char *img, unsigned long blk)
{
	int st = t_sh("debugfs -R 'testb %lu' '%s' 2>/dev/null | grep -q 'marked in use'",
		      blk, img);

	ck_assert_int_ge(st, 0);
	return st == 0;
}

/* Share path's xattr block blk (path has none) as e2fsck would accept
 * it: the pointer, i_blocks, and a count of two users, with debugfs. */
static void share_block(const char *img, const char *path, unsigned long blk)
{
	uint32_t two = cpu_to_le32(2);

	ck_assert_int_eq(t_sh("debugfs -w -R 'sif %s file_acl %lu' '%s' >/dev/null 2>&1",
			      path, blk, img), 0);
	ck_assert_int_eq(t_sh("debugfs -w -R 'sif %s blocks 2' '%s' >/dev/null 2>&1", path,
			      img), 0);
	poke(img, blk * 1024ULL + 4, &two, 4);
	ck_assert_int_eq(t_e2fsck(img), 0);
}

/* A block shared by two inodes (as e2fsck/mke2fs may leave them): a
 * change copies it, a deletion only drops the count. */
START_TEST(test_xattr_shared)
{
	struct fixture f;
	struct inode *a, *b;
	char buf[64];
	unsigned long blk;
	FILE *p;
	char cmd[9000];

	setup(&f, 0, 1024, 0);
	mount_fx(&f, 0);
	a = create(f.root, "a");
	b = create(f.root, "b");
	ck_assert_int_eq(ext2_setxattr(a, "user.k", "shared", 6, 0), 0);
	iput(a);
	iput(b);
	umount_fx(&f);
	snprintf(cmd, sizeof(cmd), "debugfs -R 'stat /a' '%s' 2>/dev/null | "
		 "sed -n 's/.*File ACL: \\([0-9]*\\).*/\\1/p'", f.img);
	p = popen(cmd, "r");
	ck_assert_int_eq(fscanf(p, "%lu", &blk), 1);
	pclose(p);
	share_block(f.img, "/b", blk);
	mount_fx(&f, 0);
	b = t_walk(f.sb, "b");
	ck_assert_int_eq(ext2_getxattr(b, "user.k", buf, sizeof(buf)), 6);
	ck_assert_int_eq(ext2_setxattr(b, "user.k", "mine", 4, 0), 0);	/* copy on write */
	iput(b);
	a = t_walk(f.sb, "a");
	ck_assert_int_eq(ext2_getxattr(a, "user.k", buf, sizeof(buf)), 6);
	ck_assert(!memcmp(buf, "shared", 6));
	iput(a);
	umount_fx(&f);
	ck_assert_int_eq(t_e2fsck(f.img), 0);
	ck_assert_uint_eq(refcount_of(f.img, blk), 1);

	/* Share again (b's copy removed first), then delete one user: the
	 * count drops, the block stays for the other. */
	mount_fx(&f, 0);
	b = t_walk(f.sb, "b");
	ck_assert_int_eq(ext2_removexattr(b, "user.k"), 0);
	iput(b);
	umount_fx(&f);
	share_block(f.img, "/b", blk);
	mount_fx(&f, 0);
	ck_assert_int_eq(ext2_unlink(f.root, "a", 1), 0);
	b = t_walk(f.sb, "b");
	ck_assert_int_eq(ext2_getxattr(b, "user.k", buf, sizeof(buf)), 6);
	ck_assert(!memcmp(buf, "shared", 6));
	iput(b);
	umount_fx(&f);
	ck_assert_int_eq(t_e2fsck(f.img), 0);
	ck_assert_uint_eq(refcount_of(f.img, blk), 1);
	ck_assert(block_in_use(f.img, blk));
	mount_fx(&f, 0);
	b = t_walk(f.sb, "b");
	ck_assert_int_eq(ext2_getxattr(b, "user.k", buf, sizeof(buf)), 6);
	iput(b);
	/* the last user goes: so does the block */
	ck_assert_int_eq(ext2_unlink(f.root, "b", 1), 0);
	umount_fx(&f);
	ck_assert(!block_in_use(f.img, blk));
	teardown(&f, 1);
}
END_TEST

/* ---- dir_index --------------------------------------------------------------- */

START_TEST(test_dir_index)
{
	struct fixture f;
	struct inode *many, *inode;
	char name[64];
	int i;

	setup(&f, 0, block_sizes[_i], 1);
	ck_assert_int_le(t_sh("e2fsck -fyD '%s' >/dev/null 2>&1", f.img), 1);
	ck_assert_int_eq(t_sh("debugfs -R 'stat /many' '%s' 2>/dev/null | grep -q 'Flags: 0x1000'",
			      f.img), 0);
	mount_fx(&f, 0);
	ck_assert_int_ge(t_compare_tree(f.sb, EXT2_ROOT_INO_NR, f.src), 150);
	umount_fx(&f);
	ck_assert_int_eq(t_e2fsck(f.img), 0);	/* reading changes nothing */
	ck_assert_int_eq(t_sh("debugfs -R 'stat /many' '%s' 2>/dev/null | grep -q 'Flags: 0x1000'",
			      f.img), 0);
	mount_fx(&f, 0);
	many = t_walk(f.sb, "many");
	for (i = 0; i < 150; i += 3) {
		snprintf(name, sizeof(name), "entry-with-a-longish-name-%03d", i);
		ck_assert_int_eq(ext2_unlink(many, name, strlen(name)), 0);
	}
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "added-later-%d", i);
		inode = create(many, name);
		iput(inode);
	}
	for (i = 1; i < 150; i += 3) {
		snprintf(name, sizeof(name), "entry-with-a-longish-name-%03d", i);
		ck_assert_int_eq(ext2_lookup(many, name, strlen(name), &inode), 0);
		iput(inode);
	}
	iput(many);
	umount_fx(&f);
	ck_assert_int_eq(t_sh("debugfs -R 'stat /many' '%s' 2>/dev/null | grep -q 'Flags: 0x1000'",
			      f.img), 1);
	teardown(&f, 1);
}
END_TEST

/* ---- times ---------------------------------------------------------------- */

START_TEST(test_times)
{
	struct fixture f;
	struct inode *a;
	struct stat st;
	struct ext2_iattr at = {
		.valid = EXT2_ATTR_ATIME | EXT2_ATTR_MTIME | EXT2_ATTR_MODE | EXT2_ATTR_UID |
			 EXT2_ATTR_GID,
		.atime = { 1234567890, 123456789 }, .mtime = { 0x7fffffffL + 100, 999999999 },
		.mode = 04711, .uid = 70000, .gid = 80000,
	};
	int large = _i == 0;

	f.dir = t_scratch();
	snprintf(f.img, sizeof(f.img), "%s/img", f.dir);
	t_mke2fs(f.img, 1024, NULL, 8192, large ? "-I 256" : "-I 128");
	t_boot();
	mount_fx(&f, 0);
	a = create(f.root, "a");
	ck_assert_int_eq(ext2_setattr(a, &at), 0);
	iput(a);
	umount_fx(&f);
	mount_fx(&f, 0);
	a = t_walk(f.sb, "a");
	ext2_getattr(a, &st);
	ck_assert_int_eq(st.st_atim.tv_sec, 1234567890);
	ck_assert_int_eq(st.st_atim.tv_nsec, large ? 123456789 : 0);
	ck_assert_int_eq(st.st_mtim.tv_sec, large ? 0x7fffffffL + 100 : (int32_t)(0x7fffffffL + 100));
	ck_assert_int_eq(st.st_mtim.tv_nsec, large ? 999999999 : 0);
	ck_assert_int_eq(st.st_mode, S_IFREG | 04711);
	ck_assert_int_eq(st.st_uid, 70000);
	ck_assert_int_eq(st.st_gid, 80000);
	iput(a);
	umount_fx(&f);
	teardown(&f, 1);
}
END_TEST

/* ---- fallocate, SEEK_DATA/SEEK_HOLE, fsync ---------------------------------- */

START_TEST(test_fallocate)
{
	struct fixture f;
	struct inode *a;
	struct stat st;
	char buf[4096];
	unsigned int bs = block_sizes[_i];
	int i;

	setup(&f, 1, bs, 0);
	mount_fx(&f, 0);
	a = create(f.root, "a");
	ck_assert_int_eq(ext2_file_write(a, "x", 1, 100LL * bs), 1);
	ck_assert_int_eq(ext2_seek_data(a, 0, SEEK_DATA), 100LL * bs);
	ck_assert_int_eq(ext2_seek_data(a, 0, SEEK_HOLE), 0);
	ck_assert_int_eq(ext2_seek_data(a, 100LL * bs, SEEK_HOLE), 100LL * bs + 1);
	ck_assert_int_eq(ext2_seek_data(a, 100LL * bs + 1, SEEK_DATA), -ENXIO);
	/* allocate inside the size: blocks appear, zeros read */
	ck_assert_int_eq(ext2_fallocate(a, FALLOC_FL_KEEP_SIZE, 10LL * bs, 5LL * bs), 0);
	ck_assert_int_eq(ext2_seek_data(a, 0, SEEK_DATA), 10LL * bs);
	ck_assert_int_eq(ext2_seek_data(a, 10LL * bs, SEEK_HOLE), 15LL * bs);
	ck_assert_int_eq(ext2_file_read(a, NULL, buf, sizeof(buf), 10LL * bs), sizeof(buf));
	for (i = 0; i < (int)sizeof(buf); i++)
		ck_assert_int_eq(buf[i], 0);
	ck_assert_int_eq(ext2_fallocate(a, FALLOC_FL_KEEP_SIZE, 200LL * bs, bs), -EOPNOTSUPP);
	/* allocate past the end: the size grows */
	ck_assert_int_eq(ext2_fallocate(a, 0, 100LL * bs, 3LL * bs + 7), 0);
	ext2_getattr(a, &st);
	ck_assert_int_eq(st.st_size, 103LL * bs + 7);
	ck_assert_int_eq(ext2_file_read(a, NULL, buf, 1, 100LL * bs), 1);
	ck_assert_int_eq(buf[0], 'x');
	/* punch the middle of the allocated run */
	ck_assert_int_eq(ext2_fallocate(a, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					11LL * bs, 2LL * bs), 0);
	ck_assert_int_eq(ext2_seek_data(a, 11LL * bs, SEEK_DATA), 13LL * bs);
	ck_assert_int_eq(ext2_fallocate(a, FALLOC_FL_PUNCH_HOLE, 0, bs), -EINVAL);
	ck_assert_int_eq(ext2_fsync(a, 0), 0);
	iput(a);
	umount_fx(&f);
	teardown(&f, 1);
}
END_TEST

/* a: n bytes of c from 0. */
static void fill_with(struct inode *a, char c, size_t n)
{
	static char buf[3 * 4096 + 100];

	ck_assert_uint_le(n, sizeof(buf));
	memset(buf, c, n);
	ck_assert_int_eq(ext2_file_write(a, buf, n, 0), (ssize_t)n);
}

/* a's bytes [from, to) are c, read back after dropping nothing. */
static void expect_bytes(struct inode *a, loff_t from, loff_t to, char c)
{
	static char buf[3 * 4096 + 100];
	loff_t i;

	ck_assert_int_eq(ext2_file_read(a, NULL, buf, (size_t)(to - from), from), to - from);
	for (i = 0; i < to - from; i++)
		ck_assert_msg(buf[i] == c, "byte %lld is %d, not %d", (long long)(from + i),
			      buf[i], c);
}

/*
 * A hole punched up to or past the end of file zeroes the partial block
 * at the end too (its whole blocks are freed); the size stays.
 */
START_TEST(test_punch_to_eof)
{
	struct fixture f;
	struct inode *a;
	struct stat st;
	unsigned int bs = block_sizes[_i];
	loff_t size = 3LL * bs + 100;

	setup(&f, 1, bs, 0);
	mount_fx(&f, 0);
	a = create(f.root, "a");
	/* past the end */
	fill_with(a, 'y', (size_t)size);
	ck_assert_int_eq(ext2_fallocate(a, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					bs / 2, 10LL * bs), 0);
	ext2_getattr(a, &st);
	ck_assert_int_eq(st.st_size, size);
	expect_bytes(a, 0, bs / 2, 'y');
	expect_bytes(a, bs / 2, size, 0);
	/* exactly to the end, from inside a block */
	fill_with(a, 'z', (size_t)size);
	ck_assert_int_eq(ext2_fallocate(a, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					bs + 1, size - bs - 1), 0);
	expect_bytes(a, 0, bs + 1, 'z');
	expect_bytes(a, bs + 1, size, 0);
	ck_assert_int_eq(ext2_fsync(a, 0), 0);
	iput(a);
	umount_fx(&f);
	/* and on the image, after the page cache is gone */
	mount_fx(&f, 0);
	ck_assert_int_eq(ext2_lookup(f.root, "a", 1, &a), 0);
	expect_bytes(a, 0, bs + 1, 'z');
	expect_bytes(a, bs + 1, size, 0);
	iput(a);
	umount_fx(&f);
	teardown(&f, 1);
}
END_TEST

/* ---- corrupt images -------------------------------------------------------- */

static unsigned long bmap(const char *img, const char *path, unsigned long blk)
{
	char cmd[9000];
	unsigned long phys = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "debugfs -R 'bmap %s %lu' '%s' 2>/dev/null", path, blk, img);
	p = popen(cmd, "r");
	ck_assert_int_eq(fscanf(p, "%lu", &phys), 1);
	pclose(p);
	return phys;
}

static void sif(const char *img, const char *path, const char *field, unsigned long v)
{
	ck_assert_int_eq(t_sh("debugfs -w -R 'sif %s %s %lu' '%s' >/dev/null 2>&1", path, field,
			      v, img), 0);
}

/* Everything but the damaged objects still reads. */
static void others_fine(struct fixture *f)
{
	size_t len;
	char *data = t_read_path(f->sb, "d1/f", &len);

	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(len, 2049);
	free(data);
}

/* Each damaged object's errors: one log line naming it, however often
 * it is used. */
static void one_line_each(const char *log, const unsigned long *ino, int n)
{
	char needle[64];
	int i;

	ck_assert_msg(t_log_count(log, "ext2 error") == n, "%d objects, log:\n%s", n, log);
	for (i = 0; i < n; i++) {
		int lines;

		snprintf(needle, sizeof(needle), "inode %lu:", ino[i]);
		lines = t_log_count(log, needle);
		snprintf(needle, sizeof(needle), "inode %lu,", ino[i]);
		lines += t_log_count(log, needle);
		ck_assert_msg(lines == 1, "inode %lu: %d lines, log:\n%s", ino[i], lines, log);
	}
}

START_TEST(test_corrupt_objects)
{
	static const char *const damaged[] = { "/d1/d2", "/small", "/dind", "/twelve", "/slow" };
	unsigned long ino[ARRAY_SIZE(damaged)];
	struct fixture f;
	struct inode *inode, *tmp;
	struct t_log log;
	char buf[8192], *text;
	uint16_t bad_rec = 5;
	uint32_t v;
	unsigned long blk;
	size_t k;

	setup(&f, 0, 1024, 1);
	for (k = 0; k < ARRAY_SIZE(damaged); k++)
		ino[k] = t_ino(f.img, damaged[k]);
	/* a directory block with a bad rec_len */
	blk = bmap(f.img, "/d1/d2", 0);
	poke(f.img, blk * 1024ULL + 4, &bad_rec, 2);
	/* a data block outside the file system */
	sif(f.img, "/small", "block[0]", 4000000000UL);
	/* a loop in an indirect chain: the double-indirect block names itself */
	blk = bmap(f.img, "/dind", 12 + 256);	/* first block under DIND */
	ck_assert_int_ne(blk, 0);
	ck_assert_int_eq(t_sh("debugfs -R 'stat /dind' '%s' 2>/dev/null | grep -q DIND", f.img), 0);
	{
		FILE *p;
		char cmd[9000];
		unsigned long dind = 0;

		snprintf(cmd, sizeof(cmd), "debugfs -R 'stat /dind' '%s' 2>/dev/null | "
			 "sed -n 's/.*(DIND):\\([0-9]*\\).*/\\1/p'", f.img);
		p = popen(cmd, "r");
		ck_assert_int_eq(fscanf(p, "%lu", &dind), 1);
		pclose(p);
		v = (uint32_t)dind;
		poke(f.img, dind * 1024ULL, &v, 4);
	}
	/* a bad mode, a symlink too long for its block */
	sif(f.img, "/twelve", "mode", 0170644);
	sif(f.img, "/slow", "size", 5000);
	mount_fx(&f, 0);
	t_log_begin(&log);
	/* the bad directory */
	inode = t_walk(f.sb, "d1/d2");
	ck_assert_ptr_nonnull(inode);
	ck_assert_int_eq(ext2_lookup(inode, "d3", 2, &tmp), -EIO);
	ck_assert_int_eq(ext2_readdir(inode, 0, NULL, NULL), -EIO);
	ck_assert_int_eq(ext2_create(inode, "new", 3, 0644, 0, 0, &tmp), -EIO);
	iput(inode);
	inode = t_walk(f.sb, "d1");
	ck_assert_int_eq(ext2_rmdir(inode, "d2", 2), -EIO);
	iput(inode);
	/* the block outside the file system */
	inode = t_walk(f.sb, "small");
	ck_assert_int_eq(ext2_file_read(inode, NULL, buf, sizeof(buf), 0), -EIO);
	iput(inode);
	/* the loop */
	inode = t_walk(f.sb, "dind");
	ck_assert_int_eq(ext2_file_read(inode, NULL, buf, 1024, (12 + 256) * 1024LL), -EIO);
	ck_assert_int_eq(ext2_file_read(inode, NULL, buf, 1024, 0), 1024);
	iput(inode);
	ck_assert_int_eq(ext2_unlink(f.root, "dind", 4), 0);	/* frees what it can */
	/* the bad mode (never cached: read again each time) and the bad symlink */
	ck_assert_ptr_null(t_walk(f.sb, "twelve"));
	ck_assert_ptr_null(t_walk(f.sb, "twelve"));
	inode = t_walk(f.sb, "slow");
	ck_assert_int_eq(ext2_readlink(inode, buf, sizeof(buf)), -EIO);
	ck_assert_int_eq(ext2_readlink(inode, buf, sizeof(buf)), -EIO);
	iput(inode);
	others_fine(&f);
	inode = create(f.root, "still-works");
	ck_assert_int_eq(ext2_file_write(inode, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	iput(inode);
	umount_fx(&f);
	text = t_log_end(&log);
	one_line_each(text, ino, (int)ARRAY_SIZE(damaged));
	free(text);
	teardown(&f, 0);
}
END_TEST

START_TEST(test_corrupt_super)
{
	struct fixture f;
	struct super_block *sb;
	struct ext2_mount_opts o;
	const char *why;
	uint16_t bad16 = 0x1234;
	uint32_t bad32 = 99999999;

	setup(&f, 0, 1024, 0);
	ext2_mount_opts_default(&o);
	o.path = f.img;
	poke(f.img, 1024 + 0x38, &bad16, 2);			/* magic */
	ck_assert_int_eq(ext2_mount(&o, &sb, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "magic"));
	bad16 = EXT2_SUPER_MAGIC;
	poke(f.img, 1024 + 0x38, &bad16, 2);
	poke(f.img, 2048 + 8, &bad32, 4);			/* group 0's inode table */
	ck_assert_int_eq(ext2_mount(&o, &sb, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "inode table"));
	poke(f.img, 1024 + 0x4, &bad32, 4);			/* block count */
	ck_assert_int_eq(ext2_mount(&o, &sb, &why), -EINVAL);
	teardown(&f, 0);
}
END_TEST

struct names {
	char name[400][256];
	int n;
};

static int collect(void *ctx, const char *name, size_t len, unsigned long ino,
		   unsigned char dtype, loff_t next)
{
	struct names *nm = ctx;

	(void)ino; (void)dtype; (void)next;
	if ((len == 1 && name[0] == '.') || (len == 2 && !memcmp(name, "..", 2)) ||
	    nm->n == 400)
		return 0;
	memcpy(nm->name[nm->n], name, len);
	nm->name[nm->n++][len] = '\0';
	return 0;
}

/* Read everything under dir that can be read (readdir's callback may not
 * call back into the directory: collect first). */
static void walk(struct inode *dir, int depth)
{
	struct names *nm = calloc(1, sizeof(*nm));
	static char buf[65536];
	int i;

	ext2_readdir(dir, 0, collect, nm);
	for (i = 0; i < nm->n && depth < 8; i++) {
		struct inode *inode;

		if (ext2_lookup(dir, nm->name[i], strlen(nm->name[i]), &inode))
			continue;
		if (S_ISDIR(inode->i_mode))
			walk(inode, depth + 1);
		else if (S_ISREG(inode->i_mode))
			ext2_file_read(inode, NULL, buf, sizeof(buf), 0);
		else if (S_ISLNK(inode->i_mode))
			ext2_readlink(inode, buf, sizeof(buf));
		iput(inode);
	}
	free(nm);
}

/* Random damage in the metadata: errors, never a crash. */
START_TEST(test_corrupt_random)
{
	struct fixture f;
	unsigned int seed = 777 + (unsigned int)_i;
	char copy[4300];
	int round, rounds;

	setup(&f, 0, block_sizes[_i % 3], 1);
	snprintf(copy, sizeof(copy), "%s/good", f.dir);
	ck_assert_int_eq(t_sh("cp '%s' '%s'", f.img, copy), 0);
	rounds = getenv("IMGFS_FUZZ_ROUNDS") ? atoi(getenv("IMGFS_FUZZ_ROUNDS")) : 12;
	for (round = 0; round < rounds; round++) {
		struct ext2_mount_opts o;
		struct super_block *sb;
		struct inode *root, *inode;
		const char *why;
		int fd = open(f.img, O_RDWR), i;
		unsigned long meta = (unsigned long)(block_sizes[_i % 3]) * 300;

		ck_assert_int_eq(t_sh("cp '%s' '%s'", copy, f.img), 0);
		for (i = 0; i < 60; i++) {
			unsigned char c = (unsigned char)rand_r(&seed);
			off_t off = 2048 + (off_t)(rand_r(&seed) % meta);

			ck_assert_int_eq(pwrite(fd, &c, 1, off), 1);
		}
		close(fd);
		ext2_mount_opts_default(&o);
		o.path = f.img;
		if (ext2_mount(&o, &sb, &why))
			continue;
		if (!ext2_iget(sb, EXT2_ROOT_INO_NR, &root)) {
			walk(root, 0);
			if (!ext2_create(root, "fresh", 5, 0644, 0, 0, &inode)) {
				char buf[20000] = { 1 };

				ext2_file_write(inode, buf, sizeof(buf), 0);
				ext2_truncate(inode, 100);
				iput(inode);
			}
			ext2_unlink(root, "dind", 4);
			ext2_rmdir(root, "many", 4);
			ext2_rename(root, "d1", 2, root, "d9", 2, 0);
			iput(root);
		}
		ext2_unmount(sb);
	}
	teardown(&f, 0);
}
END_TEST

static Suite *ext2_misc_suite(void)
{
	Suite *s = suite_create("ext2_misc");
	TCase *tc = tcase_create("xattr");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_xattr, 0, 6);
	tcase_add_test(tc, test_xattr_shared);
	suite_add_tcase(s, tc);
	tc = tcase_create("dir_index");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_dir_index, 0, 3);
	tcase_add_loop_test(tc, test_times, 0, 2);
	tcase_add_loop_test(tc, test_fallocate, 0, 3);
	tcase_add_loop_test(tc, test_punch_to_eof, 0, 3);
	suite_add_tcase(s, tc);
	tc = tcase_create("corrupt");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_corrupt_objects);
	tcase_add_test(tc, test_corrupt_super);
	tcase_add_loop_test(tc, test_corrupt_random, 0, 6);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(ext2_misc_suite)
