/*
 * vm/pagemap.h - the page cache (book 11.2-11.3; 2.4 include/linux/pagemap.h
 * and the address_space of include/linux/fs.h).
 *
 * A file's (or a block device's) pages are found by (mapping, index) in
 * one hash table, page_hash_table, sized at boot (page_cache_init).  Each
 * address_space keeps its pages on one of three lists, the "inode queue":
 *
 *   clean_pages   up to date with the backing store
 *   dirty_pages   PG_dirty: written since the last writeback, oldest first
 *   locked_pages  PG_writeback: a write to the backing store is in flight
 *
 * For a page nobody holds locked, the queue it is on follows from its flags
 * (dirty wins over writeback).  A writer holding the page lock may clear
 * PG_dirty and leave the page where it is until set_page_writeback() (or a
 * redirty) files it again; everyone else re-files under pagecache_lock as
 * soon as a flag changes.
 *
 * Life of a page in the cache:
 *   page_cache_alloc -> add_to_page_cache (locked, on clean_pages and the
 *   inactive LRU, the cache holds a reference) -> readpage -> uptodate,
 *   unlocked -> set_page_dirty (dirty_pages) -> writepage: dirty cleared,
 *   set_page_writeback (locked_pages), unlocked -> end_page_writeback
 *   (clean_pages) -> remove_inode_page by reclaim or truncate.
 *
 * Locking (vm/locking.h): pagecache_lock protects the hash chains,
 * page->mapping/index, every inode queue, nrpages and the list of dirty
 * mappings.  The page lock (PG_locked, a sleeping lock) is held to add or
 * remove a page, for I/O on it, and to change page->buffers.
 */
#ifndef IMGFS_VM_PAGEMAP_H
#define IMGFS_VM_PAGEMAP_H

#include <sys/types.h>
#include "vm/errseq.h"
#include "vm/mm.h"
#include "vm/spinlock.h"

struct address_space;

/* How hard a writepage may try: reclaim and the flusher must not block. */
#define WB_SYNC_NONE	0	/* skip what is busy; redirty instead of waiting */
#define WB_SYNC_ALL	1	/* wait for buffers: fsync, unmount */

/*
 * What a filesystem (or the block-device mapping) plugs in.  All are
 * optional except readpage for mappings that are read and writepage for
 * mappings that are written.
 *
 * readpage      page locked, not uptodate; starts the read, unlocks the
 *               page when done (uptodate, or PG_error).  0 or -errno.
 * writepage     page locked, PG_dirty already cleared by the caller; must
 *               either set_page_writeback() (and end_page_writeback() when
 *               the I/O completes) or set_page_dirty() again, and unlock.
 *               sync is WB_SYNC_NONE or WB_SYNC_ALL.  May not call back
 *               into the filesystem when the mapping is AS_BDEV.
 * prepare_write/commit_write   page locked; bytes [from, to) of the page
 *               are about to be / have been copied in.
 * bmap          file block -> device block, 0 for a hole.
 * flushpage     page locked: drop the private state (buffers) of bytes at
 *               and beyond offset; at offset 0 return 1 if page->buffers
 *               is gone.  Used by truncate.
 * releasepage   page locked: free page->buffers if nothing uses them.
 *               1 if freed.  Used by reclaim and invalidate; never sleeps.
 * write_error   a write-back of a page of the mapping failed with err
 *               (the host's errno); the page is dirty again.  lasting:
 *               the page's previous write-back had failed too.  Runs in
 *               the completion's thread with no lock held: it may log and
 *               set state, never wait for I/O.
 */
struct address_space_operations {
	int (*writepage)(struct page *page, int sync);
	int (*readpage)(struct page *page);
	int (*prepare_write)(struct page *page, unsigned int from, unsigned int to);
	int (*commit_write)(struct page *page, unsigned int from, unsigned int to);
	unsigned long (*bmap)(struct address_space *mapping, unsigned long block);
	int (*flushpage)(struct page *page, unsigned long offset);
	int (*releasepage)(struct page *page, unsigned int gfp_mask);
	void (*write_error)(struct address_space *mapping, int err, int lasting);
};

/* address_space.flags */
#define AS_BDEV		0x1	/* a block device's own mapping: metadata,
				 * writepage needs no filesystem (GFP_NOFS
				 * reclaim may write it), counted as Buffers */

struct address_space {
	/* The inode queue (book 11.3); pagecache_lock. */
	struct list_head clean_pages;
	struct list_head dirty_pages;	/* oldest dirtied first */
	struct list_head locked_pages;	/* under writeback */
	unsigned long nrpages;		/* pagecache_lock; racy reads are fine */

	/* Set once by address_space_init. */
	const struct address_space_operations *a_ops;
	void *host;			/* the owner (inode, bdev cache) */
	unsigned int gfp_mask;		/* how its pages are allocated */
	unsigned int flags;		/* AS_* */
	unsigned int blkbits;		/* log2 of its block size (buffers);
					 * PAGE_SHIFT unless the owner sets it */

	/* Writeback bookkeeping; pagecache_lock. */
	struct list_head dirty_link;	/* on the flusher's dirty_mappings */
	unsigned long dirtied_when;	/* vm_jiffies() its oldest dirty page */
	int wb_pins;			/* the flusher is working on it */
	int wb_dying;			/* address_space_destroy waits */
	int wb_error;			/* -errno of a failed write, reported
					 * once by filemap_fdatawait */
	errseq_t wb_err;		/* every failed write, for each open
					 * file once (filemap_check_wb_err) */
};

/*
 * Write-back errors as fsync reports them (Linux 4.13+): an open file
 * samples the mapping's wb_err when it is opened; fsync (and close)
 * report what was set since, once, and advance the sample.
 */
static inline errseq_t filemap_sample_wb_err(struct address_space *mapping)
{
	return errseq_sample(&mapping->wb_err);
}

static inline int filemap_check_wb_err(struct address_space *mapping, errseq_t since)
{
	return errseq_check(&mapping->wb_err, since);
}

static inline int file_check_and_advance_wb_err(struct address_space *mapping,
						errseq_t *f_wb_err)
{
	return errseq_check_and_advance(&mapping->wb_err, f_wb_err);
}

/* ---- boot ------------------------------------------------------------ */

extern spinlock_t pagecache_lock;
extern struct page **page_hash_table;
extern unsigned int page_hash_bits;	/* log2 of the number of buckets */
extern unsigned int page_hash_order;	/* the table took 2^order frames */

/*
 * Size and place the hash table (book 11.2.1) for mempages frames:
 * htable_size = mempages * sizeof(struct page *), rounded up to 2^order
 * frames; lower orders are tried if boot memory cannot give that.  Called
 * by vm_init() before mem_init() retires the boot allocator.  Also sets up
 * the LRU and the page wait queues and installs reclaim.  0 or -ENOMEM.
 */
int page_cache_init(unsigned long mempages);
void page_cache_exit(void);

/* The order the formula asks for, before any fallback (for tests). */
unsigned int page_hash_order_for(unsigned long mempages);

/* Test hook: the next page_cache_init fails its first n table allocations,
 * as if boot memory were short, so it falls back n orders. */
void page_cache_set_fail_orders(unsigned int n);

/* ---- mappings -------------------------------------------------------- */

void address_space_init(struct address_space *mapping,
			const struct address_space_operations *a_ops,
			void *host, unsigned int gfp_mask, unsigned int flags);
/* The mapping must be empty (truncate_inode_pages(m, 0) first).  Waits
 * until the flusher lets go of it. */
void address_space_destroy(struct address_space *mapping);

static inline struct page *page_cache_alloc(struct address_space *mapping)
{
	return alloc_pages(mapping->gfp_mask, 0);
}

#define page_cache_get(page)		get_page(page)
#define page_cache_release(page)	put_page(page)

/* ---- the cache ------------------------------------------------------- */

/* Frames in the page cache, all mappings; of them in AS_BDEV mappings. */
unsigned long page_cache_pages(void);
unsigned long buffer_cache_pages(void);

/*
 * Insert a new page (count 1, not locked, no mapping) at index.  On
 * success the page is locked, on clean_pages and the inactive LRU, and the
 * cache holds its own reference; the caller keeps its reference and the
 * lock.  -EEXIST if the index is taken.
 */
int add_to_page_cache(struct page *page, struct address_space *mapping,
		      unsigned long index);

/* Caller holds pagecache_lock.  The page at index, no reference taken. */
struct page *__find_page_nolock(struct address_space *mapping, unsigned long index);

/* The page at index with a reference, or NULL. */
struct page *find_get_page(struct address_space *mapping, unsigned long index);

/* As find_get_page, then locked; the page is still in the mapping. */
struct page *find_lock_page(struct address_space *mapping, unsigned long index);

/* find_lock_page, or a new page added there.  NULL when memory is short. */
struct page *find_or_create_page(struct address_space *mapping,
				 unsigned long index, unsigned int gfp_mask);
struct page *grab_cache_page(struct address_space *mapping, unsigned long index);

/*
 * An uptodate page at index, read with filler(data, page) if needed (the
 * filler gets the page locked and must unlock it).  *pagep holds a
 * reference.  0, -ENOMEM, or -EIO / the filler's error.
 */
typedef int (*filler_t)(void *data, struct page *page);
int read_cache_page(struct address_space *mapping, unsigned long index,
		    filler_t filler, void *data, struct page **pagep);

/*
 * Take a locked page out of its mapping: hash, inode queue and LRU.  The
 * caller then drops the cache's reference with page_cache_release().
 */
void remove_inode_page(struct page *page);
/* Caller holds pagecache_lock: hash and inode queue only. */
void __remove_inode_page(struct page *page);

/*
 * Drop every page from byte lstart on; the page holding lstart keeps its
 * head and has the rest zeroed.  Dirty data there is discarded.  Waits
 * for page locks and writeback.
 */
void truncate_inode_pages(struct address_space *mapping, loff_t lstart);

/* Drop the clean, unlocked, unused pages; returns how many went. */
unsigned long invalidate_inode_pages(struct address_space *mapping);

/* Start writeback of every dirty page / wait for all writeback of the
 * mapping.  0, or the first -errno (-EIO for a failed write). */
int filemap_fdatasync(struct address_space *mapping);
int filemap_fdatawait(struct address_space *mapping);

/* ---- reading and writing (vm/readahead.c, vm/filemap_rw.c) ------------ */

/*
 * Per open file: the readahead windows (see readahead.c).  The reader
 * owns it; concurrent readers of one file use one each.
 */
struct file_ra_state {
	unsigned long start, size;		/* current window, pages */
	unsigned long ahead_start, ahead_size;	/* read ahead of the reader */
	unsigned long prev_page;		/* last page read; ~0 at open */
	unsigned int ra_pages;			/* window limit (0: none) */
};

#define VM_MIN_READAHEAD	4	/* pages: the first window */
#define VM_MAX_READAHEAD	32	/* pages: 128 KiB */

void file_ra_state_init(struct file_ra_state *ra);

/*
 * The reader is about to use page index of a file whose last page is
 * last_index: recognise sequential reading and keep reads in flight
 * ahead of it.  Never waits for I/O.
 */
void page_cache_readahead(struct address_space *mapping, struct file_ra_state *ra,
			  unsigned long index, unsigned long last_index);

/* Start reads of the pages of [start, start + nr) that are not cached.
 * Returns how many were started. */
unsigned long do_page_cache_readahead(struct address_space *mapping,
				      unsigned long start, unsigned long nr,
				      unsigned long last_index);

/*
 * Copy up to len bytes at pos of a file of isize bytes into buf, through
 * the page cache.  Returns bytes copied (short at end of file), or -errno
 * if nothing could be: -ENOMEM, -EIO.
 */
ssize_t generic_file_read(struct address_space *mapping, struct file_ra_state *ra,
			  char *buf, size_t len, loff_t pos, loff_t isize);

/*
 * Copy len bytes from buf to the file at pos through prepare_write and
 * commit_write, then throttle if dirty memory is high.  The caller holds
 * whatever serialises writers (i_sem) and updates the file size (the
 * filesystem's commit_write may).  Returns bytes written or -errno.
 */
ssize_t generic_file_write(struct address_space *mapping, const char *buf,
			   size_t len, loff_t pos);

/* ---- the page lock (vm/page_lock.c) ---------------------------------- */

void lock_page(struct page *page);
void unlock_page(struct page *page);
static inline int TryLockPage(struct page *page)
{
	return TestSetPageLocked(page);
}
#define UnlockPage(page)	unlock_page(page)
/* Sleep until the page is unlocked / not under writeback. */
void wait_on_page(struct page *page);
void wait_on_page_writeback(struct page *page);

/* Wake whoever waits on page (after PG_locked or PG_writeback cleared). */
void wake_up_page(struct page *page);

/*
 * The device's plugging, seen from the VM (the VM links below the device
 * layer, so the buffer layer installs these).  Before sleeping on I/O a
 * thread issues its own plugged requests (2.4's sync_page ->
 * run_task_queue(&tq_disk)); readahead plugs around a window so its pages
 * merge into few requests.  Each is a no-op until installed.
 */
struct vm_io_hooks {
	void (*start_plug)(void);
	void (*finish_plug)(void);
	void (*unplug)(void);
};
void set_vm_io_hooks(const struct vm_io_hooks *hooks);
void io_start_plug(void);
void io_finish_plug(void);
void unplug_io(void);

void page_lock_init(void);
void page_lock_exit(void);

/* ---- dirty and writeback state (vm/page_dirty.c) --------------------- */

/* Milliseconds on a monotonic clock: the VM's jiffies (HZ = 1000). */
unsigned long vm_jiffies(void);

/* a is later than b, across the counter's wrap (include/linux/jiffies.h). */
static inline int time_after(unsigned long a, unsigned long b)
{
	return (long)(a - b) > 0;
}

/* Mark dirty and file on dirty_pages.  1 if it was clean. */
int set_page_dirty(struct page *page);
/* Page locked: clear PG_dirty before writepage.  1 if it was dirty. */
int clear_page_dirty_for_io(struct page *page);
/* Page locked: the data is being thrown away (truncate). */
void cancel_dirty_page(struct page *page);
/* Page locked, dirty cleared: I/O is about to start (locked_pages). */
void set_page_writeback(struct page *page);
/* The write finished (any thread); error leaves PG_error set. */
void end_page_writeback(struct page *page);
void end_page_writeback_error(struct page *page, int error);
/* Part of a page (a buffer) failed a synchronous write that its caller
 * reports: as a failed write-back, the page is dirty again, the mapping's
 * errseq and its owner (write_error) hear of it.  The caller holds a
 * reference on the page; any thread, no lock held. */
void page_write_failed(struct page *page, int error);

/* Page locked: write it if dirty, unlocking it; with wait, wait for the
 * I/O.  0 or -errno. */
int write_one_page(struct page *page, int wait);

/* Pages of mapping now dirty (pagecache_lock inside). */
unsigned long mapping_nr_dirty(struct address_space *mapping);

/* Gauges, in pages. */
long nr_dirty_pages(void);
long nr_writeback_pages(void);

/* Caller holds pagecache_lock: move page to the queue its flags say. */
void __refile_page(struct page *page);

/* Wait until some writeback completes, or timeout_ms passes. */
void wait_for_writeback(unsigned int timeout_ms);

/* wait_event_locked with a timeout; 0 when woken, -ETIMEDOUT. */
int wait_event_locked_timeout(wait_queue_head_t *q, spinlock_t *lock,
			      unsigned int timeout_ms);

/* ---- internal to vm/ --------------------------------------------------- */

/* Caller holds pagecache_lock: keep a mapping from being destroyed while
 * the lock is dropped (the flusher). */
void __mapping_pin(struct address_space *mapping);
void __mapping_unpin(struct address_space *mapping);

/* vmstat/meminfo hooks (pagecache_stats.c). */
void pagecache_stats_on(void);
void pagecache_stats_off(void);

#endif
