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
 * Locking: the slot lock guards slot->cc and the array; it is taken
 * before cachep->spinlock (vm/locking.h) and never held across
 * kmem_cache_grow() or kmalloc().  The array itself is kmalloc'ed the first
 * time a slot allocates from the cache, outside every lock; slot->cc is
 * written under the slot lock with atomic stores so that a drainer may
 * peek at it without the lock.  Only the first allocation creates an
 * array: a slot that only frees gives its objects straight to the slabs.
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

/* An object from the slot's array or the slabs, or NULL; caller holds slot->lock. */
static void *__cpucache_pop(kmem_cache_t *cachep, struct kmem_cpu_slot *slot)
{
	cpucache_t *cc = slot->cc;
	void *objp;

	assert_spin_locked(&slot->lock);
	if (!cc)
		return kmem_cache_refill(cachep, &objp, 1) ? objp : NULL;
	if (!cc->avail)
		cc->avail = kmem_cache_refill(cachep, cc->entry, cc->batchcount);
	return cc->avail ? cc->entry[--cc->avail] : NULL;
}

void *cpucache_alloc(kmem_cache_t *cachep, unsigned int flags)
{
	struct kmem_cpu_slot *slot = &cachep->cpudata[smp_processor_id()];
	void *objp;

	if (cachep->limit && unlikely(!slot_cc_peek(slot)))
		cpucache_create(cachep, slot, flags);
	for (;;) {
		spin_lock(&slot->lock);
		objp = __cpucache_pop(cachep, slot);
		spin_unlock(&slot->lock);
		if (objp)
			return objp;
		if (kmem_cache_grow(cachep, flags))
			return NULL;
	}
}

void cpucache_free(kmem_cache_t *cachep, void *objp)
{
	struct kmem_cpu_slot *slot = &cachep->cpudata[smp_processor_id()];
	cpucache_t *cc;

	spin_lock(&slot->lock);
	cc = slot->cc;
	if (!cc) {
		free_block(cachep, &objp, 1);
	} else {
		if (cc->avail == cc->limit) {
			cc->avail -= cc->batchcount;
			free_block(cachep, &cc->entry[cc->avail], cc->batchcount);
		}
		cc->entry[cc->avail++] = objp;
	}
	spin_unlock(&slot->lock);
}

void cpucache_drain_slot(kmem_cache_t *cachep, int cpu)
{
	struct kmem_cpu_slot *slot = &cachep->cpudata[cpu];
	cpucache_t *cc;

	if (!slot_cc_peek(slot))
		return;
	spin_lock(&slot->lock);
	cc = slot->cc;
	if (cc && cc->avail) {
		free_block(cachep, cc->entry, cc->avail);
		cc->avail = 0;
	}
	spin_unlock(&slot->lock);
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
		spin_lock(&slot->lock);
		n += slot->cc ? slot->cc->avail : 0;
		spin_unlock(&slot->lock);
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
	struct kmem_cpu_slot *slot = &cachep->cpudata[cpu];
	cpucache_t *cc;

	if (!slot_cc_peek(slot))
		return;
	spin_lock(&slot->lock);
	cc = slot->cc;
	if (cc && cc->avail)
		free_block(cachep, cc->entry, cc->avail);
	slot_cc_set(slot, NULL);
	spin_unlock(&slot->lock);
	if (cc)
		kfree(cc);
}

void cpucache_release(kmem_cache_t *cachep)
{
	int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		cpucache_release_slot(cachep, cpu);
}
