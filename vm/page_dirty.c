/*
 * vm/page_dirty.c - dirty and writeback state of page-cache pages, and
 * writing a mapping back (book 11.3's inode queue; 2.4 set_page_dirty,
 * filemap_fdatasync/fdatawait; PG_writeback as 2.6 has it).
 *
 * A page's inode queue follows its flags (see vm/pagemap.h): set_page_dirty
 * moves it to the tail of dirty_pages and stamps page->private with the
 * time (vm_jiffies), so dirty_pages runs oldest first; set_page_writeback
 * moves it to locked_pages; end_page_writeback back to clean_pages.  The
 * writer's protocol, with the page locked:
 *
 *   wait_on_page_writeback; clear_page_dirty_for_io -> writepage ->
 *   set_page_writeback, unlock_page, submit ... end_page_writeback
 *
 * nr_dirty and nr_writeback count pages of mappings with those flags; both
 * change only under pagecache_lock, where page->mapping is stable.
 *
 * Locking: pagecache_lock for the flags' accounting and the queues;
 * pagemap_lru_lock nests inside it (rotate on writeback end); wb_lock is a
 * leaf guarding the writeback-completion wait.
 */
#include <errno.h>
#include <time.h>
#include "vm/pagemap.h"
#include "vm/swap.h"
#include "vm/vmstat.h"
#include "vm/writeback.h"

#define FDATA_BATCH	16

static long nr_dirty;			/* atomic; pagecache_lock for writes */
static long nr_writeback;		/* atomic; pagecache_lock for writes */

static spinlock_t wb_lock = { PTHREAD_MUTEX_INITIALIZER, 0 };
static wait_queue_head_t wb_wait = { PTHREAD_COND_INITIALIZER };
static int wb_sleepers;			/* atomic; changed under wb_lock */

unsigned long vm_jiffies(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000UL + (unsigned long)ts.tv_nsec / 1000000UL;
}

long nr_dirty_pages(void)
{
	return __atomic_load_n(&nr_dirty, __ATOMIC_RELAXED);
}

long nr_writeback_pages(void)
{
	return __atomic_load_n(&nr_writeback, __ATOMIC_RELAXED);
}

static void add_count(long *counter, long n)
{
	__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

void __refile_page(struct page *page)
{
	struct address_space *mapping = page->mapping;

	assert_spin_locked(&pagecache_lock);
	if (!mapping)
		return;
	if (PageDirty(page))
		list_move_tail(&page->list, &mapping->dirty_pages);
	else if (PageWriteback(page))
		list_move_tail(&page->list, &mapping->locked_pages);
	else
		list_move(&page->list, &mapping->clean_pages);
}

int set_page_dirty(struct page *page)
{
	struct address_space *mapping;
	unsigned long now;

	if (PageDirty(page))
		return 0;
	now = vm_jiffies();
	spin_lock(&pagecache_lock);
	if (TestSetPageDirty(page)) {
		spin_unlock(&pagecache_lock);
		return 0;
	}
	mapping = page->mapping;
	if (mapping) {
		add_count(&nr_dirty, 1);
		page->private = now;
		list_move_tail(&page->list, &mapping->dirty_pages);
		__mark_mapping_dirty(mapping, now);
	}
	spin_unlock(&pagecache_lock);
	return 1;
}

int clear_page_dirty_for_io(struct page *page)
{
	int was_dirty;

	VM_BUG_ON(!PageLocked(page));
	if (!PageDirty(page))
		return 0;
	spin_lock(&pagecache_lock);
	was_dirty = TestClearPageDirty(page);
	if (was_dirty && page->mapping)
		add_count(&nr_dirty, -1);
	spin_unlock(&pagecache_lock);
	return was_dirty;
}

void cancel_dirty_page(struct page *page)
{
	VM_BUG_ON(!PageLocked(page));
	spin_lock(&pagecache_lock);
	if (TestClearPageDirty(page) && page->mapping)
		add_count(&nr_dirty, -1);
	__refile_page(page);
	spin_unlock(&pagecache_lock);
}

void set_page_writeback(struct page *page)
{
	VM_BUG_ON(!PageLocked(page));
	spin_lock(&pagecache_lock);
	if (TestSetPageWriteback(page))
		BUG();	/* writers wait for the previous write first */
	if (page->mapping)
		add_count(&nr_writeback, 1);
	__refile_page(page);
	spin_unlock(&pagecache_lock);
}

static void wake_writeback_waiters(void)
{
	if (!__atomic_load_n(&wb_sleepers, __ATOMIC_SEQ_CST))
		return;
	spin_lock(&wb_lock);
	wake_up_all(&wb_wait);
	spin_unlock(&wb_lock);
}

/* Caller holds pagecache_lock: a failed page is dirty again, so that it
 * is retried rather than dropped (it joins dirty_pages as just dirtied). */
static void __redirty_failed_page(struct page *page, struct address_space *mapping)
{
	unsigned long now = vm_jiffies();

	assert_spin_locked(&pagecache_lock);
	if (TestSetPageDirty(page))
		return;
	add_count(&nr_dirty, 1);
	page->private = now;
	__mark_mapping_dirty(mapping, now);
}

/*
 * While PG_writeback is set the page stays in its mapping (truncate and
 * reclaim wait for or skip it), so everything that touches the page is
 * done before the bit is seen clear; after that only its address is used.
 * That is also why the owner hears of a failure (write_error) first.
 *
 * A failed page is not thrown away: it stays dirty and the next
 * write-back (flusher, fsync, unmount) tries it again.  The error goes
 * to the mapping's errseq (each open file hears of it once) and to the
 * legacy wb_error; PG_wb_failed marks the page so that a failure of the
 * retry is told to the owner as lasting.
 */
void end_page_writeback_error(struct page *page, int error)
{
	struct address_space *mapping = page->mapping;
	int lasting;

	if (error && mapping) {
		lasting = TestSetPageWbFailed(page);
		if (mapping->a_ops->write_error)
			mapping->a_ops->write_error(mapping, error, lasting);
	} else if (!error) {
		ClearPageWbFailed(page);
	}
	spin_lock(&pagecache_lock);
	if (error) {
		SetPageError(page);
		if (page->mapping) {
			if (!page->mapping->wb_error)
				page->mapping->wb_error = error;
			errseq_set(&page->mapping->wb_err, error);
			__redirty_failed_page(page, page->mapping);
		}
	}
	if (PageLaunder(page)) {
		ClearPageLaunder(page);
		rotate_reclaimable_page(page);
	}
	if (!TestClearPageWriteback(page))
		BUG();
	if (page->mapping)
		add_count(&nr_writeback, -1);
	__refile_page(page);
	spin_unlock(&pagecache_lock);
	wake_up_page(page);
	wake_writeback_waiters();
}

void page_write_failed(struct page *page, int error)
{
	struct address_space *mapping = page->mapping;
	int lasting;

	if (!mapping || !error)
		return;
	lasting = TestSetPageWbFailed(page);
	if (mapping->a_ops->write_error)
		mapping->a_ops->write_error(mapping, error, lasting);
	spin_lock(&pagecache_lock);
	if (page->mapping == mapping) {
		errseq_set(&mapping->wb_err, error);
		__redirty_failed_page(page, mapping);
		__refile_page(page);
	}
	spin_unlock(&pagecache_lock);
}

void end_page_writeback(struct page *page)
{
	end_page_writeback_error(page, 0);
}

int wait_event_locked_timeout(wait_queue_head_t *q, spinlock_t *lock,
			      unsigned int timeout_ms)
{
	struct timespec ts;
	int ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	__atomic_store_n(&lock->owner, 0UL, __ATOMIC_RELAXED);
	ret = pthread_cond_timedwait(&q->cond, &lock->mutex, &ts);
	__atomic_store_n(&lock->owner, (unsigned long)pthread_self(), __ATOMIC_RELAXED);
	return ret ? -ETIMEDOUT : 0;
}

void wait_for_writeback(unsigned int timeout_ms)
{
	unplug_io();
	spin_lock(&wb_lock);
	__atomic_add_fetch(&wb_sleepers, 1, __ATOMIC_SEQ_CST);
	if (nr_writeback_pages() > 0)
		wait_event_locked_timeout(&wb_wait, &wb_lock, timeout_ms);
	__atomic_sub_fetch(&wb_sleepers, 1, __ATOMIC_SEQ_CST);
	spin_unlock(&wb_lock);
}

int write_one_page(struct page *page, int wait)
{
	struct address_space *mapping = page->mapping;
	int err = 0;

	VM_BUG_ON(!PageLocked(page) || !mapping);
	wait_on_page_writeback(page);
	if (!clear_page_dirty_for_io(page)) {
		unlock_page(page);
		return 0;
	}
	page_cache_get(page);
	err = mapping->a_ops->writepage(page, WB_SYNC_ALL);
	if (!err && wait) {
		wait_on_page_writeback(page);
		if (TestClearPageError(page))
			err = -EIO;
	}
	page_cache_release(page);
	return err;
}

/*
 * Take references on up to n pages from the head of list that pass
 * wanted().  Caller holds pagecache_lock.
 */
static int __gather_pages(struct list_head *list, struct page **pages, int n,
			  int (*wanted)(struct page *))
{
	struct list_head *pos;
	int got = 0;

	assert_spin_locked(&pagecache_lock);
	list_for_each(pos, list) {
		struct page *page = list_entry(pos, struct page, list);

		if (!wanted(page))
			continue;
		page_cache_get(page);
		pages[got++] = page;
		if (got == n)
			break;
	}
	return got;
}

static unsigned long list_length(const struct list_head *list)
{
	const struct list_head *pos;
	unsigned long n = 0;

	for (pos = list->next; pos != list; pos = pos->next)
		n++;
	return n;
}

unsigned long mapping_nr_dirty(struct address_space *mapping)
{
	unsigned long n;

	spin_lock(&pagecache_lock);
	n = list_length(&mapping->dirty_pages);
	spin_unlock(&pagecache_lock);
	return n;
}

static int any_page(struct page *page)
{
	(void)page;
	return 1;
}

static int page_under_writeback(struct page *page)
{
	return PageWriteback(page);
}

/* Page referenced by us: write it and wait for nothing.  0 or -errno. */
static int fdatasync_one(struct address_space *mapping, struct page *page)
{
	int err = 0;

	lock_page(page);
	if (page->mapping != mapping) {
		unlock_page(page);
		return 0;
	}
	wait_on_page_writeback(page);
	if (clear_page_dirty_for_io(page))
		err = mapping->a_ops->writepage(page, WB_SYNC_ALL);
	else
		unlock_page(page);
	return err;
}

/*
 * Every page dirty at the call is written: pages are taken from the head
 * of dirty_pages, and a page dirtied meanwhile joins at the tail, behind
 * all of them, so as many pages as were on the list cover them all.
 */
int filemap_fdatasync(struct address_space *mapping)
{
	struct page *pages[FDATA_BATCH];
	unsigned long todo;
	int ret = 0, n, i;

	if (!mapping->a_ops->writepage)
		return 0;
	spin_lock(&pagecache_lock);
	todo = list_length(&mapping->dirty_pages);
	while (todo) {
		n = __gather_pages(&mapping->dirty_pages, pages,
				   todo < FDATA_BATCH ? (int)todo : FDATA_BATCH, any_page);
		if (!n)
			break;
		spin_unlock(&pagecache_lock);
		io_start_plug();
		for (i = 0; i < n; i++) {
			int err = fdatasync_one(mapping, pages[i]);

			if (err && !ret)
				ret = err;
			page_cache_release(pages[i]);
		}
		io_finish_plug();
		todo -= (unsigned long)n;
		spin_lock(&pagecache_lock);
	}
	spin_unlock(&pagecache_lock);
	return ret;
}

int filemap_fdatawait(struct address_space *mapping)
{
	struct page *pages[FDATA_BATCH];
	unsigned long todo;
	int ret, n, i;

	spin_lock(&pagecache_lock);
	todo = list_length(&mapping->locked_pages);
	while (todo) {
		n = __gather_pages(&mapping->locked_pages, pages,
				   todo < FDATA_BATCH ? (int)todo : FDATA_BATCH,
				   page_under_writeback);
		if (!n)
			break;
		spin_unlock(&pagecache_lock);
		for (i = 0; i < n; i++) {
			wait_on_page_writeback(pages[i]);
			page_cache_release(pages[i]);
		}
		todo -= (unsigned long)n;
		spin_lock(&pagecache_lock);
	}
	ret = mapping->wb_error;
	mapping->wb_error = 0;
	spin_unlock(&pagecache_lock);
	return ret;
}
