/*
 * blockdev/ll_rw_blk.c - the request queue: submit_bh(), ll_rw_block(),
 * generic_make_request(), plugging and merging (2.4 drivers/block/
 * ll_rw_blk.c; the per-thread plug is 2.6.39's struct blk_plug).
 *
 * Interface (blockdev/blkdev.h): submit_bh(), generic_make_request(),
 * ll_rw_block(), blk_start_plug(), blk_finish_plug(), run_task_queue_disk().
 * For blkdev.c and aio.c: blk_init_queue(), blk_cleanup_queue(),
 * blk_drain_queue(), blk_complete_request().
 *
 * The path of a buffer:
 *   submit_bh            b_rsector from b_blocknr
 *   generic_make_request checks (read-only, end of device, alignment), then
 *                        create_bounce() if its frame is beyond the reach
 *   blk_make_request     merge into a plugged request, or take a free one
 *                        (get_request: sleeps if none, READA gives up)
 *   plug or issue        a plugged thread collects up to BLK_MAX_PLUGGED
 *                        requests and issues them with one io_submit when
 *                        it unplugs; an unplugged one issues at once
 *
 * Merge rules: only in the submitting thread's plug; same device, same
 * direction (READA counts as READ), no injected fault on either side; the
 * buffer's sectors must directly follow (back merge) or precede (front
 * merge) the request's; the result may not exceed max_request_kb nor
 * BLK_MAX_SEGMENTS iovecs (buffers adjacent in memory share one).
 *
 * Flush epochs: each write request counts in flush_pending[flush_slot];
 * blkdev_issue_flush() flips the slot and waits for the old one to drain,
 * so it waits for the writes submitted before it and no later ones.
 *
 * Locking: bdev->queue_lock guards free_list, nr_free, nr_completed, the
 * waiter counts, flush_pending[], flush_slot.  The plug is
 * the thread's own and needs no lock.  No lock is held while calling
 * b_end_io, create_bounce() or io_submit.
 */
#include <errno.h>
#include <string.h>
#include "blockdev/blkdev_internal.h"
#include "vm/bounce.h"
#include "vm/slab.h"
#include "vm/vmstat.h"

struct blk_plug {
	int depth;			/* nested blk_start_plug()s */
	unsigned int count;		/* requests on list */
	struct list_head list;
};

static __thread struct blk_plug current_plug;

/* ---- requests ---------------------------------------------------------- */

int blk_init_queue(struct block_device *bdev)
{
	unsigned int i;

	spin_lock_init(&bdev->queue_lock);
	init_waitqueue_head(&bdev->request_wait);
	init_waitqueue_head(&bdev->flush_wait);
	INIT_LIST_HEAD(&bdev->free_list);
	bdev->requests = kzalloc(bdev->queue_depth * sizeof(*bdev->requests),
				 GFP_KERNEL);
	if (!bdev->requests)
		goto out_destroy;
	for (i = 0; i < bdev->queue_depth; i++) {
		struct request *req = kzalloc(sizeof(*req), GFP_KERNEL);

		if (!req)
			goto out_free_requests;
		bdev->requests[i] = req;
		req->bdev = bdev;
		req->iov = kmalloc(BLK_MAX_SEGMENTS * sizeof(struct iovec), GFP_KERNEL);
		if (!req->iov)
			goto out_free_requests;
		list_add_tail(&req->queue, &bdev->free_list);
		bdev->nr_free++;
	}
	return 0;

out_free_requests:
	blk_cleanup_queue(bdev);
	return -ENOMEM;
out_destroy:
	destroy_waitqueue_head(&bdev->flush_wait);
	destroy_waitqueue_head(&bdev->request_wait);
	spin_lock_destroy(&bdev->queue_lock);
	return -ENOMEM;
}

/* Free every request; none may be in use. */
void blk_cleanup_queue(struct block_device *bdev)
{
	unsigned int i;

	for (i = 0; i < bdev->queue_depth; i++) {
		struct request *req = bdev->requests[i];

		if (!req)
			break;
		kfree(req->iov);
		kfree(req);
	}
	kfree(bdev->requests);
	bdev->requests = NULL;
	destroy_waitqueue_head(&bdev->flush_wait);
	destroy_waitqueue_head(&bdev->request_wait);
	spin_lock_destroy(&bdev->queue_lock);
}

/* Caller holds queue_lock: sleep on request_wait. */
static void __blk_wait_request(struct block_device *bdev)
{
	assert_spin_locked(&bdev->queue_lock);
	bdev->nr_request_waiters++;
	wait_event_locked(&bdev->request_wait, &bdev->queue_lock);
	bdev->nr_request_waiters--;
}

/*
 * A free request for rw, or NULL if there is none and !wait (2.4's
 * get_request / get_request_wait).  Before sleeping, our own plug goes
 * out: it may hold the requests we are waiting for.
 */
static struct request *get_request(struct block_device *bdev, int rw, int wait)
{
	struct request *req;

	spin_lock(&bdev->queue_lock);
	while (list_empty(&bdev->free_list)) {
		if (!wait)
			goto out_none;
		if (current_plug.count) {
			spin_unlock(&bdev->queue_lock);
			run_task_queue_disk();
			spin_lock(&bdev->queue_lock);
			continue;
		}
		blk_stat_add(&bdev->stats.nr_request_waits, 1);
		__blk_wait_request(bdev);
	}
	req = list_entry(bdev->free_list.next, struct request, queue);
	list_del_init(&req->queue);
	bdev->nr_free--;
	req->flush_slot = -1;
	if (rw == WRITE) {
		req->flush_slot = bdev->flush_slot;
		bdev->flush_pending[req->flush_slot]++;
	}
	spin_unlock(&bdev->queue_lock);
	return req;

out_none:
	spin_unlock(&bdev->queue_lock);
	return NULL;
}

/* Back to the free list; wakes whoever waits for a request or a flush. */
static void blk_put_request(struct request *req)
{
	struct block_device *bdev = req->bdev;

	spin_lock(&bdev->queue_lock);
	if (req->flush_slot >= 0) {
		VM_BUG_ON(bdev->flush_pending[req->flush_slot] == 0);
		if (--bdev->flush_pending[req->flush_slot] == 0)
			wake_up_all(&bdev->flush_wait);
	}
	list_add(&req->queue, &bdev->free_list);
	bdev->nr_free++;
	bdev->nr_completed++;
	if (bdev->nr_request_waiters)
		wake_up_all(&bdev->request_wait);
	spin_unlock(&bdev->queue_lock);
}

/* Wait until every request is back: nothing plugged here or in flight. */
void blk_drain_queue(struct block_device *bdev)
{
	run_task_queue_disk();
	spin_lock(&bdev->queue_lock);
	while (bdev->nr_free < bdev->queue_depth)
		__blk_wait_request(bdev);
	spin_unlock(&bdev->queue_lock);
}

static void blk_rq_init(struct request *req, int rw, struct buffer_head *bh,
			enum blk_fault_kind fault)
{
	req->rw = rw;
	req->fault = fault;
	req->sector = bh->b_rsector;
	req->nr_bytes = bh->b_size;
	req->nr_segs = 1;
	req->nr_bhs = 1;
	req->bh = req->bhtail = bh;
	req->dma_end = bh_dma_addr(bh) + bh->b_size;
	bh->b_reqnext = NULL;
}

/* ---- completion ------------------------------------------------------ */

static void blk_account(struct request *req, int err)
{
	struct blkdev_stats *st = &req->bdev->stats;
	unsigned long kb = req->nr_bytes >> 10;

	if (req->rw == WRITE) {
		blk_stat_add(&st->nr_writes, req->nr_bhs);
		if (!err) {
			blk_stat_add(&st->nr_write_bytes, req->nr_bytes);
			count_vm_events(PGPGOUT, kb);
		}
	} else {
		blk_stat_add(&st->nr_reads, req->nr_bhs);
		if (!err) {
			blk_stat_add(&st->nr_read_bytes, req->nr_bytes);
			count_vm_events(PGPGIN, kb);
		}
	}
	if (err)
		blk_stat_add(&st->nr_errors, req->nr_bhs);
}

/* b_error and BH_Error say how the last I/O went; then b_end_io. */
static void blk_end_bh(struct buffer_head *bh, int err)
{
	bh->b_error = err;
	if (err)
		set_buffer_error(bh);
	else
		clear_buffer_error(bh);
	bh->b_end_io(bh, !err);
}

/*
 * res is the iocb's result: the bytes moved, or -errno.  Anything but the
 * whole request is an error for every buffer in it: a short transfer is
 * -EIO, never data silently missing.
 */
void blk_complete_request(struct request *req, long res)
{
	struct buffer_head *bh, *next;
	int err = 0;

	if (res < 0)
		err = (int)res;
	else if ((unsigned long)res != req->nr_bytes)
		err = -EIO;
	blk_account(req, err);
	for (bh = req->bh; bh; bh = next) {
		next = bh->b_reqnext;
		bh->b_reqnext = NULL;
		blk_end_bh(bh, err);
	}
	req->bh = req->bhtail = NULL;
	blk_put_request(req);
}

/* A buffer that cannot be issued completes at once (2.4 buffer_IO_error). */
static void blk_fail_bh(struct block_device *bdev, struct buffer_head *bh, int err)
{
	blk_stat_add(&bdev->stats.nr_errors, 1);
	blk_end_bh(bh, err);
}

/* ---- plugging ---------------------------------------------------------- */

/* Issue a plug's requests: one io_submit per run of the same device. */
static void blk_flush_plug(struct blk_plug *plug)
{
	struct request *batch[BLK_MAX_PLUGGED];
	struct block_device *bdev = NULL;
	int n = 0;

	while (!list_empty(&plug->list)) {
		struct request *req = list_entry(plug->list.next, struct request, queue);

		list_del_init(&req->queue);
		plug->count--;
		if (n && (req->bdev != bdev || n == BLK_MAX_PLUGGED)) {
			blk_issue(bdev, batch, n);
			n = 0;
		}
		bdev = req->bdev;
		batch[n++] = req;
	}
	if (n)
		blk_issue(bdev, batch, n);
}

void blk_start_plug(void)
{
	struct blk_plug *plug = &current_plug;

	if (!plug->list.next)
		INIT_LIST_HEAD(&plug->list);
	plug->depth++;
}

void blk_finish_plug(void)
{
	struct blk_plug *plug = &current_plug;

	VM_BUG_ON(plug->depth <= 0);
	if (--plug->depth == 0 && plug->count)
		blk_flush_plug(plug);
}

void run_task_queue_disk(void)
{
	if (current_plug.count)
		blk_flush_plug(&current_plug);
}

void blk_install_run_disk(void)
{
	bounce_set_run_disk(run_task_queue_disk);
}

/* ---- merging ----------------------------------------------------------- */

static int blk_can_grow(const struct request *req, const struct buffer_head *bh,
			int contiguous)
{
	return req->nr_bytes + bh->b_size <= req->bdev->max_request_bytes &&
	       req->nr_segs + !contiguous <= BLK_MAX_SEGMENTS;
}

static int blk_back_merge(struct request *req, struct buffer_head *bh)
{
	int contiguous = req->dma_end == bh_dma_addr(bh);

	if (req->sector + (req->nr_bytes >> SECTOR_SHIFT) != bh->b_rsector ||
	    !blk_can_grow(req, bh, contiguous))
		return 0;
	bh->b_reqnext = NULL;
	req->bhtail->b_reqnext = bh;
	req->bhtail = bh;
	req->dma_end = bh_dma_addr(bh) + bh->b_size;
	req->nr_segs += !contiguous;
	req->nr_bytes += bh->b_size;
	req->nr_bhs++;
	return 1;
}

static int blk_front_merge(struct request *req, struct buffer_head *bh)
{
	int contiguous = bh_dma_addr(bh) + bh->b_size == bh_dma_addr(req->bh);

	if (bh->b_rsector + (bh->b_size >> SECTOR_SHIFT) != req->sector ||
	    !blk_can_grow(req, bh, contiguous))
		return 0;
	bh->b_reqnext = req->bh;
	req->bh = bh;
	req->sector = bh->b_rsector;
	req->nr_segs += !contiguous;
	req->nr_bytes += bh->b_size;
	req->nr_bhs++;
	return 1;
}

/* Try the plug's requests, newest first.  True if bh joined one. */
static int blk_plug_merge(struct blk_plug *plug, struct block_device *bdev,
			  int rw, struct buffer_head *bh)
{
	struct list_head *pos;

	for (pos = plug->list.prev; pos != &plug->list; pos = pos->prev) {
		struct request *req = list_entry(pos, struct request, queue);

		if (req->bdev != bdev || req->rw != rw || req->fault)
			continue;
		if (blk_back_merge(req, bh) || blk_front_merge(req, bh)) {
			blk_stat_add(&bdev->stats.nr_merged, 1);
			return 1;
		}
	}
	return 0;
}

/* ---- the request path ------------------------------------------------ */

/* bh after any bounce: merge it, or queue it in a request of its own. */
static void blk_make_request(struct block_device *bdev, int rw, struct buffer_head *bh)
{
	int dir = rw == WRITE ? WRITE : READ;
	struct blk_plug *plug = current_plug.depth ? &current_plug : NULL;
	enum blk_fault_kind fault;
	struct request *req;

	fault = blk_fault_check(bdev, dir, bh->b_rsector, bh->b_size >> SECTOR_SHIFT);
	if (plug && !fault && blk_plug_merge(plug, bdev, dir, bh))
		return;
	req = get_request(bdev, dir, rw != READA);
	if (!req) {
		blk_fail_bh(bdev, bh, -EWOULDBLOCK);	/* read-ahead: dropped */
		return;
	}
	blk_rq_init(req, dir, bh, fault);
	if (!plug) {
		blk_issue(bdev, &req, 1);
		return;
	}
	if (plug->count >= BLK_MAX_PLUGGED)
		blk_flush_plug(plug);
	list_add_tail(&req->queue, &plug->list);
	plug->count++;
}

/* 0, or why bh cannot go to the device. */
static int blk_check_bh(struct block_device *bdev, int dir,
			const struct buffer_head *bh)
{
	unsigned long long pos = (unsigned long long)bh->b_rsector << SECTOR_SHIFT;

	VM_BUG_ON(!buffer_locked(bh));
	VM_BUG_ON(!bh->b_end_io || !bh->b_page);
	VM_BUG_ON(bh->b_size < 512 || bh->b_size > PAGE_SIZE ||
		  (bh->b_size & (bh->b_size - 1)));
	VM_BUG_ON(bh_offset(bh) + bh->b_size > PAGE_SIZE);
	if (dir == WRITE && bdev->read_only)
		return -EROFS;
	if (dir == WRITE && READ_ONCE(bdev->aborted))
		return -EIO;
	if (pos % bdev->lbs || bh->b_size % bdev->lbs || bh_offset(bh) % bdev->lbs)
		return -EINVAL;
	if (pos + bh->b_size > bdev->size)
		return -EIO;
	return 0;
}

void generic_make_request(int rw, struct buffer_head *bh)
{
	struct block_device *bdev = bh->b_dev;
	int dir = rw == WRITE ? WRITE : READ;
	int err;

	VM_BUG_ON(!bdev);
	err = blk_check_bh(bdev, dir, bh);
	if (err) {
		blk_fail_bh(bdev, bh, err);
		return;
	}
	if (likely(!READ_ONCE(bdev->bypass_bounce))) {
		struct buffer_head *bounce = create_bounce(dir, bh, bdev->reach_pfn);

		if (bounce != bh) {
			blk_stat_add(&bdev->stats.nr_bounced, 1);
			bh = bounce;
		}
	}
	blk_make_request(bdev, rw, bh);
}

void submit_bh(int rw, struct buffer_head *bh)
{
	VM_BUG_ON(rw != READ && rw != WRITE && rw != READA);
	VM_BUG_ON(!buffer_locked(bh));
	set_buffer_req(bh);
	bh->b_rsector = bh->b_blocknr * (bh->b_size >> SECTOR_SHIFT);
	generic_make_request(rw, bh);
}

/*
 * 2.4's ll_rw_block: for each buffer not locked by someone else (whose I/O
 * is then already under way), take the lock and a reference, skip it if
 * there is nothing to do (a read of an uptodate buffer, a write of a clean
 * one) and submit it otherwise, with end_buffer_io_sync.  Callers then
 * wait_on_buffer().  The buffer cache refiles buffers it cleans.
 */
void ll_rw_block(int rw, int nr, struct buffer_head *bhs[])
{
	int i;

	blk_start_plug();
	for (i = 0; i < nr; i++) {
		struct buffer_head *bh = bhs[i];

		if (test_set_buffer_locked(bh))
			continue;
		get_bh(bh);
		bh->b_end_io = end_buffer_io_sync;
		if (rw == WRITE ? !test_clear_buffer_dirty(bh) : buffer_uptodate(bh)) {
			bh->b_end_io(bh, buffer_uptodate(bh));
			continue;
		}
		submit_bh(rw, bh);
	}
	blk_finish_plug();
}
