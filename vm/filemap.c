/*
 * vm/filemap.c - the page cache: its hash table, inode queues, insertion,
 * lookup and removal (book 11.2, 11.3; 2.4 mm/filemap.c).
 *
 * Interface (vm/pagemap.h): page_cache_init() at boot; address_space_init
 * and _destroy around a mapping's life; add_to_page_cache, find_get_page,
 * find_lock_page, find_or_create_page / grab_cache_page, read_cache_page,
 * remove_inode_page.  Truncation is in truncate.c, dirty and writeback
 * state in page_dirty.c, the read/write paths in filemap_rw.c.
 *
 * The hash table (11.2.1): htable_size = num_physpages * sizeof(struct
 * page *), rounded up to 2^order frames and taken from the boot allocator
 * (falling back to lower orders), so there is about one bucket per frame.
 * page_hash_bits = log2(buckets); _page_hashfn mixes the mapping's address
 * (divided by the largest power of two dividing sizeof(struct
 * address_space), so neighbouring mappings differ in the low bits) with
 * the index, as 2.4 does.  Chains run through page->next_hash and
 * page->pprev_hash.
 *
 * Locking: pagecache_lock protects the table, page->mapping/index/list,
 * every mapping's queues and nrpages.  Adding and removing also hold the
 * page lock, so a page's identity is stable for whoever holds it.
 * pagecache_lock -> pagemap_lru_lock (vm/locking.h).
 */
#include <errno.h>
#include "vm/bootmem.h"
#include "vm/pagemap.h"
#include "vm/swap.h"
#include "vm/vmstat.h"
#include "vm/writeback.h"

spinlock_t pagecache_lock;
struct page **page_hash_table;
unsigned int page_hash_bits;
unsigned int page_hash_order;

static unsigned long page_cache_size;	/* atomic: pages in all mappings */
static unsigned long buffer_cache_size;	/* atomic: of them in AS_BDEV mappings */
static unsigned int fail_orders;	/* test hook, consumed at boot */
static wait_queue_head_t mapping_unpinned;	/* with pagecache_lock */

void page_cache_set_fail_orders(unsigned int n)
{
	fail_orders = n;
}

/* The smallest order with 2^order frames >= htable_size. */
unsigned int page_hash_order_for(unsigned long mempages)
{
	unsigned long htable_size = mempages * sizeof(struct page *);
	unsigned int order;

	for (order = 0; (PAGE_SIZE << order) < htable_size; order++)
		;
	return order;
}

static unsigned int hash_bits_for(unsigned int order)
{
	unsigned long tmp = (PAGE_SIZE << order) / sizeof(struct page *);
	unsigned int bits = 0;

	while ((tmp >>= 1UL) != 0UL)
		bits++;
	return bits;
}

static struct page **alloc_hash_table(unsigned int order)
{
	if (fail_orders) {
		fail_orders--;
		return NULL;
	}
	return __alloc_bootmem(PAGE_SIZE << order, PAGE_SIZE, 0);
}

int page_cache_init(unsigned long mempages)
{
	int order = (int)page_hash_order_for(mempages);

	do {
		page_hash_bits = hash_bits_for((unsigned int)order);
		page_hash_table = alloc_hash_table((unsigned int)order);
	} while (!page_hash_table && --order >= 0);
	if (!page_hash_table) {
		vm_log("page_cache_init: no boot memory for the page hash table");
		return -ENOMEM;
	}
	page_hash_order = (unsigned int)order;
	spin_lock_init(&pagecache_lock);
	init_waitqueue_head(&mapping_unpinned);
	page_cache_size = buffer_cache_size = 0;
	page_lock_init();
	lru_init();
	writeback_init();
	reclaim_init();
	pagecache_stats_on();
	return 0;
}

/* The table itself is boot memory and goes with the arena. */
void page_cache_exit(void)
{
	if (!page_hash_table)
		return;
	kswapd_stop();
	writeback_exit();
	pagecache_stats_off();
	reclaim_exit();
	lru_exit();
	page_lock_exit();
	destroy_waitqueue_head(&mapping_unpinned);
	spin_lock_destroy(&pagecache_lock);
	page_hash_table = NULL;
	page_hash_bits = page_hash_order = 0;
}

/* ---- the hash --------------------------------------------------------- */

static inline unsigned long _page_hashfn(const struct address_space *mapping,
					 unsigned long index)
{
	const unsigned long sz = sizeof(struct address_space);
	unsigned long i = (unsigned long)mapping / (sz & ~(sz - 1));
	unsigned long x = i + index;

	return (x + (x >> page_hash_bits)) & ((1UL << page_hash_bits) - 1);
}

static inline struct page **page_hash(const struct address_space *mapping,
				      unsigned long index)
{
	return page_hash_table + _page_hashfn(mapping, index);
}

static void add_page_to_hash_queue(struct page *page, struct page **p)
{
	struct page *next = *p;

	*p = page;
	page->next_hash = next;
	page->pprev_hash = p;
	if (next)
		next->pprev_hash = &page->next_hash;
}

static void remove_page_from_hash_queue(struct page *page)
{
	struct page *next = page->next_hash;
	struct page **pprev = page->pprev_hash;

	if (next)
		next->pprev_hash = pprev;
	*pprev = next;
	page->pprev_hash = NULL;
	page->next_hash = NULL;
}

/* ---- the inode queue (11.3) ------------------------------------------- */

static void add_page_to_inode_queue(struct address_space *mapping, struct page *page)
{
	list_add(&page->list, &mapping->clean_pages);
	mapping->nrpages++;
	page->mapping = mapping;
}

static void remove_page_from_inode_queue(struct page *page)
{
	struct address_space *mapping = page->mapping;

	list_del(&page->list);
	mapping->nrpages--;
	page->mapping = NULL;
}

static void count_cache_pages(struct address_space *mapping, long n)
{
	__atomic_add_fetch(&page_cache_size, (unsigned long)n, __ATOMIC_RELAXED);
	if (mapping->flags & AS_BDEV)
		__atomic_add_fetch(&buffer_cache_size, (unsigned long)n, __ATOMIC_RELAXED);
}

unsigned long page_cache_pages(void)
{
	return __atomic_load_n(&page_cache_size, __ATOMIC_RELAXED);
}

unsigned long buffer_cache_pages(void)
{
	return __atomic_load_n(&buffer_cache_size, __ATOMIC_RELAXED);
}

/* ---- mappings --------------------------------------------------------- */

void address_space_init(struct address_space *mapping,
			const struct address_space_operations *a_ops,
			void *host, unsigned int gfp_mask, unsigned int flags)
{
	INIT_LIST_HEAD(&mapping->clean_pages);
	INIT_LIST_HEAD(&mapping->dirty_pages);
	INIT_LIST_HEAD(&mapping->locked_pages);
	INIT_LIST_HEAD(&mapping->dirty_link);
	mapping->nrpages = 0;
	mapping->a_ops = a_ops;
	mapping->host = host;
	mapping->gfp_mask = gfp_mask;
	mapping->flags = flags;
	mapping->blkbits = PAGE_SHIFT;
	mapping->dirtied_when = 0;
	mapping->wb_pins = 0;
	mapping->wb_dying = 0;
	mapping->wb_error = 0;
	mapping->wb_err = 0;
}

void address_space_destroy(struct address_space *mapping)
{
	spin_lock(&pagecache_lock);
	VM_BUG_ON(mapping->nrpages != 0);
	mapping->wb_dying = 1;
	while (mapping->wb_pins)
		wait_event_locked(&mapping_unpinned, &pagecache_lock);
	__unlist_dirty_mapping(mapping);
	spin_unlock(&pagecache_lock);
}

/* Caller holds pagecache_lock: keep the mapping alive while it is unlocked. */
void __mapping_pin(struct address_space *mapping)
{
	assert_spin_locked(&pagecache_lock);
	mapping->wb_pins++;
}

/* Caller holds pagecache_lock. */
void __mapping_unpin(struct address_space *mapping)
{
	assert_spin_locked(&pagecache_lock);
	VM_BUG_ON(mapping->wb_pins <= 0);
	if (--mapping->wb_pins == 0 && mapping->wb_dying)
		wake_up_all(&mapping_unpinned);
}

/* ---- insertion and lookup --------------------------------------------- */

int add_to_page_cache(struct page *page, struct address_space *mapping,
		      unsigned long index)
{
	VM_BUG_ON(page->mapping || PageLRU(page) || PageDirty(page));
	VM_BUG_ON(PageWriteback(page) || page->buffers);
	if (TestSetPageLocked(page))
		BUG();	/* a new page is nobody else's */
	spin_lock(&pagecache_lock);
	if (__find_page_nolock(mapping, index)) {
		spin_unlock(&pagecache_lock);
		unlock_page(page);
		return -EEXIST;
	}
	ClearPageUptodate(page);
	ClearPageError(page);
	ClearPageReferenced(page);
	ClearPageChecked(page);
	page_cache_get(page);
	page->index = index;
	add_page_to_inode_queue(mapping, page);
	add_page_to_hash_queue(page, page_hash(mapping, index));
	count_cache_pages(mapping, 1);
	spin_unlock(&pagecache_lock);
	lru_cache_add(page);
	return 0;
}

struct page *__find_page_nolock(struct address_space *mapping, unsigned long index)
{
	struct page *page;

	assert_spin_locked(&pagecache_lock);
	for (page = *page_hash(mapping, index); page; page = page->next_hash)
		if (page->mapping == mapping && page->index == index)
			return page;
	return NULL;
}

struct page *find_get_page(struct address_space *mapping, unsigned long index)
{
	struct page *page;

	spin_lock(&pagecache_lock);
	page = __find_page_nolock(mapping, index);
	if (page)
		page_cache_get(page);
	spin_unlock(&pagecache_lock);
	return page;
}

struct page *find_lock_page(struct address_space *mapping, unsigned long index)
{
	struct page *page;

	while ((page = find_get_page(mapping, index))) {
		lock_page(page);
		/* Truncated while we slept? */
		if (page->mapping == mapping && page->index == index)
			return page;
		unlock_page(page);
		page_cache_release(page);
	}
	return NULL;
}

struct page *find_or_create_page(struct address_space *mapping,
				 unsigned long index, unsigned int gfp_mask)
{
	struct page *page;
	int err;

	for (;;) {
		page = find_lock_page(mapping, index);
		if (page)
			return page;
		page = alloc_pages(gfp_mask, 0);
		if (!page)
			return NULL;
		err = add_to_page_cache(page, mapping, index);
		if (!err)
			return page;
		page_cache_release(page);	/* lost a race: look again */
	}
}

struct page *grab_cache_page(struct address_space *mapping, unsigned long index)
{
	return find_or_create_page(mapping, index, mapping->gfp_mask);
}

/* Page locked, not uptodate: fill it and wait.  Consumes nothing. */
static int fill_page(struct page *page, filler_t filler, void *data)
{
	int err;

	ClearPageError(page);
	err = filler(data, page);
	if (err)
		return err;
	wait_on_page(page);
	return PageUptodate(page) ? 0 : -EIO;
}

int read_cache_page(struct address_space *mapping, unsigned long index,
		    filler_t filler, void *data, struct page **pagep)
{
	struct page *page;
	int err;

	page = grab_cache_page(mapping, index);
	if (!page)
		return -ENOMEM;
	if (PageUptodate(page)) {
		unlock_page(page);
		err = 0;
	} else {
		err = fill_page(page, filler, data);
	}
	if (err) {
		page_cache_release(page);
		return err;
	}
	mark_page_accessed(page);
	*pagep = page;
	return 0;
}

/* ---- removal ---------------------------------------------------------- */

void __remove_inode_page(struct page *page)
{
	struct address_space *mapping = page->mapping;

	assert_spin_locked(&pagecache_lock);
	VM_BUG_ON(!PageLocked(page) || !mapping);
	VM_BUG_ON(PageDirty(page) || PageWriteback(page));
	remove_page_from_inode_queue(page);
	remove_page_from_hash_queue(page);
	count_cache_pages(mapping, -1);
}

void remove_inode_page(struct page *page)
{
	spin_lock(&pagecache_lock);
	__remove_inode_page(page);
	spin_unlock(&pagecache_lock);
	lru_cache_del(page);
}
