/*
 * vm/mm.h - struct page and mem_map (book 3.3).
 *
 * Every frame of the arena has one struct page in mem_map, which the boot
 * memory allocator placed in low memory.  The zone a frame belongs to is
 * kept in the top bits of page->flags and found through zone_table[], as
 * 2.4.18 and later do (book 3.3.1).
 *
 * Which lock protects which field:
 *   list        zone->lock while the page is free (buddy free list, per-cpu
 *               list under its pageset lock); cache/slab pointers while it
 *               is a slab page (set once); pagecache_lock on an inode queue
 *   mapping, index, next_hash, pprev_hash   pagecache_lock
 *   lru         pagemap_lru_lock
 *   count, flags  atomic operations
 *   virtual     kmap_lock (strict kmap); NULL for low pages
 *   buffers     the page lock
 */
#ifndef IMGFS_VM_MM_H
#define IMGFS_VM_MM_H

#include "vm/mmzone.h"
#include "vm/gfp.h"
#include "vm/arena.h"

struct address_space;
struct buffer_head;

struct page {
	struct list_head list;
	struct address_space *mapping;
	unsigned long index;
	struct page *next_hash;
	atomic_t count;
	unsigned long flags;
	struct list_head lru;
	struct page **pprev_hash;
	struct buffer_head *buffers;
	void *virtual;
	unsigned long private;	/* owner's use (slab: unused; bounce: original bh) */
};

/* page->flags bits (2.4 numbering, plus PG_writeback from 2.6). */
#define PG_locked	0
#define PG_error	1
#define PG_referenced	2
#define PG_uptodate	3
#define PG_dirty	4
#define PG_lru		6
#define PG_active	7
#define PG_slab		8
#define PG_skip		10
#define PG_highmem	11
#define PG_checked	12
#define PG_arch_1	13
#define PG_reserved	14
#define PG_launder	15
#define PG_writeback	16
#define PG_bounce	17	/* a bounce page: completion copies and frees */
#define PG_wb_failed	18	/* its last write-back failed: it is dirty again,
				 * and a second failure is a lasting one */

#define ZONE_SHIFT	(BITS_PER_LONG - 8)

extern struct page *mem_map;
extern unsigned long num_physpages;	/* frames in the arena */
extern unsigned long max_low_pfn;	/* first frame past low memory */
extern unsigned long highstart_pfn;	/* == max_low_pfn */
extern unsigned long max_pfn;		/* == num_physpages */

static inline zone_t *page_zone(const struct page *page)
{
	/* Other bits of the word change atomically under us: load it once. */
	return zone_table[__atomic_load_n(&page->flags, __ATOMIC_RELAXED) >> ZONE_SHIFT];
}

static inline void set_page_zone(struct page *page, unsigned long zone_num)
{
	page->flags &= ~(~0UL << ZONE_SHIFT);
	page->flags |= zone_num << ZONE_SHIFT;
}

static inline unsigned long page_to_pfn(const struct page *page)
{
	return (unsigned long)(page - mem_map);
}

static inline struct page *pfn_to_page(unsigned long pfn)
{
	return mem_map + pfn;
}

#define PAGE_FLAG_OPS(name, bit) \
static inline int Page##name(const struct page *p) { return test_bit(bit, &p->flags); } \
static inline void SetPage##name(struct page *p) { set_bit(bit, &p->flags); } \
static inline void ClearPage##name(struct page *p) { clear_bit(bit, &p->flags); } \
static inline int TestSetPage##name(struct page *p) { return test_and_set_bit(bit, &p->flags); } \
static inline int TestClearPage##name(struct page *p) { return test_and_clear_bit(bit, &p->flags); }

PAGE_FLAG_OPS(Locked, PG_locked)
PAGE_FLAG_OPS(Error, PG_error)
PAGE_FLAG_OPS(Referenced, PG_referenced)
PAGE_FLAG_OPS(Uptodate, PG_uptodate)
PAGE_FLAG_OPS(Dirty, PG_dirty)
PAGE_FLAG_OPS(LRU, PG_lru)
PAGE_FLAG_OPS(Active, PG_active)
PAGE_FLAG_OPS(Slab, PG_slab)
PAGE_FLAG_OPS(HighMem, PG_highmem)
PAGE_FLAG_OPS(Checked, PG_checked)
PAGE_FLAG_OPS(Reserved, PG_reserved)
PAGE_FLAG_OPS(Launder, PG_launder)
PAGE_FLAG_OPS(Writeback, PG_writeback)
PAGE_FLAG_OPS(Bounce, PG_bounce)
PAGE_FLAG_OPS(WbFailed, PG_wb_failed)

static inline int page_count(const struct page *p)
{
	return atomic_read(&p->count);
}

static inline void set_page_count(struct page *p, int v)
{
	atomic_set(&p->count, v);
}

static inline void get_page(struct page *p)
{
	VM_BUG_ON(atomic_read(&p->count) <= 0);
	atomic_inc(&p->count);
}

/* Drops a reference; true when it was the last.  Going below zero is a BUG. */
static inline int put_page_testzero(struct page *p)
{
	int c = atomic_dec_return(&p->count);

	VM_BUG_ON(c < 0);
	return c == 0;
}

void put_page(struct page *page);

/*
 * Physical addresses are offsets into the arena; the direct map covers low
 * memory only.  __va() of a high address, or page_address() of a high page,
 * is a BUG: high pages are reached through kmap().
 */
static inline void *__va(unsigned long paddr)
{
	VM_BUG_ON(paddr >= arena.low_size);
	return arena.base + paddr;
}

static inline unsigned long __pa(const void *vaddr)
{
	unsigned long off = (unsigned long)((const char *)vaddr - arena.base);

	VM_BUG_ON((const char *)vaddr < arena.base || off >= arena.low_size);
	return off;
}

static inline void *page_address(const struct page *page)
{
	VM_BUG_ON(PageHighMem(page));
	return arena.base + (page_to_pfn(page) << PAGE_SHIFT);
}

static inline struct page *virt_to_page(const void *vaddr)
{
	return pfn_to_page(__pa(vaddr) >> PAGE_SHIFT);
}

/* True if addr lies in the direct map of low memory. */
static inline int virt_addr_valid(const void *vaddr)
{
	const char *p = vaddr;

	return p >= arena.base && p < arena.base + arena.low_size;
}

#endif
