/*
 * vm/slab.c - caches, slabs and objects (book chapter 8: 8.1 caches, 8.2
 * slabs, 8.3 objects, 8.6 initialisation; Bonwick, "The Slab Allocator",
 * USENIX 1994).  The per-thread object arrays are in vm/slab_cpucache.c,
 * the kmalloc size caches in vm/kmalloc.c; the memory layout of a slab is
 * drawn in vm/slab_internal.h.
 *
 * Interface (vm/slab.h): kmem_cache_init() at boot sets up cache_cache,
 * the static cache the other caches' descriptors come from; then
 * kmem_cache_create() / kmem_cache_alloc() / kmem_cache_free() /
 * kmem_cache_shrink() / kmem_cache_destroy(); kmem_cache_reap() for
 * kswapd; kmem_cache_get_info() and slabinfo_render() for statistics;
 * kmem_cache_exit() at shutdown.
 *
 * Allocation goes thread array -> slabs_partial -> slabs_free -> a new
 * slab from the buddy allocator (kmem_cache_grow, with the caller's gfp
 * flags).  Freeing goes into the thread array; a full array gives half
 * back to the slabs (free_block).  Empty slabs stay on slabs_free until
 * kmem_cache_shrink() or kmem_cache_reap() returns their frames.
 *
 * Checks: every free validates the pointer (a slab page of this cache, the
 * start of an object slot); an object returned to its slab twice is
 * caught by its bufctl entry (BUFCTL_ACTIVE while allocated).  Caches with
 * SLAB_RED_ZONE (guard words checked on every free: overrun or double
 * free) and SLAB_POISON (0x5a fill checked on every allocation: use after
 * free) check more; slab_debug_set() turns both on for new caches.
 * A failed check logs the cache's name and BUG()s.
 *
 * Choices where the book leaves room:
 *   - gfporder: an object that fits in one frame gets order-0 slabs,
 *     whatever the left-over: caches grow on paths users drive again and
 *     again (inodes, buffer heads, file handles), and a fragmented arena
 *     always has single frames, never surely two together.  Larger
 *     objects as 2.4's kmem_cache_create(): grow the order while more
 *     than 1/8 of the slab would be wasted, stop at slab_break_gfp_order
 *     (1, or 2 above 32 MiB of memory) once an object fits, never above
 *     MAX_GFP_ORDER (5: 32 frames, so objects up to 131072 bytes).
 *   - Descriptors go off-slab for slots of PAGE_SIZE/8 bytes or more,
 *     unless the slab's left-over space holds them anyway.
 *   - Names are unique: kmem_cache_create() refuses a name in use (EEXIST).
 *   - SLAB_HWCACHE_ALIGN always means 64-byte alignment (2.4 would halve it
 *     for small objects); red zones keep the alignment of the object.
 *   - kmem_cache_reap() looks at every cache, not 2.4's ten, and frees
 *     80% of the best one's free slabs (rounded up), as the book has it.
 *
 * Locking (the VM's whole order is in vm/locking.h):
 *   cache_chain_sem  the list of caches (cache_chain), reap's scan,
 *                    slabinfo; a sleeping lock, never held to allocate.
 *   per-slot lock    a thread slot's array (vm/slab_cpucache.c).
 *   cachep->spinlock the slab lists and counters of one cache.
 * Order: cache_chain_sem -> per-slot lock -> cachep->spinlock ->
 * pageset/zone locks.  kmem_cache_grow() runs with none of them held,
 * because the buddy allocator may reclaim, and reclaim reaps caches.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "vm/slab_internal.h"
#include "vm/seq_buf.h"

#define CACHE_NAMELEN		64	/* names are shorter than this */
#define BREAK_GFP_ORDER_HI	2	/* more than 32 MiB of memory */
#define BREAK_GFP_ORDER_LO	1
#define SLAB_CREATE_MASK	(SLAB_DEBUG_FREE | SLAB_DEBUG_INITIAL | \
				 SLAB_RED_ZONE | SLAB_POISON | SLAB_NO_REAP | \
				 SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA | \
				 SLAB_MUST_HWCACHE_ALIGN)
#define SLAB_DEBUG_CHECKS	(SLAB_RED_ZONE | SLAB_POISON | SLAB_DEBUG_INITIAL)
#define OFF_SLAB(c)		((c)->flags & CFLGS_OFF_SLAB)

static kmem_cache_t cache_cache;	/* the caches' descriptors */
static struct list_head cache_chain;	/* cache_chain_sem */
static spinlock_t cache_chain_sem;
static int slab_up;			/* atomic: between init and exit */
static int slab_debug;			/* atomic: the global debug switch */
static unsigned int slab_break_gfp_order = BREAK_GFP_ORDER_LO;
static unsigned long slab_pages;	/* atomic: frames held by slabs */
unsigned int offslab_limit;		/* set by kmem_cache_sizes_init() */

/* A failed check: name the cache, then BUG() in the caller. */
#define slab_bug(cachep, objp, what) do {				\
	vm_log("slab: cache %s: object %p: %s", (cachep)->name,		\
	       (const void *)(objp), (what));				\
	BUG();								\
} while (0)

/* ---- page ownership (2.4 SET_PAGE_CACHE / SET_PAGE_SLAB) -------------- */

static inline kmem_cache_t *GET_PAGE_CACHE(const struct page *page)
{
	return (kmem_cache_t *)page->list.next;
}

static inline slab_t *GET_PAGE_SLAB(const struct page *page)
{
	return (slab_t *)page->list.prev;
}

static void kmem_set_page_owner(kmem_cache_t *cachep, slab_t *slabp,
				struct page *page)
{
	unsigned long i;

	for (i = 0; i < (1UL << cachep->gfporder); i++) {
		page[i].list.next = (struct list_head *)cachep;
		page[i].list.prev = (struct list_head *)slabp;
		SetPageSlab(page + i);
	}
}

static inline void *slab_obj(const kmem_cache_t *cachep, const slab_t *slabp,
			     unsigned int i)
{
	return (char *)slabp->s_mem + i * cachep->objsize + cachep->obj_offset;
}

/*
 * Offsets inside a slab are below 2^17 (order 5) and strides at most
 * 2^17, so with a 2^44 reciprocal (off * recip) >> 44 is exactly
 * off / objsize (2.6's reciprocal_divide, with room to spare).
 */
#define RECIP_SHIFT	44
_Static_assert(((1UL << (5 + PAGE_SHIFT)) * (unsigned long)KMALLOC_MAX_SIZE) <
	       (1UL << RECIP_SHIFT), "reciprocal division is exact");

static inline unsigned long slab_div(const kmem_cache_t *cachep, unsigned long off)
{
	return (off * cachep->objsize_recip) >> RECIP_SHIFT;
}

static void kmem_cache_set_recip(kmem_cache_t *cachep)
{
	cachep->objsize_recip = ((1UL << RECIP_SHIFT) + cachep->objsize - 1) /
				cachep->objsize;
}

static inline unsigned int slab_objnr(const kmem_cache_t *cachep,
				      const slab_t *slabp, const void *objp)
{
	size_t off = (size_t)((const char *)objp - (const char *)slabp->s_mem) -
		     cachep->obj_offset;

	return (unsigned int)slab_div(cachep, off);
}

/*
 * objp must be the start of an object of a slab of cachep (or of any
 * cache, cachep NULL).  Returns its cache; BUG() otherwise.  That it lies
 * on a slab page of the right cache is checked always (one cache line of
 * mem_map); that it is the start of an object needs the slab descriptor
 * too, and is checked for debugging caches (SLAB_DEBUG_FREE, red zone,
 * poison) only, as 2.4 does under DEBUG - it would double the cost of
 * kmem_cache_free().
 */
static kmem_cache_t *kmem_check_obj(kmem_cache_t *cachep, const void *objp)
{
	struct page *page;
	kmem_cache_t *owner;
	slab_t *slabp;
	ptrdiff_t off;

	if (!virt_addr_valid(objp)) {
		vm_log("slab: cache %s: free of %p, outside low memory",
		       cachep ? cachep->name : "?", objp);
		BUG();
	}
	page = virt_to_page(objp);
	if (!PageSlab(page)) {
		vm_log("slab: cache %s: free of %p, not a slab page",
		       cachep ? cachep->name : "?", objp);
		BUG();
	}
	owner = GET_PAGE_CACHE(page);
	if (cachep && owner != cachep) {
		vm_log("slab: cache %s: free of %p, an object of cache %s",
		       cachep->name, objp, owner->name);
		BUG();
	}
	if (!(owner->flags & (SLAB_DEBUG_FREE | SLAB_DEBUG_CHECKS)))
		return owner;
	slabp = GET_PAGE_SLAB(page);
	off = (const char *)objp - (const char *)slabp->s_mem -
	      (ptrdiff_t)owner->obj_offset;
	if (off < 0 || (size_t)off >= owner->num * owner->objsize ||
	    slab_div(owner, (unsigned long)off) * owner->objsize != (size_t)off)
		slab_bug(owner, objp, "not the start of an object");
	return owner;
}

kmem_cache_t *kmem_obj_cache(const void *objp)
{
	return kmem_check_obj(NULL, objp);
}

/* ---- debugging: red zones and poison (book 8.2.x DEBUG code) ---------- */

static inline unsigned long *red_zone1(const kmem_cache_t *cachep, void *objp)
{
	(void)cachep;
	return (unsigned long *)((char *)objp - BYTES_PER_WORD);
}

static inline unsigned long *red_zone2(const kmem_cache_t *cachep, void *objp)
{
	return (unsigned long *)((char *)objp + cachep->obj_size);
}

static void kmem_poison_obj(const kmem_cache_t *cachep, void *objp)
{
	memset(objp, POISON_BYTE, cachep->obj_size);
	((unsigned char *)objp)[cachep->obj_size - 1] = POISON_END;
}

static int kmem_poison_intact(const kmem_cache_t *cachep, const void *objp)
{
	const unsigned char *p = objp;
	size_t i, last = cachep->obj_size - 1;

	for (i = 0; i < last; i++)
		if (p[i] != POISON_BYTE)
			return 0;
	return p[last] == POISON_END;
}

/* A free object, about to be handed out: unchanged since it was freed? */
static void kmem_debug_alloc(kmem_cache_t *cachep, void *objp)
{
	if (cachep->flags & SLAB_RED_ZONE) {
		if (*red_zone1(cachep, objp) != RED_MAGIC1 ||
		    *red_zone2(cachep, objp) != RED_MAGIC1)
			slab_bug(cachep, objp, "red zone overwritten while free");
		*red_zone1(cachep, objp) = RED_MAGIC2;
		*red_zone2(cachep, objp) = RED_MAGIC2;
	}
	if ((cachep->flags & SLAB_POISON) && !kmem_poison_intact(cachep, objp))
		slab_bug(cachep, objp, "written after it was freed (poison)");
}

/* An object being freed: guards intact, then mark it free. */
static void kmem_debug_free(kmem_cache_t *cachep, void *objp)
{
	if (cachep->flags & SLAB_RED_ZONE) {
		unsigned long rz1 = *red_zone1(cachep, objp);
		unsigned long rz2 = *red_zone2(cachep, objp);

		if (rz1 == RED_MAGIC1 && rz2 == RED_MAGIC1)
			slab_bug(cachep, objp, "freed twice (red zone)");
		if (rz1 != RED_MAGIC2)
			slab_bug(cachep, objp, "red zone before the object overwritten");
		if (rz2 != RED_MAGIC2)
			slab_bug(cachep, objp, "red zone after the object overwritten");
		*red_zone1(cachep, objp) = RED_MAGIC1;
		*red_zone2(cachep, objp) = RED_MAGIC1;
	}
	if (cachep->flags & SLAB_DEBUG_INITIAL)
		cachep->ctor(objp, cachep, SLAB_CTOR_CONSTRUCTOR | SLAB_CTOR_VERIFY);
	if (cachep->flags & SLAB_POISON)
		kmem_poison_obj(cachep, objp);
}

/* A free object of a slab about to be destroyed. */
static void kmem_debug_check_free(kmem_cache_t *cachep, void *objp)
{
	if ((cachep->flags & SLAB_RED_ZONE) &&
	    (*red_zone1(cachep, objp) != RED_MAGIC1 ||
	     *red_zone2(cachep, objp) != RED_MAGIC1))
		slab_bug(cachep, objp, "red zone overwritten while free");
	if ((cachep->flags & SLAB_POISON) && !kmem_poison_intact(cachep, objp))
		slab_bug(cachep, objp, "written after it was freed (poison)");
}

int slab_debug_set(int on)
{
	return __atomic_exchange_n(&slab_debug, !!on, __ATOMIC_RELAXED);
}

/* The flags a new cache really gets (2.4's DEBUG/FORCED_DEBUG rules). */
static unsigned long kmem_debug_flags(unsigned long flags, kmem_ctor_t ctor)
{
	if (READ_ONCE(slab_debug)) {
		flags |= SLAB_RED_ZONE;
		if (!ctor)
			flags |= SLAB_POISON;
	}
	if (ctor)
		flags &= ~SLAB_POISON;	/* a constructed object is not garbage */
	else
		flags &= ~SLAB_DEBUG_INITIAL;
	return flags;
}

/* ---- layout: object size, order, colour (book 8.1.2, 8.2.7) ----------- */

/*
 * How many objects of size bytes fit in a slab of 2^gfporder frames, and
 * the bytes left over (2.4 kmem_cache_estimate).  An on-slab descriptor
 * takes sizeof(slab_t) plus a bufctl per object, rounded to a cache line.
 */
static void kmem_cache_estimate(unsigned int gfporder, size_t size,
				unsigned long flags, size_t *left_over,
				unsigned int *num)
{
	size_t wastage = PAGE_SIZE << gfporder, base = 0, extra = 0, i;

	if (!(flags & CFLGS_OFF_SLAB)) {
		base = sizeof(slab_t);
		extra = sizeof(kmem_bufctl_t);
	}
	i = wastage / (size + extra);
	while (i > 0 && i * size + L1_CACHE_ALIGN(base + i * extra) > wastage)
		i--;
	if (i > SLAB_LIMIT)
		i = SLAB_LIMIT;
	*num = (unsigned int)i;
	*left_over = wastage - i * size - (i ? L1_CACHE_ALIGN(base + i * extra) : 0);
}

/*
 * Pick gfporder: 0 when an object fits in a frame (see the file's head);
 * otherwise as 2.4 does: the smallest order that holds an object and
 * wastes at most 1/8 of the slab, but no higher than slab_break_gfp_order
 * once something fits, never above MAX_GFP_ORDER, and with no more objects
 * than an off-slab descriptor can track.  Sets gfporder and num.
 */
static int kmem_cache_pick_order(kmem_cache_t *cachep, size_t *left_over)
{
	unsigned int order;

	for (order = 0; ; order++) {
		kmem_cache_estimate(order, cachep->objsize, cachep->flags,
				    left_over, &cachep->num);
		if (order >= MAX_GFP_ORDER)
			break;
		if (!cachep->num)
			continue;
		if (order == 0)
			break;		/* order 0 only, where it can be */
		if (OFF_SLAB(cachep) && cachep->num > offslab_limit && order > 0) {
			order--;
			kmem_cache_estimate(order, cachep->objsize, cachep->flags,
					    left_over, &cachep->num);
			break;
		}
		if (order >= slab_break_gfp_order)
			break;
		if (*left_over * 8 <= (PAGE_SIZE << order))
			break;		/* acceptable internal fragmentation */
	}
	cachep->gfporder = order;
	return cachep->num ? 0 : -EINVAL;
}

/* Object slot: alignment, red zones, stride (see slab_internal.h). */
static void kmem_cache_obj_layout(kmem_cache_t *cachep, size_t size)
{
	size_t align = BYTES_PER_WORD;

	if (cachep->flags & (SLAB_HWCACHE_ALIGN | SLAB_MUST_HWCACHE_ALIGN))
		align = L1_CACHE_BYTES;
	cachep->obj_size = SLAB_ALIGN(size, BYTES_PER_WORD);
	if (cachep->flags & SLAB_RED_ZONE) {
		cachep->obj_offset = SLAB_ALIGN(BYTES_PER_WORD, align);
		cachep->objsize = SLAB_ALIGN(cachep->obj_offset + cachep->obj_size +
					     BYTES_PER_WORD, align);
		if (cachep->objsize <= KMALLOC_MAX_SIZE)
			goto out;
		cachep->flags &= ~SLAB_RED_ZONE;	/* too big to guard */
	}
	cachep->obj_offset = 0;
	cachep->objsize = SLAB_ALIGN(cachep->obj_size, align);
	cachep->obj_size = cachep->objsize;
out:
	kmem_cache_set_recip(cachep);
}

/*
 * The whole geometry of a cache: slot, on/off-slab descriptor, order,
 * colour.  offset is the caller's colour step.  0 or -EINVAL.
 */
static int kmem_cache_layout(kmem_cache_t *cachep, size_t size, size_t offset,
			     int force_on_slab)
{
	size_t left_over, slab_size, align;

	kmem_cache_obj_layout(cachep, size);
	if (cachep->objsize >= (PAGE_SIZE >> 3) && !force_on_slab)
		cachep->flags |= CFLGS_OFF_SLAB;
	if (kmem_cache_pick_order(cachep, &left_over))
		return -EINVAL;

	slab_size = L1_CACHE_ALIGN(cachep->num * sizeof(kmem_bufctl_t) +
				   sizeof(slab_t));
	if (OFF_SLAB(cachep) && left_over >= slab_size) {
		cachep->flags &= ~CFLGS_OFF_SLAB;	/* it fits after all */
		left_over -= slab_size;
	}
	if (OFF_SLAB(cachep)) {
		cachep->slabp_cache = kmem_find_general_cachep(slab_size, 0);
		if (!cachep->slabp_cache)
			return -EINVAL;
	}

	align = (cachep->flags & (SLAB_HWCACHE_ALIGN | SLAB_MUST_HWCACHE_ALIGN)) ?
		L1_CACHE_BYTES : BYTES_PER_WORD;
	cachep->colour_off = offset ? (unsigned int)SLAB_ALIGN(offset, align) :
			     L1_CACHE_BYTES;
	cachep->colour = (unsigned int)(left_over / cachep->colour_off);
	cachep->colour_next = 0;
	cachep->gfpflags = (cachep->flags & SLAB_CACHE_DMA) ? __GFP_DMA : 0;
	return 0;
}

/* Fill in a descriptor (from cache_cache, or the static cache_cache). */
static int kmem_cache_setup(kmem_cache_t *cachep, const char *name, size_t size,
			    size_t offset, unsigned long flags, kmem_ctor_t ctor,
			    kmem_ctor_t dtor, int force_on_slab)
{
	int err;

	memset(cachep, 0, sizeof(*cachep));
	cachep->name = name;
	cachep->flags = flags;
	cachep->ctor = ctor;
	cachep->dtor = dtor;
	INIT_LIST_HEAD(&cachep->slabs_full);
	INIT_LIST_HEAD(&cachep->slabs_partial);
	INIT_LIST_HEAD(&cachep->slabs_free);
	INIT_LIST_HEAD(&cachep->next);
	err = kmem_cache_layout(cachep, size, offset, force_on_slab);
	if (err)
		return err;
	cpucache_tune(cachep);
	spin_lock_init(&cachep->spinlock);
	cpucache_init_slots(cachep);
	return 0;
}

/* Locks of a descriptor that will not be used again. */
static void kmem_cache_teardown(kmem_cache_t *cachep)
{
	int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		spin_lock_destroy(&cachep->cpudata[cpu].lock);
	spin_lock_destroy(&cachep->spinlock);
}

/* ---- creating and destroying caches (book 8.1.2, 8.1.8) --------------- */

static int kmem_cache_name_ok(const char *name)
{
	size_t i;

	if (!name || !name[0])
		return 0;
	for (i = 0; name[i]; i++)
		if (i + 1 >= CACHE_NAMELEN || isspace((unsigned char)name[i]))
			return 0;
	return 1;
}

static int kmem_cache_check_args(const char *name, size_t size, size_t offset,
				 unsigned long flags, kmem_ctor_t ctor,
				 kmem_ctor_t dtor)
{
	if (!kmem_cache_name_ok(name) || size == 0 || size > KMALLOC_MAX_SIZE ||
	    offset > size || (dtor && !ctor) || (flags & ~SLAB_CREATE_MASK))
		return -EINVAL;
	return 0;
}

/* Caller holds cache_chain_sem. */
static kmem_cache_t *__kmem_cache_find(const char *name)
{
	struct list_head *p;

	assert_spin_locked(&cache_chain_sem);
	list_for_each(p, &cache_chain) {
		kmem_cache_t *cachep = list_entry(p, kmem_cache_t, next);

		if (!strcmp(cachep->name, name))
			return cachep;
	}
	return NULL;
}

static int kmem_cache_link(kmem_cache_t *cachep)
{
	int err = 0;

	spin_lock(&cache_chain_sem);
	if (__kmem_cache_find(cachep->name))
		err = -EEXIST;
	else
		list_add_tail(&cachep->next, &cache_chain);
	spin_unlock(&cache_chain_sem);
	return err;
}

kmem_cache_t *kmem_cache_create(const char *name, size_t size, size_t offset,
				unsigned long flags, kmem_ctor_t ctor,
				kmem_ctor_t dtor)
{
	kmem_cache_t *cachep;
	int err;

	VM_BUG_ON(!READ_ONCE(slab_up));
	err = kmem_cache_check_args(name, size, offset, flags, ctor, dtor);
	if (err)
		goto out_err;
	flags = kmem_debug_flags(flags, ctor);

	err = -ENOMEM;
	cachep = kmem_cache_alloc(&cache_cache, SLAB_KERNEL);
	if (!cachep)
		goto out_err;
	err = kmem_cache_setup(cachep, name, size, offset, flags, ctor, dtor, 0);
	if (err)
		goto out_free_desc;
	err = kmem_cache_link(cachep);
	if (err)
		goto out_teardown;
	return cachep;

out_teardown:
	kmem_cache_teardown(cachep);
out_free_desc:
	kmem_cache_free(&cache_cache, cachep);
out_err:
	errno = -err;
	return NULL;
}

/* Caller holds cachep->spinlock. */
static int __kmem_cache_busy(kmem_cache_t *cachep)
{
	assert_spin_locked(&cachep->spinlock);
	return !list_empty(&cachep->slabs_full) ||
	       !list_empty(&cachep->slabs_partial);
}

static unsigned int kmem_cache_free_slabs(kmem_cache_t *cachep, unsigned int max);

int kmem_cache_destroy(kmem_cache_t *cachep)
{
	int busy;

	if (!cachep || cachep == &cache_cache)
		return -EINVAL;
	spin_lock(&cache_chain_sem);
	kmem_cache_drain_cpus(cachep);
	kmem_cache_free_slabs(cachep, UINT_MAX);
	spin_lock(&cachep->spinlock);
	busy = __kmem_cache_busy(cachep);
	spin_unlock(&cachep->spinlock);
	if (busy) {
		spin_unlock(&cache_chain_sem);
		vm_log("slab: cache %s: objects still allocated, not destroyed",
		       cachep->name);
		return -EBUSY;
	}
	list_del(&cachep->next);
	spin_unlock(&cache_chain_sem);

	cpucache_release(cachep);
	kmem_cache_teardown(cachep);
	kmem_cache_free(&cache_cache, cachep);
	return 0;
}

/* ---- slabs: growing and destroying (book 8.2.2, 8.2.8) ----------------- */

static struct page *kmem_getpages(kmem_cache_t *cachep, unsigned int flags)
{
	struct page *page = alloc_pages(flags | cachep->gfpflags, cachep->gfporder);

	if (page)
		__atomic_fetch_add(&slab_pages, 1UL << cachep->gfporder,
				   __ATOMIC_RELAXED);
	return page;
}

/* Undo everything the slab did to its frames, then give them back. */
static void kmem_freepages(kmem_cache_t *cachep, struct page *page)
{
	unsigned long i, n = 1UL << cachep->gfporder;

	for (i = 0; i < n; i++) {
		ClearPageSlab(page + i);
		INIT_LIST_HEAD(&page[i].list);
	}
	__atomic_fetch_sub(&slab_pages, n, __ATOMIC_RELAXED);
	__free_pages(page, cachep->gfporder);
}

/* The descriptor of a new slab at addr, its objects colour_off in. */
static slab_t *kmem_cache_slabmgmt(kmem_cache_t *cachep, char *addr,
				   size_t colour_off, unsigned int flags)
{
	slab_t *slabp;

	if (OFF_SLAB(cachep)) {
		slabp = kmem_cache_alloc(cachep->slabp_cache, flags);
		if (!slabp)
			return NULL;
	} else {
		slabp = (slab_t *)(addr + colour_off);
		colour_off += L1_CACHE_ALIGN(cachep->num * sizeof(kmem_bufctl_t) +
					     sizeof(slab_t));
	}
	slabp->inuse = 0;
	slabp->colouroff = colour_off;
	slabp->s_mem = addr + colour_off;
	return slabp;
}

/* Lay out the objects of a new slab: guards, constructor, poison, free list. */
static void kmem_cache_init_objs(kmem_cache_t *cachep, slab_t *slabp,
				 unsigned long ctor_flags)
{
	kmem_bufctl_t *bufctl = slab_bufctl(slabp);
	unsigned int i;

	for (i = 0; i < cachep->num; i++) {
		void *objp = slab_obj(cachep, slabp, i);

		if (cachep->flags & SLAB_RED_ZONE) {
			*red_zone1(cachep, objp) = RED_MAGIC1;
			*red_zone2(cachep, objp) = RED_MAGIC1;
		}
		if (cachep->ctor)
			cachep->ctor(objp, cachep, ctor_flags);
		if (cachep->flags & SLAB_POISON)
			kmem_poison_obj(cachep, objp);
		bufctl[i] = i + 1;
	}
	bufctl[cachep->num - 1] = BUFCTL_END;
	slabp->free = 0;
}

/* The next slab's colour offset in bytes; caller holds cachep->spinlock. */
static size_t __kmem_next_colour(kmem_cache_t *cachep)
{
	size_t offset = cachep->colour_next;

	assert_spin_locked(&cachep->spinlock);
	if (++cachep->colour_next >= cachep->colour)
		cachep->colour_next = 0;
	return offset * cachep->colour_off;
}

int kmem_cache_grow(kmem_cache_t *cachep, unsigned int flags)
{
	unsigned long ctor_flags = SLAB_CTOR_CONSTRUCTOR;
	struct page *page;
	slab_t *slabp;
	size_t offset;

	flags &= ~(__GFP_DMA | __GFP_HIGHMEM);	/* the cache decides */
	if (!(flags & __GFP_WAIT))
		ctor_flags |= SLAB_CTOR_ATOMIC;

	spin_lock(&cachep->spinlock);
	offset = __kmem_next_colour(cachep);
	cachep->dflags |= DFLGS_GROWN;
	cachep->growing++;
	spin_unlock(&cachep->spinlock);

	page = kmem_getpages(cachep, flags);
	if (!page)
		goto out_failed;
	slabp = kmem_cache_slabmgmt(cachep, page_address(page), offset, flags);
	if (!slabp)
		goto out_free_pages;
	kmem_set_page_owner(cachep, slabp, page);
	kmem_cache_init_objs(cachep, slabp, ctor_flags);

	spin_lock(&cachep->spinlock);
	cachep->growing--;
	list_add_tail(&slabp->list, &cachep->slabs_free);
	cachep->grown++;
	cachep->failures = 0;
	spin_unlock(&cachep->spinlock);
	return 0;

out_free_pages:
	kmem_freepages(cachep, page);
out_failed:
	spin_lock(&cachep->spinlock);
	cachep->growing--;
	cachep->failures++;
	cachep->errors++;
	spin_unlock(&cachep->spinlock);
	return -ENOMEM;
}

/* A slab off the lists, all objects free: destructor, frames, descriptor. */
static void kmem_slab_destroy(kmem_cache_t *cachep, slab_t *slabp)
{
	char *addr = (char *)slabp->s_mem - slabp->colouroff;
	unsigned int i;

	if (cachep->dtor || (cachep->flags & (SLAB_RED_ZONE | SLAB_POISON))) {
		for (i = 0; i < cachep->num; i++) {
			void *objp = slab_obj(cachep, slabp, i);

			kmem_debug_check_free(cachep, objp);
			if (cachep->dtor)
				cachep->dtor(objp, cachep, 0);
		}
	}
	kmem_freepages(cachep, virt_to_page(addr));
	if (OFF_SLAB(cachep))
		kmem_cache_free(cachep->slabp_cache, slabp);
}

/*
 * Destroy up to max slabs from the free list, oldest first.  The lock is
 * dropped around each destruction: the slab is off the lists by then.
 * Returns the slabs destroyed.
 */
static unsigned int kmem_cache_free_slabs(kmem_cache_t *cachep, unsigned int max)
{
	unsigned int n = 0;
	slab_t *slabp;

	spin_lock(&cachep->spinlock);
	while (n < max && !list_empty(&cachep->slabs_free)) {
		slabp = list_entry(cachep->slabs_free.prev, slab_t, list);
		VM_BUG_ON(slabp->inuse);
		list_del(&slabp->list);
		spin_unlock(&cachep->spinlock);
		kmem_slab_destroy(cachep, slabp);
		n++;
		spin_lock(&cachep->spinlock);
	}
	spin_unlock(&cachep->spinlock);
	return n;
}

int kmem_cache_shrink(kmem_cache_t *cachep)
{
	VM_BUG_ON(!cachep);
	kmem_cache_drain_cpus(cachep);
	return (int)(kmem_cache_free_slabs(cachep, UINT_MAX) << cachep->gfporder);
}

/* ---- objects: between slabs and arrays (book 8.3) --------------------- */

/* Take object slabp->free; caller holds cachep->spinlock. */
static void *__kmem_cache_alloc_one(kmem_cache_t *cachep, slab_t *slabp)
{
	kmem_bufctl_t *bufctl = slab_bufctl(slabp);
	unsigned int objnr = slabp->free;

	assert_spin_locked(&cachep->spinlock);
	slabp->free = bufctl[objnr];
	bufctl[objnr] = BUFCTL_ACTIVE;
	if (slabp->inuse++ == 0)
		list_move(&slabp->list, &cachep->slabs_partial);
	if (slabp->free == BUFCTL_END)
		list_move(&slabp->list, &cachep->slabs_full);
	cachep->num_allocations++;
	if (++cachep->num_active > cachep->high_mark)
		cachep->high_mark = cachep->num_active;
	return slab_obj(cachep, slabp, objnr);
}

unsigned int kmem_cache_refill(kmem_cache_t *cachep, void **entry, unsigned int n)
{
	unsigned int got = 0;
	struct list_head *from;

	spin_lock(&cachep->spinlock);
	while (got < n) {
		from = &cachep->slabs_partial;
		if (list_empty(from))
			from = &cachep->slabs_free;
		if (list_empty(from))
			break;
		entry[got++] = __kmem_cache_alloc_one(cachep,
					list_entry(from->next, slab_t, list));
	}
	spin_unlock(&cachep->spinlock);
	return got;
}

/* Return objp to its slab; caller holds cachep->spinlock. */
static void __kmem_cache_free_one(kmem_cache_t *cachep, void *objp)
{
	slab_t *slabp = GET_PAGE_SLAB(virt_to_page(objp));
	kmem_bufctl_t *bufctl = slab_bufctl(slabp);
	unsigned int objnr = slab_objnr(cachep, slabp, objp);

	assert_spin_locked(&cachep->spinlock);
	if (bufctl[objnr] != BUFCTL_ACTIVE)
		slab_bug(cachep, objp, "freed twice");
	bufctl[objnr] = slabp->free;
	slabp->free = objnr;
	cachep->num_active--;
	if (--slabp->inuse == 0)
		list_move(&slabp->list, &cachep->slabs_free);
	else if (slabp->inuse + 1 == cachep->num)
		list_move(&slabp->list, &cachep->slabs_partial);
}

void free_block(kmem_cache_t *cachep, void **entry, unsigned int n)
{
	unsigned int i;

	spin_lock(&cachep->spinlock);
	for (i = 0; i < n; i++)
		__kmem_cache_free_one(cachep, entry[i]);
	spin_unlock(&cachep->spinlock);
}

void *kmem_cache_alloc(kmem_cache_t *cachep, unsigned int flags)
{
	void *objp;

	VM_BUG_ON(!cachep);
	objp = cpucache_alloc_fast(cachep);
	if (unlikely(!objp))
		objp = cpucache_alloc(cachep, flags);
	if (objp && (cachep->flags & (SLAB_RED_ZONE | SLAB_POISON)))
		kmem_debug_alloc(cachep, objp);
	return objp;
}

void kmem_cache_free(kmem_cache_t *cachep, void *objp)
{
	VM_BUG_ON(!cachep);
	if (!objp)
		return;
	kmem_check_obj(cachep, objp);
	if (cachep->flags & SLAB_DEBUG_CHECKS)
		kmem_debug_free(cachep, objp);
	if (likely(cpucache_free_fast(cachep, objp)))
		return;
	cpucache_free(cachep, objp);
}

/* ---- reaping (book 8.1.7) --------------------------------------------- */

/* Free slabs on cachep's list; caller holds cachep->spinlock. */
static unsigned int __kmem_count_free_slabs(kmem_cache_t *cachep)
{
	struct list_head *p;
	unsigned int n = 0;

	assert_spin_locked(&cachep->spinlock);
	list_for_each(p, &cachep->slabs_free)
		n++;
	return n;
}

/*
 * The cache with the most frames in free slabs, skipping SLAB_NO_REAP and
 * caches being grown.  Caller holds cache_chain_sem.
 */
static kmem_cache_t *__kmem_cache_pick_reap(void)
{
	kmem_cache_t *best = NULL;
	unsigned long best_pages = 0, pages;
	struct list_head *p;

	assert_spin_locked(&cache_chain_sem);
	list_for_each(p, &cache_chain) {
		kmem_cache_t *cachep = list_entry(p, kmem_cache_t, next);

		if (cachep->flags & SLAB_NO_REAP)
			continue;
		spin_lock(&cachep->spinlock);
		cachep->dflags &= ~DFLGS_GROWN;
		pages = cachep->growing ? 0 :
			(unsigned long)__kmem_count_free_slabs(cachep) << cachep->gfporder;
		spin_unlock(&cachep->spinlock);
		if (pages > best_pages) {
			best = cachep;
			best_pages = pages;
		}
	}
	return best;
}

int kmem_cache_reap(unsigned int gfp_mask)
{
	kmem_cache_t *best;
	unsigned int n;
	int ret = 0;

	if (!READ_ONCE(slab_up))
		return 0;
	if (gfp_mask & __GFP_WAIT)
		spin_lock(&cache_chain_sem);
	else if (!spin_trylock(&cache_chain_sem))
		return 0;
	best = __kmem_cache_pick_reap();
	if (!best)
		goto out_unlock;
	kmem_cache_drain_cpus(best);
	spin_lock(&best->spinlock);
	n = __kmem_count_free_slabs(best);
	spin_unlock(&best->spinlock);
	n = kmem_cache_free_slabs(best, (n * 4 + 4) / 5);	/* about 80% */
	spin_lock(&best->spinlock);
	best->reaped += n;
	spin_unlock(&best->spinlock);
	ret = (int)(n << best->gfporder);
out_unlock:
	spin_unlock(&cache_chain_sem);
	return ret;
}

/* ---- statistics ------------------------------------------------------- */

void kmem_cache_get_info(kmem_cache_t *cachep, struct kmem_cache_info *info)
{
	struct list_head *p;

	memset(info, 0, sizeof(*info));
	info->cpu_avail = cpucache_avail(cachep);
	spin_lock(&cachep->spinlock);
	info->name = cachep->name;
	info->objsize = cachep->objsize;
	info->obj_size = cachep->obj_size;
	info->num = cachep->num;
	info->gfporder = cachep->gfporder;
	info->colour = cachep->colour;
	info->colour_off = cachep->colour_off;
	info->colour_next = cachep->colour_next;
	info->off_slab = OFF_SLAB(cachep) != 0;
	info->limit = cachep->limit;
	info->batchcount = cachep->batchcount;
	list_for_each(p, &cachep->slabs_full)
		info->full_slabs++;
	list_for_each(p, &cachep->slabs_partial) {
		info->partial_slabs++;
		info->active_objs += list_entry(p, slab_t, list)->inuse;
	}
	info->free_slabs = __kmem_count_free_slabs(cachep);
	info->grown = cachep->grown;
	info->reaped = cachep->reaped;
	info->errors = cachep->errors;
	spin_unlock(&cachep->spinlock);

	info->active_objs += info->full_slabs * info->num;
	info->active_slabs = info->full_slabs + info->partial_slabs;
	info->num_slabs = info->active_slabs + info->free_slabs;
	info->num_objs = info->num_slabs * info->num;
}

unsigned long kmem_cache_total_pages(void)
{
	return __atomic_load_n(&slab_pages, __ATOMIC_RELAXED);
}

static void slabinfo_line(struct seq_buf *s, kmem_cache_t *cachep)
{
	struct kmem_cache_info i;

	kmem_cache_get_info(cachep, &i);
	seq_printf(s, "%-17s %6lu %6lu %6zu %4u %4u : tunables %4u %4u %4u"
		   " : slabdata %6lu %6lu %6u\n",
		   i.name, i.active_objs, i.num_objs, i.objsize, i.num,
		   1U << i.gfporder, i.limit, i.batchcount, 0U,
		   i.active_slabs, i.num_slabs, 0U);
}

int slabinfo_render(struct seq_buf *s)
{
	struct list_head *p;

	seq_printf(s, "slabinfo - version: 2.1\n");
	seq_printf(s, "# name            <active_objs> <num_objs> <objsize>"
		   " <objperslab> <pagesperslab> : tunables <limit> <batchcount>"
		   " <sharedfactor> : slabdata <active_slabs> <num_slabs>"
		   " <sharedavail>\n");
	if (!READ_ONCE(slab_up))
		return seq_buf_result(s);
	spin_lock(&cache_chain_sem);
	list_for_each(p, &cache_chain)
		slabinfo_line(s, list_entry(p, kmem_cache_t, next));
	spin_unlock(&cache_chain_sem);
	return seq_buf_result(s);
}

/* ---- boot and shutdown (book 8.6) ------------------------------------- */

/* A thread slot is gone: its arrays' objects, then the arrays, go back. */
static void slab_cpu_dead(int cpu)
{
	struct list_head *p;

	if (!READ_ONCE(slab_up))
		return;
	spin_lock(&cache_chain_sem);
	list_for_each(p, &cache_chain)
		cpucache_release_slot(list_entry(p, kmem_cache_t, next), cpu);
	spin_unlock(&cache_chain_sem);
}

static void slab_debug_from_env(void)
{
	const char *v = getenv("IMGFS_SLAB_DEBUG");

	if (v && strcmp(v, "0") != 0)
		slab_debug_set(1);
}

void kmem_cache_init(void)
{
	unsigned long flags;

	spin_lock_init(&cache_chain_sem);
	INIT_LIST_HEAD(&cache_chain);
	slab_debug_from_env();
	slab_break_gfp_order = num_physpages > ((32UL << 20) >> PAGE_SHIFT) ?
			       BREAK_GFP_ORDER_HI : BREAK_GFP_ORDER_LO;
	offslab_limit = 0;
	__atomic_store_n(&slab_pages, 0UL, __ATOMIC_RELAXED);

	/* cache_cache keeps its descriptors on-slab: kmalloc is not up yet. */
	flags = kmem_debug_flags(SLAB_HWCACHE_ALIGN | SLAB_NO_REAP, NULL);
	if (kmem_cache_setup(&cache_cache, "kmem_cache", sizeof(kmem_cache_t), 0,
			     flags, NULL, NULL, 1))
		BUG();
	list_add(&cache_cache.next, &cache_chain);
	if (register_cpu_dead(slab_cpu_dead))
		BUG();
	WRITE_ONCE(slab_up, 1);
}

/*
 * Give back what can be given: every array, then every free slab.  Caches
 * still holding objects are reported (their frames go with the arena).
 */
void kmem_cache_exit(void)
{
	struct list_head *p, *n;

	if (!READ_ONCE(slab_up))
		return;
	spin_lock(&cache_chain_sem);
	list_for_each(p, &cache_chain)
		cpucache_release(list_entry(p, kmem_cache_t, next));
	list_for_each(p, &cache_chain)
		kmem_cache_free_slabs(list_entry(p, kmem_cache_t, next), UINT_MAX);
	list_for_each_safe(p, n, &cache_chain) {
		kmem_cache_t *cachep = list_entry(p, kmem_cache_t, next);

		if (cachep != &cache_cache && cachep->num_active)
			vm_log("slab: cache %s: %lu objects leaked at exit",
			       cachep->name, cachep->num_active);
		list_del_init(&cachep->next);
		kmem_cache_teardown(cachep);
	}
	WRITE_ONCE(slab_up, 0);
	spin_unlock(&cache_chain_sem);
	spin_lock_destroy(&cache_chain_sem);
	kmem_cache_sizes_exit();
}
