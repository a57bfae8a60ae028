/*
 * tests/vm/check_bounce.c - bounce buffers and emergency pools (book 10.4,
 * 10.5): create_bounce copies down and up through kmap_atomic, low pages
 * pass through, bounce pages come from within the reach, the pools take
 * over when the allocators fail and sleepers wait for a refill, and 256
 * concurrent high-page writes and reads through a real device complete
 * from the pools with every low allocation failing.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include "tests/blockdev/blk_test.h"
#include "vm/bounce.h"
#include "vm/fault_inject.h"
#include "vm/highmem.h"
#include "vm/mm.h"
#include "vm/seq_buf.h"
#include "vm/vmstat.h"

static unsigned long dma_end(void)
{
	const zone_t *z = &contig_page_data.node_zones[ZONE_DMA];

	return z->zone_start_mapnr + z->size;
}

static void pools_are(int pages, int bhs)
{
	struct bounce_pool_stats st;

	bounce_get_pool_stats(&st);
	ck_assert_int_eq(st.nr_emergency_pages, pages);
	ck_assert_int_eq(st.nr_emergency_bhs, bhs);
}

static void fail_low_allocations(void)
{
	zone_fault_set(ZONE_DMA, 0, 1);
	zone_fault_set(ZONE_NORMAL, 0, 1);
}

/* An original bh on page at offset, with a completion that records. */
struct orig {
	struct buffer_head *bh;
	int calls, uptodate;
};

static void orig_end_io(struct buffer_head *bh, int uptodate)
{
	struct orig *o = bh->b_private;

	__atomic_add_fetch(&o->calls, 1, __ATOMIC_SEQ_CST);
	o->uptodate = uptodate;
	unlock_buffer(bh);
}

static void orig_init(struct orig *o, struct page *page, unsigned int offset,
		      unsigned int size)
{
	memset(o, 0, sizeof(*o));
	o->bh = alloc_buffer_head(GFP_KERNEL);
	ck_assert_ptr_nonnull(o->bh);
	o->bh->b_size = size;
	o->bh->b_blocknr = 7;
	o->bh->b_rsector = 7 * (size >> 9);
	set_bh_page(o->bh, page, offset);
	o->bh->b_private = o;
	o->bh->b_end_io = orig_end_io;
	set_buffer_locked(o->bh);
}

static void fill_page(struct page *page, unsigned char seed)
{
	unsigned char buf[PAGE_SIZE];
	unsigned int i;

	for (i = 0; i < PAGE_SIZE; i++)
		buf[i] = (unsigned char)(i * 7 + seed);
	memcpy_to_page(page, 0, buf, PAGE_SIZE);
}

START_TEST(test_pools_filled_at_boot)
{
	char buf[256];
	struct seq_buf s;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	pools_are(POOL_SIZE, POOL_SIZE);
	seq_buf_init(&s, buf, sizeof(buf));
	bounce_render(&s);
	ck_assert_int_eq(seq_buf_result(&s), 0);
	ck_assert_str_eq(buf, "nr_emergency_pages 32\nnr_emergency_bhs 32\n");
	vm_exit();
}
END_TEST

/* _i: kmap mode.  A write copies down at once; completion recycles. */
START_TEST(test_write_copies_down)
{
	unsigned char got[1024], want[1024];
	struct page *high;
	struct buffer_head *b;
	struct orig o;
	unsigned int i;

	vm_test_boot(MiB(64), MiB(32), _i ? KMAP_STRICT : KMAP_DIRECT);
	high = alloc_page(GFP_HIGHUSER);
	ck_assert(PageHighMem(high));
	fill_page(high, 3);
	orig_init(&o, high, 2048, 1024);
	b = create_bounce(WRITE, o.bh, max_low_pfn);
	ck_assert_ptr_ne(b, o.bh);
	ck_assert(buffer_bounce(b) && buffer_locked(b));
	ck_assert_ptr_eq(b->b_private, o.bh);
	ck_assert_uint_lt(page_to_pfn(b->b_page), max_low_pfn);
	ck_assert(PageBounce(b->b_page));
	ck_assert_uint_eq(b->b_rsector, o.bh->b_rsector);
	ck_assert_uint_eq(b->b_size, 1024);
	memcpy(got, b->b_data, sizeof(got));
	for (i = 0; i < sizeof(want); i++)
		want[i] = (unsigned char)((2048 + i) * 7 + 3);
	ck_assert_int_eq(memcmp(got, want, sizeof(got)), 0);
	ck_assert_uint_eq(sum_vm_event(BOUNCE_WRITE), 1);

	b->b_error = 0;
	b->b_end_io(b, 1);
	ck_assert_int_eq(o.calls, 1);
	ck_assert_int_eq(o.uptodate, 1);
	ck_assert(!buffer_locked(o.bh));
	pools_are(POOL_SIZE, POOL_SIZE);
	free_buffer_head(o.bh);
	__free_page(high);
	vm_exit();
}
END_TEST

/* _i: kmap mode.  A read copies up on success only; errors carry over. */
START_TEST(test_read_copies_up)
{
	unsigned char got[2048];
	struct page *high;
	struct buffer_head *b;
	struct orig o;

	vm_test_boot(MiB(64), MiB(32), _i ? KMAP_STRICT : KMAP_DIRECT);
	high = alloc_page(GFP_HIGHUSER);
	fill_page(high, 0);
	orig_init(&o, high, 2048, 2048);
	b = create_bounce(READ, o.bh, max_low_pfn);
	ck_assert_uint_eq(sum_vm_event(BOUNCE_READ), 1);
	memset(b->b_data, 0xab, 2048);
	b->b_end_io(b, 1);
	memcpy_from_page(got, high, 2048, 2048);
	ck_assert(got[0] == 0xab && got[2047] == 0xab);
	memcpy_from_page(got, high, 0, 2048);
	ck_assert(got[5] == 35);			/* the other half untouched */

	set_buffer_locked(o.bh);
	b = create_bounce(READ, o.bh, max_low_pfn);
	memset(b->b_data, 0xcd, 2048);
	b->b_error = -EIO;
	set_buffer_error(b);
	b->b_end_io(b, 0);
	ck_assert_int_eq(o.calls, 2);
	ck_assert_int_eq(o.uptodate, 0);
	ck_assert_int_eq(o.bh->b_error, -EIO);
	ck_assert(buffer_error(o.bh));
	memcpy_from_page(got, high, 2048, 2048);
	ck_assert(got[0] == 0xab);			/* nothing copied up */
	pools_are(POOL_SIZE, POOL_SIZE);
	free_buffer_head(o.bh);
	__free_page(high);
	vm_exit();
}
END_TEST

START_TEST(test_reach_decides)
{
	struct page *normal, *high;
	struct buffer_head *b;
	struct orig o;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	normal = blk_test_page(ZONE_NORMAL);
	high = blk_test_page(ZONE_HIGHMEM);
	orig_init(&o, normal, 0, 4096);
	ck_assert_ptr_eq(create_bounce(WRITE, o.bh, max_low_pfn), o.bh);
	ck_assert_ptr_eq(create_bounce(READ, o.bh, max_pfn), o.bh);
	/* A DMA-only device: the NORMAL page bounces into ZONE_DMA. */
	b = create_bounce(WRITE, o.bh, dma_end());
	ck_assert_ptr_ne(b, o.bh);
	ck_assert_int_eq(zone_idx(page_zone(b->b_page)), ZONE_DMA);
	b->b_end_io(b, 1);
	set_buffer_locked(o.bh);
	set_bh_page(o.bh, high, 0);
	ck_assert_ptr_eq(create_bounce(WRITE, o.bh, max_pfn), o.bh);
	b = create_bounce(WRITE, o.bh, dma_end());
	ck_assert_int_eq(zone_idx(page_zone(b->b_page)), ZONE_DMA);
	b->b_end_io(b, 1);
	ck_assert_uint_eq(sum_vm_event(BOUNCE_WRITE), 2);
	ck_assert_uint_eq(sum_vm_event(EMERGENCY_PAGE_HIT), 0);
	free_buffer_head(o.bh);
	__free_page(normal);
	__free_page(high);
	vm_exit();
}
END_TEST

static int flusher_calls;

static void count_flusher(void)
{
	__atomic_add_fetch(&flusher_calls, 1, __ATOMIC_SEQ_CST);
}

/* Allocators failing: the pools serve, the flusher is woken, and the
 * pools refill up to POOL_SIZE and no further. */
START_TEST(test_pool_fallback_and_refill)
{
	struct buffer_head *b[POOL_SIZE + 1];
	struct page *high;
	struct orig o[POOL_SIZE + 1];
	int i;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	bounce_set_wakeup_flusher(count_flusher);
	high = alloc_page(GFP_HIGHUSER);
	for (i = 0; i <= POOL_SIZE; i++)
		orig_init(&o[i], high, 0, 4096);
	/* The cache may still hold free buffer heads; drain it first. */
	fail_low_allocations();
	for (i = 0; i < POOL_SIZE; i++) {
		b[i] = create_bounce(WRITE, o[i].bh, max_low_pfn);
		ck_assert_int_lt(zone_idx(page_zone(b[i]->b_page)), ZONE_HIGHMEM);
	}
	pools_are(0, POOL_SIZE - (int)sum_vm_event(EMERGENCY_BH_HIT));
	ck_assert_uint_eq(sum_vm_event(EMERGENCY_PAGE_HIT), POOL_SIZE);
	ck_assert_int_ge(flusher_calls, POOL_SIZE);
	zone_fault_clear_all();
	b[POOL_SIZE] = create_bounce(WRITE, o[POOL_SIZE].bh, max_low_pfn);
	ck_assert_uint_eq(sum_vm_event(EMERGENCY_PAGE_HIT), POOL_SIZE);
	for (i = 0; i <= POOL_SIZE; i++)
		b[i]->b_end_io(b[i], 1);
	pools_are(POOL_SIZE, POOL_SIZE);
	for (i = 0; i <= POOL_SIZE; i++) {
		ck_assert_int_eq(o[i].calls, 1);
		free_buffer_head(o[i].bh);
	}
	__free_page(high);
	bounce_set_wakeup_flusher(NULL);
	vm_exit();
}
END_TEST

struct waiter {
	struct orig o;
	struct buffer_head *b;
	int done;
};

static void *bounce_waiter(void *arg)
{
	struct waiter *w = arg;

	w->b = create_bounce(READ, w->o.bh, max_low_pfn);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * The waiter has slept on the pool, given up after EMERGENCY_WAIT_MS,
 * tried the allocator with reclaim (failing: fail_low_allocations) and
 * gone back to sleep - without returning.  Waits for the count of pool
 * sleeps to pass waits + 2, or for the waiter to return, whichever comes
 * first: a waiter that returns without a refill is caught however fast
 * or slow the machine is.
 */
static void still_waiting(struct waiter *w, unsigned long waits)
{
	ck_assert_msg(vm_test_wait_for(__atomic_load_n(&w->done, __ATOMIC_SEQ_CST) ||
				       sum_vm_event(EMERGENCY_WAIT) >= waits + 2, 60),
		      "the waiter neither slept twice nor returned");
	ck_assert_msg(!__atomic_load_n(&w->done, __ATOMIC_SEQ_CST),
		      "create_bounce() returned with the pool empty");
}

/* Empty pool: the next bounce sleeps until a completion refills it. */
START_TEST(test_empty_pool_waits_for_refill)
{
	struct buffer_head *b[POOL_SIZE];
	struct orig o[POOL_SIZE];
	struct waiter w;
	struct page *high;
	unsigned long waits;
	pthread_t t;
	int i;

	vm_test_boot(MiB(64), MiB(32), _i ? KMAP_STRICT : KMAP_DIRECT);
	high = alloc_page(GFP_HIGHUSER);
	for (i = 0; i < POOL_SIZE; i++)
		orig_init(&o[i], high, 0, 4096);
	orig_init(&w.o, high, 0, 4096);
	w.done = 0;
	fail_low_allocations();
	for (i = 0; i < POOL_SIZE; i++)
		b[i] = create_bounce(READ, o[i].bh, max_low_pfn);
	pools_are(0, POOL_SIZE - (int)sum_vm_event(EMERGENCY_BH_HIT));
	waits = sum_vm_event(EMERGENCY_WAIT);
	ck_assert_int_eq(pthread_create(&t, NULL, bounce_waiter, &w), 0);
	still_waiting(&w, waits);
	b[0]->b_end_io(b[0], 1);			/* refills one page */
	pthread_join(t, NULL);
	ck_assert_int_eq(w.done, 1);
	ck_assert_ptr_nonnull(w.b);
	for (i = 1; i < POOL_SIZE; i++)
		b[i]->b_end_io(b[i], 1);
	w.b->b_end_io(w.b, 1);
	zone_fault_clear_all();
	pools_are(POOL_SIZE, POOL_SIZE);
	for (i = 0; i < POOL_SIZE; i++)
		free_buffer_head(o[i].bh);
	free_buffer_head(w.o.bh);
	__free_page(high);
	vm_exit();
}
END_TEST

static void *dma_bounce_waiter(void *arg)
{
	struct waiter *w = arg;

	w->b = create_bounce(WRITE, w->o.bh, dma_end());
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* A DMA-only device never gets a pool page from ZONE_NORMAL: it waits. */
START_TEST(test_dma_only_skips_normal_pool_pages)
{
	struct buffer_head *b[POOL_SIZE], *nb;
	struct orig o[POOL_SIZE], no;
	struct page *high, *normal;
	struct bounce_pool_stats st;
	struct waiter w;
	unsigned long waits;
	pthread_t t;
	int i;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	high = alloc_page(GFP_HIGHUSER);
	normal = blk_test_page(ZONE_NORMAL);
	for (i = 0; i < POOL_SIZE; i++)
		orig_init(&o[i], high, 0, 4096);
	orig_init(&no, high, 0, 4096);
	orig_init(&w.o, normal, 0, 4096);
	w.done = 0;
	fail_low_allocations();
	for (i = 0; i < POOL_SIZE; i++)
		b[i] = create_bounce(WRITE, o[i].bh, max_low_pfn);
	zone_fault_clear(ZONE_NORMAL);
	nb = create_bounce(WRITE, no.bh, max_low_pfn);
	ck_assert_int_eq(zone_idx(page_zone(nb->b_page)), ZONE_NORMAL);
	zone_fault_set(ZONE_NORMAL, 0, 1);
	nb->b_end_io(nb, 1);				/* the pool: one NORMAL page */
	pools_are(1, (int)(POOL_SIZE + 1 - sum_vm_event(EMERGENCY_BH_HIT)));

	waits = sum_vm_event(EMERGENCY_WAIT);
	ck_assert_int_eq(pthread_create(&t, NULL, dma_bounce_waiter, &w), 0);
	still_waiting(&w, waits);
	bounce_get_pool_stats(&st);
	ck_assert_int_eq(st.nr_emergency_pages, 1);	/* the NORMAL page stays */
	b[0]->b_end_io(b[0], 1);			/* a DMA page comes back */
	pthread_join(t, NULL);
	ck_assert_int_eq(zone_idx(page_zone(w.b->b_page)), ZONE_DMA);
	for (i = 1; i < POOL_SIZE; i++)
		b[i]->b_end_io(b[i], 1);
	w.b->b_end_io(w.b, 1);
	zone_fault_clear_all();
	pools_are(POOL_SIZE, POOL_SIZE);
	for (i = 0; i < POOL_SIZE; i++)
		free_buffer_head(o[i].bh);
	free_buffer_head(no.bh);
	free_buffer_head(w.o.bh);
	__free_page(high);
	__free_page(normal);
	vm_exit();
}
END_TEST

/* ---- through the device: 256 concurrent high-page I/Os ------------------ */

#define NR_IO		256
#define NR_SUBMITTERS	8

struct io_set {
	struct block_device *bdev;
	char *path;
	struct page *page[NR_IO];
	struct buffer_head *bh[NR_IO];
	struct blk_test_counter c;
	int rw;
};

struct submitter {
	struct io_set *set;
	int first, nr;
};

static void *submit_range(void *arg)
{
	struct submitter *s = arg;
	int i;

	blk_start_plug();
	for (i = s->first; i < s->first + s->nr; i++)
		blk_test_submit(s->set->rw, s->set->bh[i], &s->set->c);
	blk_finish_plug();
	return NULL;
}

/* Submit every buffer from nr_threads threads at once, then wait. */
static void io_set_run(struct io_set *set, int rw, int nr_threads)
{
	struct submitter s[NR_SUBMITTERS];
	pthread_t t[NR_SUBMITTERS];
	int i, per = NR_IO / nr_threads;

	set->rw = rw;
	set->c.done = set->c.errors = 0;
	for (i = 0; i < nr_threads; i++) {
		s[i] = (struct submitter){ .set = set, .first = i * per, .nr = per };
		ck_assert_int_eq(pthread_create(&t[i], NULL, submit_range, &s[i]), 0);
	}
	for (i = 0; i < nr_threads; i++)
		pthread_join(t[i], NULL);
	blk_test_wait_all(&set->c, NR_IO);
	ck_assert_int_eq(set->c.errors, 0);
}

/*
 * _i: 0 = eight submitting threads, 1 = one thread submitting all 256
 * under one plug, 2 = eight threads with kmap=strict.  Blocks are spread
 * so that neighbours in the image are written by different threads.
 */
START_TEST(test_256_concurrent_from_pools)
{
	struct io_set set;
	int i, nr_threads = _i == 1 ? 1 : NR_SUBMITTERS;

	vm_test_boot(MiB(64), MiB(32), _i == 2 ? KMAP_STRICT : KMAP_DIRECT);
	memset(&set, 0, sizeof(set));
	set.path = blk_test_image(2ULL << 20, 8);
	set.bdev = blk_test_open(set.path, DMA_REACH_LOW, 0);
	for (i = 0; i < NR_IO; i++) {
		set.page[i] = blk_test_page(ZONE_HIGHMEM);
		set.bh[i] = blk_test_bh(set.bdev, set.page[i], 0, 4096,
					(unsigned long)((i % 32) * 8 + i / 32));
		blk_test_fill(set.bh[i], 99);
	}
	vm_events_reset();
	fail_low_allocations();

	io_set_run(&set, WRITE, nr_threads);
	for (i = 0; i < NR_IO; i++)
		clear_highpage(set.page[i]);
	io_set_run(&set, READ, nr_threads);

	for (i = 0; i < NR_IO; i++) {
		ck_assert(buffer_uptodate(set.bh[i]));
		ck_assert_int_eq(blk_test_file_has(set.path, set.bh[i], 99), 0);
		ck_assert_int_eq(blk_test_cmp_file(set.bh[i], set.path), 0);
	}
	ck_assert_uint_eq(sum_vm_event(BOUNCE_WRITE), NR_IO);
	ck_assert_uint_eq(sum_vm_event(BOUNCE_READ), NR_IO);
	ck_assert_uint_gt(sum_vm_event(EMERGENCY_PAGE_HIT), POOL_SIZE);
	ck_assert_uint_gt(sum_vm_event(EMERGENCY_BH_HIT), 0);
	ck_assert_uint_gt(sum_vm_event(EMERGENCY_WAIT), 0);
	ck_assert_uint_ge(sum_vm_event(PGPGOUT), NR_IO * 4);
	ck_assert_uint_ge(sum_vm_event(PGPGIN), NR_IO * 4);
	pools_are(POOL_SIZE, POOL_SIZE);
	ck_assert_int_eq(blkdev_close(set.bdev), 0);
	zone_fault_clear_all();
	for (i = 0; i < NR_IO; i++) {
		free_buffer_head(set.bh[i]);
		__free_page(set.page[i]);
	}
	blk_test_image_free(set.path);
	vm_exit();
}
END_TEST

static Suite *bounce_suite(void)
{
	Suite *s = suite_create("bounce");
	TCase *tc = tcase_create("bounce");
	TCase *dev = tcase_create("device");

	tcase_set_timeout(tc, 120);	/* threads wait on each other (still_waiting) */
	tcase_add_test(tc, test_pools_filled_at_boot);
	tcase_add_loop_test(tc, test_write_copies_down, 0, 2);
	tcase_add_loop_test(tc, test_read_copies_up, 0, 2);
	tcase_add_test(tc, test_reach_decides);
	tcase_add_test(tc, test_pool_fallback_and_refill);
	tcase_add_loop_test(tc, test_empty_pool_waits_for_refill, 0, 2);
	tcase_add_test(tc, test_dma_only_skips_normal_pool_pages);
	suite_add_tcase(s, tc);

	tcase_set_timeout(dev, 120);
	tcase_add_loop_test(dev, test_256_concurrent_from_pools, 0, 3);
	suite_add_tcase(s, dev);
	return s;
}

VM_TEST_MAIN(bounce_suite)
