/*
 * vm/pageset.c - per-thread hot and cold page lists (2.6's per-CPU
 * pagesets, which DESIGN asks for in the 2.4 allocator; see pageset.h).
 *
 * Hot pages were freed recently and are likely still in the CPU cache, so
 * an ordinary allocation takes them first (LIFO).  A caller that will not
 * touch the page soon (__GFP_COLD, e.g. a page about to be filled by I/O)
 * takes from the cold list and leaves the hot pages for others.
 *
 * Locking: the thread that owns a slot alone uses its lists lock-free
 * between owner_begin() and owner_end() (vm/smp.h); threads sharing a slot
 * take zone->pageset[cpu].lock, and so does drain_all_pages(), which then
 * fences the owner out with drainer_begin().  A batch move takes
 * zone->lock inside either.
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
		ps->gate = (struct owner_gate){ 0, 0 };
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

static inline void pcp_set_count(struct per_cpu_pages *pcp, int count)
{
	__atomic_store_n(&pcp->count, count, __ATOMIC_RELAXED);
}

/* Pop from a list, refilling a batch first if it ran low.  Caller owns it. */
static struct page *__pcp_pop(zone_t *zone, struct per_cpu_pages *pcp)
{
	struct page *page;

	if (pcp->count <= pcp->low) {
		int got = rmqueue_bulk(zone, 0, pcp->batch, &pcp->list);

		pcp_set_count(pcp, pcp->count + got);
		if (got)
			count_vm_event(PCP_REFILL);
	}
	if (!pcp->count)
		return NULL;
	page = list_entry(pcp->list.next, struct page, list);
	list_del(&page->list);
	pcp_set_count(pcp, pcp->count - 1);
	return page;
}

/* Push onto a list, giving a batch back first if it is full.  Caller owns it. */
static void __pcp_push(zone_t *zone, struct per_cpu_pages *pcp, struct page *page)
{
	if (pcp->count >= pcp->high) {
		int n = pcp->batch < pcp->count ? pcp->batch : pcp->count;

		free_pages_bulk(zone, n, &pcp->list, 0);
		pcp_set_count(pcp, pcp->count - n);
		count_vm_event(PCP_DRAIN);
	}
	list_add(&page->list, &pcp->list);
	pcp_set_count(pcp, pcp->count + 1);
}

/* The calling thread's pageset, entered lock-free if it owns the slot. */
static struct per_cpu_pageset *pageset_enter(zone_t *zone, int *locked)
{
	struct per_cpu_pageset *ps = zone->pageset + smp_processor_id();

	*locked = !(current_task.cpu_exclusive && owner_begin(&ps->gate));
	if (*locked)
		spin_lock(&ps->lock);
	return ps;
}

static void pageset_leave(struct per_cpu_pageset *ps, int locked)
{
	if (locked)
		spin_unlock(&ps->lock);
	else
		owner_end(&ps->gate);
}

struct page *buffered_rmqueue(zone_t *zone, unsigned int order, int cold)
{
	struct page *page = NULL;

	if (order == 0) {
		int locked;
		struct per_cpu_pageset *ps = pageset_enter(zone, &locked);

		page = __pcp_pop(zone, ps->pcp + !!cold);
		pageset_leave(ps, locked);
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
	struct per_cpu_pageset *ps;
	int locked;

	count_vm_event(PGFREE);
	free_pages_check(page, 0);
	ps = pageset_enter(zone, &locked);
	__pcp_push(zone, ps->pcp + !!cold, page);
	pageset_leave(ps, locked);
}

void drain_cpu_pages(int cpu)
{
	zone_t *zone;

	for_each_zone(zone) {
		struct per_cpu_pageset *ps = zone->pageset + cpu;
		int i;

		if (!__atomic_load_n(&ps->pcp[0].count, __ATOMIC_RELAXED) &&
		    !__atomic_load_n(&ps->pcp[1].count, __ATOMIC_RELAXED))
			continue;	/* a drain of nothing needs no fence */
		spin_lock(&ps->lock);
		drainer_begin(&ps->gate);
		for (i = 0; i < 2; i++) {
			struct per_cpu_pages *pcp = ps->pcp + i;

			free_pages_bulk(zone, pcp->count, &pcp->list, 0);
			pcp_set_count(pcp, 0);
		}
		drainer_end(&ps->gate);
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

		/* A snapshot, as the kernel's statistics are. */
		n += (unsigned long)__atomic_load_n(&ps->pcp[0].count, __ATOMIC_RELAXED) +
		     (unsigned long)__atomic_load_n(&ps->pcp[1].count, __ATOMIC_RELAXED);
	}
	return n;
}
