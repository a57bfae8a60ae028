/*
 * fs/buffer.h - the buffer cache and block I/O on page-cache pages (2.4
 * fs/buffer.c, fs/block_dev.c; book 10.4.1 "Disk Buffering").
 *
 * Three parts:
 *
 * The block-device mapping (fs/block_dev.c).  As in 2.4.10 and later,
 * every block device has an address_space of its own whose page n holds
 * the blocks [n * PAGE_SIZE / size, (n + 1) * PAGE_SIZE / size).  Its
 * pages come from low memory (GFP_NOFS, no __GFP_HIGHMEM), so b_data is
 * an address; its a_ops read and write them through the buffers with a
 * one-to-one get_block, so the page cache reads ahead, writes back and
 * reclaims metadata like any file.
 *
 *   bdev_cache_attach(bdev, blocksize) ... bdev_mapping(bdev) ...
 *   sync_blockdev(bdev) ... bdev_cache_detach(bdev)
 *
 * The buffer cache (fs/buffer.c).  getblk(bdev, block, size) finds the
 * buffer in a hash on (device, block, size) or creates the page of the
 * block-device mapping that holds it with buffers for all its blocks
 * (grow_buffers).  A buffer holds no page reference of its own while it
 * is in use: b_count pins it, and a page whose buffers are in use, dirty
 * or locked cannot lose them (try_to_free_buffers), so it stays cached.
 *
 *   bh = bread(bdev, block, size) ... modify bh->b_data ...
 *   mark_buffer_dirty(bh) ... [sync_dirty_buffer(bh)] ... brelse(bh)
 *
 * Page buffers (fs/block_page.c).  A page's buffers form a ring through
 * b_this_page, headed by page->buffers, which holds one page reference.
 * block_read_full_page, block_write_full_page and block_prepare_write /
 * generic_commit_write do page I/O over a filesystem's get_block.
 *
 * Locking: bh_hash_lock guards the hash chains and is taken with b_count
 * changes of hashed buffers that must not race try_to_free_buffers; it
 * comes after pagecache_lock (invalidate releases buffers under it) and
 * takes nothing but the slab's locks (vm/locking.h).  page->buffers and
 * b_this_page change only under the page lock.  page_io_lock serialises
 * the completions of one page's buffers (a leaf).
 */
#ifndef IMGFS_FS_BUFFER_H
#define IMGFS_FS_BUFFER_H

#include "blockdev/blkdev.h"
#include "vm/pagemap.h"

/*
 * Map a file's block iblock: set bh_result's device and block number and
 * BH_Mapped (map_bh), and BH_New if create allocated it.  An unmapped
 * result with create 0 is a hole (reads as zeros).  0 or -errno.
 */
typedef int get_block_t(struct address_space *mapping, unsigned long iblock,
			struct buffer_head *bh_result, int create);

static inline void map_bh(struct buffer_head *bh, struct block_device *bdev,
			  unsigned long block)
{
	bh->b_dev = bdev;
	bh->b_blocknr = block;
	set_buffer_mapped(bh);
}

static inline unsigned int blksize_bits(unsigned int size)
{
	unsigned int bits = 9;

	while ((1U << bits) < size)
		bits++;
	return bits;
}

/* ---- the block-device mapping (fs/block_dev.c) ------------------------ */

#define MAX_BDEV_CACHES	16

/*
 * Give bdev its mapping, with the soft block size (1024, 2048 or 4096) its
 * buffers get by default.  0, -EINVAL, -EEXIST, -ENOSPC (too many).
 */
int bdev_cache_attach(struct block_device *bdev, unsigned int blocksize);
/* Write everything back, wait, drop the cache.  0 or the first -errno;
 * -EBUSY (and nothing dropped) while buffers are still held.  What a
 * failed write-back left dirty is dropped, with a log line. */
int bdev_cache_detach(struct block_device *bdev);

/* The owner of the device's metadata (a mounted file system) hears of
 * every failed write-back of the mapping: err is the host's -errno,
 * lasting says the page had failed before.  Called in the completion's
 * thread with no lock held (see write_error in vm/pagemap.h). */
typedef void (*bdev_write_error_t)(void *arg, int err, int lasting);
void bdev_cache_set_error_hook(struct block_device *bdev, bdev_write_error_t fn, void *arg);
/* The mapping, or NULL if not attached. */
struct address_space *bdev_mapping(struct block_device *bdev);
unsigned int bdev_block_size(struct block_device *bdev);
/* Change the soft block size: sync and drop the cache first.  0, -EINVAL,
 * -EBUSY. */
int set_blocksize(struct block_device *bdev, unsigned int size);
/* fdatasync + fdatawait of the mapping, then the device's flush. */
int sync_blockdev(struct block_device *bdev);

/* ---- the buffer cache (fs/buffer.c) ----------------------------------- */

/* The hash table and the VM's I/O hooks; from the first attach. */
int buffer_init(void);
void buffer_exit(void);

/* The buffer if cached (a reference taken), else NULL. */
struct buffer_head *get_hash_table(struct block_device *bdev, unsigned long block,
				   unsigned int size);
/* The buffer for the block, cached or new (not read).  NULL: no memory,
 * device not attached, or the page holds busy buffers of another size. */
struct buffer_head *getblk(struct block_device *bdev, unsigned long block,
			   unsigned int size);
/* getblk and read it.  NULL on failure (I/O error, as getblk). */
struct buffer_head *bread(struct block_device *bdev, unsigned long block,
			  unsigned int size);
void brelse(struct buffer_head *bh);
/* The block's contents no longer matter (freed on disk): clean, release. */
void bforget(struct buffer_head *bh);

void mark_buffer_dirty(struct buffer_head *bh);
/* Write bh now if dirty and wait.  0 or -errno; on failure bh stays
 * dirty and uptodate, and its page is handled as a failed write-back
 * (page_write_failed: retried later, the mapping's owner told). */
int sync_dirty_buffer(struct buffer_head *bh);

/* Page locked: give it empty buffers of blocksize on bdev (uptodate if the
 * page is).  0 or -ENOMEM. */
int create_empty_buffers(struct page *page, struct block_device *bdev,
			 unsigned int blocksize);
/* Page locked: free its buffers if none is in use, dirty or locked.  1 if
 * freed.  Never sleeps; may be called under pagecache_lock. */
int try_to_free_buffers(struct page *page, unsigned int gfp_mask);

/* A data block was (re)allocated at bdev:block: forget any metadata
 * buffer for it, so a stale write cannot land on the new data. */
void unmap_underlying_metadata(struct block_device *bdev, unsigned long block,
			       unsigned int size);

/* Buffers in the hash (for tests and statistics). */
unsigned long nr_hashed_buffers(void);

/* fs/block_dev.c: the cache attached to bdev (internal to fs/). */
struct bdev_cache;
struct bdev_cache *bdev_cache_find(struct block_device *bdev);
struct address_space *bdev_cache_mapping(struct bdev_cache *bc);
/* fs/buffer.c: give a locked page of the bdev mapping hashed buffers. */
int bdev_page_buffers(struct block_device *bdev, unsigned long nr_blocks,
		      struct page *page, unsigned int size);

/* ---- page I/O over get_block (fs/block_page.c) ------------------------ */

/* a_ops building blocks; the page is locked (see vm/pagemap.h). */
int block_read_full_page(struct page *page, get_block_t *get_block);
int block_write_full_page(struct page *page, get_block_t *get_block, int sync);
int block_prepare_write(struct page *page, unsigned int from, unsigned int to,
			get_block_t *get_block);
int generic_commit_write(struct page *page, unsigned int from, unsigned int to);
/* Drop the buffers of a locked page from offset on; at 0, free them. */
int block_flushpage(struct page *page, unsigned long offset);
/* releasepage for mappings whose pages carry buffers. */
int block_releasepage(struct page *page, unsigned int gfp_mask);
/* Zero the rest of the block holding from (truncate).  0 or -errno. */
int block_truncate_page(struct address_space *mapping, loff_t from,
			get_block_t *get_block);
/* bmap over get_block: the device block, 0 for a hole. */
unsigned long generic_block_bmap(struct address_space *mapping, unsigned long block,
				 get_block_t *get_block);

#endif
