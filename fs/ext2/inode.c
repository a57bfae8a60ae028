/*
 * fs/ext2/inode.c - inodes on disk and the block map (2.4 fs/ext2/inode.c:
 * ext2_read_inode, ext2_update_inode/ext2_write_inode, ext2_delete_inode,
 * ext2_block_to_path, ext2_get_block, ext2_truncate, ext2_aops).
 *
 * The block map is the classic one: i_data[0..11] point at data blocks,
 * i_data[12] at an indirect block of 4-byte pointers, [13] at a double and
 * [14] at a triple indirect block.  __ext2_bmap walks it from the inode to
 * the data block, allocating missing blocks when asked (indirect blocks
 * are zeroed through their buffers, data blocks come back BH_New for the
 * caller to fill).  Every pointer is checked before it is followed: a
 * block outside the file system or one seen earlier in the same chain (a
 * loop) is -EIO and one log line.  Truncation frees whole subtrees past
 * the new end and clears the pointers that led to them.
 *
 * File data moves through the page cache (ext2_aops over fs/block_page.c);
 * indirect blocks, inode tables, directories and slow symlinks through
 * buffers of the block-device mapping (low memory).
 *
 * Locking: ei->i_meta around every walk and change of the map, of
 * i_blocks and of the preallocation; ext2_write_inode takes it to copy a
 * consistent map.  Callers of truncate hold i_sem.
 */
#include <string.h>
#include <sys/sysmacros.h>
#include "fs/ext2/ext2_i.h"
#include "vm/slab.h"

static kmem_cache_t *ext2_inode_cachep;
static int ext2_inode_cache_users;
static pthread_mutex_t ext2_inode_cache_lock = PTHREAD_MUTEX_INITIALIZER;

int ext2_inode_cache_get(void);
void ext2_inode_cache_put(void);

int ext2_inode_cache_get(void)
{
	int err = 0;

	pthread_mutex_lock(&ext2_inode_cache_lock);
	if (!ext2_inode_cache_users) {
		ext2_inode_cachep = kmem_cache_create("ext2_inode_cache",
						      sizeof(struct ext2_inode_info),
						      0, SLAB_HWCACHE_ALIGN, NULL, NULL);
		if (!ext2_inode_cachep)
			err = -ENOMEM;
	}
	if (!err)
		ext2_inode_cache_users++;
	pthread_mutex_unlock(&ext2_inode_cache_lock);
	return err;
}

void ext2_inode_cache_put(void)
{
	pthread_mutex_lock(&ext2_inode_cache_lock);
	if (--ext2_inode_cache_users == 0) {
		kmem_cache_destroy(ext2_inode_cachep);
		ext2_inode_cachep = NULL;
	}
	pthread_mutex_unlock(&ext2_inode_cache_lock);
}

/* ---- the in-memory inode ------------------------------------------------ */

static struct inode *ext2_alloc_inode(struct super_block *sb)
{
	struct ext2_inode_info *ei = kmem_cache_alloc(ext2_inode_cachep, GFP_NOFS);

	if (!ei)
		return NULL;
	inode_init_once(&ei->vfs_inode);
	memset((char *)ei + sizeof(struct inode), 0, sizeof(*ei) - sizeof(struct inode));
	pthread_mutex_init(&ei->i_meta, NULL);
	address_space_init(&ei->vfs_inode.i_data, &ext2_aops, &ei->vfs_inode,
			   GFP_HIGHUSER, 0);
	ei->vfs_inode.i_data.blkbits = sb->s_blocksize_bits;
	return &ei->vfs_inode;
}

static void ext2_destroy_inode(struct inode *inode)
{
	struct ext2_inode_info *ei = EXT2_I(inode);

	address_space_destroy(&inode->i_data);
	pthread_mutex_destroy(&ei->i_meta);
	inode_destroy_once(inode);
	kmem_cache_free(ext2_inode_cachep, ei);
}

static void ext2_clear_inode(struct inode *inode)
{
	if (ext2_image_ro(inode->i_sb))
		return;
	pthread_mutex_lock(&EXT2_I(inode)->i_meta);
	ext2_discard_prealloc(inode);
	pthread_mutex_unlock(&EXT2_I(inode)->i_meta);
}

int ext2_inode_is_fast_symlink(struct inode *inode)
{
	unsigned long ea = EXT2_I(inode)->i_file_acl ? inode->i_sb->s_blocksize >> 9 : 0;

	return S_ISLNK(inode->i_mode) && inode->i_blocks - ea == 0;
}

/* ---- times --------------------------------------------------------------- */

static uint32_t encode_extra(const struct timespec *ts)
{
	uint32_t epoch = (uint32_t)(((int64_t)ts->tv_sec - (int32_t)ts->tv_sec) >> 32) & 3;

	return epoch | ((uint32_t)ts->tv_nsec << 2);
}

static void decode_time(struct timespec *ts, uint32_t sec, uint32_t extra, int has_extra)
{
	ts->tv_sec = (int32_t)sec;
	ts->tv_nsec = 0;
	if (has_extra) {
		ts->tv_sec += (time_t)((int64_t)(extra & 3) << 32);
		ts->tv_nsec = (long)(extra >> 2);
		if (ts->tv_nsec >= 1000000000L)
			ts->tv_nsec = 0;
	}
}

void ext2_inode_set_time(struct inode *inode, int which)
{
	struct timespec now = fs_current_time(inode->i_sb);

	if (which & EXT2_T_A)
		inode->i_atime = now;
	if (which & EXT2_T_M)
		inode->i_mtime = now;
	if (which & EXT2_T_C)
		inode->i_ctime = now;
}

/* Bytes of the large inode's extra area that hold the three *_extra. */
#define EXTRA_TIMES_END	(offsetof(struct ext2_inode, i_atime_extra) + 4 - \
			 EXT2_GOOD_OLD_INODE_BYTES)
#define EXTRA_CRTIME_END (offsetof(struct ext2_inode, i_crtime_extra) + 4 - \
			  EXT2_GOOD_OLD_INODE_BYTES)

/* ---- reading and writing inodes ------------------------------------------ */

/* The raw inode of ino in its inode-table buffer.  NULL and *err. */
static struct ext2_inode *ext2_get_raw_inode(struct super_block *sb, unsigned long ino,
					     struct buffer_head **bhp, int *err)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	unsigned long group, offset, block;
	struct ext2_group_desc *gd;

	if (ino < 1 || ino > sbi->s_inodes_count) {
		*err = -ESTALE;
		return NULL;
	}
	group = (ino - 1) / sbi->s_inodes_per_group;
	offset = ((ino - 1) % sbi->s_inodes_per_group) * sbi->s_inode_size;
	gd = ext2_get_group_desc(sb, group, NULL);
	block = le32_to_cpu(gd->bg_inode_table) + (offset >> sb->s_blocksize_bits);
	*bhp = ext2_sb_bread(sb, block);
	if (!*bhp) {
		ext2_error_inode(sb, ino, __func__,
				 "inode %lu: cannot read inode table block %lu", ino, block);
		*err = -EIO;
		return NULL;
	}
	return (struct ext2_inode *)((*bhp)->b_data + (offset & (sb->s_blocksize - 1)));
}

static dev_t decode_dev(const struct ext2_inode_info *ei)
{
	uint32_t d = ei->i_data[0];

	if (d)
		return makedev((d >> 8) & 0xff, d & 0xff);
	d = ei->i_data[1];
	return makedev((d & 0xfff00) >> 8, (d & 0xff) | ((d >> 12) & 0xfff00));
}

static void encode_dev(struct ext2_inode_info *ei, dev_t dev)
{
	unsigned int ma = major(dev), mi = minor(dev);

	memset(ei->i_data, 0, sizeof(ei->i_data));
	if (ma < 256 && mi < 256)
		ei->i_data[0] = (ma << 8) | mi;
	else
		ei->i_data[1] = (mi & 0xff) | (ma << 8) | ((mi & ~0xffU) << 12);
}

void ext2_encode_rdev(struct inode *inode);
void ext2_encode_rdev(struct inode *inode)
{
	encode_dev(EXT2_I(inode), inode->i_rdev);
}

static int valid_mode(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return 1;
	}
	return 0;
}

/* The size, checked against the format's limit.  0 or -EIO. */
static int fill_size(struct inode *inode, const struct ext2_inode *raw)
{
	struct super_block *sb = inode->i_sb;
	uint64_t size = le32_to_cpu(raw->i_size);

	if (S_ISREG(inode->i_mode))
		size |= (uint64_t)le32_to_cpu(raw->i_size_high) << 32;
	if (size > sb->s_maxbytes) {
		ext2_error_inode(sb, inode->i_ino, __func__,
				 "inode %lu: size %llu beyond the format's limit", inode->i_ino,
				 (unsigned long long)size);
		return -EIO;
	}
	inode->i_size = (loff_t)size;
	return 0;
}

/* The large inode's fields: i_extra_isize, nanoseconds, creation time. */
static int fill_extra(struct inode *inode, const struct ext2_inode *raw)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	struct ext2_sb_info *sbi = EXT2_SB(inode->i_sb);
	int xt, xc;

	ei->i_extra_isize = 0;
	if (sbi->s_inode_size > EXT2_GOOD_OLD_INODE_SIZE) {
		ei->i_extra_isize = le16_to_cpu(raw->i_extra_isize);
		if (ei->i_extra_isize > sbi->s_inode_size - EXT2_GOOD_OLD_INODE_SIZE ||
		    ei->i_extra_isize & 3) {
			ext2_error_inode(inode->i_sb, inode->i_ino, __func__,
					 "inode %lu: bad extra size %u", inode->i_ino,
					 ei->i_extra_isize);
			return -EIO;
		}
	}
	xt = ei->i_extra_isize >= EXTRA_TIMES_END;
	xc = ei->i_extra_isize >= EXTRA_CRTIME_END;
	decode_time(&inode->i_atime, le32_to_cpu(raw->i_atime),
		    xt ? le32_to_cpu(raw->i_atime_extra) : 0, xt);
	decode_time(&inode->i_mtime, le32_to_cpu(raw->i_mtime),
		    xt ? le32_to_cpu(raw->i_mtime_extra) : 0, xt);
	decode_time(&inode->i_ctime, le32_to_cpu(raw->i_ctime),
		    xt ? le32_to_cpu(raw->i_ctime_extra) : 0, xt);
	if (xc) {
		ei->i_crtime = le32_to_cpu(raw->i_crtime);
		ei->i_crtime_extra = le32_to_cpu(raw->i_crtime_extra);
	}
	return 0;
}

/* The block pointers (or a fast symlink's target, or a device number). */
static void fill_blocks(struct inode *inode, const struct ext2_inode *raw)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	int i;

	for (i = 0; i < EXT2_N_BLOCKS; i++)
		ei->i_data[i] = le32_to_cpu(raw->i_block[i]);
	if (ext2_inode_is_fast_symlink(inode))
		memcpy(ei->i_data, raw->i_block, sizeof(ei->i_data));
	if (S_ISCHR(inode->i_mode) || S_ISBLK(inode->i_mode))
		inode->i_rdev = decode_dev(ei);
}

/* Copy the raw inode into the in-memory one.  0 or -errno. */
static int fill_inode(struct inode *inode, const struct ext2_inode *raw)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	struct super_block *sb = inode->i_sb;

	inode->i_mode = le16_to_cpu(raw->i_mode);
	inode->i_uid = le16_to_cpu(raw->i_uid) | (uid_t)le16_to_cpu(raw->l_i_uid_high) << 16;
	inode->i_gid = le16_to_cpu(raw->i_gid) | (gid_t)le16_to_cpu(raw->l_i_gid_high) << 16;
	inode->i_nlink = le16_to_cpu(raw->i_links_count);
	ei->i_dtime = le32_to_cpu(raw->i_dtime);
	if (!inode->i_nlink && (!inode->i_mode || ei->i_dtime))
		return -ESTALE;		/* a deleted inode */
	if (!valid_mode(inode->i_mode)) {
		ext2_error_inode(sb, inode->i_ino, __func__,
				 "inode %lu: bad mode %o", inode->i_ino,
				 (unsigned int)inode->i_mode);
		return -EIO;
	}
	ei->i_flags = le32_to_cpu(raw->i_flags);
	if (ei->i_flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL)) {
		ext2_error_inode(sb, inode->i_ino, __func__,
				 "inode %lu: extents or inline data", inode->i_ino);
		return -EIO;
	}
	inode->i_blocks = le32_to_cpu(raw->i_blocks);
	ei->i_file_acl = le32_to_cpu(raw->i_file_acl);
	ei->i_version = le32_to_cpu(raw->i_version);
	ei->i_faddr = le32_to_cpu(raw->i_faddr);
	ei->i_frag = raw->l_i_frag;
	ei->i_fsize = raw->l_i_fsize;
	inode->i_generation = le32_to_cpu(raw->i_generation);
	ei->i_block_group = (uint32_t)((inode->i_ino - 1) / EXT2_SB(sb)->s_inodes_per_group);
	fill_blocks(inode, raw);
	if (fill_size(inode, raw))
		return -EIO;
	return fill_extra(inode, raw);
}

int ext2_read_inode(struct inode *inode)
{
	struct buffer_head *bh;
	struct ext2_inode *raw;
	int err = 0;

	raw = ext2_get_raw_inode(inode->i_sb, inode->i_ino, &bh, &err);
	if (!raw)
		return err;
	err = fill_inode(inode, raw);
	brelse(bh);
	return err;
}

/* Files over 2 GiB need large_file in the super block (2.4 does this in
 * ext2_update_inode). */
static void need_large_file(struct super_block *sb)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	int set = 0;

	spin_lock(&sbi->s_lock);
	if (!(sbi->s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE)) {
		sbi->s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
		set = 1;
	}
	spin_unlock(&sbi->s_lock);
	if (set)
		ext2_commit_super(sb);
}

/* Caller holds i_meta: the in-memory inode into raw. */
static void copy_to_raw(struct inode *inode, struct ext2_inode *raw)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	int i;

	raw->i_mode = cpu_to_le16((uint16_t)inode->i_mode);
	raw->i_uid = cpu_to_le16((uint16_t)inode->i_uid);
	raw->l_i_uid_high = cpu_to_le16((uint16_t)(inode->i_uid >> 16));
	raw->i_gid = cpu_to_le16((uint16_t)inode->i_gid);
	raw->l_i_gid_high = cpu_to_le16((uint16_t)(inode->i_gid >> 16));
	raw->i_links_count = cpu_to_le16((uint16_t)inode->i_nlink);
	raw->i_size = cpu_to_le32((uint32_t)inode->i_size);
	raw->i_size_high = cpu_to_le32(S_ISREG(inode->i_mode) ?
				       (uint32_t)((uint64_t)inode->i_size >> 32) : 0);
	raw->i_atime = cpu_to_le32((uint32_t)inode->i_atime.tv_sec);
	raw->i_mtime = cpu_to_le32((uint32_t)inode->i_mtime.tv_sec);
	raw->i_ctime = cpu_to_le32((uint32_t)inode->i_ctime.tv_sec);
	raw->i_dtime = cpu_to_le32(ei->i_dtime);
	raw->i_blocks = cpu_to_le32((uint32_t)inode->i_blocks);
	raw->i_flags = cpu_to_le32(ei->i_flags);
	raw->i_generation = cpu_to_le32(inode->i_generation);
	raw->i_file_acl = cpu_to_le32(ei->i_file_acl);
	if (ext2_inode_is_fast_symlink(inode))
		memcpy(raw->i_block, ei->i_data, sizeof(raw->i_block));
	else
		for (i = 0; i < EXT2_N_BLOCKS; i++)
			raw->i_block[i] = cpu_to_le32(ei->i_data[i]);
	if (ei->i_extra_isize) {
		raw->i_extra_isize = cpu_to_le16(ei->i_extra_isize);
		if (ei->i_extra_isize >= EXTRA_TIMES_END) {
			raw->i_atime_extra = cpu_to_le32(encode_extra(&inode->i_atime));
			raw->i_mtime_extra = cpu_to_le32(encode_extra(&inode->i_mtime));
			raw->i_ctime_extra = cpu_to_le32(encode_extra(&inode->i_ctime));
		}
		if (ei->i_extra_isize >= EXTRA_CRTIME_END) {
			raw->i_crtime = cpu_to_le32(ei->i_crtime);
			raw->i_crtime_extra = cpu_to_le32(ei->i_crtime_extra);
		}
	}
}

int ext2_write_inode(struct inode *inode, int sync)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	struct buffer_head *bh;
	struct ext2_inode *raw;
	int err = 0;

	if (ext2_image_ro(inode->i_sb))
		return 0;
	raw = ext2_get_raw_inode(inode->i_sb, inode->i_ino, &bh, &err);
	if (!raw)
		return err;
	if (inode->i_size > 0x7fffffffLL && S_ISREG(inode->i_mode))
		need_large_file(inode->i_sb);
	pthread_mutex_lock(&ei->i_meta);
	lock_buffer(bh);	/* no write of a half-copied inode */
	copy_to_raw(inode, raw);
	unlock_buffer(bh);
	pthread_mutex_unlock(&ei->i_meta);
	mark_buffer_dirty(bh);
	if (sync)
		err = sync_dirty_buffer(bh);
	brelse(bh);
	return err;
}

/* The new inode ialloc made: zero its slot on disk, then write it. */
int ext2_init_raw_inode(struct inode *inode);
int ext2_init_raw_inode(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;
	struct buffer_head *bh;
	struct ext2_inode *raw;
	int err = 0;

	raw = ext2_get_raw_inode(sb, inode->i_ino, &bh, &err);
	if (!raw)
		return err;
	lock_buffer(bh);
	memset(raw, 0, EXT2_SB(sb)->s_inode_size);
	unlock_buffer(bh);
	mark_buffer_dirty(bh);
	brelse(bh);
	return 0;
}

/* ---- the block map ------------------------------------------------------- */

/* File block iblock as a path of offsets, 2.4 ext2_block_to_path.  The
 * depth (1-4), or 0 past the triple-indirect limit. */
static int block_to_path(struct inode *inode, unsigned long iblock, unsigned int off[4])
{
	unsigned int bits = EXT2_SB(inode->i_sb)->s_addr_per_block_bits;
	unsigned long ptrs = 1UL << bits;
	unsigned long dbl = 1UL << (2 * bits);

	if (iblock < EXT2_NDIR_BLOCKS) {
		off[0] = (unsigned int)iblock;
		return 1;
	}
	iblock -= EXT2_NDIR_BLOCKS;
	if (iblock < ptrs) {
		off[0] = EXT2_IND_BLOCK;
		off[1] = (unsigned int)iblock;
		return 2;
	}
	iblock -= ptrs;
	if (iblock < dbl) {
		off[0] = EXT2_DIND_BLOCK;
		off[1] = (unsigned int)(iblock >> bits);
		off[2] = (unsigned int)(iblock & (ptrs - 1));
		return 3;
	}
	iblock -= dbl;
	if ((iblock >> (2 * bits)) < ptrs) {
		off[0] = EXT2_TIND_BLOCK;
		off[1] = (unsigned int)(iblock >> (2 * bits));
		off[2] = (unsigned int)((iblock >> bits) & (ptrs - 1));
		off[3] = (unsigned int)(iblock & (ptrs - 1));
		return 4;
	}
	return 0;
}

/* Caller holds i_meta: where a new block for iblock should go (2.4
 * ext2_find_goal/ext2_find_near): after the last block allocated if this
 * is sequential, else next to its neighbour in the same indirect block,
 * else next to the indirect block, else in the inode's group. */
static unsigned long find_goal(struct inode *inode, unsigned long iblock,
			       struct buffer_head *parent, unsigned int off)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	struct ext2_sb_info *sbi = EXT2_SB(inode->i_sb);
	unsigned int i;

	if (ei->i_next_alloc_goal && iblock && ext2_valid_block(inode->i_sb, ei->i_next_alloc_goal))
		return ei->i_next_alloc_goal;
	if (parent) {
		const __le32 *p = (const __le32 *)parent->b_data;

		for (i = off; i-- > 0;)
			if (p[i])
				return le32_to_cpu(p[i]);
		return parent->b_blocknr;
	}
	for (i = off; i-- > 0;)
		if (ei->i_data[i] && i < EXT2_NDIR_BLOCKS)
			return ei->i_data[i];
	return ext2_group_first_block(inode->i_sb, ei->i_block_group) +
	       (sbi->s_blocks_per_group / 16) * (inode->i_ino % 16);
}

/* A newly allocated indirect block: zeros, through its buffer. */
static int zero_new_block(struct super_block *sb, unsigned long nr)
{
	struct buffer_head *bh = getblk(sb->s_bdev, nr, (unsigned int)sb->s_blocksize);

	if (!bh)
		return -ENOMEM;
	lock_buffer(bh);
	memset(bh->b_data, 0, sb->s_blocksize);
	set_buffer_uptodate(bh);
	unlock_buffer(bh);
	mark_buffer_dirty(bh);
	brelse(bh);
	return 0;
}

/* Caller holds i_meta: allocate the block that slot k of the path lacks. */
static unsigned long alloc_in_path(struct inode *inode, unsigned long iblock,
				   struct buffer_head *parent, unsigned int off,
				   int is_data, int *err)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	unsigned long nr = ext2_new_block(inode, find_goal(inode, iblock, parent, off), err);

	if (!nr)
		return 0;
	if (!is_data && (*err = zero_new_block(inode->i_sb, nr))) {
		ext2_free_blocks(inode, nr, 1);
		return 0;
	}
	if (parent) {
		lock_buffer(parent);
		((__le32 *)parent->b_data)[off] = cpu_to_le32((uint32_t)nr);
		unlock_buffer(parent);
		mark_buffer_dirty(parent);
	} else {
		ei->i_data[off] = (uint32_t)nr;
	}
	/* i_meta orders the writers; ext2_getattr reads without it */
	WRITE_ONCE(inode->i_blocks, inode->i_blocks + (inode->i_sb->s_blocksize >> 9));
	ei->i_next_alloc_goal = nr + 1;
	mark_inode_dirty(inode);
	return nr;
}

/* A pointer found at level k of a walk: inside the file system and not
 * one of the blocks above it (a loop).  0 or -EIO. */
static int check_ptr(struct inode *inode, unsigned long nr, const unsigned long *chain,
		     int k)
{
	struct super_block *sb = inode->i_sb;
	int j;

	if (!ext2_valid_block(sb, nr)) {
		ext2_error_inode(sb, inode->i_ino, __func__,
				 "inode %lu: block %lu outside the file system", inode->i_ino,
				 nr);
		return -EIO;
	}
	for (j = 0; j < k; j++)
		if (chain[j] == nr) {
			ext2_error_inode(sb, inode->i_ino, __func__,
					 "inode %lu: loop in the block map at %lu",
					 inode->i_ino, nr);
			return -EIO;
		}
	return 0;
}

/* Caller holds i_meta.  Map iblock; allocate what is missing if create.
 * *phys 0 for a hole.  0 or -errno (-EIO for a corrupt chain). */
static int __ext2_bmap(struct inode *inode, unsigned long iblock, int create,
		       unsigned long *phys, int *is_new)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	struct super_block *sb = inode->i_sb;
	struct buffer_head *parent = NULL;
	unsigned long chain[4], nr;
	unsigned int off[4];
	int depth = block_to_path(inode, iblock, off), k, err = 0;

	*phys = 0;
	if (is_new)
		*is_new = 0;
	if (!depth)
		return create ? -EFBIG : 0;
	nr = ei->i_data[off[0]];
	for (k = 0; ; k++) {
		if (!nr) {
			if (!create)
				goto out;
			nr = alloc_in_path(inode, iblock, parent, off[k], k == depth - 1, &err);
			if (!nr)
				goto out;
			if (k == depth - 1 && is_new)
				*is_new = 1;
		} else if ((err = check_ptr(inode, nr, chain, k))) {
			goto out;
		}
		chain[k] = nr;
		if (k == depth - 1)
			break;
		brelse(parent);
		parent = ext2_sb_bread(sb, nr);
		if (!parent) {
			ext2_error_inode(sb, inode->i_ino, __func__,
					 "inode %lu: cannot read indirect block %lu",
					 inode->i_ino, nr);
			err = -EIO;
			goto out;
		}
		nr = le32_to_cpu(((__le32 *)parent->b_data)[off[k + 1]]);
	}
	*phys = nr;
out:
	brelse(parent);
	return err;
}

int ext2_bmap(struct inode *inode, unsigned long iblock, int create,
	      unsigned long *phys, int *is_new)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	int err;

	if (create && ext2_rdonly(inode->i_sb))
		return -EROFS;
	pthread_mutex_lock(&ei->i_meta);
	err = __ext2_bmap(inode, iblock, create, phys, is_new);
	pthread_mutex_unlock(&ei->i_meta);
	return err;
}

int ext2_get_block(struct address_space *mapping, unsigned long iblock,
		   struct buffer_head *bh_result, int create)
{
	struct inode *inode = mapping->host;
	unsigned long phys;
	int err, is_new;

	err = ext2_bmap(inode, iblock, create, &phys, &is_new);
	if (err)
		return err;
	if (!phys)
		return 0;
	map_bh(bh_result, inode->i_sb->s_bdev, phys);
	if (is_new)
		set_buffer_new(bh_result);
	return 0;
}

struct buffer_head *ext2_bread(struct inode *inode, unsigned long iblock,
			       int create, int *err)
{
	struct super_block *sb = inode->i_sb;
	struct buffer_head *bh;
	unsigned long phys;
	int is_new;

	*err = ext2_bmap(inode, iblock, create, &phys, &is_new);
	if (*err || !phys)
		return NULL;
	if (!is_new) {
		bh = ext2_sb_bread(sb, phys);
		if (!bh) {
			ext2_error_inode(sb, inode->i_ino, __func__,
					 "inode %lu: cannot read block %lu", inode->i_ino,
					 phys);
			*err = -EIO;
		}
		return bh;
	}
	bh = getblk(sb->s_bdev, phys, (unsigned int)sb->s_blocksize);
	if (!bh) {
		*err = -ENOMEM;
		return NULL;
	}
	lock_buffer(bh);
	memset(bh->b_data, 0, sb->s_blocksize);
	set_buffer_uptodate(bh);
	unlock_buffer(bh);
	mark_buffer_dirty(bh);
	return bh;
}

/* ---- freeing blocks ------------------------------------------------------- */

/* Runs of blocks to free, merged while contiguous. */
struct freer {
	struct inode *inode;
	unsigned long start, count;
	int err;
};

static void freer_flush(struct freer *f)
{
	if (!f->count)
		return;
	ext2_free_blocks(f->inode, f->start, f->count);
	WRITE_ONCE(f->inode->i_blocks,
		   f->inode->i_blocks - (f->count << (f->inode->i_sb->s_blocksize_bits - 9)));
	f->count = 0;
}

static void freer_add(struct freer *f, unsigned long nr)
{
	if (f->count && nr == f->start + f->count) {
		f->count++;
		return;
	}
	freer_flush(f);
	f->start = nr;
	f->count = 1;
}

static int free_branch(struct freer *f, unsigned long nr, int depth,
		       unsigned long first, unsigned long start, unsigned long end);

/* Caller holds i_meta: the pointer child, at depth under block nr,
 * covering file blocks from cfirst.  1 if the pointer is to be cleared. */
static int free_child(struct freer *f, unsigned long nr, unsigned long child, int depth,
		      unsigned long cfirst, unsigned long start, unsigned long end)
{
	struct super_block *sb = f->inode->i_sb;

	if (child == nr || (depth == 1 && !ext2_valid_block(sb, child))) {
		ext2_error_inode(sb, f->inode->i_ino, __func__,
				 "inode %lu: %s at block %lu", f->inode->i_ino,
				 child == nr ? "loop in the block map"
					     : "block outside the file system", child);
		f->err = -EIO;
		return 1;	/* drop the bad pointer */
	}
	if (!free_branch(f, child, depth - 1, cfirst, start, end))
		return 0;
	if (depth == 1)
		unmap_underlying_metadata(sb->s_bdev, child, (unsigned int)sb->s_blocksize);
	return 1;
}

/*
 * Caller holds i_meta.  Free what the block nr (a tree of depth levels
 * above its data, covering file blocks from first) holds in [start, end).
 * 1 if nr itself was freed (the caller clears its pointer).
 */
static int free_branch(struct freer *f, unsigned long nr, int depth,
		       unsigned long first, unsigned long start, unsigned long end)
{
	struct super_block *sb = f->inode->i_sb;
	unsigned int bits = EXT2_SB(sb)->s_addr_per_block_bits;
	unsigned long ptrs = 1UL << bits, span = 1UL << (bits * depth);
	unsigned long child_span = span >> bits, i;
	int whole = first >= start && first + span - 1 <= end - 1, dirty = 0;
	struct buffer_head *bh;
	__le32 *p;

	if (!depth) {
		freer_add(f, nr);
		return 1;
	}
	if (!ext2_valid_block(sb, nr)) {
		ext2_error_inode(sb, f->inode->i_ino, __func__,
				 "inode %lu: indirect block %lu outside the file system",
				 f->inode->i_ino, nr);
		f->err = -EIO;
		return 1;	/* drop the bad pointer */
	}
	bh = ext2_sb_bread(sb, nr);
	if (!bh) {
		f->err = -EIO;
		return 0;
	}
	p = (__le32 *)bh->b_data;
	for (i = 0; i < ptrs; i++) {
		unsigned long cfirst = first + i * child_span, child = le32_to_cpu(p[i]);

		if (!child || cfirst + child_span <= start || cfirst >= end ||
		    !free_child(f, nr, child, depth, cfirst, start, end) || whole)
			continue;
		lock_buffer(bh);
		p[i] = 0;
		unlock_buffer(bh);
		dirty = 1;
	}
	if (whole) {
		bforget(bh);
		freer_add(f, nr);
		return 1;
	}
	if (dirty)
		mark_buffer_dirty(bh);
	brelse(bh);
	return 0;
}

/* Caller holds i_meta: free file blocks [start, end). */
static int __free_range(struct inode *inode, unsigned long start, unsigned long end)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	unsigned int bits = EXT2_SB(inode->i_sb)->s_addr_per_block_bits;
	unsigned long first = EXT2_NDIR_BLOCKS;
	struct freer f = { .inode = inode };
	unsigned long i;
	int depth;

	for (i = start; i < EXT2_NDIR_BLOCKS && i < end; i++) {
		if (!ei->i_data[i])
			continue;
		if (ext2_valid_block(inode->i_sb, ei->i_data[i])) {
			unmap_underlying_metadata(inode->i_sb->s_bdev, ei->i_data[i],
						  (unsigned int)inode->i_sb->s_blocksize);
			freer_add(&f, ei->i_data[i]);
		}
		ei->i_data[i] = 0;
	}
	for (depth = 1; depth <= 3; depth++) {
		unsigned long span = 1UL << (bits * depth);
		uint32_t *slot = &ei->i_data[EXT2_NDIR_BLOCKS + depth - 1];

		if (*slot && first + span > start && first < end &&
		    free_branch(&f, *slot, depth, first, start, end))
			*slot = 0;
		first += span;
	}
	freer_flush(&f);
	ei->i_next_alloc_goal = 0;
	mark_inode_dirty(inode);
	return f.err;
}

int ext2_free_range(struct inode *inode, unsigned long start, unsigned long end)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	int err;

	pthread_mutex_lock(&ei->i_meta);
	ext2_discard_prealloc(inode);
	err = __free_range(inode, start, end);
	pthread_mutex_unlock(&ei->i_meta);
	return err;
}

static int has_blocks(struct inode *inode)
{
	return S_ISREG(inode->i_mode) || S_ISDIR(inode->i_mode) ||
	       (S_ISLNK(inode->i_mode) && !ext2_inode_is_fast_symlink(inode));
}

int ext2_truncate_blocks(struct inode *inode, loff_t size)
{
	unsigned long bs = inode->i_sb->s_blocksize;
	unsigned long start = (unsigned long)(((unsigned long long)size + bs - 1) >>
					      inode->i_sb->s_blocksize_bits);

	if (!has_blocks(inode))
		return 0;
	return ext2_free_range(inode, start, ~0UL);
}

/* 2.4 ext2_delete_inode: the last reference to an unlinked inode. */
void ext2_delete_inode(struct inode *inode)
{
	struct ext2_inode_info *ei = EXT2_I(inode);

	truncate_inode_pages(&inode->i_data, 0);
	ei->i_dtime = (uint32_t)fs_current_time(inode->i_sb).tv_sec;
	i_size_write(inode, 0);
	if (has_blocks(inode))
		ext2_truncate_blocks(inode, 0);
	ext2_xattr_delete_inode(inode);
	ext2_write_inode(inode, 0);
	ext2_free_inode(inode);
}

/*
 * An unlinked regular file that no descriptor has open any more gives its
 * data back now, not at its last iput: the references left are the FUSE
 * server's lookup counts, which are no users of the data (2.4 freed the
 * blocks at the last iput of an inode whose users were all gone).  The
 * inode and its number wait for ext2_delete_inode.
 */
void ext2_free_unlinked_data(struct inode *inode)
{
	if (!S_ISREG(inode->i_mode) || ext2_rdonly(inode->i_sb))
		return;
	pthread_mutex_lock(&inode->i_sem);
	if (!inode->i_nlink) {
		truncate_inode_pages(&inode->i_data, 0);
		i_size_write(inode, 0);
		ext2_truncate_blocks(inode, 0);
		mark_inode_dirty(inode);
	}
	pthread_mutex_unlock(&inode->i_sem);
}

/* ---- address space operations -------------------------------------------- */

static int ext2_readpage(struct page *page)
{
	return block_read_full_page(page, ext2_get_block);
}

static int ext2_writepage(struct page *page, int sync)
{
	return block_write_full_page(page, ext2_get_block, sync);
}

static int ext2_prepare_write(struct page *page, unsigned int from, unsigned int to)
{
	return block_prepare_write(page, from, to, ext2_get_block);
}

/* The writer holds i_sem: extend i_size past what was written. */
static int ext2_commit_write(struct page *page, unsigned int from, unsigned int to)
{
	struct inode *inode = page->mapping->host;
	loff_t pos = ((loff_t)page->index << PAGE_SHIFT) + to;
	int err = generic_commit_write(page, from, to);

	if (!err && pos > inode->i_size) {
		i_size_write(inode, pos);	/* ext2_getattr reads without i_sem */
		mark_inode_dirty(inode);
	}
	return err;
}

static unsigned long ext2_aop_bmap(struct address_space *mapping, unsigned long block)
{
	return generic_block_bmap(mapping, block, ext2_get_block);
}

/*
 * A data page failed to reach the image; it stays dirty and is retried.
 * The open files hear of it through the mapping's errseq; a retry that
 * fails too is a lasting failure, an error of the file system.
 */
#define WB_LOGGED_FIRST		1
#define WB_LOGGED_LASTING	2

static void ext2_write_error(struct address_space *mapping, int err, int lasting)
{
	struct inode *inode = mapping->host;
	int *logged = &EXT2_I(inode)->i_wb_failed_logged;

	/* Even if a retry succeeds, the image is not called clean at unmount
	 * (e2fsck -p looks at it): a failed write is worth a check. */
	__atomic_store_n(&EXT2_SB(inode->i_sb)->s_write_failed, 1, __ATOMIC_RELAXED);
	if (!lasting) {
		if (!(__atomic_fetch_or(logged, WB_LOGGED_FIRST, __ATOMIC_RELAXED) & WB_LOGGED_FIRST))
			vm_log("ext2: inode %lu: writing data failed: %s (kept dirty, to be retried)",
			       inode->i_ino, strerror(-err));
		return;
	}
	if (!(__atomic_fetch_or(logged, WB_LOGGED_LASTING, __ATOMIC_RELAXED) & WB_LOGGED_LASTING))
		ext2_error(inode->i_sb, "write-back", "inode %lu: writing data failed again: %s",
			   inode->i_ino, strerror(-err));
	else
		ext2_error_quiet(inode->i_sb);
}

const struct address_space_operations ext2_aops = {
	.readpage = ext2_readpage,
	.writepage = ext2_writepage,
	.prepare_write = ext2_prepare_write,
	.commit_write = ext2_commit_write,
	.bmap = ext2_aop_bmap,
	.flushpage = block_flushpage,
	.releasepage = block_releasepage,
	.write_error = ext2_write_error,
};

const struct super_operations ext2_sops = {
	.alloc_inode = ext2_alloc_inode,
	.destroy_inode = ext2_destroy_inode,
	.write_inode = ext2_write_inode,
	.write_super = ext2_commit_super,
	.delete_inode = ext2_delete_inode,
	.clear_inode = ext2_clear_inode,
	.put_inode = ext2_clear_inode,	/* the last user: no preallocation kept */
};

/* ---- iget ------------------------------------------------------------------ */

int ext2_iget(struct super_block *sb, unsigned long ino, struct inode **out)
{
	struct inode *inode;
	int err;

	if (ino < 1 || ino > EXT2_SB(sb)->s_inodes_count ||
	    (ino < EXT2_SB(sb)->s_first_ino && ino != EXT2_ROOT_INO))
		return -ESTALE;
	err = iget_locked(sb, ino, &inode);
	if (err < 0)
		return err;
	if (!err) {
		*out = inode;
		return 0;
	}
	err = ext2_read_inode(inode);
	if (err) {
		iget_failed(inode);
		return err;
	}
	unlock_new_inode(inode);
	*out = inode;
	return 0;
}
