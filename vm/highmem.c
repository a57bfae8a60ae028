/*
 * vm/highmem.c - mapping high memory: PKMap, kmap(), kmap_atomic()
 * (book 10.1 "Managing the PKMap Address Space", 10.2 "Mapping High Memory
 * Pages", 10.2.1 "Unmapping Pages", 10.3 "Mapping High Memory Pages
 * Atomically"; Linux 2.4 mm/highmem.c and include/asm-i386/highmem.h).
 *
 * Interface (vm/highmem.h): vm_init() calls kmap_init() once the zones are
 * up and vm_exit() calls kmap_exit() while the arena still exists.  Between
 * them:
 *   kmap(page) ... kunmap(page)             may sleep; any thread
 *   kmap_atomic(page, type) ... kunmap_atomic(vaddr, type)
 *                                           never sleeps; same thread
 *   kmap_to_page(vaddr), kmap_flush_unused(), kmap_get_stats(),
 *   clear_highpage(), copy_highpage(), memcpy_{to,from}_page()
 * Low pages have a permanent address and every call returns page_address().
 *
 * KMAP_STRICT, the book's model.  High frames are mapped only through two
 * kinds of window, so a stray pointer into high memory faults:
 *
 *   PKMAP_BASE: LAST_PKMAP pages, shared by all threads (kmap)
 *   | slot 0 | slot 1 | ... | slot LAST_PKMAP-1 |
 *     pkmap_count[nr]: 0 unmapped, 1 mapped but unused (stale TLB in the
 *     kernel; flushed lazily), n > 1 mapped and held by n-1 kmap()s.
 *     pkmap_page[nr]: the page mapped there (the kernel reads the pte).
 *
 *   per thread: KM_TYPE_NR pages, one per km_type (kmap_atomic)
 *     reserved on the thread's first kmap_atomic of a high page and
 *     released by a pthread key destructor when the thread exits.  The
 *     kernel uses per-CPU fixmap slots with preemption off; here several
 *     threads may share an smp slot, so the window belongs to the thread.
 *
 * kmap() of an unmapped high page (map_new_virtual) scans forward from
 * last_pkmap_nr for a slot with count 0.  Each time the scan wraps to slot
 * 0, flush_all_zero_pkmaps() unmaps every slot whose count is 1.  After a
 * full pass with no free slot the caller sleeps on pkmap_map_wait until a
 * kunmap() drops some slot to 1, then retries - unless another thread
 * mapped the same page meanwhile.
 *
 * KMAP_DIRECT: the arena maps high frames permanently (vm/arena.h), so
 * kmap() and kmap_atomic() return that address with no slot and no lock;
 * they keep the counters and the per-thread km_type bookkeeping only.
 *
 * Locking: kmap_lock protects pkmap_count[], pkmap_page[], last_pkmap_nr
 * and ->virtual of high pages; kmap() sleeps only by dropping it inside
 * wait_event_locked().  It comes after every VM lock that may be held by a
 * sleeper (vm/locking.h): kmap() may sleep, so never call it with VM
 * spinlocks held; kmap_atomic() takes no lock and may be.  The atomic
 * windows are thread-local and need no lock.  Counters are written with
 * __atomic adds and read racily by kmap_get_stats().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include "vm/highmem.h"
#include "vm/compiler.h"

#define LAST_PKMAP_MASK	(LAST_PKMAP - 1)
#define PKMAP_BASE	pkmap_base
#define PKMAP_ADDR(nr)	(PKMAP_BASE + ((unsigned long)(nr) << PAGE_SHIFT))
#define PKMAP_NR(virt)	((unsigned long)((char *)(virt) - PKMAP_BASE) >> PAGE_SHIFT)

_Static_assert((LAST_PKMAP & LAST_PKMAP_MASK) == 0, "LAST_PKMAP is a power of two");

/* PKMap state.  pkmap_base is set by kmap_init() before any thread uses it. */
static char *pkmap_base;
static spinlock_t kmap_lock;
static wait_queue_head_t pkmap_map_wait;	/* kmap() waiting for a slot */
static int pkmap_count[LAST_PKMAP];		/* kmap_lock */
static struct page *pkmap_page[LAST_PKMAP];	/* kmap_lock */
static unsigned int last_pkmap_nr;		/* kmap_lock */
static int kmap_ready;				/* between kmap_init and kmap_exit */

/* Statistics: __atomic adds, racy reads. */
static unsigned long nr_kmap, nr_kmap_atomic, nr_kmap_waits;
static unsigned long nr_pkmap_flushes, nr_pkmap_in_use;

/* One thread's kmap_atomic() window: thread-local, so no lock. */
struct km_window {
	char *base;			/* KM_TYPE_NR pages; NULL until first use */
	struct page *page[KM_TYPE_NR];	/* what each type maps, NULL if free */
};

static __thread struct km_window km_window;
static pthread_key_t km_window_key;
static pthread_once_t km_window_once = PTHREAD_ONCE_INIT;

static inline void stat_add(unsigned long *ctr, long delta)
{
	__atomic_fetch_add(ctr, (unsigned long)delta, __ATOMIC_RELAXED);
}

static inline int kmap_strict(void)
{
	return arena.kmap_mode == KMAP_STRICT;
}

/* A high frame's permanent address: valid only in KMAP_DIRECT mode. */
static inline void *high_direct_address(const struct page *page)
{
	return arena.base + (page_to_pfn(page) << PAGE_SHIFT);
}

static inline int in_pkmap(const char *vaddr)
{
	return PKMAP_BASE && vaddr >= PKMAP_BASE && vaddr < PKMAP_ADDR(LAST_PKMAP);
}

static inline int in_km_window(const struct km_window *w, const char *vaddr)
{
	return w->base && vaddr >= w->base &&
	       vaddr < w->base + KM_TYPE_NR * PAGE_SIZE;
}

static inline int in_high_direct_map(const char *vaddr)
{
	return arena.kmap_mode == KMAP_DIRECT && arena.base &&
	       vaddr >= arena.base + arena.low_size && vaddr < arena.base + arena.size;
}

/* ---- PKMap: kmap() and kunmap() (book 10.1, 10.2, 10.2.1) ---------------- */

/*
 * Unmap every slot that is mapped but held by nobody (count 1), so
 * map_new_virtual() can reuse it.  Caller holds kmap_lock.
 */
static void flush_all_zero_pkmaps(void)
{
	unsigned int i;

	assert_spin_locked(&kmap_lock);
	stat_add(&nr_pkmap_flushes, 1);
	for (i = 0; i < LAST_PKMAP; i++) {
		struct page *page;

		if (pkmap_count[i] != 1)
			continue;
		pkmap_count[i] = 0;
		page = pkmap_page[i];
		VM_BUG_ON(!page || page->virtual != PKMAP_ADDR(i));
		if (arena_unmap_frame(PKMAP_ADDR(i)))
			BUG();
		pkmap_page[i] = NULL;
		page->virtual = NULL;
	}
}

/*
 * Scan one full pass from last_pkmap_nr for a slot with count 0, flushing
 * the unused slots when the scan wraps to 0.  Returns the slot or -1.
 * Caller holds kmap_lock.
 */
static int __pkmap_find_free(void)
{
	unsigned int count = LAST_PKMAP;

	assert_spin_locked(&kmap_lock);
	for (;;) {
		last_pkmap_nr = (last_pkmap_nr + 1) & LAST_PKMAP_MASK;
		if (!last_pkmap_nr) {
			flush_all_zero_pkmaps();
			count = LAST_PKMAP;
		}
		if (!pkmap_count[last_pkmap_nr])
			return (int)last_pkmap_nr;
		if (--count == 0)
			return -1;
	}
}

/*
 * Give page a PKMap slot with count 1 (mapped, no user yet), sleeping on
 * pkmap_map_wait while every slot is held.  Returns page->virtual, which
 * another thread may have set while we slept.  Caller holds kmap_lock.
 */
static char *map_new_virtual(struct page *page)
{
	char *vaddr;
	int nr;

	assert_spin_locked(&kmap_lock);
	for (;;) {
		nr = __pkmap_find_free();
		if (nr >= 0)
			break;
		stat_add(&nr_kmap_waits, 1);
		wait_event_locked(&pkmap_map_wait, &kmap_lock);
		/* Somebody else might have mapped it while we slept. */
		if (page->virtual)
			return page->virtual;
	}
	vaddr = PKMAP_ADDR(nr);
	if (arena_map_frame(vaddr, page_to_pfn(page)))
		BUG();
	pkmap_count[nr] = 1;
	pkmap_page[nr] = page;
	page->virtual = vaddr;
	return vaddr;
}

static void *kmap_high(struct page *page)
{
	unsigned long nr;
	char *vaddr;

	VM_BUG_ON(!kmap_ready);
	VM_BUG_ON(spin_is_locked_by_me(&kmap_lock));
	spin_lock(&kmap_lock);
	vaddr = page->virtual;
	if (!vaddr)
		vaddr = map_new_virtual(page);
	nr = PKMAP_NR(vaddr);
	VM_BUG_ON(pkmap_page[nr] != page || pkmap_count[nr] < 1);
	if (++pkmap_count[nr] == 2)
		stat_add(&nr_pkmap_in_use, 1);
	spin_unlock(&kmap_lock);
	return vaddr;
}

static void kunmap_high(struct page *page)
{
	unsigned long nr;
	char *vaddr;

	VM_BUG_ON(!kmap_ready);
	spin_lock(&kmap_lock);
	vaddr = page->virtual;
	VM_BUG_ON(!vaddr);				/* not kmapped */
	nr = PKMAP_NR(vaddr);
	VM_BUG_ON(nr >= LAST_PKMAP || pkmap_page[nr] != page);
	VM_BUG_ON(pkmap_count[nr] < 2);			/* would fall below 1 */
	if (--pkmap_count[nr] == 1) {
		stat_add(&nr_pkmap_in_use, -1);
		/* A slot can be had again: wake kmap()s waiting for one. */
		wake_up_all(&pkmap_map_wait);
	}
	spin_unlock(&kmap_lock);
}

void *kmap(struct page *page)
{
	if (!PageHighMem(page))
		return page_address(page);
	stat_add(&nr_kmap, 1);
	if (!kmap_strict())
		return high_direct_address(page);
	return kmap_high(page);
}

void kunmap(struct page *page)
{
	if (!PageHighMem(page) || !kmap_strict())
		return;
	kunmap_high(page);
}

void kmap_flush_unused(void)
{
	if (!kmap_ready || !PKMAP_BASE)
		return;
	spin_lock(&kmap_lock);
	flush_all_zero_pkmaps();
	spin_unlock(&kmap_lock);
}

/* ---- kmap_atomic() and kunmap_atomic() (book 10.3) ------------------------ */

static void km_window_release(void *arg)
{
	struct km_window *w = arg;
	int type;

	for (type = 0; type < KM_TYPE_NR; type++)
		VM_BUG_ON(w->page[type]);	/* thread exits holding a kmap_atomic */
	arena_release_window(w->base, KM_TYPE_NR);
	w->base = NULL;
}

static void km_window_make_key(void)
{
	if (pthread_key_create(&km_window_key, km_window_release))
		BUG();
}

/* The calling thread's window, reserved on first use.  Never fails. */
static struct km_window *km_window_get(void)
{
	struct km_window *w = &km_window;

	if (likely(w->base))
		return w;
	pthread_once(&km_window_once, km_window_make_key);
	w->base = arena_reserve_window(KM_TYPE_NR);
	if (!w->base)
		BUG();		/* out of address space: kmap_atomic cannot fail */
	if (pthread_setspecific(km_window_key, w))
		BUG();
	return w;
}

void *kmap_atomic(struct page *page, enum km_type type)
{
	struct km_window *w = &km_window;
	char *vaddr;

	VM_BUG_ON((unsigned int)type >= KM_TYPE_NR);
	if (!PageHighMem(page))
		return page_address(page);
	stat_add(&nr_kmap_atomic, 1);
	VM_BUG_ON(w->page[type]);		/* type already in use on this thread */
	if (!kmap_strict()) {
		w->page[type] = page;
		return high_direct_address(page);
	}
	w = km_window_get();
	vaddr = w->base + ((unsigned long)type << PAGE_SHIFT);
	if (arena_map_frame(vaddr, page_to_pfn(page)))
		BUG();
	w->page[type] = page;
	return vaddr;
}

void kunmap_atomic(void *kvaddr, enum km_type type)
{
	struct km_window *w = &km_window;
	char *vaddr = (char *)((unsigned long)kvaddr & PAGE_MASK);
	struct page *page;

	VM_BUG_ON((unsigned int)type >= KM_TYPE_NR);
	if (virt_addr_valid(vaddr))
		return;				/* a low page: page_address() */
	page = w->page[type];
	VM_BUG_ON(!page);			/* type not mapped on this thread */
	if (!kmap_strict()) {
		VM_BUG_ON(vaddr != (char *)high_direct_address(page));
	} else {
		VM_BUG_ON(vaddr != w->base + ((unsigned long)type << PAGE_SHIFT));
		/* As the kernel's debug kunmap_atomic clears the pte. */
		if (arena_unmap_frame(vaddr))
			BUG();
	}
	w->page[type] = NULL;
}

/* ---- Lookups, statistics, set-up ---------------------------------------- */

static struct page *pkmap_to_page(const char *vaddr)
{
	unsigned long nr = PKMAP_NR(vaddr);
	struct page *page;

	spin_lock(&kmap_lock);
	page = pkmap_page[nr];
	spin_unlock(&kmap_lock);
	VM_BUG_ON(!page);			/* slot not mapped */
	return page;
}

struct page *kmap_to_page(void *kvaddr)
{
	const char *vaddr = kvaddr;
	struct km_window *w = &km_window;
	struct page *page;

	if (virt_addr_valid(vaddr))
		return virt_to_page(vaddr);
	if (in_high_direct_map(vaddr))
		return pfn_to_page((unsigned long)(vaddr - arena.base) >> PAGE_SHIFT);
	if (in_pkmap(vaddr))
		return pkmap_to_page(vaddr);
	if (in_km_window(w, vaddr)) {
		page = w->page[(unsigned long)(vaddr - w->base) >> PAGE_SHIFT];
		VM_BUG_ON(!page);		/* atomic slot not mapped */
		return page;
	}
	BUG();
}

void kmap_get_stats(struct kmap_stats *st)
{
	st->nr_kmap = __atomic_load_n(&nr_kmap, __ATOMIC_RELAXED);
	st->nr_kmap_atomic = __atomic_load_n(&nr_kmap_atomic, __ATOMIC_RELAXED);
	st->nr_kmap_waits = __atomic_load_n(&nr_kmap_waits, __ATOMIC_RELAXED);
	st->nr_pkmap_flushes = __atomic_load_n(&nr_pkmap_flushes, __ATOMIC_RELAXED);
	st->nr_pkmap_in_use = __atomic_load_n(&nr_pkmap_in_use, __ATOMIC_RELAXED);
}

static void kmap_reset_state(void)
{
	memset(pkmap_count, 0, sizeof(pkmap_count));
	memset(pkmap_page, 0, sizeof(pkmap_page));
	last_pkmap_nr = 0;
	__atomic_store_n(&nr_kmap, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&nr_kmap_atomic, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&nr_kmap_waits, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&nr_pkmap_flushes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&nr_pkmap_in_use, 0, __ATOMIC_RELAXED);
}

/* Book 10.1: the PKMap window (the kernel's permanent_kmaps_init). */
int kmap_init(void)
{
	VM_BUG_ON(kmap_ready);
	kmap_reset_state();
	spin_lock_init(&kmap_lock);
	init_waitqueue_head(&pkmap_map_wait);
	if (kmap_strict()) {
		PKMAP_BASE = arena_reserve_window(LAST_PKMAP);
		if (!PKMAP_BASE)
			goto out_destroy_lock;
	}
	kmap_ready = 1;
	return 0;

out_destroy_lock:
	destroy_waitqueue_head(&pkmap_map_wait);
	spin_lock_destroy(&kmap_lock);
	return -ENOMEM;
}

/*
 * Drop every PKMap mapping and the window, and the caller's atomic window
 * (other threads' windows go when they exit; they hold no mapping between
 * kmap_atomic calls, so they stay valid across a later kmap_init()).  Call
 * with no other thread in kmap, while mem_map still exists.
 */
void kmap_exit(void)
{
	unsigned int i;

	if (!kmap_ready)
		return;
	if (km_window.base) {
		km_window_release(&km_window);
		pthread_setspecific(km_window_key, NULL);
	}
	if (PKMAP_BASE) {
		for (i = 0; i < LAST_PKMAP; i++) {
			if (pkmap_count[i] > 1)
				vm_log("kmap_exit: slot %u still held by %d kmap()s",
				       i, pkmap_count[i] - 1);
			if (pkmap_page[i])
				pkmap_page[i]->virtual = NULL;
		}
		arena_release_window(PKMAP_BASE, LAST_PKMAP);
		PKMAP_BASE = NULL;
	}
	kmap_reset_state();
	destroy_waitqueue_head(&pkmap_map_wait);
	spin_lock_destroy(&kmap_lock);
	kmap_ready = 0;
}

/* ---- Copy helpers --------------------------------------------------------- */

void clear_highpage(struct page *page)
{
	void *kaddr = kmap_atomic(page, KM_USER0);

	memset(kaddr, 0, PAGE_SIZE);
	kunmap_atomic(kaddr, KM_USER0);
}

void copy_highpage(struct page *to, struct page *from)
{
	char *vfrom = kmap_atomic(from, KM_USER0);
	char *vto = kmap_atomic(to, KM_USER1);

	memcpy(vto, vfrom, PAGE_SIZE);
	kunmap_atomic(vto, KM_USER1);
	kunmap_atomic(vfrom, KM_USER0);
}

void memcpy_to_page(struct page *page, unsigned int offset, const void *src,
		    unsigned int len)
{
	char *kaddr;

	VM_BUG_ON(offset > PAGE_SIZE || len > PAGE_SIZE - offset);
	kaddr = kmap_atomic(page, KM_USER0);
	memcpy(kaddr + offset, src, len);
	kunmap_atomic(kaddr, KM_USER0);
}

void memcpy_from_page(void *dst, struct page *page, unsigned int offset,
		      unsigned int len)
{
	char *kaddr;

	VM_BUG_ON(offset > PAGE_SIZE || len > PAGE_SIZE - offset);
	kaddr = kmap_atomic(page, KM_USER0);
	memcpy(dst, kaddr + offset, len);
	kunmap_atomic(kaddr, KM_USER0);
}
