/*
 * vm/writeback.h - the flusher: writing dirty page-cache data back in the
 * background (2.4's bdflush and kupdate in one thread; 2.6's pdflush
 * policy of dirty_expire / dirty_background_ratio / dirty_ratio).
 *
 * The flusher wakes every interval_ms and writes every page dirtied more
 * than expire_ms ago; when woken early (wakeup_flusher: writers over the
 * background share, reclaim finding dirty pages, the bounce path short of
 * pages) it also writes oldest-first until dirty pages are below
 * background_ratio percent of the memory the page cache can use.  Writers
 * that push dirty + writeback above dirty_ratio percent write some of
 * their own pages and wait for completions (balance_dirty_pages).
 *
 * Locking: the dirty-mapping list is under pagecache_lock; the thread's
 * own state under flusher_lock (a leaf lock).
 */
#ifndef IMGFS_VM_WRITEBACK_H
#define IMGFS_VM_WRITEBACK_H

struct address_space;

struct writeback_params {
	unsigned int expire_ms;		/* dirty longer than this: write (30000) */
	unsigned int interval_ms;	/* how often to look (5000) */
	unsigned int background_ratio;	/* % of cacheable memory (10) */
	unsigned int dirty_ratio;	/* % where writers are throttled (40) */
};

/* Default parameters, the bounce path's hook (page_cache_init); stop. */
void writeback_init(void);
void writeback_exit(void);

void writeback_get_params(struct writeback_params *p);
/* 0, or -EINVAL (zero interval, ratios above 100 or background > dirty). */
int writeback_set_params(const struct writeback_params *p);
void writeback_params_default(void);

int flusher_start(void);
void flusher_stop(void);
void wakeup_flusher(void);

/*
 * One flusher pass from the calling thread: write what has expired, and
 * oldest-first while over the background share.  Returns pages written.
 */
unsigned long writeback_run(int background);

/* Write up to nr dirty pages of mapping, oldest first, without blocking
 * on busy buffers.  Returns pages submitted. */
unsigned long writeback_mapping(struct address_space *mapping, unsigned long nr,
				unsigned long older_than);

/* After dirtying pages of mapping: throttle if dirty memory is too high. */
void balance_dirty_pages(struct address_space *mapping);

/* Dirty / writeback thresholds in pages, from the current memory. */
void dirty_thresholds(unsigned long *background, unsigned long *limit);

/* Mappings with dirty pages (the flusher's list); pagecache_lock. */
void __mark_mapping_dirty(struct address_space *mapping, unsigned long now);
void __unlist_dirty_mapping(struct address_space *mapping);

#endif
