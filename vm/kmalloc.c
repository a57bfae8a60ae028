/*
 * vm/kmalloc.c - the general-purpose size caches (book 8.4, "Sizes
 * Cache"): kmalloc() rounds a request up to the next power of two from 32
 * to 131072 bytes and allocates from "size-N", or from its twin
 * "size-N(DMA)" (slabs in ZONE_DMA) when the flags carry __GFP_DMA.
 * kfree() and ksize() find the cache from the object's page.
 *
 * The table is filled once at boot (kmem_cache_sizes_init, after
 * kmem_cache_init) and read without locks afterwards.  The caches of 512
 * bytes and more keep their slab descriptors off-slab, in the smaller
 * caches created before them; offslab_limit caps their objects per slab
 * so a descriptor always fits an on-slab size cache (2.4's rule).
 *
 * Locking: none here; see vm/slab.c.
 */
#include <string.h>
#include "vm/slab_internal.h"

struct cache_sizes {
	size_t cs_size;
	const char *name;
	const char *dma_name;
	kmem_cache_t *cs_cachep;
	kmem_cache_t *cs_dmacachep;
};

#define CACHE_SIZE(n)	{ n, "size-" #n, "size-" #n "(DMA)", NULL, NULL }

static struct cache_sizes cache_sizes[] = {
	CACHE_SIZE(32), CACHE_SIZE(64), CACHE_SIZE(128), CACHE_SIZE(256),
	CACHE_SIZE(512), CACHE_SIZE(1024), CACHE_SIZE(2048), CACHE_SIZE(4096),
	CACHE_SIZE(8192), CACHE_SIZE(16384), CACHE_SIZE(32768),
	CACHE_SIZE(65536), CACHE_SIZE(131072),
};

_Static_assert(KMALLOC_MAX_SIZE == 131072, "the table ends at KMALLOC_MAX_SIZE");

static kmem_cache_t *kmem_size_cache_create(const char *name, size_t size,
					    unsigned long flags)
{
	kmem_cache_t *cachep = kmem_cache_create(name, size, 0, flags, NULL, NULL);

	if (!cachep) {
		vm_log("slab: cannot create %s", name);
		BUG();
	}
	return cachep;
}

void kmem_cache_sizes_init(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cache_sizes); i++) {
		struct cache_sizes *cs = &cache_sizes[i];
		unsigned long flags = cs->cs_size >= L1_CACHE_BYTES ?
				      SLAB_HWCACHE_ALIGN : 0;

		cs->cs_cachep = kmem_size_cache_create(cs->name, cs->cs_size, flags);
		/* Descriptors of later, off-slab caches must fit this one. */
		if (!(cs->cs_cachep->flags & CFLGS_OFF_SLAB))
			offslab_limit = (unsigned int)((cs->cs_size - sizeof(slab_t)) /
						       sizeof(kmem_bufctl_t));
		cs->cs_dmacachep = kmem_size_cache_create(cs->dma_name, cs->cs_size,
							  flags | SLAB_CACHE_DMA);
	}
}

void kmem_cache_sizes_exit(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cache_sizes); i++) {
		cache_sizes[i].cs_cachep = NULL;
		cache_sizes[i].cs_dmacachep = NULL;
	}
	offslab_limit = 0;
}

kmem_cache_t *kmem_find_general_cachep(size_t size, unsigned int gfpflags)
{
	size_t i;

	if (size == 0)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(cache_sizes); i++) {
		if (size > cache_sizes[i].cs_size)
			continue;
		return (gfpflags & __GFP_DMA) ? cache_sizes[i].cs_dmacachep :
						cache_sizes[i].cs_cachep;
	}
	return NULL;
}

void *kmalloc(size_t size, unsigned int flags)
{
	kmem_cache_t *cachep = kmem_find_general_cachep(size, flags);

	return cachep ? kmem_cache_alloc(cachep, flags) : NULL;
}

void *kzalloc(size_t size, unsigned int flags)
{
	void *objp = kmalloc(size, flags);

	if (objp)
		memset(objp, 0, size);
	return objp;
}

void kfree(const void *objp)
{
	if (!objp)
		return;
	kmem_cache_free(kmem_obj_cache(objp), (void *)objp);
}

size_t ksize(const void *objp)
{
	return objp ? kmem_obj_cache(objp)->obj_size : 0;
}
