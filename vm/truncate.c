/*
 * vm/truncate.c - taking pages out of a mapping on purpose: truncate and
 * invalidate (2.4 mm/filemap.c truncate_inode_pages, truncate_list_pages,
 * truncate_partial_page, invalidate_inode_pages).
 *
 * truncate_inode_pages(mapping, lstart) removes every page wholly at or
 * beyond lstart, whatever its state: it waits for the page lock and for
 * writeback, throws dirty data away, and has the filesystem drop the
 * page's buffers (a_ops->flushpage).  The page that holds lstart keeps its
 * head; its tail is zeroed and the buffers past lstart are dropped.
 *
 * invalidate_inode_pages(mapping) removes only what can go without
 * waiting and without losing anything: clean, unlocked pages nobody else
 * holds whose buffers (if any) can be released.
 *
 * Locking: pages are gathered under pagecache_lock with a reference and
 * then locked (sleeping) one at a time with no spinlock held.  Invalidate
 * works entirely under pagecache_lock with trylocks; releasepage may then
 * take the buffer layer's locks, which come after pagecache_lock.
 */
#include <string.h>
#include "vm/highmem.h"
#include "vm/pagemap.h"
#include "vm/swap.h"

#define TRUNCATE_BATCH	16

static int page_in_range(struct page *page, unsigned long start)
{
	return page->index >= start;
}

/* Caller holds pagecache_lock: references on up to n pages >= start. */
static int __gather_range(struct address_space *mapping, unsigned long start,
			  struct page **pages, int n)
{
	struct list_head *lists[3] = {
		&mapping->clean_pages, &mapping->dirty_pages, &mapping->locked_pages
	};
	struct list_head *pos;
	int got = 0, l;

	assert_spin_locked(&pagecache_lock);
	for (l = 0; l < 3 && got < n; l++) {
		list_for_each(pos, lists[l]) {
			struct page *page = list_entry(pos, struct page, list);

			if (!page_in_range(page, start))
				continue;
			page_cache_get(page);
			pages[got++] = page;
			if (got == n)
				break;
		}
	}
	return got;
}

/* Page locked, in mapping: drop its buffers from offset on. */
static void flush_page_buffers(struct page *page, unsigned long offset)
{
	const struct address_space_operations *a_ops = page->mapping->a_ops;

	if (!page->buffers || !a_ops->flushpage)
		return;
	if (!a_ops->flushpage(page, offset) && offset == 0)
		vm_log("truncate: page %lu of a mapping kept its buffers",
		       page->index);
}

/* Page locked and referenced by the caller: out of the mapping for good. */
static void truncate_complete_page(struct page *page)
{
	flush_page_buffers(page, 0);
	VM_BUG_ON(page->buffers);
	cancel_dirty_page(page);
	ClearPageUptodate(page);
	ClearPageReferenced(page);
	remove_inode_page(page);
	page_cache_release(page);	/* the cache's reference */
}

static void zero_page_tail(struct page *page, unsigned int from)
{
	char *kaddr = kmap_atomic(page, KM_USER0);

	memset(kaddr + from, 0, PAGE_SIZE - from);
	kunmap_atomic(kaddr, KM_USER0);
}

/* The page holding the new end: zero past it, drop the buffers there. */
static void truncate_partial_page(struct address_space *mapping,
				  unsigned long index, unsigned int partial)
{
	struct page *page = find_lock_page(mapping, index);

	if (!page)
		return;
	wait_on_page_writeback(page);
	zero_page_tail(page, partial);
	flush_page_buffers(page, partial);
	unlock_page(page);
	page_cache_release(page);
}

void truncate_inode_pages(struct address_space *mapping, loff_t lstart)
{
	unsigned long start = (unsigned long)((lstart + PAGE_SIZE - 1) >> PAGE_SHIFT);
	unsigned int partial = (unsigned int)(lstart & (PAGE_SIZE - 1));
	struct page *pages[TRUNCATE_BATCH];
	int n, i;

	for (;;) {
		spin_lock(&pagecache_lock);
		n = __gather_range(mapping, start, pages, TRUNCATE_BATCH);
		spin_unlock(&pagecache_lock);
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			struct page *page = pages[i];

			lock_page(page);
			if (page->mapping == mapping) {
				wait_on_page_writeback(page);
				truncate_complete_page(page);
			}
			unlock_page(page);
			page_cache_release(page);
		}
	}
	if (partial)
		truncate_partial_page(mapping, start - 1, partial);
}

/* Caller holds pagecache_lock and the page lock: can the page go now? */
static int __invalidate_one(struct page *page)
{
	const struct address_space_operations *a_ops = page->mapping->a_ops;

	assert_spin_locked(&pagecache_lock);
	if (PageDirty(page) || PageWriteback(page))
		return 0;
	if (page->buffers && !(a_ops->releasepage && a_ops->releasepage(page, 0)))
		return 0;
	if (page_count(page) != 1)
		return 0;	/* someone else is using it */
	__remove_inode_page(page);
	return 1;
}

unsigned long invalidate_inode_pages(struct address_space *mapping)
{
	struct list_head *pos, *next;
	unsigned long removed = 0;

	spin_lock(&pagecache_lock);
	list_for_each_safe(pos, next, &mapping->clean_pages) {
		struct page *page = list_entry(pos, struct page, list);

		if (TryLockPage(page))
			continue;
		if (!__invalidate_one(page)) {
			unlock_page(page);
			continue;
		}
		lru_cache_del(page);
		unlock_page(page);
		page_cache_release(page);
		removed++;
	}
	spin_unlock(&pagecache_lock);
	return removed;
}
