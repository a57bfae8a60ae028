/*
 * vm/writeback.c - the flusher thread and dirty-memory throttling (2.4's
 * bdflush + kupdate, with 2.6 pdflush's knobs; see vm/writeback.h).
 *
 * Mappings with dirty pages are on dirty_mappings, oldest first
 * (dirtied_when is the time of the mapping's oldest dirty page), and each
 * mapping's dirty_pages runs oldest first (page->private is the time the
 * page was dirtied).  A flusher pass walks the mappings and writes the
 * pages that expired, or, in background mode, the oldest pages until the
 * dirty share falls below background_ratio.
 *
 * Writes here never block on a busy page or buffer: a page locked by
 * someone else is left for the next pass (WB_SYNC_NONE).
 *
 * Every expiry pass first calls the registered hooks with its cut-off
 * (what the layers above keep dirty outside the page cache: inodes, the
 * super block), so what they write joins this pass's pages.
 *
 * Locking: dirty_mappings and every mapping's dirty bookkeeping under
 * pagecache_lock; a mapping being written is pinned (__mapping_pin) so
 * address_space_destroy waits for it.  flusher_lock (leaf) guards the
 * thread's sleep; the parameters are atomics.
 */
#include <errno.h>
#include <pthread.h>
#include "vm/bounce.h"
#include "vm/pagemap.h"
#include "vm/swap.h"
#include "vm/writeback.h"

#define WB_BATCH		16
#define BACKGROUND_CHUNK	64	/* pages per mapping per background turn */
#define THROTTLE_WRITE		32	/* pages a throttled writer writes itself */
#define THROTTLE_WAIT_MS	20
#define THROTTLE_TRIES		50

static LIST_HEAD(dirty_mappings);		/* pagecache_lock */
static struct writeback_params wb_params;	/* atomic fields */
static writeback_hook_fn wb_hooks[WRITEBACK_HOOKS];	/* atomic pointers */

static spinlock_t flusher_lock = { PTHREAD_MUTEX_INITIALIZER, 0 };
static wait_queue_head_t flusher_wait = { PTHREAD_COND_INITIALIZER };
static pthread_t flusher_thread;
static int flusher_running;	/* atomic */
static int flusher_stopping;	/* atomic */
static int flusher_pending;	/* atomic: woken for background work */

/* ---- parameters ------------------------------------------------------- */

static unsigned int param(const unsigned int *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void writeback_get_params(struct writeback_params *p)
{
	p->expire_ms = param(&wb_params.expire_ms);
	p->interval_ms = param(&wb_params.interval_ms);
	p->background_ratio = param(&wb_params.background_ratio);
	p->dirty_ratio = param(&wb_params.dirty_ratio);
}

int writeback_set_params(const struct writeback_params *p)
{
	if (!p->interval_ms || p->dirty_ratio > 100 || p->background_ratio > p->dirty_ratio)
		return -EINVAL;
	__atomic_store_n(&wb_params.expire_ms, p->expire_ms, __ATOMIC_RELAXED);
	__atomic_store_n(&wb_params.interval_ms, p->interval_ms, __ATOMIC_RELAXED);
	__atomic_store_n(&wb_params.background_ratio, p->background_ratio, __ATOMIC_RELAXED);
	__atomic_store_n(&wb_params.dirty_ratio, p->dirty_ratio, __ATOMIC_RELAXED);
	wakeup_flusher();	/* a shorter interval takes effect now */
	return 0;
}

void writeback_params_default(void)
{
	static const struct writeback_params def = {
		.expire_ms = 30000, .interval_ms = 5000,
		.background_ratio = 10, .dirty_ratio = 40,
	};

	writeback_set_params(&def);
}

void writeback_init(void)
{
	INIT_LIST_HEAD(&dirty_mappings);
	writeback_params_default();
	bounce_set_wakeup_flusher(wakeup_flusher);
}

void writeback_exit(void)
{
	flusher_stop();
	bounce_set_wakeup_flusher(NULL);
}

void dirty_thresholds(unsigned long *background, unsigned long *limit)
{
	unsigned long avail = nr_free_pages() + page_cache_pages();

	*background = avail * param(&wb_params.background_ratio) / 100;
	*limit = avail * param(&wb_params.dirty_ratio) / 100;
}

/* ---- hooks of the layers above ----------------------------------------- */

int register_writeback_hook(writeback_hook_fn fn)
{
	int i;

	for (i = 0; i < WRITEBACK_HOOKS; i++) {
		writeback_hook_fn none = NULL;

		if (__atomic_compare_exchange_n(&wb_hooks[i], &none, fn, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return 0;
	}
	return -ENOSPC;
}

void unregister_writeback_hook(writeback_hook_fn fn)
{
	int i;

	for (i = 0; i < WRITEBACK_HOOKS; i++) {
		writeback_hook_fn f = fn;

		__atomic_compare_exchange_n(&wb_hooks[i], &f, NULL, 0,
					    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	}
}

static void run_writeback_hooks(unsigned long older_than)
{
	int i;

	for (i = 0; i < WRITEBACK_HOOKS; i++) {
		writeback_hook_fn fn = __atomic_load_n(&wb_hooks[i], __ATOMIC_ACQUIRE);

		if (fn)
			fn(older_than);
	}
}

/* ---- the list of dirty mappings --------------------------------------- */

void __mark_mapping_dirty(struct address_space *mapping, unsigned long now)
{
	assert_spin_locked(&pagecache_lock);
	if (!list_empty(&mapping->dirty_link))
		return;
	mapping->dirtied_when = now;
	list_add_tail(&mapping->dirty_link, &dirty_mappings);
}

void __unlist_dirty_mapping(struct address_space *mapping)
{
	assert_spin_locked(&pagecache_lock);
	list_del_init(&mapping->dirty_link);
}

/* Caller holds pagecache_lock: after a turn, requeue or unlist mapping. */
static void __requeue_mapping(struct address_space *mapping)
{
	struct page *oldest;

	assert_spin_locked(&pagecache_lock);
	if (list_empty(&mapping->dirty_pages) || mapping->wb_dying) {
		__unlist_dirty_mapping(mapping);
		return;
	}
	oldest = list_entry(mapping->dirty_pages.next, struct page, list);
	mapping->dirtied_when = oldest->private;
	list_move_tail(&mapping->dirty_link, &dirty_mappings);
}

/* ---- writing pages ---------------------------------------------------- */

/*
 * Caller holds pagecache_lock.  Lock and reference up to n dirty pages
 * from the head of dirty_pages dirtied no later than older_than.
 */
static int __gather_dirty(struct address_space *mapping, struct page **pages,
			  int n, unsigned long older_than)
{
	struct list_head *pos;
	int got = 0;

	assert_spin_locked(&pagecache_lock);
	list_for_each(pos, &mapping->dirty_pages) {
		struct page *page = list_entry(pos, struct page, list);

		if (time_after(page->private, older_than))
			break;
		if (!PageDirty(page) || PageWriteback(page) || TryLockPage(page))
			continue;
		page_cache_get(page);
		pages[got++] = page;
		if (got == n)
			break;
	}
	return got;
}

/* Page locked and referenced: write it if it still needs it. */
static int writeback_one(struct address_space *mapping, struct page *page)
{
	if (page->mapping != mapping || PageWriteback(page) ||
	    !clear_page_dirty_for_io(page)) {
		unlock_page(page);
		return 0;
	}
	mapping->a_ops->writepage(page, WB_SYNC_NONE);
	return 1;
}

unsigned long writeback_mapping(struct address_space *mapping, unsigned long nr,
				unsigned long older_than)
{
	struct page *pages[WB_BATCH];
	unsigned long tried = 0, written = 0;
	int n, i;

	if (!mapping->a_ops->writepage)
		return 0;
	while (tried < nr) {
		spin_lock(&pagecache_lock);
		n = __gather_dirty(mapping, pages,
				   nr - tried < WB_BATCH ? (int)(nr - tried) : WB_BATCH,
				   older_than);
		spin_unlock(&pagecache_lock);
		if (!n)
			break;
		io_start_plug();
		for (i = 0; i < n; i++) {
			written += (unsigned long)writeback_one(mapping, pages[i]);
			page_cache_release(pages[i]);
		}
		io_finish_plug();
		tried += (unsigned long)n;
	}
	return written;
}

/*
 * One walk over the dirty mappings: each gets up to per_mapping pages
 * dirtied no later than older_than.  Stops early when done() says so.
 */
static unsigned long writeback_mappings(unsigned long older_than,
					unsigned long per_mapping, int (*done)(void))
{
	unsigned long written = 0, turns;
	struct list_head *pos;

	spin_lock(&pagecache_lock);
	turns = 0;
	list_for_each(pos, &dirty_mappings)
		turns++;
	while (turns-- && !list_empty(&dirty_mappings) && !(done && done())) {
		struct address_space *mapping =
			list_entry(dirty_mappings.next, struct address_space, dirty_link);

		if (time_after(mapping->dirtied_when, older_than))
			break;	/* the rest are younger */
		__mapping_pin(mapping);
		list_move_tail(&mapping->dirty_link, &dirty_mappings);
		spin_unlock(&pagecache_lock);
		written += writeback_mapping(mapping, per_mapping, older_than);
		spin_lock(&pagecache_lock);
		__requeue_mapping(mapping);
		__mapping_unpin(mapping);
	}
	spin_unlock(&pagecache_lock);
	return written;
}

static int below_background(void)
{
	unsigned long bg, limit;

	dirty_thresholds(&bg, &limit);
	return nr_dirty_pages() <= (long)bg;
}

unsigned long writeback_run(int background)
{
	unsigned long now = vm_jiffies(), written, w;

	run_writeback_hooks(now - param(&wb_params.expire_ms));
	written = writeback_mappings(now - param(&wb_params.expire_ms), ~0UL, NULL);
	if (!background && below_background())
		return written;
	do {
		w = writeback_mappings(now, BACKGROUND_CHUNK, below_background);
		written += w;
	} while (w && !below_background());
	return written;
}

/* ---- the thread ------------------------------------------------------- */

static void *flusher(void *arg)
{
	unsigned long next = vm_jiffies();

	(void)arg;
	current->flags |= PF_FLUSHER;
	spin_lock(&flusher_lock);
	while (!__atomic_load_n(&flusher_stopping, __ATOMIC_ACQUIRE)) {
		unsigned long now = vm_jiffies();
		int background = __atomic_exchange_n(&flusher_pending, 0, __ATOMIC_SEQ_CST);

		if (!background && time_after(next, now)) {
			wait_event_locked_timeout(&flusher_wait, &flusher_lock,
						  (unsigned int)(next - now));
			continue;
		}
		if (!time_after(next, now))
			next = now + param(&wb_params.interval_ms);
		spin_unlock(&flusher_lock);
		writeback_run(background);
		spin_lock(&flusher_lock);
	}
	spin_unlock(&flusher_lock);
	return NULL;
}

void wakeup_flusher(void)
{
	if (!__atomic_load_n(&flusher_running, __ATOMIC_ACQUIRE))
		return;
	if (__atomic_exchange_n(&flusher_pending, 1, __ATOMIC_SEQ_CST))
		return;
	spin_lock(&flusher_lock);
	wake_up_all(&flusher_wait);
	spin_unlock(&flusher_lock);
}

int flusher_start(void)
{
	int err;

	if (__atomic_load_n(&flusher_running, __ATOMIC_ACQUIRE))
		return 0;
	__atomic_store_n(&flusher_stopping, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&flusher_pending, 0, __ATOMIC_RELEASE);
	err = pthread_create(&flusher_thread, NULL, flusher, NULL);
	if (err)
		return -err;
	__atomic_store_n(&flusher_running, 1, __ATOMIC_RELEASE);
	return 0;
}

void flusher_stop(void)
{
	if (!__atomic_load_n(&flusher_running, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&flusher_running, 0, __ATOMIC_RELEASE);
	spin_lock(&flusher_lock);
	__atomic_store_n(&flusher_stopping, 1, __ATOMIC_RELEASE);
	wake_up_all(&flusher_wait);
	spin_unlock(&flusher_lock);
	pthread_join(flusher_thread, NULL);
}

/* ---- throttling writers ----------------------------------------------- */

void balance_dirty_pages(struct address_space *mapping)
{
	unsigned long bg, limit;
	int tries;

	dirty_thresholds(&bg, &limit);
	if (nr_dirty_pages() > (long)bg)
		wakeup_flusher();
	for (tries = 0; tries < THROTTLE_TRIES; tries++) {
		if (nr_dirty_pages() + nr_writeback_pages() <= (long)limit)
			return;
		if (!writeback_mapping(mapping, THROTTLE_WRITE, vm_jiffies()))
			wait_for_writeback(THROTTLE_WAIT_MS);
		dirty_thresholds(&bg, &limit);
	}
}
