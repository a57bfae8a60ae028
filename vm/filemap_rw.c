/*
 * vm/filemap_rw.c - the generic read and write paths through the page
 * cache (2.4 mm/filemap.c do_generic_file_read, generic_file_write).
 *
 * Read: for each page, let readahead see the access, look the page up; on
 * a miss add a new page and readpage it; wait for it to be uptodate (a
 * read in flight, perhaps readahead's); copy out under kmap_atomic and
 * the page lock; mark it accessed (the first touch of a page in this
 * read, not each chunk).  2.4 copies out with no lock and lets a reader
 * see a write half done; here the copy takes the page lock the writer
 * copies in under, so a reader sees each page's part of a write whole or
 * not at all, and the copy is no data race in C11's terms.
 *
 * Write: for each page, grab it locked, prepare_write the byte range (the
 * filesystem maps blocks and reads what a partial write does not cover),
 * copy in, commit_write (marks buffers and the page dirty), unlock, and
 * let balance_dirty_pages throttle the writer if dirty memory is high.
 *
 * Interface: vm/pagemap.h.  Locking: the page lock around prepare/copy/
 * commit, and around the copy out; nothing held while allocating.  The caller
 * serialises writers of one file (i_sem) and owns the file size.
 */
#include <errno.h>
#include <string.h>
#include "vm/highmem.h"
#include "vm/pagemap.h"
#include "vm/swap.h"
#include "vm/vmstat.h"
#include "vm/writeback.h"

/* Page referenced by us, not uptodate: get it read.  0 or -errno. */
static int read_page_sync(struct address_space *mapping, struct page *page)
{
	int err;

	wait_on_page(page);	/* a read may already be in flight */
	if (PageUptodate(page))
		return 0;
	lock_page(page);
	if (page->mapping != mapping) {
		unlock_page(page);
		return -EAGAIN;	/* truncated: look it up again */
	}
	if (PageUptodate(page)) {
		unlock_page(page);
		return 0;
	}
	ClearPageError(page);
	err = mapping->a_ops->readpage(page);
	if (err)
		return err;
	wait_on_page(page);
	return PageUptodate(page) ? 0 : -EIO;
}

/* A new page at index, read.  Referenced page, NULL (-EEXIST: raced). */
static struct page *add_and_read(struct address_space *mapping, unsigned long index,
				 int *err)
{
	struct page *page = page_cache_alloc(mapping);

	if (!page) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = add_to_page_cache(page, mapping, index);
	if (*err)
		goto out_release;
	*err = mapping->a_ops->readpage(page);
	if (*err)
		goto out_release;
	wait_on_page(page);
	if (PageUptodate(page))
		return page;
	*err = -EIO;
out_release:
	page_cache_release(page);
	return NULL;
}

/*
 * The page at index, uptodate, referenced, starting from page (the first
 * lookup's result, maybe NULL).  NULL and *err on failure.
 */
static struct page *get_read_page(struct address_space *mapping, unsigned long index,
				  struct page *page, int *err)
{
	for (;;) {
		if (!page)
			page = find_get_page(mapping, index);
		if (!page) {
			page = add_and_read(mapping, index, err);
			if (page || *err != -EEXIST)
				return page;
			continue;
		}
		if (PageUptodate(page))
			return page;
		*err = read_page_sync(mapping, page);
		if (!*err)
			return page;
		page_cache_release(page);
		page = NULL;
		if (*err != -EAGAIN)
			return NULL;
	}
}

/* Takes the page lock: writers copy in under it (write_one_chunk). */
static void copy_from_page(char *dst, struct page *page, unsigned int offset,
			   unsigned int len)
{
	char *kaddr;

	lock_page(page);
	kaddr = kmap_atomic(page, KM_USER0);
	memcpy(dst, kaddr + offset, len);
	kunmap_atomic(kaddr, KM_USER0);
	unlock_page(page);
}

/* Caller holds the page lock. */
static void copy_to_page(struct page *page, unsigned int offset, const char *src,
			 unsigned int len)
{
	char *kaddr;

	VM_BUG_ON(!PageLocked(page));
	kaddr = kmap_atomic(page, KM_USER0);

	memcpy(kaddr + offset, src, len);
	kunmap_atomic(kaddr, KM_USER0);
}

ssize_t generic_file_read(struct address_space *mapping, struct file_ra_state *ra,
			  char *buf, size_t len, loff_t pos, loff_t isize)
{
	unsigned long last_index;
	size_t copied = 0;
	int err = 0;

	if (pos < 0)
		return -EINVAL;
	if (pos >= isize || !len)
		return 0;
	if ((loff_t)len > isize - pos)
		len = (size_t)(isize - pos);
	last_index = (unsigned long)((isize - 1) >> PAGE_SHIFT);
	while (copied < len) {
		unsigned long index = (unsigned long)(pos >> PAGE_SHIFT);
		unsigned int offset = (unsigned int)(pos & ~PAGE_MASK);
		unsigned int nr = PAGE_SIZE - offset;
		int first_touch = index != ra->prev_page;
		struct page *page;

		if (nr > len - copied)
			nr = (unsigned int)(len - copied);
		/* Hit or miss is what the reader found, before readahead. */
		page = find_get_page(mapping, index);
		count_vm_event(page ? PGCACHE_HIT : PGCACHE_MISS);
		page_cache_readahead(mapping, ra, index, last_index);
		page = get_read_page(mapping, index, page, &err);
		if (!page)
			break;
		if (first_touch)
			mark_page_accessed(page);
		copy_from_page(buf + copied, page, offset, nr);
		page_cache_release(page);
		copied += nr;
		pos += nr;
	}
	return copied ? (ssize_t)copied : err;
}

/* One page's part of a write.  0 or -errno; the page is released. */
static int write_one_chunk(struct address_space *mapping, struct page *page,
			   unsigned int offset, const char *src, unsigned int nr)
{
	const struct address_space_operations *a_ops = mapping->a_ops;
	int err;

	err = a_ops->prepare_write(page, offset, offset + nr);
	if (err)
		goto out_unlock;
	copy_to_page(page, offset, src, nr);
	err = a_ops->commit_write(page, offset, offset + nr);
	SetPageReferenced(page);
out_unlock:
	unlock_page(page);
	page_cache_release(page);
	return err;
}

ssize_t generic_file_write(struct address_space *mapping, const char *buf,
			   size_t len, loff_t pos)
{
	size_t written = 0;
	int err = 0;

	if (pos < 0)
		return -EINVAL;
	if (!mapping->a_ops->prepare_write || !mapping->a_ops->commit_write)
		return -EINVAL;
	while (written < len) {
		unsigned long index = (unsigned long)(pos >> PAGE_SHIFT);
		unsigned int offset = (unsigned int)(pos & ~PAGE_MASK);
		unsigned int nr = PAGE_SIZE - offset;
		struct page *page;

		if (nr > len - written)
			nr = (unsigned int)(len - written);
		page = grab_cache_page(mapping, index);
		if (!page) {
			err = -ENOMEM;
			break;
		}
		err = write_one_chunk(mapping, page, offset, buf + written, nr);
		if (err)
			break;
		written += nr;
		pos += nr;
		balance_dirty_pages(mapping);
	}
	return written ? (ssize_t)written : err;
}
