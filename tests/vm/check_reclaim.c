/*
 * tests/vm/check_reclaim.c - reclaim under pressure: direct reclaim and
 * kswapd keep a small arena serving a stream many times its size; dirty
 * data under pressure is written, never dropped; the gfp mask bounds what
 * reclaim may do (no I/O for GFP_NOIO, no filesystem for GFP_NOFS); out
 * of memory is ENOMEM with the counters saying so; the flusher writes
 * expired data and data over the background share; the statistics show.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tests/vm/pagecache_test.h"
#include "vm/seq_buf.h"
#include "vm/vmstat.h"
#include "vm/writeback.h"

#define ZONE0	(&contig_page_data.node_zones[ZONE_DMA])
#define CHUNK	(64 * 1024)

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Read the whole store through the page cache and check it. */
static void stream_read(struct store_mapping *sm, unsigned int seed)
{
	static unsigned char buf[CHUNK];
	struct file_ra_state ra;
	loff_t size = (loff_t)(sm->pages * PAGE_SIZE), pos;

	file_ra_state_init(&ra);
	for (pos = 0; pos < size; pos += CHUNK) {
		ssize_t n = generic_file_read(&sm->mapping, &ra, (char *)buf, CHUNK, pos, size);

		ck_assert_int_eq(n, CHUNK);
		ck_assert_int_eq(pat_check(buf, (unsigned long)pos, CHUNK, seed), 0);
	}
}

static int zones_above_min(void)
{
	zone_t *z;

	for_each_zone(z)
		if (zone_free_pages(z) <= z->pages_min)
			return 0;
	return 1;
}

START_TEST(test_direct_reclaim_stream)
{
	struct store_mapping sm;

	vm_test_boot(MiB(8), 0, KMAP_DIRECT);
	store_init(&sm, MiB(48) >> PAGE_SHIFT, GFP_HIGHUSER, 0, 3);
	stream_read(&sm, 3);
	ck_assert_uint_gt(sum_vm_event(ALLOCSTALL), 0);
	ck_assert_uint_gt(sum_vm_event(PGSTEAL), (MiB(40) >> PAGE_SHIFT));
	ck_assert_uint_ge(sum_vm_event(PGSCAN), sum_vm_event(PGSTEAL));
	ck_assert_uint_eq(sum_vm_event(PGALLOC_FAIL), 0);
	ck_assert_uint_lt(sm.mapping.nrpages, MiB(8) >> PAGE_SHIFT);
	store_destroy(&sm);
	vm_exit();
}
END_TEST

START_TEST(test_kswapd_balances)
{
	struct store_mapping sm;

	vm_test_boot(MiB(8), 0, KMAP_DIRECT);
	ck_assert_int_eq(kswapd_start(), 0);
	store_init(&sm, MiB(48) >> PAGE_SHIFT, GFP_HIGHUSER, 0, 4);
	stream_read(&sm, 4);
	ck_assert_uint_gt(sum_vm_event(KSWAPD_WAKEUP), 0);
	ck_assert_uint_gt(sum_vm_event(PAGEOUTRUN), 0);
	/* Left alone, kswapd brings the zone back up. */
	ck_assert_msg(vm_test_wait_for(zones_above_min() &&
				       zone_free_pages(ZONE0) > ZONE0->pages_low, 60),
		      "kswapd left the zones low");
	drain_all_pages();
	ck_assert(zones_above_min());
	ck_assert_uint_gt(zone_free_pages(ZONE0), ZONE0->pages_low);
	kswapd_stop();
	store_destroy(&sm);
	vm_exit();
}
END_TEST

/* Write the whole store through generic_file_write with pattern seed. */
static void stream_write(struct store_mapping *sm, unsigned int seed)
{
	static unsigned char buf[CHUNK];
	loff_t size = (loff_t)(sm->pages * PAGE_SIZE), pos;

	for (pos = 0; pos < size; pos += CHUNK) {
		pat_fill(buf, (unsigned long)pos, CHUNK, seed);
		ck_assert_int_eq(generic_file_write(&sm->mapping, (char *)buf, CHUNK, pos), CHUNK);
	}
}

START_TEST(test_dirty_never_dropped)
{
	struct store_mapping sm;

	vm_test_boot(MiB(8), 0, KMAP_DIRECT);
	ck_assert_int_eq(kswapd_start(), 0);
	store_init(&sm, MiB(32) >> PAGE_SHIFT, GFP_HIGHUSER, 0, 5);
	stream_write(&sm, 6);
	ck_assert_int_eq(filemap_fdatasync(&sm.mapping), 0);
	ck_assert_int_eq(filemap_fdatawait(&sm.mapping), 0);
	/* Drop the cache; every byte must be in the store. */
	truncate_inode_pages(&sm.mapping, 0);
	ck_assert_int_eq(pat_check(sm.data, 0, sm.pages * PAGE_SIZE, 6), 0);
	ck_assert_int_ge(store_writes(&sm), (int)sm.pages);
	ck_assert_int_eq(nr_dirty_pages(), 0);
	ck_assert_int_eq(nr_writeback_pages(), 0);
	kswapd_stop();
	store_destroy(&sm);
	vm_exit();
}
END_TEST

/* ---- what the gfp mask allows -------------------------------------------- */

static int shrinker_calls;

static int test_shrinker(int priority, unsigned int gfp_mask)
{
	(void)priority;
	ck_assert(gfp_mask & __GFP_FS);
	shrinker_calls++;
	return 0;
}

static void dirty_pages(struct store_mapping *sm, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		struct page *p = grab_cache_page(&sm->mapping, i);

		ck_assert_ptr_nonnull(p);
		sm->mapping.a_ops->prepare_write(p, 0, PAGE_SIZE);
		sm->mapping.a_ops->commit_write(p, 0, PAGE_SIZE);
		unlock_page(p);
		page_cache_release(p);
	}
}

static int reclaim_as(unsigned int gfp)
{
	int freed;

	current->flags |= PF_MEMALLOC;
	freed = try_to_free_pages(ZONE0, gfp, 0);
	current->flags &= ~PF_MEMALLOC;
	return freed;
}

START_TEST(test_gfp_limits)
{
	struct store_mapping file, meta;
	int i;

	vm_test_boot(MiB(8), 0, KMAP_DIRECT);
	ck_assert_int_eq(register_shrinker(test_shrinker), 0);
	store_init(&file, 200, GFP_HIGHUSER, 0, 1);
	store_init(&meta, 200, GFP_NOFS, AS_BDEV, 2);
	dirty_pages(&file, 200);
	dirty_pages(&meta, 200);

	/* GFP_NOIO: no I/O started, no filesystem, nothing dirty freed. */
	ck_assert_int_eq(reclaim_as(GFP_NOIO), 0);
	ck_assert_int_eq(store_writes(&file) + store_writes(&meta), 0);
	ck_assert_int_eq(shrinker_calls, 0);
	/* GFP_NOFS: the block device's pages may be written, files' not. */
	reclaim_as(GFP_NOFS);
	ck_assert_int_eq(store_writes(&file), 0);
	ck_assert_int_gt(store_writes(&meta), 0);
	ck_assert_int_eq(shrinker_calls, 0);
	/* GFP_KERNEL: everything (once the clean pages are gone). */
	for (i = 0; i < 20 && !store_writes(&file); i++)
		reclaim_as(GFP_KERNEL);
	ck_assert_int_gt(store_writes(&file), 0);
	ck_assert_int_gt(shrinker_calls, 0);
	unregister_shrinker(test_shrinker);
	store_destroy(&file);
	store_destroy(&meta);
	vm_exit();
}
END_TEST

static void write_pages(struct store_mapping *sm, unsigned long first, unsigned long n,
			unsigned int seed)
{
	static unsigned char buf[PAGE_SIZE];
	unsigned long i;

	for (i = first; i < first + n; i++) {
		pat_fill(buf, i * PAGE_SIZE, PAGE_SIZE, seed);
		ck_assert_int_eq(generic_file_write(&sm->mapping, (char *)buf, PAGE_SIZE,
						    (loff_t)(i * PAGE_SIZE)), PAGE_SIZE);
	}
}

/* ---- out of memory ------------------------------------------------------- */

START_TEST(test_oom_is_enomem)
{
	static struct page *pinned[4096];
	static char buf[PAGE_SIZE];
	struct store_mapping sm;
	struct file_ra_state ra;
	unsigned long fail0;
	int n = 0, i;

	vm_test_boot(MiB(8), 0, KMAP_DIRECT);
	store_init(&sm, 64, GFP_HIGHUSER, 0, 8);
	write_pages(&sm, 0, 16, 11);	/* dirty data that must survive */
	/* Take every page there is: reclaim writes and frees the cache's
	 * pages on the way, then has nothing left to give. */
	while (n < 4096 && (pinned[n] = alloc_page(GFP_HIGHUSER)))
		n++;
	ck_assert_int_lt(n, 4096);
	fail0 = sum_vm_event(PGALLOC_FAIL);
	file_ra_state_init(&ra);
	ck_assert_int_eq(generic_file_read(&sm.mapping, &ra, buf, 10, 40 * PAGE_SIZE,
					   64 * PAGE_SIZE), -ENOMEM);
	ck_assert_int_eq(generic_file_write(&sm.mapping, buf, 10, 50 * PAGE_SIZE), -ENOMEM);
	ck_assert_uint_gt(sum_vm_event(PGALLOC_FAIL), fail0);
	for (i = 0; i < n; i++)
		__free_page(pinned[i]);
	/* Nothing written was lost. */
	ck_assert_int_eq(filemap_fdatasync(&sm.mapping), 0);
	ck_assert_int_eq(filemap_fdatawait(&sm.mapping), 0);
	ck_assert_int_eq(store_writes(&sm), 16);
	ck_assert_int_eq(pat_check(sm.data, 0, 16 * PAGE_SIZE, 11), 0);
	store_destroy(&sm);
	vm_exit();
}
END_TEST

/* ---- the flusher ----------------------------------------------------------- */

/*
 * Ages are chosen so that no delay can change the verdict: under an
 * hour's expiry the data is young however slow the machine; with expiry
 * 0 it is old at once.
 */
START_TEST(test_flusher_expires_old_data)
{
	struct writeback_params p = { .expire_ms = 3600000, .interval_ms = 10,
				      .background_ratio = 10, .dirty_ratio = 40 };
	struct store_mapping sm;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	ck_assert_int_eq(writeback_set_params(&p), 0);
	ck_assert_int_eq(flusher_start(), 0);
	store_init(&sm, 64, GFP_HIGHUSER, 0, 1);
	write_pages(&sm, 0, 20, 9);
	ck_assert_int_eq(nr_dirty_pages(), 20);
	/* Passes from this thread, so that they surely ran: too young yet,
	 * and below the background share. */
	ck_assert_uint_eq(writeback_run(0), 0);
	ck_assert_uint_eq(writeback_run(1), 0);
	ck_assert_int_eq(store_writes(&sm), 0);
	ck_assert_int_eq(nr_dirty_pages(), 20);
	/* Now everything is old: the flusher thread writes it on its own. */
	p.expire_ms = 0;
	ck_assert_int_eq(writeback_set_params(&p), 0);
	ck_assert_msg(vm_test_wait_for(!nr_dirty_pages(), 60), "%ld pages still dirty",
		      nr_dirty_pages());
	ck_assert_int_eq(filemap_fdatawait(&sm.mapping), 0);	/* the copies are done */
	ck_assert_int_eq(store_writes(&sm), 20);
	ck_assert_int_eq(pat_check(sm.data, 0, 20 * PAGE_SIZE, 9), 0);
	flusher_stop();
	store_destroy(&sm);
	vm_exit();
}
END_TEST

/* What the hooks saw: the cut-offs of the passes that called them. */
static unsigned long hook_cutoff[2];
static int hook_calls[2];

static void hook0(unsigned long older_than)
{
	__atomic_store_n(&hook_cutoff[0], older_than, __ATOMIC_RELAXED);
	__atomic_add_fetch(&hook_calls[0], 1, __ATOMIC_RELAXED);
}

static void hook1(unsigned long older_than)
{
	__atomic_store_n(&hook_cutoff[1], older_than, __ATOMIC_RELAXED);
	__atomic_add_fetch(&hook_calls[1], 1, __ATOMIC_RELAXED);
}

static void hook_spare(unsigned long older_than)
{
	(void)older_than;
}

/*
 * The layers above get every expiry pass with its cut-off (now - the
 * age), from the thread every period, until they unregister.
 */
START_TEST(test_flusher_hooks)
{
	struct writeback_params p = { .expire_ms = 700, .interval_ms = 20,
				      .background_ratio = 10, .dirty_ratio = 40 };
	unsigned long before, after;
	int i;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	ck_assert_int_eq(writeback_set_params(&p), 0);
	ck_assert_int_eq(register_writeback_hook(hook0), 0);
	ck_assert_int_eq(register_writeback_hook(hook1), 0);
	before = vm_jiffies();
	writeback_run(0);
	after = vm_jiffies();
	ck_assert_int_eq(hook_calls[0], 1);
	ck_assert_int_eq(hook_calls[1], 1);
	ck_assert(hook_cutoff[0] - (before - 700) <= after - before);

	ck_assert_int_eq(flusher_start(), 0);
	for (i = 0; i < 3000 && __atomic_load_n(&hook_calls[0], __ATOMIC_RELAXED) < 4; i++)
		sleep_ms(10);
	ck_assert_int_ge(__atomic_load_n(&hook_calls[0], __ATOMIC_RELAXED), 4);
	flusher_stop();

	unregister_writeback_hook(hook0);
	i = hook_calls[0];
	writeback_run(0);
	ck_assert_int_eq(hook_calls[0], i);		/* gone */
	ck_assert_int_ge(hook_calls[1], i);		/* still there */
	for (i = 2; i < WRITEBACK_HOOKS; i++)
		ck_assert_int_eq(register_writeback_hook(hook_spare), 0);
	ck_assert_int_eq(register_writeback_hook(hook0), 0);	/* hook0's slot */
	ck_assert_int_eq(register_writeback_hook(hook0), -ENOSPC);
	unregister_writeback_hook(hook0);
	unregister_writeback_hook(hook1);
	unregister_writeback_hook(hook_spare);
	vm_exit();
}
END_TEST

START_TEST(test_flusher_background_share)
{
	struct writeback_params p = { .expire_ms = 3600000, .interval_ms = 5000,
				      .background_ratio = 2, .dirty_ratio = 40 };
	unsigned long bg, limit;
	struct store_mapping sm;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	ck_assert_int_eq(writeback_set_params(&p), 0);
	ck_assert_int_eq(flusher_start(), 0);
	store_init(&sm, 400, GFP_HIGHUSER, 0, 1);
	dirty_thresholds(&bg, &limit);
	ck_assert_uint_lt(bg, 100);
	write_pages(&sm, 0, 300, 4);	/* well over 2%: the writer wakes it */
	ck_assert_msg(vm_test_wait_for((dirty_thresholds(&bg, &limit),
					nr_dirty_pages() <= (long)bg), 60),
		      "%ld pages dirty, background share %lu", nr_dirty_pages(), bg);
	ck_assert_int_gt(store_writes(&sm), 0);
	/* Below the share, young data is left alone (the flusher stops
	 * within one 64-page turn of the threshold): passes from this
	 * thread, so that they surely ran, leave it dirty. */
	writeback_run(0);
	writeback_run(1);
	ck_assert_int_gt(nr_dirty_pages(), 0);
	ck_assert_int_lt(store_writes(&sm), 300);
	flusher_stop();
	store_destroy(&sm);
	vm_exit();
}
END_TEST

/* ---- everything at once ------------------------------------------------------ */

#define MIX_PAGES	2048	/* 8 MiB of file in an 8 MiB arena */
#define MIX_OLD		21
#define MIX_NEW		22

struct mix {
	struct store_mapping sm;
	int stop;			/* atomic */
	int bad;			/* atomic: reader saw a byte from nowhere */
};

static void *mix_writer(void *arg)
{
	struct mix *mx = arg;
	static unsigned char buf[3 * PAGE_SIZE];
	unsigned long pos;

	for (pos = 0; pos < MIX_PAGES * PAGE_SIZE; pos += sizeof(buf) - 100) {
		unsigned long n = MIX_PAGES * PAGE_SIZE - pos < sizeof(buf) - 100 ?
				  MIX_PAGES * PAGE_SIZE - pos : sizeof(buf) - 100;

		pat_fill(buf, pos, n, MIX_NEW);
		ck_assert_int_eq(generic_file_write(&mx->sm.mapping, (char *)buf, n, (loff_t)pos),
				 (ssize_t)n);
	}
	return NULL;
}

static void *mix_reader(void *arg)
{
	struct mix *mx = arg;
	unsigned char buf[5000];
	struct file_ra_state ra;
	unsigned int seed = 7;

	file_ra_state_init(&ra);
	while (!__atomic_load_n(&mx->stop, __ATOMIC_RELAXED)) {
		unsigned long pos = (unsigned long)rand_r(&seed) % (MIX_PAGES * PAGE_SIZE - 5000);
		unsigned long i;

		if (rand_r(&seed) % 4 == 0)
			pos = (ra.prev_page + 1) * PAGE_SIZE;	/* sequential runs too */
		if (pos > MIX_PAGES * PAGE_SIZE - 5000)
			pos = 0;
		ck_assert_int_eq(generic_file_read(&mx->sm.mapping, &ra, (char *)buf, 5000,
						   (loff_t)pos, MIX_PAGES * PAGE_SIZE), 5000);
		for (i = 0; i < 5000; i++)
			if (buf[i] != store_pat(pos + i, MIX_OLD) &&
			    buf[i] != store_pat(pos + i, MIX_NEW))
				__atomic_store_n(&mx->bad, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *mix_syncer(void *arg)
{
	struct mix *mx = arg;
	int n = 0;

	while (!__atomic_load_n(&mx->stop, __ATOMIC_RELAXED)) {
		ck_assert_int_eq(filemap_fdatasync(&mx->sm.mapping), 0);
		ck_assert_int_eq(filemap_fdatawait(&mx->sm.mapping), 0);
		if (++n % 4 == 0)
			invalidate_inode_pages(&mx->sm.mapping);
		sleep_ms(2);
	}
	return NULL;
}

START_TEST(test_concurrent_mix)
{
	struct writeback_params p = { .expire_ms = 20, .interval_ms = 10,
				      .background_ratio = 5, .dirty_ratio = 20 };
	static struct mix mx;
	pthread_t w, r[2], y;
	int i;

	vm_test_boot(MiB(8), 0, KMAP_STRICT);
	ck_assert_int_eq(writeback_set_params(&p), 0);
	ck_assert_int_eq(kswapd_start(), 0);
	ck_assert_int_eq(flusher_start(), 0);
	memset(&mx, 0, sizeof(mx));
	store_init(&mx.sm, MIX_PAGES, GFP_HIGHUSER, 0, MIX_OLD);
	ck_assert_int_eq(pthread_create(&y, NULL, mix_syncer, &mx), 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&r[i], NULL, mix_reader, &mx), 0);
	ck_assert_int_eq(pthread_create(&w, NULL, mix_writer, &mx), 0);
	ck_assert_int_eq(pthread_join(w, NULL), 0);
	__atomic_store_n(&mx.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(r[i], NULL), 0);
	ck_assert_int_eq(pthread_join(y, NULL), 0);
	ck_assert_int_eq(__atomic_load_n(&mx.bad, __ATOMIC_RELAXED), 0);
	ck_assert_int_eq(filemap_fdatasync(&mx.sm.mapping), 0);
	ck_assert_int_eq(filemap_fdatawait(&mx.sm.mapping), 0);
	kswapd_stop();
	flusher_stop();
	truncate_inode_pages(&mx.sm.mapping, 0);
	ck_assert_int_eq(pat_check(mx.sm.data, 0, MIX_PAGES * PAGE_SIZE, MIX_NEW), 0);
	store_destroy(&mx.sm);
	vm_exit();
}
END_TEST

/* ---- statistics ------------------------------------------------------------ */

static unsigned long stat_value(const char *text, const char *name)
{
	const char *p = strstr(text, name);

	ck_assert_msg(p != NULL, "no %s", name);
	p += strlen(name);
	while (*p == ' ' || *p == ':')
		p++;
	return strtoul(p, NULL, 10);
}

START_TEST(test_stats_render)
{
	static char text[16384];
	struct store_mapping sm;
	struct seq_buf s;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	store_init(&sm, 64, GFP_HIGHUSER, 0, 1);
	stream_read(&sm, 1);
	dirty_pages(&sm, 10);
	seq_buf_init(&s, text, sizeof(text));
	ck_assert_int_eq(vmstat_render(&s), 0);
	ck_assert_uint_eq(stat_value(text, "\nnr_dirty "), 10);
	ck_assert_uint_eq(stat_value(text, "\nnr_writeback "), 0);
	ck_assert_uint_eq(stat_value(text, "\nnr_pagecache "), 64);
	ck_assert_uint_gt(stat_value(text, "\npgcache_hit "), 0);
	ck_assert_uint_gt(stat_value(text, "\npgcache_miss "), 0);
	ck_assert_uint_eq(stat_value(text, "\nnr_inactive ") + stat_value(text, "\nnr_active "), 64);
	seq_buf_init(&s, text, sizeof(text));
	ck_assert_int_eq(meminfo_render(&s), 0);
	ck_assert_uint_eq(stat_value(text, "Cached:"), 64 * 4);
	ck_assert_uint_eq(stat_value(text, "Dirty:"), 10 * 4);
	ck_assert_uint_eq(stat_value(text, "Buffers:"), 0);
	store_destroy(&sm);
	vm_exit();
}
END_TEST

static Suite *reclaim_suite(void)
{
	Suite *s = suite_create("reclaim");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_direct_reclaim_stream);
	tcase_add_test(tc, test_kswapd_balances);
	tcase_add_test(tc, test_dirty_never_dropped);
	tcase_add_test(tc, test_gfp_limits);
	tcase_add_test(tc, test_oom_is_enomem);
	tcase_add_test(tc, test_flusher_expires_old_data);
	tcase_add_test(tc, test_flusher_hooks);
	tcase_add_test(tc, test_flusher_background_share);
	tcase_add_test(tc, test_concurrent_mix);
	tcase_add_test(tc, test_stats_render);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(reclaim_suite)
