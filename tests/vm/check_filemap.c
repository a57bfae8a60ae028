/*
 * tests/vm/check_filemap.c - the page cache: the hash table's size by the
 * book's formula (and its fallback), every state a page goes through and
 * the inode queue it is on, lookups across many mappings, truncate and
 * invalidate, fdatasync/fdatawait, the page lock, and the generic read and
 * write paths with readahead.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tests/vm/pagecache_test.h"
#include "vm/bootmem.h"
#include "vm/highmem.h"
#include "vm/vmstat.h"
#include "vm/writeback.h"

/* ---- the hash table (11.2.1) ------------------------------------------- */

static unsigned int log2_ul(unsigned long x)
{
	unsigned int b = 0;

	while (x >>= 1)
		b++;
	return b;
}

/* Table size, bits and placement as the formula says for this boot. */
static void check_hash_table(unsigned int expect_order)
{
	unsigned long htable_size = num_physpages * sizeof(struct page *);
	unsigned long bytes = PAGE_SIZE << page_hash_order;
	unsigned long i;

	ck_assert_uint_eq(page_hash_order, expect_order);
	ck_assert_uint_eq(page_hash_bits, log2_ul(bytes / sizeof(struct page *)));
	/* Boot memory in the direct map, kept reserved after mem_init. */
	ck_assert(virt_addr_valid(page_hash_table));
	ck_assert(virt_addr_valid((char *)page_hash_table + bytes - 1));
	for (i = 0; i < bytes; i += PAGE_SIZE)
		ck_assert(PageReserved(virt_to_page((char *)page_hash_table + i)));
	if (expect_order == page_hash_order_for(num_physpages)) {
		ck_assert_uint_ge(bytes, htable_size);
		if (page_hash_order)
			ck_assert_uint_lt(bytes / 2, htable_size);
	}
}

START_TEST(test_hash_size_formula)
{
	static const struct {
		unsigned long mem, lowmem;
		unsigned int order, bits;
	} cases[] = {
		/* num_physpages * 8 bytes, rounded up to 2^order frames */
		{ MiB(4), 0, 1, 10 },		/* 1024 pages:   8 KiB */
		{ MiB(16), 0, 3, 12 },		/* 4096 pages:  32 KiB */
		{ MiB(24), MiB(16), 4, 13 },	/* 6144 pages:  48 -> 64 KiB */
		{ MiB(64), MiB(32), 5, 14 },	/* 16384 pages: 128 KiB */
		{ MiB(256), MiB(128), 7, 16 },	/* 65536 pages: 512 KiB */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		vm_test_boot(cases[i].mem, cases[i].lowmem, KMAP_DIRECT);
		ck_assert_uint_eq(page_hash_order_for(num_physpages), cases[i].order);
		check_hash_table(cases[i].order);
		ck_assert_uint_eq(page_hash_bits, cases[i].bits);
		vm_exit();
	}
}
END_TEST

START_TEST(test_hash_fallback_lower_order)
{
	struct store_mapping sm;
	struct vm_config cfg;
	struct page *p;

	/* The first two tries fail: the table is four times smaller. */
	page_cache_set_fail_orders(2);
	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	check_hash_table(5 - 2);
	ck_assert_uint_eq(page_hash_bits, 12);
	store_init(&sm, 64, GFP_HIGHUSER, 0, 1);
	p = store_read_page(&sm, 42);
	ck_assert_ptr_eq(find_get_page(&sm.mapping, 42), p);
	page_cache_release(p);
	page_cache_release(p);
	store_destroy(&sm);
	vm_exit();

	/* Every order fails: boot fails cleanly, and the next boot works. */
	page_cache_set_fail_orders(5 + 1);
	vm_config_default(&cfg);
	cfg.mem = MiB(64);
	cfg.lowmem = MiB(32);
	ck_assert_int_eq(vm_init(&cfg), -ENOMEM);
	ck_assert(!vm_is_up());
	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	check_hash_table(5);
	vm_exit();
}
END_TEST

/* ---- one page through every state ------------------------------------- */

START_TEST(test_page_life_states)
{
	struct store_mapping sm;
	struct page *page, *other;
	long dirty0, wb0;

	vm_test_boot(MiB(32), MiB(16), KMAP_STRICT);
	store_init(&sm, 16, GFP_HIGHUSER, 0, 7);
	dirty0 = nr_dirty_pages();
	wb0 = nr_writeback_pages();

	/* Added: locked, not uptodate, clean queue, inactive list, two refs. */
	page = page_cache_alloc(&sm.mapping);
	ck_assert(PageHighMem(page));	/* file data: HIGHMEM first */
	ck_assert_int_eq(add_to_page_cache(page, &sm.mapping, 3), 0);
	ck_assert(PageLocked(page) && !PageUptodate(page));
	ck_assert_ptr_eq(page->mapping, &sm.mapping);
	ck_assert_uint_eq(page->index, 3);
	ck_assert_int_eq(page_queue(page), Q_CLEAN);
	ck_assert_int_eq(page_lru(page), LRU_INACTIVE);
	ck_assert_int_eq(page_count(page), 2);
	ck_assert_uint_eq(sm.mapping.nrpages, 1);
	other = alloc_page(GFP_HIGHUSER);
	ck_assert_int_eq(add_to_page_cache(other, &sm.mapping, 3), -EEXIST);
	ck_assert(!PageLocked(other) && !other->mapping);
	__free_page(other);

	/* Read: uptodate and unlocked. */
	ck_assert_int_eq(sm.mapping.a_ops->readpage(page), 0);
	ck_assert(PageUptodate(page) && !PageLocked(page));
	ck_assert_int_eq(page_byte(page, 5), store_pat(3 * PAGE_SIZE + 5, 7));

	/* Touched twice: referenced, then active. */
	mark_page_accessed(page);
	ck_assert(PageReferenced(page));
	ck_assert_int_eq(page_lru(page), LRU_INACTIVE);
	mark_page_accessed(page);
	ck_assert(!PageReferenced(page));
	ck_assert_int_eq(page_lru(page), LRU_ACTIVE);

	/* Dirty: on dirty_pages, counted. */
	ck_assert_int_eq(set_page_dirty(page), 1);
	ck_assert_int_eq(set_page_dirty(page), 0);
	ck_assert(PageDirty(page));
	ck_assert_int_eq(page_queue(page), Q_DIRTY);
	ck_assert_int_eq(nr_dirty_pages(), dirty0 + 1);

	/* Under writeback: clean bit, locked_pages queue, counted. */
	sm.defer_writeback = 1;
	lock_page(page);
	ck_assert_int_eq(clear_page_dirty_for_io(page), 1);
	ck_assert_int_eq(sm.mapping.a_ops->writepage(page, WB_SYNC_ALL), 0);
	ck_assert(PageWriteback(page) && !PageDirty(page) && !PageLocked(page));
	ck_assert_int_eq(page_queue(page), Q_LOCKED);
	ck_assert_int_eq(nr_dirty_pages(), dirty0);
	ck_assert_int_eq(nr_writeback_pages(), wb0 + 1);

	/* Written: clean queue again. */
	store_complete_deferred(&sm, 0);
	ck_assert(!PageWriteback(page));
	ck_assert_int_eq(page_queue(page), Q_CLEAN);
	ck_assert_int_eq(nr_writeback_pages(), wb0);

	/* Removed: no mapping, off the LRU, the cache's reference gone. */
	lock_page(page);
	remove_inode_page(page);
	page_cache_release(page);
	ck_assert_ptr_null(page->mapping);
	ck_assert_int_eq(page_lru(page), LRU_NONE);
	ck_assert_int_eq(page_count(page), 1);
	ck_assert_ptr_null(find_get_page(&sm.mapping, 3));
	unlock_page(page);
	page_cache_release(page);
	store_destroy(&sm);
	vm_exit();
}
END_TEST

/* ---- lookups ----------------------------------------------------------- */

#define NMAPS	48
#define NIDX	40

START_TEST(test_lookup_many_mappings)
{
	static struct store_mapping sm[NMAPS];
	unsigned long max_chain = 0, b;
	int m, i;

	vm_test_boot(MiB(32), MiB(16), KMAP_DIRECT);
	for (m = 0; m < NMAPS; m++) {
		store_init(&sm[m], NIDX * 4, GFP_HIGHUSER, 0, (unsigned int)m);
		/* Every other index, scattered. */
		for (i = 0; i < NIDX; i++) {
			struct page *p = store_read_page(&sm[m], (unsigned long)i * 4 + (m & 3));

			page_cache_release(p);
		}
	}
	for (m = 0; m < NMAPS; m++) {
		for (i = 0; i < NIDX * 4; i++) {
			struct page *p = find_get_page(&sm[m].mapping, (unsigned long)i);

			if ((i & 3) != (m & 3)) {
				ck_assert_ptr_null(p);
				continue;
			}
			ck_assert_ptr_nonnull(p);
			ck_assert_ptr_eq(p->mapping, &sm[m].mapping);
			ck_assert_uint_eq(p->index, (unsigned long)i);
			ck_assert_int_eq(page_byte(p, 100),
					 store_pat((unsigned long)i * PAGE_SIZE + 100, (unsigned int)m));
			page_cache_release(p);
		}
	}
	/* The hash spreads them: no chain much longer than the average. */
	for (b = 0; b < (1UL << page_hash_bits); b++) {
		unsigned long n = 0;
		struct page *p;

		spin_lock(&pagecache_lock);
		for (p = page_hash_table[b]; p; p = p->next_hash)
			n++;
		spin_unlock(&pagecache_lock);
		if (n > max_chain)
			max_chain = n;
	}
	ck_assert_uint_le(max_chain, 8);
	ck_assert_uint_eq(page_cache_pages(), NMAPS * NIDX);
	/* Removing one mapping leaves the others intact. */
	store_destroy(&sm[5]);
	for (m = 0; m < NMAPS; m++) {
		struct page *p;

		if (m == 5)
			continue;
		p = find_get_page(&sm[m].mapping, (unsigned long)(m & 3));
		ck_assert_ptr_nonnull(p);
		page_cache_release(p);
		store_destroy(&sm[m]);
	}
	ck_assert_uint_eq(page_cache_pages(), 0);
	vm_exit();
}
END_TEST

static int filler_calls;

static int test_filler(void *data, struct page *page)
{
	struct store_mapping *sm = data;

	filler_calls++;
	return sm->mapping.a_ops->readpage(page);
}

START_TEST(test_find_lock_grab_read_cache)
{
	struct store_mapping sm;
	struct page *p, *q;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	store_init(&sm, 8, GFP_HIGHUSER, 0, 3);
	ck_assert_ptr_null(find_lock_page(&sm.mapping, 2));
	p = grab_cache_page(&sm.mapping, 2);
	ck_assert(PageLocked(p) && !PageUptodate(p));
	unlock_page(p);
	q = grab_cache_page(&sm.mapping, 2);
	ck_assert_ptr_eq(p, q);
	ck_assert(PageLocked(q));
	unlock_page(q);
	page_cache_release(q);
	page_cache_release(p);

	ck_assert_int_eq(read_cache_page(&sm.mapping, 2, test_filler, &sm, &p), 0);
	ck_assert(PageUptodate(p) && !PageLocked(p));
	ck_assert_int_eq(page_byte(p, 7), store_pat(2 * PAGE_SIZE + 7, 3));
	ck_assert_int_eq(read_cache_page(&sm.mapping, 2, test_filler, &sm, &q), 0);
	ck_assert_ptr_eq(p, q);
	ck_assert_int_eq(filler_calls, 1);
	page_cache_release(p);
	page_cache_release(q);
	store_destroy(&sm);
	vm_exit();
}
END_TEST

/* ---- truncate and invalidate ------------------------------------------- */

START_TEST(test_truncate_partial)
{
	struct store_mapping sm;
	unsigned long free0;
	struct page *p;
	long dirty0;
	int i;

	vm_test_boot(MiB(16), 0, KMAP_STRICT);
	drain_all_pages();
	free0 = nr_free_pages();
	store_init(&sm, 16, GFP_HIGHUSER, 0, 9);
	dirty0 = nr_dirty_pages();
	for (i = 0; i < 10; i++) {
		p = store_read_page(&sm, (unsigned long)i);
		if (i % 3 == 0)
			set_page_dirty(p);
		page_cache_release(p);
	}
	ck_assert_int_eq(nr_dirty_pages(), dirty0 + 4);	/* 0 3 6 9 */

	/* Cut at page 3 + 100 bytes: 0..3 stay, page 3 zeroed from 100. */
	truncate_inode_pages(&sm.mapping, 3 * PAGE_SIZE + 100);
	ck_assert_uint_eq(sm.mapping.nrpages, 4);
	for (i = 0; i < 10; i++) {
		p = find_get_page(&sm.mapping, (unsigned long)i);
		if (i > 3) {
			ck_assert_ptr_null(p);
			continue;
		}
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(page_byte(p, 99), store_pat((unsigned long)i * PAGE_SIZE + 99, 9));
		if (i == 3) {
			ck_assert_int_eq(page_byte(p, 100), 0);
			ck_assert_int_eq(page_byte(p, PAGE_SIZE - 1), 0);
			ck_assert(PageDirty(p));	/* its head is still to be written */
		} else {
			ck_assert_int_eq(page_byte(p, 100),
					 store_pat((unsigned long)i * PAGE_SIZE + 100, 9));
		}
		page_cache_release(p);
	}
	ck_assert_int_eq(nr_dirty_pages(), dirty0 + 2);	/* 0 and 3 */

	/* A cut on a page boundary leaves no partial page. */
	truncate_inode_pages(&sm.mapping, 2 * PAGE_SIZE);
	ck_assert_uint_eq(sm.mapping.nrpages, 2);
	p = find_get_page(&sm.mapping, 1);
	ck_assert_int_eq(page_byte(p, PAGE_SIZE - 1), store_pat(2 * PAGE_SIZE - 1, 9));
	page_cache_release(p);

	truncate_inode_pages(&sm.mapping, 0);
	ck_assert_uint_eq(sm.mapping.nrpages, 0);
	ck_assert_int_eq(nr_dirty_pages(), dirty0);
	ck_assert_uint_eq(nr_active_pages + nr_inactive_pages, 0);
	/* Every frame went back. */
	drain_all_pages();
	ck_assert_uint_eq(nr_free_pages(), free0);
	store_destroy(&sm);
	buddy_check_all();
	vm_exit();
}
END_TEST

START_TEST(test_invalidate_exact)
{
	struct store_mapping sm;
	struct page *pages[8], *p;
	int i;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	store_init(&sm, 8, GFP_HIGHUSER, 0, 4);
	for (i = 0; i < 8; i++)
		pages[i] = store_read_page(&sm, (unsigned long)i);
	/* 0,1: clean and unused -> go.  2: dirty.  3: locked.  4: held.
	 * 5: under writeback.  6: not uptodate but clean, unused -> goes.
	 * 7: clean and unused -> goes. */
	set_page_dirty(pages[2]);
	lock_page(pages[3]);
	sm.defer_writeback = 1;
	set_page_dirty(pages[5]);
	lock_page(pages[5]);
	ck_assert(clear_page_dirty_for_io(pages[5]));
	sm.mapping.a_ops->writepage(pages[5], WB_SYNC_NONE);
	ClearPageUptodate(pages[6]);
	for (i = 0; i < 8; i++)
		if (i != 4)
			page_cache_release(pages[i]);

	ck_assert_uint_eq(invalidate_inode_pages(&sm.mapping), 4);
	for (i = 0; i < 8; i++) {
		int kept = i >= 2 && i <= 5;

		p = find_get_page(&sm.mapping, (unsigned long)i);
		ck_assert_msg(!!p == kept, "page %d %s", i, p ? "kept" : "gone");
		if (p)
			page_cache_release(p);
	}
	unlock_page(pages[3]);
	store_complete_deferred(&sm, 0);
	page_cache_release(pages[4]);
	/* Dirty data is never invalidated; written, it is. */
	ck_assert_uint_eq(invalidate_inode_pages(&sm.mapping), 3);
	sm.defer_writeback = 0;
	ck_assert_int_eq(filemap_fdatasync(&sm.mapping), 0);
	ck_assert_int_eq(filemap_fdatawait(&sm.mapping), 0);
	ck_assert_uint_eq(invalidate_inode_pages(&sm.mapping), 1);
	ck_assert_uint_eq(sm.mapping.nrpages, 0);
	store_destroy(&sm);
	vm_exit();
}
END_TEST

/* ---- fdatasync / fdatawait --------------------------------------------- */

START_TEST(test_fdatasync_fdatawait)
{
	struct store_mapping sm;
	struct page *p;
	int i;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	store_init(&sm, 32, GFP_HIGHUSER, 0, 5);
	for (i = 0; i < 32; i++) {
		char c = (char)i;

		p = grab_cache_page(&sm.mapping, (unsigned long)i);
		sm.mapping.a_ops->prepare_write(p, 0, 1);
		memcpy_to_page(p, 0, &c, 1);
		sm.mapping.a_ops->commit_write(p, 0, 1);
		unlock_page(p);
		page_cache_release(p);
	}
	ck_assert_int_eq(sm.writes, 0);
	sm.defer_writeback = 1;
	ck_assert_int_eq(filemap_fdatasync(&sm.mapping), 0);
	ck_assert_int_eq(sm.writes, 32);
	ck_assert(list_empty(&sm.mapping.dirty_pages));
	ck_assert_int_eq(nr_writeback_pages(), 32);
	/* Half fail: fdatawait reports it once. */
	while (sm.ndeferred > 16)
		end_page_writeback_error(sm.deferred[--sm.ndeferred], -EIO);
	store_complete_deferred(&sm, 0);
	ck_assert_int_eq(filemap_fdatawait(&sm.mapping), -EIO);
	ck_assert_int_eq(filemap_fdatawait(&sm.mapping), 0);
	ck_assert(list_empty(&sm.mapping.locked_pages));
	for (i = 0; i < 32; i++)
		ck_assert_int_eq(sm.data[(unsigned long)i * PAGE_SIZE], i);
	store_destroy(&sm);
	vm_exit();
}
END_TEST

/* ---- the page lock ----------------------------------------------------- */

static void *locker(void *arg)
{
	struct page *page = arg;

	lock_page(page);	/* sleeps until the test unlocks */
	unlock_page(page);
	wait_on_page_writeback(page);
	return (void *)1;
}

START_TEST(test_page_lock_waiters)
{
	struct store_mapping sm;
	struct timespec ts = { 0, 20 * 1000000L };
	struct page *p;
	pthread_t t[4];
	void *ret;
	int i;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	store_init(&sm, 4, GFP_HIGHUSER, 0, 1);
	p = store_read_page(&sm, 0);
	lock_page(p);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, locker, p), 0);
	nanosleep(&ts, NULL);
	ck_assert(PageLocked(p));
	set_page_dirty(p);
	sm.defer_writeback = 1;
	ck_assert(clear_page_dirty_for_io(p));
	sm.mapping.a_ops->writepage(p, WB_SYNC_ALL);	/* unlocks */
	nanosleep(&ts, NULL);
	store_complete_deferred(&sm, 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_eq(ret, (void *)1);
	}
	ck_assert(!PageLocked(p) && !PageWriteback(p));
	page_cache_release(p);
	store_destroy(&sm);
	vm_exit();
}
END_TEST

/* ---- generic read/write and readahead ---------------------------------- */

START_TEST(test_generic_write_read)
{
	static unsigned char buf[40000], back[40000];
	struct store_mapping sm;
	struct file_ra_state ra;
	loff_t isize = 20 * PAGE_SIZE;
	ssize_t n;

	vm_test_boot(MiB(16), 0, KMAP_STRICT);
	store_init(&sm, 20, GFP_HIGHUSER, 0, 2);
	pat_fill(buf, 0, sizeof(buf), 77);
	/* An unaligned write across pages, partial at both ends. */
	n = generic_file_write(&sm.mapping, (char *)buf, 30000, 1234);
	ck_assert_int_eq(n, 30000);
	file_ra_state_init(&ra);
	n = generic_file_read(&sm.mapping, &ra, (char *)back, sizeof(back), 0, isize);
	ck_assert_int_eq(n, (ssize_t)sizeof(back));
	ck_assert_int_eq(pat_check(back, 0, 1234, 2), 0);	/* before: the store's */
	ck_assert_int_eq(memcmp(back + 1234, buf, 30000), 0);
	ck_assert_int_eq(pat_check(back + 31234, 31234, sizeof(back) - 31234, 2), 0);
	/* Short at the end of the file, nothing past it. */
	n = generic_file_read(&sm.mapping, &ra, (char *)back, 1000, isize - 100, isize);
	ck_assert_int_eq(n, 100);
	ck_assert_int_eq(generic_file_read(&sm.mapping, &ra, (char *)back, 10, isize, isize), 0);
	/* Everything reaches the store. */
	ck_assert_int_eq(filemap_fdatasync(&sm.mapping), 0);
	ck_assert_int_eq(filemap_fdatawait(&sm.mapping), 0);
	ck_assert_int_eq(memcmp(sm.data + 1234, buf, 30000), 0);
	store_destroy(&sm);
	vm_exit();
}
END_TEST

START_TEST(test_readahead_windows)
{
	static char buf[PAGE_SIZE];
	struct store_mapping sm;
	struct file_ra_state ra;
	loff_t isize = 400 * PAGE_SIZE;
	unsigned long i, hits0, misses0, in_cache;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	store_init(&sm, 400, GFP_HIGHUSER, 0, 6);
	file_ra_state_init(&ra);
	hits0 = sum_vm_event(PGCACHE_HIT);
	misses0 = sum_vm_event(PGCACHE_MISS);

	/* First page: a window of 4 and one of 8 ahead are in flight. */
	ck_assert_int_eq(generic_file_read(&sm.mapping, &ra, buf, 1, 0, isize), 1);
	ck_assert_int_eq(sm.reads, VM_MIN_READAHEAD + 2 * VM_MIN_READAHEAD);
	ck_assert_uint_eq(ra.size, VM_MIN_READAHEAD);
	ck_assert_uint_eq(ra.ahead_size, 2 * VM_MIN_READAHEAD);
	/* Reading on, the reader never waits on a miss, and the windows
	 * double up to the limit, staying ahead. */
	for (i = 1; i < 200; i++) {
		ck_assert_int_eq(generic_file_read(&sm.mapping, &ra, buf, PAGE_SIZE,
						   (loff_t)(i * PAGE_SIZE), isize), PAGE_SIZE);
		ck_assert_int_eq(pat_check((unsigned char *)buf, i * PAGE_SIZE, PAGE_SIZE, 6), 0);
		ck_assert_uint_gt((unsigned long)sm.reads, i + 1);
	}
	ck_assert_uint_eq(ra.size, VM_MAX_READAHEAD);
	ck_assert_uint_eq(ra.ahead_size, VM_MAX_READAHEAD);
	ck_assert_uint_ge(ra.ahead_start, 200);
	/* Only the first read found nothing in the cache. */
	ck_assert_uint_eq(sum_vm_event(PGCACHE_MISS) - misses0, 1);
	ck_assert_uint_ge(sum_vm_event(PGCACHE_HIT) - hits0, 199);
	ck_assert_uint_le((unsigned long)sm.reads, 200 + 2 * VM_MAX_READAHEAD);

	/* Random reads read only what they need. */
	in_cache = (unsigned long)sm.reads;
	for (i = 0; i < 10; i++) {
		loff_t pos = (loff_t)((397 - i * 17) * PAGE_SIZE);

		if (pos < (loff_t)(290 * PAGE_SIZE))
			break;
		ck_assert_int_eq(generic_file_read(&sm.mapping, &ra, buf, 10, pos, isize), 10);
	}
	ck_assert_uint_eq((unsigned long)sm.reads - in_cache, i);
	ck_assert_uint_eq(ra.size, 0);
	store_destroy(&sm);
	vm_exit();
}
END_TEST

static Suite *filemap_suite(void)
{
	Suite *s = suite_create("filemap");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hash_size_formula);
	tcase_add_test(tc, test_hash_fallback_lower_order);
	tcase_add_test(tc, test_page_life_states);
	tcase_add_test(tc, test_lookup_many_mappings);
	tcase_add_test(tc, test_find_lock_grab_read_cache);
	tcase_add_test(tc, test_truncate_partial);
	tcase_add_test(tc, test_invalidate_exact);
	tcase_add_test(tc, test_fdatasync_fdatawait);
	tcase_add_test(tc, test_page_lock_waiters);
	tcase_add_test(tc, test_generic_write_read);
	tcase_add_test(tc, test_readahead_windows);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(filemap_suite)
