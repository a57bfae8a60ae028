/*
 * fs/ext2/ialloc.c - inode allocation (2.4 fs/ext2/ialloc.c:
 * ext2_new_inode with find_group_dir / find_group_other, ext2_free_inode).
 *
 * Placement as 2.4 has it: a new directory goes to a group with at least
 * the average number of free inodes and, among those, the most free
 * blocks, so directories spread over the disk; any other inode goes to
 * its parent's group if that has room, else to a group found by
 * quadratic hashing from it, else to the first with a free inode, so
 * files stay near their directory.
 *
 * Locking: the group's lock around its inode bitmap and descriptor,
 * s_lock for the super block's counters; the descriptor counts are read
 * unlocked (atomically) to choose a group.  The new inode enters the
 * inode cache with insert_inode_locked, which waits while an inode of
 * that number is still being freed.
 */
#include <string.h>
#include "fs/ext2/bitmap.h"
#include "fs/ext2/ext2_i.h"

int ext2_init_raw_inode(struct inode *inode);

static struct buffer_head *read_inode_bitmap(struct super_block *sb, unsigned long group)
{
	struct ext2_group_desc *gd = ext2_get_group_desc(sb, group, NULL);
	unsigned long nr = le32_to_cpu(gd->bg_inode_bitmap);
	struct buffer_head *bh = ext2_sb_bread(sb, nr);

	if (!bh)
		ext2_error_group(sb, group, __func__,
				 "group %lu: cannot read inode bitmap %lu", group, nr);
	return bh;
}

static void add_counts(struct super_block *sb, long inodes, long dirs)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);

	spin_lock(&sbi->s_lock);
	__atomic_add_fetch(&sbi->s_free_inodes, inodes, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sbi->s_dirs, dirs, __ATOMIC_RELAXED);
	spin_unlock(&sbi->s_lock);
	sb_mark_dirty(sb);
}

static unsigned int group_free_inodes(struct super_block *sb, unsigned long g)
{
	return gd_get(&ext2_get_group_desc(sb, g, NULL)->bg_free_inodes_count);
}

static unsigned int group_free_blocks(struct super_block *sb, unsigned long g)
{
	return gd_get(&ext2_get_group_desc(sb, g, NULL)->bg_free_blocks_count);
}

/* 2.4 find_group_dir, rotated so equal groups fill in turn. */
static long find_group_dir(struct super_block *sb)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	unsigned long ngroups = sbi->s_groups_count, g, i, start;
	unsigned long avefreei = (unsigned long)READ_ONCE(sbi->s_free_inodes) / ngroups;
	long best = -1;
	unsigned int best_blocks = 0;

	start = __atomic_fetch_add(&sbi->s_dir_rotor, 1, __ATOMIC_RELAXED) % ngroups;
	for (i = 0; i < ngroups; i++) {
		g = (start + i) % ngroups;
		if (!group_free_inodes(sb, g) || group_free_inodes(sb, g) < avefreei)
			continue;
		if (best < 0 || group_free_blocks(sb, g) > best_blocks) {
			best = (long)g;
			best_blocks = group_free_blocks(sb, g);
		}
	}
	return best;
}

/* 2.4 find_group_other. */
static long find_group_other(struct super_block *sb, struct inode *dir)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	unsigned long ngroups = sbi->s_groups_count;
	unsigned long parent = EXT2_I(dir)->i_block_group, g, i;

	if (group_free_inodes(sb, parent) && group_free_blocks(sb, parent))
		return (long)parent;
	g = (parent + dir->i_ino) % ngroups;
	for (i = 1; i < ngroups; i <<= 1) {
		g = (g + i) % ngroups;
		if (group_free_inodes(sb, g) && group_free_blocks(sb, g))
			return (long)g;
	}
	for (i = 0, g = parent; i < ngroups; i++, g = (g + 1) % ngroups)
		if (group_free_inodes(sb, g))
			return (long)g;
	return -1;
}

/* Claim a free inode of group.  Its number, 0 if none, -errno. */
static long claim_in_group(struct super_block *sb, unsigned long group, int is_dir)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	struct buffer_head *bh, *gdbh;
	struct ext2_group_desc *gd = ext2_get_group_desc(sb, group, &gdbh);
	unsigned long bit, start = 0;
	long ino = 0;

	if (group == 0)
		start = sbi->s_first_ino - 1;	/* the reserved inodes */
	pthread_mutex_lock(&sbi->s_groups[group].lock);
	if (!gd_get(&gd->bg_free_inodes_count))
		goto out_unlock;
	bh = read_inode_bitmap(sb, group);
	if (!bh) {
		ino = -EIO;
		goto out_unlock;
	}
	lock_buffer(bh);
	bit = ext2_find_next_zero_bit(bh->b_data, sbi->s_inodes_per_group, start);
	if (bit < sbi->s_inodes_per_group)
		ext2_set_bit(bit, bh->b_data);
	unlock_buffer(bh);
	if (bit < sbi->s_inodes_per_group) {
		ino = (long)(group * sbi->s_inodes_per_group + bit + 1);
		gd_add(&gd->bg_free_inodes_count, -1);
		if (is_dir)
			gd_add(&gd->bg_used_dirs_count, 1);
		mark_buffer_dirty(bh);
		mark_buffer_dirty(gdbh);
		add_counts(sb, -1, is_dir);
	} else {
		ext2_error_group(sb, group, __func__,
				 "group %lu: free inode count %u but a full bitmap", group,
				 gd_get(&gd->bg_free_inodes_count));
	}
	brelse(bh);
out_unlock:
	pthread_mutex_unlock(&sbi->s_groups[group].lock);
	return ino;
}

static long claim_inode(struct super_block *sb, struct inode *dir, int is_dir)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	long group = is_dir ? find_group_dir(sb) : find_group_other(sb, dir);
	unsigned long i;

	if (group < 0)
		group = 0;
	for (i = 0; i < sbi->s_groups_count; i++) {
		long ino = claim_in_group(sb, (unsigned long)group, is_dir);

		if (ino)
			return ino;
		group = (long)(((unsigned long)group + 1) % sbi->s_groups_count);
	}
	return -ENOSPC;
}

/* The inode's fields for a fresh file of mode in dir. */
static void init_new_inode(struct inode *inode, struct inode *dir, mode_t mode)
{
	struct ext2_inode_info *ei = EXT2_I(inode), *pi = EXT2_I(dir);
	struct ext2_sb_info *sbi = EXT2_SB(inode->i_sb);
	struct timespec now = fs_current_time(inode->i_sb);

	inode->i_mode = mode;
	inode->i_nlink = 1;
	inode->i_size = 0;
	inode->i_blocks = 0;
	inode->i_atime = inode->i_mtime = inode->i_ctime = now;
	ei->i_flags = pi->i_flags & (EXT2_NODUMP_FL | EXT2_NOATIME_FL | EXT2_SYNC_FL);
	ei->i_block_group = (uint32_t)((inode->i_ino - 1) / sbi->s_inodes_per_group);
	ei->i_extra_isize = sbi->s_inode_size > EXT2_GOOD_OLD_INODE_SIZE ? EXT2_EXTRA_ISIZE : 0;
	ei->i_crtime = (uint32_t)now.tv_sec;
	ei->i_crtime_extra = 0;
	spin_lock(&sbi->s_lock);
	inode->i_generation = (unsigned int)sbi->s_next_generation++;
	spin_unlock(&sbi->s_lock);
}

/* Give the inode number back to the bitmap (undoing claim_inode). */
static void release_ino(struct super_block *sb, unsigned long ino, int is_dir)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	unsigned long group = (ino - 1) / sbi->s_inodes_per_group;
	unsigned long bit = (ino - 1) % sbi->s_inodes_per_group;
	struct buffer_head *bh, *gdbh;
	struct ext2_group_desc *gd = ext2_get_group_desc(sb, group, &gdbh);

	pthread_mutex_lock(&sbi->s_groups[group].lock);
	bh = read_inode_bitmap(sb, group);
	if (!bh)
		goto out_unlock;
	lock_buffer(bh);
	if (!ext2_test_bit(bit, bh->b_data)) {
		unlock_buffer(bh);
		ext2_error_inode(sb, ino, __func__,
				 "freeing inode %lu: already free", ino);
		brelse(bh);
		goto out_unlock;
	}
	ext2_clear_bit(bit, bh->b_data);
	unlock_buffer(bh);
	gd_add(&gd->bg_free_inodes_count, 1);
	if (is_dir)
		gd_add(&gd->bg_used_dirs_count, -1);
	mark_buffer_dirty(bh);
	mark_buffer_dirty(gdbh);
	brelse(bh);
	add_counts(sb, 1, -is_dir);
out_unlock:
	pthread_mutex_unlock(&sbi->s_groups[group].lock);
}

struct inode *ext2_new_inode(struct inode *dir, mode_t mode, int *err)
{
	struct super_block *sb = dir->i_sb;
	struct inode *inode;
	long ino;

	if (ext2_rdonly(sb)) {
		*err = -EROFS;
		return NULL;
	}
	inode = sb->s_op->alloc_inode(sb);
	if (!inode) {
		*err = -ENOMEM;
		return NULL;
	}
	ino = claim_inode(sb, dir, S_ISDIR(mode));
	if (ino < 0) {
		*err = (int)ino;
		goto out_destroy;
	}
	inode->i_sb = sb;
	inode->i_ino = (unsigned long)ino;
	init_new_inode(inode, dir, mode);
	*err = insert_inode_locked(inode);
	if (*err)
		goto out_release;	/* a corrupt bitmap: the number is in use */
	*err = ext2_init_raw_inode(inode);
	mark_inode_dirty(inode);
	unlock_new_inode(inode);
	if (*err) {
		inode->i_nlink = 0;
		iput(inode);
		return NULL;
	}
	return inode;

out_release:
	/* leave the bit set: the inode it belongs to is alive */
out_destroy:
	sb->s_op->destroy_inode(inode);
	return NULL;
}

void ext2_free_inode(struct inode *inode)
{
	release_ino(inode->i_sb, inode->i_ino, S_ISDIR(inode->i_mode));
}
