/*
 * vm/highmem.h - reaching high memory (book 10.1-10.3).
 *
 * A high page has no permanent address.  kmap() gives it one in the PKMap
 * window (LAST_PKMAP slots, counted by pkmap_count[], under kmap_lock) and
 * may sleep until a slot is free; kunmap() drops the count.  Slots whose
 * count has fallen to 1 are unmapped in bulk by flush_all_zero_pkmaps()
 * when the allocator wraps around the window.  kmap_atomic() never sleeps:
 * it maps into a slot of the calling thread's own window, indexed by
 * km_type, and must be undone with kunmap_atomic() on the same thread
 * before that slot type is used again.
 *
 * Low pages need none of this: kmap() and kmap_atomic() return
 * page_address() for them.
 *
 * In KMAP_DIRECT mode high frames are permanently mapped too; kmap() then
 * returns the direct-map address without taking a slot or kmap_lock, and
 * keeps only the counters (see vm/arena.h for why both modes exist).
 * "The same calls and bookkeeping" means the same API, the same counters
 * (nr_kmap, nr_kmap_atomic) and the same per-thread km_type checks of
 * kmap_atomic(), but no PKMap slot: no global lock on the hot path, for
 * speed.  nr_pkmap_in_use, nr_pkmap_flushes and nr_kmap_waits stay 0.
 *
 * kmap() may sleep: never call it with VM spinlocks held (vm/locking.h).
 * kmap_atomic() takes no lock and never sleeps.  In strict mode
 * kunmap_atomic() unmaps the slot, so a stale pointer faults; mapping a
 * type that is still in use on the thread, or unmapping the wrong
 * address or type, is a BUG.
 */
#ifndef IMGFS_VM_HIGHMEM_H
#define IMGFS_VM_HIGHMEM_H

#include "vm/mm.h"

#define LAST_PKMAP	1024

enum km_type {
	KM_BOUNCE_READ,		/* bounce_end_io_read copies up */
	KM_BOUNCE_WRITE,	/* copy_from_high_bh copies down */
	KM_USER0,
	KM_USER1,
	KM_BH_IRQ,		/* buffer completion callbacks */
	KM_TYPE_NR
};

/* Set up the PKMap window.  Called by vm_init(); 0 or -errno. */
int kmap_init(void);
void kmap_exit(void);

/* May sleep waiting for a slot.  Never returns NULL. */
void *kmap(struct page *page);
void kunmap(struct page *page);

/* Never sleeps.  One mapping per (thread, type) at a time. */
void *kmap_atomic(struct page *page, enum km_type type);
void kunmap_atomic(void *kvaddr, enum km_type type);

/* The page behind a kmap()/kmap_atomic()/direct-map address. */
struct page *kmap_to_page(void *kvaddr);

/* Unmap every slot whose count is 1 (held by nobody).  Takes kmap_lock. */
void kmap_flush_unused(void);

struct kmap_stats {
	unsigned long nr_kmap;		/* kmap() calls on high pages */
	unsigned long nr_kmap_atomic;	/* kmap_atomic() calls on high pages */
	unsigned long nr_kmap_waits;	/* kmap() that slept for a slot */
	unsigned long nr_pkmap_flushes;	/* flush_all_zero_pkmaps() runs */
	unsigned long nr_pkmap_in_use;	/* slots with count > 1 now */
};
void kmap_get_stats(struct kmap_stats *st);

/* Copy helpers that map what they must. */
void clear_highpage(struct page *page);
void copy_highpage(struct page *to, struct page *from);
void memcpy_to_page(struct page *page, unsigned int offset, const void *src, unsigned int len);
void memcpy_from_page(void *dst, struct page *page, unsigned int offset, unsigned int len);

#endif
