/*
 * vm/spinlock.c - lock and wait queue set-up (see spinlock.h for why a
 * "spinlock" here is an adaptive mutex).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include "vm/spinlock.h"

void spin_lock_init(spinlock_t *lock)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&lock->mutex, &attr);
	pthread_mutexattr_destroy(&attr);
	lock->owner = 0;
}

void spin_lock_destroy(spinlock_t *lock)
{
	pthread_mutex_destroy(&lock->mutex);
}

void init_waitqueue_head(wait_queue_head_t *q)
{
	pthread_cond_init(&q->cond, NULL);
}

void destroy_waitqueue_head(wait_queue_head_t *q)
{
	pthread_cond_destroy(&q->cond);
}
