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
 * Metadata is not the VM's to know: a layer above registers a hook
 * (register_writeback_hook, as the inode cache registers its shrinker
 * with reclaim) that the expiry pass calls first with the same cut-off,
 * so it writes its own dirty objects - inodes, the super block - the way
 * 2.4's kupdate called sync_supers and sync_old_inodes before
 * sync_old_buffers.
 *
 * Locking: the dirty-mapping list is under pagecache_lock; the thread's
 * own state under flusher_lock (a leaf lock).  Hooks are called with no
 * lock held.
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
 * Called by every expiry pass (writeback_run) before the pages, with no
 * lock held: write back what was dirtied no later than older_than (a
 * vm_jiffies() value) and is not in a page of a mapping.  0, or -ENOSPC
 * when WRITEBACK_HOOKS are registered already.
 */
typedef void (*writeback_hook_fn)(unsigned long older_than);
#define WRITEBACK_HOOKS	4
int register_writeback_hook(writeback_hook_fn fn);
void unregister_writeback_hook(writeback_hook_fn fn);

/*
 * One flusher pass from the calling thread: the hooks, then write what has
 * expired, and oldest-first while over the background share.  Returns
 * pages written.
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
