/*
 * vm/pageset.h - per-thread hot/cold page lists (2.6's per_cpu_pageset,
 * the "pageset" DESIGN asks for) and the bulk buddy operations they use.
 * Internal to vm/: the rest of the world calls alloc_pages()/__free_pages().
 *
 * Order-0 allocations and frees go through the calling thread's lists:
 * a pop or push under the slot's own lock.  Only when a list runs dry
 * (count <= low) or overflows (count >= high) is zone->lock taken, to move
 * `batch` pages at once.  Pages on these lists are not counted in
 * zone->free_pages: they are neither free in the buddy sense nor in use.
 */
#ifndef IMGFS_VM_PAGESET_H
#define IMGFS_VM_PAGESET_H

#include "vm/mm.h"

/* Size the lists from the zone's size (2.6.9 zone_batchsize). */
void pageset_init(zone_t *zone);
void pageset_destroy(zone_t *zone);

/* An order-N block from zone, through the lists for order 0.  NULL if the
 * zone has none.  The caller has checked the watermarks. */
struct page *buffered_rmqueue(zone_t *zone, unsigned int order, int cold);

/* Give an order-0 page whose count reached zero to this thread's list. */
void free_hot_cold_page(struct page *page, int cold);

/* Empty slot cpu's lists into the zones (a thread exiting, a drain). */
void drain_cpu_pages(int cpu);

/* Pages sitting on all slots' lists of zone. */
unsigned long pageset_pages(zone_t *zone);

/* From page_alloc.c, for the lists: caller holds no lock; they take
 * zone->lock once for the whole batch. */
int rmqueue_bulk(zone_t *zone, unsigned int order, int count,
		 struct list_head *list);
void free_pages_bulk(zone_t *zone, int count, struct list_head *list,
		     unsigned int order);

/* From page_alloc.c: caller holds zone->lock. */
struct page *__rmqueue(zone_t *zone, unsigned int order);
void __free_one_page(struct page *page, zone_t *zone, unsigned int order);

/* Set up a page handed out by the allocator (count 1, checks, debug). */
void prep_new_page(struct page *page, unsigned int order);
/* Checks and debug poisoning of a page about to be freed. */
void free_pages_check(struct page *page, unsigned int order);

#endif
