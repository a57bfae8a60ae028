/*
 * vm/spinlock.h - the VM's locks.
 *
 * spinlock_t keeps the kernel's name but is an adaptive pthread mutex: in
 * userspace a lock holder can be preempted, and a pure spinlock on two cores
 * then burns the other core for a whole time slice.  The adaptive mutex
 * spins briefly and then sleeps, and it pairs with condition variables, so
 * the places where the kernel sleeps with a lock dropped (kmap waiting for
 * a PKMap slot, lock_page) can do the same.
 *
 * Each lock records its owner so that the "__" functions, whose callers
 * must hold a lock, can assert it (assert_spin_locked).  The lock order of
 * the whole VM is written down once, in vm/locking.h.
 */
#ifndef IMGFS_VM_SPINLOCK_H
#define IMGFS_VM_SPINLOCK_H

#include <pthread.h>
#include "vm/compiler.h"

typedef struct {
	pthread_mutex_t mutex;
	unsigned long owner;	/* pthread_self() of the holder, 0 when free;
				 * atomic: asserts read it without the lock */
} spinlock_t;

void spin_lock_init(spinlock_t *lock);
void spin_lock_destroy(spinlock_t *lock);

static inline void spin_lock(spinlock_t *lock)
{
	pthread_mutex_lock(&lock->mutex);
	__atomic_store_n(&lock->owner, (unsigned long)pthread_self(), __ATOMIC_RELAXED);
}

static inline int spin_trylock(spinlock_t *lock)
{
	if (pthread_mutex_trylock(&lock->mutex))
		return 0;
	__atomic_store_n(&lock->owner, (unsigned long)pthread_self(), __ATOMIC_RELAXED);
	return 1;
}

static inline void spin_unlock(spinlock_t *lock)
{
	__atomic_store_n(&lock->owner, 0UL, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&lock->mutex);
}

/* True only when the calling thread holds the lock. */
static inline int spin_is_locked_by_me(spinlock_t *lock)
{
	return __atomic_load_n(&lock->owner, __ATOMIC_RELAXED) ==
	       (unsigned long)pthread_self();
}

#define assert_spin_locked(l)	VM_BUG_ON(!spin_is_locked_by_me(l))

/*
 * A wait queue: sleepers wait on the condition with the protecting lock
 * held (released while asleep), as sleep_on() with a lock dropped.
 */
typedef struct {
	pthread_cond_t cond;
} wait_queue_head_t;

void init_waitqueue_head(wait_queue_head_t *q);
void destroy_waitqueue_head(wait_queue_head_t *q);

/* Caller holds lock; returns with it held again. */
static inline void wait_event_locked(wait_queue_head_t *q, spinlock_t *lock)
{
	__atomic_store_n(&lock->owner, 0UL, __ATOMIC_RELAXED);
	pthread_cond_wait(&q->cond, &lock->mutex);
	__atomic_store_n(&lock->owner, (unsigned long)pthread_self(), __ATOMIC_RELAXED);
}

static inline void wake_up_all(wait_queue_head_t *q)
{
	pthread_cond_broadcast(&q->cond);
}

#endif
