/*
 * vm/slab_cpucache.c - per-thread object arrays (book 8.5, "Per-CPU
 * Object Cache"; 2.4's cpucache_t).
 *
 * Each cache has one slot per thread slot (vm/smp.h).  A slot holds a
 * lock and, once the slot has allocated from the cache, an array of up
 * to limit free objects used as a stack.  kmem_cache_alloc() pops from the
 * calling thread's array; when it is empty, batchcount objects are moved
 * in from the slabs under cachep->spinlock (kmem_cache_refill), and only
 * when the slabs have none is the cache grown - with every lock dropped,
 * since the buddy allocator may reclaim and reclaim reaps caches.
 * kmem_cache_free() pushes; a full array first gives batchcount objects
 * back to the slabs (free_block).
 *
 * limit follows 2.4's enable_cpucache() by object size: 252 up to 256
 * bytes, 120 up to 1 KiB, 54 up to a page, 8 above, none above 128 KiB;
 * batchcount is half of it.
 *
 * Interface (vm/slab_internal.h): cpucache_alloc/cpucache_free for
 * vm/slab.c; kmem_cache_drain_cpus (vm/slab.h) before shrinking;
 * cpucache_release_slot when a slot's last thread exits (the array goes
 * too: a dead slot should not pin memory); cpucache_release when a cache
 * is destroyed.
 *
 * Locking: a slot's array belongs to the thread that owns the slot alone
 * (smp_exclusive_cpu()).  The owner pops and pushes with no lock and no
 * atomic read-modify-write, between owner_begin() and owner_end(); that is
 * what makes the fast path faster than glibc's malloc.  Anyone else who
 * must reach into the array - shrink, reap, destroy, statistics, a slot
 * whose thread exited - takes the slot lock and fences the owner out with
 * drainer_begin(), which uses membarrier(2) where the kernel would send an
 * IPI.  An owner that finds a drainer at work takes the slot lock itself.
 * Threads that share a slot (more threads than NR_CPUS) keep no array and
 * go straight to the slabs under cachep->spinlock.  The owner never stays
 * inside owner_begin() across kmem_cache_grow() or kmalloc(): the buddy
 * allocator may reclaim, and reclaim drains these arrays.  The slot lock
 * comes before cachep->spinlock (vm/locking.h).  The array itself is
 * kmalloc'ed the first time its owner allocates from the cache; a slot
 * that only frees gives its objects straight to the slabs.
 */
#include <string.h>
#include "vm/slab_internal.h"

/* Non-zero while this thread kmallocs an array: that kmalloc goes without. */
static __thread int cpucache_creating;

void cpucache_tune(kmem_cache_t *cachep)
{
	size_t size = cachep->objsize;
	unsigned int limit;

	if (size > KMALLOC_MAX_SIZE)
		limit = 0;
	else if (size > PAGE_SIZE)
		limit = 8;
	else if (size > 1024)
		limit = 54;
	else if (size > 256)
		limit = 120;
	else
		limit = 252;
	cachep->limit = limit;
	cachep->batchcount = limit / 2;
}

void cpucache_init_slots(kmem_cache_t *cachep)
{
	int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		spin_lock_init(&cachep->cpudata[cpu].lock);
		cachep->cpudata[cpu].gate = (struct owner_gate){ 0, 0 };
		cachep->cpudata[cpu].cc = NULL;
	}
}

static inline cpucache_t *slot_cc_peek(struct kmem_cpu_slot *slot)
{
	return __atomic_load_n(&slot->cc, __ATOMIC_ACQUIRE);
}

static inline void slot_cc_set(struct kmem_cpu_slot *slot, cpucache_t *cc)
{
	__atomic_store_n(&slot->cc, cc, __ATOMIC_RELEASE);
}

/* Give the slot an array, if memory allows; no lock held. */
static void cpucache_create(kmem_cache_t *cachep, struct kmem_cpu_slot *slot,
			    unsigned int flags)
{
	cpucache_t *cc;

	if (cpucache_creating)
		return;
	cpucache_creating = 1;
	cc = kmalloc(sizeof(*cc) + cachep->limit * sizeof(void *),
		     flags & ~(__GFP_DMA | __GFP_HIGHMEM));
	cpucache_creating = 0;
	if (!cc)
		return;
	cc->avail = 0;
	cc->limit = cachep->limit;
	cc->batchcount = cachep->batchcount;

	spin_lock(&slot->lock);
	if (!slot->cc) {
		slot_cc_set(slot, cc);
		cc = NULL;
	}
	spin_unlock(&slot->lock);
	if (cc)
		kfree(cc);	/* another thread on this slot was first */
}

/*
 * An object from the owner's array, refilled from the slabs when empty, or
 * NULL.  Caller is the owner inside owner_begin(), or holds slot->lock.
 */
static void *__cpucache_pop(kmem_cache_t *cachep, struct kmem_cpu_slot *slot)
{
	cpucache_t *cc = slot->cc;
	void *objp;

	if (!cc)
		return kmem_cache_refill(cachep, &objp, 1) ? objp : NULL;
	if (!cc->avail)
		cc->avail = kmem_cache_refill(cachep, cc->entry, cc->batchcount);
	return cc->avail ? cc->entry[--cc->avail] : NULL;
}

/* Same conditions as __cpucache_pop; a full array first gives a batch back. */
static void __cpucache_push(kmem_cache_t *cachep, struct kmem_cpu_slot *slot,
			    void *objp)
{
	cpucache_t *cc = slot->cc;

	if (!cc) {
		free_block(cachep, &objp, 1);
		return;
	}
	if (cc->avail == cc->limit) {
		cc->avail -= cc->batchcount;
		free_block(cachep, &cc->entry[cc->avail], cc->batchcount);
	}
	cc->entry[cc->avail++] = objp;
}

/* Slot's array access for its owner: lock-free unless a drainer is at work. */
static void *cpucache_owner_pop(kmem_cache_t *cachep, struct kmem_cpu_slot *slot)
{
	void *objp;

	if (likely(owner_begin(&slot->gate))) {
		objp = __cpucache_pop(cachep, slot);
		owner_end(&slot->gate);
		return objp;
	}
	spin_lock(&slot->lock);
	objp = __cpucache_pop(cachep, slot);
	spin_unlock(&slot->lock);
	return objp;
}

static void cpucache_owner_push(kmem_cache_t *cachep, struct kmem_cpu_slot *slot,
				void *objp)
{
	if (likely(owner_begin(&slot->gate))) {
		__cpucache_push(cachep, slot, objp);
		owner_end(&slot->gate);
		return;
	}
	spin_lock(&slot->lock);
	__cpucache_push(cachep, slot, objp);
	spin_unlock(&slot->lock);
}

void *cpucache_alloc(kmem_cache_t *cachep, unsigned int flags)
{
	int cpu = smp_exclusive_cpu();
	struct kmem_cpu_slot *slot = cpu >= 0 ? &cachep->cpudata[cpu] : NULL;
	void *objp;

	if (slot && cachep->limit && unlikely(!slot_cc_peek(slot)))
		cpucache_create(cachep, slot, flags);
	for (;;) {
		if (slot)
			objp = cpucache_owner_pop(cachep, slot);
		else if (!kmem_cache_refill(cachep, &objp, 1))
			objp = NULL;
		if (objp)
			return objp;
		if (kmem_cache_grow(cachep, flags))
			return NULL;
	}
}

void cpucache_free(kmem_cache_t *cachep, void *objp)
{
	int cpu = smp_exclusive_cpu();

	if (cpu < 0) {
		free_block(cachep, &objp, 1);
		return;
	}
	cpucache_owner_push(cachep, &cachep->cpudata[cpu], objp);
}

/* Take the slot from its owner (see the file header); then release it. */
static void slot_drain_begin(struct kmem_cpu_slot *slot)
{
	spin_lock(&slot->lock);
	drainer_begin(&slot->gate);
}

static void slot_drain_end(struct kmem_cpu_slot *slot)
{
	drainer_end(&slot->gate);
	spin_unlock(&slot->lock);
}

/*
 * Give slot cpu's objects back to the slabs and, if release, free its
 * array too.  Fences the owner out for the duration.
 */
static void cpucache_empty_slot(kmem_cache_t *cachep, int cpu, int release)
{
	struct kmem_cpu_slot *slot = &cachep->cpudata[cpu];
	cpucache_t *cc;

	if (!slot_cc_peek(slot))
		return;
	slot_drain_begin(slot);
	cc = slot->cc;
	if (cc && cc->avail) {
		free_block(cachep, cc->entry, cc->avail);
		cc->avail = 0;
	}
	if (release)
		slot_cc_set(slot, NULL);
	slot_drain_end(slot);
	if (release && cc)
		kfree(cc);
}

void cpucache_drain_slot(kmem_cache_t *cachep, int cpu)
{
	cpucache_empty_slot(cachep, cpu, 0);
}

void kmem_cache_drain_cpus(kmem_cache_t *cachep)
{
	int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		cpucache_drain_slot(cachep, cpu);
}

unsigned long cpucache_avail(kmem_cache_t *cachep)
{
	unsigned long n = 0;
	int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		struct kmem_cpu_slot *slot = &cachep->cpudata[cpu];

		if (!slot_cc_peek(slot))
			continue;
		slot_drain_begin(slot);
		n += slot->cc ? slot->cc->avail : 0;
		slot_drain_end(slot);
	}
	return n;
}

/*
 * Drain one slot's array and free it.  The kfree() lands in the calling
 * thread's array of a size cache, or straight in its slabs if that array
 * is already gone; either way nothing is left behind once every slot (or
 * every cache, for a dead slot) has been released.
 */
void cpucache_release_slot(kmem_cache_t *cachep, int cpu)
{
	cpucache_empty_slot(cachep, cpu, 1);
}

void cpucache_release(kmem_cache_t *cachep)
{
	int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		cpucache_release_slot(cachep, cpu);
}
