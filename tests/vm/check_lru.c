/*
 * tests/vm/check_lru.c - the two LRU lists: two touches to activate,
 * refill_inactive's rotation and demotion, the book's 2/3 balance rule in
 * shrink_caches, what shrink_cache frees, skips and writes, and the
 * two-list property: a hot set read repeatedly survives a one-pass scan
 * of four times the arena, and does not without mark_page_accessed.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tests/vm/pagecache_test.h"
#include "vm/vmstat.h"

#define NORMAL_ZONE	(&contig_page_data.node_zones[ZONE_NORMAL])
#define DMA_ZONE	(&contig_page_data.node_zones[ZONE_DMA])
#define HIGH_ZONE	(&contig_page_data.node_zones[ZONE_HIGHMEM])

START_TEST(test_two_touches_activate)
{
	struct store_mapping sm;
	unsigned long act0;
	struct page *p;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	store_init(&sm, 4, GFP_HIGHUSER, 0, 1);
	act0 = sum_vm_event(PGACTIVATE);
	p = store_read_page(&sm, 1);
	ck_assert_int_eq(page_lru(p), LRU_INACTIVE);
	ck_assert(!PageReferenced(p));
	mark_page_accessed(p);
	ck_assert_int_eq(page_lru(p), LRU_INACTIVE);
	ck_assert(PageReferenced(p));
	mark_page_accessed(p);
	ck_assert_int_eq(page_lru(p), LRU_ACTIVE);
	ck_assert_uint_eq(sum_vm_event(PGACTIVATE) - act0, 1);
	/* Further touches on an active page only mark it. */
	mark_page_accessed(p);
	ck_assert(PageReferenced(p));
	ck_assert_uint_eq(sum_vm_event(PGACTIVATE) - act0, 1);
	ck_assert_uint_eq(nr_active_pages, 1);
	ck_assert_uint_eq(nr_inactive_pages, 0);
	deactivate_page(p);
	ck_assert_int_eq(page_lru(p), LRU_INACTIVE);
	page_cache_release(p);
	store_destroy(&sm);
	vm_exit();
}
END_TEST

static void activate(struct page *p)
{
	mark_page_accessed(p);
	mark_page_accessed(p);
	ClearPageReferenced(p);
	ck_assert_int_eq(page_lru(p), LRU_ACTIVE);
}

START_TEST(test_refill_inactive)
{
	struct store_mapping sm;
	struct page *p[10];
	unsigned long deact0;
	int i;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	store_init(&sm, 10, GFP_HIGHUSER, 0, 1);
	for (i = 0; i < 10; i++) {
		p[i] = store_read_page(&sm, (unsigned long)i);
		activate(p[i]);		/* 0 ends at the tail */
	}
	deact0 = sum_vm_event(PGDEACTIVATE);
	SetPageReferenced(p[0]);
	SetPageReferenced(p[1]);
	refill_inactive(3);
	/* Referenced pages went round, their bit cleared; the next three
	 * from the tail went down, marked referenced. */
	for (i = 0; i < 10; i++) {
		int down = i >= 2 && i <= 4;

		ck_assert_int_eq(page_lru(p[i]), down ? LRU_INACTIVE : LRU_ACTIVE);
		ck_assert_int_eq(!!PageReferenced(p[i]), down);
	}
	ck_assert_uint_eq(sum_vm_event(PGDEACTIVATE) - deact0, 3);
	ck_assert_uint_eq(nr_active_pages, 7);
	ck_assert_uint_eq(nr_inactive_pages, 3);
	for (i = 0; i < 10; i++)
		page_cache_release(p[i]);
	store_destroy(&sm);
	vm_exit();
}
END_TEST

START_TEST(test_balance_rule)
{
	struct store_mapping sm;
	struct page *p;
	unsigned long deact0;
	int i, left;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	store_init(&sm, 450, GFP_HIGHUSER, 0, 1);
	for (i = 0; i < 450; i++) {
		p = store_read_page(&sm, (unsigned long)i);
		if (i >= 150)
			activate(p);
		page_cache_release(p);
	}
	ck_assert_uint_eq(nr_active_pages, 300);
	ck_assert_uint_eq(nr_inactive_pages, 150);
	deact0 = sum_vm_event(PGDEACTIVATE);
	/* ratio = 32 * 300 / ((150 + 1) * 2) = 31 pages move down; then
	 * shrink_cache scans (150 + 31) / 6 = 30 from the inactive tail, the
	 * clean unreferenced ones, and frees them. */
	left = shrink_caches(DMA_ZONE, DEF_PRIORITY, GFP_KERNEL, SWAP_CLUSTER_MAX);
	ck_assert_uint_eq(sum_vm_event(PGDEACTIVATE) - deact0, 31);
	ck_assert_uint_eq(nr_active_pages, 300 - 31);
	ck_assert_int_eq(left, SWAP_CLUSTER_MAX - 30);
	ck_assert_uint_eq(nr_inactive_pages, 150 + 31 - 30);
	store_destroy(&sm);
	vm_exit();
}
END_TEST

START_TEST(test_shrink_cache_choices)
{
	struct store_mapping sm;
	struct page *p[8];
	unsigned long steal0, scan0;
	int i, left;

	/* DMA and NORMAL low, HIGHMEM above: 7 file pages in HIGHMEM, one low. */
	vm_test_boot(MiB(32), MiB(16), KMAP_DIRECT);
	store_init(&sm, 8, GFP_HIGHUSER, 0, 1);
	for (i = 0; i < 8; i++)
		p[i] = store_read_page(&sm, (unsigned long)i);
	/* 0 clean  1 referenced  2 locked  3 dirty  4 under writeback
	 * 5 held   6 clean       7 clean */
	SetPageReferenced(p[1]);
	lock_page(p[2]);
	set_page_dirty(p[3]);
	sm.defer_writeback = 1;
	set_page_dirty(p[4]);
	lock_page(p[4]);
	ck_assert(clear_page_dirty_for_io(p[4]));
	sm.mapping.a_ops->writepage(p[4], WB_SYNC_NONE);
	for (i = 0; i < 8; i++)
		if (i != 5)
			page_cache_release(p[i]);
	steal0 = sum_vm_event(PGSTEAL);
	scan0 = sum_vm_event(PGSCAN);

	/* A NORMAL classzone may not take HIGHMEM pages: nothing freed. */
	left = shrink_cache(100, NORMAL_ZONE, GFP_KERNEL, 1);
	ck_assert_int_eq(left, 100);
	ck_assert_uint_eq(sm.mapping.nrpages, 8);
	ck_assert_uint_eq(sum_vm_event(PGSCAN) - scan0, 8);

	/* HIGHMEM: 0, 6, 7 go; 1 goes round; 3 is written, not freed. */
	left = shrink_cache(100, HIGH_ZONE, GFP_KERNEL, 1);
	ck_assert_int_eq(left, 97);
	ck_assert_uint_eq(sum_vm_event(PGSTEAL) - steal0, 3);
	ck_assert_uint_eq(sm.mapping.nrpages, 5);
	ck_assert_int_eq(sm.writes, 2);			/* 4 by us, 3 by reclaim */
	ck_assert(PageWriteback(p[3]) && !PageDirty(p[3]));
	ck_assert(!PageReferenced(p[1]));
	for (i = 0; i < 8; i++) {
		struct page *q = find_get_page(&sm.mapping, (unsigned long)i);

		ck_assert_int_eq(!!q, i >= 1 && i <= 5);
		if (q)
			page_cache_release(q);
	}
	/* Writes done, lock dropped, hold released: all can go now. */
	store_complete_deferred(&sm, 0);
	unlock_page(p[2]);
	page_cache_release(p[5]);
	left = shrink_cache(100, HIGH_ZONE, GFP_KERNEL, 1);
	ck_assert_int_eq(left, 95);
	ck_assert_uint_eq(sm.mapping.nrpages, 0);
	ck_assert_uint_eq(nr_inactive_pages, 0);
	store_destroy(&sm);
	vm_exit();
}
END_TEST

/* ---- the two-list property ---------------------------------------------- */

#define HOT_PAGES	256
#define HOT_EVERY	128	/* scan pages between two reads of the hot set */

/* A read as a file read does it, with or without mark_page_accessed.
 * Returns 1 on a miss. */
static int touch(struct store_mapping *sm, unsigned long index, int mark)
{
	struct page *p = find_get_page(&sm->mapping, index);
	int miss = !p;

	if (!p)
		p = store_read_page(sm, index);
	ck_assert_int_eq(page_byte(p, 11), store_pat(index * PAGE_SIZE + 11, 0));
	if (mark)
		mark_page_accessed(p);
	page_cache_release(p);
	return miss;
}

/* Hot-set misses after the first round, during a scan of 4x the arena. */
static unsigned long hot_misses(int mark)
{
	static struct store_mapping hot, scan;
	unsigned long scan_pages = 4 * (MiB(16) >> PAGE_SHIFT), i, misses = 0;
	unsigned long h;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	store_init(&hot, HOT_PAGES, GFP_HIGHUSER, 0, 0);
	store_init(&scan, scan_pages, GFP_HIGHUSER, 0, 0);
	for (h = 0; h < HOT_PAGES; h++)
		touch(&hot, h, mark);
	for (i = 0; i < scan_pages; i++) {
		touch(&scan, i, mark);
		if (i % HOT_EVERY == HOT_EVERY - 1)
			for (h = 0; h < HOT_PAGES; h++)
				misses += (unsigned long)touch(&hot, h, mark);
	}
	ck_assert_uint_gt(sum_vm_event(PGSTEAL), scan_pages / 2);
	store_destroy(&scan);
	store_destroy(&hot);
	vm_exit();
	return misses;
}

START_TEST(test_hot_set_survives_scan)
{
	unsigned long with = hot_misses(1), without = hot_misses(0);
	unsigned long rounds = 4 * (MiB(16) >> PAGE_SHIFT) / HOT_EVERY;

	fprintf(stderr, "hot misses: with %lu without %lu\n", with, without);

	ck_assert_msg(with <= HOT_PAGES / 16,
		      "hot set lost %lu pages with mark_page_accessed", with);
	ck_assert_msg(without >= HOT_PAGES * 2,
		      "hot set lost only %lu pages in %lu rounds without it", without, rounds);
}
END_TEST

static Suite *lru_suite(void)
{
	Suite *s = suite_create("lru");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_two_touches_activate);
	tcase_add_test(tc, test_refill_inactive);
	tcase_add_test(tc, test_balance_rule);
	tcase_add_test(tc, test_shrink_cache_choices);
	tcase_add_test(tc, test_hot_set_survives_scan);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(lru_suite)
