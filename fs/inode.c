/*
 * fs/inode.c - the inode cache (2.4 fs/inode.c: iget, iput, the hash,
 * inode_in_use/inode_unused/sb->s_dirty, prune_icache; 2.6's
 * iget_locked/unlock_new_inode for filling a new inode outside the lock).
 *
 * Every cached inode is hashed on (sb, ino) and sits on exactly one list:
 *
 *   sb->s_dirty    I_DIRTY: its fields must still reach the inode table
 *   inode_in_use   clean, referenced (i_count > 0)
 *   inode_unused   clean, unreferenced: kept for reuse, oldest at the tail
 *
 * iput first offers the filesystem s_op->put_inode when the reference
 * may be the last (ext2 gives back its preallocation there, as 2.4 did).
 * The last iput of an inode whose link count is 0 deletes it
 * (s_op->delete_inode) and frees it; of any other inode it leaves it
 * cached.  prune_icache(), the reclaim shrinker, frees unused inodes whose
 * pages are clean (dirty pages need the inode to be written).  An inode
 * being read (I_NEW) or freed (I_FREEING) stays hashed, and lookups of its
 * number sleep on inode_wait until it is ready or gone: the number may be
 * reallocated only once the old inode has left the hash.
 *
 * sb->s_dirty runs oldest first (dirtied_when), so the flusher's
 * sync_old_inodes stops at the first inode younger than its cut-off.
 *
 * Interface and locking: fs/inode.h.  inode_lock is held only for list,
 * hash and state changes, never across I/O or filesystem calls.
 */
#include <errno.h>
#include <string.h>
#include "fs/inode.h"
#include "vm/slab.h"
#include "vm/swap.h"

#define INODE_HASH_BITS	10
#define INODE_HASH_SIZE	(1U << INODE_HASH_BITS)

static spinlock_t inode_lock;
static wait_queue_head_t inode_wait;		/* I_NEW / I_FREEING cleared */
static struct list_head inode_hashtable[INODE_HASH_SIZE];
static LIST_HEAD(inode_in_use);
static LIST_HEAD(inode_unused);
static LIST_HEAD(super_blocks);
static unsigned long nr_inodes, nr_unused;	/* inode_lock */
static int icache_users;			/* icache_init_lock */
static pthread_mutex_t icache_init_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned int hashfn(const struct super_block *sb, unsigned long ino)
{
	unsigned long h = ino * 0x9e3779b97f4a7c15UL ^ ((unsigned long)sb >> 6);

	return (unsigned int)((h ^ (h >> 31)) & (INODE_HASH_SIZE - 1));
}

/* ---- set-up ---------------------------------------------------------- */

static int sync_unused_inodes(int nr);

/* The counters are plain, under inode_lock: readers take it too. */
static unsigned long icache_count(const unsigned long *counter)
{
	unsigned long n;

	spin_lock(&inode_lock);
	n = *counter;
	spin_unlock(&inode_lock);
	return n;
}

/*
 * The reclaim shrinker.  An inode no one holds but whose fields are newer
 * than the inode table sits on s_dirty, where prune_icache cannot take
 * it: copy such inodes into their (dirty) buffers first, which needs no
 * I/O, so that the cache can shrink before the flusher's next pass (2.4's
 * try_to_sync_unused_inodes).  Run only with __GFP_FS (vmscan.c).
 */
static int shrink_icache_memory(int priority, unsigned int gfp_mask)
{
	unsigned long n, unused;

	(void)gfp_mask;
	n = icache_count(&nr_inodes);
	if (priority > 0)
		n /= (unsigned long)priority;
	if (!n)
		n = 1;
	unused = icache_count(&nr_unused);
	if (unused < n)
		sync_unused_inodes((int)(n - unused));
	return prune_icache((int)n);
}

int inode_cache_init(void)
{
	unsigned int i;
	int err = 0;

	pthread_mutex_lock(&icache_init_lock);
	if (icache_users++)
		goto out;
	spin_lock_init(&inode_lock);
	init_waitqueue_head(&inode_wait);
	for (i = 0; i < INODE_HASH_SIZE; i++)
		INIT_LIST_HEAD(&inode_hashtable[i]);
	err = register_shrinker(shrink_icache_memory);
	if (err) {
		icache_users--;
		spin_lock_destroy(&inode_lock);
		destroy_waitqueue_head(&inode_wait);
	}
out:
	pthread_mutex_unlock(&icache_init_lock);
	return err;
}

void inode_cache_exit(void)
{
	pthread_mutex_lock(&icache_init_lock);
	if (--icache_users == 0) {
		VM_BUG_ON(nr_inodes);
		unregister_shrinker(shrink_icache_memory);
		spin_lock_destroy(&inode_lock);
		destroy_waitqueue_head(&inode_wait);
	}
	pthread_mutex_unlock(&icache_init_lock);
}

void inode_sb_init(struct super_block *sb)
{
	INIT_LIST_HEAD(&sb->s_inodes);
	INIT_LIST_HEAD(&sb->s_dirty);
	INIT_LIST_HEAD(&sb->s_wb_list);
	sb->s_dirt = 0;
	spin_lock(&inode_lock);
	list_add(&sb->s_list, &super_blocks);
	spin_unlock(&inode_lock);
}

void inode_sb_exit(struct super_block *sb)
{
	spin_lock(&inode_lock);
	VM_BUG_ON(!list_empty(&sb->s_inodes));
	list_del(&sb->s_list);
	spin_unlock(&inode_lock);
}

void inode_init_once(struct inode *inode)
{
	memset(inode, 0, sizeof(*inode));
	INIT_LIST_HEAD(&inode->i_hash);
	INIT_LIST_HEAD(&inode->i_list);
	INIT_LIST_HEAD(&inode->i_sb_list);
	pthread_mutex_init(&inode->i_sem, NULL);
}

void inode_destroy_once(struct inode *inode)
{
	pthread_mutex_destroy(&inode->i_sem);
}

/* ---- lookup ----------------------------------------------------------- */

/* Caller holds inode_lock. */
static struct inode *__find_inode(struct super_block *sb, unsigned long ino)
{
	struct list_head *head = &inode_hashtable[hashfn(sb, ino)], *pos;

	assert_spin_locked(&inode_lock);
	list_for_each(pos, head) {
		struct inode *inode = list_entry(pos, struct inode, i_hash);

		if (inode->i_ino == ino && inode->i_sb == sb)
			return inode;
	}
	return NULL;
}

/* Caller holds inode_lock: the list an inode of this state belongs on. */
static struct list_head *__inode_home(struct inode *inode)
{
	if (inode->i_state & I_DIRTY)
		return &inode->i_sb->s_dirty;
	return atomic_read(&inode->i_count) ? &inode_in_use : &inode_unused;
}

/* Caller holds inode_lock: take a reference, leaving inode_unused. */
static void __iget(struct inode *inode)
{
	assert_spin_locked(&inode_lock);
	if (atomic_inc_return(&inode->i_count) == 1 && !(inode->i_state & I_DIRTY)) {
		list_move(&inode->i_list, &inode_in_use);
		nr_unused--;
	}
}

/* Caller holds inode_lock: a fresh inode into the hash and lists. */
static void __insert_new(struct inode *inode)
{
	assert_spin_locked(&inode_lock);
	inode->i_state = I_NEW;
	atomic_set(&inode->i_count, 1);
	list_add(&inode->i_hash, &inode_hashtable[hashfn(inode->i_sb, inode->i_ino)]);
	list_add(&inode->i_list, &inode_in_use);
	list_add(&inode->i_sb_list, &inode->i_sb->s_inodes);
	nr_inodes++;
}

int iget_locked(struct super_block *sb, unsigned long ino, struct inode **out)
{
	struct inode *inode, *fresh = NULL;
	int is_new = 0;

	spin_lock(&inode_lock);
	for (;;) {
		inode = __find_inode(sb, ino);
		if (inode && (inode->i_state & (I_NEW | I_FREEING))) {
			wait_event_locked(&inode_wait, &inode_lock);
			continue;
		}
		if (inode) {
			__iget(inode);
			break;
		}
		if (fresh) {
			__insert_new(fresh);
			inode = fresh;
			fresh = NULL;
			is_new = 1;
			break;
		}
		spin_unlock(&inode_lock);
		fresh = sb->s_op->alloc_inode(sb);
		if (!fresh)
			return -ENOMEM;
		fresh->i_sb = sb;
		fresh->i_ino = ino;
		spin_lock(&inode_lock);
	}
	spin_unlock(&inode_lock);
	if (fresh)
		sb->s_op->destroy_inode(fresh);
	*out = inode;
	return is_new;
}

int insert_inode_locked(struct inode *inode)
{
	struct inode *old;

	spin_lock(&inode_lock);
	while ((old = __find_inode(inode->i_sb, inode->i_ino))) {
		if (!(old->i_state & I_FREEING)) {
			spin_unlock(&inode_lock);
			vm_log("ext2: inode %lu allocated while still in use", inode->i_ino);
			return -EIO;
		}
		wait_event_locked(&inode_wait, &inode_lock);
	}
	__insert_new(inode);
	spin_unlock(&inode_lock);
	return 0;
}

void unlock_new_inode(struct inode *inode)
{
	spin_lock(&inode_lock);
	inode->i_state &= ~I_NEW;
	wake_up_all(&inode_wait);
	spin_unlock(&inode_lock);
}

void iget_failed(struct inode *inode)
{
	spin_lock(&inode_lock);
	inode->i_state = (inode->i_state & ~(I_NEW | I_DIRTY)) | I_BAD;
	list_move(&inode->i_list, &inode_in_use);
	spin_unlock(&inode_lock);
	iput(inode);
}

struct inode *igrab(struct inode *inode)
{
	spin_lock(&inode_lock);
	if (inode->i_state & I_FREEING)
		inode = NULL;
	else
		__iget(inode);
	spin_unlock(&inode_lock);
	return inode;
}

struct inode *ilookup(struct super_block *sb, unsigned long ino)
{
	struct inode *inode;

	spin_lock(&inode_lock);
	inode = __find_inode(sb, ino);
	if (inode && (inode->i_state & (I_NEW | I_FREEING | I_BAD)))
		inode = NULL;
	if (inode)
		__iget(inode);
	spin_unlock(&inode_lock);
	return inode;
}

/* ---- freeing ---------------------------------------------------------- */

/* Drop pages and private state, leave the hash, free.  Caller set
 * I_FREEING and took the inode off every list but the hash and s_inodes. */
static void dispose_inode(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;

	truncate_inode_pages(&inode->i_data, 0);
	if (sb->s_op->clear_inode)
		sb->s_op->clear_inode(inode);
	spin_lock(&inode_lock);
	list_del_init(&inode->i_hash);
	list_del_init(&inode->i_sb_list);
	nr_inodes--;
	wake_up_all(&inode_wait);
	spin_unlock(&inode_lock);
	sb->s_op->destroy_inode(inode);
}

void iput(struct inode *inode)
{
	struct super_block *sb;

	if (!inode)
		return;
	sb = inode->i_sb;
	if (sb->s_op->put_inode && atomic_read(&inode->i_count) == 1)
		sb->s_op->put_inode(inode);
	spin_lock(&inode_lock);
	VM_BUG_ON(atomic_read(&inode->i_count) <= 0);
	if (atomic_dec_return(&inode->i_count)) {
		spin_unlock(&inode_lock);
		return;
	}
	if (inode->i_state & I_BAD || (!inode->i_nlink && !(sb->s_flags & MS_RDONLY))) {
		int del = !(inode->i_state & I_BAD);

		inode->i_state = (inode->i_state & ~I_DIRTY) | I_FREEING;
		list_del_init(&inode->i_list);
		spin_unlock(&inode_lock);
		if (del)
			sb->s_op->delete_inode(inode);
		dispose_inode(inode);
		return;
	}
	if (!(inode->i_state & I_DIRTY)) {
		list_move(&inode->i_list, &inode_unused);
		nr_unused++;
	}
	spin_unlock(&inode_lock);
}

/* Caller holds inode_lock: can inode go without writing anything? */
static int __can_prune(struct inode *inode)
{
	assert_spin_locked(&inode_lock);
	return !atomic_read(&inode->i_count) && !inode->i_state &&
	       list_empty(&inode->i_data.dirty_pages) &&
	       list_empty(&inode->i_data.locked_pages);
}

/* Caller holds inode_lock: from inode_unused onto a private list. */
static void __take_unused(struct inode *inode, struct list_head *dispose)
{
	inode->i_state |= I_FREEING;
	list_move(&inode->i_list, dispose);
	nr_unused--;
}

static void dispose_list(struct list_head *dispose)
{
	while (!list_empty(dispose)) {
		struct inode *inode = list_entry(dispose->next, struct inode, i_list);

		list_del_init(&inode->i_list);
		dispose_inode(inode);
	}
}

int prune_icache(int nr)
{
	struct list_head *pos, *prev;
	LIST_HEAD(dispose);
	int freed = 0;

	spin_lock(&inode_lock);
	for (pos = inode_unused.prev; pos != &inode_unused && freed < nr; pos = prev) {
		struct inode *inode = list_entry(pos, struct inode, i_list);

		prev = pos->prev;
		spin_lock(&pagecache_lock);
		if (__can_prune(inode)) {
			__take_unused(inode, &dispose);
			freed++;
		}
		spin_unlock(&pagecache_lock);
	}
	spin_unlock(&inode_lock);
	dispose_list(&dispose);
	return freed;
}

int evict_inodes(struct super_block *sb)
{
	struct list_head *pos;
	LIST_HEAD(dispose);
	int busy = 0;

	spin_lock(&inode_lock);
	list_for_each(pos, &sb->s_inodes) {
		struct inode *inode = list_entry(pos, struct inode, i_sb_list);

		if (atomic_read(&inode->i_count) || (inode->i_state & (I_NEW | I_FREEING))) {
			busy++;
			continue;
		}
		if (inode->i_state & I_DIRTY) {
			inode->i_state &= ~I_DIRTY;	/* caller synced; nothing to lose */
			nr_unused++;
		}
		__take_unused(inode, &dispose);
	}
	spin_unlock(&inode_lock);
	dispose_list(&dispose);
	return busy;
}

unsigned long nr_cached_inodes(void)
{
	return icache_count(&nr_inodes);
}

unsigned long nr_unused_inodes(void)
{
	return icache_count(&nr_unused);
}

/* ---- dirty inodes ----------------------------------------------------- */

void mark_inode_dirty(struct inode *inode)
{
	spin_lock(&inode_lock);
	if (!(inode->i_state & (I_DIRTY | I_FREEING))) {
		if (!atomic_read(&inode->i_count) && !(inode->i_state & I_NEW))
			nr_unused--;
		inode->i_state |= I_DIRTY;
		inode->dirtied_when = vm_jiffies();
		list_move_tail(&inode->i_list, &inode->i_sb->s_dirty);
	}
	spin_unlock(&inode_lock);
}

/* Caller holds inode_lock: clear I_DIRTY, refile.  1 if it was dirty. */
static int __clear_dirty(struct inode *inode)
{
	assert_spin_locked(&inode_lock);
	if (!(inode->i_state & I_DIRTY))
		return 0;
	inode->i_state &= ~I_DIRTY;
	list_move(&inode->i_list, __inode_home(inode));
	if (!atomic_read(&inode->i_count))
		nr_unused++;
	return 1;
}

/* Caller holds inode_lock: the first dirty inode no one holds, or NULL. */
static struct inode *__first_unused_dirty(void)
{
	struct list_head *s, *pos;

	list_for_each(s, &super_blocks) {
		struct super_block *sb = list_entry(s, struct super_block, s_list);

		list_for_each(pos, &sb->s_dirty) {
			struct inode *inode = list_entry(pos, struct inode, i_list);

			if (!atomic_read(&inode->i_count) &&
			    !(inode->i_state & (I_NEW | I_FREEING)))
				return inode;
		}
	}
	return NULL;
}

/* Write up to nr unreferenced dirty inodes into their buffers, making
 * them clean and unused; how many were written. */
static int sync_unused_inodes(int nr)
{
	struct inode *inode;
	int done = 0;

	spin_lock(&inode_lock);
	while (done < nr && (inode = __first_unused_dirty())) {
		__clear_dirty(inode);
		__iget(inode);
		spin_unlock(&inode_lock);
		if (inode->i_sb->s_op->write_inode(inode, 0))
			mark_inode_dirty(inode);	/* kept for the flusher */
		iput(inode);
		done++;
		spin_lock(&inode_lock);
	}
	spin_unlock(&inode_lock);
	return done;
}

int write_inode_now(struct inode *inode, int sync)
{
	int dirty;

	spin_lock(&inode_lock);
	dirty = __clear_dirty(inode);
	spin_unlock(&inode_lock);
	if (!dirty && !sync)
		return 0;
	return inode->i_sb->s_op->write_inode(inode, sync);
}

int sync_inodes_sb(struct super_block *sb)
{
	int err = 0;

	spin_lock(&inode_lock);
	while (!list_empty(&sb->s_dirty)) {
		struct inode *inode = list_entry(sb->s_dirty.next, struct inode, i_list);
		int ret;

		__clear_dirty(inode);
		__iget(inode);
		spin_unlock(&inode_lock);
		ret = sb->s_op->write_inode(inode, 0);
		if (ret && !err)
			err = ret;
		iput(inode);
		spin_lock(&inode_lock);
	}
	spin_unlock(&inode_lock);
	return err;
}

/* Caller holds inode_lock: the oldest dirty inode of sb that can be
 * written, if it was dirtied no later than older_than; else NULL. */
static struct inode *__oldest_dirty(struct super_block *sb, unsigned long older_than)
{
	struct list_head *pos;

	assert_spin_locked(&inode_lock);
	list_for_each(pos, &sb->s_dirty) {
		struct inode *inode = list_entry(pos, struct inode, i_list);

		if (time_after(inode->dirtied_when, older_than))
			return NULL;	/* the rest are younger */
		if (!(inode->i_state & (I_NEW | I_FREEING)))
			return inode;
	}
	return NULL;
}

int sync_old_inodes(struct super_block *sb, unsigned long older_than)
{
	struct inode *inode;
	int written = 0;

	spin_lock(&inode_lock);
	while ((inode = __oldest_dirty(sb, older_than))) {
		__iget(inode);
		spin_unlock(&inode_lock);
		pthread_mutex_lock(&inode->i_sem);
		if (write_inode_now(inode, 0))
			mark_inode_dirty(inode);	/* again, at the tail: next pass */
		else
			written++;
		pthread_mutex_unlock(&inode->i_sem);
		iput(inode);
		spin_lock(&inode_lock);
	}
	spin_unlock(&inode_lock);
	return written;
}

int for_each_sb_inode(struct super_block *sb,
		      int (*fn)(struct inode *inode, void *arg), void *arg)
{
	struct inode *prev = NULL;
	struct list_head *pos;
	int err = 0;

	spin_lock(&inode_lock);
	list_for_each(pos, &sb->s_inodes) {
		struct inode *inode = list_entry(pos, struct inode, i_sb_list);
		int ret;

		if (inode->i_state & (I_NEW | I_FREEING))
			continue;
		__iget(inode);
		spin_unlock(&inode_lock);
		iput(prev);
		prev = inode;
		ret = fn(inode, arg);
		if (ret && !err)
			err = ret;
		spin_lock(&inode_lock);
	}
	spin_unlock(&inode_lock);
	iput(prev);
	return err;
}

struct timespec fs_current_time(struct super_block *sb)
{
	struct timespec ts;

	if (sb->s_fixed_time) {
		ts.tv_sec = sb->s_fixed_time;
		ts.tv_nsec = 0;
		return ts;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}
