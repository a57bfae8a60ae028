/*
 * vm/buffer_head.h - the unit of block I/O (2.4 include/linux/fs.h).
 *
 * It lives with its lowest user: the buffer-head slab cache
 * (vm/buffer_head.c) and the bounce path (vm/bounce.c, 2.4's
 * mm/highmem.c) are in vm/, so the device layer and the buffer cache
 * above it include it from here and no vm/ file includes a header of a
 * layer above its own.
 *
 * A buffer_head describes one block of a device held in part of a page.
 * The device layer (blockdev/) reads and writes them; the buffer cache
 * (fs/buffer.c) finds, dirties and releases them; the bounce path
 * (vm/bounce.c) stands in a low copy for one on a page beyond the
 * device's reach.  Completion comes back up through b_end_io.
 *
 * b_data is page_address(b_page) + offset for a low page and just the
 * offset for a high page, as in 2.4 (set_bh_page); bh_offset() works for
 * both.
 *
 * Which lock protects which field:
 *   b_next, b_pprev (hash chain)      the buffer cache's hash lock
 *   b_state                           atomic bit operations; BH_Lock is
 *                                     the buffer lock (a sleeping lock)
 *   b_count                           atomic
 *   b_this_page                       the page lock of b_page
 *   b_reqnext, b_rsector              the device's request queue while queued
 *   everything else                   the holder of BH_Lock
 */
#ifndef IMGFS_VM_BUFFER_HEAD_H
#define IMGFS_VM_BUFFER_HEAD_H

#include "vm/mm.h"

struct block_device;

/* b_state bits (2.4 numbering; BH_Error added for the errno below). */
enum bh_state_bits {
	BH_Uptodate,	/* contains valid data */
	BH_Dirty,	/* must be written */
	BH_Lock,	/* locked: I/O in flight or owner working on it */
	BH_Req,		/* has been submitted for I/O */
	BH_Mapped,	/* b_blocknr is valid */
	BH_New,		/* just allocated on disk by get_block */
	BH_Async,	/* page-level completion (end_buffer_io_async) */
	BH_Wait_IO,	/* written back under memory pressure */
	BH_Launder,
	BH_Attached,
	BH_Error,	/* the last I/O failed; b_error says why */
	BH_Bounce,	/* this bh is a bounce copy; b_private is the original */
	BH_PrivateStart,
};

typedef void (*bh_end_io_t)(struct buffer_head *bh, int uptodate);

struct buffer_head {
	struct buffer_head *b_next;	/* hash chain */
	unsigned long b_blocknr;	/* block number, in b_size units */
	unsigned int b_size;		/* bytes: 1024, 2048 or 4096 */
	unsigned int b_list;		/* BUF_CLEAN, BUF_DIRTY, BUF_LOCKED */
	struct block_device *b_dev;
	atomic_t b_count;		/* users */
	unsigned long b_state;
	unsigned long b_flushtime;	/* when a dirty buffer should go out */
	struct buffer_head *b_next_free, *b_prev_free;	/* lru lists */
	struct buffer_head *b_this_page;	/* ring of a page's buffers */
	struct buffer_head *b_reqnext;	/* request queue / merge chain */
	struct buffer_head **b_pprev;	/* hash chain */
	char *b_data;			/* see the header comment */
	struct page *b_page;
	bh_end_io_t b_end_io;		/* called once per I/O, any thread */
	void *b_private;		/* for b_end_io */
	unsigned long b_rsector;	/* 512-byte sector on the device */
	int b_error;			/* -errno of a failed I/O, else 0 */
	struct list_head b_inode_buffers;
};

#define READ	0
#define WRITE	1
#define READA	2	/* read-ahead: may be dropped under pressure */

#define BH_FLAG_OPS(name, bit) \
static inline int buffer_##name(const struct buffer_head *bh) { return test_bit(bit, &bh->b_state); } \
static inline void set_buffer_##name(struct buffer_head *bh) { set_bit(bit, &bh->b_state); } \
static inline void clear_buffer_##name(struct buffer_head *bh) { clear_bit(bit, &bh->b_state); } \
static inline int test_set_buffer_##name(struct buffer_head *bh) { return test_and_set_bit(bit, &bh->b_state); } \
static inline int test_clear_buffer_##name(struct buffer_head *bh) { return test_and_clear_bit(bit, &bh->b_state); }

BH_FLAG_OPS(uptodate, BH_Uptodate)
BH_FLAG_OPS(dirty, BH_Dirty)
BH_FLAG_OPS(locked, BH_Lock)
BH_FLAG_OPS(req, BH_Req)
BH_FLAG_OPS(mapped, BH_Mapped)
BH_FLAG_OPS(new, BH_New)
BH_FLAG_OPS(async, BH_Async)
BH_FLAG_OPS(error, BH_Error)
BH_FLAG_OPS(bounce, BH_Bounce)

static inline unsigned long bh_offset(const struct buffer_head *bh)
{
	return (unsigned long)bh->b_data & ~PAGE_MASK;
}

static inline void get_bh(struct buffer_head *bh)
{
	atomic_inc(&bh->b_count);
}

static inline void put_bh(struct buffer_head *bh)
{
	VM_BUG_ON(atomic_dec_return(&bh->b_count) < 0);
}

/* Point bh at offset of page, as 2.4's set_bh_page. */
static inline void set_bh_page(struct buffer_head *bh, struct page *page,
			       unsigned long offset)
{
	VM_BUG_ON(offset >= PAGE_SIZE);
	bh->b_page = page;
	if (PageHighMem(page))
		bh->b_data = (char *)offset;
	else
		bh->b_data = (char *)page_address(page) + offset;
}

/*
 * The buffer_head slab cache (2.4's bh_cachep).  It lives in vm/ because
 * the bounce path allocates buffer heads below the buffer cache.
 * alloc_buffer_head returns a zeroed bh with b_count 0, or NULL.
 */
void buffer_head_init(void);
void buffer_head_exit(void);
struct buffer_head *alloc_buffer_head(unsigned int gfp_mask);
void free_buffer_head(struct buffer_head *bh);

#endif
