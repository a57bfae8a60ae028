/*
 * vm/swap.c - the LRU lists (book 11.1.1 "Page Replacement Policy", 11.5;
 * 2.4 mm/swap.c and the list helpers of include/linux/swap.h).
 *
 * Two lists approximate LRU as 2.4's "LRU 2Q" does: a page enters the
 * inactive list with the page cache; mark_page_accessed() sets
 * PG_referenced on the first touch and moves the page to the active list
 * on the second.  A page read once never pushes the working set out: it
 * stays inactive and is reclaimed from there.  refill_inactive()
 * (vmscan.c) moves pages back down.
 *
 *   lru_cache_add -> inactive --(2nd touch)--> active
 *        ^                                       |
 *        +------(refill_inactive, unreferenced)--+
 *   inactive tail --(shrink_cache)--> freed
 *
 * Interface: vm/swap.h.  Locking: pagemap_lru_lock protects both lists,
 * their counts, PG_lru and PG_active (the bits are atomic, so they may be
 * read without it).  It nests inside pagecache_lock.
 */
#include "vm/pagemap.h"
#include "vm/swap.h"
#include "vm/vmstat.h"

spinlock_t pagemap_lru_lock;
struct list_head active_list, inactive_list;
unsigned long nr_active_pages, nr_inactive_pages;

void lru_init(void)
{
	spin_lock_init(&pagemap_lru_lock);
	INIT_LIST_HEAD(&active_list);
	INIT_LIST_HEAD(&inactive_list);
	nr_active_pages = nr_inactive_pages = 0;
}

void lru_exit(void)
{
	spin_lock_destroy(&pagemap_lru_lock);
}

static void add_count(unsigned long *counter, long n)
{
	WRITE_ONCE(*counter, *counter + (unsigned long)n);
}

/* Caller holds pagemap_lru_lock. */
static void __add_page_to_active_list(struct page *page)
{
	assert_spin_locked(&pagemap_lru_lock);
	list_add(&page->lru, &active_list);
	add_count(&nr_active_pages, 1);
}

/* Caller holds pagemap_lru_lock. */
static void __add_page_to_inactive_list(struct page *page)
{
	assert_spin_locked(&pagemap_lru_lock);
	list_add(&page->lru, &inactive_list);
	add_count(&nr_inactive_pages, 1);
}

void lru_cache_add(struct page *page)
{
	spin_lock(&pagemap_lru_lock);
	if (TestSetPageLRU(page))
		BUG();
	__add_page_to_inactive_list(page);
	spin_unlock(&pagemap_lru_lock);
}

void __lru_cache_del(struct page *page)
{
	assert_spin_locked(&pagemap_lru_lock);
	if (!TestClearPageLRU(page))
		return;
	list_del(&page->lru);
	if (TestClearPageActive(page))
		add_count(&nr_active_pages, -1);
	else
		add_count(&nr_inactive_pages, -1);
}

void lru_cache_del(struct page *page)
{
	spin_lock(&pagemap_lru_lock);
	__lru_cache_del(page);
	spin_unlock(&pagemap_lru_lock);
}

void activate_page(struct page *page)
{
	spin_lock(&pagemap_lru_lock);
	if (PageLRU(page) && !PageActive(page)) {
		list_del(&page->lru);
		add_count(&nr_inactive_pages, -1);
		SetPageActive(page);
		__add_page_to_active_list(page);
		count_vm_event(PGACTIVATE);
	}
	spin_unlock(&pagemap_lru_lock);
}

void __deactivate_page(struct page *page)
{
	assert_spin_locked(&pagemap_lru_lock);
	if (!PageLRU(page) || !PageActive(page))
		return;
	list_del(&page->lru);
	add_count(&nr_active_pages, -1);
	ClearPageActive(page);
	__add_page_to_inactive_list(page);
	count_vm_event(PGDEACTIVATE);
}

void deactivate_page(struct page *page)
{
	spin_lock(&pagemap_lru_lock);
	__deactivate_page(page);
	spin_unlock(&pagemap_lru_lock);
}

/*
 * The book's rule: an inactive page referenced once more becomes active;
 * any other touch only sets PG_referenced, which refill_inactive and
 * shrink_cache read as "used since you last looked".
 */
void mark_page_accessed(struct page *page)
{
	if (!PageActive(page) && PageReferenced(page)) {
		activate_page(page);
		ClearPageReferenced(page);
	} else {
		SetPageReferenced(page);
	}
}

void rotate_reclaimable_page(struct page *page)
{
	spin_lock(&pagemap_lru_lock);
	if (PageLRU(page) && !PageActive(page))
		list_move_tail(&page->lru, &inactive_list);
	spin_unlock(&pagemap_lru_lock);
}
