/*
 * fs/ext2/dir.c - directory entries (2.4 fs/ext2/dir.c: ext2_check_page,
 * ext2_readdir, ext2_find_entry, ext2_add_link, ext2_delete_entry,
 * ext2_set_link, ext2_make_empty, ext2_empty_dir, ext2_dotdot).
 *
 * A directory is a file of blocks, each a chain of ext2_dir_entry_2
 * records: rec_len leads from one to the next and the chain ends exactly
 * at the block's end; an entry with inode 0 is unused space.  Adding
 * takes an unused entry or splits one with room to spare, else appends a
 * block; deleting merges the entry into the one before it (or clears its
 * inode if it is the block's first).
 *
 * Directory blocks are metadata: read through ext2_bread into buffers of
 * the block-device mapping.  Every block is checked before use (rec_len
 * aligned, large enough for its name, inside the block, inode number in
 * range); a bad one is -EIO for this directory and one log line.
 *
 * dir_index: an indexed directory's tree blocks are valid linear blocks
 * (the root's ".." entry and each node's single empty entry span them),
 * so it is read linearly.  Any change clears EXT2_INDEX_FL (DESIGN.md:
 * the index is not maintained), which leaves a valid linear directory.
 *
 * Locking: the caller holds dir->i_sem for everything here; each block
 * edit runs under the buffer lock so writeback never sees half of it.
 */
#include <string.h>
#include "fs/ext2/ext2_i.h"

static const unsigned char type_by_mode[S_IFMT >> 12] = {
	[S_IFREG >> 12] = EXT2_FT_REG_FILE, [S_IFDIR >> 12] = EXT2_FT_DIR,
	[S_IFCHR >> 12] = EXT2_FT_CHRDEV, [S_IFBLK >> 12] = EXT2_FT_BLKDEV,
	[S_IFIFO >> 12] = EXT2_FT_FIFO, [S_IFSOCK >> 12] = EXT2_FT_SOCK,
	[S_IFLNK >> 12] = EXT2_FT_SYMLINK,
};

unsigned char ext2_type_by_mode(mode_t mode)
{
	return type_by_mode[(mode & S_IFMT) >> 12];
}

static void set_de_type(struct super_block *sb, struct ext2_dir_entry_2 *de, mode_t mode)
{
	de->file_type = ext2_has_incompat(sb, EXT2_FEATURE_INCOMPAT_FILETYPE) ?
			ext2_type_by_mode(mode) : 0;
}

static unsigned int rec_len(const struct ext2_dir_entry_2 *de)
{
	return le16_to_cpu(de->rec_len);
}

static struct ext2_dir_entry_2 *next_de(struct ext2_dir_entry_2 *de)
{
	return (struct ext2_dir_entry_2 *)((char *)de + rec_len(de));
}

static unsigned long dir_blocks(struct inode *dir)
{
	return (unsigned long)((dir->i_size + dir->i_sb->s_blocksize - 1) >>
			       dir->i_sb->s_blocksize_bits);
}

/* 2.4 ext2_check_page, for one block.  0 or -EIO. */
static int check_block(struct inode *dir, struct buffer_head *bh, unsigned long n)
{
	struct super_block *sb = dir->i_sb;
	unsigned long bs = sb->s_blocksize, off = 0;
	const char *why = NULL;

	while (off <= bs - EXT2_DIR_REC_LEN(1)) {
		struct ext2_dir_entry_2 *de = (struct ext2_dir_entry_2 *)(bh->b_data + off);
		unsigned int len = rec_len(de);

		if (len < (unsigned int)EXT2_DIR_REC_LEN(1))
			why = "rec_len is smaller than minimal";
		else if (len & 3)
			why = "unaligned directory entry";
		else if (len < (unsigned int)EXT2_DIR_REC_LEN(de->name_len))
			why = "rec_len is too small for name_len";
		else if (off + len > bs)
			why = "directory entry across blocks";
		else if (le32_to_cpu(de->inode) > EXT2_SB(sb)->s_inodes_count)
			why = "inode out of bounds";
		if (why)
			break;
		off += len;
	}
	if (!why && off != bs)
		why = "entries do not end at the block's end";
	if (!why)
		return 0;
	ext2_error_inode(sb, dir->i_ino, __func__,
			 "directory inode %lu, block %lu, offset %lu: %s", dir->i_ino, n, off,
			 why);
	return -EIO;
}

/* Block n of dir, read and checked.  NULL and *err (a hole is -EIO). */
static struct buffer_head *dir_block(struct inode *dir, unsigned long n, int *err)
{
	struct buffer_head *bh = ext2_bread(dir, n, 0, err);

	if (!bh) {
		if (!*err) {
			ext2_error_inode(dir->i_sb, dir->i_ino, __func__,
					 "directory inode %lu: hole at block %lu", dir->i_ino,
					 n);
			*err = -EIO;
		}
		return NULL;
	}
	*err = check_block(dir, bh, n);
	if (*err) {
		brelse(bh);
		return NULL;
	}
	return bh;
}

static int name_match(const struct ext2_dir_entry_2 *de, const char *name, size_t len)
{
	return de->inode && de->name_len == len && !memcmp(de->name, name, len);
}

/* The entry for name: its block (referenced), the entry and the one
 * before it in the block (NULL for the first).  -ENOENT, -EIO. */
static int find_de(struct inode *dir, const char *name, size_t len,
		   struct buffer_head **bhp, struct ext2_dir_entry_2 **dep,
		   struct ext2_dir_entry_2 **prevp)
{
	unsigned long n, nblocks = dir_blocks(dir);
	int err;

	for (n = 0; n < nblocks; n++) {
		struct buffer_head *bh = dir_block(dir, n, &err);
		struct ext2_dir_entry_2 *de, *prev = NULL, *end;

		if (!bh)
			return err;
		de = (struct ext2_dir_entry_2 *)bh->b_data;
		end = (struct ext2_dir_entry_2 *)(bh->b_data + dir->i_sb->s_blocksize);
		for (; de < end; prev = de, de = next_de(de)) {
			if (name_match(de, name, len)) {
				*bhp = bh;
				*dep = de;
				if (prevp)
					*prevp = prev;
				return 0;
			}
		}
		brelse(bh);
	}
	return -ENOENT;
}

int ext2_find_entry(struct inode *dir, const char *name, size_t len,
		    unsigned long *ino, unsigned char *type)
{
	struct ext2_dir_entry_2 *de;
	struct buffer_head *bh;
	int err = find_de(dir, name, len, &bh, &de, NULL);

	if (err)
		return err;
	*ino = le32_to_cpu(de->inode);
	if (type)
		*type = de->file_type;
	brelse(bh);
	return 0;
}

void ext2_dir_changed(struct inode *dir)
{
	struct ext2_inode_info *ei = EXT2_I(dir);

	ei->i_flags &= ~EXT2_INDEX_FL;
	ext2_inode_set_time(dir, EXT2_T_M | EXT2_T_C);
	mark_inode_dirty(dir);
}

/* Fill de (rec_len already set) with name -> inode. */
static void fill_de(struct inode *dir, struct ext2_dir_entry_2 *de, const char *name,
		    size_t len, struct inode *inode)
{
	de->inode = cpu_to_le32((uint32_t)inode->i_ino);
	de->name_len = (uint8_t)len;
	memcpy(de->name, name, len);
	set_de_type(dir->i_sb, de, inode->i_mode);
}

/* Room for an entry of reclen in bh?  The entry to use (split if live). */
static struct ext2_dir_entry_2 *find_room(struct buffer_head *bh, unsigned long bs,
					  unsigned int reclen, const char *name,
					  size_t len, int *exists)
{
	struct ext2_dir_entry_2 *de = (struct ext2_dir_entry_2 *)bh->b_data;
	struct ext2_dir_entry_2 *end = (struct ext2_dir_entry_2 *)(bh->b_data + bs);
	struct ext2_dir_entry_2 *found = NULL;

	for (; de < end; de = next_de(de)) {
		if (name_match(de, name, len)) {
			*exists = 1;
			return NULL;
		}
		if (found)
			continue;
		if (!de->inode && rec_len(de) >= reclen)
			found = de;
		else if (de->inode && rec_len(de) >= EXT2_DIR_REC_LEN(de->name_len) + reclen)
			found = de;
	}
	return found;
}

/* Put name in de of bh (splitting a live entry). */
static void insert_at(struct inode *dir, struct buffer_head *bh, struct ext2_dir_entry_2 *de,
		      const char *name, size_t len, struct inode *inode)
{
	lock_buffer(bh);
	if (de->inode) {
		unsigned int used = EXT2_DIR_REC_LEN(de->name_len);
		struct ext2_dir_entry_2 *de1 = (struct ext2_dir_entry_2 *)((char *)de + used);

		de1->rec_len = cpu_to_le16((uint16_t)(rec_len(de) - used));
		de->rec_len = cpu_to_le16((uint16_t)used);
		de = de1;
	}
	fill_de(dir, de, name, len, inode);
	unlock_buffer(bh);
	mark_buffer_dirty(bh);
}

/* Append a block holding only name.  0 or -errno. */
static int append_block(struct inode *dir, const char *name, size_t len,
			struct inode *inode)
{
	unsigned long n = dir_blocks(dir), bs = dir->i_sb->s_blocksize;
	struct ext2_dir_entry_2 *de;
	struct buffer_head *bh;
	int err;

	if ((unsigned long long)(n + 1) * bs > 0x7fffffffULL)
		return -ENOSPC;
	bh = ext2_bread(dir, n, 1, &err);
	if (!bh)
		return err ? err : -EIO;
	de = (struct ext2_dir_entry_2 *)bh->b_data;
	lock_buffer(bh);
	de->rec_len = cpu_to_le16((uint16_t)bs);
	fill_de(dir, de, name, len, inode);
	unlock_buffer(bh);
	mark_buffer_dirty(bh);
	brelse(bh);
	i_size_write(dir, (loff_t)(n + 1) * (loff_t)bs);
	return 0;
}

int ext2_add_link(struct inode *dir, const char *name, size_t len, struct inode *inode)
{
	unsigned long n, nblocks = dir_blocks(dir), bs = dir->i_sb->s_blocksize;
	unsigned int reclen = EXT2_DIR_REC_LEN(len);
	int err, exists = 0;

	for (n = 0; n < nblocks; n++) {
		struct buffer_head *bh = dir_block(dir, n, &err);
		struct ext2_dir_entry_2 *de;

		if (!bh)
			return err;
		de = find_room(bh, bs, reclen, name, len, &exists);
		if (exists) {
			brelse(bh);
			return -EEXIST;
		}
		if (de) {
			insert_at(dir, bh, de, name, len, inode);
			brelse(bh);
			ext2_dir_changed(dir);
			ext2_set_dir_ino(inode, dir);
			return 0;
		}
		brelse(bh);
	}
	err = append_block(dir, name, len, inode);
	if (!err) {
		ext2_dir_changed(dir);
		ext2_set_dir_ino(inode, dir);
	}
	return err;
}

int ext2_delete_entry(struct inode *dir, const char *name, size_t len)
{
	struct ext2_dir_entry_2 *de, *prev;
	struct buffer_head *bh;
	int err = find_de(dir, name, len, &bh, &de, &prev);

	if (err)
		return err;
	lock_buffer(bh);
	if (prev)
		prev->rec_len = cpu_to_le16((uint16_t)(rec_len(prev) + rec_len(de)));
	de->inode = 0;
	unlock_buffer(bh);
	mark_buffer_dirty(bh);
	brelse(bh);
	ext2_dir_changed(dir);
	return 0;
}

int ext2_set_link(struct inode *dir, const char *name, size_t len, struct inode *inode)
{
	struct ext2_dir_entry_2 *de;
	struct buffer_head *bh;
	int err = find_de(dir, name, len, &bh, &de, NULL);

	if (err)
		return err;
	lock_buffer(bh);
	de->inode = cpu_to_le32((uint32_t)inode->i_ino);
	set_de_type(dir->i_sb, de, inode->i_mode);
	unlock_buffer(bh);
	mark_buffer_dirty(bh);
	brelse(bh);
	ext2_dir_changed(dir);
	ext2_set_dir_ino(inode, dir);
	return 0;
}

/* Block 0's ".." entry, checked by itself, returned with the buffer
 * locked (callers may not hold dir's i_sem: only "." and ".." are looked
 * at, and every edit of a directory block holds the buffer lock). */
static int dotdot_de(struct inode *dir, struct buffer_head **bhp,
		     struct ext2_dir_entry_2 **dep)
{
	struct ext2_dir_entry_2 *de;
	struct buffer_head *bh;
	int err;

	bh = ext2_bread(dir, 0, 0, &err);
	if (!bh)
		goto out_bad;
	lock_buffer(bh);
	de = (struct ext2_dir_entry_2 *)bh->b_data;
	if (rec_len(de) != EXT2_DIR_REC_LEN(1) || de->name_len != 1 || de->name[0] != '.')
		goto out_bad_unlock;
	de = next_de(de);
	if (de->name_len != 2 || memcmp(de->name, "..", 2) ||
	    rec_len(de) < EXT2_DIR_REC_LEN(2) ||
	    rec_len(de) > dir->i_sb->s_blocksize - EXT2_DIR_REC_LEN(1))
		goto out_bad_unlock;
	*bhp = bh;
	*dep = de;
	return 0;

out_bad_unlock:
	unlock_buffer(bh);
	brelse(bh);
out_bad:
	if (err)
		return err;
	ext2_error_inode(dir->i_sb, dir->i_ino, __func__,
			 "directory inode %lu: bad \".\" or \"..\"", dir->i_ino);
	return -EIO;
}

int ext2_dotdot(struct inode *dir, unsigned long *ino)
{
	struct ext2_dir_entry_2 *de;
	struct buffer_head *bh;
	int err = dotdot_de(dir, &bh, &de);

	if (err)
		return err;
	*ino = le32_to_cpu(de->inode);
	unlock_buffer(bh);
	brelse(bh);
	return 0;
}

int ext2_set_dotdot(struct inode *dir, struct inode *parent)
{
	struct ext2_dir_entry_2 *de;
	struct buffer_head *bh;
	int err = dotdot_de(dir, &bh, &de);

	if (err)
		return err;
	de->inode = cpu_to_le32((uint32_t)parent->i_ino);
	unlock_buffer(bh);
	mark_buffer_dirty(bh);
	brelse(bh);
	ext2_dir_changed(dir);
	return 0;
}

int ext2_make_empty(struct inode *inode, struct inode *parent)
{
	unsigned long bs = inode->i_sb->s_blocksize;
	struct ext2_dir_entry_2 *de;
	struct buffer_head *bh;
	int err;

	bh = ext2_bread(inode, 0, 1, &err);
	if (!bh)
		return err ? err : -EIO;
	lock_buffer(bh);
	de = (struct ext2_dir_entry_2 *)bh->b_data;
	de->rec_len = cpu_to_le16(EXT2_DIR_REC_LEN(1));
	fill_de(inode, de, ".", 1, inode);
	de = next_de(de);
	de->rec_len = cpu_to_le16((uint16_t)(bs - EXT2_DIR_REC_LEN(1)));
	fill_de(inode, de, "..", 2, parent);
	unlock_buffer(bh);
	mark_buffer_dirty(bh);
	brelse(bh);
	i_size_write(inode, (loff_t)bs);
	mark_inode_dirty(inode);
	return 0;
}

static int is_dot_or_dotdot(const struct ext2_dir_entry_2 *de)
{
	return (de->name_len == 1 && de->name[0] == '.') ||
	       (de->name_len == 2 && de->name[0] == '.' && de->name[1] == '.');
}

int ext2_empty_dir(struct inode *inode)
{
	unsigned long n, nblocks = dir_blocks(inode), bs = inode->i_sb->s_blocksize;
	int err;

	for (n = 0; n < nblocks; n++) {
		struct buffer_head *bh = dir_block(inode, n, &err);
		struct ext2_dir_entry_2 *de, *end;

		if (!bh)
			return err;
		de = (struct ext2_dir_entry_2 *)bh->b_data;
		end = (struct ext2_dir_entry_2 *)(bh->b_data + bs);
		for (; de < end; de = next_de(de)) {
			if (de->inode && !is_dot_or_dotdot(de)) {
				brelse(bh);
				return 0;
			}
		}
		brelse(bh);
	}
	return 1;
}

/* ---- readdir ---------------------------------------------------------------- */

static const unsigned char dtype_by_ft[EXT2_FT_MAX] = {
	[EXT2_FT_UNKNOWN] = 0 /* DT_UNKNOWN */, [EXT2_FT_REG_FILE] = 8, [EXT2_FT_DIR] = 4,
	[EXT2_FT_CHRDEV] = 2, [EXT2_FT_BLKDEV] = 6, [EXT2_FT_FIFO] = 1,
	[EXT2_FT_SOCK] = 12, [EXT2_FT_SYMLINK] = 10,
};

/* Entries of block n from offset on.  1 if fill asked to stop. */
static int readdir_block(struct inode *dir, struct buffer_head *bh, unsigned long n,
			 unsigned long offset, ext2_filldir_t fill, void *ctx)
{
	unsigned long bs = dir->i_sb->s_blocksize, off = 0;
	loff_t base = (loff_t)n << dir->i_sb->s_blocksize_bits;

	while (off < bs) {
		struct ext2_dir_entry_2 *de = (struct ext2_dir_entry_2 *)(bh->b_data + off);
		unsigned long next = off + rec_len(de);

		if (off >= offset && de->inode) {
			unsigned char t = de->file_type < EXT2_FT_MAX ? dtype_by_ft[de->file_type] : 0;

			if (fill(ctx, de->name, de->name_len, le32_to_cpu(de->inode), t,
				 base + (loff_t)next))
				return 1;
		}
		off = next;
	}
	return 0;
}

int ext2_readdir(struct inode *dir, loff_t pos, ext2_filldir_t fill, void *ctx)
{
	unsigned long bits = dir->i_sb->s_blocksize_bits, n, nblocks;
	int err = 0;

	if (!S_ISDIR(dir->i_mode))
		return -ENOTDIR;
	if (pos < 0)
		return -EINVAL;
	pthread_mutex_lock(&dir->i_sem);
	nblocks = dir_blocks(dir);
	for (n = (unsigned long)(pos >> bits); n < nblocks; n++) {
		unsigned long offset = n == (unsigned long)(pos >> bits) ?
				       (unsigned long)(pos & ((1L << bits) - 1)) : 0;
		struct buffer_head *bh = dir_block(dir, n, &err);
		int stop;

		if (!bh)
			break;
		stop = readdir_block(dir, bh, n, offset, fill, ctx);
		brelse(bh);
		if (stop)
			break;
	}
	pthread_mutex_unlock(&dir->i_sem);
	return err;
}
