/*
 * blockdev/blkdev.h - the block device: an image file or a block device
 * node read and written with libaio (book 10.4's "disk" and 2.4's
 * drivers/block/ll_rw_blk.c request layer).
 *
 * Upper layers hand locked, mapped buffer heads to submit_bh(); the
 * request queue merges adjacent ones into one vectored request, a plug
 * held by the submitting thread batches them into one io_submit(), and a
 * completion thread reaps io_getevents() and calls each buffer's b_end_io.
 * A buffer on a frame beyond the device's DMA reach is replaced by a
 * bounce copy (vm/bounce.c) before it is queued; libaio never sees it.
 *
 * This header is the contract between blockdev/ and the layers above
 * (fs/buffer.c, the page cache, mkimg).  Nothing above blockdev/ calls
 * libaio.  The VM must be up (vm_init) before blkdev_open().
 *
 * Results: before b_end_io runs, the device layer sets b_error (0 or
 * -errno) and BH_Error to match; b_end_io's uptodate is !b_error.  A short
 * transfer is -EIO for every buffer of its request; a buffer is never
 * marked uptodate with data that did not arrive.
 *
 * Implementation: blkdev.c (open, reach, flush, stats), claim.c (the
 * hold on the image and its holder), ll_rw_blk.c
 * (request queue, plugging, merging), aio.c (libaio, completion thread),
 * buffer_lock.c (BH_Lock, wait_on_buffer), fault.c (fault injection);
 * bounce buffers in vm/bounce.c.
 */
#ifndef IMGFS_BLOCKDEV_BLKDEV_H
#define IMGFS_BLOCKDEV_BLKDEV_H

#include "vm/buffer_head.h"

/* What the device's "DMA engine" can address (DESIGN: dma_reach=). */
enum dma_reach {
	DMA_REACH_DMA,		/* ZONE_DMA frames only */
	DMA_REACH_LOW,		/* DMA and NORMAL: HIGHMEM must bounce (default) */
	DMA_REACH_ALL,		/* every frame */
};

struct blkdev_config {
	const char *path;		/* image file or block device */
	int read_only;
	enum dma_reach reach;
	unsigned int queue_depth;	/* iocbs in flight; 0: default (128) */
	unsigned int max_request_kb;	/* merge limit; 0: default (1024) */
	int no_direct;			/* force buffered I/O (tests) */
};

struct blkdev_stats {
	unsigned long nr_reads, nr_writes;		/* buffers completed */
	unsigned long nr_read_bytes, nr_write_bytes;
	unsigned long nr_iocbs;				/* requests given to libaio */
	unsigned long nr_submits;			/* io_submit calls */
	unsigned long nr_merged;			/* buffers merged into another's request */
	unsigned long nr_errors;			/* buffers completed with an error */
	unsigned long nr_bounced;			/* buffers that needed a bounce */
	unsigned long nr_flushes;
	unsigned long nr_request_waits;		/* submitters that slept for a free request */
};

/*
 * Open the device.  Refuses (returns -errno, *out untouched) a path that
 * is missing (-ENOENT), a directory (-EISDIR), neither a regular file nor a
 * block device (-EINVAL), unreadable (-EACCES), empty or smaller than one
 * logical block (-EINVAL); a read-write open of a read-only file fails as
 * open(2) does.  O_DIRECT is used where the host filesystem allows it
 * (otherwise buffered, said once in the log).  The size is rounded down to
 * the logical block size (BLKSSZGET for a block device; for a file 512,
 * or the host's direct-I/O alignment where statx reports it).
 *
 * One owner per image: the device is held until blkdev_close, exclusively
 * for a read-write open and shared for a read-only one (blkdev_claim); a
 * read-write block device is opened O_EXCL besides, and a read-only one
 * must not be claimed exclusively by anyone else (the kernel's mounts,
 * mke2fs).  An image held against us is -EBUSY (blkdev_holder says who).
 * A host filesystem without locks gets a log line and no hold.
 */
int blkdev_open(const struct blkdev_config *cfg, struct block_device **out);

/*
 * The hold (blockdev/claim.c): lock the open file fd, which path names,
 * exclusively (for writing: fd must be open for writing, else this only
 * tests that no one holds it) or shared, for as long as the open file
 * lives (across fork; gone with its last descriptor).  0; -EBUSY if
 * another open file holds a conflicting lock; -EAGAIN if path no longer
 * names fd's file (replaced meanwhile: open it again); or -errno.  Needs
 * no VM.
 */
int blkdev_claim(int fd, const char *path, int exclusive);

/*
 * Who holds path, for a message: "process PID (COMM)[, ...]" for every
 * process this one may inspect whose open file holds a lock on it, else
 * for a block device "the kernel (mounted on DIR)", else "" (not
 * knowable from here: another user's process, or an O_EXCL opener).
 */
void blkdev_holder(const char *path, char *buf, size_t size);

/* Wait for all I/O, flush, stop the completion thread, close.  Returns
 * the first error seen by the final flush. */
int blkdev_close(struct block_device *bdev);

unsigned long long blkdev_size(const struct block_device *bdev);	/* bytes */
unsigned int blkdev_logical_block_size(const struct block_device *bdev);
int blkdev_read_only(const struct block_device *bdev);
enum dma_reach blkdev_reach(const struct block_device *bdev);
/* The first frame the device cannot address (a bh on it is bounced). */
unsigned long blkdev_reach_pfn(const struct block_device *bdev);
int blkdev_direct(const struct block_device *bdev);	/* O_DIRECT in use */
void blkdev_get_stats(const struct block_device *bdev, struct blkdev_stats *st);

/* "dma", "low", "all" <-> enum dma_reach.  Parse: 0 or -EINVAL. */
int dma_reach_parse(const char *s, enum dma_reach *reach);
const char *dma_reach_name(enum dma_reach reach);

/*
 * Queue bh for I/O.  The caller holds BH_Lock, has set b_dev, b_blocknr,
 * b_size, b_page/b_data and b_end_io; b_end_io is called exactly once
 * (from the completion thread, or at once for a request that cannot be
 * issued, such as a block past the end) with BH_Lock still held: it must
 * unlock.  rw is READ, READA or WRITE.  A write to a read-only device
 * completes with -EROFS, a block past the end with -EIO, one not aligned
 * to the logical block size with -EINVAL; a READA finding no free request
 * is dropped with -EWOULDBLOCK.  b_end_io runs on any thread and must not
 * sleep.  May sleep (a free request, a bounce page): hold no spinlock.
 * The caller's buffer must stay allocated until b_end_io has run.
 */
void submit_bh(int rw, struct buffer_head *bh);
void generic_make_request(int rw, struct buffer_head *bh);

/* 2.4's ll_rw_block: under a plug, for each buffer that is not already
 * locked (someone else's I/O is under way): lock it, take a reference,
 * complete it at once if already uptodate (read) or clean (write), else
 * submit it with end_buffer_io_sync (which drops the reference and
 * unlocks).  Callers then wait_on_buffer() each. */
void ll_rw_block(int rw, int nr, struct buffer_head *bhs[]);

/*
 * Plugging: between blk_start_plug() and blk_finish_plug() on one thread,
 * submitted buffers collect and merge; finishing issues them with one
 * io_submit.  Without a plug, submit_bh issues at once.  Sleeping in
 * wait_on_buffer(), for a free request or for a bounce page unplugs first
 * (2.4 ran tq_disk there); so does a plug reaching 64 requests.  Plugs
 * nest; a thread must finish its plug before it exits.
 */
void blk_start_plug(void);
void blk_finish_plug(void);
void run_task_queue_disk(void);	/* issue this thread's plugged requests */

/* Wait until BH_Lock is clear (unplugging first).  May sleep. */
void wait_on_buffer(struct buffer_head *bh);
void unlock_buffer(struct buffer_head *bh);
void lock_buffer(struct buffer_head *bh);

/* The completion for synchronous I/O: set or clear uptodate, drop the
 * reference ll_rw_block() took (put_bh), then unlock. */
void end_buffer_io_sync(struct buffer_head *bh, int uptodate);

/*
 * A barrier: issue the caller's plug, wait for every write submitted
 * before the call to complete (not for later ones), then fdatasync the
 * image.  0, or the -errno of fdatasync (or -EIO on an aborted device).
 * A write that failed was reported to its submitter by b_end_io and is
 * not reported here again.  For fsync and unmount.  May sleep.
 */
int blkdev_issue_flush(struct block_device *bdev);

/* Fault injection, for tests: sectors [start, start+nr) of rw (READ or
 * WRITE, or -1 for both) fail with EIO, come back short, or complete
 * after delay_ms.  Clear with blkdev_fault_clear. */
int blkdev_fault_eio(struct block_device *bdev, int rw, unsigned long long start,
		     unsigned long long nr);
int blkdev_fault_short(struct block_device *bdev, int rw, unsigned long long start,
		       unsigned long long nr);
int blkdev_fault_delay(struct block_device *bdev, unsigned int delay_ms);
void blkdev_fault_clear(struct block_device *bdev);

/*
 * Stop writing, for good (errors=panic): from now on every write fails
 * with -EIO before it reaches the host and flushes fail; reads go on.
 * Writes already with the host complete as they do.  Any thread.
 */
void blkdev_abort(struct block_device *bdev);

/* Tests only: skip the bounce, so a buffer beyond the reach reaches the
 * issue path, whose debug check must BUG(). */
void blkdev_set_bounce_bypass(struct block_device *bdev, int on);

#endif
