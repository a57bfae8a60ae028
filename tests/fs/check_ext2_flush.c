/*
 * tests/fs/check_ext2_flush.c - metadata reaches the image without
 * unmount: the flusher's pass writes inodes, directory blocks, bitmaps,
 * group descriptors and the super block's counters once they are older
 * than its age (fs/fs_writeback.c's hook on vm/writeback.c), and fsync
 * writes the file with the inodes of the new directories on its way.
 *
 * The image file is read from outside while still mounted (debugfs,
 * e2fsck -fn, pread of the super block): what is there is what a crash
 * at that moment would leave.  Images by mke2fs at 1024, 2048 and 4096
 * byte blocks.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tests/fs/ext2_test.h"
#include "vm/writeback.h"

static const unsigned int block_sizes[] = { 1024, 2048, 4096 };

#define WAIT_MS		120000	/* for the flusher: any machine, any sanitizer */

struct fixture {
	char *dir;
	char img[4200];
	struct super_block *sb;
	struct inode *root;
};

/* An image with, if old_file, one file "old" made by mke2fs. */
static void setup_with(struct fixture *f, int i, int old_file)
{
	char src[4200];

	f->dir = t_scratch();
	snprintf(f->img, sizeof(f->img), "%s/img", f->dir);
	snprintf(src, sizeof(src), "%s/src", f->dir);
	if (old_file)
		ck_assert_int_eq(t_sh("mkdir '%s' && echo old >'%s/old'", src, src), 0);
	t_mke2fs(f->img, block_sizes[i % 3], old_file ? src : NULL, 16384, NULL);
	t_boot();
	f->sb = t_mount(f->img, 0);
	ck_assert_int_eq(ext2_iget(f->sb, EXT2_ROOT_INO_NR, &f->root), 0);
}

static void setup(struct fixture *f, int i)
{
	setup_with(f, i, 0);
}

static void teardown(struct fixture *f)
{
	flusher_stop();
	iput(f->root);
	t_umount(f->sb);
	ck_assert_int_eq(t_e2fsck(f->img), 0);
	vm_exit();
	t_scratch_free(f->dir);
}

static void set_age(unsigned int expire_ms, unsigned int interval_ms)
{
	struct writeback_params p;

	writeback_get_params(&p);
	p.expire_ms = expire_ms;
	p.interval_ms = interval_ms;
	ck_assert_int_eq(writeback_set_params(&p), 0);
}

static struct inode *mkdir_(struct inode *dir, const char *name)
{
	struct inode *inode;

	ck_assert_int_eq(ext2_mkdir(dir, name, strlen(name), 0755, 0, 0, &inode), 0);
	return inode;
}

/* A new file name in dir holding text; referenced. */
static struct inode *new_file(struct inode *dir, const char *name, const char *text)
{
	struct inode *inode;

	ck_assert_int_eq(ext2_create(dir, name, strlen(name), 0644, 0, 0, &inode), 0);
	ck_assert_int_eq(ext2_file_write(inode, text, strlen(text), 0), (ssize_t)strlen(text));
	return inode;
}

/* The scenario under root: mkdir d d/e; echo a >d/f; echo b >g. */
static void make_scenario(struct inode *root)
{
	struct inode *d = mkdir_(root, "d");

	iput(mkdir_(d, "e"));
	iput(new_file(d, "f", "a\n"));
	iput(d);
	iput(new_file(root, "g", "b\n"));
}

/* What debugfs, reading the image file, finds at path: 1 if it is a
 * file holding exactly want. */
static int image_has(const char *img, const char *path, const char *want)
{
	char cmd[4400], got[256];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "debugfs -R 'cat %s' '%s' 2>/dev/null", path, img);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(got, 1, sizeof(got) - 1, p);
	pclose(p);
	got[n] = '\0';
	return !strcmp(got, want);
}

/* 1 if debugfs finds a directory at path in the image file. */
static int image_has_dir(const char *img, const char *path)
{
	return t_sh("debugfs -R 'stat %s' '%s' 2>/dev/null | grep -q 'Type: directory'",
		    path, img) == 0;
}

/* e2fsck -fn, quietly: 1 if clean. */
static int image_clean(const char *img)
{
	return t_sh("e2fsck -fn '%s' >/dev/null 2>&1", img) == 0;
}

/* The super block's free counts as the image file has them. */
static void image_free_counts(const char *img, uint32_t *blocks, uint32_t *inodes)
{
	unsigned char sbuf[1024];
	int fd = open(img, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, sbuf, sizeof(sbuf), 1024), (ssize_t)sizeof(sbuf));
	close(fd);
	*blocks = (uint32_t)sbuf[12] | (uint32_t)sbuf[13] << 8 | (uint32_t)sbuf[14] << 16 |
		  (uint32_t)sbuf[15] << 24;
	*inodes = (uint32_t)sbuf[16] | (uint32_t)sbuf[17] << 8 | (uint32_t)sbuf[18] << 16 |
		  (uint32_t)sbuf[19] << 24;
}

static int counts_match(struct fixture *f)
{
	struct ext2_statfs st;
	uint32_t blocks, inodes;

	ext2_statfs(f->sb, &st);
	image_free_counts(f->img, &blocks, &inodes);
	return blocks == st.bfree && inodes == st.ffree;
}

static int flushed(struct fixture *f)
{
	return image_has(f->img, "/d/f", "a\n") && image_has(f->img, "/g", "b\n") &&
	       image_has_dir(f->img, "/d/e") && counts_match(f) && image_clean(f->img);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * The scenario (mkdir d; echo a >d/f; echo b >g; idle) with a
 * short age: no fsync, no unmount, and the image gets it all.  With the
 * default-length age, a pass writes none of it.
 */
START_TEST(test_flusher_writes_metadata)
{
	struct fixture f;
	struct timespec t0;

	setup(&f, _i);
	set_age(3600 * 1000, 50);
	ck_assert_int_eq(flusher_start(), 0);
	make_scenario(f.root);
	writeback_run(0);
	ck_assert(!image_has(f.img, "/d/f", "a\n"));	/* younger than the age */

	set_age(300, 50);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!flushed(&f) && elapsed_ms(&t0) < WAIT_MS)
		sleep_ms(50);
	ck_assert_msg(flushed(&f), "not on the image %ld ms after an age of 300 ms",
		      elapsed_ms(&t0));
	teardown(&f);
}
END_TEST

/*
 * One expiry pass, from this thread, once the age has passed, writes it
 * all: the inodes it copies into buffers go out in the same pass, not an
 * age later (their age counts from the change, not from the copy).
 */
START_TEST(test_one_pass_after_age)
{
	struct fixture f;
	struct timespec t0;

	setup(&f, _i);
	set_age(1000, 3600 * 1000);
	make_scenario(f.root);
	sleep_ms(1100);		/* everything above is older than the age */
	writeback_run(0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (nr_writeback_pages() && elapsed_ms(&t0) < WAIT_MS)
		sleep_ms(10);
	ck_assert_msg(flushed(&f), "one pass past the age left metadata behind");
	teardown(&f);
}
END_TEST

/*
 * The same for an inode whose block nothing else dirtied (a chmod of a
 * file already on the image): its copy into the buffer is new, its change
 * is not, and the pass must not leave the copy for an age more.
 */
START_TEST(test_one_pass_old_inode)
{
	struct ext2_iattr a = { .valid = EXT2_ATTR_MODE, .mode = 0604 };
	struct fixture f;
	struct inode *old;
	struct timespec t0;

	setup_with(&f, _i, 1);
	set_age(1000, 3600 * 1000);
	old = t_walk(f.sb, "old");
	ck_assert_ptr_nonnull(old);
	ck_assert_int_eq(ext2_setattr(old, &a), 0);
	iput(old);
	ck_assert_int_ne(t_sh("debugfs -R 'stat /old' '%s' 2>/dev/null | grep -q 'Mode:  0604'",
			      f.img), 0);
	sleep_ms(1100);
	writeback_run(0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (nr_writeback_pages() && elapsed_ms(&t0) < WAIT_MS)
		sleep_ms(10);
	ck_assert_msg(t_sh("debugfs -R 'stat /old' '%s' 2>/dev/null | grep -q 'Mode:  0604'",
			   f.img) == 0, "the chmod is not on the image after one pass");
	teardown(&f);
}
END_TEST

#define RENAME(od, on, nd, nn) ext2_rename(od, on, strlen(on), nd, nn, strlen(nn), 0)

/*
 * fsync of a file three new directories down: the file, and the way to
 * it, also after a rename; fsync of a directory: its entries.  The flusher's age
 * is an hour, so only fsync can have written them.
 */
START_TEST(test_fsync_finds_file)
{
	struct fixture f;
	struct inode *a, *b, *c, *file, *e, *moved;

	setup(&f, _i);
	set_age(3600 * 1000, 3600 * 1000);
	a = mkdir_(f.root, "a");
	b = mkdir_(a, "b");
	c = mkdir_(b, "c");
	file = new_file(c, "f", "deep\n");
	ck_assert_int_eq(ext2_fsync(file, 0), 0);
	ck_assert(image_has(f.img, "/a/b/c/f", "deep\n"));
	iput(file);

	/* renamed into another new directory: found where it is now */
	e = mkdir_(a, "e");
	moved = new_file(f.root, "m", "moved\n");
	ck_assert_int_eq(RENAME(f.root, "m", e, "n"), 0);
	ck_assert_int_eq(ext2_fsync(moved, 1), 0);
	ck_assert(image_has(f.img, "/a/e/n", "moved\n"));
	iput(moved);

	/* a directory's fsync: its entries (write, fsync, rename, fsync dir) */
	file = new_file(c, "cfg.tmp", "v2\n");
	ck_assert_int_eq(ext2_fsync(file, 0), 0);
	ck_assert_int_eq(RENAME(c, "cfg.tmp", c, "cfg"), 0);
	ck_assert(!image_has(f.img, "/a/b/c/cfg", "v2\n"));
	ck_assert_int_eq(ext2_fsync(c, 0), 0);
	ck_assert(image_has(f.img, "/a/b/c/cfg", "v2\n"));
	iput(file);
	iput(e);
	iput(c);
	iput(b);
	iput(a);
	teardown(&f);
}
END_TEST

static Suite *ext2_flush_suite(void)
{
	Suite *s = suite_create("ext2_flush");
	TCase *tc = tcase_create("flush");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_flusher_writes_metadata, 0, 3);
	tcase_add_loop_test(tc, test_one_pass_after_age, 0, 3);
	tcase_add_loop_test(tc, test_one_pass_old_inode, 0, 3);
	tcase_add_loop_test(tc, test_fsync_finds_file, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(ext2_flush_suite)
