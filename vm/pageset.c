/*
 * vm/pageset.c - per-thread hot and cold page lists (2.6's per-CPU
 * pagesets, which DESIGN asks for in the 2.4 allocator; see pageset.h).
 *
 * Hot pages were freed recently and are likely still in the CPU cache, so
 * an ordinary allocation takes them first (LIFO).  A caller that will not
 * touch the page soon (__GFP_COLD, e.g. a page about to be filled by I/O)
 * takes from the cold list and leaves the hot pages for others.
 *
 * Locking: zone->pageset[cpu].lock, then zone->lock for a batch.  The
 * owner thread is almost always the only taker of its slot's lock;
 * drain_all_pages() takes every slot's in turn.
 */
#include "vm/pageset.h"
#include "vm/vmstat.h"

/* 2.6.9 zone_batchsize: about a quarter of 1/1000 of the zone, capped. */
static int zone_batchsize(const zone_t *zone)
{
	unsigned long batch = zone->size / 1024;

	if (batch * PAGE_SIZE > 256 * 1024)
		batch = (256 * 1024) / PAGE_SIZE;
	batch /= 4;
	if (batch < 1)
		batch = 1;
	return (int)batch;
}

void pageset_init(zone_t *zone)
{
	int batch = zone_batchsize(zone), cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		struct per_cpu_pageset *ps = zone->pageset + cpu;

		spin_lock_init(&ps->lock);
		ps->pcp[0] = (struct per_cpu_pages){
			.count = 0, .low = 2 * batch, .high = 6 * batch, .batch = batch,
		};
		ps->pcp[1] = (struct per_cpu_pages){
			.count = 0, .low = 0, .high = 2 * batch, .batch = batch,
		};
		INIT_LIST_HEAD(&ps->pcp[0].list);
		INIT_LIST_HEAD(&ps->pcp[1].list);
	}
}

void pageset_destroy(zone_t *zone)
{
	int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		spin_lock_destroy(&zone->pageset[cpu].lock);
}

struct page *buffered_rmqueue(zone_t *zone, unsigned int order, int cold)
{
	struct page *page = NULL;

	if (order == 0) {
		struct per_cpu_pageset *ps = zone->pageset + smp_processor_id();
		struct per_cpu_pages *pcp = ps->pcp + !!cold;

		spin_lock(&ps->lock);
		if (pcp->count <= pcp->low) {
			int got = rmqueue_bulk(zone, 0, pcp->batch, &pcp->list);

			pcp->count += got;
			if (got)
				count_vm_event(PCP_REFILL);
		}
		if (pcp->count) {
			page = list_entry(pcp->list.next, struct page, list);
			list_del(&page->list);
			pcp->count--;
		}
		spin_unlock(&ps->lock);
		if (page)
			count_vm_event(PCP_ALLOC_HIT);
	}
	if (!page) {
		spin_lock(&zone->lock);
		page = __rmqueue(zone, order);
		spin_unlock(&zone->lock);
	}
	if (page)
		prep_new_page(page, order);
	return page;
}

void free_hot_cold_page(struct page *page, int cold)
{
	zone_t *zone = page_zone(page);
	struct per_cpu_pageset *ps = zone->pageset + smp_processor_id();
	struct per_cpu_pages *pcp = ps->pcp + !!cold;

	count_vm_event(PGFREE);
	free_pages_check(page, 0);
	spin_lock(&ps->lock);
	if (pcp->count >= pcp->high) {
		free_pages_bulk(zone, pcp->batch, &pcp->list, 0);
		pcp->count -= pcp->batch;
		if (pcp->count < 0)
			pcp->count = 0;
		count_vm_event(PCP_DRAIN);
	}
	list_add(&page->list, &pcp->list);
	pcp->count++;
	spin_unlock(&ps->lock);
}

void drain_cpu_pages(int cpu)
{
	zone_t *zone;

	for_each_zone(zone) {
		struct per_cpu_pageset *ps = zone->pageset + cpu;
		int i;

		spin_lock(&ps->lock);
		for (i = 0; i < 2; i++) {
			struct per_cpu_pages *pcp = ps->pcp + i;

			free_pages_bulk(zone, pcp->count, &pcp->list, 0);
			pcp->count = 0;
		}
		spin_unlock(&ps->lock);
	}
}

void drain_local_pages(void)
{
	drain_cpu_pages(smp_processor_id());
}

void drain_all_pages(void)
{
	int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++)
		drain_cpu_pages(cpu);
}

unsigned long pageset_pages(zone_t *zone)
{
	unsigned long n = 0;
	int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		struct per_cpu_pageset *ps = zone->pageset + cpu;

		spin_lock(&ps->lock);
		n += (unsigned long)ps->pcp[0].count + (unsigned long)ps->pcp[1].count;
		spin_unlock(&ps->lock);
	}
	return n;
}
