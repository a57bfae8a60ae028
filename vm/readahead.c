/*
 * vm/readahead.c - reading ahead of a sequential reader (2.4 mm/filemap.c
 * generic_file_readahead, with 2.6's two-window form).
 *
 * The rule.  A file being read has a current window [start, start+size)
 * and an ahead window right after it, both already submitted.  A read of
 * the page after the previous one with no window open (the start of a
 * file, or the first step after a seek) opens a current window of
 * VM_MIN_READAHEAD pages and an ahead window twice that.  When the reader
 * steps into the ahead window, it becomes current and a new ahead window,
 * twice as large (at most ra_pages), is submitted behind it: the reads
 * stay one window in front of the reader and grow while it keeps going.
 * A read anywhere else closes the windows: random reads read only what
 * they need.
 *
 * Reads are asynchronous: each page is added to the cache locked and
 * handed to readpage, whose completion unlocks it; the reader waits for
 * the page only when it gets there.  The window is submitted under one
 * plug so its pages merge into large requests.
 *
 * Locking: pagecache_lock for the lookups; nothing is held while
 * allocating.  The file_ra_state belongs to its reader.
 */
#include <errno.h>
#include <string.h>
#include "vm/pagemap.h"

void file_ra_state_init(struct file_ra_state *ra)
{
	memset(ra, 0, sizeof(*ra));
	ra->prev_page = ~0UL;
	ra->ra_pages = VM_MAX_READAHEAD;
}

static int page_cached(struct address_space *mapping, unsigned long index)
{
	struct page *page;

	spin_lock(&pagecache_lock);
	page = __find_page_nolock(mapping, index);
	spin_unlock(&pagecache_lock);
	return page != NULL;
}

/* A new page at index, handed to readpage.  0, or -errno to stop. */
static int read_ahead_one(struct address_space *mapping, unsigned long index)
{
	struct page *page = alloc_pages(mapping->gfp_mask | __GFP_COLD | __GFP_NOWARN, 0);

	if (!page)
		return -ENOMEM;
	if (add_to_page_cache(page, mapping, index)) {
		page_cache_release(page);	/* someone else added it */
		return 0;
	}
	mapping->a_ops->readpage(page);	/* unlocks it when the read ends */
	page_cache_release(page);
	return 1;
}

unsigned long do_page_cache_readahead(struct address_space *mapping,
				      unsigned long start, unsigned long nr,
				      unsigned long last_index)
{
	unsigned long i, started = 0;

	if (!mapping->a_ops->readpage)
		return 0;
	io_start_plug();
	for (i = 0; i < nr && start + i <= last_index; i++) {
		int ret;

		if (page_cached(mapping, start + i))
			continue;
		ret = read_ahead_one(mapping, start + i);
		if (ret < 0)
			break;	/* memory is short: the reader will read itself */
		started += (unsigned long)ret;
	}
	io_finish_plug();
	return started;
}

static unsigned long min_ul(unsigned long a, unsigned long b)
{
	return a < b ? a : b;
}

/* Submit the window after the current one, twice its size. */
static void submit_ahead(struct address_space *mapping, struct file_ra_state *ra,
			 unsigned long last_index)
{
	ra->ahead_start = ra->start + ra->size;
	ra->ahead_size = min_ul(ra->size * 2, ra->ra_pages);
	if (ra->ahead_start > last_index) {
		ra->ahead_size = 0;
		return;
	}
	do_page_cache_readahead(mapping, ra->ahead_start, ra->ahead_size, last_index);
}

static int in_windows(const struct file_ra_state *ra, unsigned long index)
{
	return ra->size && index >= ra->start &&
	       index < ra->ahead_start + ra->ahead_size;
}

void page_cache_readahead(struct address_space *mapping, struct file_ra_state *ra,
			  unsigned long index, unsigned long last_index)
{
	if (index == ra->prev_page)
		return;
	if (!ra->ra_pages) {
		ra->prev_page = index;
		return;
	}
	if (in_windows(ra, index)) {
		if (ra->ahead_size && index >= ra->ahead_start) {
			ra->start = ra->ahead_start;
			ra->size = ra->ahead_size;
			submit_ahead(mapping, ra, last_index);
		}
	} else if (index == ra->prev_page + 1) {
		ra->start = index;
		ra->size = min_ul(VM_MIN_READAHEAD, ra->ra_pages);
		do_page_cache_readahead(mapping, ra->start, ra->size, last_index);
		submit_ahead(mapping, ra, last_index);
	} else {
		ra->size = ra->ahead_size = 0;
	}
	ra->prev_page = index;
}
