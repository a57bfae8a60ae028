/*
 * tests/fs/check_buffer.c - the buffer cache over a real image: getblk,
 * bread and brelse at 1024, 2048 and 4096 bytes against pread of the
 * image; one buffer per block (the hash); b_data in low memory; the ring
 * of a page's buffers; dirty buffers written by sync_dirty_buffer and by
 * the flusher; block_read_full_page, block_write_full_page and
 * prepare/commit_write over a get_block that maps file blocks to device
 * blocks; one copy of a block whether reached through getblk or the
 * block-device mapping; invalidate and reclaim of buffer pages.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "fs/buffer.h"
#include "tests/blockdev/blk_test.h"
#include "vm/highmem.h"
#include "vm/swap.h"
#include "vm/vmstat.h"
#include "vm/writeback.h"

#define IMAGE_SIZE	(8ULL << 20)
#define SEED		17

static char *image;
static struct block_device *bdev;

static void setup(unsigned long mem, unsigned long lowmem, unsigned int blocksize)
{
	vm_test_boot(mem, lowmem, KMAP_STRICT);
	image = blk_test_image(IMAGE_SIZE, SEED);
	bdev = blk_test_open(image, DMA_REACH_LOW, 0);
	ck_assert_int_eq(bdev_cache_attach(bdev, blocksize), 0);
}

static void teardown(void)
{
	ck_assert_int_eq(bdev_cache_detach(bdev), 0);
	ck_assert_int_eq(blkdev_close(bdev), 0);
	blk_test_image_free(image);
	vm_exit();
}

/* The image's bytes at off, read behind the cache's back. */
static void image_read(void *buf, size_t len, unsigned long long off)
{
	int fd = open(image, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static int image_equals(const void *data, size_t len, unsigned long long off)
{
	static unsigned char buf[1 << 16];

	ck_assert_uint_le(len, sizeof(buf));
	image_read(buf, len, off);
	return memcmp(buf, data, len) == 0;
}

/* ---- getblk / bread / brelse ---------------------------------------------- */

START_TEST(test_bread_sizes)
{
	static const unsigned int sizes[] = { 1024, 2048, 4096 };
	static const unsigned long blocks[] = { 0, 1, 3, 7, 100, 2047 };
	unsigned int s, b;

	setup(MiB(32), MiB(16), 1024);
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		unsigned int size = sizes[s];

		ck_assert_int_eq(set_blocksize(bdev, size), 0);
		ck_assert_uint_eq(bdev_block_size(bdev), size);
		for (b = 0; b < ARRAY_SIZE(blocks); b++) {
			unsigned long block = blocks[b] * 1024 / size;
			struct buffer_head *bh = bread(bdev, block, size), *again;

			ck_assert_ptr_nonnull(bh);
			ck_assert(buffer_uptodate(bh) && buffer_mapped(bh));
			ck_assert_uint_eq(bh->b_blocknr, block);
			ck_assert_uint_eq(bh->b_size, size);
			/* Metadata lives in low memory: b_data is an address. */
			ck_assert(virt_addr_valid(bh->b_data));
			ck_assert(!PageHighMem(bh->b_page));
			ck_assert(image_equals(bh->b_data, size, (unsigned long long)block * size));
			/* The hash gives back the same buffer. */
			again = bread(bdev, block, size);
			ck_assert_ptr_eq(again, bh);
			ck_assert_int_eq(atomic_read(&bh->b_count), 2);
			brelse(again);
			brelse(bh);
			ck_assert_int_eq(atomic_read(&bh->b_count), 0);
		}
	}
	/* getblk alone reads nothing. */
	{
		struct buffer_head *bh = getblk(bdev, 1500, 4096);

		ck_assert(!buffer_uptodate(bh));
		brelse(bh);
	}
	teardown();
}
END_TEST

START_TEST(test_page_buffer_ring)
{
	struct buffer_head *bh, *head;
	struct address_space *mapping;
	struct page *page;
	int n = 0;

	setup(MiB(16), 0, 1024);
	mapping = bdev_mapping(bdev);
	ck_assert(mapping->flags & AS_BDEV);
	bh = getblk(bdev, 13, 1024);
	page = bh->b_page;
	ck_assert_uint_eq(page->index, 3);
	ck_assert_ptr_eq(page->mapping, mapping);
	ck_assert_ptr_eq(find_get_page(mapping, 3), page);
	page_cache_release(page);
	/* Four buffers, blocks 12..15, at offsets 0..3K, in a ring. */
	head = page->buffers;
	ck_assert_ptr_nonnull(head);
	do {
		ck_assert_uint_eq(head->b_blocknr, 12 + (unsigned long)n);
		ck_assert_uint_eq(bh_offset(head), (unsigned long)n * 1024);
		ck_assert_ptr_eq(head->b_page, page);
		n++;
		head = head->b_this_page;
	} while (head != page->buffers);
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(nr_hashed_buffers(), 4);
	/* The cache and the ring hold the page; the buffer user does not. */
	ck_assert_int_eq(page_count(page), 2);
	brelse(bh);
	/* Clean and unused: invalidate frees buffers and page. */
	ck_assert_uint_eq(invalidate_inode_pages(mapping), 1);
	ck_assert_uint_eq(nr_hashed_buffers(), 0);
	ck_assert_uint_eq(mapping->nrpages, 0);
	teardown();
}
END_TEST

START_TEST(test_sync_dirty_buffer)
{
	struct buffer_head *bh;
	unsigned int i;

	setup(MiB(16), 0, 2048);
	bh = bread(bdev, 77, 2048);
	ck_assert_ptr_nonnull(bh);
	for (i = 0; i < 2048; i++)
		bh->b_data[i] = (char)(i * 7 + 1);
	mark_buffer_dirty(bh);
	ck_assert(buffer_dirty(bh) && PageDirty(bh->b_page));
	ck_assert_int_eq(nr_dirty_pages(), 1);
	ck_assert(!image_equals(bh->b_data, 2048, 77ULL * 2048));
	ck_assert_int_eq(sync_dirty_buffer(bh), 0);
	ck_assert(!buffer_dirty(bh));
	ck_assert(image_equals(bh->b_data, 2048, 77ULL * 2048));
	/* The neighbours in the page were not touched. */
	{
		struct buffer_head *nb = bread(bdev, 76, 2048);

		ck_assert(image_equals(nb->b_data, 2048, 76ULL * 2048));
		brelse(nb);
	}
	brelse(bh);
	teardown();
}
END_TEST

START_TEST(test_flusher_writes_buffers)
{
	struct writeback_params p = { .expire_ms = 100, .interval_ms = 30,
				      .background_ratio = 10, .dirty_ratio = 40 };
	struct buffer_head *bh[16];
	int i;

	setup(MiB(16), 0, 1024);
	ck_assert_int_eq(writeback_set_params(&p), 0);
	ck_assert_int_eq(flusher_start(), 0);
	for (i = 0; i < 16; i++) {
		bh[i] = bread(bdev, 1000 + (unsigned long)i * 5, 1024);
		ck_assert_ptr_nonnull(bh[i]);
		memset(bh[i]->b_data, 0xa0 + i, 1024);
		mark_buffer_dirty(bh[i]);
		brelse(bh[i]);
	}
	ck_assert_int_gt(nr_dirty_pages(), 0);
	ck_assert_msg(vm_test_wait_for(!nr_dirty_pages() && !nr_writeback_pages(), 60),
		      "%ld dirty, %ld under writeback", nr_dirty_pages(), nr_writeback_pages());
	for (i = 0; i < 16; i++) {
		ck_assert(!buffer_dirty(bh[i]));
		ck_assert(image_equals(bh[i]->b_data, 1024, (1000ULL + (unsigned long long)i * 5) * 1024));
	}
	flusher_stop();
	teardown();
}
END_TEST

/* ---- page I/O over a filesystem's get_block ------------------------------- */

/*
 * A "file" of 1 KiB blocks whose block i lives at device block
 * FILE_BASE + 3 * i (a real mapping, interleaved), and whose blocks from
 * FILE_HOLE on are holes until written.
 */
#define FILE_BASE	4096UL
#define FILE_STRIDE	3UL
#define FILE_HOLE	64UL

static int file_allocated[256];

static int test_get_block(struct address_space *mapping, unsigned long iblock,
			  struct buffer_head *bh, int create)
{
	(void)mapping;
	ck_assert_uint_lt(iblock, 256);
	if (iblock >= FILE_HOLE && !file_allocated[iblock]) {
		if (!create)
			return 0;
		file_allocated[iblock] = 1;
		set_buffer_new(bh);
	}
	map_bh(bh, bdev, FILE_BASE + FILE_STRIDE * iblock);
	return 0;
}

static int file_readpage(struct page *page)
{
	return block_read_full_page(page, test_get_block);
}

static int file_writepage(struct page *page, int sync)
{
	return block_write_full_page(page, test_get_block, sync);
}

static int file_prepare_write(struct page *page, unsigned int from, unsigned int to)
{
	return block_prepare_write(page, from, to, test_get_block);
}

static const struct address_space_operations file_aops = {
	.readpage = file_readpage,
	.writepage = file_writepage,
	.prepare_write = file_prepare_write,
	.commit_write = generic_commit_write,
	.flushpage = block_flushpage,
	.releasepage = block_releasepage,
};

/* The device bytes of file byte range [off, off + len), block by block. */
static void file_expect(unsigned char *out, unsigned long off, unsigned long len)
{
	unsigned long done = 0;

	while (done < len) {
		unsigned long pos = off + done, iblock = pos / 1024, in = pos % 1024;
		unsigned long n = 1024 - in < len - done ? 1024 - in : len - done;

		if (iblock >= FILE_HOLE && !file_allocated[iblock])
			memset(out + done, 0, n);
		else
			image_read(out + done, n, (FILE_BASE + FILE_STRIDE * iblock) * 1024 + in);
		done += n;
	}
}

START_TEST(test_block_page_io)
{
	static unsigned char got[80 * 1024], want[80 * 1024], src[20000];
	struct address_space file;
	struct file_ra_state ra;
	loff_t isize = 256 * 1024;
	unsigned int i;

	setup(MiB(32), MiB(16), 4096);
	memset(file_allocated, 0, sizeof(file_allocated));
	address_space_init(&file, &file_aops, NULL, GFP_HIGHUSER, 0);
	file.blkbits = 10;

	/* Read: mapped blocks from their device blocks, holes as zeros; the
	 * pages are high (bounced by the device layer). */
	file_ra_state_init(&ra);
	ck_assert_int_eq(generic_file_read(&file, &ra, (char *)got, sizeof(got), 0, isize),
			 (ssize_t)sizeof(got));
	file_expect(want, 0, sizeof(got));
	ck_assert_int_eq(memcmp(got, want, sizeof(got)), 0);
	ck_assert_uint_eq(got[FILE_HOLE * 1024 + 5], 0);
	{
		struct page *p = find_get_page(&file, 0);

		ck_assert(PageHighMem(p) && PageUptodate(p) && p->buffers);
		page_cache_release(p);
	}

	/* Write: unaligned, over mapped blocks and into holes; partial blocks
	 * keep what was around them. */
	for (i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(i * 13 + 5);
	ck_assert_int_eq(generic_file_write(&file, (char *)src, sizeof(src), 50000), sizeof(src));
	ck_assert_int_eq(generic_file_write(&file, (char *)src, 3000, 100 * 1024 + 700), 3000);
	ck_assert_int_eq(filemap_fdatasync(&file), 0);
	ck_assert_int_eq(filemap_fdatawait(&file), 0);
	file_expect(want, 50000, sizeof(src));
	for (i = 0; i < sizeof(src) && want[i] == src[i]; i++)
		;
	ck_assert_msg(i == sizeof(src), "first difference at file byte %u", 50000 + i);
	file_expect(want, 100 * 1024, 4096);
	for (i = 0; i < 700; i++)
		ck_assert_uint_eq(want[i], 0);	/* the new block was zeroed */
	ck_assert_int_eq(memcmp(want + 700, src, 3000), 0);

	/* Dropped and read again from the device: the same. */
	truncate_inode_pages(&file, 0);
	file_ra_state_init(&ra);
	ck_assert_int_eq(generic_file_read(&file, &ra, (char *)got, sizeof(got), 0, isize),
			 (ssize_t)sizeof(got));
	file_expect(want, 0, sizeof(got));
	ck_assert_int_eq(memcmp(got, want, sizeof(got)), 0);
	ck_assert_int_eq(memcmp(got + 50000, src, sizeof(src)), 0);

	/* block_truncate_page zeroes the tail of the block holding the end. */
	ck_assert_int_eq(block_truncate_page(&file, 50100, test_get_block), 0);
	truncate_inode_pages(&file, 50100);
	ck_assert_int_eq(filemap_fdatasync(&file), 0);
	ck_assert_int_eq(filemap_fdatawait(&file), 0);
	/* Block 48 holds bytes 49152..50175: src starts at 848, ends at 948. */
	image_read(got, 1024, (FILE_BASE + FILE_STRIDE * 48) * 1024);
	ck_assert_int_eq(memcmp(got + 848, src, 100), 0);
	for (i = 948; i < 1024; i++)
		ck_assert_uint_eq(got[i], 0);
	truncate_inode_pages(&file, 0);
	address_space_destroy(&file);
	teardown();
}
END_TEST

/* ---- one copy of a block ------------------------------------------------- */

START_TEST(test_bdev_mapping_coherent)
{
	static char buf[8192];
	struct address_space *mapping;
	struct file_ra_state ra;
	struct buffer_head *bh;

	setup(MiB(16), 0, 1024);
	mapping = bdev_mapping(bdev);
	/* A write through the mapping is seen by bread... */
	memset(buf, 0x5a, sizeof(buf));
	ck_assert_int_eq(generic_file_write(mapping, buf, 3000, 10 * 1024 + 100), 3000);
	bh = bread(bdev, 10, 1024);
	ck_assert_int_eq(bh->b_data[99], (char)blk_pat(10 * 1024 + 99, SEED));
	ck_assert_int_eq(bh->b_data[100], 0x5a);
	ck_assert(buffer_dirty(bh));
	/* ...and a buffer dirtied by hand is read through the mapping. */
	bh->b_data[500] = 0x11;
	mark_buffer_dirty(bh);
	brelse(bh);
	file_ra_state_init(&ra);
	ck_assert_int_eq(generic_file_read(mapping, &ra, buf, 1024, 10 * 1024,
					   (loff_t)IMAGE_SIZE), 1024);
	ck_assert_int_eq(buf[500], 0x11);
	ck_assert_int_eq(sync_blockdev(bdev), 0);
	ck_assert(image_equals(buf, 1024, 10 * 1024));
	teardown();
}
END_TEST

START_TEST(test_reclaim_buffer_pages)
{
	struct buffer_head *held;
	unsigned long b, steal0;

	/* 4 MiB of memory, 8 MiB of metadata read through bread. */
	setup(MiB(4), 0, 1024);
	held = bread(bdev, 3, 1024);
	steal0 = sum_vm_event(PGSTEAL);
	for (b = 0; b < IMAGE_SIZE / 1024; b++) {
		struct buffer_head *bh = bread(bdev, b, 1024);

		ck_assert_ptr_nonnull(bh);
		ck_assert_uint_eq((unsigned char)bh->b_data[9],
				  blk_pat((unsigned long long)b * 1024 + 9, SEED));
		brelse(bh);
	}
	ck_assert_uint_gt(sum_vm_event(PGSTEAL) - steal0, 1000);
	ck_assert_uint_lt(nr_hashed_buffers(), IMAGE_SIZE / 1024);
	/* The held buffer kept its page. */
	ck_assert_ptr_eq(get_hash_table(bdev, 3, 1024), held);
	ck_assert(buffer_uptodate(held));
	brelse(held);
	brelse(held);
	/* Invalidate frees all but nothing in use. */
	held = bread(bdev, 5000, 1024);
	invalidate_inode_pages(bdev_mapping(bdev));
	ck_assert_uint_eq(bdev_mapping(bdev)->nrpages, 1);
	ck_assert_int_eq(bdev_cache_detach(bdev), -EBUSY);
	brelse(held);
	teardown();
}
END_TEST

static Suite *buffer_suite(void)
{
	Suite *s = suite_create("buffer");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_bread_sizes);
	tcase_add_test(tc, test_page_buffer_ring);
	tcase_add_test(tc, test_sync_dirty_buffer);
	tcase_add_test(tc, test_flusher_writes_buffers);
	tcase_add_test(tc, test_block_page_io);
	tcase_add_test(tc, test_bdev_mapping_coherent);
	tcase_add_test(tc, test_reclaim_buffer_pages);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(buffer_suite)
