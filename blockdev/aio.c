/*
 * blockdev/aio.c - the device's "DMA engine": one libaio context per
 * device, requests turned into iocbs and issued with io_submit, and a
 * completion thread that reaps io_getevents and runs each buffer's
 * b_end_io (the kernel's interrupt handler and end_that_request).
 *
 * Interface (blockdev/blkdev_internal.h): blk_aio_start() and
 * blk_aio_stop() from blkdev_open()/blkdev_close(); blk_issue() from the
 * request queue (ll_rw_blk.c).
 *
 * Addresses.  blkdev.c maps frames [0, reach_pfn) of the arena's memfd at
 * dma_base: the device's view of memory.  A buffer's iovec is
 * dma_base + pfn * PAGE_SIZE + offset, so a frame beyond the reach has no
 * address at all; blk_prep_iocb() BUG()s if one gets this far (the bounce
 * was bypassed).  Buffers adjacent in memory share one iovec.  A request
 * of one segment uses io_prep_pread/pwrite, others preadv/pwritev.
 *
 * Faults (fault.c): an EIO request is issued as a 0-byte read, a short one
 * a logical block short; the completion compares the result with the
 * request's length, so both come back as -EIO through the normal path.
 * A write the host itself cut short is finished synchronously
 * (blk_finish_short_write), so its error is the host's errno.
 *
 * Shutdown: blk_aio_stop() sets stop and issues a 0-byte read whose iocb
 * carries no request; the reaper exits when it sees stop (it also polls it
 * every second, should that iocb be refused).
 *
 * Locking: the reaper takes queue_lock only inside blk_complete_request();
 * nr_inflight is an atomic count.  A request's fields
 * pass from submitter to reaper through libaio, which ThreadSanitizer
 * cannot see: a release store to req->issued before io_submit and an
 * acquire load after io_getevents make the hand-over explicit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "blockdev/blkdev_internal.h"
#include "vm/slab.h"

static void blk_prep_iocb(struct block_device *bdev, struct request *req)
{
	long long offset = (long long)(req->sector << SECTOR_SHIFT);
	struct iovec *iov = req->iov;
	struct buffer_head *bh;
	unsigned int n = 0;

	for (bh = req->bh; bh; bh = bh->b_reqnext) {
		unsigned long pfn = page_to_pfn(bh->b_page);
		char *addr;

		if (pfn >= bdev->reach_pfn)
			BUG();		/* beyond the device's reach: not bounced */
		addr = bdev->dma_base + (pfn << PAGE_SHIFT) + bh_offset(bh);
		if (n && (char *)iov[n - 1].iov_base + iov[n - 1].iov_len == addr) {
			iov[n - 1].iov_len += bh->b_size;
			continue;
		}
		VM_BUG_ON(n == BLK_MAX_SEGMENTS);
		iov[n].iov_base = addr;
		iov[n++].iov_len = bh->b_size;
	}
	if (req->fault == BLK_FAULT_EIO) {
		io_prep_pread(&req->iocb, bdev->fd, iov[0].iov_base, 0, offset);
		goto out;
	}
	if (req->fault == BLK_FAULT_SHORT)
		iov[n - 1].iov_len -= bdev->lbs;	/* b_size >= lbs */
	if (n == 1 && req->rw == WRITE)
		io_prep_pwrite(&req->iocb, bdev->fd, iov[0].iov_base, iov[0].iov_len, offset);
	else if (n == 1)
		io_prep_pread(&req->iocb, bdev->fd, iov[0].iov_base, iov[0].iov_len, offset);
	else if (req->rw == WRITE)
		io_prep_pwritev(&req->iocb, bdev->fd, iov, (int)n, offset);
	else
		io_prep_preadv(&req->iocb, bdev->fd, iov, (int)n, offset);
out:
	req->iocb.data = req;
	__atomic_store_n(&req->issued, req->issued + 1, __ATOMIC_RELEASE);
}

/* io_submit had no room: sleep until something completes. */
static void blk_wait_for_room(struct block_device *bdev)
{
	struct timespec ts = { 0, 1000000L };
	unsigned long seen;

	spin_lock(&bdev->queue_lock);
	seen = bdev->nr_completed;
	if (!__atomic_load_n(&bdev->nr_inflight, __ATOMIC_RELAXED)) {
		spin_unlock(&bdev->queue_lock);
		nanosleep(&ts, NULL);		/* host resources: back off */
		return;
	}
	while (bdev->nr_completed == seen) {
		bdev->nr_request_waiters++;
		wait_event_locked(&bdev->request_wait, &bdev->queue_lock);
		bdev->nr_request_waiters--;
	}
	spin_unlock(&bdev->queue_lock);
}

static void blk_add_inflight(struct block_device *bdev, int n)
{
	__atomic_add_fetch(&bdev->nr_inflight, n, __ATOMIC_RELAXED);
}

/*
 * Hand nr requests (at most BLK_MAX_PLUGGED) to libaio in as few io_submit
 * calls as it accepts.  An iocb it refuses completes with that error.
 * Caller holds no lock.
 */
void blk_issue(struct block_device *bdev, struct request **reqs, int nr)
{
	struct iocb *iocbs[BLK_MAX_PLUGGED];
	int i, done = 0;

	VM_BUG_ON(nr <= 0 || nr > BLK_MAX_PLUGGED);
	for (i = 0; i < nr; i++) {
		blk_prep_iocb(bdev, reqs[i]);
		iocbs[i] = &reqs[i]->iocb;
	}
	blk_stat_add(&bdev->stats.nr_iocbs, (unsigned long)nr);
	while (done < nr) {
		int ret;

		blk_add_inflight(bdev, nr - done);
		ret = io_submit(bdev->ctx, nr - done, iocbs + done);
		if (ret > 0) {
			blk_stat_add(&bdev->stats.nr_submits, 1);
			if (ret < nr - done)
				blk_add_inflight(bdev, -(nr - done - ret));
			done += ret;
			continue;
		}
		blk_add_inflight(bdev, -(nr - done));
		if (ret == -EAGAIN || ret == 0) {
			blk_wait_for_room(bdev);
		} else if (ret != -EINTR) {
			/* The first iocb was refused: it completes with the error. */
			blk_complete_request(reqs[done], ret);
			done++;
		}
	}
}

/* The iovecs of req from byte done on, into iov.  Their number. */
static int blk_iov_from(const struct request *req, unsigned long done, struct iovec *iov)
{
	unsigned long total = 0;
	int i = 0, n = 0;

	while (total < req->nr_bytes) {
		const struct iovec *v = &req->iov[i++];

		total += v->iov_len;
		if (done >= v->iov_len) {
			done -= v->iov_len;
			continue;
		}
		iov[n].iov_base = (char *)v->iov_base + done;
		iov[n++].iov_len = v->iov_len - done;
		done = 0;
	}
	return n;
}

/*
 * The host took only part of a write (a file system that filled up does
 * that before it fails): write the rest here, synchronously, so that the
 * error that ends the write is the host's own (ENOSPC, EDQUOT, EIO, as
 * pwrite(2) gives it on the next call) and not a made-up EIO.  With
 * O_DIRECT the rest starts at the last logical block boundary.  Returns
 * the request's length, or -errno.
 */
static long blk_finish_short_write(struct block_device *bdev, struct request *req,
				   unsigned long done)
{
	long long offset = (long long)(req->sector << SECTOR_SHIFT);
	unsigned long align = bdev->direct ? bdev->lbs : 1;
	struct iovec iov[BLK_MAX_SEGMENTS];
	int tries = 0;

	done &= ~(align - 1);
	while (done < req->nr_bytes) {
		int n = blk_iov_from(req, done, iov);
		ssize_t w = pwritev(bdev->fd, iov, n, offset + (long long)done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if ((unsigned long)w < align && ++tries > 3)
			return -EIO;	/* no progress, and no reason given */
		done = (done + (unsigned long)w) & ~(align - 1);
	}
	return (long)req->nr_bytes;
}

static void blk_reap(struct block_device *bdev, int n)
{
	long res;
	int i;

	blk_fault_delay(bdev);
	for (i = 0; i < n; i++) {
		struct io_event *ev = &bdev->events[i];
		struct request *req = ev->data;

		if (!req)
			continue;		/* the shutdown iocb */
		(void)__atomic_load_n(&req->issued, __ATOMIC_ACQUIRE);
		blk_add_inflight(bdev, -1);
		res = (long)ev->res;
		if (req->rw == WRITE && req->fault == BLK_FAULT_NONE && res >= 0 &&
		    (unsigned long)res < req->nr_bytes)
			res = blk_finish_short_write(bdev, req, (unsigned long)res);
		blk_complete_request(req, res);
	}
}

static void *blk_completion_thread(void *arg)
{
	struct block_device *bdev = arg;

	while (!__atomic_load_n(&bdev->stop, __ATOMIC_ACQUIRE)) {
		struct timespec ts = { 1, 0 };
		int n = io_getevents(bdev->ctx, 1, (long)bdev->queue_depth + 1,
				     bdev->events, &ts);

		if (n > 0)
			blk_reap(bdev, n);
		else if (n < 0 && n != -EINTR)
			vm_log("blkdev: io_getevents: %s", strerror(-n));
	}
	return NULL;
}

int blk_aio_start(struct block_device *bdev)
{
	int ret;

	memset(&bdev->ctx, 0, sizeof(bdev->ctx));
	ret = io_setup((int)bdev->queue_depth + 1, &bdev->ctx);
	if (ret) {
		vm_log("blkdev: io_setup(%u): %s", bdev->queue_depth + 1, strerror(-ret));
		return ret;
	}
	bdev->events = kmalloc((bdev->queue_depth + 1) * sizeof(struct io_event),
			       GFP_KERNEL);
	if (!bdev->events) {
		ret = -ENOMEM;
		goto out_destroy;
	}
	__atomic_store_n(&bdev->stop, 0, __ATOMIC_RELAXED);
	ret = -pthread_create(&bdev->completion_thread, NULL,
			      blk_completion_thread, bdev);
	if (ret)
		goto out_free_events;
	return 0;

out_free_events:
	kfree(bdev->events);
	bdev->events = NULL;
out_destroy:
	io_destroy(bdev->ctx);
	return ret;
}

/* Every request is back (blk_drain_queue); stop the reaper. */
void blk_aio_stop(struct block_device *bdev)
{
	struct iocb iocb, *iocbs[1] = { &iocb };

	__atomic_store_n(&bdev->stop, 1, __ATOMIC_RELEASE);
	io_prep_pread(&iocb, bdev->fd, bdev->dma_base, 0, 0);
	iocb.data = NULL;
	if (io_submit(bdev->ctx, 1, iocbs) != 1)
		vm_log("blkdev: shutdown iocb refused; the reaper stops within 1s");
	pthread_join(bdev->completion_thread, NULL);
	io_destroy(bdev->ctx);
	kfree(bdev->events);
	bdev->events = NULL;
}
