/*
 * vm/bounce.c - bounce buffers and emergency pools (book 10.4 "Bounce
 * Buffers", 10.5 "Emergency Pools"; 2.4 mm/highmem.c).
 *
 * Interface: see vm/bounce.h.  The device layer calls create_bounce() for
 * every buffer it is handed and submits whatever comes back; the copy's
 * b_end_io (bounce_end_io_read/write) finishes the original.
 *
 *   create_bounce(rw, bh_orig, bounce_pfn)
 *     alloc_bounce_page()   alloc_page(GFP_NOHIGHIO [| __GFP_DMA]) without
 *                           waiting, else the page pool, else sleep
 *     alloc_bounce_bh()     the same with the buffer_head cache and pool
 *     copy_from_high_bh()   WRITE: kmap_atomic(KM_BOUNCE_WRITE), copy down
 *   ... the device completes the copy ...
 *   bounce_end_io_read()    copy up through kmap_atomic(KM_BOUNCE_READ)
 *   bounce_end_io_write()
 *     bounce_end_io()       refill the pools (or free), then bh_orig->b_end_io
 *
 * Two departures from 2.4, both deliberate.  The first allocation tries
 * skip __GFP_WAIT: with a pool at hand the I/O path does not stall in
 * direct reclaim; a caller that finds the pool empty sleeps for a refill
 * and, if none comes within EMERGENCY_WAIT_MS, tries the allocator with
 * reclaim (2.4 ran tq_disk and yielded in a loop).  And bounce_end_io()
 * recycles the copy before calling the original's b_end_io, so whoever
 * waits on the original finds the pools already refilled.
 *
 * Pool entries are linked through page->list and bh->b_inode_buffers, as
 * in 2.4 ("we are abusing page->list").  Pool pages come from ZONE_DMA so
 * that they are below every device's reach (from ZONE_NORMAL, logged, if
 * boot left ZONE_DMA short); a returning bounce page of any low zone may
 * refill the pool, and a DMA-only device takes only ZONE_DMA pages from it.
 *
 * Locking: emergency_lock protects emergency_pages, emergency_bhs, their
 * nr_* counts, nr_pool_waiters and pool_generation (bumped by every
 * refill, so a sleeper knows whether one came); emergency_wait sleeps on
 * it.  Only
 * zone->lock may be taken under it, so frees to the slab happen after it
 * is dropped.  The hooks are read with acquire loads and called unlocked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include "vm/bounce.h"
#include "vm/highmem.h"
#include "vm/seq_buf.h"
#include "vm/slab.h"
#include "vm/vmstat.h"

/* How long a caller sleeps on an empty pool before trying reclaim. */
#define EMERGENCY_WAIT_MS	10

static spinlock_t emergency_lock;
static wait_queue_head_t emergency_wait;	/* a pool went from empty */
static LIST_HEAD(emergency_pages);		/* emergency_lock */
static LIST_HEAD(emergency_bhs);		/* emergency_lock */
static int nr_emergency_pages;			/* emergency_lock; racy reads */
static int nr_emergency_bhs;			/* emergency_lock; racy reads */
static int nr_pool_waiters;			/* emergency_lock */
static unsigned long pool_generation;		/* emergency_lock: refills */
static long nr_bounce_pages;			/* atomic: bounce pages in use */
static int pool_up;

static void (*wakeup_flusher_fn)(void);
static void (*run_disk_fn)(void);

void bounce_set_wakeup_flusher(void (*fn)(void))
{
	__atomic_store_n(&wakeup_flusher_fn, fn, __ATOMIC_RELEASE);
}

void bounce_set_run_disk(void (*fn)(void))
{
	__atomic_store_n(&run_disk_fn, fn, __ATOMIC_RELEASE);
}

static void call_hook(void (**hook)(void))
{
	void (*fn)(void) = __atomic_load_n(hook, __ATOMIC_ACQUIRE);

	if (fn)
		fn();
}

/* ---- the pools (book 10.5) ------------------------------------------- */

/*
 * Sleep until the pools are refilled after generation gen (what the
 * failed emergency_*_get() saw) or EMERGENCY_WAIT_MS pass.  Returns true
 * if refilled.  Our own plugged requests may be what holds the pool, so
 * they are issued first (2.4: run_task_queue(&tq_disk)).
 */
static int emergency_pool_wait(unsigned long gen)
{
	struct timespec ts;
	int ret = 0;

	count_vm_event(EMERGENCY_WAIT);
	call_hook(&run_disk_fn);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += EMERGENCY_WAIT_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	spin_lock(&emergency_lock);
	nr_pool_waiters++;
	while (pool_generation == gen && ret != ETIMEDOUT) {
		/* wait_event_locked() with a deadline: keep the owner right. */
		__atomic_store_n(&emergency_lock.owner, 0UL, __ATOMIC_RELAXED);
		ret = pthread_cond_timedwait(&emergency_wait.cond,
					     &emergency_lock.mutex, &ts);
		__atomic_store_n(&emergency_lock.owner,
				 (unsigned long)pthread_self(), __ATOMIC_RELAXED);
	}
	nr_pool_waiters--;
	ret = pool_generation != gen;
	spin_unlock(&emergency_lock);
	return ret;
}

/* A pool page; dma_only: one from ZONE_DMA (a DMA-only device's bounce). */
static struct page *emergency_page_get(int dma_only, unsigned long *gen)
{
	struct list_head *pos;
	struct page *page = NULL;

	spin_lock(&emergency_lock);
	list_for_each(pos, &emergency_pages) {
		struct page *p = list_entry(pos, struct page, list);

		if (!dma_only || zone_idx(page_zone(p)) == ZONE_DMA) {
			page = p;
			list_del_init(&page->list);
			WRITE_ONCE(nr_emergency_pages, nr_emergency_pages - 1);
			break;
		}
	}
	*gen = pool_generation;
	spin_unlock(&emergency_lock);
	return page;
}

static struct buffer_head *emergency_bh_get(unsigned long *gen)
{
	struct buffer_head *bh = NULL;

	spin_lock(&emergency_lock);
	if (!list_empty(&emergency_bhs)) {
		bh = list_entry(emergency_bhs.next, struct buffer_head,
				b_inode_buffers);
		list_del_init(&bh->b_inode_buffers);
		WRITE_ONCE(nr_emergency_bhs, nr_emergency_bhs - 1);
	}
	*gen = pool_generation;
	spin_unlock(&emergency_lock);
	return bh;
}

/*
 * Put page and bh back in their pools if these are short; whatever is not
 * kept is returned for the caller to free once the lock is dropped.
 */
static void emergency_pool_refill(struct page **page, struct buffer_head **bh)
{
	spin_lock(&emergency_lock);
	if (nr_emergency_pages < POOL_SIZE) {
		list_add(&(*page)->list, &emergency_pages);
		WRITE_ONCE(nr_emergency_pages, nr_emergency_pages + 1);
		*page = NULL;
	}
	if (nr_emergency_bhs < POOL_SIZE) {
		list_add(&(*bh)->b_inode_buffers, &emergency_bhs);
		WRITE_ONCE(nr_emergency_bhs, nr_emergency_bhs + 1);
		*bh = NULL;
	}
	pool_generation++;
	if (nr_pool_waiters)
		wake_up_all(&emergency_wait);
	spin_unlock(&emergency_lock);
}

void init_emergency_pool(void)
{
	int nr_normal = 0;

	spin_lock_init(&emergency_lock);
	init_waitqueue_head(&emergency_wait);
	INIT_LIST_HEAD(&emergency_pages);
	INIT_LIST_HEAD(&emergency_bhs);
	nr_emergency_pages = nr_emergency_bhs = nr_pool_waiters = 0;
	pool_generation = 0;
	__atomic_store_n(&nr_bounce_pages, 0L, __ATOMIC_RELAXED);
	while (nr_emergency_pages < POOL_SIZE) {
		struct page *page = alloc_page(GFP_KERNEL | __GFP_DMA | __GFP_NOWARN);

		if (!page && !(page = alloc_page(GFP_KERNEL))) {
			vm_log("bounce: couldn't refill emergency pages");
			break;
		}
		if (zone_idx(page_zone(page)) != ZONE_DMA)
			nr_normal++;
		list_add(&page->list, &emergency_pages);
		nr_emergency_pages++;
	}
	if (nr_normal)
		vm_log("bounce: ZONE_DMA is short: %d of %d emergency pages are from "
		       "ZONE_NORMAL, out of a DMA-only device's reach", nr_normal,
		       nr_emergency_pages);
	while (nr_emergency_bhs < POOL_SIZE) {
		struct buffer_head *bh = alloc_buffer_head(GFP_KERNEL);

		if (!bh) {
			vm_log("bounce: couldn't refill emergency bhs");
			break;
		}
		list_add(&bh->b_inode_buffers, &emergency_bhs);
		nr_emergency_bhs++;
	}
	pool_up = 1;
}

void exit_emergency_pool(void)
{
	struct page *page;
	struct buffer_head *bh;
	unsigned long gen;

	if (!pool_up)
		return;
	VM_BUG_ON(nr_pool_waiters);
	while ((page = emergency_page_get(0, &gen)))
		__free_page(page);
	while ((bh = emergency_bh_get(&gen)))
		free_buffer_head(bh);
	if (__atomic_load_n(&nr_bounce_pages, __ATOMIC_RELAXED))
		vm_log("bounce: %ld bounce pages still in use at exit",
		       __atomic_load_n(&nr_bounce_pages, __ATOMIC_RELAXED));
	destroy_waitqueue_head(&emergency_wait);
	spin_lock_destroy(&emergency_lock);
	pool_up = 0;
}

/* ---- allocation (book 10.4.2) ------------------------------------------ */

/*
 * A page for a bounce, from the allocator (gfp_mask: GFP_NOHIGHIO, with
 * __GFP_DMA for a DMA-only device) or the pool.  Never NULL; may sleep.
 */
struct page *alloc_bounce_page(unsigned int gfp_mask)
{
	struct page *page;
	unsigned long gen;
	int refilled = 1;

	page = alloc_page((gfp_mask & ~__GFP_WAIT) | __GFP_NOWARN);
	if (page)
		return page;
	/* Kick the flusher so we do not idle on our emergency rations. */
	call_hook(&wakeup_flusher_fn);
	for (;;) {
		page = emergency_page_get(gfp_mask & __GFP_DMA, &gen);
		if (page) {
			count_vm_event(EMERGENCY_PAGE_HIT);
			return page;
		}
		if (!refilled && (page = alloc_page(gfp_mask | __GFP_NOWARN)))
			return page;
		refilled = emergency_pool_wait(gen);
	}
}

/* A zeroed buffer head for a bounce, as alloc_bounce_page().  Never NULL. */
struct buffer_head *alloc_bounce_bh(void)
{
	struct buffer_head *bh;
	unsigned long gen;
	int refilled = 1;

	bh = alloc_buffer_head(SLAB_NOHIGHIO & ~__GFP_WAIT);
	if (bh)
		return bh;
	call_hook(&wakeup_flusher_fn);
	for (;;) {
		bh = emergency_bh_get(&gen);
		if (bh) {
			count_vm_event(EMERGENCY_BH_HIT);
			memset(bh, 0, sizeof(*bh));
			return bh;
		}
		if (!refilled && (bh = alloc_buffer_head(SLAB_NOHIGHIO)))
			return bh;
		refilled = emergency_pool_wait(gen);
	}
}

/* ---- copying (book 10.4.3) ----------------------------------------------- */

void copy_from_high_bh(struct buffer_head *to, struct buffer_head *from)
{
	char *vfrom = kmap_atomic(from->b_page, KM_BOUNCE_WRITE);

	memcpy(to->b_data, vfrom + bh_offset(from), to->b_size);
	kunmap_atomic(vfrom, KM_BOUNCE_WRITE);
}

/* Runs on the completion thread: kmap_atomic never sleeps. */
static void copy_to_high_bh_irq(struct buffer_head *to, struct buffer_head *from)
{
	char *vto = kmap_atomic(to->b_page, KM_BOUNCE_READ);

	memcpy(vto + bh_offset(to), from->b_data, to->b_size);
	kunmap_atomic(vto, KM_BOUNCE_READ);
}

/*
 * The copy is done with: carry its result to the original, recycle its
 * page and buffer head (pools first), then complete the original.
 */
static void bounce_end_io(struct buffer_head *bh, int uptodate)
{
	struct buffer_head *bh_orig = bh->b_private;
	struct page *page = bh->b_page;

	VM_BUG_ON(!buffer_bounce(bh) || !bh_orig);
	bh_orig->b_error = bh->b_error;
	if (buffer_error(bh))
		set_buffer_error(bh_orig);
	else
		clear_buffer_error(bh_orig);
	ClearPageBounce(page);
	page->private = 0;
	__atomic_fetch_sub(&nr_bounce_pages, 1L, __ATOMIC_RELAXED);
	emergency_pool_refill(&page, &bh);
	if (page)
		__free_page(page);
	if (bh)
		free_buffer_head(bh);
	bh_orig->b_end_io(bh_orig, uptodate);
}

void bounce_end_io_write(struct buffer_head *bh, int uptodate)
{
	bounce_end_io(bh, uptodate);
}

void bounce_end_io_read(struct buffer_head *bh, int uptodate)
{
	if (uptodate)
		copy_to_high_bh_irq(bh->b_private, bh);
	bounce_end_io(bh, uptodate);
}

/* ---- create_bounce (book 10.4.2) ----------------------------------------- */

static unsigned long dma_end_pfn(void)
{
	const zone_t *dma = &contig_page_data.node_zones[ZONE_DMA];

	return dma->zone_start_mapnr + dma->size;
}

struct buffer_head *create_bounce(int rw, struct buffer_head *bh_orig,
				  unsigned long bounce_pfn)
{
	unsigned int gfp_mask = GFP_NOHIGHIO;
	struct buffer_head *bh;
	struct page *page;

	if (page_to_pfn(bh_orig->b_page) < bounce_pfn)
		return bh_orig;
	VM_BUG_ON(bounce_pfn < dma_end_pfn());	/* nothing could reach it */
	if (bounce_pfn == dma_end_pfn())
		gfp_mask |= __GFP_DMA;

	page = alloc_bounce_page(gfp_mask);
	bh = alloc_bounce_bh();
	VM_BUG_ON(page_to_pfn(page) >= bounce_pfn);
	__atomic_fetch_add(&nr_bounce_pages, 1L, __ATOMIC_RELAXED);
	SetPageBounce(page);
	page->private = (unsigned long)bh_orig;

	bh->b_blocknr = bh_orig->b_blocknr;
	bh->b_size = bh_orig->b_size;
	bh->b_dev = bh_orig->b_dev;
	bh->b_rsector = bh_orig->b_rsector;
	bh->b_state = (1UL << BH_Lock) | (1UL << BH_Mapped) | (1UL << BH_Req) |
		      (1UL << BH_Bounce);
	atomic_set(&bh->b_count, 1);
	INIT_LIST_HEAD(&bh->b_inode_buffers);
	set_bh_page(bh, page, 0);
	bh->b_private = bh_orig;
	if (rw == WRITE) {
		bh->b_end_io = bounce_end_io_write;
		copy_from_high_bh(bh, bh_orig);
		count_vm_event(BOUNCE_WRITE);
	} else {
		bh->b_end_io = bounce_end_io_read;
		count_vm_event(BOUNCE_READ);
	}
	return bh;
}

/* ---- statistics -------------------------------------------------------- */

void bounce_get_pool_stats(struct bounce_pool_stats *st)
{
	st->nr_emergency_pages = READ_ONCE(nr_emergency_pages);
	st->nr_emergency_bhs = READ_ONCE(nr_emergency_bhs);
	st->nr_bounce_pages = __atomic_load_n(&nr_bounce_pages, __ATOMIC_RELAXED);
}

void bounce_render(struct seq_buf *s)
{
	struct bounce_pool_stats st;

	bounce_get_pool_stats(&st);
	seq_printf(s, "nr_emergency_pages %d\n", st.nr_emergency_pages);
	seq_printf(s, "nr_emergency_bhs %d\n", st.nr_emergency_bhs);
}
