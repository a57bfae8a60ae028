/*
 * vm/slab.h - the slab allocator (book chapter 8; Bonwick, "The Slab
 * Allocator: An Object-Caching Kernel Memory Allocator", USENIX 1994).
 *
 * A cache hands out objects of one size.  Its memory comes from the buddy
 * allocator in slabs of 2^gfporder low-memory frames, kept on three lists
 * (full, partial, free).  Each slab starts its objects at a colour offset
 * that cycles from slab to slab so that objects of different slabs fall on
 * different cache lines.  Free objects of a slab are chained through a
 * kmem_bufctl_t array stored after the slab descriptor, which lives at the
 * head of the slab (small objects) or off-slab in a kmalloc cache.
 *
 * Each thread slot (vm/smp.h) has an array of recently freed objects per
 * cache (the book's per-CPU cpucache_t).  The thread that owns the slot
 * pops and pushes with no lock and no atomic read-modify-write; a thread
 * that drains another's array (shrink, reap) fences the owner out with
 * membarrier(2), as the kernel would with an IPI.  The cache's own lock
 * is taken only to move a batch between the array and the slabs.
 *
 * Constructors run when an object is first laid out in a new slab, never on
 * reuse: a freed object must be returned in its constructed state.
 *
 * Locks: cache_chain_sem (the list of caches) -> cachep->spinlock ->
 * zone->lock (through kmem_getpages).  The per-slot array lock is taken
 * before cachep->spinlock when a batch moves.
 */
#ifndef IMGFS_VM_SLAB_H
#define IMGFS_VM_SLAB_H

#include <stddef.h>
#include "vm/gfp.h"

struct seq_buf;
typedef struct kmem_cache_s kmem_cache_t;

/* kmem_cache_create() flags (book 8.1.2). */
#define SLAB_DEBUG_FREE		0x00000100UL	/* check frees thoroughly */
#define SLAB_DEBUG_INITIAL	0x00000200UL	/* verify constructed state on free */
#define SLAB_RED_ZONE		0x00000400UL	/* guard words around objects */
#define SLAB_POISON		0x00000800UL	/* fill free objects with a pattern */
#define SLAB_NO_REAP		0x00001000UL	/* kmem_cache_reap() leaves it alone */
#define SLAB_HWCACHE_ALIGN	0x00002000UL	/* align objects to cache lines */
#define SLAB_CACHE_DMA		0x00004000UL	/* slabs from ZONE_DMA */
#define SLAB_MUST_HWCACHE_ALIGN	0x00008000UL

/* Constructor flags. */
#define SLAB_CTOR_CONSTRUCTOR	0x001UL
#define SLAB_CTOR_ATOMIC	0x002UL
#define SLAB_CTOR_VERIFY	0x004UL

/* Allocation flags are GFP flags (book 8.1.4). */
#define SLAB_NOFS	GFP_NOFS
#define SLAB_NOIO	GFP_NOIO
#define SLAB_NOHIGHIO	GFP_NOHIGHIO
#define SLAB_ATOMIC	GFP_ATOMIC
#define SLAB_USER	GFP_USER
#define SLAB_KERNEL	GFP_KERNEL
#define SLAB_DMA	GFP_DMA

typedef void (*kmem_ctor_t)(void *obj, kmem_cache_t *cachep, unsigned long flags);

/* Set up cache_cache and the kmalloc caches.  Called by vm_init(). */
void kmem_cache_init(void);
void kmem_cache_sizes_init(void);
/* Tear everything down (vm_exit); leaks are reported, not fatal. */
void kmem_cache_exit(void);

/*
 * Create a cache of objects of size bytes.  name must stay valid for the
 * cache's life.  Returns NULL (with errno set) on bad arguments or when no
 * memory is left.  May sleep: takes cache_chain_sem.
 *
 * errno EINVAL: name NULL, empty, longer than 63 bytes or containing
 * white space (it is one /proc/slabinfo column); size 0 or above 131072;
 * offset above size; a dtor without a ctor; unknown flags.  EEXIST: a
 * cache of that name exists (2.4 BUG()s on that; we refuse, so a cache
 * leaked by an earlier user shows up at once).  ENOMEM: no descriptor.
 * offset is the colour step (0: L1_CACHE_BYTES), rounded up to the
 * alignment: 64 bytes with SLAB_HWCACHE_ALIGN, else a machine word.
 */
kmem_cache_t *kmem_cache_create(const char *name, size_t size, size_t offset,
				unsigned long flags, kmem_ctor_t ctor,
				kmem_ctor_t dtor);

/*
 * 0, or -EBUSY (and nothing freed) if objects are still allocated.  The
 * thread arrays are drained and empty slabs released first either way;
 * after -EBUSY the cache stays fully usable.  -EINVAL for NULL.
 */
int kmem_cache_destroy(kmem_cache_t *cachep);

/* Release every free slab to the buddy allocator; returns frames freed. */
int kmem_cache_shrink(kmem_cache_t *cachep);

/*
 * NULL when no memory can be had under flags.  Slabs always come from low
 * memory (__GFP_HIGHMEM is ignored); the cache, not the call, decides DMA.
 */
void *kmem_cache_alloc(kmem_cache_t *cachep, unsigned int flags);
/*
 * objp NULL is a no-op.  A pointer that is not an object of cachep (other
 * cache, not a slab page, not the start of an object), a red zone
 * overwritten or an object freed twice is a BUG() naming the cache.
 */
void kmem_cache_free(kmem_cache_t *cachep, void *objp);

/* Size caches 32 .. 131072 bytes, and their DMA twins (book 8.4). */
void *kmalloc(size_t size, unsigned int flags);
void *kzalloc(size_t size, unsigned int flags);
void kfree(const void *objp);
/* The usable size of a kmalloc'ed object. */
size_t ksize(const void *objp);
/* The cache kmalloc(size, flags) would use, or NULL if too large. */
kmem_cache_t *kmem_find_general_cachep(size_t size, unsigned int gfpflags);

/*
 * Free slabs from the cache with the most to give (book 8.1.7), as kswapd
 * does under pressure.  Returns frames freed.  gfp_mask tells whether the
 * caller may sleep on the cache chain lock.
 */
int kmem_cache_reap(unsigned int gfp_mask);

/* Frames held by all caches, for meminfo's Slab line. */
unsigned long kmem_cache_total_pages(void);

/* /proc/slabinfo, version 2.1 columns.  0 or -ENOSPC. */
int slabinfo_render(struct seq_buf *s);

/* What a test needs to see of a cache. */
struct kmem_cache_info {
	const char *name;
	size_t objsize;		/* bytes per object, with alignment */
	unsigned int num;	/* objects per slab */
	unsigned int gfporder;
	unsigned int colour;	/* number of colour offsets */
	unsigned int colour_off;	/* bytes between offsets */
	unsigned int colour_next;	/* offset the next slab gets */
	int off_slab;		/* descriptor kept off the slab */
	unsigned long active_objs, num_objs;
	unsigned long active_slabs, num_slabs;
	unsigned long full_slabs, partial_slabs, free_slabs;
	unsigned long cpu_avail;	/* objects held in thread arrays */
	size_t obj_size;	/* bytes a caller may use (ksize) */
	unsigned int limit;	/* thread array capacity (0: no arrays) */
	unsigned int batchcount;	/* objects moved per refill or flush */
	unsigned long grown, reaped, errors;	/* slabs added, slabs reaped,
						 * grows that failed */
};
void kmem_cache_get_info(kmem_cache_t *cachep, struct kmem_cache_info *info);

/* Empty every thread slot's array of cachep back into its slabs. */
void kmem_cache_drain_cpus(kmem_cache_t *cachep);

/*
 * The global debug switch: while on, caches created from then on get
 * SLAB_RED_ZONE, and SLAB_POISON unless they have a constructor (objects
 * too large to guard within a 32-frame slab are not red-zoned).
 * kmem_cache_init() turns it on when the environment has
 * IMGFS_SLAB_DEBUG set to anything but "0"; set it before vm_init() to
 * cover the kmalloc caches too.  Returns the previous setting.
 */
int slab_debug_set(int on);

#endif
