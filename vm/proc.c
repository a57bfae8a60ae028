/*
 * vm/proc.c - /proc/meminfo, /proc/buddyinfo and /proc/zoneinfo of the
 * arena, in the kernel's formats, so the usual tools' parsers read them.
 *
 * Locking: free counts and watermarks are read racily (a snapshot, as the
 * kernel's are); per-thread list counts take each slot's lock briefly.
 */
#include "vm/mm.h"
#include "vm/pageset.h"
#include "vm/seq_buf.h"
#include "vm/slab.h"
#include "vm/vmstat.h"

#define K(pages)	((pages) << (PAGE_SHIFT - 10))

static meminfo_extra_fn meminfo_extra;

void meminfo_set_extra(meminfo_extra_fn fn)
{
	__atomic_store_n(&meminfo_extra, fn, __ATOMIC_RELEASE);
}

/* Free frames of a zone, counting those parked on per-thread lists. */
static unsigned long zone_free_all(zone_t *z)
{
	return zone_free_pages(z) + pageset_pages(z);
}

int meminfo_render(struct seq_buf *s)
{
	meminfo_extra_fn fn = __atomic_load_n(&meminfo_extra, __ATOMIC_ACQUIRE);
	unsigned long total = 0, free = 0, high_total = 0, high_free = 0;
	struct meminfo_extra mi = { 0 };
	zone_t *z;

	for_each_zone(z) {
		unsigned long f = zone_free_all(z);

		total += z->present_pages;
		free += f;
		if (zone_idx(z) == ZONE_HIGHMEM) {
			high_total += z->present_pages;
			high_free += f;
		}
	}
	if (fn)
		fn(&mi);
	seq_printf(s, "MemTotal:       %8lu kB\n", K(total));
	seq_printf(s, "MemFree:        %8lu kB\n", K(free));
	seq_printf(s, "Buffers:        %8lu kB\n", K(mi.buffers));
	seq_printf(s, "Cached:         %8lu kB\n", K(mi.cached));
	seq_printf(s, "Active:         %8lu kB\n", K(mi.active));
	seq_printf(s, "Inactive:       %8lu kB\n", K(mi.inactive));
	seq_printf(s, "HighTotal:      %8lu kB\n", K(high_total));
	seq_printf(s, "HighFree:       %8lu kB\n", K(high_free));
	seq_printf(s, "LowTotal:       %8lu kB\n", K(total - high_total));
	seq_printf(s, "LowFree:        %8lu kB\n", K(free - high_free));
	seq_printf(s, "Dirty:          %8lu kB\n", K(mi.dirty));
	seq_printf(s, "Writeback:      %8lu kB\n", K(mi.writeback));
	seq_printf(s, "Slab:           %8lu kB\n", K(kmem_cache_total_pages()));
	seq_printf(s, "Bounce:         %8lu kB\n", K(mi.bounce));
	return seq_buf_result(s);
}

int buddyinfo_render(struct seq_buf *s)
{
	zone_t *z;

	for_each_zone(z) {
		unsigned int order;

		seq_printf(s, "Node %d, zone %8s ", z->zone_pgdat->node_id, z->name);
		for (order = 0; order < MAX_ORDER; order++)
			seq_printf(s, "%6lu ", READ_ONCE(z->free_area[order].nr_free));
		seq_printf(s, "\n");
	}
	return seq_buf_result(s);
}

/*
 * 2.4's classzone rule as 2.6 prints it: how many free pages an allocation
 * aimed at each zone leaves in this one (the sum of the low marks above).
 */
static void zoneinfo_protection(struct seq_buf *s, zone_t *z)
{
	pg_data_t *pgdat = z->zone_pgdat;
	int j, idx = zone_idx(z);

	seq_printf(s, "        protection: (");
	for (j = 0; j < MAX_NR_ZONES; j++) {
		unsigned long prot = 0;
		int k;

		for (k = j; k > idx; k--)
			prot += pgdat->node_zones[k].pages_low;
		seq_printf(s, "%s%lu", j ? ", " : "", j < idx ? 0 : prot);
	}
	seq_printf(s, ")\n");
}

static void zoneinfo_pagesets(struct seq_buf *s, zone_t *z)
{
	int cpu, i;

	seq_printf(s, "  pagesets\n");
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		struct per_cpu_pageset *ps = z->pageset + cpu;
		struct per_cpu_pages pcp[2];

		for (i = 0; i < 2; i++) {
			pcp[i].count = __atomic_load_n(&ps->pcp[i].count, __ATOMIC_RELAXED);
			pcp[i].high = ps->pcp[i].high;	/* constant after boot */
			pcp[i].batch = ps->pcp[i].batch;
		}
		if (!pcp[0].count && !pcp[1].count && cpu >= num_online_cpus())
			continue;
		for (i = 0; i < 2; i++)
			seq_printf(s, "    cpu: %d pcp: %d\n"
				   "              count: %d\n"
				   "              high:  %d\n"
				   "              batch: %d\n",
				   cpu, i, pcp[i].count, pcp[i].high, pcp[i].batch);
	}
}

int zoneinfo_render(struct seq_buf *s)
{
	zone_t *z;

	for_each_zone(z) {
		seq_printf(s, "Node %d, zone %8s\n", z->zone_pgdat->node_id, z->name);
		seq_printf(s, "  pages free     %lu\n", zone_free_pages(z));
		seq_printf(s, "        min      %lu\n", z->pages_min);
		seq_printf(s, "        low      %lu\n", z->pages_low);
		seq_printf(s, "        high     %lu\n", z->pages_high);
		seq_printf(s, "        spanned  %lu\n", z->size);
		seq_printf(s, "        present  %lu\n", z->present_pages);
		seq_printf(s, "        alloc_fail %lu\n",
			   __atomic_load_n(&z->nr_alloc_fail, __ATOMIC_RELAXED));
		seq_printf(s, "        fault_injected %lu\n",
			   __atomic_load_n(&z->fault.failed, __ATOMIC_RELAXED));
		zoneinfo_protection(s, z);
		zoneinfo_pagesets(s, z);
		seq_printf(s, "  all_unreclaimable: 0\n");
		seq_printf(s, "  need_balance: %d\n", READ_ONCE(z->need_balance));
		seq_printf(s, "  start_pfn:         %lu\n", z->zone_start_mapnr);
	}
	return seq_buf_result(s);
}
