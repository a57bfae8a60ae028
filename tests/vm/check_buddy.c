/*
 * tests/vm/check_buddy.c - the buddy allocator: zones and watermarks as
 * booted, random alloc/free against a shadow map, GFP zone rules and
 * fallback, the reserves, the reclaim hooks, and the BUGs that guard it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "tests/vm/vm_test.h"
#include "vm/mm.h"
#include "vm/pageset.h"
#include "vm/vmstat.h"

#define ZONE(i)	(&contig_page_data.node_zones[i])

START_TEST(test_zone_layout)
{
	/* 64 MiB, 32 MiB low: DMA 16, NORMAL 16, HIGH 32. */
	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	ck_assert_uint_eq(ZONE(ZONE_DMA)->size, MiB(16) / PAGE_SIZE);
	ck_assert_uint_eq(ZONE(ZONE_NORMAL)->size, MiB(16) / PAGE_SIZE);
	ck_assert_uint_eq(ZONE(ZONE_HIGHMEM)->size, MiB(32) / PAGE_SIZE);
	ck_assert_uint_eq(ZONE(ZONE_NORMAL)->zone_start_mapnr, MiB(16) / PAGE_SIZE);
	ck_assert_int_eq(contig_page_data.nr_zones, 3);
	/* High memory keeps none of boot's allocations. */
	ck_assert_uint_eq(ZONE(ZONE_HIGHMEM)->present_pages, ZONE(ZONE_HIGHMEM)->size);
	vm_exit();
}
END_TEST

START_TEST(test_tiny_arena_fewer_zones)
{
	/* 4 MiB, all low: one zone, DMA, as a 2.4 box with 4 MiB had. */
	vm_test_boot(MiB(4), 0, KMAP_DIRECT);
	ck_assert_int_eq(contig_page_data.nr_zones, 1);
	ck_assert_uint_eq(ZONE(ZONE_DMA)->size, 1024);
	ck_assert_uint_eq(ZONE(ZONE_NORMAL)->size, 0);
	ck_assert_uint_eq(ZONE(ZONE_HIGHMEM)->size, 0);
	/* Every zonelist falls back to the only zone there is. */
	ck_assert_ptr_eq(contig_page_data.node_zonelists[GFP_HIGHUSER & GFP_ZONEMASK].zones[0],
			 ZONE(ZONE_DMA));
	ck_assert_ptr_null(contig_page_data.node_zonelists[0].zones[1]);
	struct page *p = alloc_page(GFP_HIGHUSER);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_eq(page_zone(p), ZONE(ZONE_DMA));
	__free_page(p);
	vm_exit();
}
END_TEST

START_TEST(test_watermarks_formula)
{
	/* 1 GiB with 512 MiB low: NORMAL 496 MiB -> size/128 clamps to 255. */
	vm_test_boot(MiB(1024), MiB(512), KMAP_DIRECT);
	zone_t *dma = ZONE(ZONE_DMA), *normal = ZONE(ZONE_NORMAL), *high = ZONE(ZONE_HIGHMEM);

	ck_assert_uint_eq(dma->pages_min, 4096 / 128);
	ck_assert_uint_eq(dma->pages_low, 2 * (4096 / 128));
	ck_assert_uint_eq(dma->pages_high, 3 * (4096 / 128));
	ck_assert_uint_eq(normal->pages_min, 255);
	ck_assert_uint_eq(high->pages_min, 255);
	ck_assert_uint_eq(high->pages_high, 765);
	vm_exit();

	/* 4 MiB: 1024/128 = 8 is below the minimum of 20. */
	vm_test_boot(MiB(4), 0, KMAP_DIRECT);
	ck_assert_uint_eq(ZONE(ZONE_DMA)->pages_min, 20);
	ck_assert_uint_eq(ZONE(ZONE_DMA)->pages_low, 40);
	ck_assert_uint_eq(ZONE(ZONE_DMA)->pages_high, 60);
	vm_exit();
}
END_TEST

/* ---- random alloc/free against a shadow map --------------------------- */

struct block {
	struct page *page;
	unsigned int order;
	unsigned int gfp;
	unsigned long tag;
};

static void check_gfp_zone(struct page *page, unsigned int gfp)
{
	int zi = zone_idx(page_zone(page));

	if (gfp & __GFP_DMA)
		ck_assert_int_eq(zi, ZONE_DMA);
	else if (!(gfp & __GFP_HIGHMEM))
		ck_assert_int_ne(zi, ZONE_HIGHMEM);
}

static void shadow_mark(unsigned char *shadow, struct page *page, unsigned int order, int used)
{
	unsigned long pfn = page_to_pfn(page), i;
	zone_t *z = page_zone(page);

	/* The block is aligned inside its zone and lies in it whole. */
	ck_assert_uint_eq((pfn - z->zone_start_mapnr) & ((1UL << order) - 1), 0);
	ck_assert_uint_le(pfn - z->zone_start_mapnr + (1UL << order), z->size);
	for (i = 0; i < (1UL << order); i++) {
		ck_assert_msg(shadow[pfn + i] == !used, "pfn %lu handed out twice", pfn + i);
		ck_assert_ptr_eq(page_zone(page + i), z);
		shadow[pfn + i] = (unsigned char)used;
	}
}

static void tag_block(struct block *b)
{
	if (!PageHighMem(b->page))
		*(unsigned long *)page_address(b->page) = b->tag;
}

static void check_tag(const struct block *b)
{
	if (!PageHighMem(b->page))
		ck_assert_uint_eq(*(unsigned long *)page_address(b->page), b->tag);
}

static unsigned long allocated_frames_in(const unsigned char *shadow, zone_t *z)
{
	unsigned long i, n = 0;

	for (i = 0; i < z->size; i++)
		n += shadow[z->zone_start_mapnr + i];
	return n;
}

/* Frames each zone had in use before the test (slab's caches since boot). */
static unsigned long boot_in_use[MAX_NR_ZONES];

static void record_boot_use(void)
{
	zone_t *z;

	for_each_zone(z)
		boot_in_use[zone_idx(z)] = z->present_pages - zone_free_pages(z) -
					   pageset_pages(z);
}

/* Free + per-thread lists + handed out add up to the zone's frames. */
static void check_counts(const unsigned char *shadow)
{
	zone_t *z;

	for_each_zone(z) {
		unsigned long used = allocated_frames_in(shadow, z);

		ck_assert_uint_eq(zone_free_pages(z) + pageset_pages(z) + used +
				  boot_in_use[zone_idx(z)], z->present_pages);
	}
}

START_TEST(test_random_against_shadow)
{
	static const unsigned int gfps[] = {
		GFP_KERNEL, GFP_HIGHUSER, GFP_ATOMIC, GFP_KERNEL | __GFP_DMA,
		GFP_NOIO, GFP_HIGHUSER | __GFP_COLD,
	};
	enum { NBLOCKS = 600, STEPS = 20000 };
	static struct block blocks[NBLOCKS];
	unsigned char *shadow;
	struct buddy_snapshot boot, end;
	unsigned int seed = 12345;
	int i, live = 0;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	drain_all_pages();
	buddy_check_all();
	buddy_snapshot(&boot);
	record_boot_use();
	shadow = calloc(num_physpages, 1);
	ck_assert_ptr_nonnull(shadow);
	memset(blocks, 0, sizeof(blocks));

	for (i = 0; i < STEPS; i++) {
		struct block *b = &blocks[rand_r(&seed) % NBLOCKS];

		if (b->page) {
			check_tag(b);
			shadow_mark(shadow, b->page, b->order, 0);
			__free_pages(b->page, b->order);
			b->page = NULL;
			live--;
		} else {
			/* Mostly small blocks, as the kernel sees them. */
			unsigned int r = (unsigned int)rand_r(&seed);
			b->order = (r % 8 == 0) ? r % MAX_ORDER : r % 3;
			b->gfp = gfps[(r >> 8) % ARRAY_SIZE(gfps)];
			b->tag = ((unsigned long)i << 8) | b->order;
			b->page = alloc_pages(b->gfp, b->order);
			if (!b->page)
				continue;	/* large orders may fail: fine */
			ck_assert_int_eq(page_count(b->page), 1);
			check_gfp_zone(b->page, b->gfp);
			shadow_mark(shadow, b->page, b->order, 1);
			tag_block(b);
			live++;
		}
		if (i % 2000 == 0) {
			buddy_check_all();
			check_counts(shadow);
		}
	}
	ck_assert_int_gt(live, 0);
	for (i = 0; i < NBLOCKS; i++) {
		if (!blocks[i].page)
			continue;
		check_tag(&blocks[i]);
		shadow_mark(shadow, blocks[i].page, blocks[i].order, 0);
		__free_pages(blocks[i].page, blocks[i].order);
	}
	drain_all_pages();
	buddy_check_all();
	check_counts(shadow);
	free(shadow);
	buddy_snapshot(&end);
	ck_assert_msg(buddy_snapshot_equal(&boot, &end),
		      "free lists differ from the boot state after freeing everything");
	vm_exit();
}
END_TEST

/* ---- GFP rules and fallback ------------------------------------------ */

/* Allocate order-0 pages with gfp until NULL; returns how many, keeps them. */
static int grab_all(unsigned int gfp, struct page **out, int max, int *per_zone)
{
	int n = 0;

	while (n < max) {
		struct page *p = alloc_page(gfp);

		if (!p)
			break;
		if (per_zone)
			per_zone[zone_idx(page_zone(p))]++;
		out[n++] = p;
	}
	return n;
}

static void release_all(struct page **pages, int n)
{
	while (n--)
		__free_page(pages[n]);
}

START_TEST(test_gfp_dma_only_from_dma)
{
	static struct page *pages[20000];
	int per_zone[3] = { 0 }, n;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	n = grab_all(GFP_KERNEL | __GFP_DMA, pages, 20000, per_zone);
	ck_assert_int_gt(n, 3000);
	ck_assert_int_eq(per_zone[ZONE_NORMAL] + per_zone[ZONE_HIGHMEM], 0);
	/* The DMA zone is drained to its reserve, the others untouched. */
	ck_assert_uint_le(zone_free_pages(ZONE(ZONE_DMA)), ZONE(ZONE_DMA)->pages_low);
	ck_assert_uint_gt(zone_free_pages(ZONE(ZONE_NORMAL)), 3000);
	release_all(pages, n);
	vm_exit();
}
END_TEST

START_TEST(test_gfp_fallback_order)
{
	static struct page *pages[20000];
	zone_t *high = ZONE(ZONE_HIGHMEM), *normal = ZONE(ZONE_NORMAL);
	int n = 0, seen_normal = 0, seen_dma = 0, j;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	/*
	 * GFP_HIGHUSER walks HIGHMEM, NORMAL, DMA.  2.4's first pass uses
	 * pages_low, summed down the list: a lower zone is touched only once
	 * every zone before it is down at its mark.
	 */
	for (;;) {
		unsigned long high_free = zone_free_pages(high);
		unsigned long normal_free = zone_free_pages(normal);
		struct page *p = alloc_page(GFP_HIGHUSER);
		int zi;

		if (!p)
			break;
		zi = zone_idx(page_zone(p));
		if (zi == ZONE_NORMAL && !seen_normal++) {
			ck_assert_int_gt(n, 7000);
			ck_assert_uint_le(high_free, high->pages_low + 1);
		}
		if (zi == ZONE_DMA && !seen_dma++) {
			ck_assert_int_gt(seen_normal, 3000);
			ck_assert_uint_le(high_free, high->pages_low + 1);
			ck_assert_uint_le(normal_free, high->pages_low + normal->pages_low + 1);
		}
		pages[n++] = p;
	}
	ck_assert_int_gt(seen_dma, 3000);
	/* Watermarks respected: no zone was taken below its pages_min. */
	for (j = 0; j < 3; j++)
		ck_assert_uint_ge(zone_free_pages(ZONE(j)), ZONE(j)->pages_min);
	release_all(pages, n);
	vm_exit();
}
END_TEST

START_TEST(test_kernel_never_highmem)
{
	static struct page *pages[20000];
	int per_zone[3] = { 0 }, n;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	n = grab_all(GFP_KERNEL, pages, 20000, per_zone);
	ck_assert_int_eq(per_zone[ZONE_HIGHMEM], 0);
	ck_assert_int_gt(per_zone[ZONE_NORMAL], 3000);
	ck_assert_int_gt(per_zone[ZONE_DMA], 3000);
	/* High memory is still all there for whoever may use it. */
	ck_assert_uint_ge(zone_free_pages(ZONE(ZONE_HIGHMEM)) + pageset_pages(ZONE(ZONE_HIGHMEM)),
			  ZONE(ZONE_HIGHMEM)->present_pages);
	release_all(pages, n);
	vm_exit();
}
END_TEST

START_TEST(test_atomic_reserve)
{
	static struct page *pages[20000];
	int n, extra;
	zone_t *dma = ZONE(ZONE_DMA);

	/* One zone keeps the arithmetic plain. */
	vm_test_boot(MiB(8), 0, KMAP_DIRECT);
	n = grab_all(GFP_KERNEL, pages, 20000, NULL);
	/* A waiting caller stops at pages_min... */
	ck_assert_uint_ge(zone_free_pages(dma), dma->pages_min);
	ck_assert_uint_le(zone_free_pages(dma), dma->pages_min + 1);
	/* ...an atomic one may go down to a quarter of it, and no further. */
	extra = grab_all(GFP_ATOMIC, pages + n, 20000 - n, NULL);
	ck_assert_int_gt(extra, 0);
	ck_assert_uint_ge(zone_free_pages(dma), dma->pages_min / 4);
	ck_assert_uint_le(zone_free_pages(dma), dma->pages_min / 4 + 1);
	/* A reclaimer (PF_MEMALLOC) may take the rest. */
	current->flags |= PF_MEMALLOC;
	n += extra;
	n += grab_all(GFP_ATOMIC, pages + n, 20000 - n, NULL);
	current->flags &= ~PF_MEMALLOC;
	ck_assert_uint_eq(zone_free_pages(dma), 0);
	ck_assert_uint_gt(sum_vm_event(PGALLOC_FAIL), 0);
	release_all(pages, n);
	vm_exit();
}
END_TEST

/* ---- reclaim hooks ---------------------------------------------------- */

static int kswapd_wakeups, reclaim_calls;
static struct page *stash[64];
static int nstash;

static void test_wakeup_kswapd(zone_t *z)
{
	(void)z;
	__atomic_fetch_add(&kswapd_wakeups, 1, __ATOMIC_RELAXED);
}

/* "Reclaims" by giving back pages the test set aside. */
static int test_try_to_free(zone_t *z, unsigned int gfp, unsigned int order)
{
	int freed = 0;

	(void)z;
	(void)order;
	ck_assert(gfp & __GFP_WAIT);
	ck_assert(current->flags & PF_MEMALLOC);
	reclaim_calls++;
	while (nstash > 0 && freed < 16) {
		__free_page(stash[--nstash]);
		freed++;
	}
	return freed;
}

START_TEST(test_reclaim_hooks)
{
	static const struct vm_reclaim_ops ops = {
		.wakeup_kswapd = test_wakeup_kswapd,
		.try_to_free_pages = test_try_to_free,
	};
	static struct page *pages[4000];
	struct page *p;
	int n;

	vm_test_boot(MiB(8), 0, KMAP_DIRECT);
	vm_set_reclaim_ops(&ops);
	n = grab_all(GFP_ATOMIC, pages, 4000, NULL);
	ck_assert_int_gt(kswapd_wakeups, 0);
	ck_assert_int_eq(reclaim_calls, 0);	/* atomic never reclaims */
	for (nstash = 0; nstash < 64; nstash++)
		stash[nstash] = pages[--n];
	/* Still below the marks: only reclaim can satisfy a waiting caller. */
	p = alloc_page(GFP_KERNEL);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_gt(reclaim_calls, 0);
	ck_assert_uint_gt(sum_vm_event(ALLOCSTALL), 0);
	ck_assert_int_eq(current->flags & PF_MEMALLOC, 0);
	__free_page(p);
	release_all(stash, nstash);
	release_all(pages, n);
	vm_set_reclaim_ops(NULL);
	vm_exit();
}
END_TEST

/* "Reclaims" one set-aside page per call: slow progress. */
static int test_free_one(zone_t *z, unsigned int gfp, unsigned int order)
{
	(void)z;
	(void)gfp;
	(void)order;
	reclaim_calls++;
	if (!nstash)
		return 0;
	__free_page(stash[--nstash]);
	return 1;
}

/* Reclaim that keeps freeing, however slowly, is waited for: the
 * allocation succeeds after more tries than a stalled caller gets. */
START_TEST(test_slow_reclaim_is_waited_for)
{
	static const struct vm_reclaim_ops ops = {
		.wakeup_kswapd = test_wakeup_kswapd,
		.try_to_free_pages = test_free_one,
	};
	static struct page *pages[4000];
	struct page *p;
	int n;

	vm_test_boot(MiB(8), 0, KMAP_DIRECT);
	vm_set_reclaim_ops(&ops);
	reclaim_calls = 0;
	n = grab_all(GFP_ATOMIC, pages, 4000, NULL);
	for (nstash = 0; nstash < 64; nstash++)
		stash[nstash] = pages[--n];
	p = alloc_page(GFP_KERNEL);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_gt(reclaim_calls, 8);	/* past the stalled caller's tries */
	__free_page(p);
	release_all(stash, nstash);
	release_all(pages, n);
	vm_set_reclaim_ops(NULL);
	vm_exit();
}
END_TEST

START_TEST(test_wait_without_reclaim_gives_null)
{
	static struct page *pages[4000];
	int n;

	vm_test_boot(MiB(8), 0, KMAP_DIRECT);
	n = grab_all(GFP_KERNEL, pages, 4000, NULL);
	/* No reclaim installed: retries, then NULL; counters say so. */
	ck_assert_ptr_null(alloc_page(GFP_KERNEL));
	ck_assert_uint_gt(sum_vm_event(ALLOC_RETRY), 0);
	ck_assert_uint_gt(ZONE(ZONE_DMA)->nr_alloc_fail, 0);
	release_all(pages, n);
	vm_exit();
}
END_TEST

/* ---- orders and wrappers --------------------------------------------- */

START_TEST(test_orders_aligned)
{
	unsigned int order;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	for (order = 0; order < MAX_ORDER; order++) {
		struct page *p = alloc_pages(GFP_KERNEL, order);
		unsigned long idx;

		ck_assert_ptr_nonnull(p);
		idx = (unsigned long)(p - page_zone(p)->zone_mem_map);
		ck_assert_uint_eq(idx & ((1UL << order) - 1), 0);
		/* All of the block is addressable and writable. */
		memset(page_address(p), 0xaa, PAGE_SIZE << order);
		__free_pages(p, order);
	}
	ck_assert_ptr_null(alloc_pages(GFP_KERNEL, MAX_ORDER));
	vm_exit();
}
END_TEST

START_TEST(test_get_free_pages)
{
	unsigned char *a, *z;
	int i;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	a = __get_free_pages(GFP_KERNEL, 2);
	ck_assert_ptr_nonnull(a);
	ck_assert(virt_addr_valid(a));
	ck_assert_ptr_eq(page_address(virt_to_page(a)), a);
	free_pages(a, 2);
	z = get_zeroed_page(GFP_KERNEL);
	for (i = 0; i < (int)PAGE_SIZE; i++)
		ck_assert_int_eq(z[i], 0);
	free_page(z);
	free_pages(NULL, 0);	/* a no-op, as in the kernel */
	vm_exit();
}
END_TEST

/* ---- what must BUG ---------------------------------------------------- */

static void double_free(void *arg)
{
	struct page *p;

	(void)arg;
	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	p = alloc_page(GFP_KERNEL);
	__free_page(p);
	__free_page(p);
}

static void write_after_free(void *arg)
{
	struct page *p;
	char *addr;

	(void)arg;
	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	p = alloc_page(GFP_KERNEL);
	addr = page_address(p);
	__free_page(p);
	addr[100] = 1;
	/* The hot list hands the same page back: poison check fires. */
	p = alloc_page(GFP_KERNEL);
}

static void high_page_address(void *arg)
{
	(void)arg;
	vm_test_boot(MiB(32), MiB(16), KMAP_DIRECT);
	page_address(alloc_page(GFP_HIGHUSER));
}

START_TEST(test_bugs_fire)
{
	ck_assert(vm_test_dies_with(double_free, NULL, SIGABRT));
	ck_assert(vm_test_dies_with(write_after_free, NULL, SIGABRT));
	ck_assert(vm_test_dies_with(high_page_address, NULL, SIGABRT));
}
END_TEST

static Suite *buddy_suite(void)
{
	Suite *s = suite_create("buddy");
	TCase *tc = tcase_create("buddy");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_zone_layout);
	tcase_add_test(tc, test_tiny_arena_fewer_zones);
	tcase_add_test(tc, test_watermarks_formula);
	tcase_add_test(tc, test_random_against_shadow);
	tcase_add_test(tc, test_gfp_dma_only_from_dma);
	tcase_add_test(tc, test_gfp_fallback_order);
	tcase_add_test(tc, test_kernel_never_highmem);
	tcase_add_test(tc, test_atomic_reserve);
	tcase_add_test(tc, test_reclaim_hooks);
	tcase_add_test(tc, test_wait_without_reclaim_gives_null);
	tcase_add_test(tc, test_slow_reclaim_is_waited_for);
	tcase_add_test(tc, test_orders_aligned);
	tcase_add_test(tc, test_get_free_pages);
	tcase_add_test(tc, test_bugs_fire);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(buddy_suite)
