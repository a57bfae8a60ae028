/*
 * vm/mmzone.h - nodes, zones and free areas (book chapter 3, 6.1).
 *
 * One node (contig_page_data), up to three zones.  Each zone has its buddy
 * free lists (free_area[], under zone->lock), its watermarks, and one
 * per_cpu_pageset per thread slot (see vm/smp.h) holding hot and cold
 * order-0 pages that the slot can take and give without zone->lock.
 *
 *   pg_data_t contig_page_data
 *     node_zones[ZONE_DMA]     frames [0, 16 MiB or lowmem)
 *     node_zones[ZONE_NORMAL]  frames [DMA end, lowmem)
 *     node_zones[ZONE_HIGHMEM] frames [lowmem, mem)      -- no permanent map
 *     node_zonelists[gfp & GFP_ZONEMASK]  fallback order for each request kind
 */
#ifndef IMGFS_VM_MMZONE_H
#define IMGFS_VM_MMZONE_H

#include "vm/list.h"
#include "vm/smp.h"
#include "vm/spinlock.h"
#include "vm/atomic.h"

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x)	(((x) + PAGE_SIZE - 1) & PAGE_MASK)

#define MAX_ORDER	10	/* blocks of 1 .. 512 frames, as 2.4 */

#define ZONE_DMA	0
#define ZONE_NORMAL	1
#define ZONE_HIGHMEM	2
#define MAX_NR_ZONES	3

#define GFP_ZONEMASK	0x0f

typedef struct free_area_struct {
	struct list_head free_list;	/* first page of each free block */
	unsigned long *map;		/* one bit per buddy pair: set when
					 * exactly one of the pair is free */
	unsigned long nr_free;		/* blocks on free_list (2.6), for buddyinfo */
} free_area_t;

/* One list of order-0 pages kept by a thread slot (2.6's per_cpu_pages). */
struct per_cpu_pages {
	int count;		/* pages on the list */
	int low;		/* refill from the zone when count falls to this */
	int high;		/* give back to the zone when count reaches this */
	int batch;		/* pages moved per refill or give-back */
	struct list_head list;
};

/*
 * pcp[0] is hot (recently freed, likely in cache), pcp[1] cold.  The
 * slot's sole owner uses the lists through gate, lock-free; sharers of the
 * slot and drainers take lock (see vm/smp.h, owner_begin/drainer_begin).
 * count is stored atomically so statistics can read it without either.
 */
struct per_cpu_pageset {
	struct owner_gate gate;
	spinlock_t lock;
	struct per_cpu_pages pcp[2];
} __cacheline_aligned;

/* Fault injection: fail the Nth, or every Nth, allocation from the zone. */
struct zone_fault {
	int active;		/* read racily on the fast path: atomic */
	unsigned long nth;	/* fail once, at this count (0 = off) */
	unsigned long every;	/* fail each multiple of this (0 = off) */
	unsigned long count;	/* allocations seen while active: atomic */
	unsigned long failed;	/* failures injected: atomic */
};

struct pglist_data;

typedef struct zone_struct {
	/* Hot: the allocator's fast path. */
	spinlock_t lock;		/* free_area[], free_pages */
	unsigned long free_pages;	/* zone->lock for writes; racy reads */
	unsigned long pages_min, pages_low, pages_high;
	int need_balance;		/* set when an allocator found us low */
	free_area_t free_area[MAX_ORDER];
	struct zone_fault fault;

	struct per_cpu_pageset pageset[NR_CPUS];

	/* Cold: set at boot. */
	struct pglist_data *zone_pgdat;
	struct page *zone_mem_map;	/* first frame of the zone */
	unsigned long zone_start_paddr;
	unsigned long zone_start_mapnr;	/* pfn of zone_mem_map */
	const char *name;
	unsigned long size;		/* frames spanned */
	unsigned long present_pages;	/* frames handed to the buddy allocator */

	/* Statistics: atomic adds. */
	unsigned long nr_alloc_fail;	/* requests this zone could not serve */
} zone_t;

typedef struct zonelist_struct {
	zone_t *zones[MAX_NR_ZONES + 1];	/* NULL terminated */
} zonelist_t;

typedef struct pglist_data {
	zone_t node_zones[MAX_NR_ZONES];
	zonelist_t node_zonelists[GFP_ZONEMASK + 1];
	int nr_zones;			/* zones with frames */
	struct page *node_mem_map;
	struct bootmem_data *bdata;
	unsigned long node_start_paddr;
	unsigned long node_start_mapnr;
	unsigned long node_size;	/* frames */
	int node_id;
} pg_data_t;

extern pg_data_t contig_page_data;
extern zone_t *zone_table[MAX_NR_ZONES];
extern const char *const zone_names[MAX_NR_ZONES];

static inline unsigned long zone_free_pages(const zone_t *z)
{
	return __atomic_load_n(&z->free_pages, __ATOMIC_RELAXED);
}

static inline int zone_idx(const zone_t *z)
{
	return (int)(z - z->zone_pgdat->node_zones);
}

/* Iterate the zones that have frames. */
#define for_each_zone(z) \
	for ((z) = contig_page_data.node_zones; \
	     (z) < contig_page_data.node_zones + MAX_NR_ZONES; (z)++) \
		if ((z)->size == 0) {} else

#endif
