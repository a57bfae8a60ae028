/*
 * vm/page_lock.c - the page lock and waiting on pages (book 11.2; 2.4
 * mm/filemap.c lock_page/unlock_page/___wait_on_page, page_waitqueue).
 *
 * PG_locked is a sleeping lock held for I/O on the page and while it is
 * added to or removed from the page cache; PG_writeback marks a write in
 * flight.  Sleepers do not get a queue per page (struct page stays small):
 * they hash on the page's address into PAGE_WAIT_TABLE buckets, each a
 * lock, a condition and a count of sleepers, and recheck their page's bit
 * when woken.  A waker clears the bit first, then wakes the bucket only if
 * someone sleeps there; both sides use sequentially consistent atomics so
 * the waker sees the sleeper's count or the sleeper sees the cleared bit.
 *
 * Before sleeping, a thread issues its own plugged I/O (unplug_io): the
 * page it waits for may be in it.
 *
 * Locking: each bucket's lock is a leaf, taken with no other lock held or
 * under any of the VM locks (a wake never sleeps).
 */
#include "vm/pagemap.h"

#define PAGE_WAIT_BITS	8
#define PAGE_WAIT_TABLE	(1U << PAGE_WAIT_BITS)

struct page_wait_bucket {
	spinlock_t lock;
	wait_queue_head_t wait;
	int sleepers;			/* atomic; changed under lock */
} __cacheline_aligned;

static struct page_wait_bucket page_wait_table[PAGE_WAIT_TABLE];
static struct vm_io_hooks io_hooks;	/* atomic pointers */

static struct page_wait_bucket *page_waitqueue(const struct page *page)
{
	unsigned long h = (unsigned long)page / sizeof(struct page);

	h ^= h >> PAGE_WAIT_BITS;
	h *= 0x9e3779b97f4a7c15UL;
	return &page_wait_table[h >> (BITS_PER_LONG - PAGE_WAIT_BITS)];
}

void set_vm_io_hooks(const struct vm_io_hooks *hooks)
{
	__atomic_store_n(&io_hooks.start_plug, hooks ? hooks->start_plug : NULL,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&io_hooks.finish_plug, hooks ? hooks->finish_plug : NULL,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&io_hooks.unplug, hooks ? hooks->unplug : NULL,
			 __ATOMIC_RELEASE);
}

static void call_hook(void (**slot)(void))
{
	void (*fn)(void) = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (fn)
		fn();
}

void io_start_plug(void)
{
	call_hook(&io_hooks.start_plug);
}

void io_finish_plug(void)
{
	call_hook(&io_hooks.finish_plug);
}

void unplug_io(void)
{
	call_hook(&io_hooks.unplug);
}

/* Sleep until bit of page->flags is clear; with lock, take it as we go. */
static void wait_on_page_bit(struct page *page, int bit, int lock)
{
	struct page_wait_bucket *b = page_waitqueue(page);

	unplug_io();
	spin_lock(&b->lock);
	__atomic_add_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		if (lock ? !test_and_set_bit(bit, &page->flags) :
			   !(__atomic_load_n(&page->flags, __ATOMIC_SEQ_CST) & (1UL << bit)))
			break;
		wait_event_locked(&b->wait, &b->lock);
	}
	__atomic_sub_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
	spin_unlock(&b->lock);
}

void wake_up_page(struct page *page)
{
	struct page_wait_bucket *b = page_waitqueue(page);

	if (!__atomic_load_n(&b->sleepers, __ATOMIC_SEQ_CST))
		return;
	spin_lock(&b->lock);
	wake_up_all(&b->wait);
	spin_unlock(&b->lock);
}

void lock_page(struct page *page)
{
	if (!TestSetPageLocked(page))
		return;
	wait_on_page_bit(page, PG_locked, 1);
}

void unlock_page(struct page *page)
{
	VM_BUG_ON(!PageLocked(page));
	ClearPageLocked(page);	/* seq_cst: ordered before the sleeper check */
	wake_up_page(page);
}

void wait_on_page(struct page *page)
{
	if (PageLocked(page))
		wait_on_page_bit(page, PG_locked, 0);
}

void wait_on_page_writeback(struct page *page)
{
	if (PageWriteback(page))
		wait_on_page_bit(page, PG_writeback, 0);
}

void page_lock_init(void)
{
	unsigned int i;

	for (i = 0; i < PAGE_WAIT_TABLE; i++) {
		spin_lock_init(&page_wait_table[i].lock);
		init_waitqueue_head(&page_wait_table[i].wait);
		page_wait_table[i].sleepers = 0;
	}
}

void page_lock_exit(void)
{
	unsigned int i;

	for (i = 0; i < PAGE_WAIT_TABLE; i++) {
		VM_BUG_ON(page_wait_table[i].sleepers);
		destroy_waitqueue_head(&page_wait_table[i].wait);
		spin_lock_destroy(&page_wait_table[i].lock);
	}
	set_vm_io_hooks(NULL);
}
