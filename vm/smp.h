/*
 * vm/smp.h - threads as the VM sees them: "CPUs" and "current".
 *
 * The kernel keeps per-CPU page lists and per-CPU slab object arrays so the
 * fast paths touch no shared lock.  Here threads play the CPUs: a thread
 * that first asks smp_processor_id() claims one of NR_CPUS slots and keeps
 * it until it exits, when the registered cpu_dead callbacks drain whatever
 * the slot caches (free pages, slab objects) back to the shared pools.
 *
 * If more than NR_CPUS threads use the VM at once, the extra threads share
 * slots.  That is safe because every per-CPU structure is also guarded by
 * a per-slot lock (uncontended in the common case, and needed anyway so
 * that drain_all_pages() and kmem_cache_shrink() can empty other threads'
 * caches, where the kernel would send an IPI).
 *
 * A thread that claimed a slot nobody else held owns it exclusively
 * (cpu_exclusive).  Only such an owner may use a slot's lock-free fast
 * paths (the slab's object arrays): it touches them between owner_begin()
 * and owner_end() with no atomic read-modify-write, and a thread that must
 * reach into another slot (a drain) fences it out with drainer_begin(),
 * which uses membarrier(2) as the kernel would send an IPI - the
 * asymmetric Dekker pattern.  Where membarrier is missing (or under
 * ThreadSanitizer, which cannot see it) both sides use full fences.
 *
 * current is the calling thread's task_struct: it carries PF_MEMALLOC
 * (the thread is reclaiming and may dip below the watermarks) and friends.
 */
#ifndef IMGFS_VM_SMP_H
#define IMGFS_VM_SMP_H

#define NR_CPUS	64

#define PF_MEMALLOC	0x00000800	/* reclaiming: allocations may take the reserves */
#define PF_MEMDIE	0x00001000	/* allowed to use the last pages (kept for the book's names) */
#define PF_KSWAPD	0x00002000	/* this thread is kswapd */
#define PF_FLUSHER	0x00004000	/* this thread is the writeback flusher */

struct task_struct {
	unsigned int flags;
	int cpu;		/* claimed slot, -1 before the first claim */
	int cpu_exclusive;	/* no other thread shares the slot */
};

extern __thread struct task_struct current_task;
#define current (&current_task)

int __smp_claim_cpu(void);

/* The calling thread's slot, claimed on first use.  Never fails. */
static inline int smp_processor_id(void)
{
	int cpu = current_task.cpu;

	if (__builtin_expect(cpu >= 0, 1))
		return cpu;
	return __smp_claim_cpu();
}

/* The calling thread's slot if it owns it alone, else -1. */
static inline int smp_exclusive_cpu(void)
{
	int cpu = smp_processor_id();

	return current_task.cpu_exclusive ? cpu : -1;
}

/*
 * The owner/drainer handshake over one slot's private data.  The owner
 * brackets each use with owner_begin()/owner_end(); owner_begin() returns
 * 0 when a drainer is at work, and the owner must then take the path that
 * locks.  A drainer calls drainer_begin() (caller serializes drainers of
 * the slot, e.g. with a per-slot lock) and, once it returns, may touch the
 * owner's data until drainer_end().
 */
struct owner_gate {
	int busy;		/* the owner is inside owner_begin/end */
	int drain_pending;	/* a drainer wants the data */
};

extern int smp_asym_fence;	/* membarrier works: owners need no fence */

static inline int owner_begin(struct owner_gate *g)
{
#if defined(__SANITIZE_THREAD__)
	__atomic_store_n(&g->busy, 1, __ATOMIC_SEQ_CST);
#else
	__atomic_store_n(&g->busy, 1, __ATOMIC_RELAXED);
	if (__builtin_expect(smp_asym_fence, 1))
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	else
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
	if (__builtin_expect(!__atomic_load_n(&g->drain_pending, __ATOMIC_SEQ_CST), 1))
		return 1;
	__atomic_store_n(&g->busy, 0, __ATOMIC_RELEASE);
	return 0;
}

static inline void owner_end(struct owner_gate *g)
{
	__atomic_store_n(&g->busy, 0, __ATOMIC_RELEASE);
}

void drainer_begin(struct owner_gate *g);
void drainer_end(struct owner_gate *g);

/*
 * Called with the slot number when the last thread using it exits (or from
 * smp_release_cpu()).  Callbacks run in registration order; at most 8.
 */
typedef void (*cpu_dead_fn)(int cpu);
int register_cpu_dead(cpu_dead_fn fn);

/* Give the slot back now (a thread about to exit, or a test). */
void smp_release_cpu(void);

/* Slots currently claimed, for statistics. */
int num_online_cpus(void);

/* Forget all callbacks and slots (vm_exit). */
void smp_reset(void);

#endif
