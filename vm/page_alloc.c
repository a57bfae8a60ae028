/*
 * vm/page_alloc.c - the binary buddy allocator (book chapter 6; 2.4
 * mm/page_alloc.c), zones and their watermarks (3.2), zonelists.
 *
 * Each zone keeps free blocks of 2^order frames on free_area[order], and
 * one bit per pair of buddies that is set when exactly one of the pair is
 * free.  Freeing toggles the bit: if it comes out clear, both halves are
 * free and merge into the next order (__free_one_page).  Allocation takes
 * the smallest block big enough and splits the rest back down (expand).
 *
 * Interface: __alloc_pages() and the wrappers in gfp.h; __free_pages().
 * free_area_init() builds mem_map and the zones at boot (vm_init).
 *
 * Locking: zone->lock protects free_area[] and free_pages.  Order-0 pages
 * pass through the per-thread lists (pageset.c) first, which take zone->lock
 * once per batch.  Watermarks are read without the lock: a stale value
 * costs one extra try, never correctness.  No other lock is taken here,
 * so any layer may allocate - with the gfp flags its locks allow.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include "vm/bootmem.h"
#include "vm/fault_inject.h"
#include "vm/mm.h"
#include "vm/pageset.h"
#include "vm/vmstat.h"

pg_data_t contig_page_data;
zone_t *zone_table[MAX_NR_ZONES];
const char *const zone_names[MAX_NR_ZONES] = { "DMA", "Normal", "HighMem" };

struct page *mem_map;
unsigned long num_physpages;
unsigned long max_low_pfn;
unsigned long highstart_pfn;
unsigned long max_pfn;
int page_poisoning;		/* set from vm_config.debug at boot */

/* 2.4's balance: pages_min = size/128, clamped to [20, 255]. */
static const int zone_balance_ratio[MAX_NR_ZONES] = { 128, 128, 128 };
static const int zone_balance_min[MAX_NR_ZONES] = { 20, 20, 20 };
static const int zone_balance_max[MAX_NR_ZONES] = { 255, 255, 255 };

_Static_assert(PGALLOC_ORDER_9 - PGALLOC_ORDER_0 + 1 == MAX_ORDER, "one counter per order");

/* Tries in a row without progress before a waiting caller gets NULL. */
#define MAX_ALLOC_RETRIES	8
/* Tries in all for a small order while reclaim keeps freeing: 2.4 loops
 * forever; a bound keeps a thief that always wins from hanging us. */
#define MAX_ALLOC_ATTEMPTS	1024

#define PAGE_POISON	0x6b

static struct vm_reclaim_ops reclaim_ops;

void vm_set_reclaim_ops(const struct vm_reclaim_ops *ops)
{
	__atomic_store_n(&reclaim_ops.wakeup_kswapd, ops ? ops->wakeup_kswapd : NULL,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&reclaim_ops.try_to_free_pages,
			 ops ? ops->try_to_free_pages : NULL, __ATOMIC_RELEASE);
}

/* ---- the buddy free lists: caller holds zone->lock ------------------- */

static inline void mark_used(unsigned long index, unsigned int order, free_area_t *area)
{
	__test_and_change_bit(index >> (1 + order), area->map);
}

/* nr_free is read without the lock by buddyinfo: store it atomically. */
static inline void area_add(free_area_t *area, long n)
{
	WRITE_ONCE(area->nr_free, area->nr_free + n);
}

static inline void zone_add_free(zone_t *zone, long n)
{
	WRITE_ONCE(zone->free_pages, zone->free_pages + n);
}

/*
 * Split a block of order high down to order low, putting the unused
 * halves on the lower free lists.  Returns the part handed out.
 */
static struct page *expand(zone_t *zone, struct page *page, unsigned long index,
			   unsigned int low, unsigned int high, free_area_t *area)
{
	unsigned long size = 1UL << high;

	(void)zone;
	while (high > low) {
		area--;
		high--;
		size >>= 1;
		list_add(&page->list, &area->free_list);
		area_add(area, 1);
		mark_used(index, high, area);
		index += size;
		page += size;
	}
	return page;
}

/* Caller holds zone->lock.  A block of 2^order frames, or NULL. */
struct page *__rmqueue(zone_t *zone, unsigned int order)
{
	free_area_t *area = zone->free_area + order;
	unsigned int curr_order;

	assert_spin_locked(&zone->lock);
	for (curr_order = order; curr_order < MAX_ORDER; curr_order++, area++) {
		struct page *page;
		unsigned long index;

		if (list_empty(&area->free_list))
			continue;
		page = list_entry(area->free_list.next, struct page, list);
		list_del(&page->list);
		area_add(area, -1);
		index = (unsigned long)(page - zone->zone_mem_map);
		if (curr_order != MAX_ORDER - 1)
			mark_used(index, curr_order, area);
		zone_add_free(zone, -(1L << order));
		return expand(zone, page, index, order, curr_order, area);
	}
	return NULL;
}

/* Caller holds zone->lock.  Returns a 2^order block, merging with buddies. */
void __free_one_page(struct page *page, zone_t *zone, unsigned int order)
{
	struct page *base = zone->zone_mem_map;
	unsigned long mask = ~0UL << order;
	unsigned long page_idx = (unsigned long)(page - base);
	unsigned long index = page_idx >> (1 + order);
	free_area_t *area = zone->free_area + order;

	assert_spin_locked(&zone->lock);
	VM_BUG_ON(page_idx & ~mask);
	VM_BUG_ON(page_idx + (1UL << order) > zone->size);
	zone_add_free(zone, 1L << order);
	/* -mask is 1 << order; stop below the top order, which has no map. */
	while (mask + (1UL << (MAX_ORDER - 1))) {
		struct page *buddy;

		VM_BUG_ON(area >= zone->free_area + MAX_ORDER);
		if (!__test_and_change_bit(index, area->map))
			break;	/* the buddy is still in use */
		buddy = base + (page_idx ^ -mask);
		list_del(&buddy->list);
		area_add(area, -1);
		mask <<= 1;
		area++;
		index >>= 1;
		page_idx &= mask;
	}
	list_add(&(base + page_idx)->list, &area->free_list);
	area_add(area, 1);
}

int rmqueue_bulk(zone_t *zone, unsigned int order, int count, struct list_head *list)
{
	int i;

	spin_lock(&zone->lock);
	for (i = 0; i < count; i++) {
		struct page *page = __rmqueue(zone, order);

		if (!page)
			break;
		list_add_tail(&page->list, list);
	}
	spin_unlock(&zone->lock);
	return i;
}

void free_pages_bulk(zone_t *zone, int count, struct list_head *list,
		     unsigned int order)
{
	spin_lock(&zone->lock);
	while (count-- > 0 && !list_empty(list)) {
		struct page *page = list_entry(list->prev, struct page, list);

		list_del(&page->list);
		__free_one_page(page, zone, order);
	}
	spin_unlock(&zone->lock);
}

/* ---- page state on the way in and out -------------------------------- */

static void poison_block(struct page *page, unsigned int order)
{
	unsigned long i;

	if (PageHighMem(page))
		return;	/* no permanent address to write through */
	for (i = 0; i < (1UL << order); i++)
		memset(page_address(page + i), PAGE_POISON, PAGE_SIZE);
}

static void check_poison(struct page *page, unsigned int order)
{
	unsigned long i, j;

	if (PageHighMem(page))
		return;
	for (i = 0; i < (1UL << order); i++) {
		const unsigned char *p = page_address(page + i);

		for (j = 0; j < PAGE_SIZE; j++)
			if (p[j] != PAGE_POISON) {
				vm_log("page_alloc: pfn %lu byte %lu written after free",
				       page_to_pfn(page + i), j);
				BUG();
			}
	}
}

void free_pages_check(struct page *page, unsigned int order)
{
	VM_BUG_ON(page_count(page) != 0);
	VM_BUG_ON(page->buffers != NULL);
	VM_BUG_ON(page->mapping != NULL);
	VM_BUG_ON(PageLocked(page) || PageLRU(page) || PageActive(page));
	VM_BUG_ON(PageSlab(page) || PageReserved(page) || PageWriteback(page));
	page->flags &= ~((1UL << PG_referenced) | (1UL << PG_dirty) |
			 (1UL << PG_uptodate) | (1UL << PG_error) |
			 (1UL << PG_checked) | (1UL << PG_bounce));
	if (page_poisoning)
		poison_block(page, order);
}

void prep_new_page(struct page *page, unsigned int order)
{
	VM_BUG_ON(page->buffers || page->mapping || PageLRU(page) || PageActive(page));
	VM_BUG_ON(PageSlab(page) || PageLocked(page));
	if (page_poisoning)
		check_poison(page, order);
	page->private = 0;
	set_page_count(page, 1);
}

/* ---- __alloc_pages ---------------------------------------------------- */

/*
 * Fault injection is decided once per zone per request, so a request that
 * looks at a zone twice (fast path, then the reserves) counts once.
 */
struct fault_memo {
	unsigned int asked, fail;
};

static struct page *try_zone(zone_t *z, unsigned int order, unsigned int gfp_mask,
			     struct fault_memo *fm)
{
	unsigned int bit = 1U << zone_idx(z);
	struct page *page;

	if (!(fm->asked & bit)) {
		fm->asked |= bit;
		if (zone_should_fail(z))
			fm->fail |= bit;
	}
	if (fm->fail & bit)
		return NULL;
	page = buffered_rmqueue(z, order, !!(gfp_mask & __GFP_COLD));
	if (page) {
		count_vm_events(PGALLOC_DMA + zone_idx(z), 1UL << order);
		count_vm_event(PGALLOC_ORDER_0 + order);
		if (order && (gfp_mask & __GFP_NOWARN))
			count_vm_event(PGALLOC_ORDER_FALLBACK);
	}
	return page;
}

/*
 * One pass down the zonelist.  A zone is used only if its free pages stay
 * above the sum of the marks of the zones tried so far (2.4's classzone
 * protection: high-zone pressure does not drain the low zones).
 */
static struct page *zonelist_pass(zone_t **zones, unsigned int order,
				  unsigned int gfp_mask, int which,
				  struct fault_memo *fm)
{
	unsigned long min = 1UL << order;
	zone_t *z;

	while ((z = *zones++)) {
		struct page *page;

		if (which == 0)
			min += z->pages_low;
		else if (which == 1)
			min += (gfp_mask & __GFP_WAIT) ? z->pages_min : z->pages_min / 4;
		else if (which == 2)
			min += z->pages_min;
		else
			min = 0;	/* PF_MEMALLOC: everything */
		if (zone_free_pages(z) <= min && which != 3)
			continue;
		page = try_zone(z, order, gfp_mask, fm);
		if (page)
			return page;
	}
	return NULL;
}

static void wakeup_kswapd(zone_t *classzone)
{
	void (*fn)(zone_t *) = __atomic_load_n(&reclaim_ops.wakeup_kswapd,
					       __ATOMIC_ACQUIRE);

	WRITE_ONCE(classzone->need_balance, 1);
	if (fn)
		fn(classzone);	/* counts kswapd_wakeup if kswapd was asleep */
}

/* Direct reclaim (book 11.4's try_to_free_pages path); pages freed. */
static int direct_reclaim(zone_t *classzone, unsigned int gfp_mask, unsigned int order)
{
	int (*fn)(zone_t *, unsigned int, unsigned int) =
		__atomic_load_n(&reclaim_ops.try_to_free_pages, __ATOMIC_ACQUIRE);
	int freed = 0;

	if (fn) {
		count_vm_event(ALLOCSTALL);
		current->flags |= PF_MEMALLOC;
		freed = fn(classzone, gfp_mask, order);
		current->flags &= ~PF_MEMALLOC;
	}
	return freed;
}

static void alloc_backoff(int attempt)
{
	struct timespec ts = { 0, 100000L << (attempt < 4 ? attempt : 4) };

	count_vm_event(ALLOC_RETRY);
	nanosleep(&ts, NULL);
}

struct page *__alloc_pages(unsigned int gfp_mask, unsigned int order,
			   zonelist_t *zonelist)
{
	zone_t **zones = zonelist->zones, *classzone = zones[0];
	struct fault_memo fm = { 0, 0 };
	struct page *page;
	int attempt, stalled;

	if (order >= MAX_ORDER || !classzone)
		goto nopage;
	page = zonelist_pass(zones, order, gfp_mask, 0, &fm);
	if (page)
		return page;

	wakeup_kswapd(classzone);
	page = zonelist_pass(zones, order, gfp_mask, 1, &fm);
	if (page)
		return page;

	/* Low on memory.  A reclaimer itself may take the last pages. */
	if (current->flags & (PF_MEMALLOC | PF_MEMDIE)) {
		page = zonelist_pass(zones, order, gfp_mask, 3, &fm);
		if (page)
			return page;
		goto nopage;
	}
	if (!(gfp_mask & __GFP_WAIT))
		goto nopage;

	/*
	 * Waiting, not failing: while reclaim frees something (which
	 * includes waiting for writeback in flight, vmscan.c), a small
	 * order tries again however long it takes; only when reclaim finds
	 * nothing MAX_ALLOC_RETRIES times in a row - every page pinned -
	 * does the caller get NULL.
	 */
	for (attempt = 0, stalled = 0; attempt < MAX_ALLOC_ATTEMPTS; attempt++) {
		int freed = direct_reclaim(classzone, gfp_mask, order);

		/* Other threads' lists may hold what we need. */
		drain_all_pages();
		page = zonelist_pass(zones, order, gfp_mask, 2, &fm);
		if (page)
			return page;
		/* 2.4 does not loop for big blocks; reclaim rarely makes them. */
		if (order > 3)
			break;
		if (freed) {
			stalled = 0;
			continue;
		}
		if (++stalled == MAX_ALLOC_RETRIES)
			break;
		alloc_backoff(stalled - 1);
	}
nopage:
	count_vm_event(PGALLOC_FAIL);
	if (classzone)
		__atomic_fetch_add(&classzone->nr_alloc_fail, 1, __ATOMIC_RELAXED);
	return NULL;
}

struct page *alloc_pages(unsigned int gfp_mask, unsigned int order)
{
	return __alloc_pages(gfp_mask, order,
			     contig_page_data.node_zonelists + (gfp_mask & GFP_ZONEMASK));
}

void *__get_free_pages(unsigned int gfp_mask, unsigned int order)
{
	struct page *page;

	VM_BUG_ON(gfp_mask & __GFP_HIGHMEM);
	page = alloc_pages(gfp_mask, order);
	return page ? page_address(page) : NULL;
}

void *get_zeroed_page(unsigned int gfp_mask)
{
	void *addr = __get_free_pages(gfp_mask, 0);

	if (addr)
		memset(addr, 0, PAGE_SIZE);
	return addr;
}

/* ---- freeing ---------------------------------------------------------- */

static void __free_pages_ok(struct page *page, unsigned int order)
{
	zone_t *zone = page_zone(page);

	count_vm_events(PGFREE, 1UL << order);
	free_pages_check(page, order);
	spin_lock(&zone->lock);
	__free_one_page(page, zone, order);
	spin_unlock(&zone->lock);
}

void __free_pages(struct page *page, unsigned int order)
{
	if (!put_page_testzero(page))
		return;
	if (order == 0)
		free_hot_cold_page(page, 0);
	else
		__free_pages_ok(page, order);
}

void free_pages(void *addr, unsigned int order)
{
	if (addr)
		__free_pages(virt_to_page(addr), order);
}

void put_page(struct page *page)
{
	__free_pages(page, 0);
}

unsigned long nr_free_pages(void)
{
	unsigned long sum = 0;
	zone_t *z;

	for_each_zone(z)
		sum += zone_free_pages(z);
	return sum;
}

unsigned long nr_free_highpages(void)
{
	return zone_free_pages(&contig_page_data.node_zones[ZONE_HIGHMEM]);
}

/* ---- boot: zones, mem_map, zonelists (book 3.2, 5.2.1) --------------- */

static unsigned long bitmap_bytes(unsigned long size, unsigned int order)
{
	unsigned long rounded = (size + (1UL << MAX_ORDER) - 1) & ~((1UL << MAX_ORDER) - 1);
	unsigned long bits = rounded >> (order + 1);

	return ((bits + BITS_PER_LONG - 1) / BITS_PER_LONG) * sizeof(long);
}

static void zone_set_watermarks(zone_t *zone, int j)
{
	unsigned long mask = zone->size / zone_balance_ratio[j];

	if (mask < (unsigned long)zone_balance_min[j])
		mask = zone_balance_min[j];
	else if (mask > (unsigned long)zone_balance_max[j])
		mask = zone_balance_max[j];
	zone->pages_min = mask;
	zone->pages_low = mask * 2;
	zone->pages_high = mask * 3;
}

static int zone_init_free_areas(zone_t *zone)
{
	unsigned int order;

	for (order = 0; order < MAX_ORDER; order++) {
		free_area_t *area = zone->free_area + order;

		INIT_LIST_HEAD(&area->free_list);
		area->nr_free = 0;
		if (order == MAX_ORDER - 1) {
			area->map = NULL;	/* the top order has no buddies */
			break;
		}
		area->map = alloc_bootmem(bitmap_bytes(zone->size, order));
		if (!area->map)
			return -ENOMEM;
	}
	return 0;
}

static void zone_init_pages(zone_t *zone, int j)
{
	unsigned long i;

	for (i = 0; i < zone->size; i++) {
		struct page *page = zone->zone_mem_map + i;

		set_page_count(page, 0);
		page->flags = 0;
		SetPageReserved(page);
		set_page_zone(page, (unsigned long)j);
		INIT_LIST_HEAD(&page->list);
		INIT_LIST_HEAD(&page->lru);
		if (j == ZONE_HIGHMEM)
			SetPageHighMem(page);
	}
}

static void build_zonelists(pg_data_t *pgdat)
{
	int i;

	for (i = 0; i <= GFP_ZONEMASK; i++) {
		zonelist_t *zonelist = pgdat->node_zonelists + i;
		int j = 0, k = ZONE_NORMAL;

		memset(zonelist, 0, sizeof(*zonelist));
		if (i & __GFP_HIGHMEM)
			k = ZONE_HIGHMEM;
		if (i & __GFP_DMA)
			k = ZONE_DMA;
		for (; k >= 0; k--) {
			zone_t *zone = pgdat->node_zones + k;

			if (zone->size)
				zonelist->zones[j++] = zone;
		}
		zonelist->zones[j] = NULL;
	}
}

int free_area_init(const unsigned long zones_size[MAX_NR_ZONES])
{
	pg_data_t *pgdat = &contig_page_data;
	unsigned long total = 0, start = 0;
	int j, ret;

	for (j = 0; j < MAX_NR_ZONES; j++)
		total += zones_size[j];
	mem_map = alloc_bootmem(total * sizeof(struct page));
	if (!mem_map)
		return -ENOMEM;
	pgdat->node_mem_map = mem_map;
	pgdat->node_size = total;
	pgdat->node_start_paddr = 0;
	pgdat->node_start_mapnr = 0;
	pgdat->nr_zones = 0;

	for (j = 0; j < MAX_NR_ZONES; j++) {
		zone_t *zone = pgdat->node_zones + j;

		zone_table[j] = zone;
		zone->zone_pgdat = pgdat;
		zone->name = zone_names[j];
		zone->size = zones_size[j];
		zone->present_pages = 0;
		zone->zone_mem_map = mem_map + start;
		zone->zone_start_mapnr = start;
		zone->zone_start_paddr = start << PAGE_SHIFT;
		spin_lock_init(&zone->lock);
		start += zone->size;
		if (!zone->size)
			continue;
		pgdat->nr_zones++;
		zone_set_watermarks(zone, j);
		zone_init_pages(zone, j);
		ret = zone_init_free_areas(zone);
		if (ret)
			return ret;
		pageset_init(zone);
	}
	build_zonelists(pgdat);
	return 0;
}

void free_area_exit(void)
{
	int j;

	for (j = 0; j < MAX_NR_ZONES; j++) {
		zone_t *zone = contig_page_data.node_zones + j;

		if (zone->size)
			pageset_destroy(zone);
		spin_lock_destroy(&zone->lock);
	}
	memset(&contig_page_data, 0, sizeof(contig_page_data));
	memset(zone_table, 0, sizeof(zone_table));
	mem_map = NULL;
	num_physpages = max_low_pfn = highstart_pfn = max_pfn = 0;
}
