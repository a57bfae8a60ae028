/*
 * fs/ext2/balloc.c - block allocation (2.4 fs/ext2/balloc.c:
 * ext2_new_block, ext2_free_blocks, read_block_bitmap; the preallocation
 * of ext2_alloc_block/ext2_discard_prealloc in inode.c).
 *
 * ext2_new_block(inode, goal) looks in the goal's group first: the goal
 * itself, then the next free block after it, then any free block of the
 * group; then in the following groups in turn.  A regular file's
 * allocation also takes up to EXT2_PREALLOC_BLOCKS - 1 free blocks right
 * after the one it got ("preallocation"): they are marked used and kept
 * in the inode, and the next allocation whose goal follows on takes them
 * without touching the bitmap.  They are given back when the inode is
 * truncated, synced for unmount, or leaves the cache.
 *
 * A block the bitmap calls free but that holds a group's own metadata
 * (bitmaps, inode table) is a corrupt bitmap: it is logged, left marked,
 * and skipped.
 *
 * Locking: the group's lock around its bitmap and descriptor; s_lock
 * (inside it) for the super block's free count; callers hold i_meta.
 */
#include <string.h>
#include "fs/ext2/bitmap.h"
#include "fs/ext2/ext2_i.h"

static struct buffer_head *read_block_bitmap(struct super_block *sb, unsigned long group)
{
	struct ext2_group_desc *gd = ext2_get_group_desc(sb, group, NULL);
	unsigned long nr = le32_to_cpu(gd->bg_block_bitmap);
	struct buffer_head *bh = ext2_sb_bread(sb, nr);

	if (!bh)
		ext2_error_group(sb, group, __func__,
				 "group %lu: cannot read block bitmap %lu", group, nr);
	return bh;
}

static void add_free_blocks(struct super_block *sb, long delta)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);

	spin_lock(&sbi->s_lock);
	__atomic_add_fetch(&sbi->s_free_blocks, delta, __ATOMIC_RELAXED);
	spin_unlock(&sbi->s_lock);
	sb_mark_dirty(sb);
}

/* Is block (bit of group) one of the group's own metadata blocks? */
static int is_group_metadata(struct super_block *sb, unsigned long group,
			     unsigned long block)
{
	struct ext2_group_desc *gd = ext2_get_group_desc(sb, group, NULL);
	unsigned long itable = le32_to_cpu(gd->bg_inode_table);

	return block == le32_to_cpu(gd->bg_block_bitmap) ||
	       block == le32_to_cpu(gd->bg_inode_bitmap) ||
	       (block >= itable && block < itable + EXT2_SB(sb)->s_itb_per_group);
}

/* Caller holds the group lock: a free bit at or after start (wrapping to
 * the start of the group), or -1. */
static long find_free_bit(struct super_block *sb, unsigned long group, const void *map,
			  unsigned long start)
{
	unsigned long size = ext2_group_nr_blocks(sb, group);
	unsigned long first = ext2_group_first_block(sb, group), bit;
	int pass;

	if (start >= size)
		start = 0;
	for (pass = 0; pass < 2; pass++) {
		unsigned long from = pass ? 0 : start, to = pass ? start : size;

		for (bit = ext2_find_next_zero_bit(map, to, from); bit < to;
		     bit = ext2_find_next_zero_bit(map, to, bit + 1)) {
			if (!is_group_metadata(sb, group, first + bit))
				return (long)bit;
			ext2_error_group(sb, group, __func__,
					 "group %lu: block %lu of the group's metadata "
					 "marked free", group, first + bit);
		}
	}
	return -1;
}

/* Caller holds the group lock: claim up to want blocks after bit. */
static unsigned int take_following(struct super_block *sb, unsigned long group, void *map,
				   unsigned long bit, unsigned int want)
{
	unsigned long size = ext2_group_nr_blocks(sb, group);
	unsigned long first = ext2_group_first_block(sb, group);
	unsigned int n = 0;

	while (n < want && bit + 1 + n < size && !ext2_test_bit(bit + 1 + n, map) &&
	       !is_group_metadata(sb, group, first + bit + 1 + n)) {
		ext2_set_bit(bit + 1 + n, map);
		n++;
	}
	return n;
}

/* Allocate in one group.  The block, or 0 (*err set on I/O error). */
static unsigned long alloc_in_group(struct inode *inode, unsigned long group,
				    unsigned long start, int *err)
{
	struct super_block *sb = inode->i_sb;
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	struct ext2_inode_info *ei = EXT2_I(inode);
	struct buffer_head *bh, *gdbh;
	struct ext2_group_desc *gd = ext2_get_group_desc(sb, group, &gdbh);
	unsigned int extra = 0;
	unsigned long block = 0;
	long bit;

	if (!gd_get(&gd->bg_free_blocks_count))
		return 0;
	pthread_mutex_lock(&sbi->s_groups[group].lock);
	if (!gd_get(&gd->bg_free_blocks_count))
		goto out_unlock;
	bh = read_block_bitmap(sb, group);
	if (!bh) {
		*err = -EIO;
		goto out_unlock;
	}
	lock_buffer(bh);
	bit = find_free_bit(sb, group, bh->b_data, start);
	if (bit >= 0) {
		ext2_set_bit((unsigned long)bit, bh->b_data);
		if (S_ISREG(inode->i_mode))
			extra = take_following(sb, group, bh->b_data, (unsigned long)bit,
					       EXT2_PREALLOC_BLOCKS - 1);
	}
	unlock_buffer(bh);
	if (bit >= 0) {
		block = ext2_group_first_block(sb, group) + (unsigned long)bit;
		gd_add(&gd->bg_free_blocks_count, -(int)(1 + extra));
		mark_buffer_dirty(bh);
		mark_buffer_dirty(gdbh);
		add_free_blocks(sb, -(long)(1 + extra));
		ei->i_prealloc_block = block + 1;
		ei->i_prealloc_count = extra;
	}
	brelse(bh);
out_unlock:
	pthread_mutex_unlock(&sbi->s_groups[group].lock);
	return block;
}

unsigned long ext2_new_block(struct inode *inode, unsigned long goal, int *err)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	struct super_block *sb = inode->i_sb;
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	unsigned long group, start, i, block;

	*err = 0;
	if (ext2_rdonly(sb)) {
		*err = -EROFS;
		return 0;
	}
	if (ei->i_prealloc_count && (goal == ei->i_prealloc_block ||
				     goal + 1 == ei->i_prealloc_block)) {
		ei->i_prealloc_count--;
		return ei->i_prealloc_block++;
	}
	ext2_discard_prealloc(inode);
	if (!ext2_valid_block(sb, goal))
		goal = sbi->s_first_data_block;
	group = (goal - sbi->s_first_data_block) / sbi->s_blocks_per_group;
	start = (goal - sbi->s_first_data_block) % sbi->s_blocks_per_group;
	for (i = 0; i < sbi->s_groups_count; i++) {
		block = alloc_in_group(inode, group, i ? 0 : start, err);
		if (block || *err)
			return block;
		group = (group + 1) % sbi->s_groups_count;
	}
	*err = -ENOSPC;
	return 0;
}

/* Free [block, block + count) inside one group. */
static void free_in_group(struct super_block *sb, unsigned long group,
			  unsigned long block, unsigned long count)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	unsigned long first = ext2_group_first_block(sb, group), i, freed = 0;
	struct buffer_head *bh, *gdbh;
	struct ext2_group_desc *gd = ext2_get_group_desc(sb, group, &gdbh);

	pthread_mutex_lock(&sbi->s_groups[group].lock);
	bh = read_block_bitmap(sb, group);
	if (!bh)
		goto out_unlock;
	lock_buffer(bh);
	for (i = 0; i < count; i++) {
		unsigned long bit = block + i - first;

		if (is_group_metadata(sb, group, block + i) || !ext2_test_bit(bit, bh->b_data)) {
			ext2_error_group(sb, group, __func__,
					 "group %lu: freeing block %lu: %s", group, block + i,
					 ext2_test_bit(bit, bh->b_data) ? "group metadata"
									 : "already free");
			continue;
		}
		ext2_clear_bit(bit, bh->b_data);
		freed++;
	}
	unlock_buffer(bh);
	gd_add(&gd->bg_free_blocks_count, (int)freed);
	mark_buffer_dirty(bh);
	mark_buffer_dirty(gdbh);
	brelse(bh);
	add_free_blocks(sb, (long)freed);
out_unlock:
	pthread_mutex_unlock(&sbi->s_groups[group].lock);
}

void ext2_free_blocks(struct inode *inode, unsigned long block, unsigned long count)
{
	struct super_block *sb = inode->i_sb;
	struct ext2_sb_info *sbi = EXT2_SB(sb);

	if (!ext2_valid_block(sb, block) || count > sbi->s_blocks_count - block) {
		ext2_error_inode(sb, inode->i_ino, __func__,
				 "inode %lu: freeing blocks not in the data zone "
				 "(block %lu, count %lu)", inode->i_ino, block, count);
		return;
	}
	while (count) {
		unsigned long group = (block - sbi->s_first_data_block) / sbi->s_blocks_per_group;
		unsigned long end = ext2_group_first_block(sb, group) +
				    ext2_group_nr_blocks(sb, group);
		unsigned long n = end - block < count ? end - block : count;

		free_in_group(sb, group, block, n);
		block += n;
		count -= n;
	}
}

void ext2_discard_prealloc(struct inode *inode)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	unsigned int n = ei->i_prealloc_count;

	if (!n)
		return;
	ei->i_prealloc_count = 0;
	ext2_free_blocks(inode, ei->i_prealloc_block, n);
}
