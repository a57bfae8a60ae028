/*
 * tests/blockdev/blk_test.c - helpers of the device and bounce suites
 * (see blk_test.h).  Tests may use libc; the buffers under test come from
 * the VM.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tests/blockdev/blk_test.h"
#include "vm/highmem.h"
#include "vm/mm.h"

char *blk_test_image(unsigned long long size, unsigned int seed)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], *path;
	unsigned char *buf;
	unsigned long long off;
	int fd;

	snprintf(dir, sizeof(dir), "%s/tmp-test-XXXXXX", tmp && *tmp ? tmp : ".");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_ge(asprintf(&path, "%s/image", dir), 0);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	buf = malloc(1 << 20);
	ck_assert_ptr_nonnull(buf);
	for (off = 0; off < size; off += 1 << 20) {
		size_t i, n = size - off < (1 << 20) ? size - off : (1 << 20);

		for (i = 0; i < n; i++)
			buf[i] = blk_pat(off + i, seed);
		ck_assert_int_eq(pwrite(fd, buf, n, (off_t)off), (ssize_t)n);
	}
	free(buf);
	close(fd);
	return path;
}

void blk_test_image_free(char *path)
{
	char *slash = strrchr(path, '/');

	unlink(path);
	*slash = '\0';
	rmdir(path);
	free(path);
}

struct block_device *blk_test_open(const char *path, enum dma_reach reach,
				   int no_direct)
{
	struct blkdev_config cfg = {
		.path = path, .reach = reach, .no_direct = no_direct,
	};
	struct block_device *bdev = NULL;
	int ret = blkdev_open(&cfg, &bdev);

	ck_assert_msg(ret == 0, "blkdev_open(%s) = %d", path, ret);
	return bdev;
}

struct page *blk_test_page(int zone)
{
	static const unsigned int gfp[MAX_NR_ZONES] = {
		[ZONE_DMA] = GFP_KERNEL | __GFP_DMA,
		[ZONE_NORMAL] = GFP_KERNEL,
		[ZONE_HIGHMEM] = GFP_HIGHUSER,
	};
	struct page *page = alloc_page(gfp[zone]);

	ck_assert_ptr_nonnull(page);
	ck_assert_int_eq(zone_idx(page_zone(page)), zone);
	return page;
}

struct buffer_head *blk_test_bh(struct block_device *bdev, struct page *page,
				unsigned int offset, unsigned int size,
				unsigned long blocknr)
{
	struct buffer_head *bh = alloc_buffer_head(GFP_KERNEL);

	ck_assert_ptr_nonnull(bh);
	bh->b_dev = bdev;
	bh->b_size = size;
	bh->b_blocknr = blocknr;
	set_bh_page(bh, page, offset);
	set_buffer_mapped(bh);
	return bh;
}

static void blk_test_end_io(struct buffer_head *bh, int uptodate)
{
	struct blk_test_counter *c = bh->b_private;

	if (uptodate)
		set_buffer_uptodate(bh);
	else
		clear_buffer_uptodate(bh);
	if (!uptodate)
		__atomic_add_fetch(&c->errors, 1, __ATOMIC_SEQ_CST);
	unlock_buffer(bh);
	__atomic_add_fetch(&c->done, 1, __ATOMIC_SEQ_CST);
}

void blk_test_submit(int rw, struct buffer_head *bh, struct blk_test_counter *c)
{
	lock_buffer(bh);
	bh->b_private = c;
	bh->b_end_io = blk_test_end_io;
	submit_bh(rw, bh);
}

void blk_test_wait_all(struct blk_test_counter *c, int n)
{
	struct timespec ts = { 0, 200000L };
	int spins = 0;

	run_task_queue_disk();
	while (__atomic_load_n(&c->done, __ATOMIC_SEQ_CST) < n) {
		nanosleep(&ts, NULL);
		ck_assert_msg(++spins < 5 * 60 * 5000, "I/O did not complete");
	}
}

int blk_test_rw(int rw, struct buffer_head *bh)
{
	lock_buffer(bh);
	get_bh(bh);
	bh->b_end_io = end_buffer_io_sync;
	submit_bh(rw, bh);
	wait_on_buffer(bh);
	ck_assert_int_eq(buffer_uptodate(bh), bh->b_error == 0);
	return bh->b_error;
}

static unsigned long long bh_pos(const struct buffer_head *bh)
{
	return (unsigned long long)bh->b_blocknr * bh->b_size;
}

void blk_test_fill(struct buffer_head *bh, unsigned int seed)
{
	unsigned char *buf = malloc(bh->b_size);
	unsigned int i;

	for (i = 0; i < bh->b_size; i++)
		buf[i] = blk_pat(bh_pos(bh) + i, seed);
	memcpy_to_page(bh->b_page, (unsigned int)bh_offset(bh), buf, bh->b_size);
	free(buf);
}

static int blk_test_pread(const char *path, unsigned char *buf, unsigned int len,
			  unsigned long long pos)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = pread(fd, buf, len, (off_t)pos);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

int blk_test_cmp_file(struct buffer_head *bh, const char *path)
{
	unsigned char *want = malloc(bh->b_size), *got = malloc(bh->b_size);
	int ret;

	ck_assert_int_eq(blk_test_pread(path, want, bh->b_size, bh_pos(bh)), 0);
	memcpy_from_page(got, bh->b_page, (unsigned int)bh_offset(bh), bh->b_size);
	ret = memcmp(want, got, bh->b_size) ? -1 : 0;
	free(want);
	free(got);
	return ret;
}

int blk_test_file_has(const char *path, struct buffer_head *bh, unsigned int seed)
{
	unsigned char *got = malloc(bh->b_size);
	unsigned int i;
	int ret = 0;

	ck_assert_int_eq(blk_test_pread(path, got, bh->b_size, bh_pos(bh)), 0);
	for (i = 0; i < bh->b_size && !ret; i++)
		ret = got[i] != blk_pat(bh_pos(bh) + i, seed);
	free(got);
	return ret ? -1 : 0;
}
