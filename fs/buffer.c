/*
 * fs/buffer.c - the buffer cache: buffers of the block-device mapping
 * found by (device, block, size) in a hash, getblk/bread/brelse,
 * dirtying, and the life of a page's buffer ring (2.4 fs/buffer.c).
 *
 * A buffer of the block-device mapping is always hashed; buffers of file
 * pages never are (2.4 alike).  getblk() looks in the hash and, on a miss,
 * grows the block-device page that holds the block (grow_buffers): the
 * page comes from the page cache, locked, and gets a ring of buffers, one
 * per block, each mapped to its block and hashed.  Only the page lock
 * holder adds or removes a page's buffers, so two growers never race.
 *
 * mark_buffer_dirty() marks the page dirty too: dirty metadata is written
 * back by the page cache's writeback (the flusher, reclaim, fsync) through
 * the mapping's writepage, which writes the dirty buffers.
 *
 * try_to_free_buffers() takes a page's buffers away when none is in use
 * (b_count), dirty or locked: the check and the unhashing happen under
 * bh_hash_lock, which get_hash_table() holds while it takes a reference,
 * so a buffer found in the hash is never freed under its finder.
 *
 * Locking: see fs/buffer.h.  bh_hash_lock is a leaf but for the slab
 * locks taken when buffers are freed after it is dropped.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "fs/buffer.h"
#include "vm/slab.h"
#include "vm/swap.h"
#include "vm/vmstat.h"

static spinlock_t bh_hash_lock;
static struct buffer_head **bh_hash_table;
static unsigned int bh_hash_bits;
static unsigned int bh_hash_order;
static unsigned long nr_hashed;		/* bh_hash_lock */

/* ---- the hash ---------------------------------------------------------- */

static unsigned long bh_hashfn(const struct block_device *bdev, unsigned long block)
{
	unsigned long h = ((unsigned long)bdev >> 6) ^ (block * 0x9e3779b97f4a7c15UL);

	return (h ^ (h >> 29)) * 0x9e3779b97f4a7c15UL >> (BITS_PER_LONG - bh_hash_bits);
}

static struct buffer_head **bh_hash(const struct block_device *bdev, unsigned long block)
{
	return bh_hash_table + bh_hashfn(bdev, block);
}

/* Caller holds bh_hash_lock. */
static void __hash_buffer(struct buffer_head *bh)
{
	struct buffer_head **head = bh_hash(bh->b_dev, bh->b_blocknr);

	assert_spin_locked(&bh_hash_lock);
	bh->b_next = *head;
	if (bh->b_next)
		bh->b_next->b_pprev = &bh->b_next;
	bh->b_pprev = head;
	*head = bh;
	nr_hashed++;
}

/* Caller holds bh_hash_lock. */
static void __unhash_buffer(struct buffer_head *bh)
{
	assert_spin_locked(&bh_hash_lock);
	if (!bh->b_pprev)
		return;
	if (bh->b_next)
		bh->b_next->b_pprev = bh->b_pprev;
	*bh->b_pprev = bh->b_next;
	bh->b_next = NULL;
	bh->b_pprev = NULL;
	nr_hashed--;
}

/* Caller holds bh_hash_lock. */
static struct buffer_head *__get_hash_table(struct block_device *bdev,
					    unsigned long block, unsigned int size)
{
	struct buffer_head *bh;

	assert_spin_locked(&bh_hash_lock);
	for (bh = *bh_hash(bdev, block); bh; bh = bh->b_next)
		if (bh->b_blocknr == block && bh->b_dev == bdev && bh->b_size == size)
			return bh;
	return NULL;
}

struct buffer_head *get_hash_table(struct block_device *bdev, unsigned long block,
				   unsigned int size)
{
	struct buffer_head *bh;

	spin_lock(&bh_hash_lock);
	bh = __get_hash_table(bdev, block, size);
	if (bh)
		get_bh(bh);
	spin_unlock(&bh_hash_lock);
	return bh;
}

unsigned long nr_hashed_buffers(void)
{
	unsigned long n;

	spin_lock(&bh_hash_lock);
	n = nr_hashed;
	spin_unlock(&bh_hash_lock);
	return n;
}

/* ---- set-up ------------------------------------------------------------ */

static const struct vm_io_hooks buffer_io_hooks = {
	.start_plug = blk_start_plug,
	.finish_plug = blk_finish_plug,
	.unplug = run_task_queue_disk,
};

/*
 * About one bucket per four frames, from 4 KiB up to 64 frames of table;
 * smaller if memory is fragmented.
 */
int buffer_init(void)
{
	unsigned long want = num_physpages / 4 * sizeof(struct buffer_head *);
	struct page *page;

	for (bh_hash_order = 0; (PAGE_SIZE << bh_hash_order) < want && bh_hash_order < 6;
	     bh_hash_order++)
		;
	while (!(page = alloc_pages(GFP_KERNEL, bh_hash_order)) && bh_hash_order > 0)
		bh_hash_order--;
	if (!page)
		return -ENOMEM;
	bh_hash_table = page_address(page);
	memset(bh_hash_table, 0, PAGE_SIZE << bh_hash_order);
	bh_hash_bits = blksize_bits((unsigned int)((PAGE_SIZE << bh_hash_order) /
						   sizeof(struct buffer_head *)));
	spin_lock_init(&bh_hash_lock);
	nr_hashed = 0;
	set_vm_io_hooks(&buffer_io_hooks);
	return 0;
}

void buffer_exit(void)
{
	VM_BUG_ON(nr_hashed);
	set_vm_io_hooks(NULL);
	spin_lock_destroy(&bh_hash_lock);
	free_pages(bh_hash_table, bh_hash_order);
	bh_hash_table = NULL;
}

/* ---- a page's buffers --------------------------------------------------- */

static void free_buffer_ring(struct buffer_head *head)
{
	struct buffer_head *bh = head, *next;

	do {
		next = bh->b_this_page;
		free_buffer_head(bh);
		bh = next;
	} while (bh != head);
}

int create_empty_buffers(struct page *page, struct block_device *bdev,
			 unsigned int blocksize)
{
	struct buffer_head *head = NULL, *tail = NULL, *bh;
	long offset;

	VM_BUG_ON(!PageLocked(page) || page->buffers);
	for (offset = (long)(PAGE_SIZE - blocksize); offset >= 0; offset -= blocksize) {
		bh = alloc_buffer_head(GFP_NOFS);
		if (!bh)
			goto out_free;
		bh->b_size = blocksize;
		bh->b_dev = bdev;
		set_bh_page(bh, page, (unsigned long)offset);
		if (PageUptodate(page))
			set_buffer_uptodate(bh);
		bh->b_this_page = head;
		if (!tail)
			tail = bh;
		head = bh;
	}
	tail->b_this_page = head;
	page_cache_get(page);	/* the ring's reference */
	page->buffers = head;
	return 0;

out_free:
	if (head) {
		tail->b_this_page = head;
		free_buffer_ring(head);
	}
	return -ENOMEM;
}

static int buffer_busy(const struct buffer_head *bh)
{
	return atomic_read(&bh->b_count) || buffer_dirty(bh) || buffer_locked(bh);
}

int try_to_free_buffers(struct page *page, unsigned int gfp_mask)
{
	struct buffer_head *head = page->buffers, *bh;

	(void)gfp_mask;	/* we never write here, so any caller may free */
	VM_BUG_ON(!PageLocked(page));
	if (!head)
		return 1;
	spin_lock(&bh_hash_lock);
	bh = head;
	do {
		if (buffer_busy(bh))
			goto out_busy;
		bh = bh->b_this_page;
	} while (bh != head);
	do {
		__unhash_buffer(bh);
		bh = bh->b_this_page;
	} while (bh != head);
	page->buffers = NULL;
	spin_unlock(&bh_hash_lock);
	free_buffer_ring(head);
	page_cache_release(page);	/* the ring's reference; never the last */
	return 1;

out_busy:
	spin_unlock(&bh_hash_lock);
	return 0;
}

/* ---- growing the block-device mapping ------------------------------------ */

/* Page locked: number and hash the buffers of a new ring. */
static void hash_page_buffers(struct page *page, unsigned long nr_blocks)
{
	struct buffer_head *head = page->buffers, *bh = head;
	unsigned int bits = PAGE_SHIFT - blksize_bits(head->b_size);
	unsigned long block = page->index << bits;

	spin_lock(&bh_hash_lock);
	do {
		bh->b_blocknr = block++;
		if (bh->b_blocknr < nr_blocks)
			set_buffer_mapped(bh);
		__hash_buffer(bh);
		bh = bh->b_this_page;
	} while (bh != head);
	spin_unlock(&bh_hash_lock);
}

int bdev_page_buffers(struct block_device *bdev, unsigned long nr_blocks,
		      struct page *page, unsigned int size)
{
	int err;

	VM_BUG_ON(!PageLocked(page));
	if (page->buffers) {
		if (page->buffers->b_size == size)
			return 0;
		if (!try_to_free_buffers(page, GFP_NOFS))
			return -EBUSY;
	}
	err = create_empty_buffers(page, bdev, size);
	if (err)
		return err;
	hash_page_buffers(page, nr_blocks);
	return 0;
}

static int grow_buffers(struct block_device *bdev, unsigned long block,
			unsigned int size)
{
	struct bdev_cache *bc = bdev_cache_find(bdev);
	struct address_space *mapping;
	struct page *page;
	unsigned long nr_blocks;
	int err;

	if (!bc)
		return -ENODEV;
	mapping = bdev_cache_mapping(bc);
	nr_blocks = (unsigned long)(blkdev_size(bdev) / size);
	page = find_or_create_page(mapping, block >> (PAGE_SHIFT - blksize_bits(size)),
				   mapping->gfp_mask);
	if (!page)
		return -ENOMEM;
	err = bdev_page_buffers(bdev, nr_blocks, page, size);
	unlock_page(page);
	page_cache_release(page);
	return err;
}

/* ---- the interface ----------------------------------------------------- */

static void touch_buffer(struct buffer_head *bh)
{
	mark_page_accessed(bh->b_page);
}

/*
 * A metadata block that cannot get memory waits rather than failing: the
 * allocator has already reclaimed and waited on write-back, but what one
 * request could not find, the next may (2.4's getblk loops on
 * free_more_memory() for ever).  A bounded number of rounds, so that an
 * arena pinned whole still ends in NULL.
 */
#define GETBLK_RETRIES	16

static void getblk_backoff(int attempt)
{
	struct timespec ts = { 0, 1000000L << (attempt < 4 ? attempt : 4) };

	nanosleep(&ts, NULL);
}

struct buffer_head *getblk(struct block_device *bdev, unsigned long block,
			   unsigned int size)
{
	int attempt = 0, err;

	for (;;) {
		struct buffer_head *bh = get_hash_table(bdev, block, size);

		if (bh) {
			touch_buffer(bh);
			return bh;
		}
		err = grow_buffers(bdev, block, size);
		if (err == -ENOMEM && attempt < GETBLK_RETRIES) {
			getblk_backoff(attempt++);
			continue;
		}
		if (err)
			return NULL;
	}
}

struct buffer_head *bread(struct block_device *bdev, unsigned long block,
			  unsigned int size)
{
	struct buffer_head *bh = getblk(bdev, block, size);

	if (!bh)
		return NULL;
	count_vm_event(buffer_uptodate(bh) ? PGCACHE_HIT : PGCACHE_MISS);
	if (buffer_uptodate(bh))
		return bh;
	ll_rw_block(READ, 1, &bh);
	wait_on_buffer(bh);
	if (buffer_uptodate(bh))
		return bh;
	brelse(bh);
	return NULL;
}

void brelse(struct buffer_head *bh)
{
	if (bh)
		put_bh(bh);
}

void bforget(struct buffer_head *bh)
{
	if (!bh)
		return;
	clear_buffer_dirty(bh);
	brelse(bh);
}

void mark_buffer_dirty(struct buffer_head *bh)
{
	if (test_set_buffer_dirty(bh))
		return;
	bh->b_flushtime = vm_jiffies();
	set_page_dirty(bh->b_page);
}

/* A synchronous write: whatever happens, the buffer still holds the data
 * to be written (end_buffer_io_sync would call it not uptodate, and the
 * next bread would read the old block over it). */
static void end_buffer_write_sync(struct buffer_head *bh, int uptodate)
{
	if (!uptodate)
		set_buffer_dirty(bh);	/* still to be written */
	put_bh(bh);
	unlock_buffer(bh);
}

int sync_dirty_buffer(struct buffer_head *bh)
{
	int err;

	lock_buffer(bh);
	if (!test_clear_buffer_dirty(bh)) {
		unlock_buffer(bh);
		return 0;
	}
	get_bh(bh);
	bh->b_end_io = end_buffer_write_sync;
	submit_bh(WRITE, bh);
	wait_on_buffer(bh);
	if (!buffer_error(bh))
		return 0;
	err = bh->b_error ? bh->b_error : -EIO;
	/* As a failed write-back: dirty again, retried, the owner told. */
	page_write_failed(bh->b_page, err);
	return err;
}

void unmap_underlying_metadata(struct block_device *bdev, unsigned long block,
			       unsigned int size)
{
	struct buffer_head *old = get_hash_table(bdev, block, size);

	if (!old)
		return;
	wait_on_buffer(old);
	clear_buffer_dirty(old);
	brelse(old);
}
