/*
 * vm/buffer_head.c - the buffer_head slab cache (2.4 fs/buffer.c's
 * bh_cachep, created in buffer_init()).
 *
 * It lives in vm/ because the bounce path (vm/bounce.c) allocates buffer
 * heads below the buffer cache, and the emergency pool is filled from it
 * at boot.  Interface (vm/buffer_head.h): buffer_head_init() and
 * buffer_head_exit() from vm_init()/vm_exit(); alloc_buffer_head() and
 * free_buffer_head() from anyone.
 *
 * Locking: none here; the slab allocator's (vm/slab.c).  bh_cachep is set
 * before any other thread runs and read-only afterwards.
 */
#include <string.h>
#include "vm/buffer_head.h"
#include "vm/slab.h"

static kmem_cache_t *bh_cachep;

void buffer_head_init(void)
{
	bh_cachep = kmem_cache_create("buffer_head", sizeof(struct buffer_head),
				      0, SLAB_HWCACHE_ALIGN, NULL, NULL);
	if (!bh_cachep) {
		vm_log("buffer_head: cannot create the slab cache");
		BUG();
	}
}

void buffer_head_exit(void)
{
	if (!bh_cachep)
		return;
	if (kmem_cache_destroy(bh_cachep))
		vm_log("buffer_head: buffer heads still allocated at exit");
	bh_cachep = NULL;
}

struct buffer_head *alloc_buffer_head(unsigned int gfp_mask)
{
	struct buffer_head *bh = kmem_cache_alloc(bh_cachep, gfp_mask);

	if (bh) {
		memset(bh, 0, sizeof(*bh));
		INIT_LIST_HEAD(&bh->b_inode_buffers);
	}
	return bh;
}

void free_buffer_head(struct buffer_head *bh)
{
	VM_BUG_ON(atomic_read(&bh->b_count) > 1);
	kmem_cache_free(bh_cachep, bh);
}
