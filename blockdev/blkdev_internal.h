/*
 * blockdev/blkdev_internal.h - what the files of blockdev/ share: the
 * device, its requests, and the calls between blkdev.c (open/close,
 * flush), ll_rw_blk.c (the request queue), aio.c (libaio) and fault.c.
 *
 * A request is one iocb: a chain of buffer heads (b_reqnext) covering
 * adjacent sectors in one direction.  Each device owns queue_depth of them
 * from open to close, so the I/O path allocates nothing and cannot fail
 * for lack of memory; a submitter that finds none free issues its own
 * plug and sleeps (2.4's get_request_wait).
 *
 *   free_list --get_request--> thread's plug --blk_issue--> libaio
 *       ^                     (merging here)                  |
 *       +----- blk_put_request <-- completion thread <--------+
 *
 * Lock order (vm/locking.h "buffer lock" comes before all of these):
 *   flush_sem [sleep: held across fdatasync]
 *     -> queue_lock -> fault_lock
 * The bounce path (vm/bounce.c, emergency_lock) is entered with none of
 * them held.  Nothing here is held while calling a b_end_io.
 */
#ifndef IMGFS_BLOCKDEV_BLKDEV_INTERNAL_H
#define IMGFS_BLOCKDEV_BLKDEV_INTERNAL_H

#include <libaio.h>
#include <pthread.h>
#include <sys/uio.h>
#include "blockdev/blkdev.h"

#define SECTOR_SHIFT		9
#define BLK_DEFAULT_DEPTH	128
#define BLK_MAX_DEPTH		4096
#define BLK_DEFAULT_MAX_KB	1024
#define BLK_MAX_SEGMENTS	256	/* iovecs per request (4 KiB of them) */
#define BLK_MAX_PLUGGED		64	/* requests a plug holds before issuing */
#define BLK_MAX_FAULTS		8

enum blk_fault_kind {
	BLK_FAULT_NONE,
	BLK_FAULT_EIO,		/* issued as a 0-byte iocb; completes -EIO */
	BLK_FAULT_SHORT,	/* issued one logical block short */
};

struct blk_fault_range {
	int rw;				/* READ, WRITE or -1 */
	enum blk_fault_kind kind;
	unsigned long long start, nr;	/* sectors */
};

struct request {
	struct list_head queue;		/* free_list (queue_lock) or a plug */
	struct block_device *bdev;
	int rw;				/* READ or WRITE */
	enum blk_fault_kind fault;	/* set at creation; never merged */
	unsigned long long sector;	/* first 512-byte sector */
	unsigned int nr_bytes;
	unsigned int nr_segs;		/* iovecs the chain will need */
	unsigned int nr_bhs;
	int flush_slot;			/* writes: the flush epoch it counts in */
	unsigned long long dma_end;	/* address after the tail bh's data */
	struct buffer_head *bh, *bhtail;	/* the chain, via b_reqnext */
	unsigned long issued;		/* release on issue, acquire on reap */
	struct iovec *iov;		/* BLK_MAX_SEGMENTS */
	struct iocb iocb;
};

struct block_device {
	/* The request queue: queue_lock. */
	spinlock_t queue_lock;
	struct list_head free_list;	/* unused requests */
	unsigned int nr_free;
	int nr_inflight;		/* atomic: handed to libaio, not reaped */
	unsigned long nr_completed;	/* requests reaped, ever */
	unsigned int nr_request_waiters;
	wait_queue_head_t request_wait;	/* a request came back */
	unsigned int flush_pending[2];	/* write requests per flush epoch */
	int flush_slot;			/* epoch new writes count in */
	wait_queue_head_t flush_wait;	/* an epoch drained */

	/* Fault injection: fault_lock; nr_faults and delay_ms read racily. */
	spinlock_t fault_lock;
	unsigned int nr_faults;
	struct blk_fault_range faults[BLK_MAX_FAULTS];
	unsigned int delay_ms;

	spinlock_t flush_sem;		/* one flush at a time [sleep] */

	/* Set at open, read-only after. */
	int fd;
	int read_only, direct;
	int bypass_bounce;		/* tests: skip create_bounce (atomic) */
	int aborted;			/* atomic: blkdev_abort, no more writes */
	enum dma_reach reach;
	unsigned long reach_pfn;	/* first frame the device cannot address */
	char *dma_base;			/* its view of frames [0, reach_pfn) */
	unsigned long long size;	/* bytes, a multiple of lbs */
	unsigned int lbs;		/* logical block size */
	unsigned int queue_depth;
	unsigned int max_request_bytes;
	io_context_t ctx;
	struct io_event *events;	/* queue_depth + 1, the reaper's */
	struct request **requests;	/* all queue_depth of them */
	pthread_t completion_thread;
	int stop;			/* atomic: the reaper should exit */

	/* Statistics: relaxed atomic adds. */
	struct blkdev_stats stats;
};

static inline void blk_stat_add(unsigned long *ctr, unsigned long n)
{
	__atomic_fetch_add(ctr, n, __ATOMIC_RELAXED);
}

/* The device's address of bh's data (its frame must be within reach). */
static inline unsigned long long bh_dma_addr(const struct buffer_head *bh)
{
	return ((unsigned long long)page_to_pfn(bh->b_page) << PAGE_SHIFT) +
	       bh_offset(bh);
}

/* ll_rw_blk.c */
int blk_init_queue(struct block_device *bdev);
void blk_cleanup_queue(struct block_device *bdev);
void blk_drain_queue(struct block_device *bdev);
/* Finish every buffer of req with the iocb's result, recycle req. */
void blk_complete_request(struct request *req, long res);
void blk_install_run_disk(void);

/* aio.c */
int blk_aio_start(struct block_device *bdev);
void blk_aio_stop(struct block_device *bdev);
void blk_issue(struct block_device *bdev, struct request **reqs, int nr);

/* fault.c: the fault covering [sector, sector + nr) for rw, if any. */
enum blk_fault_kind blk_fault_check(struct block_device *bdev, int rw,
				    unsigned long long sector, unsigned long long nr);
void blk_fault_delay(struct block_device *bdev);

#endif
