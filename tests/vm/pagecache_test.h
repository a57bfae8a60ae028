/*
 * tests/vm/pagecache_test.h - what the page-cache suites share: a mapping
 * backed by a plain array (the "store") whose a_ops copy pages in and out
 * synchronously, or leave writes in flight for the test to finish, and
 * probes that say which inode queue and which LRU list a page is on.
 *
 * The store is test memory (libc); the pages under test come from the VM.
 */
#ifndef IMGFS_TESTS_PAGECACHE_TEST_H
#define IMGFS_TESTS_PAGECACHE_TEST_H

#include "tests/vm/vm_test.h"
#include "vm/pagemap.h"
#include "vm/swap.h"

#define STORE_MAX_DEFERRED	256

struct store_mapping {
	struct address_space mapping;
	unsigned char *data;		/* pages * PAGE_SIZE bytes */
	unsigned long pages;
	int reads, writes;		/* atomic: readpage / writepage calls */
	int defer_writeback;		/* leave writes in flight (deferred[]) */
	int fail_writes;		/* complete writes with -EIO */
	struct page *deferred[STORE_MAX_DEFERRED];
	int ndeferred;
};

/* Counters that other threads (kswapd, the flusher) bump. */
#define store_writes(sm)	__atomic_load_n(&(sm)->writes, __ATOMIC_RELAXED)
#define store_reads(sm)		__atomic_load_n(&(sm)->reads, __ATOMIC_RELAXED)

/* A store of pages pages filled with store_pat(seed); gfp for the pages;
 * flags AS_* (AS_BDEV to pose as metadata). */
void store_init(struct store_mapping *sm, unsigned long pages, unsigned int gfp,
		unsigned int flags, unsigned int seed);
/* Truncate the mapping, destroy it, free the store. */
void store_destroy(struct store_mapping *sm);
/* Finish the deferred writes (with error if err). */
void store_complete_deferred(struct store_mapping *sm, int err);

static inline unsigned char store_pat(unsigned long off, unsigned int seed)
{
	unsigned int x = (unsigned int)(off >> 2) * 2654435761u + seed * 7919u;

	return (unsigned char)((x >> 24) ^ (off & 3));
}

/* Check bytes [off, off+len) of buf against store_pat(seed); 0 if equal. */
int pat_check(const unsigned char *buf, unsigned long off, unsigned long len,
	      unsigned int seed);
void pat_fill(unsigned char *buf, unsigned long off, unsigned long len, unsigned int seed);

/* Add a new page at index of sm's mapping and read it (uptodate, unlocked,
 * referenced by the caller). */
struct page *store_read_page(struct store_mapping *sm, unsigned long index);

enum { Q_NONE = -1, Q_CLEAN, Q_DIRTY, Q_LOCKED };
enum { LRU_NONE, LRU_INACTIVE, LRU_ACTIVE };
/* Which inode queue of its mapping holds page (walks the lists). */
int page_queue(struct page *page);
/* Which LRU list holds page (walks them), checked against the flags. */
int page_lru(struct page *page);

/* The byte at off of a page-cache page (kmap). */
unsigned char page_byte(struct page *page, unsigned int off);

#endif
