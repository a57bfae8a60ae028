/*
 * vm/vmstat.h - event counters in the style of /proc/vmstat.
 *
 * Each thread slot counts into its own row, so counting touches no shared
 * cache line; a reader sums the rows.  Sums are approximate while counters
 * move, exact once they stop.
 */
#ifndef IMGFS_VM_VMSTAT_H
#define IMGFS_VM_VMSTAT_H

#include "vm/smp.h"

struct seq_buf;

enum vm_event_item {
	PGALLOC_DMA,
	PGALLOC_NORMAL,
	PGALLOC_HIGH,
	PGFREE,
	PGALLOC_FAIL,		/* __alloc_pages returned NULL */
	PCP_ALLOC_HIT,		/* order-0 served from a thread's list */
	PCP_REFILL,		/* batches moved zone -> thread list */
	PCP_DRAIN,		/* batches moved thread list -> zone */
	ALLOCSTALL,		/* direct reclaim entered */
	KSWAPD_WAKEUP,
	ALLOC_RETRY,		/* waits in the slow path */
	PGPGIN,			/* KiB read from the device */
	PGPGOUT,		/* KiB written to the device */
	PGACTIVATE,
	PGDEACTIVATE,
	PGSCAN,
	PGSTEAL,
	PAGEOUTRUN,
	PGCACHE_HIT,
	PGCACHE_MISS,
	BOUNCE_READ,
	BOUNCE_WRITE,
	EMERGENCY_PAGE_HIT,
	EMERGENCY_BH_HIT,
	EMERGENCY_WAIT,
	/* Blocks handed out, by order (a test asserts what users can drive
	 * takes order 0 only); the ones past order 0 that were asked with
	 * __GFP_NOWARN, i.e. by a caller with a fallback, again apart. */
	PGALLOC_ORDER_0,
	PGALLOC_ORDER_1,
	PGALLOC_ORDER_2,
	PGALLOC_ORDER_3,
	PGALLOC_ORDER_4,
	PGALLOC_ORDER_5,
	PGALLOC_ORDER_6,
	PGALLOC_ORDER_7,
	PGALLOC_ORDER_8,
	PGALLOC_ORDER_9,
	PGALLOC_ORDER_FALLBACK,
	NR_VM_EVENT_ITEMS
};

extern const char *const vm_event_names[NR_VM_EVENT_ITEMS];

struct vm_event_state {
	unsigned long event[NR_VM_EVENT_ITEMS];
} __attribute__((aligned(64)));

extern struct vm_event_state vm_event_states[NR_CPUS];

/* A slot's sole owner adds without a locked instruction; sharers must. */
static inline void count_vm_events(enum vm_event_item item, unsigned long delta)
{
	unsigned long *ctr = &vm_event_states[smp_processor_id()].event[item];

	if (current_task.cpu_exclusive)
		__atomic_store_n(ctr, __atomic_load_n(ctr, __ATOMIC_RELAXED) + delta,
				 __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(ctr, delta, __ATOMIC_RELAXED);
}

static inline void count_vm_event(enum vm_event_item item)
{
	count_vm_events(item, 1);
}

unsigned long sum_vm_event(enum vm_event_item item);
void vm_events_reset(void);

/*
 * Gauges that other layers own (nr_dirty, nr_writeback, ...) are reported
 * through this hook so vmstat_render() can print them without knowing the
 * layer.  The callback appends "name value\n" lines.
 */
typedef void (*vmstat_extra_fn)(struct seq_buf *s);
void vmstat_set_extra(vmstat_extra_fn fn);

/* /proc/vmstat, /proc/meminfo, /proc/buddyinfo, /proc/zoneinfo.  0 or -ENOSPC. */
int vmstat_render(struct seq_buf *s);
int meminfo_render(struct seq_buf *s);
int buddyinfo_render(struct seq_buf *s);
int zoneinfo_render(struct seq_buf *s);

#endif

#ifndef IMGFS_VM_MEMINFO_EXTRA
#define IMGFS_VM_MEMINFO_EXTRA
/*
 * What meminfo shows of the page cache, filled in by that layer through
 * meminfo_set_extra(); all in pages.  Zero until it registers.
 */
struct meminfo_extra {
	unsigned long buffers, cached, active, inactive, dirty, writeback, bounce;
};
typedef void (*meminfo_extra_fn)(struct meminfo_extra *mi);
void meminfo_set_extra(meminfo_extra_fn fn);
#endif
