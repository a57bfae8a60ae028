/*
 * tests/vm/pagecache_test.c - the store-backed mapping and the probes of
 * pagecache_test.h.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tests/vm/pagecache_test.h"
#include "vm/highmem.h"

static struct store_mapping *store_of(struct page *page)
{
	return container_of(page->mapping, struct store_mapping, mapping);
}

static int store_readpage(struct page *page)
{
	struct store_mapping *sm = store_of(page);

	ck_assert_uint_lt(page->index, sm->pages);
	memcpy_to_page(page, 0, sm->data + page->index * PAGE_SIZE, PAGE_SIZE);
	SetPageUptodate(page);
	__atomic_add_fetch(&sm->reads, 1, __ATOMIC_RELAXED);
	unlock_page(page);
	return 0;
}

static int store_writepage(struct page *page, int sync)
{
	struct store_mapping *sm = store_of(page);
	int defer = __atomic_load_n(&sm->defer_writeback, __ATOMIC_RELAXED);

	(void)sync;
	ck_assert_uint_lt(page->index, sm->pages);
	set_page_writeback(page);
	memcpy_from_page(sm->data + page->index * PAGE_SIZE, page, 0, PAGE_SIZE);
	__atomic_add_fetch(&sm->writes, 1, __ATOMIC_RELAXED);
	unlock_page(page);
	if (defer) {
		ck_assert_int_lt(sm->ndeferred, STORE_MAX_DEFERRED);
		sm->deferred[sm->ndeferred++] = page;
		return 0;
	}
	end_page_writeback_error(page, sm->fail_writes ? -EIO : 0);
	return 0;
}

static int store_prepare_write(struct page *page, unsigned int from, unsigned int to)
{
	struct store_mapping *sm = store_of(page);

	if (!PageUptodate(page) && (from || to < PAGE_SIZE)) {
		memcpy_to_page(page, 0, sm->data + page->index * PAGE_SIZE, PAGE_SIZE);
		__atomic_add_fetch(&sm->reads, 1, __ATOMIC_RELAXED);
		SetPageUptodate(page);
	}
	return 0;
}

static int store_commit_write(struct page *page, unsigned int from, unsigned int to)
{
	(void)from;
	(void)to;
	SetPageUptodate(page);
	set_page_dirty(page);
	return 0;
}

static const struct address_space_operations store_aops = {
	.readpage = store_readpage,
	.writepage = store_writepage,
	.prepare_write = store_prepare_write,
	.commit_write = store_commit_write,
};

void store_init(struct store_mapping *sm, unsigned long pages, unsigned int gfp,
		unsigned int flags, unsigned int seed)
{
	memset(sm, 0, sizeof(*sm));
	sm->pages = pages;
	sm->data = malloc(pages * PAGE_SIZE);
	ck_assert_ptr_nonnull(sm->data);
	pat_fill(sm->data, 0, pages * PAGE_SIZE, seed);
	address_space_init(&sm->mapping, &store_aops, sm, gfp, flags);
}

void store_destroy(struct store_mapping *sm)
{
	store_complete_deferred(sm, 0);
	truncate_inode_pages(&sm->mapping, 0);
	ck_assert_uint_eq(sm->mapping.nrpages, 0);
	address_space_destroy(&sm->mapping);
	free(sm->data);
	sm->data = NULL;
}

void store_complete_deferred(struct store_mapping *sm, int err)
{
	while (sm->ndeferred > 0)
		end_page_writeback_error(sm->deferred[--sm->ndeferred], err);
}

void pat_fill(unsigned char *buf, unsigned long off, unsigned long len, unsigned int seed)
{
	unsigned long i;

	for (i = 0; i < len; i++)
		buf[i] = store_pat(off + i, seed);
}

int pat_check(const unsigned char *buf, unsigned long off, unsigned long len,
	      unsigned int seed)
{
	unsigned long i;

	for (i = 0; i < len; i++)
		if (buf[i] != store_pat(off + i, seed))
			return 1;
	return 0;
}

struct page *store_read_page(struct store_mapping *sm, unsigned long index)
{
	struct page *page = page_cache_alloc(&sm->mapping);

	ck_assert_ptr_nonnull(page);
	ck_assert_int_eq(add_to_page_cache(page, &sm->mapping, index), 0);
	ck_assert_int_eq(sm->mapping.a_ops->readpage(page), 0);
	wait_on_page(page);
	ck_assert(PageUptodate(page));
	return page;
}

static int on_list(const struct list_head *list, const struct list_head *entry)
{
	const struct list_head *pos;

	for (pos = list->next; pos != list; pos = pos->next)
		if (pos == entry)
			return 1;
	return 0;
}

int page_queue(struct page *page)
{
	struct address_space *m;
	int q = Q_NONE;

	spin_lock(&pagecache_lock);
	m = page->mapping;
	if (m && on_list(&m->clean_pages, &page->list))
		q = Q_CLEAN;
	else if (m && on_list(&m->dirty_pages, &page->list))
		q = Q_DIRTY;
	else if (m && on_list(&m->locked_pages, &page->list))
		q = Q_LOCKED;
	spin_unlock(&pagecache_lock);
	return q;
}

int page_lru(struct page *page)
{
	int l = LRU_NONE;

	spin_lock(&pagemap_lru_lock);
	if (on_list(&inactive_list, &page->lru)) {
		ck_assert(PageLRU(page) && !PageActive(page));
		l = LRU_INACTIVE;
	} else if (on_list(&active_list, &page->lru)) {
		ck_assert(PageLRU(page) && PageActive(page));
		l = LRU_ACTIVE;
	} else {
		ck_assert(!PageLRU(page) && !PageActive(page));
	}
	spin_unlock(&pagemap_lru_lock);
	return l;
}

unsigned char page_byte(struct page *page, unsigned int off)
{
	unsigned char c;

	memcpy_from_page(&c, page, off, 1);
	return c;
}
