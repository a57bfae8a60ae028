/*
 * vm/vmscan.c - page frame reclamation (book 11.1, 11.4-11.6; 2.4
 * mm/vmscan.c): refill_inactive, shrink_cache, shrink_caches,
 * try_to_free_pages and the kswapd thread.
 *
 * Direct reclaim: __alloc_pages calls try_to_free_pages (through
 * vm_set_reclaim_ops) with PF_MEMALLOC set when a caller that may wait
 * finds every zone at pages_min.  kswapd: the allocator wakes it when a
 * zone falls below pages_low; it frees until each zone that asked is
 * above pages_high (kswapd_balance), then sleeps.
 *
 * One pass, shrink_caches(): reap the slab caches; move active pages to
 * the inactive list so the active list stays about 2/3 of the cache
 * (ratio = nr_pages * nr_active / (2 * (nr_inactive + 1))); scan the
 * inactive list from its tail (shrink_cache): referenced pages go round
 * again, dirty pages get an asynchronous writepage, pages under writeback
 * are passed over, buffers are released, clean unused pages are freed;
 * if that was not enough, the registered shrinkers (the inode cache).
 * Each priority from DEF_PRIORITY down to 1 scans a larger share.
 *
 * The gfp mask bounds what reclaim may do for its caller: without
 * __GFP_IO it starts no I/O and waits for none; without __GFP_FS it calls
 * no filesystem (no writepage except on AS_BDEV mappings, whose writepage
 * only locks buffers with trylock, and no shrinkers); without
 * __GFP_HIGHIO it writes no high page.
 *
 * If nothing could be freed while writes are in flight, a caller that may
 * do I/O waits briefly for them (throttling, as 2.4's wait on laundered
 * pages) and tries once more; then it gives up and the allocation fails.
 *
 * Locking: pagemap_lru_lock while walking a list; it is dropped around
 * each page, which is held by a reference and the page lock (trylock, so
 * reclaim never sleeps on a page).  kswapd_lock is a leaf.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include "vm/pagemap.h"
#include "vm/slab.h"
#include "vm/swap.h"
#include "vm/vmstat.h"
#include "vm/writeback.h"

#define MAX_SHRINKERS		4
#define KSWAPD_PERIOD_MS	1000	/* look at need_balance this often */
#define THROTTLE_MS		100	/* direct reclaim waiting on writeback */

static shrinker_fn shrinkers[MAX_SHRINKERS];	/* atomic pointers */

/* ---- shrinkers -------------------------------------------------------- */

int register_shrinker(shrinker_fn fn)
{
	int i;

	for (i = 0; i < MAX_SHRINKERS; i++) {
		shrinker_fn none = NULL;

		if (__atomic_compare_exchange_n(&shrinkers[i], &none, fn, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return 0;
	}
	return -ENOSPC;
}

void unregister_shrinker(shrinker_fn fn)
{
	int i;

	for (i = 0; i < MAX_SHRINKERS; i++) {
		shrinker_fn f = fn;

		__atomic_compare_exchange_n(&shrinkers[i], &f, NULL, 0,
					    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	}
}

static void run_shrinkers(int priority, unsigned int gfp_mask)
{
	int i;

	for (i = 0; i < MAX_SHRINKERS; i++) {
		shrinker_fn fn = __atomic_load_n(&shrinkers[i], __ATOMIC_ACQUIRE);

		if (fn)
			fn(priority, gfp_mask);
	}
}

/* ---- the active list (11.5) ------------------------------------------- */

void refill_inactive(int nr_pages)
{
	struct list_head *entry;

	spin_lock(&pagemap_lru_lock);
	entry = active_list.prev;
	while (nr_pages > 0 && entry != &active_list) {
		struct page *page = list_entry(entry, struct page, lru);

		entry = entry->prev;
		if (TestClearPageReferenced(page)) {
			list_move(&page->lru, &active_list);
			continue;
		}
		nr_pages--;
		__deactivate_page(page);
		SetPageReferenced(page);
	}
	spin_unlock(&pagemap_lru_lock);
}

/* ---- the inactive list (11.6) ----------------------------------------- */

/*
 * Is page in classzone or a zone below it (2.4's memclass)?  Decided by
 * frame number - the zones are consecutive - rather than by the zone bits
 * of page->flags, a word other threads are changing under us.
 */
static int memclass(const struct page *page, const zone_t *classzone)
{
	return page_to_pfn(page) < classzone->zone_start_mapnr + classzone->size;
}

/* May reclaim start a write of page for a caller with gfp_mask? */
static int may_write_page(const struct page *page, const struct address_space *mapping,
			  unsigned int gfp_mask)
{
	if (!(gfp_mask & __GFP_IO) || !mapping->a_ops->writepage)
		return 0;
	if (PageHighMem(page) && !(gfp_mask & __GFP_HIGHIO))
		return 0;
	return (gfp_mask & __GFP_FS) || (mapping->flags & AS_BDEV);
}

/* Page locked and dirty: start its write.  The page comes back unlocked. */
static void pageout(struct page *page, struct address_space *mapping)
{
	if (!clear_page_dirty_for_io(page)) {
		unlock_page(page);
		return;
	}
	SetPageLaunder(page);	/* rotate to the tail when the write ends */
	mapping->a_ops->writepage(page, WB_SYNC_NONE);
}

/*
 * Page locked, and referenced by the caller besides the cache.  Free it if
 * it is clean and unused; start writeback if it is dirty.  Returns 1 if
 * the page left the cache; the page is unlocked either way.
 */
static int shrink_page(struct page *page, unsigned int gfp_mask, int *wrote)
{
	struct address_space *mapping = page->mapping;

	if (!mapping || PageWriteback(page))
		goto keep;
	if (PageDirty(page)) {
		if (!may_write_page(page, mapping, gfp_mask))
			goto keep;
		pageout(page, mapping);
		(*wrote)++;
		return 0;
	}
	if (page->buffers && !(mapping->a_ops->releasepage &&
			       mapping->a_ops->releasepage(page, gfp_mask)))
		goto keep;

	spin_lock(&pagecache_lock);
	/* The non-racy check: only the cache and we hold it. */
	if (page->mapping != mapping || page_count(page) != 2 || page->buffers ||
	    PageDirty(page) || PageWriteback(page)) {
		spin_unlock(&pagecache_lock);
		goto keep;
	}
	__remove_inode_page(page);
	spin_unlock(&pagecache_lock);
	lru_cache_del(page);
	unlock_page(page);
	page_cache_release(page);	/* the cache's reference */
	return 1;
keep:
	unlock_page(page);
	return 0;
}

static int shrink_cache_wrote(int nr_pages, zone_t *classzone, unsigned int gfp_mask,
			      int priority, int *wrote)
{
	long max_scan = (long)(READ_ONCE(nr_inactive_pages) / (unsigned long)priority);
	struct list_head *entry;

	spin_lock(&pagemap_lru_lock);
	while (max_scan-- > 0 && (entry = inactive_list.prev) != &inactive_list) {
		struct page *page = list_entry(entry, struct page, lru);
		int freed;

		VM_BUG_ON(!PageLRU(page) || PageActive(page));
		list_move(entry, &inactive_list);
		count_vm_event(PGSCAN);
		if (!memclass(page, classzone))
			continue;
		if (TestClearPageReferenced(page) || PageWriteback(page))
			continue;
		if (TryLockPage(page))
			continue;
		page_cache_get(page);	/* on the LRU: the cache holds it too */
		spin_unlock(&pagemap_lru_lock);

		freed = shrink_page(page, gfp_mask, wrote);
		page_cache_release(page);
		if (freed) {
			count_vm_event(PGSTEAL);
			if (--nr_pages <= 0)
				return 0;
		}
		spin_lock(&pagemap_lru_lock);
	}
	spin_unlock(&pagemap_lru_lock);
	return nr_pages;
}

int shrink_cache(int nr_pages, zone_t *classzone, unsigned int gfp_mask, int priority)
{
	int wrote = 0;

	return shrink_cache_wrote(nr_pages, classzone, gfp_mask, priority, &wrote);
}

/* ---- one pass over everything (11.4) ---------------------------------- */

static int shrink_caches_wrote(zone_t *classzone, int priority, unsigned int gfp_mask,
			       int nr_pages, int *wrote)
{
	unsigned long ratio;

	if (nr_pages - kmem_cache_reap(gfp_mask) <= 0)
		return 0;
	/* Keep the active list about 2/3 of the cache. */
	ratio = (unsigned long)nr_pages * READ_ONCE(nr_active_pages) /
		((READ_ONCE(nr_inactive_pages) + 1) * 2);
	refill_inactive(ratio > (unsigned long)INT_MAX ? INT_MAX : (int)ratio);
	nr_pages = shrink_cache_wrote(nr_pages, classzone, gfp_mask, priority, wrote);
	if (nr_pages <= 0)
		return 0;
	if (gfp_mask & __GFP_FS)
		run_shrinkers(priority, gfp_mask);
	return nr_pages;
}

int shrink_caches(zone_t *classzone, int priority, unsigned int gfp_mask, int nr_pages)
{
	int wrote = 0;

	return shrink_caches_wrote(classzone, priority, gfp_mask, nr_pages, &wrote);
}

/* All priorities once.  Returns pages freed. */
static int try_to_free_pages_zone(zone_t *classzone, unsigned int gfp_mask)
{
	int nr_pages = SWAP_CLUSTER_MAX, priority, wrote = 0;

	for (priority = DEF_PRIORITY; priority > 0; priority--) {
		nr_pages = shrink_caches_wrote(classzone, priority, gfp_mask, nr_pages, &wrote);
		if (nr_pages <= 0)
			break;
	}
	if (wrote)
		wakeup_flusher();
	return SWAP_CLUSTER_MAX - (nr_pages > 0 ? nr_pages : 0);
}

int try_to_free_pages(zone_t *classzone, unsigned int gfp_mask, unsigned int order)
{
	int freed;

	(void)order;	/* reclaim frees single frames; the buddy merges them */
	freed = try_to_free_pages_zone(classzone, gfp_mask);
	if (!freed && (gfp_mask & __GFP_IO) && nr_writeback_pages() > 0) {
		wait_for_writeback(THROTTLE_MS);
		freed = try_to_free_pages_zone(classzone, gfp_mask);
	}
	return freed;
}

/* ---- kswapd (11.1) ---------------------------------------------------- */

/* Never destroyed, so a late wakeup_kswapd cannot race kswapd_stop. */
static spinlock_t kswapd_lock = { PTHREAD_MUTEX_INITIALIZER, 0 };
static wait_queue_head_t kswapd_wait = { PTHREAD_COND_INITIALIZER };
static pthread_t kswapd_thread;
static int kswapd_running;	/* atomic: the thread exists */
static int kswapd_stopping;	/* atomic */
static int kswapd_pending;	/* atomic: a wakeup since it last looked */

/* Done when any zone of the class is above pages_high (2.4's check). */
static int check_classzone_need_balance(const zone_t *classzone)
{
	const zone_t *z = classzone->zone_pgdat->node_zones;

	for (; z <= classzone; z++)
		if (z->size && zone_free_pages(z) > z->pages_high)
			return 0;
	return 1;
}

/* 1 if the zone still needs work. */
static int kswapd_balance_zone(zone_t *zone)
{
	int freed;

	count_vm_event(PAGEOUTRUN);
	freed = try_to_free_pages_zone(zone, GFP_KSWAPD);
	drain_local_pages();	/* make what we freed visible in free_pages */
	if (!check_classzone_need_balance(zone)) {
		WRITE_ONCE(zone->need_balance, 0);
		return 0;
	}
	if (freed)
		return 1;
	if (nr_writeback_pages() > 0) {
		wait_for_writeback(THROTTLE_MS);
		return 1;
	}
	WRITE_ONCE(zone->need_balance, 0);	/* nothing to free: wait for news */
	return 0;
}

void kswapd_balance(void)
{
	int need_more;
	zone_t *z;

	do {
		need_more = 0;
		for_each_zone(z)
			if (READ_ONCE(z->need_balance))
				need_more |= kswapd_balance_zone(z);
	} while (need_more && !__atomic_load_n(&kswapd_stopping, __ATOMIC_ACQUIRE));
}

static int any_zone_needs_balance(void)
{
	zone_t *z;

	for_each_zone(z)
		if (READ_ONCE(z->need_balance))
			return 1;
	return 0;
}

static void *kswapd(void *arg)
{
	(void)arg;
	current->flags |= PF_MEMALLOC | PF_KSWAPD;
	spin_lock(&kswapd_lock);
	while (!__atomic_load_n(&kswapd_stopping, __ATOMIC_ACQUIRE)) {
		if (!__atomic_exchange_n(&kswapd_pending, 0, __ATOMIC_SEQ_CST) &&
		    !any_zone_needs_balance()) {
			wait_event_locked_timeout(&kswapd_wait, &kswapd_lock, KSWAPD_PERIOD_MS);
			continue;
		}
		spin_unlock(&kswapd_lock);
		kswapd_balance();
		spin_lock(&kswapd_lock);
	}
	spin_unlock(&kswapd_lock);
	return NULL;
}

void wakeup_kswapd(zone_t *classzone)
{
	(void)classzone;	/* the allocator has set its need_balance */
	if (!__atomic_load_n(&kswapd_running, __ATOMIC_ACQUIRE))
		return;
	if (__atomic_exchange_n(&kswapd_pending, 1, __ATOMIC_SEQ_CST))
		return;
	count_vm_event(KSWAPD_WAKEUP);
	spin_lock(&kswapd_lock);
	wake_up_all(&kswapd_wait);
	spin_unlock(&kswapd_lock);
}

int kswapd_start(void)
{
	int err;

	if (__atomic_load_n(&kswapd_running, __ATOMIC_ACQUIRE))
		return 0;
	__atomic_store_n(&kswapd_stopping, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&kswapd_pending, 0, __ATOMIC_RELEASE);
	err = pthread_create(&kswapd_thread, NULL, kswapd, NULL);
	if (err)
		return -err;
	__atomic_store_n(&kswapd_running, 1, __ATOMIC_RELEASE);
	return 0;
}

void kswapd_stop(void)
{
	if (!__atomic_load_n(&kswapd_running, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&kswapd_running, 0, __ATOMIC_RELEASE);
	spin_lock(&kswapd_lock);
	__atomic_store_n(&kswapd_stopping, 1, __ATOMIC_RELEASE);
	wake_up_all(&kswapd_wait);
	spin_unlock(&kswapd_lock);
	pthread_join(kswapd_thread, NULL);
}

/* ---- installation ----------------------------------------------------- */

static const struct vm_reclaim_ops reclaim_ops = {
	.wakeup_kswapd = wakeup_kswapd,
	.try_to_free_pages = try_to_free_pages,
};

void reclaim_init(void)
{
	vm_set_reclaim_ops(&reclaim_ops);
}

void reclaim_exit(void)
{
	vm_set_reclaim_ops(NULL);
}
