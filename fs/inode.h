/*
 * fs/inode.h - the in-memory inode, the super block a filesystem mounts,
 * and the inode cache (2.4 include/linux/fs.h, fs/inode.c; book 11.2's
 * "inode queue" lives in each inode's address_space, i_data).
 *
 * Interface:
 *   inode_cache_init() once (ext2_mount does it), then per super block:
 *   iget_locked(sb, ino, &inode): the cached inode with a reference, or a
 *       new one marked I_NEW that the caller fills and then
 *       unlock_new_inode()s (or iget_failed()s);
 *   igrab/iput: references; the last iput of an inode with i_nlink 0
 *       deletes it (s_op->delete_inode), otherwise it stays cached, clean,
 *       on inode_unused until pruned;
 *   mark_inode_dirty: onto the tail of sb->s_dirty, stamped dirtied_when;
 *       sync_inodes_sb() writes them all, sync_old_inodes() those dirty
 *       since a given time (the flusher's pass, fs/fs_writeback.c);
 *   evict_inodes(sb): drop every unused inode of sb (unmount).
 *   prune_icache(n) is the reclaim shrinker (registered with
 *   register_shrinker): it frees unused clean inodes whose pages are
 *   clean, oldest first.
 *
 * Locking: inode_lock (a spinlock_t, a leaf apart from the slab) protects
 * the hash, i_state, the in_use/unused/s_dirty lists, sb->s_inodes and
 * i_count's transitions to and from 0.  i_sem (a sleeping lock) is the
 * filesystem's: it serialises namespace changes in a directory and size
 * changes of a file; lock order in vm/locking.h.
 */
#ifndef IMGFS_FS_INODE_H
#define IMGFS_FS_INODE_H

#include <pthread.h>
#include <sys/types.h>
#include <time.h>
#include "vm/pagemap.h"

struct block_device;
struct super_block;
struct inode;

/* sb->s_flags */
#define MS_RDONLY	0x1

/* inode->i_state (inode_lock) */
#define I_NEW		0x1	/* being read: others wait */
#define I_DIRTY		0x2	/* in-memory fields newer than the disk copy */
#define I_FREEING	0x4	/* being evicted: lookups wait */
#define I_BAD		0x8	/* could not be read: iput frees it */

struct super_operations {
	struct inode *(*alloc_inode)(struct super_block *sb);
	void (*destroy_inode)(struct inode *inode);
	/* Copy the in-memory inode to its disk buffer; sync: and write it. */
	int (*write_inode)(struct inode *inode, int sync);
	/* The super block's fields (free counts) into its buffers, dirty
	 * (2.4 write_super: the flusher calls it once sb_mark_dirty).
	 * Optional. */
	void (*write_super)(struct super_block *sb);
	/* Last reference to an unlinked inode: free its blocks and itself. */
	void (*delete_inode)(struct inode *inode);
	/* The inode leaves the cache: drop private state (preallocation). */
	void (*clear_inode)(struct inode *inode);
	/* iput is about to drop what may be the last reference (2.4's
	 * put_inode): give back what only an open file needs.  Optional. */
	void (*put_inode)(struct inode *inode);
};

struct super_block {
	struct block_device *s_bdev;
	unsigned long s_blocksize;
	unsigned int s_blocksize_bits;
	unsigned long s_flags;			/* MS_*, set at mount */
	unsigned long long s_maxbytes;		/* largest file */
	const struct super_operations *s_op;
	void *s_fs_info;			/* the filesystem's own */
	struct list_head s_inodes;		/* inode_lock: every inode */
	struct list_head s_dirty;		/* inode_lock: I_DIRTY inodes,
						 * oldest dirtied_when first */
	struct list_head s_list;		/* inode_lock: all super blocks */
	struct list_head s_wb_list;		/* sb_writeback_sem (fs_writeback.c) */
	unsigned long s_dirt;			/* atomic: 0 or when write_super
						 * became due (sb_mark_dirty) */
	time_t s_fixed_time;			/* non-zero: "now" (mkimg, reproducible) */
};

struct inode {
	struct list_head i_hash;	/* inode_lock */
	struct list_head i_list;	/* inode_lock: in_use, unused or s_dirty */
	struct list_head i_sb_list;	/* inode_lock */
	unsigned long i_ino;		/* set once */
	struct super_block *i_sb;	/* set once */
	atomic_t i_count;
	unsigned int i_state;		/* inode_lock */
	unsigned long dirtied_when;	/* inode_lock: vm_jiffies() I_DIRTY was set */
	pthread_mutex_t i_sem;		/* see above */

	/* Attributes: i_sem for writers; readers may race (getattr). */
	mode_t i_mode;
	unsigned int i_nlink;
	uid_t i_uid;
	gid_t i_gid;
	dev_t i_rdev;
	loff_t i_size;
	struct timespec i_atime, i_mtime, i_ctime;
	unsigned long i_blocks;		/* 512-byte units */
	unsigned int i_generation;

	struct address_space i_data;	/* the file's pages */
};

/*
 * i_size: written under i_sem, read without it (getattr, read, seek), as
 * the kernel's i_size_read/i_size_write on 64-bit: a whole-word access,
 * never torn, and no data race in C11's terms.
 */
static inline loff_t i_size_read(const struct inode *inode)
{
	return READ_ONCE(inode->i_size);
}

static inline void i_size_write(struct inode *inode, loff_t size)
{
	WRITE_ONCE(inode->i_size, size);
}

int inode_cache_init(void);
void inode_cache_exit(void);	/* when the last super block is gone */

void inode_sb_init(struct super_block *sb);
void inode_sb_exit(struct super_block *sb);

/* The inode's own fields, once, by the filesystem's alloc_inode. */
void inode_init_once(struct inode *inode);
void inode_destroy_once(struct inode *inode);

/* *out: the cached inode (referenced) and 0, or a new one with I_NEW set
 * and i_ino/i_sb filled, for the caller to read, and 1.  -ENOMEM. */
int iget_locked(struct super_block *sb, unsigned long ino, struct inode **out);
void unlock_new_inode(struct inode *inode);
/* Reading a new inode failed: mark it bad and drop it. */
void iget_failed(struct inode *inode);
/* A just-allocated inode into the hash (ialloc); I_NEW until unlocked. */
int insert_inode_locked(struct inode *inode);

struct inode *igrab(struct inode *inode);
/* The cached inode of ino, referenced; NULL if not cached (or being read
 * or freed).  Never reads. */
struct inode *ilookup(struct super_block *sb, unsigned long ino);
void iput(struct inode *inode);

void mark_inode_dirty(struct inode *inode);
/* Write the inode out if dirty (sync: and wait).  0 or -errno. */
int write_inode_now(struct inode *inode, int sync);
/* Write every dirty inode of sb into its buffer.  0 or the first -errno. */
int sync_inodes_sb(struct super_block *sb);
/*
 * The flusher's share (2.4 sync_old_inodes): write into its buffer every
 * inode of sb dirty since no later than older_than, each under its i_sem,
 * so the copy is never of a half-made change.  An inode that fails stays
 * dirty.  The number written.  Caller holds no inode's i_sem.
 */
int sync_old_inodes(struct super_block *sb, unsigned long older_than);
/* For each inode of sb with a reference taken and inode_lock dropped. */
int for_each_sb_inode(struct super_block *sb,
		      int (*fn)(struct inode *inode, void *arg), void *arg);
/* Drop every unused inode of sb; the number still in use. */
int evict_inodes(struct super_block *sb);

/* Reclaim: free up to nr unused clean inodes; returns how many went. */
int prune_icache(int nr);
unsigned long nr_cached_inodes(void);
/* Of them, those no one holds (prune_icache's candidates). */
unsigned long nr_unused_inodes(void);

/*
 * fs/fs_writeback.c - the flusher's pass over super blocks (2.4 kupdate's
 * sync_supers + sync_old_inodes; it is the hook fs/ registers with the
 * VM's flusher, register_writeback_hook).  For every super block between
 * sb_writeback_enable and sb_writeback_disable, every pass writes the
 * inodes dirty longer than the flusher's age, calls s_op->write_super if
 * sb_mark_dirty was called that long ago, and then, if it wrote either,
 * starts writing the device's dirty metadata (the block-device mapping)
 * without waiting for it: what it put in buffers was dirty since the
 * cut-off, so it must not wait another full age there.
 *
 * sb_writeback_disable (first thing at unmount) waits for a pass in
 * progress; after it, the flusher does not touch sb.  Locking:
 * sb_writeback_sem [sleep] comes before every fs lock (vm/locking.h).
 */
int sb_writeback_enable(struct super_block *sb);	/* 0 or -ENOSPC */
void sb_writeback_disable(struct super_block *sb);
/* The super block's own fields changed: write_super is due (lock-free). */
void sb_mark_dirty(struct super_block *sb);
/* One pass over every enabled super block (the hook itself). */
void sync_old_supers(unsigned long older_than);

/* "now" for timestamps: sb->s_fixed_time when set. */
struct timespec fs_current_time(struct super_block *sb);

#endif
