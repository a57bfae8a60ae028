/*
 * fs/block_page.c - page I/O through buffers over a filesystem's
 * get_block (2.4 fs/buffer.c block_read_full_page, __block_write_full_page,
 * __block_prepare_write, __block_commit_write, block_flushpage,
 * block_truncate_page; the async completions end_buffer_io_async).
 *
 * Reading a page: give it buffers, map each block (a hole is zeroed and
 * uptodate at once), lock the buffers still to read, mark them BH_Async
 * and submit them.  Each completion clears its BH_Async under
 * page_io_lock; the last one finds no other and finishes the page:
 * uptodate if every buffer is, then unlock_page.
 *
 * Writing a page (writepage; page locked, PG_dirty cleared by the
 * caller): map dirty blocks (allocating with create=1), lock the dirty
 * buffers - with trylock for WB_SYNC_NONE, redirtying the page for any
 * that is busy, so reclaim and the flusher never wait on a buffer - clear
 * their dirty bits, set_page_writeback, unlock the page and submit.  The
 * last completion ends the page's writeback with the device's error if
 * any buffer failed; a failed buffer is dirty again, and so is the page
 * (vm/page_dirty.c), to be retried.
 *
 * Locking: the page lock throughout; buffer locks after it; page_io_lock
 * (a leaf but for the buffer-lock wake-up inside unlock_buffer) in the
 * completions.  kmap_atomic(KM_USER0) for zeroing high pages.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "fs/buffer.h"
#include "vm/highmem.h"

#define MAX_BUF_PER_PAGE	(PAGE_SIZE / 512)

static spinlock_t page_io_lock = { PTHREAD_MUTEX_INITIALIZER, 0 };

/* ---- completions ------------------------------------------------------- */

/*
 * Caller holds page_io_lock: bh's I/O is over.  True if it was the last
 * of its page; *all_uptodate says whether every buffer is uptodate.
 */
static int __last_async_buffer(struct buffer_head *bh, int *all_uptodate)
{
	struct buffer_head *tmp;

	assert_spin_locked(&page_io_lock);
	clear_buffer_async(bh);
	*all_uptodate = buffer_uptodate(bh);
	for (tmp = bh->b_this_page; tmp != bh; tmp = tmp->b_this_page) {
		if (buffer_async(tmp))
			return 0;
		if (!buffer_uptodate(tmp))
			*all_uptodate = 0;
	}
	return 1;
}

static void end_buffer_io_async_read(struct buffer_head *bh, int uptodate)
{
	struct page *page = bh->b_page;
	int last, all_uptodate;

	if (uptodate) {
		set_buffer_uptodate(bh);
	} else {
		clear_buffer_uptodate(bh);
		SetPageError(page);
	}
	spin_lock(&page_io_lock);
	last = __last_async_buffer(bh, &all_uptodate);
	unlock_buffer(bh);
	spin_unlock(&page_io_lock);
	if (!last)
		return;
	if (all_uptodate && !PageError(page))
		SetPageUptodate(page);
	unlock_page(page);
}

/* Caller holds page_io_lock, all I/O of the page over: the error of the
 * write (the host's errno, as the device gave it), or 0. */
static int __page_write_error(struct page *page)
{
	struct buffer_head *bh = page->buffers;
	int err = 0;

	assert_spin_locked(&page_io_lock);
	do {
		if (buffer_error(bh) && buffer_dirty(bh))
			err = bh->b_error ? bh->b_error : -EIO;
		bh = bh->b_this_page;
	} while (!err && bh != page->buffers);
	return err;
}

/*
 * A buffer whose write failed is dirty again (its data is still the one
 * to be written, and only it may be), and the page's writeback ends with
 * the device's error, which redirties the page (vm/page_dirty.c).
 */
static void end_buffer_io_async_write(struct buffer_head *bh, int uptodate)
{
	struct page *page = bh->b_page;
	int last, all_uptodate, err = 0;

	if (!uptodate)
		set_buffer_dirty(bh);
	spin_lock(&page_io_lock);
	last = __last_async_buffer(bh, &all_uptodate);
	if (last)
		err = __page_write_error(page);
	unlock_buffer(bh);
	spin_unlock(&page_io_lock);
	if (last)
		end_page_writeback_error(page, err);
}

/* ---- helpers ----------------------------------------------------------- */

static int page_buffers_init(struct page *page)
{
	if (page->buffers)
		return 0;
	return create_empty_buffers(page, NULL, 1U << page->mapping->blkbits);
}

static unsigned long first_block(const struct page *page)
{
	return page->index << (PAGE_SHIFT - blksize_bits(page->buffers->b_size));
}

static void zero_page_range(struct page *page, unsigned int from, unsigned int len)
{
	char *kaddr = kmap_atomic(page, KM_USER0);

	memset(kaddr + from, 0, len);
	kunmap_atomic(kaddr, KM_USER0);
}

/* Lock and mark the buffers for async I/O, then submit (or finish) them. */
static void submit_async(int rw, struct buffer_head **arr, int nr)
{
	bh_end_io_t end_io = rw == WRITE ? end_buffer_io_async_write
					 : end_buffer_io_async_read;
	int i;

	for (i = 0; i < nr; i++) {
		arr[i]->b_end_io = end_io;
		set_buffer_async(arr[i]);
	}
	blk_start_plug();
	for (i = 0; i < nr; i++) {
		if (rw == READ && buffer_uptodate(arr[i]))
			end_io(arr[i], 1);	/* read by someone else meanwhile */
		else
			submit_bh(rw, arr[i]);
	}
	blk_finish_plug();
}

/* ---- reading ----------------------------------------------------------- */

/* Map bh for reading; a hole (or a get_block error) is zeroed.  1 if bh
 * must be read from the device. */
static int map_for_read(struct page *page, struct buffer_head *bh,
			unsigned long iblock, get_block_t *get_block)
{
	int err = 0;

	if (buffer_uptodate(bh))
		return 0;
	if (!buffer_mapped(bh))
		err = get_block(page->mapping, iblock, bh, 0);
	if (buffer_mapped(bh) && !err)
		return 1;
	zero_page_range(page, (unsigned int)bh_offset(bh), bh->b_size);
	if (err)
		SetPageError(page);
	else
		set_buffer_uptodate(bh);
	return 0;
}

int block_read_full_page(struct page *page, get_block_t *get_block)
{
	struct buffer_head *arr[MAX_BUF_PER_PAGE], *head, *bh;
	unsigned long iblock;
	int nr = 0, i, err;

	VM_BUG_ON(!PageLocked(page));
	err = page_buffers_init(page);
	if (err) {
		unlock_page(page);
		return err;
	}
	head = bh = page->buffers;
	iblock = first_block(page);
	do {
		if (map_for_read(page, bh, iblock, get_block))
			arr[nr++] = bh;
		iblock++;
		bh = bh->b_this_page;
	} while (bh != head);
	if (!nr) {
		if (!PageError(page))
			SetPageUptodate(page);
		unlock_page(page);
		return 0;
	}
	for (i = 0; i < nr; i++)
		lock_buffer(arr[i]);
	submit_async(READ, arr, nr);
	return 0;
}

/* ---- writing ----------------------------------------------------------- */

/* Give every dirty buffer a block.  0, or the first get_block error (the
 * buffers that could not be mapped are dropped). */
static int map_dirty_buffers(struct page *page, get_block_t *get_block)
{
	struct buffer_head *head = page->buffers, *bh = head;
	unsigned long iblock = first_block(page);
	int ret = 0;

	do {
		if (buffer_dirty(bh) && !buffer_mapped(bh)) {
			int err = get_block(page->mapping, iblock, bh, 1);

			if (err) {
				clear_buffer_dirty(bh);
				ret = ret ? ret : err;
			} else if (test_clear_buffer_new(bh)) {
				unmap_underlying_metadata(bh->b_dev, bh->b_blocknr, bh->b_size);
			}
		}
		iblock++;
		bh = bh->b_this_page;
	} while (bh != head);
	return ret;
}

/* Lock the dirty mapped buffers into arr.  Sets *busy if one was skipped. */
static int lock_dirty_buffers(struct page *page, int sync, struct buffer_head **arr,
			      int *busy)
{
	struct buffer_head *head = page->buffers, *bh = head;
	int nr = 0;

	do {
		if (!buffer_dirty(bh) || !buffer_mapped(bh))
			goto next;
		if (sync == WB_SYNC_ALL)
			lock_buffer(bh);
		else if (test_set_buffer_locked(bh)) {
			*busy = 1;
			goto next;
		}
		if (test_clear_buffer_dirty(bh))
			arr[nr++] = bh;
		else
			unlock_buffer(bh);
next:
		bh = bh->b_this_page;
	} while (bh != head);
	return nr;
}

/* A page dirtied without buffers: all of it is to be written. */
static void dirty_all_buffers(struct page *page)
{
	struct buffer_head *head = page->buffers, *bh = head;

	do {
		set_buffer_uptodate(bh);
		set_buffer_dirty(bh);
		bh = bh->b_this_page;
	} while (bh != head);
}

int block_write_full_page(struct page *page, get_block_t *get_block, int sync)
{
	struct buffer_head *arr[MAX_BUF_PER_PAGE];
	int nr, busy = 0, err;

	VM_BUG_ON(!PageLocked(page) || PageWriteback(page));
	if (!page->buffers) {
		err = page_buffers_init(page);
		if (err) {
			set_page_dirty(page);
			unlock_page(page);
			return err;
		}
		dirty_all_buffers(page);
	}
	ClearPageError(page);
	err = map_dirty_buffers(page, get_block);
	if (err)
		SetPageError(page);
	nr = lock_dirty_buffers(page, sync, arr, &busy);
	if (busy)
		set_page_dirty(page);	/* the busy buffers go next time */
	set_page_writeback(page);
	unlock_page(page);
	if (!nr) {
		end_page_writeback_error(page, err);
		return err;
	}
	submit_async(WRITE, arr, nr);
	return 0;
}

/* ---- prepare_write / commit_write ---------------------------------------- */

/* A block of a partial write: map it, zero or read what the write does
 * not cover.  Sets *wait if a read was started. */
static int prepare_block(struct page *page, struct buffer_head *bh, unsigned long iblock,
			 unsigned int from, unsigned int to, get_block_t *get_block,
			 int *wait)
{
	unsigned int start = (unsigned int)bh_offset(bh), end = start + bh->b_size;
	int err;

	if (!buffer_mapped(bh)) {
		err = get_block(page->mapping, iblock, bh, 1);
		if (err)
			return err;
		if (test_clear_buffer_new(bh)) {
			unmap_underlying_metadata(bh->b_dev, bh->b_blocknr, bh->b_size);
			if (!PageUptodate(page)) {
				if (start < from)
					zero_page_range(page, start, from - start);
				if (end > to)
					zero_page_range(page, to, end - to);
			}
			set_buffer_uptodate(bh);	/* zeros, or the page's data */
			return 0;
		}
	}
	if (PageUptodate(page))
		set_buffer_uptodate(bh);
	if (!buffer_uptodate(bh) && (start < from || end > to)) {
		ll_rw_block(READ, 1, &bh);
		*wait = 1;
	}
	return 0;
}

/* Wait for the reads prepare_block started.  0 or -EIO. */
static int wait_prepare_reads(struct page *page, unsigned int from, unsigned int to)
{
	struct buffer_head *head = page->buffers, *bh = head;
	int err = 0;

	do {
		unsigned int start = (unsigned int)bh_offset(bh), end = start + bh->b_size;

		if (end > from && start < to && (start < from || end > to)) {
			wait_on_buffer(bh);
			if (!buffer_uptodate(bh))
				err = -EIO;
		}
		bh = bh->b_this_page;
	} while (bh != head);
	return err;
}

int block_prepare_write(struct page *page, unsigned int from, unsigned int to,
			get_block_t *get_block)
{
	struct buffer_head *head, *bh;
	unsigned long iblock;
	int err, wait = 0;

	VM_BUG_ON(!PageLocked(page) || from > to || to > PAGE_SIZE);
	err = page_buffers_init(page);
	if (err)
		return err;
	head = bh = page->buffers;
	iblock = first_block(page);
	do {
		unsigned int start = (unsigned int)bh_offset(bh), end = start + bh->b_size;

		if (end <= from || start >= to) {
			if (PageUptodate(page))
				set_buffer_uptodate(bh);
		} else {
			err = prepare_block(page, bh, iblock, from, to, get_block, &wait);
			if (err)
				return err;
		}
		iblock++;
		bh = bh->b_this_page;
	} while (bh != head);
	return wait ? wait_prepare_reads(page, from, to) : 0;
}

int generic_commit_write(struct page *page, unsigned int from, unsigned int to)
{
	struct buffer_head *head = page->buffers, *bh = head;
	int partial = 0;

	VM_BUG_ON(!PageLocked(page) || !head);
	do {
		unsigned int start = (unsigned int)bh_offset(bh), end = start + bh->b_size;

		if (end <= from || start >= to) {
			if (!buffer_uptodate(bh))
				partial = 1;
		} else {
			set_buffer_uptodate(bh);
			mark_buffer_dirty(bh);
		}
		bh = bh->b_this_page;
	} while (bh != head);
	if (!partial)
		SetPageUptodate(page);
	return 0;
}

/* ---- truncation and release ---------------------------------------------- */

/* The block is gone: forget its contents and its mapping. */
static void discard_buffer(struct buffer_head *bh)
{
	lock_buffer(bh);
	clear_buffer_dirty(bh);
	clear_buffer_mapped(bh);
	clear_buffer_req(bh);
	clear_buffer_new(bh);
	clear_buffer_uptodate(bh);
	unlock_buffer(bh);
}

#define FLUSH_WAIT_TRIES	2000	/* 1 ms each: users must let go */

/* Free the ring, waiting for transient users (I/O references). */
static int free_buffers_wait(struct page *page)
{
	struct timespec ts = { 0, 1000000L };
	int tries;

	for (tries = 0; tries < FLUSH_WAIT_TRIES; tries++) {
		if (try_to_free_buffers(page, 0))
			return 1;
		nanosleep(&ts, NULL);
	}
	vm_log("buffer: page %lu: buffers still in use, kept", page->index);
	return 0;
}

int block_flushpage(struct page *page, unsigned long offset)
{
	struct buffer_head *head = page->buffers, *bh;
	unsigned long curr_off = 0;

	VM_BUG_ON(!PageLocked(page));
	if (!head)
		return 1;
	bh = head;
	do {
		struct buffer_head *next = bh->b_this_page;

		if (offset <= curr_off)
			discard_buffer(bh);
		curr_off += bh->b_size;
		bh = next;
	} while (bh != head);
	if (offset)
		return 1;
	return free_buffers_wait(page);
}

int block_releasepage(struct page *page, unsigned int gfp_mask)
{
	return try_to_free_buffers(page, gfp_mask);
}

/* The buffer of a locked page that holds byte offset. */
static struct buffer_head *buffer_at(struct page *page, unsigned int offset,
				     unsigned long *iblock)
{
	struct buffer_head *bh = page->buffers;

	*iblock = first_block(page);
	while (offset >= bh_offset(bh) + bh->b_size) {
		bh = bh->b_this_page;
		(*iblock)++;
	}
	return bh;
}

/* Page locked: read bh if needed, zero [offset, offset+len), dirty it. */
static int zero_block_tail(struct page *page, struct buffer_head *bh,
			   unsigned int offset, unsigned int len)
{
	if (PageUptodate(page))
		set_buffer_uptodate(bh);
	if (!buffer_uptodate(bh)) {
		ll_rw_block(READ, 1, &bh);
		wait_on_buffer(bh);
		if (!buffer_uptodate(bh))
			return -EIO;
	}
	zero_page_range(page, offset, len);
	mark_buffer_dirty(bh);
	return 0;
}

int block_truncate_page(struct address_space *mapping, loff_t from,
			get_block_t *get_block)
{
	unsigned int offset = (unsigned int)(from & (PAGE_SIZE - 1));
	unsigned int blocksize = 1U << mapping->blkbits;
	unsigned int length = blocksize - (offset & (blocksize - 1));
	struct buffer_head *bh;
	unsigned long iblock;
	struct page *page;
	int err = 0;

	if (!offset || length == blocksize)
		return 0;
	page = grab_cache_page(mapping, (unsigned long)(from >> PAGE_SHIFT));
	if (!page)
		return -ENOMEM;
	err = page_buffers_init(page);
	if (err)
		goto out_unlock;
	bh = buffer_at(page, offset, &iblock);
	if (!buffer_mapped(bh))
		err = get_block(mapping, iblock, bh, 0);
	if (!err && buffer_mapped(bh))
		err = zero_block_tail(page, bh, offset, length);
out_unlock:
	unlock_page(page);
	page_cache_release(page);
	return err;
}

unsigned long generic_block_bmap(struct address_space *mapping, unsigned long block,
				 get_block_t *get_block)
{
	struct buffer_head tmp;

	memset(&tmp, 0, sizeof(tmp));
	tmp.b_size = 1U << mapping->blkbits;
	if (get_block(mapping, block, &tmp, 0) || !buffer_mapped(&tmp))
		return 0;
	return tmp.b_blocknr;
}
