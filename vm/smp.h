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
	unsigned int fail_seed;	/* per-thread state for fault injection */
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
