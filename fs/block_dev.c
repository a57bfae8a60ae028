/*
 * fs/block_dev.c - a block device's own address_space, "the block-device
 * mapping" (2.4.10+ fs/block_dev.c: blkdev_readpage, blkdev_writepage,
 * blkdev_prepare_write, set_blocksize, sync_blockdev).
 *
 * Each attached device gets a bdev_cache: the mapping (AS_BDEV, pages from
 * low memory with GFP_NOFS, blkbits = its soft block size) and the device.
 * Page n of the mapping holds the device's bytes [n * 4096, (n + 1) * 4096);
 * its buffers are always the hashed ones of the buffer cache
 * (bdev_page_buffers), so getblk() and the page cache see one copy of
 * every block.  The a_ops use a one-to-one get_block: block b is device
 * block b; blocks past the end of the device read as zeros and are never
 * written.
 *
 * Interface: fs/buffer.h.  The first attach sets up the buffer hash
 * (buffer_init), the last detach frees it.
 *
 * Locking: registry_lock (a leaf mutex) serialises attach and detach; the
 * slots are read with atomic loads, so lookups take no lock.  The caller
 * must not detach a device while others still use it.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include "fs/buffer.h"
#include "vm/slab.h"

struct bdev_cache {
	struct block_device *bdev;	/* set once */
	struct address_space mapping;
	bdev_write_error_t on_error;	/* atomic: the owner's, or NULL */
	void *on_error_arg;
};

static struct bdev_cache *bdev_caches[MAX_BDEV_CACHES];	/* atomic */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static int nr_attached;		/* registry_lock */

struct bdev_cache *bdev_cache_find(struct block_device *bdev)
{
	int i;

	for (i = 0; i < MAX_BDEV_CACHES; i++) {
		struct bdev_cache *bc = __atomic_load_n(&bdev_caches[i], __ATOMIC_ACQUIRE);

		if (bc && bc->bdev == bdev)
			return bc;
	}
	return NULL;
}

struct address_space *bdev_cache_mapping(struct bdev_cache *bc)
{
	return &bc->mapping;
}

struct address_space *bdev_mapping(struct block_device *bdev)
{
	struct bdev_cache *bc = bdev_cache_find(bdev);

	return bc ? &bc->mapping : NULL;
}

unsigned int bdev_block_size(struct block_device *bdev)
{
	struct bdev_cache *bc = bdev_cache_find(bdev);

	return bc ? 1U << bc->mapping.blkbits : 0;
}

/* ---- the a_ops ---------------------------------------------------------- */

static struct bdev_cache *page_bdev_cache(const struct page *page)
{
	return page->mapping->host;
}

static int blkdev_get_block(struct address_space *mapping, unsigned long iblock,
			    struct buffer_head *bh, int create)
{
	struct bdev_cache *bc = mapping->host;

	if ((unsigned long long)(iblock + 1) * bh->b_size > blkdev_size(bc->bdev))
		return create ? -EIO : 0;
	map_bh(bh, bc->bdev, iblock);
	return 0;
}

/* Page locked: make sure it carries the hashed buffers.  1 if new. */
static int blkdev_page_buffers(struct page *page)
{
	struct bdev_cache *bc = page_bdev_cache(page);
	unsigned int size = 1U << bc->mapping.blkbits;
	int err;

	if (page->buffers)
		return 0;
	err = bdev_page_buffers(bc->bdev, (unsigned long)(blkdev_size(bc->bdev) / size),
				page, size);
	return err ? err : 1;
}

static int blkdev_readpage(struct page *page)
{
	int err = blkdev_page_buffers(page);

	if (err < 0) {
		unlock_page(page);
		return err;
	}
	return block_read_full_page(page, blkdev_get_block);
}

static void dirty_page_buffers(struct page *page)
{
	struct buffer_head *head = page->buffers, *bh = head;

	do {
		set_buffer_dirty(bh);
		bh = bh->b_this_page;
	} while (bh != head);
}

static int blkdev_writepage(struct page *page, int sync)
{
	int err = blkdev_page_buffers(page);

	if (err < 0) {
		set_page_dirty(page);
		unlock_page(page);
		return err;
	}
	if (err == 1 && PageUptodate(page))
		dirty_page_buffers(page);	/* dirtied before it had buffers */
	return block_write_full_page(page, blkdev_get_block, sync);
}

static int blkdev_prepare_write(struct page *page, unsigned int from, unsigned int to)
{
	int err = blkdev_page_buffers(page);

	if (err < 0)
		return err;
	return block_prepare_write(page, from, to, blkdev_get_block);
}

static unsigned long blkdev_bmap(struct address_space *mapping, unsigned long block)
{
	return generic_block_bmap(mapping, block, blkdev_get_block);
}

/* A metadata page failed to reach the device: tell the file system. */
static void blkdev_write_error(struct address_space *mapping, int err, int lasting)
{
	struct bdev_cache *bc = mapping->host;
	bdev_write_error_t fn = __atomic_load_n(&bc->on_error, __ATOMIC_ACQUIRE);

	if (fn)
		fn(bc->on_error_arg, err, lasting);
}

void bdev_cache_set_error_hook(struct block_device *bdev, bdev_write_error_t fn, void *arg)
{
	struct bdev_cache *bc = bdev_cache_find(bdev);

	if (!bc)
		return;
	bc->on_error_arg = arg;
	__atomic_store_n(&bc->on_error, fn, __ATOMIC_RELEASE);
}

static const struct address_space_operations blkdev_aops = {
	.readpage = blkdev_readpage,
	.writepage = blkdev_writepage,
	.prepare_write = blkdev_prepare_write,
	.commit_write = generic_commit_write,
	.bmap = blkdev_bmap,
	.flushpage = block_flushpage,
	.releasepage = block_releasepage,
	.write_error = blkdev_write_error,
};

/* ---- attach and detach --------------------------------------------------- */

static int valid_blocksize(struct block_device *bdev, unsigned int size)
{
	return (size == 1024 || size == 2048 || size == 4096) &&
	       size >= blkdev_logical_block_size(bdev);
}

/* Caller holds registry_lock: a free slot, or -ENOSPC. */
static int free_slot(void)
{
	int i;

	for (i = 0; i < MAX_BDEV_CACHES; i++)
		if (!bdev_caches[i])
			return i;
	return -ENOSPC;
}

static int attach_locked(struct block_device *bdev, unsigned int blocksize)
{
	struct bdev_cache *bc;
	int slot, err;

	if (bdev_cache_find(bdev))
		return -EEXIST;
	slot = free_slot();
	if (slot < 0)
		return slot;
	if (!nr_attached) {
		err = buffer_init();
		if (err)
			return err;
	}
	bc = kzalloc(sizeof(*bc), GFP_KERNEL);
	if (!bc) {
		if (!nr_attached)
			buffer_exit();
		return -ENOMEM;
	}
	bc->bdev = bdev;
	address_space_init(&bc->mapping, &blkdev_aops, bc, GFP_NOFS, AS_BDEV);
	bc->mapping.blkbits = blksize_bits(blocksize);
	nr_attached++;
	__atomic_store_n(&bdev_caches[slot], bc, __ATOMIC_RELEASE);
	return 0;
}

int bdev_cache_attach(struct block_device *bdev, unsigned int blocksize)
{
	int err;

	if (!valid_blocksize(bdev, blocksize))
		return -EINVAL;
	pthread_mutex_lock(&registry_lock);
	err = attach_locked(bdev, blocksize);
	pthread_mutex_unlock(&registry_lock);
	return err;
}

int sync_blockdev(struct block_device *bdev)
{
	struct address_space *mapping = bdev_mapping(bdev);
	int err, err2, err3;

	if (!mapping)
		return -ENODEV;
	err = filemap_fdatasync(mapping);
	err2 = filemap_fdatawait(mapping);
	err3 = blkdev_read_only(bdev) ? 0 : blkdev_issue_flush(bdev);
	return err ? err : err2 ? err2 : err3;
}

static void forget_slot(struct bdev_cache *bc)
{
	int i;

	for (i = 0; i < MAX_BDEV_CACHES; i++)
		if (bdev_caches[i] == bc)
			__atomic_store_n(&bdev_caches[i], NULL, __ATOMIC_RELEASE);
}

/*
 * The last write-back failed and the device is going away: what is still
 * dirty cannot be kept any longer.  Say how much is lost (the caller
 * reports the error), then let it go so the cache can be freed.
 */
static void discard_unwritten(struct bdev_cache *bc, int err)
{
	unsigned long nr = mapping_nr_dirty(&bc->mapping);

	if (nr)
		vm_log("blkdev: %lu pages of metadata could not be written (%s): lost",
		       nr, strerror(-err));
	truncate_inode_pages(&bc->mapping, 0);
}

int bdev_cache_detach(struct block_device *bdev)
{
	struct bdev_cache *bc = bdev_cache_find(bdev);
	int err;

	if (!bc)
		return -ENODEV;
	err = sync_blockdev(bdev);
	if (err)
		discard_unwritten(bc, err);
	invalidate_inode_pages(&bc->mapping);
	if (bc->mapping.nrpages)
		return err ? err : -EBUSY;
	address_space_destroy(&bc->mapping);
	pthread_mutex_lock(&registry_lock);
	forget_slot(bc);
	if (--nr_attached == 0)
		buffer_exit();
	pthread_mutex_unlock(&registry_lock);
	kfree(bc);
	return err;
}

int set_blocksize(struct block_device *bdev, unsigned int size)
{
	struct bdev_cache *bc = bdev_cache_find(bdev);
	int err;

	if (!bc)
		return -ENODEV;
	if (!valid_blocksize(bdev, size))
		return -EINVAL;
	if (1U << bc->mapping.blkbits == size)
		return 0;
	err = sync_blockdev(bdev);
	invalidate_inode_pages(&bc->mapping);
	WRITE_ONCE(bc->mapping.blkbits, blksize_bits(size));
	return err;
}
