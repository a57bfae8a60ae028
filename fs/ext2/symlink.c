/*
 * fs/ext2/symlink.c - reading symbolic links (2.4 fs/ext2/symlink.c:
 * ext2_readlink for slow links through the page cache, ext2_fast_readlink
 * from i_data).
 *
 * A fast symlink keeps its target (under 60 bytes) in the inode's block
 * pointers; a slow one in its first block, read here through a buffer.
 * A target whose length does not fit its block is corrupt: -EIO.
 *
 * Interface: ext2.h.  Locking: none (a link's target never changes).
 */
#include <string.h>
#include "fs/ext2/ext2_i.h"

ssize_t ext2_readlink(struct inode *inode, char *buf, size_t size)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	size_t len = (size_t)inode->i_size;
	struct buffer_head *bh;
	int err;

	if (!S_ISLNK(inode->i_mode))
		return -EINVAL;
	if (ext2_inode_is_fast_symlink(inode)) {
		if (len >= sizeof(ei->i_data))
			goto out_corrupt;
		memcpy(buf, ei->i_data, len < size ? len : size);
		return (ssize_t)len;
	}
	if (len >= inode->i_sb->s_blocksize)
		goto out_corrupt;
	bh = ext2_bread(inode, 0, 0, &err);
	if (!bh) {
		if (err)
			return err;
		goto out_corrupt;
	}
	memcpy(buf, bh->b_data, len < size ? len : size);
	brelse(bh);
	return (ssize_t)len;

out_corrupt:
	ext2_error_inode(inode->i_sb, inode->i_ino, __func__,
			 "symlink inode %lu: bad target length %zu", inode->i_ino, len);
	return -EIO;
}
