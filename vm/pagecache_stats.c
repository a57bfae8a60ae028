/*
 * vm/pagecache_stats.c - the page cache's gauges in /proc/vmstat and
 * /proc/meminfo (through vmstat_set_extra / meminfo_set_extra, which this
 * layer owns; the bounce path's pool gauges are printed from here too).
 *
 *   vmstat:  nr_dirty nr_writeback nr_pagecache nr_buffer_pages
 *            nr_active nr_inactive, then the bounce pools
 *   meminfo: Buffers (pages of block-device mappings), Cached (the rest
 *            of the page cache), Active, Inactive, Dirty, Writeback, Bounce
 *
 * The event counters (pgpgin, pgscan, pgcache_hit, ...) are printed by
 * vmstat_render itself.  Locking: none; every value is read racily, as
 * the kernel's are.
 */
#include "vm/bounce.h"
#include "vm/pagemap.h"
#include "vm/seq_buf.h"
#include "vm/swap.h"
#include "vm/vmstat.h"

static unsigned long positive(long v)
{
	return v > 0 ? (unsigned long)v : 0;
}

static void pagecache_vmstat(struct seq_buf *s)
{
	seq_printf(s, "nr_dirty %lu\n", positive(nr_dirty_pages()));
	seq_printf(s, "nr_writeback %lu\n", positive(nr_writeback_pages()));
	seq_printf(s, "nr_pagecache %lu\n", page_cache_pages());
	seq_printf(s, "nr_buffer_pages %lu\n", buffer_cache_pages());
	seq_printf(s, "nr_active %lu\n", READ_ONCE(nr_active_pages));
	seq_printf(s, "nr_inactive %lu\n", READ_ONCE(nr_inactive_pages));
	bounce_render(s);
}

static void pagecache_meminfo(struct meminfo_extra *mi)
{
	struct bounce_pool_stats bs;
	unsigned long cache = page_cache_pages(), buffers = buffer_cache_pages();

	bounce_get_pool_stats(&bs);
	mi->buffers = buffers;
	mi->cached = cache > buffers ? cache - buffers : 0;
	mi->active = READ_ONCE(nr_active_pages);
	mi->inactive = READ_ONCE(nr_inactive_pages);
	mi->dirty = positive(nr_dirty_pages());
	mi->writeback = positive(nr_writeback_pages());
	mi->bounce = positive(bs.nr_bounce_pages);
}

void pagecache_stats_on(void)
{
	vmstat_set_extra(pagecache_vmstat);
	meminfo_set_extra(pagecache_meminfo);
}

void pagecache_stats_off(void)
{
	vmstat_set_extra(NULL);
	meminfo_set_extra(NULL);
}
