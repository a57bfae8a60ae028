/*
 * fs/fs_writeback.c - the flusher's pass over mounted super blocks: what
 * 2.4's kupdate did besides old buffers (sync_supers, sync_old_inodes),
 * run as the hook fs/ registers with the VM's flusher.
 *
 * The VM's flusher writes pages, including those of the block-device
 * mapping (directory blocks, bitmaps, group descriptors, indirect blocks)
 * dirty longer than its age.  Two kinds of dirt live outside any page
 * until someone copies them in: dirty inodes (fields newer than their
 * slot in the inode table) and the super block's counters.  Each pass
 * copies those older than the same age into their buffers, and then
 * starts the block-device mapping's write-back at once: the buffers they
 * went into may have been clean, and their age counts from when the
 * inode or counter changed, not from the copy.
 *
 * Interface and locking: fs/inode.h.  sb_writeback_sem is taken by the
 * flusher for a whole pass and by enable/disable, never under an fs lock.
 */
#include <errno.h>
#include <pthread.h>
#include "fs/buffer.h"
#include "fs/inode.h"
#include "vm/writeback.h"

static pthread_mutex_t sb_writeback_sem = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(writeback_sbs);		/* sb_writeback_sem */
static int nr_writeback_sbs;			/* sb_writeback_sem */

static void kupdate_hook(unsigned long older_than)
{
	sync_old_supers(older_than);
}

int sb_writeback_enable(struct super_block *sb)
{
	int err = 0;

	pthread_mutex_lock(&sb_writeback_sem);
	if (!nr_writeback_sbs)
		err = register_writeback_hook(kupdate_hook);
	if (!err) {
		nr_writeback_sbs++;
		list_add_tail(&sb->s_wb_list, &writeback_sbs);
	}
	pthread_mutex_unlock(&sb_writeback_sem);
	return err;
}

void sb_writeback_disable(struct super_block *sb)
{
	pthread_mutex_lock(&sb_writeback_sem);
	if (!list_empty(&sb->s_wb_list)) {
		list_del_init(&sb->s_wb_list);
		if (!--nr_writeback_sbs)
			unregister_writeback_hook(kupdate_hook);
	}
	pthread_mutex_unlock(&sb_writeback_sem);
}

void sb_mark_dirty(struct super_block *sb)
{
	unsigned long none = 0, now = vm_jiffies();

	if (__atomic_load_n(&sb->s_dirt, __ATOMIC_RELAXED))
		return;
	__atomic_compare_exchange_n(&sb->s_dirt, &none, now ? now : 1, 0,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* write_super if it has been due since older_than.  1 if called. */
static int sync_old_super(struct super_block *sb, unsigned long older_than)
{
	unsigned long when = __atomic_load_n(&sb->s_dirt, __ATOMIC_RELAXED);

	if (!when || time_after(when, older_than) || !sb->s_op->write_super)
		return 0;
	/* cleared first: a change made while we copy marks it again */
	if (!__atomic_compare_exchange_n(&sb->s_dirt, &when, 0, 0,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return 0;
	sb->s_op->write_super(sb);
	return 1;
}

void sync_old_supers(unsigned long older_than)
{
	struct list_head *pos;

	pthread_mutex_lock(&sb_writeback_sem);
	list_for_each(pos, &writeback_sbs) {
		struct super_block *sb = list_entry(pos, struct super_block, s_wb_list);
		struct address_space *mapping = bdev_mapping(sb->s_bdev);
		int n = sync_old_inodes(sb, older_than);

		n += sync_old_super(sb, older_than);
		if (n && mapping)
			filemap_fdatasync(mapping);
	}
	pthread_mutex_unlock(&sb_writeback_sem);
}
