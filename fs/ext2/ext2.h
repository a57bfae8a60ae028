/*
 * fs/ext2/ext2.h - the ext2 filesystem as the FUSE daemon, mkimg and the
 * tests see it: mount an image, then operate on inodes by number.
 *
 * Life of a mount:
 *   vm_init(...)                          the VM must be up
 *   ext2_mount(&opts, &sb, &why)          open, validate, attach the cache
 *   ext2_iget(sb, ino, &inode) ... iput(inode)     every reference
 *   ext2_lookup / ext2_create / ext2_file_write ... on referenced inodes
 *   ext2_unmount(sb)                      write everything back, close
 *
 * Conventions: functions return 0 (or a count) or -errno; they never
 * print except one log line (vm_log) for a corrupt structure, which gives
 * -EIO for that object only.  Names are (pointer, length) pairs, no NUL
 * needed; longer than 255 bytes is -ENAMETOOLONG.  Modifying calls on a
 * read-only mount return -EROFS.  Sizes beyond what the block size can
 * map are -EFBIG.  Inodes handed out (*out) carry a reference the caller
 * drops with iput().  Permission checks are the caller's (FUSE
 * default_permissions); uid/gid of new inodes are passed in.
 *
 * Threads: every function may be called from many threads at once.  The
 * functions take the locks they need (i_sem of the directories and files
 * involved, in the order vm/locking.h gives); callers hold none.
 */
#ifndef IMGFS_FS_EXT2_EXT2_H
#define IMGFS_FS_EXT2_EXT2_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "blockdev/blkdev.h"
#include "fs/inode.h"

struct file_ra_state;

/* What a file-system error does (errors=; the super block's s_errors
 * values).  0: as the super block says. */
#define EXT2_ON_ERRORS_DEFAULT	0
#define EXT2_ON_ERRORS_CONTINUE	1	/* mark the image, go on */
#define EXT2_ON_ERRORS_RO	2	/* modifying calls get -EROFS from then on */
#define EXT2_ON_ERRORS_PANIC	3	/* the device takes no more writes, and
					 * on_panic is called */

struct ext2_mount_opts {
	const char *path;		/* image file or block device */
	int read_only;
	enum dma_reach reach;		/* default DMA_REACH_LOW (0 is DMA!) */
	int no_direct;			/* buffered I/O (tests) */
	time_t fixed_time;		/* non-zero: every timestamp (mkimg) */
	int errors;			/* EXT2_ON_ERRORS_* */
	/* errors=panic: called once, from whatever thread found the error
	 * (it may be the device's completion thread): it must not wait for
	 * I/O.  NULL: the device is aborted and nothing else happens. */
	void (*on_panic)(void *arg);
	void *panic_arg;
};

void ext2_mount_opts_default(struct ext2_mount_opts *o);

/* "continue", "remount-ro", "panic" -> EXT2_ON_ERRORS_*, or -EINVAL. */
int ext2_parse_errors(const char *name);

/*
 * Errors (ext2_error in the kernel): a corrupt structure found, a
 * metadata write-back that failed, or a data page whose write-back failed
 * twice in a row (a lasting failure; a first failure is only reported to
 * the open files, and the page is retried).  Each records EXT2_ERROR_FS
 * in the super block (never marked clean again by this mount), logs a
 * line, and does what errors= says.
 */

/* Modifying calls would get -EROFS: mounted read-only, or errors=remount-ro
 * took effect. */
int ext2_read_only(struct super_block *sb);
/* An error was recorded (EXT2_ERROR_FS) by this mount or before it. */
int ext2_has_errors(struct super_block *sb);

/*
 * Open and mount.  0 and *sbp, or -errno with *why a one-line reason
 * (static string): -EINVAL not ext2 / bad geometry, -EOPNOTSUPP an
 * unsupported INCOMPAT feature (named in *why), -EIO unreadable, -EBUSY
 * held by another owner (blkdev_open; blkdev_holder says who).  An
 * unknown RO_COMPAT feature mounts read-only (sb->s_flags & MS_RDONLY;
 * *why says why, with 0 returned).  A read-write mount marks the image
 * not-clean and counts the mount.
 */
int ext2_mount(const struct ext2_mount_opts *o, struct super_block **sbp,
	       const char **why);

/*
 * Write back every dirty inode, page and buffer, give the super block
 * back the state found at mount (clean only if it was clean; with
 * EXT2_ERROR_FS after an error) when read-write, flush and close.  All inode references must have been
 * dropped (-EBUSY otherwise, and nothing is closed).  0 or the first
 * write error.
 */
int ext2_unmount(struct super_block *sb);

/* Everything to the device and a flush, the image stays mounted. */
int ext2_sync_fs(struct super_block *sb);

struct ext2_statfs {
	unsigned long bsize;
	unsigned long long blocks, bfree, bavail;	/* bavail: minus reserved */
	unsigned long long files, ffree;
	unsigned long namelen;
};
int ext2_statfs(struct super_block *sb, struct ext2_statfs *st);

/* ---- inodes ------------------------------------------------------------- */

#define EXT2_ROOT_INO_NR	2

/* The inode numbered ino, referenced.  -ESTALE for a free / out of range
 * number, -EIO for a corrupt inode. */
int ext2_iget(struct super_block *sb, unsigned long ino, struct inode **out);
/* iput() (fs/inode.h) drops the reference. */

void ext2_getattr(struct inode *inode, struct stat *st);

/* setattr: the fields named by valid.  ctime becomes now unless given. */
#define EXT2_ATTR_MODE	0x01	/* permission bits only */
#define EXT2_ATTR_UID	0x02
#define EXT2_ATTR_GID	0x04
#define EXT2_ATTR_SIZE	0x08
#define EXT2_ATTR_ATIME	0x10
#define EXT2_ATTR_MTIME	0x20
#define EXT2_ATTR_CTIME	0x40
#define EXT2_ATTR_ATIME_NOW	0x80
#define EXT2_ATTR_MTIME_NOW	0x100
struct ext2_iattr {
	unsigned int valid;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	loff_t size;
	struct timespec atime, mtime, ctime;
};
int ext2_setattr(struct inode *inode, const struct ext2_iattr *attr);

/* ---- names --------------------------------------------------------------- */

int ext2_lookup(struct inode *dir, const char *name, size_t len, struct inode **out);
/* mode carries the type: S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK.
 * out may be NULL. */
int ext2_mknod(struct inode *dir, const char *name, size_t len, mode_t mode,
	       dev_t rdev, uid_t uid, gid_t gid, struct inode **out);
int ext2_create(struct inode *dir, const char *name, size_t len, mode_t mode,
		uid_t uid, gid_t gid, struct inode **out);
int ext2_mkdir(struct inode *dir, const char *name, size_t len, mode_t mode,
	       uid_t uid, gid_t gid, struct inode **out);
/* target is NUL-terminated. */
int ext2_symlink(struct inode *dir, const char *name, size_t len,
		 const char *target, uid_t uid, gid_t gid, struct inode **out);
int ext2_link(struct inode *inode, struct inode *dir, const char *name, size_t len);
int ext2_unlink(struct inode *dir, const char *name, size_t len);
int ext2_rmdir(struct inode *dir, const char *name, size_t len);

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#define RENAME_EXCHANGE		(1 << 1)
#endif
int ext2_rename(struct inode *old_dir, const char *old_name, size_t old_len,
		struct inode *new_dir, const char *new_name, size_t new_len,
		unsigned int flags);

/* Copy the target (no NUL) into buf; returns its length (may exceed size:
 * only size bytes copied). */
ssize_t ext2_readlink(struct inode *inode, char *buf, size_t size);

/*
 * Directory entries from byte position pos of the directory (a stable
 * cookie: the entry's offset; 0 is the start).  fill gets each entry
 * (dtype as DT_*) and the position of the next one; it returns non-zero
 * to stop (buffer full), and that entry is not consumed.  0 or -errno.
 * fill runs with dir's i_sem held: it must not call into the file system
 * for dir (lookups come after readdir returns).
 */
typedef int (*ext2_filldir_t)(void *ctx, const char *name, size_t len,
			      unsigned long ino, unsigned char dtype, loff_t next);
int ext2_readdir(struct inode *dir, loff_t pos, ext2_filldir_t fill, void *ctx);

/* ---- data ----------------------------------------------------------------- */

/* Through the page cache.  ra may be NULL (no readahead state kept).
 * Read returns bytes (0 at end of file); write returns bytes or -errno
 * and extends i_size. */
ssize_t ext2_file_read(struct inode *inode, struct file_ra_state *ra, char *buf,
		       size_t len, loff_t pos);
ssize_t ext2_file_write(struct inode *inode, const char *buf, size_t len, loff_t pos);
int ext2_truncate(struct inode *inode, loff_t size);
/* For an inode whose remaining references use no data (nothing has it
 * open): if it is an unlinked regular file, free its blocks now; the inode
 * itself goes at the last iput.  Takes i_sem.  Does nothing otherwise. */
void ext2_free_unlinked_data(struct inode *inode);
/* Data and metadata of the inode on disk, with the inodes of the
 * directories this mount linked on the way to it (datasync: the same
 * here).  The caller holds no i_sem.  A failed data write-back is
 * reported by the first fsync after it. */
int ext2_fsync(struct inode *inode, int datasync);
/* As ext2_fsync for an open file that sampled the mapping's wb_err at
 * open (filemap_sample_wb_err): data write-back errors are those set
 * since *f_wb_err, each reported once to this file (errseq). */
int ext2_fsync_file(struct inode *inode, int datasync, errseq_t *f_wb_err);

/* mode: 0 (allocate, extend size), FALLOC_FL_KEEP_SIZE (inside i_size
 * only: ext2 keeps no blocks past it), FALLOC_FL_PUNCH_HOLE |
 * FALLOC_FL_KEEP_SIZE. */
int ext2_fallocate(struct inode *inode, int mode, loff_t off, loff_t len);
/* SEEK_DATA / SEEK_HOLE: the offset, or -ENXIO past the end. */
loff_t ext2_seek_data(struct inode *inode, loff_t off, int whence);

/* ---- extended attributes (user., trusted., security.) --------------------- */

/* Value length; copies it when size allows (-ERANGE if too small, size 0
 * only asks the length).  -ENODATA if absent, -EOPNOTSUPP unknown prefix. */
ssize_t ext2_getxattr(struct inode *inode, const char *name, void *buf, size_t size);
/* flags: XATTR_CREATE, XATTR_REPLACE (<sys/xattr.h>).  -ERANGE for a
 * value larger than a block, -ENOSPC if it does not fit in the block. */
int ext2_setxattr(struct inode *inode, const char *name, const void *value,
		  size_t size, int flags);
/* NUL-separated names; the total length (as getxattr for size). */
ssize_t ext2_listxattr(struct inode *inode, char *buf, size_t size);
int ext2_removexattr(struct inode *inode, const char *name);

/* ---- mkfs (fs/ext2/mkfs.c, used by mkimg and tests) ----------------------- */

struct ext2_mkfs_opts {
	unsigned int block_size;	/* 1024, 2048, 4096; 0: by size */
	unsigned long long size;	/* bytes to use (at most the device's) */
	unsigned long inodes;		/* 0: size / bytes_per_inode */
	unsigned long bytes_per_inode;	/* 0: by size, as mke2fs.conf */
	unsigned int inode_size;	/* 128 or 256; 0: 256 */
	int reserved_percent;		/* 0..50 */
	char label[17];
	unsigned char uuid[16];
	uint32_t hash_seed[4];
	time_t now;			/* every timestamp written */
	int zeroed;			/* the device reads as zeros: skip
					 * writing empty inode tables */
};

/* Defaults: block size by size, 256-byte inodes, 5% reserved, now. */
void ext2_mkfs_opts_default(struct ext2_mkfs_opts *o);

/*
 * Lay out an empty revision 1 file system (filetype, sparse_super,
 * large_file) on an open device: super block and backups, descriptors,
 * bitmaps, inode tables, the root directory.  (lost+found is made by the
 * caller through ext2_mkdir, as any directory.)  The device's buffer cache
 * is attached and detached here.  0 or -errno with *why: -EINVAL for a
 * size too small or too large for the format or a bad option.
 */
int ext2_mkfs(struct block_device *bdev, const struct ext2_mkfs_opts *o,
	      const char **why);

#endif
