/*
 * blockdev/blkdev.c - opening and closing the device, its DMA reach, the
 * flush barrier and the statistics (2.4's blkdev_open/blkdev_put and
 * blk_queue_bounce_limit, with 2.6's blkdev_issue_flush).
 *
 * Interface (blockdev/blkdev.h): blkdev_open() ... blkdev_close(); the
 * accessors; blkdev_issue_flush(); dma_reach_parse()/dma_reach_name().
 *
 * Opening: the image is opened with O_DIRECT unless the host filesystem
 * refuses it (EINVAL: one log line, then buffered), read-only or
 * read-write.  A regular file's logical block size is 512, raised to the
 * host's direct-I/O offset alignment where statx reports one; a block
 * device's is BLKSSZGET.  Requests must be aligned to it.  The image is
 * claimed (claim.c) for as long as it is open: one owner per image.
 *
 * Reach: the device maps the arena's memfd for frames [0, reach_pfn) at
 * dma_base, MAP_SHARED, and addresses buffers only through that mapping:
 *   DMA_REACH_DMA  reach_pfn = end of ZONE_DMA
 *   DMA_REACH_LOW  reach_pfn = max_low_pfn
 *   DMA_REACH_ALL  reach_pfn = max_pfn
 * A frame at or above reach_pfn has no device address; the request path
 * bounces it (vm/bounce.c) and aio.c BUG()s if one slips through.
 *
 * Locking: flush_sem serialises flushes and is held across fdatasync (a
 * sleeping lock); it is taken before queue_lock.  Everything set here at
 * open is read-only until close, which the caller must not race with I/O.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "blockdev/blkdev_internal.h"
#include "vm/slab.h"
#include "vm/vm.h"

static const char *const reach_names[] = {
	[DMA_REACH_DMA] = "dma",
	[DMA_REACH_LOW] = "low",
	[DMA_REACH_ALL] = "all",
};

int dma_reach_parse(const char *s, enum dma_reach *reach)
{
	unsigned int i;

	for (i = 0; s && i < ARRAY_SIZE(reach_names); i++) {
		if (strcmp(s, reach_names[i]) == 0) {
			*reach = (enum dma_reach)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *dma_reach_name(enum dma_reach reach)
{
	return (unsigned int)reach < ARRAY_SIZE(reach_names) ? reach_names[reach] : "?";
}

/* ---- configuration and the image file ---------------------------------- */

static int blk_config(struct block_device *bdev, const struct blkdev_config *cfg)
{
	unsigned int kb = cfg->max_request_kb ? cfg->max_request_kb : BLK_DEFAULT_MAX_KB;

	bdev->queue_depth = cfg->queue_depth ? cfg->queue_depth : BLK_DEFAULT_DEPTH;
	if (bdev->queue_depth > BLK_MAX_DEPTH || kb < 4 || kb > 65536)
		return -EINVAL;
	bdev->max_request_bytes = kb << 10;
	bdev->read_only = !!cfg->read_only;
	bdev->reach = cfg->reach;
	switch (cfg->reach) {
	case DMA_REACH_DMA: {
		const zone_t *dma = &contig_page_data.node_zones[ZONE_DMA];

		bdev->reach_pfn = dma->zone_start_mapnr + dma->size;
		break;
	}
	case DMA_REACH_LOW:
		bdev->reach_pfn = max_low_pfn;
		break;
	case DMA_REACH_ALL:
		bdev->reach_pfn = max_pfn;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/*
 * Open O_DIRECT if the host allows, else buffered (*refused says so, for
 * the log line once the image is known to be usable).  extra: O_EXCL for
 * a block device's exclusive claim.  fd or -errno.
 */
static int blk_open_flags(struct block_device *bdev, const struct blkdev_config *cfg,
			  int extra, int *refused)
{
	int flags = (cfg->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | extra;
	int fd;

	*refused = 0;
	if (!cfg->no_direct) {
		fd = open(cfg->path, flags | O_DIRECT);
		if (fd >= 0) {
			bdev->direct = 1;
			return fd;
		}
		if (errno != EINVAL)
			return -errno;
		*refused = 1;
	}
	fd = open(cfg->path, flags);
	return fd < 0 ? -errno : fd;
}

/* A read-only open of a block device claimed exclusively elsewhere (a
 * mount, mke2fs) is refused too: probe with O_EXCL, then let go. */
static int blk_probe_excl(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_EXCL);

	if (fd < 0)
		return errno == EBUSY ? -EBUSY : 0;
	close(fd);
	return 0;
}

/*
 * Open and claim (claim.c): a write lock read-write, a read lock
 * read-only; a block device O_EXCL when read-write.  Tries again when the
 * file was replaced between open and lock (mkimg renames over images).
 */
static int blk_open_fd(struct block_device *bdev, const struct blkdev_config *cfg,
		       int *refused)
{
	struct stat st;
	int excl = 0, tries, fd, err;

	if (stat(cfg->path, &st) == 0 && S_ISBLK(st.st_mode)) {
		if (cfg->read_only) {
			err = blk_probe_excl(cfg->path);
			if (err)
				return err;
		} else {
			excl = O_EXCL;
		}
	}
	for (tries = 0; tries < 5; tries++) {
		fd = blk_open_flags(bdev, cfg, excl, refused);
		if (fd < 0)
			return fd;
		err = blkdev_claim(fd, cfg->path, !cfg->read_only);
		if (!err)
			return fd;
		if (err == -ENOLCK || err == -EOPNOTSUPP) {
			vm_log("blkdev: %s: the host filesystem has no locks: a second "
			       "owner cannot be refused", cfg->path);
			return fd;
		}
		close(fd);
		bdev->direct = 0;
		if (err != -EAGAIN)
			return err;
	}
	return -EBUSY;
}

/* A regular file's logical block size: 512, or what O_DIRECT needs. */
static unsigned int blk_file_lbs(const struct block_device *bdev)
{
	unsigned int lbs = 512;
#ifdef STATX_DIOALIGN
	struct statx stx;

	if (bdev->direct && statx(bdev->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align > lbs &&
	    stx.stx_dio_offset_align <= PAGE_SIZE)
		lbs = stx.stx_dio_offset_align;
#endif
	return lbs;
}

/* Size and logical block size of the open image.  0 or -errno. */
static int blk_probe_size(struct block_device *bdev)
{
	unsigned long long size;
	struct stat st;

	if (fstat(bdev->fd, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode)) {
		size = (unsigned long long)st.st_size;
		bdev->lbs = blk_file_lbs(bdev);
	} else if (S_ISBLK(st.st_mode)) {
		int lbs;

		if (ioctl(bdev->fd, BLKGETSIZE64, &size) || ioctl(bdev->fd, BLKSSZGET, &lbs))
			return -errno;
		if (lbs < 512 || (unsigned long)lbs > PAGE_SIZE || (lbs & (lbs - 1)))
			return -EINVAL;
		bdev->lbs = (unsigned int)lbs;
	} else {
		return -EINVAL;
	}
	bdev->size = size - size % bdev->lbs;
	return bdev->size ? 0 : -EINVAL;
}

/* The device's view of the frames it can reach. */
static int blk_map_reach(struct block_device *bdev)
{
	void *p = mmap(NULL, bdev->reach_pfn << PAGE_SHIFT, PROT_READ | PROT_WRITE,
		       MAP_SHARED, arena.memfd, 0);

	if (p == MAP_FAILED)
		return -errno;
	bdev->dma_base = p;
	return 0;
}

/* ---- open and close ------------------------------------------------------ */

int blkdev_open(const struct blkdev_config *cfg, struct block_device **out)
{
	struct block_device *bdev;
	int ret, refused;

	if (!cfg || !cfg->path || !out)
		return -EINVAL;
	if (!vm_is_up()) {
		vm_log("blkdev: %s: the VM is not up", cfg->path);
		return -EINVAL;
	}
	bdev = kzalloc(sizeof(*bdev), GFP_KERNEL);
	if (!bdev)
		return -ENOMEM;
	ret = blk_config(bdev, cfg);
	if (ret)
		goto out_free;
	ret = blk_open_fd(bdev, cfg, &refused);
	if (ret < 0)
		goto out_free;
	bdev->fd = ret;
	ret = blk_probe_size(bdev);
	if (ret)
		goto out_close;
	if (bdev->max_request_bytes < bdev->lbs) {
		ret = -EINVAL;
		goto out_close;
	}
	ret = blk_map_reach(bdev);
	if (ret)
		goto out_close;
	spin_lock_init(&bdev->fault_lock);
	spin_lock_init(&bdev->flush_sem);
	ret = blk_init_queue(bdev);
	if (ret)
		goto out_unmap;
	ret = blk_aio_start(bdev);
	if (ret)
		goto out_cleanup_queue;
	blk_install_run_disk();
	if (refused)
		vm_log("blkdev: %s: the host filesystem refuses O_DIRECT; using buffered I/O",
		       cfg->path);
	*out = bdev;
	return 0;

out_cleanup_queue:
	blk_cleanup_queue(bdev);
out_unmap:
	spin_lock_destroy(&bdev->flush_sem);
	spin_lock_destroy(&bdev->fault_lock);
	munmap(bdev->dma_base, bdev->reach_pfn << PAGE_SHIFT);
out_close:
	close(bdev->fd);
out_free:
	kfree(bdev);
	return ret;
}

int blkdev_close(struct block_device *bdev)
{
	int ret;

	blk_drain_queue(bdev);
	ret = blkdev_issue_flush(bdev);
	blk_aio_stop(bdev);
	VM_BUG_ON(bdev->nr_free != bdev->queue_depth);
	blk_cleanup_queue(bdev);
	spin_lock_destroy(&bdev->flush_sem);
	spin_lock_destroy(&bdev->fault_lock);
	munmap(bdev->dma_base, bdev->reach_pfn << PAGE_SHIFT);
	if (close(bdev->fd) && !ret)
		ret = -errno;
	kfree(bdev);
	return ret;
}

/* ---- the flush barrier --------------------------------------------------- */

int blkdev_issue_flush(struct block_device *bdev)
{
	int slot, err;

	run_task_queue_disk();
	spin_lock(&bdev->flush_sem);
	spin_lock(&bdev->queue_lock);
	slot = bdev->flush_slot;
	bdev->flush_slot = !slot;
	while (bdev->flush_pending[slot])
		wait_event_locked(&bdev->flush_wait, &bdev->queue_lock);
	spin_unlock(&bdev->queue_lock);
	err = READ_ONCE(bdev->aborted) ? -EIO : 0;
	if (!err && !bdev->read_only && fdatasync(bdev->fd))
		err = -errno;
	blk_stat_add(&bdev->stats.nr_flushes, 1);
	spin_unlock(&bdev->flush_sem);
	return err;
}

/* ---- accessors ------------------------------------------------------------ */

unsigned long long blkdev_size(const struct block_device *bdev)
{
	return bdev->size;
}

unsigned int blkdev_logical_block_size(const struct block_device *bdev)
{
	return bdev->lbs;
}

int blkdev_read_only(const struct block_device *bdev)
{
	return bdev->read_only;
}

enum dma_reach blkdev_reach(const struct block_device *bdev)
{
	return bdev->reach;
}

unsigned long blkdev_reach_pfn(const struct block_device *bdev)
{
	return bdev->reach_pfn;
}

int blkdev_direct(const struct block_device *bdev)
{
	return bdev->direct;
}

void blkdev_set_bounce_bypass(struct block_device *bdev, int on)
{
	WRITE_ONCE(bdev->bypass_bounce, on);
}

void blkdev_get_stats(const struct block_device *bdev, struct blkdev_stats *st)
{
	const unsigned long *src = (const unsigned long *)&bdev->stats;
	unsigned long *dst = (unsigned long *)st;
	size_t i;

	_Static_assert(sizeof(*st) % sizeof(unsigned long) == 0,
		       "blkdev_stats holds only unsigned longs");
	for (i = 0; i < sizeof(*st) / sizeof(unsigned long); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
