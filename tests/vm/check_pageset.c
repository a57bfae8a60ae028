/*
 * tests/vm/check_pageset.c - the per-thread hot/cold page lists: LIFO hot
 * reuse, cold requests, batched refill and give-back, draining, and the
 * drain when a thread exits.
 */
#include <check.h>
#include <pthread.h>
#include "tests/vm/vm_test.h"
#include "vm/mm.h"
#include "vm/pageset.h"
#include "vm/vmstat.h"

#define NORMAL	(&contig_page_data.node_zones[ZONE_NORMAL])

static struct per_cpu_pages *my_pcp(zone_t *z, int cold)
{
	return &z->pageset[smp_processor_id()].pcp[cold];
}

START_TEST(test_hot_page_reused_first)
{
	struct page *a, *b;

	vm_test_boot(MiB(64), MiB(64), KMAP_DIRECT);
	a = alloc_page(GFP_KERNEL);
	__free_page(a);
	b = alloc_page(GFP_KERNEL);
	ck_assert_ptr_eq(a, b);		/* the cache-hot page comes back */
	__free_page(b);
	vm_exit();
}
END_TEST

START_TEST(test_batched_refill)
{
	struct per_cpu_pages *hot;
	unsigned long before;
	struct page *p;

	/* 64 MiB low: NORMAL 12288 frames -> batch 3, hot low 6 high 18. */
	vm_test_boot(MiB(64), MiB(64), KMAP_DIRECT);
	drain_all_pages();
	hot = my_pcp(NORMAL, 0);
	ck_assert_int_eq(hot->batch, 3);
	ck_assert_int_eq(hot->high, 18);
	before = zone_free_pages(NORMAL);
	p = alloc_page(GFP_KERNEL);
	ck_assert_ptr_eq(page_zone(p), NORMAL);
	/* One trip to the zone moved a whole batch; one page was used. */
	ck_assert_uint_eq(zone_free_pages(NORMAL), before - 3);
	ck_assert_int_eq(hot->count, 2);
	ck_assert_uint_eq(pageset_pages(NORMAL), 2);
	__free_page(p);
	ck_assert_int_eq(hot->count, 3);
	ck_assert_uint_eq(zone_free_pages(NORMAL), before - 3);
	drain_local_pages();
	ck_assert_int_eq(hot->count, 0);
	ck_assert_uint_eq(zone_free_pages(NORMAL), before);
	vm_exit();
}
END_TEST

START_TEST(test_give_back_at_high)
{
	struct page *pages[40];
	struct per_cpu_pages *hot;
	unsigned long drains;
	int i;

	vm_test_boot(MiB(64), MiB(64), KMAP_DIRECT);
	drain_all_pages();
	hot = my_pcp(NORMAL, 0);
	for (i = 0; i < 40; i++)
		pages[i] = alloc_page(GFP_KERNEL);
	drains = sum_vm_event(PCP_DRAIN);
	for (i = 0; i < 40; i++) {
		__free_page(pages[i]);
		ck_assert_int_le(hot->count, hot->high);
	}
	ck_assert_uint_gt(sum_vm_event(PCP_DRAIN), drains);
	drain_all_pages();
	buddy_check_all();
	vm_exit();
}
END_TEST

START_TEST(test_cold_list)
{
	struct page *hot_page, *cold_page;
	struct per_cpu_pages *cold;

	vm_test_boot(MiB(64), MiB(64), KMAP_DIRECT);
	drain_all_pages();
	hot_page = alloc_page(GFP_KERNEL);
	__free_page(hot_page);
	/* A cold request leaves the hot page for someone who will touch it. */
	cold_page = alloc_page(GFP_KERNEL | __GFP_COLD);
	ck_assert_ptr_ne(cold_page, hot_page);
	cold = my_pcp(NORMAL, 1);
	ck_assert_int_eq(cold->count, cold->batch - 1);
	ck_assert_int_eq(my_pcp(NORMAL, 0)->count, 3);
	__free_page(cold_page);
	vm_exit();
}
END_TEST

static void *thread_fills_its_list(void *arg)
{
	struct page *pages[10];
	int i;

	(void)arg;
	for (i = 0; i < 10; i++)
		pages[i] = alloc_page(GFP_KERNEL);
	for (i = 0; i < 10; i++)
		__free_page(pages[i]);
	ck_assert_uint_gt(pageset_pages(NORMAL), 0);
	return NULL;
}

START_TEST(test_thread_exit_drains)
{
	pthread_t t;
	unsigned long before;

	vm_test_boot(MiB(64), MiB(64), KMAP_DIRECT);
	drain_all_pages();
	before = zone_free_pages(NORMAL);
	ck_assert_int_eq(pthread_create(&t, NULL, thread_fills_its_list, NULL), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	/* The exited thread's lists went back to the zone. */
	ck_assert_uint_eq(pageset_pages(NORMAL), 0);
	ck_assert_uint_eq(zone_free_pages(NORMAL), before);
	vm_exit();
}
END_TEST

START_TEST(test_drain_all_frees_for_a_starved_caller)
{
	static struct page *pages[20000];
	int n = 0;

	/* With lists everywhere, a starved allocator drains them and wins. */
	vm_test_boot(MiB(8), 0, KMAP_DIRECT);
	while ((pages[n] = alloc_page(GFP_KERNEL)))
		n++;
	/* Free a few: they sit on this thread's hot list, not in the zone. */
	__free_page(pages[--n]);
	__free_page(pages[--n]);
	ck_assert_ptr_nonnull(pages[n] = alloc_page(GFP_KERNEL));
	n++;
	while (n)
		__free_page(pages[--n]);
	vm_exit();
}
END_TEST

static Suite *pageset_suite(void)
{
	Suite *s = suite_create("pageset");
	TCase *tc = tcase_create("pageset");

	tcase_set_timeout(tc, 30);	/* threads; Check's 4 s is tight under TSan */
	tcase_add_test(tc, test_hot_page_reused_first);
	tcase_add_test(tc, test_batched_refill);
	tcase_add_test(tc, test_give_back_at_high);
	tcase_add_test(tc, test_cold_list);
	tcase_add_test(tc, test_thread_exit_drains);
	tcase_add_test(tc, test_drain_all_frees_for_a_starved_caller);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(pageset_suite)
