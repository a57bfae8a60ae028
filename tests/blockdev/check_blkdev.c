/*
 * tests/blockdev/check_blkdev.c - the device layer: round trips through
 * libaio on DMA, NORMAL and HIGHMEM frames for each reach, compared with
 * the image read directly; bouncing exactly beyond the reach; injected
 * and real I/O errors; merging under a plug; the flush barrier; the
 * debug check against unbounced frames; opening errors.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "tests/blockdev/blk_test.h"
#include "vm/bounce.h"
#include "vm/highmem.h"
#include "vm/mm.h"
#include "vm/vmstat.h"

#define IMAGE_SIZE	(4ULL << 20)

static const char *const zone_name[] = { "DMA", "NORMAL", "HIGHMEM" };

static void boot(enum kmap_mode mode)
{
	vm_test_boot(MiB(64), MiB(32), mode);
}

static int beyond(struct block_device *bdev, struct page *page)
{
	return page_to_pfn(page) >= blkdev_reach_pfn(bdev);
}

/*
 * One block of size bs at each end of a page of zone: read it and compare
 * with the image, then write a new pattern and compare the image with it.
 * The bounce counters move exactly when the frame is beyond the reach.
 */
static void roundtrip_one(struct block_device *bdev, const char *path, int zone,
			  unsigned int bs, unsigned long blocknr)
{
	struct page *page = blk_test_page(zone);
	unsigned int offsets[2] = { 0, PAGE_SIZE - bs }, i;

	for (i = 0; i < 2; i++) {
		struct buffer_head *bh = blk_test_bh(bdev, page, offsets[i], bs,
						     blocknr + i);
		unsigned long br = sum_vm_event(BOUNCE_READ);
		unsigned long bw = sum_vm_event(BOUNCE_WRITE);
		int bounce = beyond(bdev, page);

		ck_assert_int_eq(blk_test_rw(READ, bh), 0);
		ck_assert_msg(blk_test_cmp_file(bh, path) == 0, "read %s bs %u off %u",
			      zone_name[zone], bs, offsets[i]);
		ck_assert_uint_eq(sum_vm_event(BOUNCE_READ) - br, (unsigned long)bounce);

		blk_test_fill(bh, 77 + zone);
		ck_assert_int_eq(blk_test_rw(WRITE, bh), 0);
		ck_assert_msg(blk_test_file_has(path, bh, 77 + zone) == 0,
			      "write %s bs %u off %u", zone_name[zone], bs, offsets[i]);
		ck_assert_uint_eq(sum_vm_event(BOUNCE_WRITE) - bw, (unsigned long)bounce);
		free_buffer_head(bh);
	}
	__free_page(page);
}

/* _i: reach (3) x kmap mode (2) x O_DIRECT or buffered (2). */
START_TEST(test_roundtrip)
{
	enum dma_reach reach = (enum dma_reach)(_i % 3);
	enum kmap_mode mode = (_i / 3) % 2 ? KMAP_STRICT : KMAP_DIRECT;
	int no_direct = _i / 6;
	static const unsigned int sizes[] = { 1024, 2048, 4096 };
	struct block_device *bdev;
	struct blkdev_stats st;
	unsigned long blocknr = 0;
	char *path;
	int zone;
	unsigned int s;

	boot(mode);
	path = blk_test_image(IMAGE_SIZE, 5);
	bdev = blk_test_open(path, reach, no_direct);
	ck_assert_int_eq(blkdev_direct(bdev), !no_direct);
	ck_assert_uint_eq(blkdev_size(bdev), IMAGE_SIZE);
	ck_assert_int_eq(blkdev_reach(bdev), reach);
	for (zone = ZONE_DMA; zone <= ZONE_HIGHMEM; zone++) {
		for (s = 0; s < ARRAY_SIZE(sizes); s++) {
			/* Different blocks each time, spread over the image. */
			blocknr = (IMAGE_SIZE / sizes[s]) / 16 * (unsigned long)(zone * 3 + s + 1);
			roundtrip_one(bdev, path, zone, sizes[s], blocknr);
		}
	}
	blkdev_get_stats(bdev, &st);
	ck_assert_uint_eq(st.nr_reads, 18);
	ck_assert_uint_eq(st.nr_writes, 18);
	ck_assert_uint_eq(st.nr_errors, 0);
	ck_assert_uint_eq(st.nr_bounced, reach == DMA_REACH_ALL ? 0 :
					 reach == DMA_REACH_LOW ? 12 : 24);
	ck_assert_int_eq(blkdev_close(bdev), 0);
	blk_test_image_free(path);
	vm_exit();
}
END_TEST

/* A 512-byte block on a 512-byte device, and the reported sizes. */
START_TEST(test_sector_sized_blocks)
{
	struct block_device *bdev;
	struct buffer_head *bh;
	struct page *page;
	char *path;

	boot(KMAP_DIRECT);
	path = blk_test_image(IMAGE_SIZE + 1000, 9);
	bdev = blk_test_open(path, DMA_REACH_LOW, 0);
	ck_assert_uint_eq(blkdev_size(bdev) % blkdev_logical_block_size(bdev), 0);
	ck_assert_uint_ge(blkdev_size(bdev), IMAGE_SIZE);
	if (blkdev_logical_block_size(bdev) == 512) {
		page = blk_test_page(ZONE_HIGHMEM);
		bh = blk_test_bh(bdev, page, 1536, 512, 77);
		ck_assert_int_eq(blk_test_rw(READ, bh), 0);
		ck_assert_int_eq(blk_test_cmp_file(bh, path), 0);
		free_buffer_head(bh);
		__free_page(page);
	}
	ck_assert_int_eq(blkdev_close(bdev), 0);
	blk_test_image_free(path);
	vm_exit();
}
END_TEST

START_TEST(test_bounce_only_beyond_reach)
{
	struct block_device *low, *all;
	struct buffer_head *bh;
	struct page *page;
	unsigned long bw;
	char *path;

	boot(KMAP_DIRECT);
	path = blk_test_image(IMAGE_SIZE, 1);
	low = blk_test_open(path, DMA_REACH_LOW, 0);
	page = blk_test_page(ZONE_HIGHMEM);

	bh = blk_test_bh(low, page, 0, 4096, 3);
	blk_test_fill(bh, 2);
	bw = sum_vm_event(BOUNCE_WRITE);
	ck_assert_int_eq(blk_test_rw(WRITE, bh), 0);
	ck_assert_uint_eq(sum_vm_event(BOUNCE_WRITE), bw + 1);
	ck_assert_int_eq(blk_test_file_has(path, bh, 2), 0);

	/* One owner at a time: the image is held until close. */
	ck_assert_int_eq(blkdev_close(low), 0);
	all = blk_test_open(path, DMA_REACH_ALL, 0);
	bh->b_dev = all;
	blk_test_fill(bh, 3);
	ck_assert_int_eq(blk_test_rw(WRITE, bh), 0);
	ck_assert_uint_eq(sum_vm_event(BOUNCE_WRITE), bw + 1);
	ck_assert_int_eq(blk_test_file_has(path, bh, 3), 0);

	free_buffer_head(bh);
	__free_page(page);
	ck_assert_int_eq(blkdev_close(all), 0);
	blk_test_image_free(path);
	vm_exit();
}
END_TEST

/* ---- errors -------------------------------------------------------------- */

#define NR_ERR_BH	8

struct err_set {
	struct block_device *bdev;
	char *path;
	struct page *page[NR_ERR_BH];
	struct buffer_head *bh[NR_ERR_BH];
	struct blk_test_counter c;
};

static void err_set_up(struct err_set *e, enum dma_reach reach, int zone)
{
	int i;

	memset(e, 0, sizeof(*e));
	boot(KMAP_DIRECT);
	e->path = blk_test_image(IMAGE_SIZE, 11);
	e->bdev = blk_test_open(e->path, reach, 0);
	for (i = 0; i < NR_ERR_BH; i++) {
		e->page[i] = blk_test_page(zone);
		e->bh[i] = blk_test_bh(e->bdev, e->page[i], 0, 4096, 16 + i);
	}
}

static void err_set_submit(struct err_set *e, int rw)
{
	int i;

	e->c.done = e->c.errors = 0;
	blk_start_plug();
	for (i = 0; i < NR_ERR_BH; i++)
		blk_test_submit(rw, e->bh[i], &e->c);
	blk_finish_plug();
	blk_test_wait_all(&e->c, NR_ERR_BH);
}

static void err_set_down(struct err_set *e)
{
	int i;

	for (i = 0; i < NR_ERR_BH; i++) {
		free_buffer_head(e->bh[i]);
		__free_page(e->page[i]);
	}
	blkdev_close(e->bdev);
	blk_test_image_free(e->path);
	vm_exit();
}

/* Blocks 16+i cover sectors 128+8i..135+8i: sectors 150..153 straddle
 * blocks 18 and 19 (i = 2, 3) and no others. */
START_TEST(test_eio_fails_exactly_covered)
{
	struct err_set e;
	int i, rw = _i ? WRITE : READ;

	err_set_up(&e, DMA_REACH_LOW, _i ? ZONE_HIGHMEM : ZONE_NORMAL);
	ck_assert_int_eq(blkdev_fault_eio(e.bdev, rw, 150, 4), 0);
	for (i = 0; i < NR_ERR_BH; i++) {
		blk_test_fill(e.bh[i], 40);
		if (rw == WRITE)
			set_buffer_uptodate(e.bh[i]);
	}
	err_set_submit(&e, rw);
	ck_assert_int_eq(e.c.errors, 2);
	for (i = 0; i < NR_ERR_BH; i++) {
		int hit = i == 2 || i == 3;

		ck_assert_int_eq(e.bh[i]->b_error, hit ? -EIO : 0);
		ck_assert_int_eq(buffer_error(e.bh[i]), hit);
		ck_assert_int_eq(buffer_uptodate(e.bh[i]), !hit);
		if (rw == READ && !hit)
			ck_assert_int_eq(blk_test_cmp_file(e.bh[i], e.path), 0);
		if (rw == WRITE)
			ck_assert_int_eq(blk_test_file_has(e.path, e.bh[i], hit ? 11 : 40), 0);
	}
	/* The other direction is untouched; clearing removes the fault. */
	err_set_submit(&e, rw == READ ? WRITE : READ);
	ck_assert_int_eq(e.c.errors, 0);
	blkdev_fault_clear(e.bdev);
	err_set_submit(&e, rw);
	ck_assert_int_eq(e.c.errors, 0);
	err_set_down(&e);
}
END_TEST

START_TEST(test_short_read_is_error)
{
	struct err_set e;
	struct blkdev_stats st;
	int i;

	err_set_up(&e, DMA_REACH_LOW, _i ? ZONE_HIGHMEM : ZONE_DMA);
	ck_assert_int_eq(blkdev_fault_short(e.bdev, READ, 16 * 8 + 8 * 5, 1), 0);
	for (i = 0; i < NR_ERR_BH; i++)
		clear_highpage(e.page[i]);
	err_set_submit(&e, READ);
	ck_assert_int_eq(e.c.errors, 1);
	for (i = 0; i < NR_ERR_BH; i++) {
		ck_assert_int_eq(buffer_uptodate(e.bh[i]), i != 5);
		ck_assert_int_eq(e.bh[i]->b_error, i == 5 ? -EIO : 0);
	}
	blkdev_get_stats(e.bdev, &st);
	ck_assert_uint_eq(st.nr_errors, 1);
	err_set_down(&e);
}
END_TEST

/* The image shrinks under the device: the kernel returns 0 bytes. */
START_TEST(test_real_short_read_never_zeros)
{
	struct err_set e;
	int i;

	err_set_up(&e, DMA_REACH_ALL, ZONE_HIGHMEM);
	ck_assert_int_eq(truncate(e.path, 16 * 4096 + 4096 + 2048), 0);
	err_set_submit(&e, READ);
	for (i = 0; i < NR_ERR_BH; i++)
		ck_assert_int_eq(buffer_uptodate(e.bh[i]), 0);	/* one merged request */
	ck_assert_int_eq(e.c.errors, NR_ERR_BH);
	ck_assert_int_eq(e.bh[1]->b_error, -EIO);
	/* One buffer on its own, wholly past the new end: 0 bytes, -EIO. */
	ck_assert_int_eq(blk_test_rw(READ, e.bh[4]), -EIO);
	ck_assert_int_eq(blk_test_rw(READ, e.bh[0]), 0);
	ck_assert_int_eq(blk_test_cmp_file(e.bh[0], e.path), 0);
	err_set_down(&e);
}
END_TEST

START_TEST(test_delayed_completion)
{
	struct err_set e;
	struct timespec t0, t1;
	long ms;

	err_set_up(&e, DMA_REACH_LOW, ZONE_HIGHMEM);
	ck_assert_int_eq(blkdev_fault_delay(e.bdev, 100), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err_set_submit(&e, READ);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_ge(ms, 90);
	ck_assert_int_eq(e.c.errors, 0);
	ck_assert_int_eq(blk_test_cmp_file(e.bh[7], e.path), 0);
	err_set_down(&e);
}
END_TEST

START_TEST(test_past_end_and_read_only)
{
	struct block_device *bdev, *ro;
	struct buffer_head *bh;
	struct page *page;
	struct blkdev_config cfg = { .reach = DMA_REACH_LOW, .read_only = 1 };
	char *path;

	boot(KMAP_DIRECT);
	path = blk_test_image(IMAGE_SIZE, 4);
	bdev = blk_test_open(path, DMA_REACH_LOW, 0);
	page = blk_test_page(ZONE_HIGHMEM);
	bh = blk_test_bh(bdev, page, 0, 4096, IMAGE_SIZE / 4096);
	ck_assert_int_eq(blk_test_rw(WRITE, bh), -EIO);
	ck_assert_int_eq(blk_test_rw(READ, bh), -EIO);
	bh->b_blocknr = IMAGE_SIZE / 4096 - 1;
	ck_assert_int_eq(blk_test_rw(READ, bh), 0);

	cfg.path = path;
	ck_assert_int_eq(blkdev_close(bdev), 0);
	ck_assert_int_eq(blkdev_open(&cfg, &ro), 0);
	ck_assert_int_eq(blkdev_read_only(ro), 1);
	bh->b_dev = ro;
	ck_assert_int_eq(blk_test_rw(READ, bh), 0);
	ck_assert_int_eq(blk_test_cmp_file(bh, path), 0);
	ck_assert_int_eq(blk_test_rw(WRITE, bh), -EROFS);
	ck_assert_int_eq(blkdev_issue_flush(ro), 0);
	ck_assert_int_eq(blkdev_close(ro), 0);

	free_buffer_head(bh);
	__free_page(page);
	blk_test_image_free(path);
	vm_exit();
}
END_TEST

/* One owner per image: read-write excludes every other open, read-only
 * shares with read-only; the hold goes with close. */
START_TEST(test_claim)
{
	struct blkdev_config rw = { .reach = DMA_REACH_LOW };
	struct blkdev_config ro = { .reach = DMA_REACH_LOW, .read_only = 1 };
	struct block_device *a, *b, *c;
	char who[64];
	char *path;
	int fd;

	boot(KMAP_DIRECT);
	path = blk_test_image(IMAGE_SIZE, 5);
	rw.path = ro.path = path;
	ck_assert_int_eq(blkdev_open(&rw, &a), 0);
	ck_assert_int_eq(blkdev_open(&rw, &b), -EBUSY);
	ck_assert_int_eq(blkdev_open(&ro, &b), -EBUSY);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(blkdev_claim(fd, path, 1), -EBUSY);	/* the test for readers */
	ck_assert_int_eq(blkdev_claim(fd, path, 0), -EBUSY);
	blkdev_holder(path, who, sizeof(who));
	ck_assert_str_eq(who, "");				/* only this process holds it */
	ck_assert_int_eq(blkdev_close(a), 0);

	ck_assert_int_eq(blkdev_open(&ro, &a), 0);
	ck_assert_int_eq(blkdev_open(&ro, &b), 0);
	ck_assert_int_eq(blkdev_open(&rw, &c), -EBUSY);
	ck_assert_int_eq(blkdev_claim(fd, path, 0), 0);		/* shared with readers */
	close(fd);
	ck_assert_int_eq(blkdev_close(b), 0);
	ck_assert_int_eq(blkdev_close(a), 0);
	ck_assert_int_eq(blkdev_open(&rw, &a), 0);
	ck_assert_int_eq(blkdev_close(a), 0);
	blk_test_image_free(path);
	vm_exit();
}
END_TEST

/* ---- merging -------------------------------------------------------------- */

#define NR_MERGE	64

static struct block_device *merge_open(const char *path, unsigned int max_kb)
{
	struct blkdev_config cfg = {
		.path = path, .reach = DMA_REACH_LOW, .max_request_kb = max_kb,
	};
	struct block_device *bdev;

	ck_assert_int_eq(blkdev_open(&cfg, &bdev), 0);
	return bdev;
}

/* 64 adjacent blocks on scattered pages; stride 2 makes none adjacent. */
static void merge_run(struct block_device *bdev, const char *path, int stride,
		      int zone, struct blkdev_stats *st)
{
	struct buffer_head *bh[NR_MERGE];
	struct page *page[NR_MERGE];
	struct blk_test_counter c = { 0, 0 };
	int i;

	for (i = 0; i < NR_MERGE; i++) {
		page[i] = blk_test_page(zone);
		bh[i] = blk_test_bh(bdev, page[i], 0, 4096, 100 + (unsigned long)(i * stride));
	}
	blk_start_plug();
	for (i = 0; i < NR_MERGE; i++)
		blk_test_submit(READ, bh[i], &c);
	blk_finish_plug();
	blk_test_wait_all(&c, NR_MERGE);
	ck_assert_int_eq(c.errors, 0);
	for (i = 0; i < NR_MERGE; i++) {
		ck_assert_int_eq(blk_test_cmp_file(bh[i], path), 0);
		free_buffer_head(bh[i]);
		__free_page(page[i]);
	}
	blkdev_get_stats(bdev, st);
}

START_TEST(test_merge_adjacent)
{
	struct block_device *bdev;
	struct blkdev_stats st;
	char *path;
	int zone = _i ? ZONE_HIGHMEM : ZONE_NORMAL;

	boot(KMAP_DIRECT);
	path = blk_test_image(IMAGE_SIZE, 21);
	bdev = merge_open(path, 0);
	merge_run(bdev, path, 1, zone, &st);
	ck_assert_uint_eq(st.nr_iocbs, 1);		/* 256 KiB <= 1 MiB */
	ck_assert_uint_eq(st.nr_merged, NR_MERGE - 1);
	ck_assert_uint_eq(st.nr_submits, 1);
	ck_assert_int_eq(blkdev_close(bdev), 0);

	bdev = merge_open(path, 64);			/* 16 blocks per request */
	merge_run(bdev, path, 1, zone, &st);
	ck_assert_uint_eq(st.nr_iocbs, NR_MERGE * 4 / 64);
	ck_assert_uint_eq(st.nr_merged, NR_MERGE - NR_MERGE * 4 / 64);
	ck_assert_int_eq(blkdev_close(bdev), 0);

	bdev = merge_open(path, 0);
	merge_run(bdev, path, 2, zone, &st);
	ck_assert_uint_eq(st.nr_iocbs, NR_MERGE);
	ck_assert_uint_eq(st.nr_merged, 0);
	ck_assert_uint_eq(st.nr_submits, 1);		/* still one io_submit */
	ck_assert_int_eq(blkdev_close(bdev), 0);
	blk_test_image_free(path);
	vm_exit();
}
END_TEST

/* Reads of blocks 0..3 and writes of 4..7, interleaved: two requests. */
START_TEST(test_merge_never_mixes_directions)
{
	struct block_device *bdev;
	struct blkdev_stats st;
	struct buffer_head *bh[8];
	struct page *page[8];
	struct blk_test_counter c = { 0, 0 };
	char *path;
	int i;

	boot(KMAP_DIRECT);
	path = blk_test_image(IMAGE_SIZE, 22);
	bdev = merge_open(path, 0);
	for (i = 0; i < 8; i++) {
		page[i] = blk_test_page(ZONE_NORMAL);
		bh[i] = blk_test_bh(bdev, page[i], 0, 4096, (unsigned long)i);
		if (i >= 4)
			blk_test_fill(bh[i], 50);
	}
	blk_start_plug();
	for (i = 0; i < 4; i++) {
		blk_test_submit(READ, bh[i], &c);
		blk_test_submit(WRITE, bh[i + 4], &c);
	}
	blk_finish_plug();
	blk_test_wait_all(&c, 8);
	ck_assert_int_eq(c.errors, 0);
	blkdev_get_stats(bdev, &st);
	ck_assert_uint_eq(st.nr_iocbs, 2);
	ck_assert_uint_eq(st.nr_merged, 6);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(blk_test_cmp_file(bh[i], path), 0);
		ck_assert_int_eq(blk_test_file_has(path, bh[i + 4], 50), 0);
	}
	for (i = 0; i < 8; i++) {
		free_buffer_head(bh[i]);
		__free_page(page[i]);
	}
	ck_assert_int_eq(blkdev_close(bdev), 0);
	blk_test_image_free(path);
	vm_exit();
}
END_TEST

/* Two 2 KiB halves of one page, submitted back to front: a front merge
 * into one segment. */
START_TEST(test_front_merge_one_segment)
{
	struct block_device *bdev;
	struct blkdev_stats st;
	struct buffer_head *lo, *hi;
	struct page *page;
	struct blk_test_counter c = { 0, 0 };
	char *path;

	boot(KMAP_DIRECT);
	path = blk_test_image(IMAGE_SIZE, 23);
	bdev = merge_open(path, 0);
	page = blk_test_page(ZONE_DMA);
	lo = blk_test_bh(bdev, page, 0, 2048, 40);
	hi = blk_test_bh(bdev, page, 2048, 2048, 41);
	blk_start_plug();
	blk_test_submit(READ, hi, &c);
	blk_test_submit(READ, lo, &c);
	blk_finish_plug();
	blk_test_wait_all(&c, 2);
	blkdev_get_stats(bdev, &st);
	ck_assert_uint_eq(st.nr_iocbs, 1);
	ck_assert_uint_eq(st.nr_merged, 1);
	ck_assert_int_eq(blk_test_cmp_file(lo, path), 0);
	ck_assert_int_eq(blk_test_cmp_file(hi, path), 0);
	free_buffer_head(lo);
	free_buffer_head(hi);
	__free_page(page);
	ck_assert_int_eq(blkdev_close(bdev), 0);
	blk_test_image_free(path);
	vm_exit();
}
END_TEST

/* ll_rw_block skips what has nothing to do and what others have locked. */
START_TEST(test_ll_rw_block)
{
	struct block_device *bdev;
	struct blkdev_stats st;
	struct buffer_head *bh[4];
	struct page *page;
	char *path;
	int i;

	boot(KMAP_STRICT);
	path = blk_test_image(IMAGE_SIZE, 24);
	bdev = blk_test_open(path, DMA_REACH_LOW, 0);
	page = blk_test_page(ZONE_HIGHMEM);
	for (i = 0; i < 4; i++)
		bh[i] = blk_test_bh(bdev, page, (unsigned int)i * 1024, 1024, 8 + (unsigned long)i);
	ll_rw_block(READ, 4, bh);
	for (i = 0; i < 4; i++) {
		wait_on_buffer(bh[i]);
		ck_assert(buffer_uptodate(bh[i]));
		ck_assert_int_eq(atomic_read(&bh[i]->b_count), 0);
		ck_assert_int_eq(blk_test_cmp_file(bh[i], path), 0);
	}
	blkdev_get_stats(bdev, &st);
	ck_assert_uint_eq(st.nr_reads, 4);
	ck_assert_uint_eq(st.nr_iocbs, 1);	/* bounced, yet adjacent sectors */
	ll_rw_block(READ, 4, bh);		/* all uptodate: no I/O */
	ll_rw_block(WRITE, 4, bh);		/* all clean: no I/O */
	blk_test_fill(bh[2], 60);
	set_buffer_dirty(bh[2]);
	ll_rw_block(WRITE, 4, bh);
	wait_on_buffer(bh[2]);
	ck_assert(!buffer_dirty(bh[2]));
	blkdev_get_stats(bdev, &st);
	ck_assert_uint_eq(st.nr_reads, 4);
	ck_assert_uint_eq(st.nr_writes, 1);
	ck_assert_int_eq(blk_test_file_has(path, bh[2], 60), 0);
	for (i = 0; i < 4; i++)
		free_buffer_head(bh[i]);
	__free_page(page);
	ck_assert_int_eq(blkdev_close(bdev), 0);
	blk_test_image_free(path);
	vm_exit();
}
END_TEST

/* READA gives up when no request is free; READ waits for one. */
START_TEST(test_reada_dropped_when_queue_full)
{
	struct blkdev_config cfg = { .reach = DMA_REACH_ALL, .queue_depth = 1 };
	struct block_device *bdev;
	struct buffer_head *a, *b;
	struct page *page;
	struct blk_test_counter c = { 0, 0 };
	char *path;

	boot(KMAP_DIRECT);
	path = blk_test_image(IMAGE_SIZE, 25);
	cfg.path = path;
	ck_assert_int_eq(blkdev_open(&cfg, &bdev), 0);
	blkdev_fault_delay(bdev, 100);
	page = blk_test_page(ZONE_NORMAL);
	a = blk_test_bh(bdev, page, 0, 2048, 1);
	b = blk_test_bh(bdev, page, 2048, 2048, 9);
	blk_test_submit(READ, a, &c);
	blk_test_submit(READA, b, &c);
	ck_assert_int_eq(__atomic_load_n(&c.done, __ATOMIC_SEQ_CST), 1);
	ck_assert_int_eq(b->b_error, -EWOULDBLOCK);
	ck_assert_int_eq(blk_test_rw(READ, b), 0);	/* waits for a's request */
	blk_test_wait_all(&c, 2);
	ck_assert(buffer_uptodate(a));
	ck_assert_int_eq(blk_test_cmp_file(a, path), 0);
	ck_assert_int_eq(blk_test_cmp_file(b, path), 0);
	free_buffer_head(a);
	free_buffer_head(b);
	__free_page(page);
	ck_assert_int_eq(blkdev_close(bdev), 0);
	blk_test_image_free(path);
	vm_exit();
}
END_TEST

/* ---- flush ------------------------------------------------------------------ */

START_TEST(test_flush_waits_for_writes)
{
	struct err_set e;
	struct blkdev_stats st;
	int i;

	err_set_up(&e, DMA_REACH_LOW, ZONE_HIGHMEM);
	blkdev_fault_delay(e.bdev, 50);
	for (i = 0; i < NR_ERR_BH; i++) {
		blk_test_fill(e.bh[i], 70);
		blk_test_submit(WRITE, e.bh[i], &e.c);	/* unplugged: in flight */
	}
	ck_assert_int_eq(blkdev_issue_flush(e.bdev), 0);
	ck_assert_int_eq(__atomic_load_n(&e.c.done, __ATOMIC_SEQ_CST), NR_ERR_BH);
	blkdev_get_stats(e.bdev, &st);
	ck_assert_uint_eq(st.nr_flushes, 1);
	ck_assert_uint_eq(st.nr_writes, NR_ERR_BH);
	for (i = 0; i < NR_ERR_BH; i++)
		ck_assert_int_eq(blk_test_file_has(e.path, e.bh[i], 70), 0);

	/* A failed write is its submitter's to report (b_end_io, then the
	 * page cache's errseq): a flush after it does not report it again,
	 * or a file's fsync would hear of another file's failure. */
	blkdev_fault_delay(e.bdev, 0);
	blkdev_fault_eio(e.bdev, WRITE, 16 * 8, 8);
	ck_assert_int_eq(blk_test_rw(WRITE, e.bh[0]), -EIO);
	ck_assert_int_eq(blkdev_issue_flush(e.bdev), 0);
	err_set_down(&e);
}
END_TEST

/* ---- many threads --------------------------------------------------------- */

#define NR_THREADS	6
#define PER_THREAD	24

struct worker {
	struct block_device *bdev;
	const char *path;
	int id;
	int failures;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct buffer_head *bh[PER_THREAD];
	struct page *page[PER_THREAD];
	struct blk_test_counter c = { 0, 0 };
	int i, round;

	for (i = 0; i < PER_THREAD; i++) {
		page[i] = alloc_page(i % 3 == 0 ? GFP_HIGHUSER : i % 3 == 1 ? GFP_KERNEL :
				     GFP_KERNEL | __GFP_DMA);
		bh[i] = alloc_buffer_head(GFP_KERNEL);
		if (!page[i] || !bh[i])
			return (void *)1;
		bh[i]->b_dev = w->bdev;
		bh[i]->b_size = 4096;
		bh[i]->b_blocknr = (unsigned long)(w->id * 100 + i * (i % 2 ? 1 : 3));
		set_bh_page(bh[i], page[i], 0);
	}
	for (round = 0; round < 3; round++) {
		int rw = round == 1 ? WRITE : READ;

		if (rw == WRITE)
			for (i = 0; i < PER_THREAD; i++)
				blk_test_fill(bh[i], 90 + (unsigned int)w->id);
		blk_start_plug();
		for (i = 0; i < PER_THREAD; i++)
			blk_test_submit(rw, bh[i], &c);
		blk_finish_plug();
		for (i = 0; i < PER_THREAD; i++)
			wait_on_buffer(bh[i]);
		for (i = 0; i < PER_THREAD; i++)
			if (rw == WRITE ? blk_test_file_has(w->path, bh[i], 90 + (unsigned int)w->id)
					: blk_test_cmp_file(bh[i], w->path))
				w->failures++;
	}
	blk_test_wait_all(&c, 3 * PER_THREAD);
	w->failures += __atomic_load_n(&c.errors, __ATOMIC_SEQ_CST);
	for (i = 0; i < PER_THREAD; i++) {
		free_buffer_head(bh[i]);
		__free_page(page[i]);
	}
	return NULL;
}

START_TEST(test_threads)
{
	struct blkdev_config cfg = { .reach = DMA_REACH_LOW, .queue_depth = 16 };
	struct worker w[NR_THREADS];
	pthread_t t[NR_THREADS];
	struct block_device *bdev;
	char *path;
	int i;

	boot(_i ? KMAP_STRICT : KMAP_DIRECT);
	path = blk_test_image(IMAGE_SIZE, 31);
	cfg.path = path;
	ck_assert_int_eq(blkdev_open(&cfg, &bdev), 0);
	for (i = 0; i < NR_THREADS; i++) {
		w[i] = (struct worker){ .bdev = bdev, .path = path, .id = i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_fn, &w[i]), 0);
	}
	for (i = 0; i < NR_THREADS; i++) {
		void *ret;

		pthread_join(t[i], &ret);
		ck_assert_ptr_null(ret);
		ck_assert_int_eq(w[i].failures, 0);
	}
	ck_assert_int_eq(blkdev_close(bdev), 0);
	blk_test_image_free(path);
	vm_exit();
}
END_TEST

/* ---- the debug check ------------------------------------------------------- */

static void submit_unbounced_high(void *arg)
{
	struct block_device *bdev;
	struct buffer_head *bh;
	char *path = arg;

	boot(KMAP_DIRECT);
	bdev = blk_test_open(path, DMA_REACH_LOW, 0);
	blkdev_set_bounce_bypass(bdev, 1);
	bh = blk_test_bh(bdev, blk_test_page(ZONE_HIGHMEM), 0, 4096, 0);
	blk_test_rw(READ, bh);		/* must not return */
}

START_TEST(test_unbounced_high_page_aborts)
{
	char *path = blk_test_image(IMAGE_SIZE, 3);

	ck_assert(vm_test_dies_with(submit_unbounced_high, path, SIGABRT));
	blk_test_image_free(path);
}
END_TEST

/* Bypassing the bounce is harmless for frames within reach. */
START_TEST(test_bypass_within_reach)
{
	struct block_device *bdev;
	struct buffer_head *bh;
	char *path;

	boot(KMAP_DIRECT);
	path = blk_test_image(IMAGE_SIZE, 3);
	bdev = blk_test_open(path, DMA_REACH_LOW, 0);
	blkdev_set_bounce_bypass(bdev, 1);
	bh = blk_test_bh(bdev, blk_test_page(ZONE_NORMAL), 0, 4096, 0);
	ck_assert_int_eq(blk_test_rw(READ, bh), 0);
	ck_assert_int_eq(blk_test_cmp_file(bh, path), 0);
	__free_page(bh->b_page);
	free_buffer_head(bh);
	ck_assert_int_eq(blkdev_close(bdev), 0);
	blk_test_image_free(path);
	vm_exit();
}
END_TEST

/* ---- opening --------------------------------------------------------------- */

static int try_open(const char *path, int read_only)
{
	struct blkdev_config cfg = { .path = path, .reach = DMA_REACH_LOW,
				     .read_only = read_only };
	struct block_device *bdev = (void *)0x1;
	int ret = blkdev_open(&cfg, &bdev);

	if (ret == 0)
		blkdev_close(bdev);
	else
		ck_assert_ptr_eq(bdev, (void *)0x1);	/* untouched */
	return ret;
}

START_TEST(test_open_errors)
{
	struct blkdev_config cfg = { .reach = DMA_REACH_LOW };
	struct block_device *bdev;
	char *path, *dir, *empty;
	enum dma_reach r;
	int ret;

	boot(KMAP_DIRECT);
	path = blk_test_image(8192, 1);
	dir = strdup(path);
	*strrchr(dir, '/') = '\0';
	ck_assert_int_ge(asprintf(&empty, "%s/empty", dir), 0);
	close(open(empty, O_CREAT | O_WRONLY, 0644));

	ck_assert_int_eq(try_open("/nonexistent/imgfs-image", 0), -ENOENT);
	ret = try_open(dir, 1);
	ck_assert_msg(ret == -EISDIR || ret == -EINVAL, "directory: %d", ret);
	ck_assert_int_eq(try_open(empty, 0), -EINVAL);
	ck_assert_int_eq(try_open("/dev/null", 0), -EINVAL);
	ck_assert_int_eq(try_open(path, 0), 0);
	cfg.path = path;
	cfg.queue_depth = 100000;
	ck_assert_int_eq(blkdev_open(&cfg, &bdev), -EINVAL);
	cfg.queue_depth = 0;
	cfg.reach = (enum dma_reach)7;
	ck_assert_int_eq(blkdev_open(&cfg, &bdev), -EINVAL);

	/* Permissions: root passes them, so check only as another user. */
	chmod(path, 0444);
	ck_assert_int_eq(try_open(path, 1), 0);
	if (geteuid() != 0) {
		ck_assert_int_eq(try_open(path, 0), -EACCES);
		chmod(path, 0);
		ck_assert_int_eq(try_open(path, 1), -EACCES);
	}
	ck_assert_int_eq(dma_reach_parse("dma", &r), 0);
	ck_assert_int_eq(r, DMA_REACH_DMA);
	ck_assert_int_eq(dma_reach_parse("all", &r), 0);
	ck_assert_str_eq(dma_reach_name(r), "all");
	ck_assert_int_eq(dma_reach_parse("high", &r), -EINVAL);

	unlink(empty);
	free(empty);
	free(dir);
	blk_test_image_free(path);
	vm_exit();
}
END_TEST

static Suite *blkdev_suite(void)
{
	Suite *s = suite_create("blkdev");
	TCase *tc = tcase_create("io");
	TCase *err = tcase_create("errors");
	TCase *merge = tcase_create("merge");
	TCase *misc = tcase_create("misc");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_roundtrip, 0, 12);
	tcase_add_test(tc, test_sector_sized_blocks);
	tcase_add_test(tc, test_bounce_only_beyond_reach);
	tcase_add_loop_test(tc, test_threads, 0, 2);
	suite_add_tcase(s, tc);

	tcase_set_timeout(err, 30);
	tcase_add_loop_test(err, test_eio_fails_exactly_covered, 0, 2);
	tcase_add_loop_test(err, test_short_read_is_error, 0, 2);
	tcase_add_test(err, test_real_short_read_never_zeros);
	tcase_add_test(err, test_delayed_completion);
	tcase_add_test(err, test_past_end_and_read_only);
	tcase_add_test(err, test_claim);
	tcase_add_test(err, test_flush_waits_for_writes);
	suite_add_tcase(s, err);

	tcase_set_timeout(merge, 30);
	tcase_add_loop_test(merge, test_merge_adjacent, 0, 2);
	tcase_add_test(merge, test_merge_never_mixes_directions);
	tcase_add_test(merge, test_front_merge_one_segment);
	tcase_add_test(merge, test_ll_rw_block);
	tcase_add_test(merge, test_reada_dropped_when_queue_full);
	suite_add_tcase(s, merge);

	tcase_set_timeout(misc, 30);
	tcase_add_test(misc, test_unbounced_high_page_aborts);
	tcase_add_test(misc, test_bypass_within_reach);
	tcase_add_test(misc, test_open_errors);
	suite_add_tcase(s, misc);
	return s;
}

VM_TEST_MAIN(blkdev_suite)
