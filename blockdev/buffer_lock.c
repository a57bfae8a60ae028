/*
 * blockdev/buffer_lock.c - the buffer lock: lock_buffer(), unlock_buffer(),
 * wait_on_buffer(), and end_buffer_io_sync() (2.4 fs/buffer.c,
 * include/linux/locks.h).
 *
 * BH_Lock is a bit in b_state taken with test_and_set_bit; it is held
 * while I/O is in flight and released by the I/O's b_end_io.  A 2.4
 * buffer_head carries its own wait queue; ours do not, so sleepers use one
 * of BH_WAIT_BUCKETS hashed wait queues (2.6's bit_waitqueue):
 *
 *   waiter:   lock bucket; waiters++; while (BH_Lock) sleep; waiters--
 *   unlocker: clear BH_Lock; if (waiters) { lock bucket; wake all }
 *
 * Both the bit and the waiter count are sequentially consistent atomics,
 * so either the waiter sees the bit clear or the unlocker sees a waiter;
 * the waiter checks and sleeps under the bucket lock, which the unlocker
 * takes before waking, so no wake-up is lost.
 *
 * Sleeping in wait_on_buffer() first issues the caller's plugged requests
 * (2.4 ran tq_disk there): the buffer may be among them.
 *
 * Locking: each bucket lock guards its condition variable only; it is a
 * leaf lock.  lock_buffer() and wait_on_buffer() sleep: call them holding
 * no spinlock (vm/locking.h puts the buffer lock after the page lock).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "blockdev/blkdev.h"

#define BH_WAIT_BUCKETS	64

struct bh_wait_bucket {
	pthread_mutex_t lock;
	pthread_cond_t wait;
	int waiters;		/* atomic: sleepers on this bucket */
} __cacheline_aligned;

static struct bh_wait_bucket bh_wait_table[BH_WAIT_BUCKETS] = {
	[0 ... BH_WAIT_BUCKETS - 1] = {
		.lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP,
		.wait = PTHREAD_COND_INITIALIZER,
		.waiters = 0,
	},
};

static struct bh_wait_bucket *bh_waitqueue(const struct buffer_head *bh)
{
	unsigned long h = (unsigned long)bh / L1_CACHE_BYTES;

	h ^= h >> 7;
	h ^= h >> 13;
	return &bh_wait_table[h % BH_WAIT_BUCKETS];
}

/*
 * BH_Lock, read with acquire: whoever sees it clear also sees everything
 * the I/O's completion wrote (the data, b_error, BH_Uptodate) before its
 * unlock_buffer() - buffer_locked() is a relaxed read.
 */
static int buffer_locked_acquire(const struct buffer_head *bh)
{
	return (__atomic_load_n(&bh->b_state, __ATOMIC_ACQUIRE) >> BH_Lock) & 1;
}

/* Sleep until BH_Lock is clear; the caller has run its plug. */
static void sleep_on_buffer(struct buffer_head *bh)
{
	struct bh_wait_bucket *b = bh_waitqueue(bh);

	pthread_mutex_lock(&b->lock);
	__atomic_add_fetch(&b->waiters, 1, __ATOMIC_SEQ_CST);
	while (buffer_locked_acquire(bh))
		pthread_cond_wait(&b->wait, &b->lock);
	__atomic_sub_fetch(&b->waiters, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&b->lock);
}

void wait_on_buffer(struct buffer_head *bh)
{
	if (!buffer_locked_acquire(bh))
		return;
	run_task_queue_disk();
	sleep_on_buffer(bh);
}

void lock_buffer(struct buffer_head *bh)
{
	while (test_set_buffer_locked(bh))
		wait_on_buffer(bh);
}

void unlock_buffer(struct buffer_head *bh)
{
	struct bh_wait_bucket *b = bh_waitqueue(bh);

	VM_BUG_ON(!test_clear_buffer_locked(bh));	/* was not locked */
	if (__atomic_load_n(&b->waiters, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&b->lock);
		pthread_cond_broadcast(&b->wait);
		pthread_mutex_unlock(&b->lock);
	}
}

/*
 * The b_end_io of ll_rw_block(): record the result, drop the reference
 * ll_rw_block() took, unlock.  b_error and BH_Error were set by the device
 * layer.  2.4 unlocked first; dropping the reference first means a waiter
 * woken by the unlock finds it gone and may free the buffer at once, while
 * nobody frees a buffer that is still locked.
 */
void end_buffer_io_sync(struct buffer_head *bh, int uptodate)
{
	if (uptodate)
		set_buffer_uptodate(bh);
	else
		clear_buffer_uptodate(bh);
	put_bh(bh);
	unlock_buffer(bh);
}
