/*
 * fs/ext2/file.c - file data and attributes: read and write through the
 * page cache, truncate, setattr/getattr, fsync, fallocate, SEEK_DATA/HOLE
 * (2.4 fs/ext2/file.c with mm/filemap.c's generic_file_read/write and
 * fs/attr.c's inode_setattr, vmtruncate; fallocate and SEEK_DATA/HOLE
 * are later Linux interfaces done the ext2 way).
 *
 * Reads take no lock: generic_file_read copies from uptodate pages, and
 * i_size is sampled once.  Writes, truncation and attribute changes hold
 * the inode's i_sem.  Truncation: set i_size, drop the pages past it,
 * zero the rest of the last block, free the blocks past it (2.4's
 * vmtruncate + ext2_truncate).
 *
 * Interface: ext2.h.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <string.h>
#include <unistd.h>
#include "fs/ext2/ext2_i.h"
#include "vm/writeback.h"

void ext2_getattr(struct inode *inode, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = inode->i_ino;
	st->st_mode = READ_ONCE(inode->i_mode);
	st->st_nlink = READ_ONCE(inode->i_nlink);
	st->st_uid = READ_ONCE(inode->i_uid);
	st->st_gid = READ_ONCE(inode->i_gid);
	st->st_rdev = inode->i_rdev;
	st->st_size = i_size_read(inode);
	st->st_blksize = (blksize_t)inode->i_sb->s_blocksize;
	st->st_blocks = (blkcnt_t)READ_ONCE(inode->i_blocks);
	pthread_mutex_lock(&inode->i_sem);
	st->st_atim = inode->i_atime;
	st->st_mtim = inode->i_mtime;
	st->st_ctim = inode->i_ctime;
	pthread_mutex_unlock(&inode->i_sem);
}

/* ---- reading and writing ------------------------------------------------- */

ssize_t ext2_file_read(struct inode *inode, struct file_ra_state *ra, char *buf,
		       size_t len, loff_t pos)
{
	struct file_ra_state local;

	if (S_ISDIR(inode->i_mode))
		return -EISDIR;
	if (!S_ISREG(inode->i_mode))
		return -EINVAL;
	if (!ra) {
		file_ra_state_init(&local);
		ra = &local;
	}
	return generic_file_read(&inode->i_data, ra, buf, len, pos, i_size_read(inode));
}

/* Caller holds i_sem: clip a write at the format's limit. */
static ssize_t clip_write(struct inode *inode, size_t len, loff_t pos)
{
	unsigned long long max = inode->i_sb->s_maxbytes;

	if (pos < 0)
		return -EINVAL;
	if ((unsigned long long)pos >= max)
		return len ? -EFBIG : 0;
	if (len > max - (unsigned long long)pos)
		len = (size_t)(max - (unsigned long long)pos);
	return (ssize_t)len;
}

/* Caller holds i_sem. */
static ssize_t __file_write(struct inode *inode, const char *buf, size_t len, loff_t pos)
{
	ssize_t n = clip_write(inode, len, pos), done;

	if (n <= 0)
		return n;
	done = generic_file_write(&inode->i_data, buf, (size_t)n, pos);
	if (done > 0) {
		ext2_inode_set_time(inode, EXT2_T_M | EXT2_T_C);
		mark_inode_dirty(inode);
	}
	return done;
}

ssize_t ext2_file_write(struct inode *inode, const char *buf, size_t len, loff_t pos)
{
	ssize_t done;

	if (S_ISDIR(inode->i_mode))
		return -EISDIR;
	if (!S_ISREG(inode->i_mode))
		return -EINVAL;
	if (ext2_rdonly(inode->i_sb))
		return -EROFS;
	pthread_mutex_lock(&inode->i_sem);
	done = __file_write(inode, buf, len, pos);
	pthread_mutex_unlock(&inode->i_sem);
	return done;
}

/* ---- truncate -------------------------------------------------------------- */

/* Caller holds i_sem.  2.4 vmtruncate + ext2_truncate. */
static int __setsize(struct inode *inode, loff_t size)
{
	loff_t old = inode->i_size;
	int err = 0;

	if (size < 0)
		return -EINVAL;
	if ((unsigned long long)size > inode->i_sb->s_maxbytes)
		return -EFBIG;
	if (size < old) {
		/* The one step that needs memory first, while failing it
		 * still leaves the file as it was. */
		err = block_truncate_page(&inode->i_data, size, ext2_get_block);
		if (err)
			return err;
		i_size_write(inode, size);
		truncate_inode_pages(&inode->i_data, size);
		err = ext2_truncate_blocks(inode, size);
	}
	i_size_write(inode, size);
	ext2_inode_set_time(inode, EXT2_T_M | EXT2_T_C);
	mark_inode_dirty(inode);
	return err;
}

int ext2_truncate(struct inode *inode, loff_t size)
{
	int err;

	if (S_ISDIR(inode->i_mode))
		return -EISDIR;
	if (!S_ISREG(inode->i_mode))
		return -EINVAL;
	if (ext2_rdonly(inode->i_sb))
		return -EROFS;
	pthread_mutex_lock(&inode->i_sem);
	err = __setsize(inode, size);
	pthread_mutex_unlock(&inode->i_sem);
	return err;
}

/* ---- setattr ----------------------------------------------------------------- */

static void set_times(struct inode *inode, const struct ext2_iattr *a)
{
	struct timespec now = fs_current_time(inode->i_sb);

	if (a->valid & EXT2_ATTR_ATIME_NOW)
		inode->i_atime = now;
	else if (a->valid & EXT2_ATTR_ATIME)
		inode->i_atime = a->atime;
	if (a->valid & EXT2_ATTR_MTIME_NOW)
		inode->i_mtime = now;
	else if (a->valid & EXT2_ATTR_MTIME)
		inode->i_mtime = a->mtime;
	if (a->valid & EXT2_ATTR_CTIME)
		inode->i_ctime = a->ctime;
	else
		inode->i_ctime = now;
}

int ext2_setattr(struct inode *inode, const struct ext2_iattr *a)
{
	int err = 0;

	if (ext2_rdonly(inode->i_sb))
		return -EROFS;
	if (a->valid & EXT2_ATTR_SIZE) {
		if (S_ISDIR(inode->i_mode))
			return -EISDIR;
		if (!S_ISREG(inode->i_mode))
			return -EINVAL;
	}
	pthread_mutex_lock(&inode->i_sem);
	if (a->valid & EXT2_ATTR_SIZE && a->size != inode->i_size)
		err = __setsize(inode, a->size);
	if (!err) {
		if (a->valid & EXT2_ATTR_MODE)
			inode->i_mode = (inode->i_mode & S_IFMT) | (a->mode & 07777);
		if (a->valid & EXT2_ATTR_UID)
			inode->i_uid = a->uid;
		if (a->valid & EXT2_ATTR_GID)
			inode->i_gid = a->gid;
		set_times(inode, a);
		mark_inode_dirty(inode);
	}
	pthread_mutex_unlock(&inode->i_sem);
	return err;
}

/* ---- fsync ------------------------------------------------------------------- */

/* Deeper than any path can be: a guard against a stale i_dir_ino loop. */
#define FSYNC_MAX_DEPTH	4096

/* The inode into its buffer, under i_sem: never half of a change. */
static int fsync_write_inode(struct inode *inode)
{
	int err;

	pthread_mutex_lock(&inode->i_sem);
	err = write_inode_now(inode, 0);
	pthread_mutex_unlock(&inode->i_sem);
	return err;
}

/*
 * The directories leading to inode, as far as this mount linked them:
 * each one's inode into its buffer.  A directory made since mount has
 * zeros in its inode-table slot until its inode is written, and e2fsck
 * then drops every entry in it (ext4's ext4_sync_parent does the same
 * walk).  A directory no longer cached was clean when it left, so the
 * walk ends there, as it does at one this mount never linked (the root,
 * or one that was on the image before).
 */
static int write_parents(struct inode *inode)
{
	unsigned long ino = ext2_dir_ino(inode);
	int depth, err = 0;

	for (depth = 0; ino && !err && depth < FSYNC_MAX_DEPTH; depth++) {
		struct inode *dir = ilookup(inode->i_sb, ino);

		if (!dir)
			break;
		err = fsync_write_inode(dir);
		ino = ext2_dir_ino(dir);
		iput(dir);
	}
	return err;
}

/*
 * The data first (a page that fails stays dirty: its error is in the
 * mapping's errseq and legacy wb_error), then the inode, the directory
 * inodes on the way to it, then every dirty block of the device - its
 * indirect blocks, directory blocks and bitmaps among them - and the
 * host's flush.  After errors=remount-ro this still writes: what was
 * acknowledged must reach the image if it can.  Metadata failures are the
 * whole file system's (ext2_error through the bdev hook); the first fsync
 * after one reports it.
 */
static int ext2_do_fsync(struct inode *inode, errseq_t *f_wb_err)
{
	int err, err2;

	if (ext2_image_ro(inode->i_sb))
		return 0;
	err = filemap_fdatasync(&inode->i_data);
	err2 = filemap_fdatawait(&inode->i_data);
	if (f_wb_err) {
		/* This file's own view: the errors since its sample, once. */
		err = file_check_and_advance_wb_err(&inode->i_data, f_wb_err);
	} else if (!err) {
		err = err2;
	}
	err2 = fsync_write_inode(inode);
	if (!err)
		err = err2;
	if (READ_ONCE(inode->i_nlink)) {
		err2 = write_parents(inode);
		if (!err)
			err = err2;
	}
	err2 = sync_blockdev(inode->i_sb->s_bdev);
	return err ? err : err2;
}

int ext2_fsync(struct inode *inode, int datasync)
{
	(void)datasync;
	return ext2_do_fsync(inode, NULL);
}

int ext2_fsync_file(struct inode *inode, int datasync, errseq_t *f_wb_err)
{
	(void)datasync;
	return ext2_do_fsync(inode, f_wb_err);
}

/* ---- fallocate ---------------------------------------------------------------- */

static char zero_block[EXT2_MAX_BLOCK_SIZE];

/* Caller holds i_sem: write zeros over [pos, pos + len). */
static int zero_range(struct inode *inode, loff_t pos, size_t len)
{
	while (len) {
		size_t chunk = len < sizeof(zero_block) ? len : sizeof(zero_block);
		ssize_t n = generic_file_write(&inode->i_data, zero_block, chunk, pos);

		if (n < 0)
			return (int)n;
		pos += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Caller holds i_sem: take the pages of [start, end) out of the cache;
 * they were written back first, so nothing is lost. */
static int drop_pages(struct inode *inode, unsigned long start, unsigned long end)
{
	struct address_space *mapping = &inode->i_data;
	unsigned long index;
	int err = filemap_fdatasync(mapping), err2 = filemap_fdatawait(mapping);

	if (err || err2)
		return err ? err : err2;
	for (index = start; index < end; index++) {
		struct page *page = find_lock_page(mapping, index);

		if (!page)
			continue;
		wait_on_page_writeback(page);
		if (page->buffers && !mapping->a_ops->flushpage(page, 0)) {
			unlock_page(page);
			page_cache_release(page);
			return -EBUSY;
		}
		cancel_dirty_page(page);
		ClearPageUptodate(page);
		remove_inode_page(page);
		unlock_page(page);
		page_cache_release(page);	/* the cache's */
		page_cache_release(page);	/* ours */
	}
	return 0;
}

/* Caller holds i_sem: punch [off, off + len) inside i_size. */
static int punch_hole(struct inode *inode, loff_t off, loff_t len)
{
	unsigned int bits = inode->i_sb->s_blocksize_bits;
	loff_t bs = (loff_t)inode->i_sb->s_blocksize, end = off + len;
	loff_t first = (off + bs - 1) & ~(bs - 1), last;
	int err;

	if (end > inode->i_size)
		end = inode->i_size;
	if (off >= end)
		return 0;
	last = end & ~(bs - 1);
	if (first >= last) {	/* inside one block */
		return zero_range(inode, off, (size_t)(end - off));
	}
	err = zero_range(inode, off, (size_t)(first - off));
	/* The partial block at the end of the hole, also where the hole
	 * reaches the end of file: that block is kept, so its part of the
	 * hole must read as zeros. */
	if (!err && end > last)
		err = zero_range(inode, last, (size_t)(end - last));
	if (err)
		return err;
	err = drop_pages(inode, (unsigned long)(first >> PAGE_SHIFT),
			 (unsigned long)((last + PAGE_SIZE - 1) >> PAGE_SHIFT));
	if (err)
		return err;
	return ext2_free_range(inode, (unsigned long)(first >> bits),
			       (unsigned long)(last >> bits));
}

/* Caller holds i_sem: give every hole of [off, end) a zeroed block. */
static int fill_holes(struct inode *inode, loff_t off, loff_t end)
{
	unsigned int bits = inode->i_sb->s_blocksize_bits;
	unsigned long b, last = (unsigned long)((end - 1) >> bits);
	size_t bs = inode->i_sb->s_blocksize;
	loff_t size = inode->i_size;
	int err;

	for (b = (unsigned long)(off >> bits); b <= last; b++) {
		unsigned long phys;
		loff_t pos = (loff_t)b << bits;

		err = ext2_bmap(inode, b, 0, &phys, NULL);
		if (err)
			return err;
		if (phys)
			continue;
		err = zero_range(inode, pos, bs);
		if (err)
			return err;
	}
	if (inode->i_size > (end > size ? end : size))	/* whole blocks were written */
		i_size_write(inode, end > size ? end : size);
	return 0;
}

int ext2_fallocate(struct inode *inode, int mode, loff_t off, loff_t len)
{
	int err;

	if (!S_ISREG(inode->i_mode))
		return S_ISDIR(inode->i_mode) ? -EISDIR : -ENODEV;
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return -EINVAL;
	if (ext2_rdonly(inode->i_sb))
		return -EROFS;
	if ((unsigned long long)off + (unsigned long long)len > inode->i_sb->s_maxbytes)
		return -EFBIG;
	pthread_mutex_lock(&inode->i_sem);
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		err = punch_hole(inode, off, len);
	} else if ((mode & FALLOC_FL_KEEP_SIZE) && off + len > inode->i_size) {
		err = -EOPNOTSUPP;	/* ext2 has no blocks past i_size */
	} else {
		loff_t old = inode->i_size;

		err = fill_holes(inode, off, off + len);
		if (!err && off + len > inode->i_size)
			i_size_write(inode, off + len);
		/* Failed part way: the blocks it placed past the old end go
		 * again (those filling holes inside it read as before). */
		if (err && inode->i_size > old)
			__setsize(inode, old);
	}
	if (!err) {
		ext2_inode_set_time(inode, EXT2_T_M | EXT2_T_C);
		mark_inode_dirty(inode);
	}
	pthread_mutex_unlock(&inode->i_sem);
	return err;
}

/* ---- SEEK_DATA / SEEK_HOLE ---------------------------------------------------- */

loff_t ext2_seek_data(struct inode *inode, loff_t off, int whence)
{
	unsigned int bits = inode->i_sb->s_blocksize_bits;
	loff_t size = i_size_read(inode);
	unsigned long b, last;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	if (off < 0 || off >= size)
		return -ENXIO;
	if (!S_ISREG(inode->i_mode))
		return whence == SEEK_DATA ? off : size;
	last = (unsigned long)((size - 1) >> bits);
	for (b = (unsigned long)(off >> bits); b <= last; b++) {
		unsigned long phys;
		int err = ext2_bmap(inode, b, 0, &phys, NULL);

		if (err)
			return err;
		if (!!phys == (whence == SEEK_DATA)) {
			loff_t pos = (loff_t)b << bits;

			return pos > off ? pos : off;
		}
	}
	return whence == SEEK_DATA ? -ENXIO : size;
}
