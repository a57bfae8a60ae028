/*
 * fs/ext2/ext2_i.h - what the ext2 files share inside fs/ext2/: the
 * in-memory super block (ext2_sb_info) and inode (ext2_inode_info), and
 * the functions one file calls in another.  Not for callers outside
 * fs/ext2/; they use ext2.h.
 *
 * Locking (the order is in vm/locking.h, "fs:" section):
 *   inode->i_sem          namespace changes in a directory, size changes
 *                         and writes of a file; parent before child, and
 *                         for rename sbi->s_rename_lock first
 *   page lock             (vm) the generic read/write paths, writeback
 *   sbi->s_xattr_lock     xattr blocks' reference counts (xattr.c)
 *   ei->i_meta            the block map: i_data[], indirect blocks,
 *                         i_blocks, preallocation, i_file_acl
 *   buffer lock           (blockdev)
 *   sbi->s_groups[g].lock a group's bitmaps and descriptor counts; one
 *                         group at a time
 *   sbi->s_lock           super block counters and fields (a leaf)
 *   inode_lock            (fs/inode.c, a leaf)
 * Allocation under any of these is GFP_NOFS.
 */
#ifndef IMGFS_FS_EXT2_EXT2_I_H
#define IMGFS_FS_EXT2_EXT2_I_H

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include "fs/buffer.h"
#include "fs/ext2/ext2.h"
#include "fs/ext2/ext2_fs.h"
#include "fs/inode.h"

#define EXT2_PREALLOC_BLOCKS	8	/* a small preallocation per file */
#define EXT2_ERR_OBJECTS	64	/* objects whose error was logged */

struct ext2_group_info {
	pthread_mutex_t lock;		/* bitmaps and this group's descriptor */
};

struct ext2_sb_info {
	struct super_block sb;		/* the VFS super block */
	struct buffer_head *s_sbh;	/* the block holding the super block */
	struct ext2_super_block *s_es;	/* in s_sbh; s_lock for writers */
	struct buffer_head **s_group_desc;	/* s_gdb_count buffers */
	struct ext2_group_info *s_groups;
	unsigned long s_groups_count;
	unsigned long s_gdb_count;	/* blocks of group descriptors */
	unsigned long s_desc_per_block;
	unsigned long s_blocks_per_group;
	unsigned long s_inodes_per_group;
	unsigned long s_itb_per_group;	/* inode table blocks per group */
	unsigned long s_inodes_per_block;
	unsigned long s_blocks_count;
	unsigned long s_inodes_count;
	unsigned long s_first_data_block;
	unsigned long s_first_ino;
	unsigned int s_inode_size;
	unsigned int s_addr_per_block_bits;
	uint32_t s_feature_compat, s_feature_incompat, s_feature_ro_compat;
	const char *s_ro_why;		/* why a read-write mount became read-only */
	uint16_t s_mount_state;		/* s_lock: s_state as found at mount,
					 * | EXT2_ERROR_FS after an error;
					 * what unmount writes back */
	spinlock_t s_lock;		/* counters below, s_es fields */
	long s_free_blocks, s_free_inodes, s_dirs;
	unsigned long s_next_generation;
	unsigned int s_dir_rotor;	/* spreads new top-level directories */
	pthread_mutex_t s_rename_lock;	/* cross-directory renames */
	pthread_mutex_t s_xattr_lock;	/* xattr block reference counts */
	int s_owns_bdev;
	/* s_lock: objects whose error was logged (ext2_error_inode), a ring;
	 * an inode's key is its number, a group's has the top bit set. */
	uint64_t s_err_objs[EXT2_ERR_OBJECTS];
	unsigned int s_err_next;
	int s_errors;			/* EXT2_ON_ERRORS_*, never DEFAULT */
	int s_error_ro;			/* atomic: errors=remount-ro happened */
	int s_panicked;			/* atomic: errors=panic happened */
	unsigned long s_nr_meta_errors;	/* atomic: failed metadata pages */
	int s_write_failed;		/* atomic: some write-back failed; this
					 * mount never marks the image clean */
	void (*s_on_panic)(void *arg);
	void *s_panic_arg;
};

struct ext2_inode_info {
	struct inode vfs_inode;
	pthread_mutex_t i_meta;		/* see above */
	uint32_t i_data[EXT2_N_BLOCKS];	/* i_meta */
	uint32_t i_flags;
	uint32_t i_file_acl;		/* i_meta */
	uint32_t i_dtime;
	uint32_t i_block_group;
	uint32_t i_dir_start_lookup;
	unsigned long i_dir_ino;	/* atomic: the directory that this mount
					 * last gave an entry for it; 0: none
					 * (fsync writes the way to it) */
	unsigned long i_prealloc_block;	/* i_meta: next preallocated block */
	unsigned int i_prealloc_count;	/* i_meta */
	unsigned long i_next_alloc_goal;	/* i_meta: physical block after
						 * the last one allocated */
	uint16_t i_extra_isize;
	uint32_t i_crtime, i_crtime_extra;
	uint32_t i_faddr, i_version;	/* kept as found */
	uint8_t i_frag, i_fsize;
	char i_extra[128];		/* bytes of a large inode beyond the
					 * fields we know (in-inode xattrs) */
	unsigned int i_extra_len;
	int i_wb_failed_logged;		/* atomic: WB_LOGGED_* of this inode */
};

static inline struct ext2_sb_info *EXT2_SB(struct super_block *sb)
{
	return container_of(sb, struct ext2_sb_info, sb);
}

static inline struct ext2_inode_info *EXT2_I(struct inode *inode)
{
	return container_of(inode, struct ext2_inode_info, vfs_inode);
}

static inline int ext2_has_incompat(struct super_block *sb, uint32_t f)
{
	return (EXT2_SB(sb)->s_feature_incompat & f) != 0;
}

static inline int ext2_has_compat(struct super_block *sb, uint32_t f)
{
	return (EXT2_SB(sb)->s_feature_compat & f) != 0;
}

static inline int ext2_has_ro_compat(struct super_block *sb, uint32_t f)
{
	return (EXT2_SB(sb)->s_feature_ro_compat & f) != 0;
}

/* No modification may start (-EROFS): a read-only mount, or one that
 * errors=remount-ro turned read-only. */
static inline int ext2_rdonly(struct super_block *sb)
{
	return (sb->s_flags & MS_RDONLY) != 0 ||
	       __atomic_load_n(&EXT2_SB(sb)->s_error_ro, __ATOMIC_ACQUIRE);
}

/* Nothing may be written to the image at all: mounted read-only.  (After
 * errors=remount-ro what is already dirty is still written back.) */
static inline int ext2_image_ro(struct super_block *sb)
{
	return (sb->s_flags & MS_RDONLY) != 0;
}

/* A block number a pointer may hold: inside the data area. */
static inline int ext2_valid_block(struct super_block *sb, unsigned long block)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);

	return block >= sbi->s_first_data_block && block < sbi->s_blocks_count;
}

/* Caller holds dir->i_sem: dir now has an entry for inode (dir.c). */
static inline void ext2_set_dir_ino(struct inode *inode, struct inode *dir)
{
	__atomic_store_n(&EXT2_I(inode)->i_dir_ino, dir->i_ino, __ATOMIC_RELAXED);
}

static inline unsigned long ext2_dir_ino(struct inode *inode)
{
	return __atomic_load_n(&EXT2_I(inode)->i_dir_ino, __ATOMIC_RELAXED);
}

/* ---- super.c ---------------------------------------------------------- */
struct ext2_group_desc *ext2_get_group_desc(struct super_block *sb,
					    unsigned long group,
					    struct buffer_head **bhp);
int ext2_group_has_super(struct super_block *sb, unsigned long group);
unsigned long ext2_group_first_block(struct super_block *sb, unsigned long group);
unsigned long ext2_group_nr_blocks(struct super_block *sb, unsigned long group);
/* The super block and descriptors into their buffers (the buffer lock and
 * s_lock inside: may sleep).  Also s_op->write_super, for the flusher. */
void ext2_commit_super(struct super_block *sb);
/*
 * A corrupt structure (or a failed read) belonging to inode ino, or to
 * the bitmaps and descriptor of a group: marks the file system in error
 * and logs one line, the first time this mount meets that object (the
 * last EXT2_ERR_OBJECTS of them are remembered), so an object read again
 * and again does not flood the log.  Takes sbi->s_lock.  The caller
 * returns -EIO.
 */
void ext2_error_inode(struct super_block *sb, unsigned long ino, const char *func,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void ext2_error_group(struct super_block *sb, unsigned long group, const char *func,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The error state and errors= as ext2_error, without a line (the object's
 * error was logged once already). */
void ext2_error_quiet(struct super_block *sb);
/* An error that belongs to no one object (a failed write-back, unmount):
 * one line each time, the error state and errors=. */
void ext2_error(struct super_block *sb, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct buffer_head *ext2_sb_bread(struct super_block *sb, unsigned long block);

/* ---- balloc.c --------------------------------------------------------- */
/* A free block near goal, marked used; 0 and *err on failure. */
unsigned long ext2_new_block(struct inode *inode, unsigned long goal, int *err);
void ext2_free_blocks(struct inode *inode, unsigned long block, unsigned long count);
/* Caller holds i_meta: give back the preallocated blocks. */
void ext2_discard_prealloc(struct inode *inode);

/* ---- ialloc.c --------------------------------------------------------- */
struct inode *ext2_new_inode(struct inode *dir, mode_t mode, int *err);
void ext2_free_inode(struct inode *inode);

/* ---- inode.c ---------------------------------------------------------- */
int ext2_inode_cache_get(void);		/* the slab cache, per mount */
void ext2_inode_cache_put(void);
int ext2_init_raw_inode(struct inode *inode);
void ext2_encode_rdev(struct inode *inode);
extern const struct super_operations ext2_sops;
extern const struct address_space_operations ext2_aops;
int ext2_get_block(struct address_space *mapping, unsigned long iblock,
		   struct buffer_head *bh_result, int create);
/* Map (and with create, allocate) file block iblock.  0 and *phys (0 for
 * a hole), or -errno. */
int ext2_bmap(struct inode *inode, unsigned long iblock, int create,
	      unsigned long *phys, int *is_new);
/* A metadata-style buffer of a file block (directories, symlinks). */
struct buffer_head *ext2_bread(struct inode *inode, unsigned long iblock,
			       int create, int *err);
int ext2_read_inode(struct inode *inode);
int ext2_write_inode(struct inode *inode, int sync);
void ext2_delete_inode(struct inode *inode);
/* Caller holds i_sem: free the blocks past i_size. */
int ext2_truncate_blocks(struct inode *inode, loff_t size);
/* Free the blocks of file blocks [start, end) (punch hole). */
int ext2_free_range(struct inode *inode, unsigned long start, unsigned long end);
unsigned long long ext2_max_size(unsigned int blkbits);
void ext2_inode_set_time(struct inode *inode, int which);
#define EXT2_T_A	1
#define EXT2_T_M	2
#define EXT2_T_C	4
int ext2_inode_is_fast_symlink(struct inode *inode);

/* ---- dir.c ------------------------------------------------------------ */
unsigned char ext2_type_by_mode(mode_t mode);
/* The entry for name: 0 and *ino, -ENOENT, -EIO. */
int ext2_find_entry(struct inode *dir, const char *name, size_t len,
		    unsigned long *ino, unsigned char *type);
int ext2_add_link(struct inode *dir, const char *name, size_t len,
		  struct inode *inode);
int ext2_delete_entry(struct inode *dir, const char *name, size_t len);
/* Point the entry name at inode (rename over an existing name). */
int ext2_set_link(struct inode *dir, const char *name, size_t len,
		  struct inode *inode);
/* Dir's ".." now names parent. */
int ext2_set_dotdot(struct inode *dir, struct inode *parent);
int ext2_dotdot(struct inode *dir, unsigned long *ino);
int ext2_make_empty(struct inode *inode, struct inode *parent);
/* 1 if empty, 0 if not, -errno. */
int ext2_empty_dir(struct inode *inode);
/* A changed directory loses its hash index (DESIGN: dir_index). */
void ext2_dir_changed(struct inode *dir);

/* ---- xattr.c ---------------------------------------------------------- */
/* Drop the inode's reference to its xattr block (inode deletion). */
void ext2_xattr_delete_inode(struct inode *inode);

#endif
