/*
 * vm/slab_internal.h - the slab allocator's private structures, shared by
 * vm/slab.c (caches, slabs, objects), vm/slab_cpucache.c (per-thread
 * object arrays) and vm/kmalloc.c (the size caches).  Nothing outside
 * those three files includes it.
 *
 * A slab of 2^gfporder frames, descriptor on the slab (objects smaller
 * than PAGE_SIZE/8):
 *
 *   | colour | slab_t | bufctl[num] | pad to 64 | obj 0 | obj 1 | ... | left |
 *   ^ page_address       ^ slab_t + 1            ^ s_mem
 *   <------ colouroff --------------------------->
 *
 * Off-slab (CFLGS_OFF_SLAB) the slab_t and its bufctl[] come from a kmalloc
 * cache (slabp_cache) and the frames hold only colour and objects.
 *
 * One object's slot (objsize bytes, a multiple of the alignment); the
 * guard words exist only with SLAB_RED_ZONE:
 *
 *   | pad | RZ1 | object (obj_size bytes) | RZ2 | pad |
 *   ^ slot     ^ slot + obj_offset: what callers get
 *
 * Every frame of a slab has PG_slab and, in page->list, the owning cache
 * (list.next) and slab (list.prev), as 2.4's SET_PAGE_CACHE/SET_PAGE_SLAB.
 */
#ifndef IMGFS_VM_SLAB_INTERNAL_H
#define IMGFS_VM_SLAB_INTERNAL_H

#include "vm/slab.h"
#include "vm/mm.h"
#include "vm/list.h"
#include "vm/smp.h"
#include "vm/spinlock.h"

#define BYTES_PER_WORD	sizeof(void *)
#define SLAB_ALIGN(x, a)	(((x) + (a) - 1) & ~((size_t)(a) - 1))
#define L1_CACHE_ALIGN(x)	SLAB_ALIGN(x, L1_CACHE_BYTES)

/* Largest object and slab (2.4: MAX_OBJ_ORDER, MAX_GFP_ORDER). */
#define KMALLOC_MAX_SIZE	(1UL << 17)	/* 131072: 32 frames */
#define MAX_GFP_ORDER		5
_Static_assert(MAX_GFP_ORDER < MAX_ORDER, "slab order beyond the buddy's");
_Static_assert(KMALLOC_MAX_SIZE <= (PAGE_SIZE << MAX_GFP_ORDER), "kmalloc max");

/* Internal cache flags, kept in cachep->flags above the public ones. */
#define CFLGS_OFF_SLAB	0x80000000UL	/* slab_t lives in slabp_cache */
/* cachep->dflags (dynamic, under cachep->spinlock). */
#define DFLGS_GROWN	0x1		/* grown since the last reap scan */

/* The free list of a slab: bufctl[i] is the index of the next free object. */
typedef unsigned int kmem_bufctl_t;
#define BUFCTL_END	0xffffffffU	/* end of the free list */
#define BUFCTL_ACTIVE	0xfffffffeU	/* object is allocated (double-free check) */
#define SLAB_LIMIT	0xfffffffdU	/* most objects per slab */

/* Red-zone guard words (2.4 values) and poison bytes. */
#define RED_MAGIC1	0x5A2CF071UL	/* object is free */
#define RED_MAGIC2	0x170FC2A5UL	/* object is allocated */
#define POISON_BYTE	0x5a
#define POISON_END	0xa5

/*
 * One slab.  Protected by its cache's spinlock, except s_mem and
 * colouroff which are set before the slab is published and never change.
 */
typedef struct slab_s {
	struct list_head list;		/* on slabs_full/partial/free */
	unsigned long colouroff;	/* bytes from the first frame to s_mem */
	void *s_mem;			/* first object slot */
	unsigned int inuse;		/* objects handed out (incl. thread arrays) */
	kmem_bufctl_t free;		/* first free object, or BUFCTL_END */
} slab_t;

static inline kmem_bufctl_t *slab_bufctl(slab_t *slabp)
{
	return (kmem_bufctl_t *)(slabp + 1);
}

/*
 * A thread slot's array of free objects (book 8.5, cpucache_t): a LIFO
 * stack, so the most recently freed (cache-hot) object goes out first.
 * Protected by the owning kmem_cpu_slot's lock.
 */
typedef struct cpucache_s {
	unsigned int avail;		/* objects in entry[] */
	unsigned int limit;		/* capacity of entry[] */
	unsigned int batchcount;	/* objects moved per refill/flush */
	void *entry[];
} cpucache_t;

/*
 * Per slot: the lock comes first so a slot can be drained by any thread;
 * cc is allocated (kmalloc) the first time the slot uses the cache.
 * One cache line each, so threads on different slots share no line.
 */
struct kmem_cpu_slot {
	struct owner_gate gate;		/* the owner's lock-free access (smp.h) */
	spinlock_t lock;		/* serializes drainers, and the owner
					 * while a drainer is at work */
	cpucache_t *cc;			/* NULL until first use; written by the
					 * owner under lock, or by a drainer */
} __cacheline_aligned;

struct kmem_cache_s {
	/* 1) hot: every batch moved between slabs and arrays */
	spinlock_t spinlock;		/* the slab lists, colour_next, growing,
					 * dflags, failures and the statistics */
	struct list_head slabs_full;
	struct list_head slabs_partial;
	struct list_head slabs_free;
	size_t objsize;			/* slot stride: constant */
	unsigned long objsize_recip;	/* ceil(2^44 / objsize), so the free
					 * path divides by multiplying */
	size_t obj_size;		/* bytes the caller may use: constant */
	size_t obj_offset;		/* object within its slot: constant */
	unsigned long flags;		/* SLAB_* and CFLGS_*: constant */
	unsigned int num;		/* objects per slab: constant */
	unsigned int limit;		/* thread array capacity (0: none): constant */
	unsigned int batchcount;	/* objects per refill/flush: constant */

	/* 2) growing and shrinking */
	unsigned int gfporder;		/* constant */
	unsigned int gfpflags;		/* __GFP_DMA or 0: constant */
	unsigned int colour;		/* number of colour offsets: constant */
	unsigned int colour_off;	/* bytes per colour step: constant */
	unsigned int colour_next;	/* spinlock */
	kmem_cache_t *slabp_cache;	/* off-slab descriptors: constant */
	unsigned int growing;		/* spinlock: grows in progress */
	unsigned int dflags;		/* spinlock: DFLGS_* */
	kmem_ctor_t ctor;		/* constant */
	kmem_ctor_t dtor;		/* constant */
	unsigned long failures;		/* spinlock: grows failed in a row */

	/* 3) creation and removal */
	const char *name;		/* constant */
	struct list_head next;		/* cache_chain, under cache_chain_sem */

	/* 4) statistics (2.4 STATS), under spinlock */
	unsigned long num_active;	/* objects out of the slabs */
	unsigned long num_allocations;	/* objects ever taken from the slabs */
	unsigned long high_mark;	/* most num_active seen */
	unsigned long grown;		/* slabs added */
	unsigned long reaped;		/* slabs freed by kmem_cache_reap */
	unsigned long errors;		/* grows that failed */

	/* 5) per thread slot */
	struct kmem_cpu_slot cpudata[NR_CPUS];
};

/* ---- vm/slab.c -------------------------------------------------------- */

/* Most objects an off-slab descriptor may track (set by the size caches). */
extern unsigned int offslab_limit;

/*
 * Move up to n objects from the slabs into entry[]; never grows.  Takes
 * cachep->spinlock.  Returns the number moved.
 */
unsigned int kmem_cache_refill(kmem_cache_t *cachep, void **entry, unsigned int n);

/* Return n objects to their slabs.  Takes cachep->spinlock. */
void free_block(kmem_cache_t *cachep, void **entry, unsigned int n);

/* Add one slab.  No lock held by the caller.  0 or -ENOMEM. */
int kmem_cache_grow(kmem_cache_t *cachep, unsigned int flags);

/*
 * The cache owning objp, after checking that objp is a slab object at the
 * start of a slot (BUG otherwise).
 */
kmem_cache_t *kmem_obj_cache(const void *objp);

/* ---- the owner's fast paths (vm/slab_cpucache.c has the rest) ------- */

/*
 * Pop from the calling thread's own array: no lock, no atomic RMW.  NULL
 * when there is no array, it is empty, or a drainer is at work; the
 * caller then takes cpucache_alloc().
 */
static inline void *cpucache_alloc_fast(kmem_cache_t *cachep)
{
	struct kmem_cpu_slot *slot;
	void *objp = NULL;
	cpucache_t *cc;
	int cpu = smp_exclusive_cpu();

	if (unlikely(cpu < 0))
		return NULL;
	slot = &cachep->cpudata[cpu];
	if (unlikely(!owner_begin(&slot->gate)))
		return NULL;
	cc = slot->cc;
	if (likely(cc && cc->avail))
		objp = cc->entry[--cc->avail];
	owner_end(&slot->gate);
	return objp;
}

/* Push onto the caller's own array if it has room; 0 if not done. */
static inline int cpucache_free_fast(kmem_cache_t *cachep, void *objp)
{
	struct kmem_cpu_slot *slot;
	cpucache_t *cc;
	int done = 0;
	int cpu = smp_exclusive_cpu();

	if (unlikely(cpu < 0))
		return 0;
	slot = &cachep->cpudata[cpu];
	if (unlikely(!owner_begin(&slot->gate)))
		return 0;
	cc = slot->cc;
	if (likely(cc && cc->avail < cc->limit)) {
		cc->entry[cc->avail++] = objp;
		done = 1;
	}
	owner_end(&slot->gate);
	return done;
}

/* ---- vm/slab_cpucache.c ----------------------------------------------- */

/* Set limit and batchcount from the object size (2.4 enable_cpucache). */
void cpucache_tune(kmem_cache_t *cachep);
void cpucache_init_slots(kmem_cache_t *cachep);

/* The fast paths: an object from, or to, the calling thread's array. */
void *cpucache_alloc(kmem_cache_t *cachep, unsigned int flags);
void cpucache_free(kmem_cache_t *cachep, void *objp);

/* Empty one slot's array of cachep into its slabs. */
void cpucache_drain_slot(kmem_cache_t *cachep, int cpu);

/* Objects held in all slots' arrays of cachep. */
unsigned long cpucache_avail(kmem_cache_t *cachep);

/*
 * Drain and free one slot's array (its last thread exited), or every
 * slot's (cache destruction).  The arrays go back to their kmalloc caches;
 * the slot locks stay.
 */
void cpucache_release_slot(kmem_cache_t *cachep, int cpu);
void cpucache_release(kmem_cache_t *cachep);

/* ---- vm/kmalloc.c ----------------------------------------------------- */

/* Forget the size caches (kmem_cache_exit). */
void kmem_cache_sizes_exit(void);

#endif
