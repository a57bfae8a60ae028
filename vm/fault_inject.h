/*
 * vm/fault_inject.h - making allocations fail on purpose.
 *
 * The fallbacks (emergency pools, bounce retries, ENOMEM paths) only run
 * when memory is short, which tests cannot wait for.  A zone can be told
 * to fail the Nth allocation it would serve from now, or every Nth one
 * (every=1: all of them).  An allocation counts once per zone it reaches
 * with enough free frames, whatever the path (per-thread lists included),
 * so a failing zone makes __alloc_pages fall back along the zonelist just
 * as an exhausted one would.
 */
#ifndef IMGFS_VM_FAULT_INJECT_H
#define IMGFS_VM_FAULT_INJECT_H

#include "vm/mmzone.h"

/* nth: fail the nth allocation from now (1 = the next); every: fail each
 * every-th.  Either may be 0.  Returns 0, or -EINVAL for a bad zone. */
int zone_fault_set(int zone_idx, unsigned long nth, unsigned long every);
void zone_fault_clear(int zone_idx);
void zone_fault_clear_all(void);

/* Failures injected so far in this zone. */
unsigned long zone_fault_count(int zone_idx);

/* The allocator's question: should this allocation from zone fail? */
int __zone_should_fail(zone_t *zone);
static inline int zone_should_fail(zone_t *zone)
{
	if (__builtin_expect(!__atomic_load_n(&zone->fault.active, __ATOMIC_RELAXED), 1))
		return 0;
	return __zone_should_fail(zone);
}

#endif
