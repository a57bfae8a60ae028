/*
 * tests/blockdev/blk_test.h - what the device-layer and bounce suites
 * share: image files with a known pattern, buffer heads on chosen frames,
 * synchronous and asynchronous I/O, and byte-for-byte checks against the
 * image read directly with pread.
 */
#ifndef IMGFS_TESTS_BLK_TEST_H
#define IMGFS_TESTS_BLK_TEST_H

#include "blockdev/blkdev.h"
#include "tests/vm/vm_test.h"

/* The pattern byte at offset off of an image made with seed. */
static inline unsigned char blk_pat(unsigned long long off, unsigned int seed)
{
	unsigned int x = (unsigned int)(off >> 2) * 2654435761u + seed * 40503u;

	return (unsigned char)((x >> 24) ^ (off & 3));
}

/*
 * A size-byte image filled with blk_pat(seed), in $TMPDIR or a fresh
 * ./tmp-test-XXXXXX directory of the working directory (the build tree,
 * where O_DIRECT works).  Returns a malloc'ed path; blk_test_image_free()
 * removes the file and its directory.
 */
char *blk_test_image(unsigned long long size, unsigned int seed);
void blk_test_image_free(char *path);

/* Open path with the given reach; no_direct forces buffered I/O. */
struct block_device *blk_test_open(const char *path, enum dma_reach reach,
				   int no_direct);

/* A frame from the given zone (DMA, NORMAL or HIGHMEM); asserts it. */
struct page *blk_test_page(int zone);

/* A mapped, unlocked bh for block blocknr of size bytes at offset of page. */
struct buffer_head *blk_test_bh(struct block_device *bdev, struct page *page,
				unsigned int offset, unsigned int size,
				unsigned long blocknr);

/* Lock bh and submit it with a completion that counts into done/errors;
 * blk_test_wait_all() waits until done reaches n. */
struct blk_test_counter {
	int done;		/* atomic */
	int errors;		/* atomic */
};
void blk_test_submit(int rw, struct buffer_head *bh, struct blk_test_counter *c);
void blk_test_wait_all(struct blk_test_counter *c, int n);

/* submit_bh + wait_on_buffer; returns b_error (0 when uptodate). */
int blk_test_rw(int rw, struct buffer_head *bh);

/* Fill bh's data with blk_pat(seed) as for its disk position, or check
 * it against the image file at path (pread).  Return 0 when equal. */
void blk_test_fill(struct buffer_head *bh, unsigned int seed);
int blk_test_cmp_file(struct buffer_head *bh, const char *path);
/* Check the file's bytes at bh's position against blk_pat(seed). */
int blk_test_file_has(const char *path, struct buffer_head *bh, unsigned int seed);

#endif
