/*
 * vm/bounce.h - bounce buffers and the emergency pools (book 10.4, 10.5;
 * 2.4 mm/highmem.c).
 *
 * A device addresses only the frames below its reach (blockdev/: the
 * dma_reach option).  A buffer on a frame at or above that limit is
 * replaced, on its way down, by a copy on a low page: create_bounce()
 * allocates the page and a buffer head, copies the data down for a write
 * and arranges for bounce_end_io_read() to copy it up after a read.  When
 * the allocators fail, each resource comes from an emergency pool of
 * POOL_SIZE entries kept from boot; when the pool is empty too, the caller
 * sleeps until a completing bounce refills it.  A bounce never fails.
 *
 * Interface:
 *   vm_init:  buffer_head_init(); init_emergency_pool();
 *   vm_exit:  exit_emergency_pool(); buffer_head_exit();
 *   request path:  bh = create_bounce(rw, bh_orig, bounce_pfn);
 *                  submit bh; its b_end_io finishes bh_orig and recycles
 *                  the bounce page and buffer head.
 *   hooks:    bounce_set_wakeup_flusher() (the page-cache layer's flusher,
 *             the book's bdflush), bounce_set_run_disk() (the device
 *             layer's "run tq_disk": issue this thread's plugged requests
 *             before sleeping on a pool).
 *
 * Locking: emergency_lock guards both pools and their counts.  It is the
 * innermost lock but for zone->lock (vm/locking.h), so nothing that takes
 * slab locks runs under it: freeing back to the allocators happens after
 * it is dropped.  create_bounce() may sleep (waiting on a pool): call it
 * with no spinlock held.  The completion side never sleeps.
 */
#ifndef IMGFS_VM_BOUNCE_H
#define IMGFS_VM_BOUNCE_H

#include "vm/buffer_head.h"

struct seq_buf;

#define POOL_SIZE	32

/* Fill the pools from ZONE_DMA, which every reach covers (vm_init). */
void init_emergency_pool(void);
/* Give the pools back (vm_exit).  Every bounce must have completed. */
void exit_emergency_pool(void);

/*
 * A copy of bh_orig on a page below bounce_pfn, or bh_orig itself when its
 * page is already below it.  rw is READ/READA or WRITE; a write's data is
 * copied down now.  The copy covers the same sectors, has BH_Lock and
 * BH_Bounce set, b_private = bh_orig, and a b_end_io that completes
 * bh_orig (with b_error carried over).  bounce_pfn is the device's reach:
 * at most the end of ZONE_DMA means the page must come from ZONE_DMA.
 * May sleep; never fails.  (2.4.21's blk_queue_bounce passed the queue's
 * limit the same way.)
 */
struct buffer_head *create_bounce(int rw, struct buffer_head *bh_orig,
				  unsigned long bounce_pfn);

/* The book's helpers, exported for the tests and the device layer. */
struct page *alloc_bounce_page(unsigned int gfp_mask);
struct buffer_head *alloc_bounce_bh(void);
void copy_from_high_bh(struct buffer_head *to, struct buffer_head *from);
void bounce_end_io_read(struct buffer_head *bh, int uptodate);
void bounce_end_io_write(struct buffer_head *bh, int uptodate);

/* Hooks; NULL uninstalls.  Called with no VM lock held, on the I/O
 * submission path: fn must not sleep (wake a thread and return). */
void bounce_set_wakeup_flusher(void (*fn)(void));
void bounce_set_run_disk(void (*fn)(void));

struct bounce_pool_stats {
	int nr_emergency_pages;		/* pages in the pool now */
	int nr_emergency_bhs;		/* buffer heads in the pool now */
	long nr_bounce_pages;		/* bounce pages in use (meminfo Bounce) */
};
void bounce_get_pool_stats(struct bounce_pool_stats *st);

/* "nr_emergency_pages N\nnr_emergency_bhs N\n", for /proc/vmstat. */
void bounce_render(struct seq_buf *s);

#endif
