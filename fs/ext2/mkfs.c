/*
 * fs/ext2/mkfs.c - laying out an empty file system (e2fsprogs
 * misc/mke2fs.c and lib/ext2fs/initialize.c, alloc_tables.c, closefs.c,
 * reduced to what revision 1 with filetype, sparse_super and large_file
 * needs).
 *
 * Layout of group g (blocks from first_data_block + g * blocks_per_group):
 *
 *   [super block][group descriptors]   groups 0, 1 and powers of 3, 5, 7
 *   [block bitmap][inode bitmap][inode table ...][data ...]
 *
 * The last group is dropped if it is too small to be worth its
 * metadata (as mke2fs does).  Bitmap bits past the end of a group are set
 * ("padding"), as e2fsck expects.  Everything is written through buffers
 * of the block-device mapping, i.e. through the VM, like every other
 * metadata write; mkimg then mounts the result and fills it through the
 * ordinary ext2 operations.
 *
 * Interface: ext2.h (ext2_mkfs).  Locking: none; the device is not
 * mounted.
 */
#include <string.h>
#include "fs/ext2/bitmap.h"
#include "fs/ext2/ext2_i.h"

struct layout {
	unsigned long bs, blocks, first, bpg, groups, ipg, ipb, itb, gdb;
	unsigned int inode_size;
};

void ext2_mkfs_opts_default(struct ext2_mkfs_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->inode_size = 256;
	o->reserved_percent = 5;
	o->now = time(NULL);
}

static int sparse_has_super(unsigned long g)
{
	unsigned long p;

	if (g <= 1)
		return 1;
	if (!(g & 1))
		return 0;
	for (p = 3; p <= 7; p += 2) {
		unsigned long x = g;

		while (x % p == 0)
			x /= p;
		if (x == 1)
			return 1;
	}
	return 0;
}

static unsigned long group_start(const struct layout *l, unsigned long g)
{
	return l->first + g * l->bpg;
}

static unsigned long group_blocks(const struct layout *l, unsigned long g)
{
	return g == l->groups - 1 ? l->blocks - group_start(l, g) : l->bpg;
}

/* Blocks at the start of group g that hold metadata. */
static unsigned long group_overhead(const struct layout *l, unsigned long g)
{
	return (sparse_has_super(g) ? 1 + l->gdb : 0) + 2 + l->itb;
}

static unsigned long default_ratio(unsigned long long size)
{
	if (size < (3ULL << 20))
		return 8192;		/* mke2fs.conf "floppy" */
	if (size < (512ULL << 20))
		return 4096;		/* "small" */
	return 16384;
}

/* Inodes per group for blocks and the wanted count. */
static void size_inodes(struct layout *l, const struct ext2_mkfs_opts *o,
			unsigned long long size)
{
	unsigned long long want = o->inodes ? o->inodes :
				  size / (o->bytes_per_inode ? o->bytes_per_inode
							     : default_ratio(size));
	unsigned long long ipg = (want + l->groups - 1) / l->groups;
	unsigned long unit = l->ipb > 8 ? l->ipb : 8;

	if (ipg < 16)
		ipg = 16;
	ipg = (ipg + unit - 1) / unit * unit;
	if (ipg > 8 * l->bs)
		ipg = 8 * l->bs;
	l->ipg = (unsigned long)ipg;
	l->itb = l->ipg / l->ipb;
}

static int compute_layout(struct layout *l, const struct ext2_mkfs_opts *o,
			  unsigned long long dev_size, const char **why)
{
	unsigned long long size = o->size && o->size < dev_size ? o->size : dev_size;
	unsigned long g;

	memset(l, 0, sizeof(*l));
	l->bs = o->block_size ? o->block_size : size < (512ULL << 20) ? 1024 : 4096;
	l->inode_size = o->inode_size ? o->inode_size : 256;
	if (l->bs != 1024 && l->bs != 2048 && l->bs != 4096)
		*why = "block size must be 1024, 2048 or 4096";
	else if (l->inode_size != 128 && l->inode_size != 256)
		*why = "inode size must be 128 or 256";
	else if (o->reserved_percent < 0 || o->reserved_percent > 50)
		*why = "reserved percentage must be 0 to 50";
	else if (size / l->bs > 0xffffffffULL)
		*why = "size too large for the format (2^32 blocks)";
	else if (size / l->bs < 64)
		*why = "size too small: fewer than 64 blocks";
	if (*why)
		return -EINVAL;
	l->blocks = (unsigned long)(size / l->bs);
	l->first = l->bs == 1024;
	l->bpg = 8 * l->bs;
	l->ipb = l->bs / l->inode_size;
	for (;;) {
		l->groups = (l->blocks - l->first + l->bpg - 1) / l->bpg;
		l->gdb = (l->groups * sizeof(struct ext2_group_desc) + l->bs - 1) / l->bs;
		size_inodes(l, o, size);
		if (l->groups == 1 ||
		    group_blocks(l, l->groups - 1) >= group_overhead(l, l->groups - 1) + 50)
			break;
		l->blocks = group_start(l, l->groups - 1);	/* drop the runt */
	}
	if ((unsigned long long)l->ipg * l->groups > 0xffffffffULL)
		*why = "too many inodes for the format";
	else if (o->inodes && (unsigned long long)l->ipg * l->groups < o->inodes)
		*why = "too many inodes for this size";
	else if (l->ipg * l->groups < EXT2_GOOD_OLD_FIRST_INO + 1)
		*why = "too few inodes";
	for (g = 0; !*why && g < l->groups; g++)
		if (group_overhead(l, g) + (g ? 0 : 2) > group_blocks(l, g))
			*why = "size too small for the metadata it needs";
	return *why ? -EINVAL : 0;
}

/* ---- writing ------------------------------------------------------------- */

struct mkfs_ctx {
	struct block_device *bdev;
	const struct ext2_mkfs_opts *o;
	struct layout l;
	unsigned long root_block;
	unsigned long free_blocks, free_inodes;
};

/* A block of zeros, dirty, referenced.  NULL: no memory. */
static struct buffer_head *new_block(struct mkfs_ctx *c, unsigned long nr)
{
	struct buffer_head *bh = getblk(c->bdev, nr, (unsigned int)c->l.bs);

	if (!bh)
		return NULL;
	lock_buffer(bh);
	memset(bh->b_data, 0, c->l.bs);
	set_buffer_uptodate(bh);
	unlock_buffer(bh);
	mark_buffer_dirty(bh);
	return bh;
}

static void set_bits(void *map, unsigned long from, unsigned long to)
{
	for (; from < to; from++)
		ext2_set_bit(from, map);
}

static int write_bitmaps(struct mkfs_ctx *c, unsigned long g, unsigned long bb)
{
	const struct layout *l = &c->l;
	unsigned long used = group_overhead(l, g) + (g ? 0 : 1);
	struct buffer_head *bh = new_block(c, bb);

	if (!bh)
		return -ENOMEM;
	set_bits(bh->b_data, 0, used);
	set_bits(bh->b_data, group_blocks(l, g), 8 * l->bs);
	brelse(bh);
	bh = new_block(c, bb + 1);
	if (!bh)
		return -ENOMEM;
	if (!g)
		set_bits(bh->b_data, 0, EXT2_GOOD_OLD_FIRST_INO - 1);
	set_bits(bh->b_data, l->ipg, 8 * l->bs);
	brelse(bh);
	c->free_blocks += group_blocks(l, g) - used;
	c->free_inodes += l->ipg - (g ? 0 : EXT2_GOOD_OLD_FIRST_INO - 1);
	return 0;
}

static int write_inode_table(struct mkfs_ctx *c, unsigned long it)
{
	unsigned long i;

	if (c->o->zeroed)
		return 0;
	for (i = 0; i < c->l.itb; i++) {
		struct buffer_head *bh = new_block(c, it + i);

		if (!bh)
			return -ENOMEM;
		brelse(bh);
	}
	return 0;
}

static void fill_desc(const struct mkfs_ctx *c, unsigned long g, struct ext2_group_desc *gd)
{
	const struct layout *l = &c->l;
	unsigned long bb = group_start(l, g) + (sparse_has_super(g) ? 1 + l->gdb : 0);
	unsigned long used = group_overhead(l, g) + (g ? 0 : 1);

	memset(gd, 0, sizeof(*gd));
	gd->bg_block_bitmap = cpu_to_le32((uint32_t)bb);
	gd->bg_inode_bitmap = cpu_to_le32((uint32_t)(bb + 1));
	gd->bg_inode_table = cpu_to_le32((uint32_t)(bb + 2));
	gd->bg_free_blocks_count = cpu_to_le16((uint16_t)(group_blocks(l, g) - used));
	gd->bg_free_inodes_count = cpu_to_le16((uint16_t)(l->ipg -
				   (g ? 0 : EXT2_GOOD_OLD_FIRST_INO - 1)));
	gd->bg_used_dirs_count = cpu_to_le16(g ? 0 : 1);
}

static void fill_super(const struct mkfs_ctx *c, struct ext2_super_block *es)
{
	const struct layout *l = &c->l;
	const struct ext2_mkfs_opts *o = c->o;
	uint32_t now = (uint32_t)o->now;

	memset(es, 0, sizeof(*es));
	es->s_inodes_count = cpu_to_le32((uint32_t)(l->ipg * l->groups));
	es->s_blocks_count = cpu_to_le32((uint32_t)l->blocks);
	es->s_r_blocks_count = cpu_to_le32((uint32_t)((unsigned long long)l->blocks *
					   (unsigned int)o->reserved_percent / 100));
	es->s_free_blocks_count = cpu_to_le32((uint32_t)c->free_blocks);
	es->s_free_inodes_count = cpu_to_le32((uint32_t)c->free_inodes);
	es->s_first_data_block = cpu_to_le32((uint32_t)l->first);
	es->s_log_block_size = cpu_to_le32(l->bs == 1024 ? 0 : l->bs == 2048 ? 1 : 2);
	es->s_log_frag_size = es->s_log_block_size;
	es->s_blocks_per_group = cpu_to_le32((uint32_t)l->bpg);
	es->s_frags_per_group = cpu_to_le32((uint32_t)l->bpg);
	es->s_inodes_per_group = cpu_to_le32((uint32_t)l->ipg);
	es->s_wtime = cpu_to_le32(now);
	es->s_max_mnt_count = cpu_to_le16(0xffff);
	es->s_magic = cpu_to_le16(EXT2_SUPER_MAGIC);
	es->s_state = cpu_to_le16(EXT2_VALID_FS);
	es->s_errors = cpu_to_le16(EXT2_ERRORS_CONTINUE);
	es->s_lastcheck = cpu_to_le32(now);
	es->s_creator_os = cpu_to_le32(EXT2_OS_LINUX);
	es->s_rev_level = cpu_to_le32(EXT2_DYNAMIC_REV);
	es->s_first_ino = cpu_to_le32(EXT2_GOOD_OLD_FIRST_INO);
	es->s_inode_size = cpu_to_le16((uint16_t)l->inode_size);
	es->s_feature_incompat = cpu_to_le32(EXT2_FEATURE_INCOMPAT_FILETYPE);
	es->s_feature_ro_compat = cpu_to_le32(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER |
					      EXT2_FEATURE_RO_COMPAT_LARGE_FILE);
	memcpy(es->s_uuid, o->uuid, sizeof(es->s_uuid));
	memcpy(es->s_volume_name, o->label, sizeof(es->s_volume_name));
	es->s_hash_seed[0] = cpu_to_le32(o->hash_seed[0]);
	es->s_hash_seed[1] = cpu_to_le32(o->hash_seed[1]);
	es->s_hash_seed[2] = cpu_to_le32(o->hash_seed[2]);
	es->s_hash_seed[3] = cpu_to_le32(o->hash_seed[3]);
	es->s_def_hash_version = 1;	/* half_md4, should dir_index be turned on */
	es->s_mkfs_time = cpu_to_le32(now);
	if (l->inode_size > EXT2_GOOD_OLD_INODE_SIZE) {
		es->s_min_extra_isize = cpu_to_le16(EXT2_EXTRA_ISIZE);
		es->s_want_extra_isize = cpu_to_le16(EXT2_EXTRA_ISIZE);
	}
}

/* The super block copy of group g (the primary for 0). */
static int write_super_copy(struct mkfs_ctx *c, unsigned long g,
			    const struct ext2_super_block *es)
{
	const struct layout *l = &c->l;
	unsigned long sb_block = g ? group_start(l, g) : EXT2_SUPER_OFFSET / l->bs;
	unsigned long sb_off = g ? 0 : EXT2_SUPER_OFFSET % l->bs;
	struct ext2_super_block *dst;
	struct buffer_head *bh = new_block(c, sb_block);

	if (!bh)
		return -ENOMEM;
	dst = (struct ext2_super_block *)(bh->b_data + sb_off);
	memcpy(dst, es, sizeof(*es));
	dst->s_block_group_nr = cpu_to_le16((uint16_t)g);
	brelse(bh);
	return 0;
}

/* Descriptor block i, and its copy in every group with a super block. */
static int write_desc_block(struct mkfs_ctx *c, unsigned long i)
{
	const struct layout *l = &c->l;
	unsigned long per = l->bs / sizeof(struct ext2_group_desc), g, n;
	struct buffer_head *bh = new_block(c, l->first + 1 + i);

	if (!bh)
		return -ENOMEM;
	n = l->groups - i * per < per ? l->groups - i * per : per;
	for (g = 0; g < n; g++)
		fill_desc(c, i * per + g, (struct ext2_group_desc *)bh->b_data + g);
	for (g = 1; g < l->groups; g++) {
		struct buffer_head *copy;

		if (!sparse_has_super(g))
			continue;
		copy = new_block(c, group_start(l, g) + 1 + i);
		if (!copy) {
			brelse(bh);
			return -ENOMEM;
		}
		memcpy(copy->b_data, bh->b_data, l->bs);
		brelse(copy);
	}
	brelse(bh);
	return filemap_fdatasync(bdev_mapping(c->bdev));
}

static void fill_root_inode(const struct mkfs_ctx *c, struct ext2_inode *raw)
{
	uint32_t now = (uint32_t)c->o->now;

	memset(raw, 0, c->l.inode_size);
	raw->i_mode = cpu_to_le16(S_IFDIR | 0755);
	raw->i_size = cpu_to_le32((uint32_t)c->l.bs);
	raw->i_atime = raw->i_ctime = raw->i_mtime = cpu_to_le32(now);
	raw->i_links_count = cpu_to_le16(2);
	raw->i_blocks = cpu_to_le32((uint32_t)(c->l.bs / 512));
	raw->i_block[0] = cpu_to_le32((uint32_t)c->root_block);
	if (c->l.inode_size > EXT2_GOOD_OLD_INODE_SIZE) {
		raw->i_extra_isize = cpu_to_le16(EXT2_EXTRA_ISIZE);
		raw->i_crtime = cpu_to_le32(now);
	}
}

static int write_root(struct mkfs_ctx *c, unsigned long itable)
{
	const struct layout *l = &c->l;
	struct ext2_dir_entry_2 *de;
	struct buffer_head *bh = new_block(c, c->root_block);

	if (!bh)
		return -ENOMEM;
	de = (struct ext2_dir_entry_2 *)bh->b_data;
	de->inode = cpu_to_le32(EXT2_ROOT_INO);
	de->rec_len = cpu_to_le16(EXT2_DIR_REC_LEN(1));
	de->name_len = 1;
	de->file_type = EXT2_FT_DIR;
	de->name[0] = '.';
	de = (struct ext2_dir_entry_2 *)(bh->b_data + EXT2_DIR_REC_LEN(1));
	de->inode = cpu_to_le32(EXT2_ROOT_INO);
	de->rec_len = cpu_to_le16((uint16_t)(l->bs - EXT2_DIR_REC_LEN(1)));
	de->name_len = 2;
	de->file_type = EXT2_FT_DIR;
	de->name[0] = de->name[1] = '.';
	brelse(bh);
	bh = c->o->zeroed ? bread(c->bdev, itable, (unsigned int)l->bs)
			  : getblk(c->bdev, itable, (unsigned int)l->bs);
	if (!bh)
		return -EIO;
	lock_buffer(bh);
	fill_root_inode(c, (struct ext2_inode *)(bh->b_data + l->inode_size));
	unlock_buffer(bh);
	mark_buffer_dirty(bh);
	brelse(bh);
	return 0;
}

/* Bitmaps and inode tables of every group, written back as we go. */
static int write_groups(struct mkfs_ctx *c)
{
	struct address_space *mapping = bdev_mapping(c->bdev);
	unsigned long g;
	int err;

	for (g = 0; g < c->l.groups; g++) {
		unsigned long bb = group_start(&c->l, g) +
				   (sparse_has_super(g) ? 1 + c->l.gdb : 0);

		err = write_bitmaps(c, g, bb);
		if (!err)
			err = write_inode_table(c, bb + 2);
		if (!err && !g) {
			c->root_block = bb + 2 + c->l.itb;
			err = write_root(c, bb + 2);
		}
		if (!err && g % 16 == 15)
			err = filemap_fdatasync(mapping);
		if (err)
			return err;
	}
	return filemap_fdatasync(mapping);
}

static int write_supers(struct mkfs_ctx *c)
{
	struct ext2_super_block es;
	unsigned long g;
	int err = 0;

	for (g = 0; g < c->l.gdb && !err; g++)
		err = write_desc_block(c, g);
	fill_super(c, &es);
	for (g = 0; g < c->l.groups && !err; g++)
		if (sparse_has_super(g))
			err = write_super_copy(c, g, &es);
	return err;
}

int ext2_mkfs(struct block_device *bdev, const struct ext2_mkfs_opts *o,
	      const char **why)
{
	struct mkfs_ctx c = { .bdev = bdev, .o = o };
	int err, err2;

	*why = NULL;
	err = compute_layout(&c.l, o, blkdev_size(bdev), why);
	if (err)
		return err;
	if (c.l.bs < blkdev_logical_block_size(bdev)) {
		*why = "block size smaller than the device's logical block size";
		return -EINVAL;
	}
	err = bdev_cache_attach(bdev, (unsigned int)c.l.bs);
	if (err) {
		*why = "cannot attach the buffer cache";
		return err;
	}
	err = write_groups(&c);
	if (!err)
		err = write_supers(&c);
	err2 = sync_blockdev(bdev);
	if (!err)
		err = err2;
	err2 = bdev_cache_detach(bdev);
	if (!err)
		err = err2;
	if (err && !*why)
		*why = err == -ENOMEM ? "out of memory" : "cannot write the image";
	return err;
}
