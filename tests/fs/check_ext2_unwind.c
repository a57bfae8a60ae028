/*
 * tests/fs/check_ext2_unwind.c - every error path unwinds (issue 10).
 *
 * For each namespace, data and attribute operation, the Nth allocation
 * the arena serves after the operation starts fails (vm/fault_inject.h),
 * for every N from 1 until the operation runs without an injected
 * failure.  After each run the image is unmounted, e2fsck -fn must find
 * it clean (no leaked blocks or inodes, no half-made entries), and,
 * mounted again, the operation must be either wholly done (it returned
 * success) or not done at all (it returned an error).
 *
 * The VM is an 8 MiB arena: one zone (DMA), so one injected failure
 * fails the request as a whole rather than falling back to another zone.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fs/ext2/ext2_fs.h"
#include "tests/fs/ext2_test.h"
#include "vm/fault_inject.h"

#define F_SIZE		40960		/* f: past the direct blocks (1 KiB blocks) */
#define WRITE_LEN	30000
#define TRUNC_SIZE	5000
#define FALLOC_LEN	200000
#define MAX_N		400		/* an operation makes fewer allocations */

enum state { NOT_DONE, DONE, HALF };

struct unwind_op {
	const char *name;
	/* Run the operation on the mounted sb; 0 or -errno (write: bytes). */
	long (*run)(struct super_block *sb, struct inode *root);
	/* Mounted again read-only: what the image shows, given ret. */
	enum state (*state)(struct super_block *sb, struct inode *root, long ret);
};

static char f_data[F_SIZE + WRITE_LEN];
static const char slow_target[] =
	"a/long/symlink/target/that/does/not/fit/in/the/inode/and/so/takes/a/block/"
	"a/long/symlink/target/that/does/not/fit/in/the/inode/and/so/takes/a/block";

/* ---- helpers --------------------------------------------------------------- */

static struct inode *lookup(struct inode *dir, const char *name)
{
	struct inode *inode;

	return ext2_lookup(dir, name, strlen(name), &inode) ? NULL : inode;
}

static int exists(struct inode *dir, const char *name)
{
	struct inode *inode = lookup(dir, name);

	iput(inode);
	return inode != NULL;
}

/* f's size if its first size bytes are f_data's, else -1. */
static loff_t f_matches(struct inode *root, const char *name)
{
	static char buf[sizeof(f_data)];
	struct inode *f = lookup(root, name);
	loff_t size;

	if (!f)
		return -1;
	size = f->i_size;
	if (size > (loff_t)sizeof(buf) ||
	    ext2_file_read(f, NULL, buf, (size_t)size, 0) != size ||
	    memcmp(buf, f_data, (size_t)size))
		size = -1;
	iput(f);
	return size;
}

static unsigned int nlink_of(struct inode *root, const char *name)
{
	struct inode *inode = lookup(root, name);
	unsigned int n = inode ? inode->i_nlink : 0;

	iput(inode);
	return n;
}

static enum state done_if(int done, int not_done)
{
	return done && !not_done ? DONE : not_done && !done ? NOT_DONE : HALF;
}

/* ---- the operations -------------------------------------------------------- */

static long run_create(struct super_block *sb, struct inode *root)
{
	struct inode *inode;
	int err = ext2_create(root, "new", 3, S_IFREG | 0644, 0, 0, &inode);

	(void)sb;
	if (!err)
		iput(inode);
	return err;
}

static enum state state_create(struct super_block *sb, struct inode *root, long ret)
{
	(void)sb;
	(void)ret;
	return exists(root, "new") ? DONE : NOT_DONE;
}

static long run_mkdir(struct super_block *sb, struct inode *root)
{
	struct inode *inode;
	int err = ext2_mkdir(root, "nd", 2, S_IFDIR | 0755, 0, 0, &inode);

	(void)sb;
	if (!err)
		iput(inode);
	return err;
}

static enum state state_mkdir(struct super_block *sb, struct inode *root, long ret)
{
	(void)sb;
	(void)ret;
	return exists(root, "nd") ? DONE : NOT_DONE;
}

static long run_symlink(struct super_block *sb, struct inode *root)
{
	struct inode *inode;
	int err = ext2_symlink(root, "sl", 2, slow_target, 0, 0, &inode);

	(void)sb;
	if (!err)
		iput(inode);
	return err;
}

static enum state state_symlink(struct super_block *sb, struct inode *root, long ret)
{
	struct inode *inode = lookup(root, "sl");
	char buf[sizeof(slow_target)];
	ssize_t n;

	(void)sb;
	(void)ret;
	if (!inode)
		return NOT_DONE;
	n = ext2_readlink(inode, buf, sizeof(buf));
	iput(inode);
	return n == (ssize_t)strlen(slow_target) && !memcmp(buf, slow_target, (size_t)n) ?
		       DONE : HALF;
}

static long run_link(struct super_block *sb, struct inode *root)
{
	struct inode *f = lookup(root, "f"), *d = lookup(root, "d");
	int err = f && d ? ext2_link(f, d, "hl", 2) : -EIO;

	(void)sb;
	iput(f);
	iput(d);
	return err;
}

static enum state state_link(struct super_block *sb, struct inode *root, long ret)
{
	struct inode *d = lookup(root, "d");
	int in_d = d && exists(d, "hl");
	unsigned int n = nlink_of(root, "f");

	(void)sb;
	(void)ret;
	iput(d);
	return done_if(in_d && n == 2, !in_d && n == 1);
}

static long run_rename(struct super_block *sb, struct inode *root)
{
	struct inode *d = lookup(root, "d");
	int err = d ? ext2_rename(root, "f", 1, d, "f2", 2, 0) : -EIO;

	(void)sb;
	iput(d);
	return err;
}

static enum state state_rename(struct super_block *sb, struct inode *root, long ret)
{
	struct inode *d = lookup(root, "d");
	int in_d = d && exists(d, "f2"), in_root = exists(root, "f");

	(void)sb;
	(void)ret;
	iput(d);
	return done_if(in_d && !in_root, in_root && !in_d);
}

static long run_unlink(struct super_block *sb, struct inode *root)
{
	(void)sb;
	return ext2_unlink(root, "g", 1);
}

static enum state state_unlink(struct super_block *sb, struct inode *root, long ret)
{
	(void)sb;
	(void)ret;
	return exists(root, "g") ? NOT_DONE : DONE;
}

static long run_write(struct super_block *sb, struct inode *root)
{
	struct inode *f = lookup(root, "f");
	ssize_t n = f ? ext2_file_write(f, f_data + F_SIZE, WRITE_LEN, F_SIZE) : -EIO;

	(void)sb;
	iput(f);
	return n;
}

/* A write may stop short: done is "the bytes it reported are there". */
static enum state state_write(struct super_block *sb, struct inode *root, long ret)
{
	loff_t size = f_matches(root, "f");

	(void)sb;
	if (ret < 0)
		return size == F_SIZE ? NOT_DONE : HALF;
	return size == F_SIZE + ret ? DONE : HALF;
}

static long run_truncate(struct super_block *sb, struct inode *root)
{
	struct inode *f = lookup(root, "f");
	int err = f ? ext2_truncate(f, TRUNC_SIZE) : -EIO;

	(void)sb;
	iput(f);
	return err;
}

static enum state state_truncate(struct super_block *sb, struct inode *root, long ret)
{
	loff_t size = f_matches(root, "f");

	(void)sb;
	(void)ret;
	return done_if(size == TRUNC_SIZE, size == F_SIZE);
}

static long run_setxattr(struct super_block *sb, struct inode *root)
{
	struct inode *f = lookup(root, "f");
	int err = f ? ext2_setxattr(f, "user.k", f_data, 100, 0) : -EIO;

	(void)sb;
	iput(f);
	return err;
}

static enum state state_setxattr(struct super_block *sb, struct inode *root, long ret)
{
	struct inode *f = lookup(root, "f");
	char buf[100];
	ssize_t n = f ? ext2_getxattr(f, "user.k", buf, sizeof(buf)) : -EIO;

	(void)sb;
	(void)ret;
	iput(f);
	if (n == -ENODATA)
		return NOT_DONE;
	return n == 100 && !memcmp(buf, f_data, 100) ? DONE : HALF;
}

static long run_fallocate(struct super_block *sb, struct inode *root)
{
	struct inode *f = lookup(root, "f");
	int err = f ? ext2_fallocate(f, 0, 0, FALLOC_LEN) : -EIO;

	(void)sb;
	iput(f);
	return err;
}

static enum state state_fallocate(struct super_block *sb, struct inode *root, long ret)
{
	struct inode *f = lookup(root, "f");
	loff_t size = f ? f->i_size : -1;
	unsigned long blocks = f ? f->i_blocks : 0;

	(void)sb;
	(void)ret;
	iput(f);
	return done_if(size == FALLOC_LEN && blocks >= FALLOC_LEN / 512,
		       size == F_SIZE && blocks < FALLOC_LEN / 512);
}

static const struct unwind_op ops[] = {
	{ "create", run_create, state_create },
	{ "mkdir", run_mkdir, state_mkdir },
	{ "symlink", run_symlink, state_symlink },
	{ "link", run_link, state_link },
	{ "rename", run_rename, state_rename },
	{ "unlink", run_unlink, state_unlink },
	{ "write", run_write, state_write },
	{ "truncate", run_truncate, state_truncate },
	{ "setxattr", run_setxattr, state_setxattr },
	{ "fallocate", run_fallocate, state_fallocate },
};

/* ---- the loop ---------------------------------------------------------------- */

/* src: root with f (F_SIZE bytes of f_data), g, and an empty d. */
static void make_source(const char *src)
{
	char p[4300];
	int fd;

	mkdir(src, 0755);
	snprintf(p, sizeof(p), "%s/d", src);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/f", src);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, f_data, F_SIZE), F_SIZE);
	close(fd);
	snprintf(p, sizeof(p), "%s/g", src);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "g\n", 2), 2);
	close(fd);
}

/* One run with the nth allocation failing: the operation's return, and
 * whether a failure was injected. */
static long run_once(const struct unwind_op *op, const char *img, unsigned long n,
		     int *injected)
{
	struct super_block *sb = t_mount(img, 0);
	struct inode *root;
	unsigned long before;
	long ret;

	ck_assert_int_eq(ext2_iget(sb, EXT2_ROOT_INO_NR, &root), 0);
	before = zone_fault_count(ZONE_DMA);
	ck_assert_int_eq(zone_fault_set(ZONE_DMA, n, 0), 0);
	ret = op->run(sb, root);
	zone_fault_clear_all();
	*injected = zone_fault_count(ZONE_DMA) != before;
	iput(root);
	t_umount(sb);
	return ret;
}

START_TEST(test_unwind)
{
	const struct unwind_op *op = &ops[_i];
	char *dir = t_scratch();
	char src[4200], base[4200], img[4200];
	unsigned long n;
	unsigned int i, failed = 0;

	for (i = 0; i < sizeof(f_data); i++)
		f_data[i] = (char)(i * 7 + i / 1000);
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(base, sizeof(base), "%s/base", dir);
	snprintf(img, sizeof(img), "%s/img", dir);
	make_source(src);
	t_mke2fs(base, 1024, src, 2048, NULL);
	vm_test_boot(MiB(8), 0, KMAP_DIRECT);
	for (n = 1; n <= MAX_N; n++) {
		struct super_block *sb;
		struct inode *root;
		enum state st;
		int injected;
		long ret;

		ck_assert_int_eq(t_sh("cp '%s' '%s'", base, img), 0);
		ret = run_once(op, img, n, &injected);
		ck_assert_msg(t_e2fsck(img) == 0, "%s, allocation %lu failing (ret %ld): "
			      "e2fsck finds damage", op->name, n, ret);
		sb = t_mount(img, 1);
		ck_assert_int_eq(ext2_iget(sb, EXT2_ROOT_INO_NR, &root), 0);
		st = op->state(sb, root, ret);
		iput(root);
		t_umount(sb);
		ck_assert_msg(st == (ret < 0 ? NOT_DONE : DONE),
			      "%s, allocation %lu failing: returned %ld, left it %s", op->name,
			      n, ret, st == DONE ? "done" : st == NOT_DONE ? "not done" : "half done");
		failed += ret < 0;
		if (!injected)
			break;
	}
	ck_assert_msg(n <= MAX_N, "%s still meets injected failures after %d", op->name,
		      MAX_N);
	ck_assert_msg(n > 1, "%s: no allocation to fail", op->name);
	printf("%s: %lu runs, %u failed and were undone\n", op->name, n, failed);
	vm_exit();
	t_scratch_free(dir);
}
END_TEST

static Suite *ext2_unwind_suite(void)
{
	Suite *s = suite_create("ext2_unwind");
	TCase *tc = tcase_create("unwind");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_unwind, 0, (int)ARRAY_SIZE(ops));
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(ext2_unwind_suite)
