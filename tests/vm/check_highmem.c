/*
 * tests/vm/check_highmem.c - kmap(), PKMap and kmap_atomic() (book 10.1-10.3).
 *
 * Every test boots its own arena (Check forks per test).  Ground truth for
 * a frame's contents is pread() on the arena's memfd.  Expected faults and
 * BUG()s happen in a child forked by the test, so the test itself survives
 * to check how the child died.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tests/vm/vm_test.h"
#include "vm/gfp.h"
#include "vm/highmem.h"
#include "vm/mm.h"

#define MEM	MiB(32)
#define LOWMEM	MiB(16)		/* 16 MiB high: 4096 frames > LAST_PKMAP */

static const enum kmap_mode modes[] = { KMAP_STRICT, KMAP_DIRECT };

/* ---- helpers ------------------------------------------------------------ */

static struct page *alloc_high(void)
{
	struct page *page = alloc_page(GFP_HIGHUSER);

	ck_assert_ptr_nonnull(page);
	ck_assert_msg(PageHighMem(page), "GFP_HIGHUSER gave low pfn %lu",
		      page_to_pfn(page));
	return page;
}

static struct page *alloc_low(void)
{
	struct page *page = alloc_page(GFP_KERNEL);

	ck_assert_ptr_nonnull(page);
	ck_assert(!PageHighMem(page));
	return page;
}

static uint32_t pattern(unsigned int seed, unsigned int i)
{
	return seed * 2654435761u + i * 40503u + 1;
}

static void fill(void *vaddr, unsigned int seed)
{
	uint32_t *w = vaddr;
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / 4; i++)
		w[i] = pattern(seed, i);
}

/* Index of the first word that differs from the pattern, or -1. */
static int mismatch(const void *vaddr, unsigned int seed)
{
	const uint32_t *w = vaddr;
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / 4; i++)
		if (w[i] != pattern(seed, i))
			return (int)i;
	return -1;
}

/* The frame as the memfd holds it. */
static void read_frame(struct page *page, void *buf)
{
	off_t off = (off_t)(page_to_pfn(page) * PAGE_SIZE);

	ck_assert_int_eq(pread(arena.memfd, buf, PAGE_SIZE, off), (ssize_t)PAGE_SIZE);
}

static void write_frame(struct page *page, const void *buf)
{
	off_t off = (off_t)(page_to_pfn(page) * PAGE_SIZE);

	ck_assert_int_eq(pwrite(arena.memfd, buf, PAGE_SIZE, off), (ssize_t)PAGE_SIZE);
}

static void assert_frame(struct page *page, unsigned int seed)
{
	static char buf[PAGE_SIZE];

	read_frame(page, buf);
	ck_assert_msg(mismatch(buf, seed) < 0, "frame %lu: word %d wrong",
		      page_to_pfn(page), mismatch(buf, seed));
}

static struct kmap_stats stats(void)
{
	struct kmap_stats st;

	kmap_get_stats(&st);
	return st;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- dying on purpose, in a child --------------------------------------- */

enum { CHILD_STARTED = 1, CHILD_SURVIVED = 2 };

typedef void (*child_fn)(void *arg);

/*
 * Run fn(arg) in a forked child with default SIGSEGV/SIGBUS/SIGABRT
 * handling (ASan installs its own SEGV handler, which would turn the
 * signal into an exit status); the child records in a shared
 * page how far it got.  Returns the wait status; *progress gets the record.
 */
static int run_child(child_fn fn, void *arg, int *progress)
{
	volatile int *shared;
	int status;
	pid_t pid;

	shared = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne((void *)shared, MAP_FAILED);
	*shared = 0;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		/* The expected BUG message is noise here. */
		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		signal(SIGABRT, SIG_DFL);
		*shared = CHILD_STARTED;
		fn(arg);
		*shared = CHILD_SURVIVED;
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	*progress = *shared;
	munmap((void *)shared, PAGE_SIZE);
	return status;
}

static void touch(void *addr)
{
	volatile char *p = addr;

	(void)*p;
	*p = 1;
}

/* Touching addr must fault. */
static void expect_fault(void *addr)
{
	int progress, status = run_child(touch, addr, &progress);

	ck_assert_msg(progress == CHILD_STARTED, "child survived touching %p", addr);
	ck_assert_msg(WIFSIGNALED(status), "child touching %p: status %#x", addr, status);
	ck_assert_msg(WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS,
		      "child killed by signal %d", WTERMSIG(status));
}

/* fn must BUG() (abort). */
static void expect_bug(child_fn fn, void *arg)
{
	int progress, status = run_child(fn, arg, &progress);

	ck_assert_msg(progress == CHILD_STARTED, "child did not BUG");
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		      "child status %#x, wanted SIGABRT", status);
}

/* ---- kmap(): contents, faults, slots ------------------------------------ */

START_TEST(test_kmap_contents)
{
	static char buf[PAGE_SIZE];
	struct page *page;
	char *v, *w;

	vm_test_boot(MEM, LOWMEM, KMAP_STRICT);
	page = alloc_high();
	v = kmap(page);
	ck_assert_ptr_nonnull(v);
	fill(v, 7);
	assert_frame(page, 7);
	ck_assert_ptr_eq(kmap_to_page(v + 100), page);
	kunmap(page);

	/* Flushed and remapped, possibly elsewhere: the frame is the same. */
	kmap_flush_unused();
	w = kmap(page);
	ck_assert_int_eq(mismatch(w, 7), -1);

	/* And a write to the frame behind the window's back shows through. */
	fill(buf, 8);
	write_frame(page, buf);
	ck_assert_int_eq(mismatch(w, 8), -1);
	kunmap(page);
	ck_assert_uint_eq(stats().nr_kmap, 2);
	ck_assert_uint_eq(stats().nr_pkmap_in_use, 0);
	__free_page(page);
	vm_exit();
}
END_TEST

START_TEST(test_strict_direct_map_faults)
{
	struct page *page;
	char *v;

	vm_test_boot(MEM, LOWMEM, KMAP_STRICT);
	page = alloc_high();
	/* Even while kmapped, the direct-map alias of a high frame is absent. */
	v = kmap(page);
	fill(v, 1);
	expect_fault(arena.base + page_to_pfn(page) * PAGE_SIZE);
	kunmap(page);
	expect_fault(arena.base + arena.low_size);
	__free_page(page);
	vm_exit();
}
END_TEST

START_TEST(test_stale_kmap_faults)
{
	struct page *page;
	char *v;

	vm_test_boot(MEM, LOWMEM, KMAP_STRICT);
	page = alloc_high();
	v = kmap(page);
	fill(v, 2);
	kunmap(page);
	/* Count 1: still mapped until the next flush, as in the kernel. */
	ck_assert_int_eq(mismatch(v, 2), -1);
	kmap_flush_unused();
	ck_assert_ptr_null(page->virtual);
	expect_fault(v);
	__free_page(page);
	vm_exit();
}
END_TEST

static void call_page_address(void *arg)
{
	touch(page_address(arg));
}

START_TEST(test_page_address_high_bugs)
{
	struct page *page;

	vm_test_boot(MEM, LOWMEM, KMAP_STRICT);
	page = alloc_high();
	expect_bug(call_page_address, page);
	vm_exit();
}
END_TEST

#define NR_REUSE	(3 * LAST_PKMAP)

START_TEST(test_slot_reuse)
{
	static struct page *pages[NR_REUSE];
	unsigned int i;
	char *v;

	vm_test_boot(MEM, LOWMEM, KMAP_STRICT);
	for (i = 0; i < NR_REUSE; i++) {
		pages[i] = alloc_high();
		v = kmap(pages[i]);
		fill(v, i);
		kunmap(pages[i]);
	}
	ck_assert_uint_ge(stats().nr_pkmap_flushes, 2);
	ck_assert_uint_eq(stats().nr_pkmap_in_use, 0);
	ck_assert_uint_eq(stats().nr_kmap, NR_REUSE);
	ck_assert_uint_eq(stats().nr_kmap_waits, 0);
	for (i = 0; i < NR_REUSE; i++) {
		assert_frame(pages[i], i);
		v = kmap(pages[i]);
		ck_assert_int_eq(mismatch(v, i), -1);
		kunmap(pages[i]);
	}
	for (i = 0; i < NR_REUSE; i++)
		__free_page(pages[i]);
	vm_exit();
}
END_TEST

static void call_kunmap(void *arg)
{
	kunmap(arg);
}

START_TEST(test_same_page_twice)
{
	struct page *page;
	char *a, *b;

	vm_test_boot(MEM, LOWMEM, KMAP_STRICT);
	page = alloc_high();
	a = kmap(page);
	b = kmap(page);
	ck_assert_ptr_eq(a, b);
	ck_assert_ptr_eq(page->virtual, a);
	ck_assert_uint_eq(stats().nr_pkmap_in_use, 1);

	/* One user left: a flush must not take the slot away. */
	kunmap(page);
	kmap_flush_unused();
	fill(a, 3);
	ck_assert_ptr_eq(kmap(page), a);
	kunmap(page);
	kunmap(page);
	ck_assert_uint_eq(stats().nr_pkmap_in_use, 0);

	/* Count 1 (mapped, unused): one kunmap too many. */
	expect_bug(call_kunmap, page);
	kmap_flush_unused();
	/* Not mapped at all. */
	expect_bug(call_kunmap, page);
	assert_frame(page, 3);
	__free_page(page);
	vm_exit();
}
END_TEST

/* ---- waiting for a slot -------------------------------------------------- */

struct kmapper {
	pthread_t thread;
	struct page *page;
	char *vaddr;		/* result, published with done */
	int done;		/* __atomic */
};

static void *kmapper_main(void *arg)
{
	struct kmapper *k = arg;

	k->vaddr = kmap(k->page);
	__atomic_store_n(&k->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void kmapper_start(struct kmapper *k, struct page *page)
{
	k->page = page;
	k->vaddr = NULL;
	k->done = 0;
	ck_assert_int_eq(pthread_create(&k->thread, NULL, kmapper_main, k), 0);
}

static int kmapper_done(struct kmapper *k)
{
	return __atomic_load_n(&k->done, __ATOMIC_ACQUIRE);
}

/* Wait until at least n kmap()s have slept for a slot. */
static void wait_for_sleepers(unsigned long n)
{
	ck_assert_msg(vm_test_wait_for(stats().nr_kmap_waits >= n, 30),
		      "%lu kmap()s slept for a slot, expected %lu", stats().nr_kmap_waits, n);
}

static struct page *held[LAST_PKMAP];

/* Fill every PKMap slot with a held kmap of a distinct page. */
static void hold_all_slots(void)
{
	unsigned int i;

	for (i = 0; i < LAST_PKMAP; i++) {
		held[i] = alloc_high();
		fill(kmap(held[i]), 1000 + i);
	}
	ck_assert_uint_eq(stats().nr_pkmap_in_use, LAST_PKMAP);
}

static void release_held(unsigned int from)
{
	unsigned int i;

	for (i = from; i < LAST_PKMAP; i++) {
		kunmap(held[i]);
		assert_frame(held[i], 1000 + i);
		__free_page(held[i]);
	}
}

START_TEST(test_kmap_waits_for_slot)
{
	static char buf[PAGE_SIZE];
	struct kmapper k;
	struct page *page;

	vm_test_boot(MEM, LOWMEM, KMAP_STRICT);
	hold_all_slots();
	page = alloc_high();
	fill(buf, 99);
	write_frame(page, buf);

	kmapper_start(&k, page);
	wait_for_sleepers(1);
	sleep_ms(100);
	ck_assert_msg(!kmapper_done(&k), "kmap() returned with every slot held");

	kunmap(held[0]);
	ck_assert_int_eq(pthread_join(k.thread, NULL), 0);
	ck_assert(kmapper_done(&k));
	ck_assert_int_eq(mismatch(k.vaddr, 99), -1);
	ck_assert_ptr_eq(kmap_to_page(k.vaddr), page);
	/* The freed slot was flushed and reused. */
	ck_assert_ptr_null(held[0]->virtual);
	kunmap(page);
	assert_frame(held[0], 1000);
	release_held(1);
	ck_assert_uint_eq(stats().nr_pkmap_in_use, 0);
	vm_exit();
}
END_TEST

START_TEST(test_waiters_same_page)
{
	struct kmapper k1, k2;
	struct page *page;

	vm_test_boot(MEM, LOWMEM, KMAP_STRICT);
	hold_all_slots();
	page = alloc_high();
	kmapper_start(&k1, page);
	kmapper_start(&k2, page);
	wait_for_sleepers(2);

	/* One slot frees: one waiter maps the page, the other finds it mapped. */
	kunmap(held[0]);
	ck_assert_int_eq(pthread_join(k1.thread, NULL), 0);
	ck_assert_int_eq(pthread_join(k2.thread, NULL), 0);
	ck_assert_ptr_eq(k1.vaddr, k2.vaddr);
	ck_assert_ptr_eq(page->virtual, k1.vaddr);
	ck_assert_uint_eq(stats().nr_pkmap_in_use, LAST_PKMAP);
	kunmap(page);
	ck_assert_uint_eq(stats().nr_pkmap_in_use, LAST_PKMAP);
	kunmap(page);
	ck_assert_uint_eq(stats().nr_pkmap_in_use, LAST_PKMAP - 1);
	release_held(1);
	vm_exit();
}
END_TEST

/* ---- kmap_atomic() -------------------------------------------------------- */

START_TEST(test_kmap_atomic_types)
{
	struct page *a, *b;
	char *va, *vb, *vk;

	vm_test_boot(MEM, LOWMEM, KMAP_STRICT);
	a = alloc_high();
	b = alloc_high();
	va = kmap_atomic(a, KM_USER0);
	vb = kmap_atomic(b, KM_USER1);
	ck_assert_ptr_ne(va, vb);
	fill(va, 10);
	fill(vb, 11);
	ck_assert_int_eq(mismatch(va, 10), -1);
	ck_assert_ptr_eq(kmap_to_page(va + 5), a);
	ck_assert_ptr_eq(kmap_to_page(vb), b);

	/* A kmap() of the same frame is another alias of the same memory. */
	vk = kmap(a);
	ck_assert_ptr_ne(vk, va);
	ck_assert_int_eq(mismatch(vk, 10), -1);
	kunmap(a);

	kunmap_atomic(va + 17, KM_USER0);	/* any address in the page */
	kunmap_atomic(vb, KM_USER1);
	assert_frame(a, 10);
	assert_frame(b, 11);
	ck_assert_uint_eq(stats().nr_kmap_atomic, 2);
	ck_assert_uint_eq(stats().nr_pkmap_in_use, 0);
	expect_fault(va);
	expect_fault(vb);
	vm_exit();
}
END_TEST

static struct page *bug_pages[2];

static void atomic_type_twice(void *arg)
{
	(void)arg;
	kmap_atomic(bug_pages[0], KM_USER0);
	kmap_atomic(bug_pages[1], KM_USER0);
}

static void atomic_wrong_type(void *arg)
{
	(void)arg;
	kunmap_atomic(kmap_atomic(bug_pages[0], KM_USER0), KM_USER1);
}

static void atomic_wrong_address(void *arg)
{
	char *v0 = kmap_atomic(bug_pages[0], KM_USER0);

	(void)arg;
	kmap_atomic(bug_pages[1], KM_USER1);
	kunmap_atomic(v0, KM_USER1);
}

static void atomic_not_mapped(void *arg)
{
	char *v0 = kmap_atomic(bug_pages[0], KM_USER0);

	(void)arg;
	kunmap_atomic(v0, KM_USER0);
	kunmap_atomic(v0, KM_USER0);
}

START_TEST(test_kmap_atomic_misuse_bugs)
{
	vm_test_boot(MEM, LOWMEM, modes[_i]);
	bug_pages[0] = alloc_high();
	bug_pages[1] = alloc_high();
	expect_bug(atomic_type_twice, NULL);
	expect_bug(atomic_wrong_type, NULL);
	expect_bug(atomic_wrong_address, NULL);
	expect_bug(atomic_not_mapped, NULL);
	vm_exit();
}
END_TEST

#define ATOMIC_ROUNDS	2000

struct atomic_worker {
	pthread_t thread;
	pthread_barrier_t *start;
	struct page *page;
	unsigned int id;
	char *vaddr;
	int errors;
};

static void *atomic_worker_main(void *arg)
{
	struct atomic_worker *w = arg;
	unsigned int i, seed = 0;
	char *v;

	pthread_barrier_wait(w->start);
	for (i = 0; i < ATOMIC_ROUNDS; i++) {
		seed = w->id * 100000 + i;
		v = kmap_atomic(w->page, KM_USER0);
		fill(v, seed);
		sched_yield();
		if (mismatch(v, seed) >= 0 || kmap_to_page(v) != w->page)
			w->errors++;
		w->vaddr = v;
		kunmap_atomic(v, KM_USER0);
	}
	return NULL;
}

START_TEST(test_kmap_atomic_threads)
{
	struct atomic_worker w[2];
	pthread_barrier_t start;
	unsigned int i;

	vm_test_boot(MEM, LOWMEM, modes[_i]);
	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++) {
		w[i] = (struct atomic_worker){ .start = &start, .page = alloc_high(),
					       .id = i + 1 };
		ck_assert_int_eq(pthread_create(&w[i].thread, NULL,
						atomic_worker_main, &w[i]), 0);
	}
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_join(w[i].thread, NULL), 0);
		ck_assert_int_eq(w[i].errors, 0);
		assert_frame(w[i].page, w[i].id * 100000 + ATOMIC_ROUNDS - 1);
	}
	if (modes[_i] == KMAP_STRICT)
		ck_assert_ptr_ne(w[0].vaddr, w[1].vaddr);
	ck_assert_uint_eq(stats().nr_kmap_atomic, 2 * ATOMIC_ROUNDS);
	pthread_barrier_destroy(&start);
	vm_exit();
}
END_TEST

/* ---- direct mode, low pages, kmap_to_page ---------------------------------- */

START_TEST(test_direct_mode)
{
	struct page *page;
	char *direct, *v;

	vm_test_boot(MEM, LOWMEM, KMAP_DIRECT);
	page = alloc_high();
	direct = arena.base + page_to_pfn(page) * PAGE_SIZE;
	v = kmap(page);
	ck_assert_ptr_eq(v, direct);
	ck_assert_ptr_eq(kmap(page), direct);
	fill(v, 21);
	assert_frame(page, 21);
	ck_assert_ptr_eq(kmap_to_page(v + 9), page);
	kunmap(page);
	kunmap(page);
	ck_assert_ptr_null(page->virtual);

	v = kmap_atomic(page, KM_USER1);
	ck_assert_ptr_eq(v, direct);
	ck_assert_int_eq(mismatch(v, 21), -1);
	kunmap_atomic(v, KM_USER1);

	ck_assert_uint_eq(stats().nr_kmap, 2);
	ck_assert_uint_eq(stats().nr_kmap_atomic, 1);
	ck_assert_uint_eq(stats().nr_pkmap_in_use, 0);
	kmap_flush_unused();
	ck_assert_uint_eq(stats().nr_pkmap_flushes, 0);
	ck_assert_uint_eq(stats().nr_kmap_waits, 0);
	__free_page(page);
	vm_exit();
}
END_TEST

START_TEST(test_low_pages)
{
	struct page *page;
	char *addr, *v;

	vm_test_boot(MEM, LOWMEM, modes[_i]);
	page = alloc_low();
	addr = page_address(page);
	v = kmap(page);
	ck_assert_ptr_eq(v, addr);
	fill(v, 31);
	kunmap(page);
	v = kmap_atomic(page, KM_USER0);
	ck_assert_ptr_eq(v, addr);
	/* A low page takes no slot: the type stays free. */
	ck_assert_ptr_eq(kmap_atomic(page, KM_USER0), addr);
	kunmap_atomic(v, KM_USER0);
	kunmap_atomic(v, KM_USER0);
	ck_assert_ptr_eq(kmap_to_page(addr + 3), page);
	assert_frame(page, 31);
	ck_assert_uint_eq(stats().nr_kmap, 0);
	ck_assert_uint_eq(stats().nr_kmap_atomic, 0);
	__free_page(page);
	vm_exit();
}
END_TEST

static void to_page_of_stack(void *arg)
{
	int x;

	(void)arg;
	kmap_to_page(&x);
}

static void to_page_of_free_slot(void *arg)
{
	kmap_to_page(arg);
}

START_TEST(test_kmap_to_page_bugs)
{
	struct page *page;
	char *v;

	vm_test_boot(MEM, LOWMEM, KMAP_STRICT);
	expect_bug(to_page_of_stack, NULL);
	page = alloc_high();
	v = kmap(page);
	kunmap(page);
	kmap_flush_unused();
	expect_bug(to_page_of_free_slot, v);
	vm_exit();
}
END_TEST

/* ---- copy helpers ---------------------------------------------------------- */

START_TEST(test_copy_helpers)
{
	static char buf[PAGE_SIZE], out[PAGE_SIZE];
	struct page *h1, *h2, *lo;
	unsigned int i;

	vm_test_boot(MEM, LOWMEM, modes[_i]);
	h1 = alloc_high();
	h2 = alloc_high();
	lo = alloc_low();

	fill(buf, 41);
	memcpy_to_page(h1, 0, buf, PAGE_SIZE);
	assert_frame(h1, 41);
	copy_highpage(h2, h1);
	assert_frame(h2, 41);
	copy_highpage(lo, h2);
	assert_frame(lo, 41);
	clear_highpage(h1);
	read_frame(h1, out);
	for (i = 0; i < PAGE_SIZE; i++)
		ck_assert_int_eq(out[i], 0);
	copy_highpage(h1, lo);
	assert_frame(h1, 41);

	/* Partial copies at an offset, in and out. */
	memcpy_to_page(h2, 1000, "highmem", 7);
	memset(out, 'x', sizeof(out));
	memcpy_from_page(out, h2, 998, 11);
	ck_assert_int_eq(memcmp(out + 2, "highmem", 7), 0);
	ck_assert_int_eq(memcmp(out, buf + 998, 2), 0);
	ck_assert_int_eq(memcmp(out + 9, buf + 1007, 2), 0);
	memcpy_from_page(out, h2, PAGE_SIZE - 4, 4);
	ck_assert_int_eq(memcmp(out, buf + PAGE_SIZE - 4, 4), 0);
	memcpy_to_page(h2, PAGE_SIZE, buf, 0);
	ck_assert_uint_eq(stats().nr_pkmap_in_use, 0);
	__free_page(h1);
	__free_page(h2);
	__free_page(lo);
	vm_exit();
}
END_TEST

static struct page *range_page;

static void copy_past_end(void *arg)
{
	static char buf[16];

	(void)arg;
	memcpy_to_page(range_page, PAGE_SIZE - 8, buf, 9);
}

static void copy_huge_len(void *arg)
{
	static char buf[16];

	(void)arg;
	memcpy_from_page(buf, range_page, 8, 0xfffffff8u);
}

START_TEST(test_copy_range_bugs)
{
	vm_test_boot(MEM, LOWMEM, modes[_i]);
	range_page = alloc_high();
	expect_bug(copy_past_end, NULL);
	expect_bug(copy_huge_len, NULL);
	vm_exit();
}
END_TEST

/* ---- exit and re-init --------------------------------------------------- */

START_TEST(test_kmap_exit_reinit)
{
	struct page *page;
	char *v;

	vm_test_boot(MEM, LOWMEM, KMAP_STRICT);
	page = alloc_high();
	v = kmap(page);
	fill(v, 51);
	kunmap(page);
	kunmap_atomic(kmap_atomic(page, KM_USER0), KM_USER0);
	kmap_exit();
	ck_assert_ptr_null(page->virtual);
	ck_assert_int_eq(kmap_init(), 0);
	ck_assert_uint_eq(stats().nr_kmap, 0);
	v = kmap(page);
	ck_assert_int_eq(mismatch(v, 51), -1);
	kunmap(page);
	v = kmap_atomic(page, KM_USER0);
	ck_assert_int_eq(mismatch(v, 51), -1);
	kunmap_atomic(v, KM_USER0);
	__free_page(page);
	vm_exit();

	/* A whole new VM in the same process. */
	vm_test_boot(MEM, LOWMEM, KMAP_STRICT);
	page = alloc_high();
	v = kmap(page);
	fill(v, 52);
	kunmap(page);
	assert_frame(page, 52);
	__free_page(page);
	vm_exit();
}
END_TEST

static Suite *highmem_suite(void)
{
	Suite *s = suite_create("highmem");
	TCase *tc;

	tc = tcase_create("pkmap");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_kmap_contents);
	tcase_add_test(tc, test_strict_direct_map_faults);
	tcase_add_test(tc, test_stale_kmap_faults);
	tcase_add_test(tc, test_page_address_high_bugs);
	tcase_add_test(tc, test_slot_reuse);
	tcase_add_test(tc, test_same_page_twice);
	tcase_add_test(tc, test_kmap_waits_for_slot);
	tcase_add_test(tc, test_waiters_same_page);
	tcase_add_test(tc, test_kmap_to_page_bugs);
	tcase_add_test(tc, test_kmap_exit_reinit);
	suite_add_tcase(s, tc);

	tc = tcase_create("atomic");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_kmap_atomic_types);
	tcase_add_loop_test(tc, test_kmap_atomic_misuse_bugs, 0, 2);
	tcase_add_loop_test(tc, test_kmap_atomic_threads, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("modes");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_direct_mode);
	tcase_add_loop_test(tc, test_low_pages, 0, 2);
	tcase_add_loop_test(tc, test_copy_helpers, 0, 2);
	tcase_add_loop_test(tc, test_copy_range_bugs, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(highmem_suite)
