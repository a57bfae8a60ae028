/*
 * vm/smp.c - thread slots ("CPUs") and the per-thread task_struct.
 *
 * Interface: smp_processor_id() (inline, vm/smp.h) claims a slot on first
 * use; register_cpu_dead() hooks run when a slot's last thread exits so
 * caches held per slot go back to the shared pools.
 *
 * Locking: cpu_slot_lock guards slot_users[] and the callback list; it is
 * the innermost lock and is never held while calling out, except that the
 * cpu_dead callbacks run with no slot lock held.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "vm/smp.h"
#include "vm/compiler.h"

#define MAX_CPU_DEAD	8

__thread struct task_struct current_task = { .flags = 0, .cpu = -1 };
int smp_asym_fence;

static pthread_mutex_t cpu_slot_lock = PTHREAD_MUTEX_INITIALIZER;
static int slot_users[NR_CPUS];		/* threads on each slot */
static int next_shared;			/* round robin once all are taken */
static cpu_dead_fn cpu_dead[MAX_CPU_DEAD];
static int nr_cpu_dead;
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static void thread_exit(void *arg);

static void make_exit_key(void)
{
	if (pthread_key_create(&exit_key, thread_exit))
		BUG();
#if !defined(__SANITIZE_THREAD__)
	/* Before any owner relies on it: owners fence only if this failed. */
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0)
		__atomic_store_n(&smp_asym_fence, 1, __ATOMIC_SEQ_CST);
#endif
}

/* Make every running thread of the process execute a full barrier. */
static void smp_ipi_barrier(void)
{
	if (__atomic_load_n(&smp_asym_fence, __ATOMIC_RELAXED) &&
	    syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0))
		BUG();	/* registered, so it cannot fail */
}

void drainer_begin(struct owner_gate *g)
{
	int spins = 0;

	__atomic_store_n(&g->drain_pending, 1, __ATOMIC_SEQ_CST);
	smp_ipi_barrier();
	/* The owner either saw drain_pending or is visibly busy: wait it out. */
	while (__atomic_load_n(&g->busy, __ATOMIC_ACQUIRE)) {
		if (++spins > 100)
			sched_yield();
	}
}

void drainer_end(struct owner_gate *g)
{
	__atomic_store_n(&g->drain_pending, 0, __ATOMIC_RELEASE);
}

/* Caller holds cpu_slot_lock. */
static int __pick_slot(void)
{
	int i;

	for (i = 0; i < NR_CPUS; i++)
		if (slot_users[i] == 0)
			return i;
	/* Every slot taken: share one (all per-slot state is locked). */
	i = next_shared;
	next_shared = (next_shared + 1) % NR_CPUS;
	return i;
}

int __smp_claim_cpu(void)
{
	int cpu;

	pthread_once(&exit_key_once, make_exit_key);
	pthread_mutex_lock(&cpu_slot_lock);
	cpu = __pick_slot();
	current_task.cpu_exclusive = slot_users[cpu]++ == 0;
	pthread_mutex_unlock(&cpu_slot_lock);
	current_task.cpu = cpu;
	/* A non-NULL value makes the destructor run at thread exit. */
	pthread_setspecific(exit_key, (void *)1);
	return cpu;
}

static void release_slot(int cpu)
{
	cpu_dead_fn fns[MAX_CPU_DEAD];
	int i, n, last;

	pthread_mutex_lock(&cpu_slot_lock);
	VM_BUG_ON(slot_users[cpu] <= 0);
	last = --slot_users[cpu] == 0;
	n = nr_cpu_dead;
	memcpy(fns, cpu_dead, sizeof(fns));
	pthread_mutex_unlock(&cpu_slot_lock);
	if (!last)
		return;
	for (i = 0; i < n; i++)
		fns[i](cpu);
}

void smp_release_cpu(void)
{
	int cpu = current_task.cpu;

	if (cpu < 0)
		return;
	/*
	 * Drain while still owning the slot (the callbacks may allocate or
	 * count events, which would claim a slot again), then forget it.
	 */
	release_slot(cpu);
	current_task.cpu = -1;
	current_task.cpu_exclusive = 0;
	pthread_setspecific(exit_key, NULL);
}

static void thread_exit(void *arg)
{
	(void)arg;
	smp_release_cpu();
	/* A callback may have re-claimed a slot; give it back too. */
	if (current_task.cpu >= 0)
		smp_release_cpu();
}

int register_cpu_dead(cpu_dead_fn fn)
{
	int ret = 0;

	pthread_mutex_lock(&cpu_slot_lock);
	if (nr_cpu_dead == MAX_CPU_DEAD)
		ret = -ENOSPC;
	else
		cpu_dead[nr_cpu_dead++] = fn;
	pthread_mutex_unlock(&cpu_slot_lock);
	return ret;
}

int num_online_cpus(void)
{
	int i, n = 0;

	pthread_mutex_lock(&cpu_slot_lock);
	for (i = 0; i < NR_CPUS; i++)
		n += slot_users[i] > 0;
	pthread_mutex_unlock(&cpu_slot_lock);
	return n;
}

void smp_reset(void)
{
	pthread_mutex_lock(&cpu_slot_lock);
	nr_cpu_dead = 0;
	pthread_mutex_unlock(&cpu_slot_lock);
}
