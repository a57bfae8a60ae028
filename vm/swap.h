/*
 * vm/swap.h - the page replacement lists and reclaim (book 11.1, 11.4-11.6;
 * 2.4 include/linux/swap.h, mm/swap.c, mm/vmscan.c).
 *
 * Page-cache pages sit on one of two LRU lists: active_list (the working
 * set) and inactive_list (candidates for reclaim).  A page enters the
 * inactive list when it enters the page cache; the second touch
 * (mark_page_accessed) promotes it; refill_inactive() demotes active pages
 * that were not referenced since the last pass.  shrink_cache() frees
 * clean pages from the tail of the inactive list and starts writeback on
 * dirty ones.
 *
 * Locking: pagemap_lru_lock protects both lists, PG_lru, PG_active and
 * the counters.  It nests inside pagecache_lock (vm/locking.h).  Every page
 * on a list is in the page cache, which holds a reference to it: the page
 * leaves the LRU (lru_cache_del) before that reference is dropped.
 */
#ifndef IMGFS_VM_SWAP_H
#define IMGFS_VM_SWAP_H

#include "vm/mm.h"

#define SWAP_CLUSTER_MAX	32	/* pages reclaimed per pass */
#define DEF_PRIORITY		6	/* scan 1/6 of the list first, all last */

extern spinlock_t pagemap_lru_lock;

/* ---- vm/swap.c: the lists -------------------------------------------- */

void lru_init(void);
void lru_exit(void);

void lru_cache_add(struct page *page);
void lru_cache_del(struct page *page);
/* Caller holds pagemap_lru_lock. */
void __lru_cache_del(struct page *page);

/* Referenced once: mark; twice: activate (book 11.1.1). */
void mark_page_accessed(struct page *page);
void activate_page(struct page *page);
void deactivate_page(struct page *page);
/* Caller holds pagemap_lru_lock. */
void __deactivate_page(struct page *page);
/* A page whose writeback finished goes to the tail, to be freed next. */
void rotate_reclaimable_page(struct page *page);

/* The lists themselves, for vmscan.c; pagemap_lru_lock.  The counts may
 * be read without it (READ_ONCE). */
extern struct list_head active_list, inactive_list;
extern unsigned long nr_active_pages, nr_inactive_pages;

/* ---- vm/vmscan.c: reclaim -------------------------------------------- */

/*
 * Move up to nr_pages unreferenced pages from the tail of the active list
 * to the inactive list; referenced ones go round again.
 */
void refill_inactive(int nr_pages);

/* Free up to nr_pages from the inactive list; returns what is left to do. */
int shrink_cache(int nr_pages, zone_t *classzone, unsigned int gfp_mask,
		 int priority);

/* Slab reap, refill, shrink, the shrinkers; returns what is left to do. */
int shrink_caches(zone_t *classzone, int priority, unsigned int gfp_mask,
		  int nr_pages);

/* Direct reclaim (installed in vm_set_reclaim_ops).  Returns pages freed. */
int try_to_free_pages(zone_t *classzone, unsigned int gfp_mask, unsigned int order);

/*
 * Caches outside the page cache that can give memory back (the inode
 * cache): called with __GFP_FS only.  fn returns objects freed.  At most
 * 4; 0 or -ENOSPC.
 */
typedef int (*shrinker_fn)(int priority, unsigned int gfp_mask);
int register_shrinker(shrinker_fn fn);
void unregister_shrinker(shrinker_fn fn);

/* kswapd: woken below pages_low, works until pages_high (book 11.1). */
int kswapd_start(void);
void kswapd_stop(void);
void wakeup_kswapd(zone_t *classzone);
/* One balancing pass over the zones that need it, as kswapd does. */
void kswapd_balance(void);

/* Install / remove try_to_free_pages and wakeup_kswapd in the allocator. */
void reclaim_init(void);
void reclaim_exit(void);

#endif
