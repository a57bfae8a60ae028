/*
 * blockdev/fault.c - device fault injection, for tests: sector ranges that
 * fail with EIO or come back short, and completions held back by a delay.
 *
 * Interface (blockdev/blkdev.h): blkdev_fault_eio(), blkdev_fault_short(),
 * blkdev_fault_delay(), blkdev_fault_clear().  The request path asks
 * blk_fault_check() for each buffer; a faulted buffer gets a request of its
 * own that is issued as the fault dictates (blockdev/aio.c), so the error
 * comes back through the completion thread like a real one and covers
 * exactly the buffers that overlap the range.
 *
 * Locking: fault_lock guards faults[]; nr_faults and delay_ms are written
 * under it and read racily (atomically) on the fast path.
 */
#include <errno.h>
#include <time.h>
#include "blockdev/blkdev_internal.h"

static int blk_fault_add(struct block_device *bdev, int rw, enum blk_fault_kind kind,
			 unsigned long long start, unsigned long long nr)
{
	int ret = 0;

	if ((rw != READ && rw != WRITE && rw != -1) || !nr || start + nr < start)
		return -EINVAL;
	spin_lock(&bdev->fault_lock);
	if (bdev->nr_faults == BLK_MAX_FAULTS) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	bdev->faults[bdev->nr_faults] = (struct blk_fault_range){
		.rw = rw, .kind = kind, .start = start, .nr = nr,
	};
	WRITE_ONCE(bdev->nr_faults, bdev->nr_faults + 1);
out_unlock:
	spin_unlock(&bdev->fault_lock);
	return ret;
}

int blkdev_fault_eio(struct block_device *bdev, int rw, unsigned long long start,
		     unsigned long long nr)
{
	return blk_fault_add(bdev, rw, BLK_FAULT_EIO, start, nr);
}

int blkdev_fault_short(struct block_device *bdev, int rw, unsigned long long start,
		       unsigned long long nr)
{
	return blk_fault_add(bdev, rw, BLK_FAULT_SHORT, start, nr);
}

int blkdev_fault_delay(struct block_device *bdev, unsigned int delay_ms)
{
	if (delay_ms > 60000)
		return -EINVAL;
	WRITE_ONCE(bdev->delay_ms, delay_ms);
	return 0;
}

void blkdev_abort(struct block_device *bdev)
{
	WRITE_ONCE(bdev->aborted, 1);
}

void blkdev_fault_clear(struct block_device *bdev)
{
	spin_lock(&bdev->fault_lock);
	WRITE_ONCE(bdev->nr_faults, 0U);
	spin_unlock(&bdev->fault_lock);
	WRITE_ONCE(bdev->delay_ms, 0U);
}

enum blk_fault_kind blk_fault_check(struct block_device *bdev, int rw,
				    unsigned long long sector, unsigned long long nr)
{
	enum blk_fault_kind kind = BLK_FAULT_NONE;
	unsigned int i;

	if (likely(!READ_ONCE(bdev->nr_faults)))
		return BLK_FAULT_NONE;
	spin_lock(&bdev->fault_lock);
	for (i = 0; i < bdev->nr_faults; i++) {
		const struct blk_fault_range *f = &bdev->faults[i];

		if (f->rw != -1 && f->rw != rw)
			continue;
		if (sector < f->start + f->nr && f->start < sector + nr) {
			kind = f->kind;
			break;
		}
	}
	spin_unlock(&bdev->fault_lock);
	return kind;
}

/* The completion thread holds a batch back this long. */
void blk_fault_delay(struct block_device *bdev)
{
	unsigned int ms = READ_ONCE(bdev->delay_ms);
	struct timespec ts;

	if (likely(!ms))
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}
