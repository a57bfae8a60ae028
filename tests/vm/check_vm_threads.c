/*
 * tests/vm/check_vm_threads.c - many threads allocating and freeing pages
 * and kmalloc objects at once.  Each block carries its owner's tag, checked
 * before it is freed; afterwards every count adds up and the free lists
 * are as they were at boot.  Built with ThreadSanitizer too (make check in
 * a --enable-sanitizers=tsan tree), where it must stay quiet.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "tests/vm/vm_test.h"
#include "vm/highmem.h"
#include "vm/mm.h"
#include "vm/pageset.h"
#include "vm/slab.h"

#define NTHREADS	4
#define SLOTS		128
#define STEPS		20000

struct slot {
	struct page *page;
	unsigned int order;
	void *obj;
	size_t size;
	unsigned long tag;
};

static void fill(void *p, size_t n, unsigned long tag)
{
	memset(p, (int)(tag & 0xff), n);
}

static int filled(const void *p, size_t n, unsigned long tag)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != (unsigned char)(tag & 0xff))
			return 0;
	return 1;
}

static void slot_free(struct slot *s)
{
	if (s->page) {
		void *va = kmap(s->page);

		ck_assert(filled(va, 64, s->tag));
		kunmap(s->page);
		__free_pages(s->page, s->order);
		s->page = NULL;
	}
	if (s->obj) {
		ck_assert(filled(s->obj, s->size, s->tag));
		kfree(s->obj);
		s->obj = NULL;
	}
}

static void *worker(void *arg)
{
	static const unsigned int gfps[] = { GFP_KERNEL, GFP_HIGHUSER, GFP_ATOMIC, GFP_NOFS };
	struct slot slots[SLOTS];
	unsigned int seed = (unsigned int)(unsigned long)arg * 7919u + 1;
	int i;

	memset(slots, 0, sizeof(slots));
	for (i = 0; i < STEPS; i++) {
		struct slot *s = &slots[rand_r(&seed) % SLOTS];
		unsigned int r = (unsigned int)rand_r(&seed);

		if (s->page || s->obj) {
			slot_free(s);
			continue;
		}
		s->tag = (unsigned long)arg * 1000003UL + (unsigned long)i;
		if (r & 1) {
			s->order = (r >> 1) % 3;
			s->page = alloc_pages(gfps[(r >> 4) % 4], s->order);
			if (s->page) {
				void *va = kmap(s->page);

				fill(va, 64, s->tag);
				kunmap(s->page);
			}
		} else {
			s->size = 1 + (r >> 1) % 3000;
			s->obj = kmalloc(s->size, GFP_KERNEL);
			if (s->obj)
				fill(s->obj, s->size, s->tag);
		}
	}
	for (i = 0; i < SLOTS; i++)
		slot_free(&slots[i]);
	return NULL;
}

static void run_workers(void)
{
	pthread_t t[NTHREADS];
	long i;

	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, (void *)(i + 1)), 0);
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
}

/*
 * Boot an arena of the given shape, run the workers, give back what the
 * caches grew, and demand the free lists be exactly as at boot.
 */
static void workers_leave_boot_state(unsigned long mem, unsigned long low,
				     enum kmap_mode mode)
{
	struct buddy_snapshot before, after;

	vm_test_boot(mem, low, mode);
	drain_all_pages();
	buddy_snapshot(&before);
	run_workers();
	while (kmem_cache_reap(GFP_KERNEL) > 0)
		;
	drain_all_pages();
	buddy_check_all();
	buddy_snapshot(&after);
	ck_assert_msg(buddy_snapshot_equal(&before, &after),
		      "free lists differ after all threads freed everything");
	vm_exit();
}

START_TEST(test_threads_pages_and_objects)
{
	workers_leave_boot_state(MiB(64), MiB(32), KMAP_DIRECT);
}
END_TEST

START_TEST(test_threads_under_pressure)
{
	/* A tight arena: allocations fail sometimes; nothing breaks or leaks. */
	workers_leave_boot_state(MiB(8), MiB(6), KMAP_STRICT);
}
END_TEST

static Suite *threads_suite(void)
{
	Suite *s = suite_create("vm_threads");
	TCase *tc = tcase_create("vm_threads");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_threads_pages_and_objects);
	tcase_add_test(tc, test_threads_under_pressure);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(threads_suite)
