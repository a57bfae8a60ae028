/*
 * vm/gfp.h - Get Free Page flags and the page allocator's interface
 * (book 6.2-6.4, mm/page_alloc.c).
 *
 * The zone modifiers pick a zonelist: __GFP_DMA means ZONE_DMA only,
 * __GFP_HIGHMEM allows HIGHMEM then NORMAL then DMA, neither means NORMAL
 * then DMA.  The action modifiers say what the allocator may do to find
 * memory: __GFP_WAIT sleep and reclaim, __GFP_IO start I/O, __GFP_HIGHIO
 * start I/O on high pages (which needs bounce buffers), __GFP_FS call into
 * the filesystem, __GFP_HIGH dip into the reserves below pages_min.
 */
#ifndef IMGFS_VM_GFP_H
#define IMGFS_VM_GFP_H

#include "vm/mmzone.h"

#define __GFP_DMA	0x01
#define __GFP_HIGHMEM	0x02
#define __GFP_WAIT	0x10
#define __GFP_HIGH	0x20
#define __GFP_IO	0x40
#define __GFP_HIGHIO	0x80
#define __GFP_FS	0x100
#define __GFP_COLD	0x200	/* 2.6's hint: the page will not be touched soon */
#define __GFP_NOWARN	0x400	/* failure is expected: do not log it */

#define GFP_NOHIGHIO	(__GFP_HIGH | __GFP_WAIT | __GFP_IO)
#define GFP_NOIO	(__GFP_HIGH | __GFP_WAIT)
#define GFP_NOFS	(__GFP_HIGH | __GFP_WAIT | __GFP_IO | __GFP_HIGHIO)
#define GFP_ATOMIC	(__GFP_HIGH)
#define GFP_USER	(__GFP_WAIT | __GFP_IO | __GFP_HIGHIO | __GFP_FS)
#define GFP_HIGHUSER	(__GFP_WAIT | __GFP_IO | __GFP_HIGHIO | __GFP_FS | __GFP_HIGHMEM)
#define GFP_KERNEL	(__GFP_HIGH | __GFP_WAIT | __GFP_IO | __GFP_HIGHIO | __GFP_FS)
#define GFP_KSWAPD	(__GFP_WAIT | __GFP_IO | __GFP_HIGHIO | __GFP_FS)
#define GFP_DMA		__GFP_DMA

struct page;

/*
 * Allocate 2^order contiguous frames from the first zone of zonelist that
 * can give them without going below its watermark.  Returns NULL when none
 * can after what gfp_mask allows (reclaim, the reserves).  Takes zone->lock
 * of the zones it tries; callers may hold fs and page-cache locks only if
 * gfp_mask lacks the matching __GFP_FS/__GFP_IO.
 */
struct page *__alloc_pages(unsigned int gfp_mask, unsigned int order,
			   zonelist_t *zonelist);

/* The zonelist that gfp_mask's zone modifiers choose. */
struct page *alloc_pages(unsigned int gfp_mask, unsigned int order);
#define alloc_page(gfp)	alloc_pages(gfp, 0)

/*
 * The address of 2^order low-memory frames, or NULL.  __GFP_HIGHMEM is
 * refused (BUG): a high page has no permanent address.  Returns a pointer
 * where the kernel returns unsigned long.
 */
void *__get_free_pages(unsigned int gfp_mask, unsigned int order);
#define __get_free_page(gfp)	__get_free_pages(gfp, 0)
void *get_zeroed_page(unsigned int gfp_mask);

/* Drop a reference; the frames return to the allocator at zero. */
void __free_pages(struct page *page, unsigned int order);
#define __free_page(p)	__free_pages(p, 0)
void free_pages(void *addr, unsigned int order);
#define free_page(addr)	free_pages(addr, 0)

/* Per-thread lists: give this thread's, or every thread's, back to the zones. */
void drain_local_pages(void);
void drain_all_pages(void);

unsigned long nr_free_pages(void);
unsigned long nr_free_highpages(void);

/*
 * Reclaim, installed by the page-cache layer.  wakeup_kswapd is called when
 * a zone falls below pages_low; try_to_free_pages is direct reclaim for a
 * caller that may wait, returning the pages it freed.  Either may be NULL.
 */
struct vm_reclaim_ops {
	void (*wakeup_kswapd)(zone_t *classzone);
	int (*try_to_free_pages)(zone_t *classzone, unsigned int gfp_mask,
				 unsigned int order);
};
void vm_set_reclaim_ops(const struct vm_reclaim_ops *ops);

#endif
