/*
 * vm/fault_inject.c - per-zone allocation failure on demand (see
 * fault_inject.h).  The counters are atomics: many threads allocate from
 * a zone at once, and the Nth allocation must fail exactly once.
 */
#include <errno.h>
#include "vm/fault_inject.h"

static zone_t *zone_by_idx(int idx)
{
	if (idx < 0 || idx >= MAX_NR_ZONES)
		return NULL;
	return contig_page_data.node_zones + idx;
}

int zone_fault_set(int idx, unsigned long nth, unsigned long every)
{
	zone_t *z = zone_by_idx(idx);

	if (!z)
		return -EINVAL;
	__atomic_store_n(&z->fault.active, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&z->fault.nth, nth, __ATOMIC_RELAXED);
	__atomic_store_n(&z->fault.every, every, __ATOMIC_RELAXED);
	__atomic_store_n(&z->fault.count, 0UL, __ATOMIC_RELAXED);
	__atomic_store_n(&z->fault.active, nth || every, __ATOMIC_SEQ_CST);
	return 0;
}

void zone_fault_clear(int idx)
{
	zone_t *z = zone_by_idx(idx);

	if (z)
		__atomic_store_n(&z->fault.active, 0, __ATOMIC_SEQ_CST);
}

void zone_fault_clear_all(void)
{
	int i;

	for (i = 0; i < MAX_NR_ZONES; i++)
		zone_fault_clear(i);
}

unsigned long zone_fault_count(int idx)
{
	zone_t *z = zone_by_idx(idx);

	return z ? __atomic_load_n(&z->fault.failed, __ATOMIC_RELAXED) : 0;
}

int __zone_should_fail(zone_t *z)
{
	unsigned long n = __atomic_add_fetch(&z->fault.count, 1, __ATOMIC_RELAXED);
	unsigned long nth = __atomic_load_n(&z->fault.nth, __ATOMIC_RELAXED);
	unsigned long every = __atomic_load_n(&z->fault.every, __ATOMIC_RELAXED);

	if ((nth && n == nth) || (every && n % every == 0)) {
		__atomic_fetch_add(&z->fault.failed, 1, __ATOMIC_RELAXED);
		return 1;
	}
	return 0;
}
