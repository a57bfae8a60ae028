/*
 * vm/vmstat.c - event counters and /proc/vmstat (see vmstat.h).
 * Locking: none; per-slot rows, relaxed atomics.
 */
#include <string.h>
#include "vm/highmem.h"
#include "vm/pageset.h"
#include "vm/seq_buf.h"
#include "vm/slab.h"
#include "vm/vmstat.h"

struct vm_event_state vm_event_states[NR_CPUS];

const char *const vm_event_names[NR_VM_EVENT_ITEMS] = {
	[PGALLOC_DMA] = "pgalloc_dma",
	[PGALLOC_NORMAL] = "pgalloc_normal",
	[PGALLOC_HIGH] = "pgalloc_high",
	[PGFREE] = "pgfree",
	[PGALLOC_FAIL] = "pgalloc_fail",
	[PCP_ALLOC_HIT] = "pcp_alloc_hit",
	[PCP_REFILL] = "pcp_refill",
	[PCP_DRAIN] = "pcp_drain",
	[ALLOCSTALL] = "allocstall",
	[KSWAPD_WAKEUP] = "kswapd_wakeup",
	[ALLOC_RETRY] = "alloc_retry",
	[PGPGIN] = "pgpgin",
	[PGPGOUT] = "pgpgout",
	[PGACTIVATE] = "pgactivate",
	[PGDEACTIVATE] = "pgdeactivate",
	[PGSCAN] = "pgscan",
	[PGSTEAL] = "pgsteal",
	[PAGEOUTRUN] = "pageoutrun",
	[PGCACHE_HIT] = "pgcache_hit",
	[PGCACHE_MISS] = "pgcache_miss",
	[BOUNCE_READ] = "bounce_read",
	[BOUNCE_WRITE] = "bounce_write",
	[EMERGENCY_PAGE_HIT] = "emergency_page_hit",
	[EMERGENCY_BH_HIT] = "emergency_bh_hit",
	[EMERGENCY_WAIT] = "emergency_wait",
	[PGALLOC_ORDER_0] = "pgalloc_order_0",
	[PGALLOC_ORDER_1] = "pgalloc_order_1",
	[PGALLOC_ORDER_2] = "pgalloc_order_2",
	[PGALLOC_ORDER_3] = "pgalloc_order_3",
	[PGALLOC_ORDER_4] = "pgalloc_order_4",
	[PGALLOC_ORDER_5] = "pgalloc_order_5",
	[PGALLOC_ORDER_6] = "pgalloc_order_6",
	[PGALLOC_ORDER_7] = "pgalloc_order_7",
	[PGALLOC_ORDER_8] = "pgalloc_order_8",
	[PGALLOC_ORDER_9] = "pgalloc_order_9",
	[PGALLOC_ORDER_FALLBACK] = "pgalloc_order_fallback",
};

static vmstat_extra_fn vmstat_extra;

unsigned long sum_vm_event(enum vm_event_item item)
{
	unsigned long sum = 0;
	int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		sum += __atomic_load_n(&vm_event_states[cpu].event[item], __ATOMIC_RELAXED);
	return sum;
}

void vm_events_reset(void)
{
	int cpu, i;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		for (i = 0; i < NR_VM_EVENT_ITEMS; i++)
			__atomic_store_n(&vm_event_states[cpu].event[i], 0UL, __ATOMIC_RELAXED);
}

void vmstat_set_extra(vmstat_extra_fn fn)
{
	__atomic_store_n(&vmstat_extra, fn, __ATOMIC_RELEASE);
}

int vmstat_render(struct seq_buf *s)
{
	vmstat_extra_fn extra = __atomic_load_n(&vmstat_extra, __ATOMIC_ACQUIRE);
	struct kmap_stats ks;
	unsigned long pcp = 0;
	zone_t *z;
	int i;

	for_each_zone(z)
		pcp += pageset_pages(z);
	kmap_get_stats(&ks);
	seq_printf(s, "nr_free_pages %lu\n", nr_free_pages());
	seq_printf(s, "nr_pcp_pages %lu\n", pcp);
	seq_printf(s, "nr_slab %lu\n", kmem_cache_total_pages());
	seq_printf(s, "nr_kmap_pages %lu\n", ks.nr_pkmap_in_use);
	for (i = 0; i < NR_VM_EVENT_ITEMS; i++)
		seq_printf(s, "%s %lu\n", vm_event_names[i], sum_vm_event(i));
	seq_printf(s, "kmap %lu\nkmap_atomic %lu\nkmap_wait %lu\npkmap_flush %lu\n",
		   ks.nr_kmap, ks.nr_kmap_atomic, ks.nr_kmap_waits, ks.nr_pkmap_flushes);
	if (extra)
		extra(s);
	return seq_buf_result(s);
}
