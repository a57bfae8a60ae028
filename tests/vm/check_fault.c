/*
 * tests/vm/check_fault.c - injected allocation failure: the Nth and every
 * Nth allocation of a zone fail, exactly, and a failing zone makes the
 * allocator fall back along the zonelist as an empty one would.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include "tests/vm/vm_test.h"
#include "vm/fault_inject.h"
#include "vm/mm.h"
#include "vm/vmstat.h"

#define ZONE(i)	(&contig_page_data.node_zones[i])

START_TEST(test_nth_fails_once)
{
	struct page *p[10];
	int i;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	ck_assert_int_eq(zone_fault_set(ZONE_DMA, 3, 0), 0);
	for (i = 0; i < 10; i++) {
		p[i] = alloc_page(GFP_ATOMIC);
		if (i == 2)
			ck_assert_ptr_null(p[i]);
		else
			ck_assert_ptr_nonnull(p[i]);
	}
	ck_assert_uint_eq(zone_fault_count(ZONE_DMA), 1);
	for (i = 0; i < 10; i++)
		if (p[i])
			__free_page(p[i]);
	vm_exit();
}
END_TEST

START_TEST(test_every_nth)
{
	int i, fails = 0;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	zone_fault_set(ZONE_DMA, 0, 4);
	for (i = 0; i < 100; i++) {
		struct page *p = alloc_pages(GFP_ATOMIC, 1);

		if (!p)
			fails++;
		else
			__free_pages(p, 1);
	}
	ck_assert_int_eq(fails, 25);
	ck_assert_uint_eq(zone_fault_count(ZONE_DMA), 25);
	zone_fault_clear(ZONE_DMA);
	ck_assert_ptr_nonnull(alloc_page(GFP_ATOMIC));
	ck_assert_int_eq(zone_fault_set(7, 1, 0), -EINVAL);
	vm_exit();
}
END_TEST

START_TEST(test_failing_zone_falls_back)
{
	struct page *p;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	zone_fault_set(ZONE_HIGHMEM, 0, 1);
	p = alloc_page(GFP_HIGHUSER);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(zone_idx(page_zone(p)), ZONE_NORMAL);
	__free_page(p);
	zone_fault_set(ZONE_NORMAL, 0, 1);
	p = alloc_page(GFP_HIGHUSER);
	ck_assert_int_eq(zone_idx(page_zone(p)), ZONE_DMA);
	__free_page(p);
	zone_fault_set(ZONE_DMA, 0, 1);
	/* Nothing left: NULL, counted, for waiting callers too. */
	ck_assert_ptr_null(alloc_page(GFP_HIGHUSER));
	ck_assert_ptr_null(alloc_page(GFP_ATOMIC));
	ck_assert_uint_ge(sum_vm_event(PGALLOC_FAIL), 2);
	zone_fault_clear_all();
	p = alloc_page(GFP_HIGHUSER);
	ck_assert_int_eq(zone_idx(page_zone(p)), ZONE_HIGHMEM);
	__free_page(p);
	vm_exit();
}
END_TEST

START_TEST(test_counts_once_per_request)
{
	/* A request that looks at a zone on several passes counts once. */
	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	zone_fault_set(ZONE_DMA, 0, 1);
	ck_assert_ptr_null(alloc_page(GFP_KERNEL));
	ck_assert_uint_eq(zone_fault_count(ZONE_DMA), 1);
	vm_exit();
}
END_TEST

static void *alloc_loop(void *arg)
{
	int i, *fails = arg;

	for (i = 0; i < 3000; i++) {
		struct page *p = alloc_page(GFP_ATOMIC);

		if (!p)
			__atomic_fetch_add(fails, 1, __ATOMIC_RELAXED);
		else
			__free_page(p);
	}
	return NULL;
}

START_TEST(test_every_nth_across_threads)
{
	pthread_t t[4];
	int i, fails = 0;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	zone_fault_set(ZONE_DMA, 0, 3);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, alloc_loop, &fails), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(fails, 4000);
	vm_exit();
}
END_TEST

static Suite *fault_suite(void)
{
	Suite *s = suite_create("fault_inject");
	TCase *tc = tcase_create("fault_inject");

	tcase_set_timeout(tc, 30);	/* threads; Check's 4 s is tight under TSan */
	tcase_add_test(tc, test_nth_fails_once);
	tcase_add_test(tc, test_every_nth);
	tcase_add_test(tc, test_failing_zone_falls_back);
	tcase_add_test(tc, test_counts_once_per_request);
	tcase_add_test(tc, test_every_nth_across_threads);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(fault_suite)
