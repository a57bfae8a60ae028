/*
 * tests/fs/check_ext2_errors.c - ext2 and the page cache under device
 * errors (blockdev/fault.c): a failed write-back reaches each open file
 * once (errseq) and its pages stay dirty until a retry succeeds; a retry
 * that fails too is an error of the file system (EXT2_ERROR_FS, then
 * errors=); a failed metadata write marks the image with errors and it is
 * never marked clean; a read that fails in the middle of an operation
 * gives EIO for it; errors=panic writes nothing more.
 *
 * "Open files" are errseq samples of the inode's mapping, as the FUSE
 * server keeps one per open (fs/fuse/ops.c).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fs/ext2/ext2_fs.h"
#include "fs/buffer.h"
#include "tests/fs/ext2_test.h"
#include "vm/pagemap.h"

#define BS	4096U
#define NBLK	8U

struct fixture {
	char *dir;
	char img[4200];
	struct super_block *sb;
	struct inode *root;
	int panics;
};

static void on_panic(void *arg)
{
	__atomic_add_fetch(&((struct fixture *)arg)->panics, 1, __ATOMIC_SEQ_CST);
}

static void setup(struct fixture *f, int errors)
{
	struct ext2_mount_opts o;
	const char *why = NULL;

	memset(f, 0, sizeof(*f));
	f->dir = t_scratch();
	snprintf(f->img, sizeof(f->img), "%s/img", f->dir);
	t_mke2fs(f->img, BS, NULL, 32768, NULL);
	t_boot();
	ext2_mount_opts_default(&o);
	o.path = f->img;
	o.errors = errors;
	o.on_panic = on_panic;
	o.panic_arg = f;
	ck_assert_int_eq(ext2_mount(&o, &f->sb, &why), 0);
	ck_assert_int_eq(ext2_iget(f->sb, EXT2_ROOT_INO_NR, &f->root), 0);
}

static void teardown(struct fixture *f)
{
	vm_exit();
	t_scratch_free(f->dir);
}

/* The image's s_state, read from the file (not through the mount). */
static unsigned int disk_state(const char *img)
{
	unsigned char b[2];
	int fd = open(img, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, b, 2, 1024 + 58), 2);
	close(fd);
	return b[0] | (unsigned int)b[1] << 8;
}

/* Block nr of the image holds c throughout. */
static int image_block_is(const char *img, unsigned long nr, char c)
{
	char buf[BS];
	int fd = open(img, O_RDONLY), i;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, BS, (off_t)nr * BS), BS);
	close(fd);
	for (i = 0; i < (int)BS; i++)
		if (buf[i] != c)
			return 0;
	return 1;
}

static unsigned long phys(struct inode *inode, unsigned long iblock)
{
	return inode->i_data.a_ops->bmap(&inode->i_data, iblock);
}

static void fault(struct fixture *f, int rw, unsigned long block, unsigned long nr)
{
	ck_assert_int_eq(blkdev_fault_eio(f->sb->s_bdev, rw, block * (BS / 512),
					  nr * (BS / 512)), 0);
}

static void fill(struct inode *inode, char c)
{
	static char buf[NBLK * BS];

	memset(buf, c, sizeof(buf));
	ck_assert_int_eq(ext2_file_write(inode, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
}

/* A file of NBLK blocks of 'a', fsynced (acknowledged), its data blocks
 * contiguous from *first. */
static struct inode *acked_file(struct fixture *f, const char *name, unsigned long *first)
{
	struct inode *inode;
	unsigned long i;

	ck_assert_int_eq(ext2_create(f->root, name, strlen(name), 0644, 0, 0, &inode), 0);
	fill(inode, 'a');
	ck_assert_int_eq(ext2_fsync(inode, 0), 0);
	*first = phys(inode, 0);
	for (i = 1; i < NBLK; i++)
		ck_assert_uint_eq(phys(inode, i), *first + i);
	return inode;
}

/* A mount with errors=errors and its file "f" acknowledged on the image,
 * then opened (*wb_err) and rewritten in memory: dirty, not yet written. */
static struct inode *rewritten_file(struct fixture *f, int errors, unsigned long *first,
				    errseq_t *wb_err)
{
	struct inode *inode;

	setup(f, errors);
	inode = acked_file(f, "f", first);
	*wb_err = filemap_sample_wb_err(&inode->i_data);
	fill(inode, 'b');
	return inode;
}

/* e2fsck -fy repairs (0: nothing to do, 1: fixed), then -fn is clean. */
static void repair_then_clean(const char *img)
{
	int st = t_sh("e2fsck -fy '%s' >/dev/null 2>&1", img);

	ck_assert_msg(st == 0 || st == 1, "e2fsck -fy: %d", st);
	ck_assert_int_eq(t_e2fsck(img), 0);
}

/* ---- a failed write-back, reported once to each open file -------------------- */

START_TEST(test_fsync_once_per_open)
{
	struct fixture f;
	struct inode *inode;
	unsigned long first;
	errseq_t a, b, later;

	setup(&f, EXT2_ON_ERRORS_DEFAULT);
	inode = acked_file(&f, "f", &first);
	a = filemap_sample_wb_err(&inode->i_data);	/* two opens */
	b = filemap_sample_wb_err(&inode->i_data);
	fill(inode, 'b');
	fault(&f, WRITE, first, NBLK);

	ck_assert_int_eq(ext2_fsync_file(inode, 0, &a), -EIO);
	/* Not dropped: every page is still dirty, the image has the old data. */
	ck_assert_uint_eq(mapping_nr_dirty(&inode->i_data), NBLK);
	ck_assert(image_block_is(f.img, first, 'a'));
	/* One failure is not yet the file system's error. */
	ck_assert_int_eq(ext2_has_errors(f.sb), 0);

	blkdev_fault_clear(f.sb->s_bdev);
	ck_assert_int_eq(ext2_fsync_file(inode, 0, &a), 0);	/* seen; retried */
	ck_assert_uint_eq(mapping_nr_dirty(&inode->i_data), 0);
	ck_assert_int_eq(ext2_fsync_file(inode, 0, &b), -EIO);	/* open at the time */
	ck_assert_int_eq(ext2_fsync_file(inode, 0, &b), 0);	/* once */
	later = filemap_sample_wb_err(&inode->i_data);
	ck_assert_int_eq(ext2_fsync_file(inode, 0, &later), 0);	/* opened after */
	ck_assert(image_block_is(f.img, first, 'b'));
	ck_assert(image_block_is(f.img, first + NBLK - 1, 'b'));

	iput(inode);
	iput(f.root);
	t_umount(f.sb);
	/* Written in the end, but a write failed: not clean, no errors. */
	ck_assert_uint_eq(disk_state(f.img), 0);
	ck_assert_int_eq(t_e2fsck(f.img), 0);
	teardown(&f);
}
END_TEST

/* An error nobody has seen yet reaches the next open file too. */
START_TEST(test_unseen_error_reaches_next_open)
{
	struct fixture f;
	struct inode *inode;
	unsigned long first;
	errseq_t later;

	setup(&f, EXT2_ON_ERRORS_DEFAULT);
	inode = acked_file(&f, "f", &first);
	fill(inode, 'b');
	fault(&f, WRITE, first, NBLK);
	ck_assert_int_eq(filemap_fdatasync(&inode->i_data), 0);	/* the flusher's way */
	ck_assert_int_eq(filemap_fdatawait(&inode->i_data), -EIO);
	later = filemap_sample_wb_err(&inode->i_data);
	blkdev_fault_clear(f.sb->s_bdev);
	ck_assert_int_eq(ext2_fsync_file(inode, 0, &later), -EIO);
	ck_assert_int_eq(ext2_fsync_file(inode, 0, &later), 0);
	iput(inode);
	iput(f.root);
	t_umount(f.sb);
	ck_assert_int_eq(t_e2fsck(f.img), 0);
	teardown(&f);
}
END_TEST

/* A transfer the device cut short is an error too (EIO), never a page
 * taken for written; the retry after it writes it. */
START_TEST(test_short_write)
{
	struct fixture f;
	struct inode *inode;
	unsigned long first;
	errseq_t a;

	inode = rewritten_file(&f, EXT2_ON_ERRORS_DEFAULT, &first, &a);
	ck_assert_int_eq(blkdev_fault_short(f.sb->s_bdev, WRITE, first * (BS / 512),
					    NBLK * (BS / 512)), 0);
	ck_assert_int_eq(ext2_fsync_file(inode, 0, &a), -EIO);
	ck_assert_uint_eq(mapping_nr_dirty(&inode->i_data), NBLK);
	blkdev_fault_clear(f.sb->s_bdev);
	ck_assert_int_eq(ext2_fsync_file(inode, 0, &a), 0);
	ck_assert(image_block_is(f.img, first + NBLK - 1, 'b'));
	iput(inode);
	iput(f.root);
	t_umount(f.sb);
	ck_assert_int_eq(t_e2fsck(f.img), 0);
	teardown(&f);
}
END_TEST

/* A buffer written synchronously (sync_dirty_buffer) that fails keeps its
 * data: still uptodate and dirty, so a later bread does not read the old
 * block over it, and the next write-back puts it on the image. */
START_TEST(test_sync_buffer_failure_keeps_data)
{
	struct fixture f;
	struct buffer_head *bh;
	unsigned long nr;

	setup(&f, EXT2_ON_ERRORS_DEFAULT);
	nr = (unsigned long)(32768 / (BS / 1024)) - 1;	/* the last block: free */
	bh = bread(f.sb->s_bdev, nr, BS);
	ck_assert_ptr_nonnull(bh);
	memset(bh->b_data, 'm', BS);
	mark_buffer_dirty(bh);
	fault(&f, WRITE, nr, 1);
	ck_assert_int_eq(sync_dirty_buffer(bh), -EIO);
	ck_assert(buffer_uptodate(bh));
	ck_assert(buffer_dirty(bh));
	ck_assert_int_eq(ext2_has_errors(f.sb), 1);	/* metadata: an error */
	brelse(bh);
	bh = bread(f.sb->s_bdev, nr, BS);
	ck_assert_int_eq(bh->b_data[0], 'm');
	brelse(bh);
	blkdev_fault_clear(f.sb->s_bdev);
	ck_assert_int_eq(ext2_sync_fs(f.sb), 0);
	ck_assert(image_block_is(f.img, nr, 'm'));
	iput(f.root);
	t_umount(f.sb);
	teardown(&f);
}
END_TEST

/* ---- a lasting failure: errors=remount-ro ---------------------------------------- */

START_TEST(test_lasting_failure_remount_ro)
{
	struct fixture f;
	struct inode *inode;
	unsigned long first;
	errseq_t a;

	inode = rewritten_file(&f, EXT2_ON_ERRORS_RO, &first, &a);
	fault(&f, WRITE, first, NBLK);
	ck_assert_int_eq(ext2_fsync_file(inode, 0, &a), -EIO);
	ck_assert_int_eq(ext2_read_only(f.sb), 0);
	/* The retry fails too: a new failure (reported), and a lasting one. */
	ck_assert_int_eq(ext2_fsync_file(inode, 0, &a), -EIO);
	ck_assert_int_eq(ext2_has_errors(f.sb), 1);
	ck_assert_int_eq(ext2_read_only(f.sb), 1);
	ck_assert_int_eq(ext2_file_write(inode, "x", 1, 0), -EROFS);
	ck_assert_int_eq(ext2_create(f.root, "g", 1, 0644, 0, 0, NULL), -EROFS);
	/* Read-only to writers, but what was written is still not thrown away. */
	ck_assert_uint_eq(mapping_nr_dirty(&inode->i_data), NBLK);
	blkdev_fault_clear(f.sb->s_bdev);
	ck_assert_int_eq(ext2_fsync_file(inode, 0, &a), 0);
	ck_assert(image_block_is(f.img, first, 'b'));
	iput(inode);
	iput(f.root);
	t_umount(f.sb);
	ck_assert_uint_ne(disk_state(f.img) & EXT2_ERROR_FS, 0);
	ck_assert_int_eq(t_e2fsck(f.img), 0);	/* consistent, marked with errors */
	teardown(&f);
}
END_TEST

/* ---- metadata that cannot be written ------------------------------------------- */

START_TEST(test_metadata_write_failure)
{
	struct fixture f;
	unsigned long dirblk;
	int err;

	setup(&f, EXT2_ON_ERRORS_DEFAULT);
	dirblk = phys(f.root, 0);
	ck_assert_uint_ne(dirblk, 0);
	fault(&f, WRITE, dirblk, 1);
	ck_assert_int_eq(ext2_create(f.root, "x", 1, 0644, 0, 0, NULL), 0);
	ck_assert_int_eq(ext2_sync_fs(f.sb), -EIO);
	ck_assert_int_eq(ext2_has_errors(f.sb), 1);	/* at the first failure */
	/* The failure lasts through unmount: reported, and not clean. */
	iput(f.root);
	err = ext2_unmount(f.sb);
	ck_assert_int_eq(err, -EIO);
	ck_assert_uint_ne(disk_state(f.img) & EXT2_ERROR_FS, 0);
	repair_then_clean(f.img);
	teardown(&f);
}
END_TEST

START_TEST(test_metadata_failure_then_retry)
{
	struct fixture f;
	unsigned long dirblk;
	struct inode *x;

	setup(&f, EXT2_ON_ERRORS_DEFAULT);
	dirblk = phys(f.root, 0);
	fault(&f, WRITE, dirblk, 1);
	ck_assert_int_eq(ext2_create(f.root, "x", 1, 0644, 0, 0, NULL), 0);
	ck_assert_int_eq(ext2_sync_fs(f.sb), -EIO);
	blkdev_fault_clear(f.sb->s_bdev);
	ck_assert_int_eq(ext2_sync_fs(f.sb), 0);	/* retried: the entry is there */
	iput(f.root);
	t_umount(f.sb);
	ck_assert_uint_ne(disk_state(f.img) & EXT2_ERROR_FS, 0);	/* still told */
	ck_assert_int_eq(t_e2fsck(f.img), 0);
	f.sb = t_mount(f.img, 1);
	ck_assert_int_eq(ext2_iget(f.sb, EXT2_ROOT_INO_NR, &f.root), 0);
	ck_assert_int_eq(ext2_lookup(f.root, "x", 1, &x), 0);
	iput(x);
	iput(f.root);
	t_umount(f.sb);
	teardown(&f);
}
END_TEST

/* ---- reads that fail in the middle of an operation ------------------------------ */

/* The block debugfs names for what (e.g. "IND") of path, or 0. */
static unsigned long debugfs_block(const char *img, const char *path, const char *what)
{
	char cmd[9000];
	unsigned long nr = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "debugfs -R 'stat %s' '%s' 2>/dev/null | grep -o '(%s):[0-9]*' | head -1 | cut -d: -f2",
		 path, img, what);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	if (fscanf(p, "%lu", &nr) != 1)
		nr = 0;
	pclose(p);
	return nr;
}

START_TEST(test_read_eio_mid_operation)
{
	struct fixture f;
	struct inode *file, *d, *x;
	static char buf[20 * BS];
	unsigned long ind, dblk;

	setup(&f, EXT2_ON_ERRORS_DEFAULT);
	ck_assert_int_eq(ext2_create(f.root, "big", 3, 0644, 0, 0, &file), 0);
	memset(buf, 'q', sizeof(buf));
	ck_assert_int_eq(ext2_file_write(file, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	ck_assert_int_eq(ext2_mkdir(f.root, "d", 1, 0755, 0, 0, &d), 0);
	ck_assert_int_eq(ext2_create(d, "x", 1, 0644, 0, 0, NULL), 0);
	iput(file);
	iput(d);
	iput(f.root);
	t_umount(f.sb);
	ind = debugfs_block(f.img, "/big", "IND");
	dblk = debugfs_block(f.img, "/d", "0");
	ck_assert_uint_ne(ind, 0);
	ck_assert_uint_ne(dblk, 0);

	f.sb = t_mount(f.img, 0);	/* a cold cache */
	ck_assert_int_eq(ext2_iget(f.sb, EXT2_ROOT_INO_NR, &f.root), 0);
	fault(&f, READ, ind, 1);
	fault(&f, READ, dblk, 1);
	ck_assert_int_eq(ext2_lookup(f.root, "big", 3, &file), 0);
	ck_assert_int_eq(ext2_file_read(file, NULL, buf, BS, 0), BS);	/* direct */
	ck_assert_int_eq(ext2_file_read(file, NULL, buf, BS, 12 * BS), -EIO);
	ck_assert_int_eq(ext2_lookup(f.root, "d", 1, &d), 0);
	ck_assert_int_eq(ext2_lookup(d, "x", 1, &x), -EIO);
	ck_assert_int_eq(ext2_create(d, "y", 1, 0644, 0, 0, NULL), -EIO);
	ck_assert_int_eq(ext2_has_errors(f.sb), 1);
	/* Only those objects: the rest goes on, and so do they once readable. */
	ck_assert_int_eq(ext2_create(f.root, "z", 1, 0644, 0, 0, NULL), 0);
	blkdev_fault_clear(f.sb->s_bdev);
	ck_assert_int_eq(ext2_file_read(file, NULL, buf, BS, 12 * BS), BS);
	ck_assert_int_eq(buf[0], 'q');
	ck_assert_int_eq(ext2_lookup(d, "x", 1, &x), 0);
	iput(x);
	iput(d);
	iput(file);
	iput(f.root);
	t_umount(f.sb);
	ck_assert_uint_ne(disk_state(f.img) & EXT2_ERROR_FS, 0);
	ck_assert_int_eq(t_e2fsck(f.img), 0);
	teardown(&f);
}
END_TEST

/* ---- errors=panic: nothing more is written ------------------------------------- */

static uint64_t image_hash(const char *img)
{
	static char buf[1 << 16];
	uint64_t h = 1469598103934665603ULL;
	int fd = open(img, O_RDONLY);
	ssize_t n, i;

	ck_assert_int_ge(fd, 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			h = (h ^ (unsigned char)buf[i]) * 1099511628211ULL;
	close(fd);
	return h;
}

START_TEST(test_panic_writes_nothing_more)
{
	struct fixture f;
	struct inode *inode;
	unsigned long first, dirblk;
	uint64_t before;

	setup(&f, EXT2_ON_ERRORS_PANIC);
	inode = acked_file(&f, "f", &first);
	dirblk = phys(f.root, 0);
	fault(&f, WRITE, dirblk, 1);
	ck_assert_int_eq(ext2_create(f.root, "x", 1, 0644, 0, 0, NULL), 0);
	ck_assert_int_ne(ext2_sync_fs(f.sb), 0);
	ck_assert_int_eq(__atomic_load_n(&f.panics, __ATOMIC_SEQ_CST), 1);
	before = image_hash(f.img);
	blkdev_fault_clear(f.sb->s_bdev);
	fill(inode, 'c');
	ck_assert_int_ne(ext2_fsync(inode, 0), 0);
	iput(inode);
	iput(f.root);
	ck_assert_int_ne(ext2_unmount(f.sb), 0);
	ck_assert(image_hash(f.img) == before);
	ck_assert_int_eq(__atomic_load_n(&f.panics, __ATOMIC_SEQ_CST), 1);
	ck_assert_uint_eq(disk_state(f.img) & EXT2_VALID_FS, 0);	/* as mounted */
	repair_then_clean(f.img);
	teardown(&f);
}
END_TEST

static Suite *ext2_errors_suite(void)
{
	Suite *s = suite_create("ext2_errors");
	TCase *tc = tcase_create("errors");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fsync_once_per_open);
	tcase_add_test(tc, test_unseen_error_reaches_next_open);
	tcase_add_test(tc, test_short_write);
	tcase_add_test(tc, test_sync_buffer_failure_keeps_data);
	tcase_add_test(tc, test_lasting_failure_remount_ro);
	tcase_add_test(tc, test_metadata_write_failure);
	tcase_add_test(tc, test_metadata_failure_then_retry);
	tcase_add_test(tc, test_read_eio_mid_operation);
	tcase_add_test(tc, test_panic_writes_nothing_more);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ext2_errors_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
