/*
 * fs/ext2/super.c - mounting: the super block and the group descriptors
 * read and checked, the feature policy, the mount state kept, statfs,
 * sync and unmount (2.4 fs/ext2/super.c: ext2_read_super,
 * ext2_check_descriptors, ext2_setup_super, ext2_put_super,
 * ext2_write_super, ext2_statfs, ext2_error - here ext2_error_inode and
 * ext2_error_group, which log each corrupt object once per mount).
 *
 * Mount: open the device, attach its buffer cache at the super block's
 * block size, read the super block at byte 1024, check its geometry
 * against itself and the device, refuse unknown INCOMPAT features by name
 * and mount read-only for unknown RO_COMPAT ones, read every group
 * descriptor and check that its bitmaps and inode table lie inside its
 * group, then mark the image not-clean (read-write) and count the mount.
 * Unmount writes everything back and marks it clean again.
 *
 * Interface: ext2.h (mount, unmount, sync, statfs); ext2_i.h for the
 * group-descriptor helpers.  Locking: sbi->s_lock covers the free counts
 * and super-block fields changed after mount; descriptors are changed
 * under their group's lock (balloc.c, ialloc.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "fs/ext2/ext2_i.h"
#include "vm/slab.h"

#define ERR_GROUP_KEY	(1ULL << 63)

/* ---- errors (2.4 ext2_error, with errors= as the kernel has it) ---------- */

int ext2_parse_errors(const char *name)
{
	if (!strcmp(name, "continue"))
		return EXT2_ON_ERRORS_CONTINUE;
	if (!strcmp(name, "remount-ro"))
		return EXT2_ON_ERRORS_RO;
	if (!strcmp(name, "panic"))
		return EXT2_ON_ERRORS_PANIC;
	return -EINVAL;
}

int ext2_read_only(struct super_block *sb)
{
	return ext2_rdonly(sb);
}

int ext2_has_errors(struct super_block *sb)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	int ret;

	spin_lock(&sbi->s_lock);
	ret = (sbi->s_mount_state & EXT2_ERROR_FS) != 0;
	spin_unlock(&sbi->s_lock);
	return ret;
}

/* errors=panic: the device takes no more writes, then the owner is told
 * (the daemon stops).  Once. */
static void ext2_panic(struct super_block *sb)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);

	if (__atomic_exchange_n(&sbi->s_panicked, 1, __ATOMIC_ACQ_REL))
		return;
	blkdev_abort(sb->s_bdev);
	vm_log("ext2: errors=panic: no more writes to the image, stopping");
	if (sbi->s_on_panic)
		sbi->s_on_panic(sbi->s_panic_arg);
}

/*
 * The error state goes into the super block at once (its buffer is
 * dirtied, and written by the next sync, fsync, flusher pass or unmount;
 * never synchronously here, as this may run in the device's completion
 * thread), and no later step of this mount marks the image clean.
 */
void ext2_error_quiet(struct super_block *sb)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);

	spin_lock(&sbi->s_lock);
	sbi->s_mount_state |= EXT2_ERROR_FS;
	if (sbi->s_es)
		sbi->s_es->s_state = cpu_to_le16(le16_to_cpu(sbi->s_es->s_state) | EXT2_ERROR_FS);
	spin_unlock(&sbi->s_lock);
	if (sbi->s_sbh && !ext2_image_ro(sb))
		mark_buffer_dirty(sbi->s_sbh);
	switch (sbi->s_errors) {
	case EXT2_ON_ERRORS_RO:
		if (!__atomic_exchange_n(&sbi->s_error_ro, 1, __ATOMIC_ACQ_REL))
			vm_log("ext2: errors=remount-ro: the file system is read-only now");
		break;
	case EXT2_ON_ERRORS_PANIC:
		ext2_panic(sb);
		break;
	default:
		break;
	}
}

/* Caller holds s_lock: whether obj's error is new to this mount. */
static int first_error(struct ext2_sb_info *sbi, uint64_t obj)
{
	unsigned int i;

	for (i = 0; i < EXT2_ERR_OBJECTS; i++)
		if (sbi->s_err_objs[i] == obj)
			return 0;
	sbi->s_err_objs[sbi->s_err_next++ % EXT2_ERR_OBJECTS] = obj;
	return 1;
}

static void error_once(struct super_block *sb, uint64_t obj, const char *func,
		       const char *fmt, va_list ap)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	char msg[256];
	int first;

	spin_lock(&sbi->s_lock);
	first = first_error(sbi, obj);
	spin_unlock(&sbi->s_lock);
	if (first) {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		vm_log("ext2 error (%s): %s", func, msg);
	}
	ext2_error_quiet(sb);
}

void ext2_error_inode(struct super_block *sb, unsigned long ino, const char *func,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_once(sb, ino, func, fmt, ap);
	va_end(ap);
}

void ext2_error_group(struct super_block *sb, unsigned long group, const char *func,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_once(sb, ERR_GROUP_KEY | group, func, fmt, ap);
	va_end(ap);
}

void ext2_error(struct super_block *sb, const char *func, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vm_log("ext2 error (%s): %s", func, msg);
	ext2_error_quiet(sb);
}

/* The block device's hook: a metadata page failed to reach the image.
 * The first failure is an error already (nothing but the buffer cache
 * holds that metadata); one line for the first, a count at unmount. */
static void ext2_meta_write_error(void *arg, int err, int lasting)
{
	struct super_block *sb = arg;
	struct ext2_sb_info *sbi = EXT2_SB(sb);

	(void)lasting;
	__atomic_store_n(&sbi->s_write_failed, 1, __ATOMIC_RELAXED);
	if (__atomic_add_fetch(&sbi->s_nr_meta_errors, 1, __ATOMIC_RELAXED) == 1)
		ext2_error(sb, "write-back", "writing metadata to the image failed: %s",
			   strerror(-err));
	else
		ext2_error_quiet(sb);
}

struct buffer_head *ext2_sb_bread(struct super_block *sb, unsigned long block)
{
	return bread(sb->s_bdev, block, (unsigned int)sb->s_blocksize);
}

/* ---- geometry ----------------------------------------------------------- */

static int test_root(unsigned long a, unsigned int b)
{
	while (a > 1) {
		if (a % b)
			return 0;
		a /= b;
	}
	return 1;
}

int ext2_group_has_super(struct super_block *sb, unsigned long group)
{
	if (group <= 1 || !ext2_has_ro_compat(sb, EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER))
		return 1;
	if (!(group & 1))
		return 0;
	return test_root(group, 3) || test_root(group, 5) || test_root(group, 7);
}

unsigned long ext2_group_first_block(struct super_block *sb, unsigned long group)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);

	return sbi->s_first_data_block + group * sbi->s_blocks_per_group;
}

unsigned long ext2_group_nr_blocks(struct super_block *sb, unsigned long group)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);

	if (group == sbi->s_groups_count - 1)
		return sbi->s_blocks_count - ext2_group_first_block(sb, group);
	return sbi->s_blocks_per_group;
}

struct ext2_group_desc *ext2_get_group_desc(struct super_block *sb,
					    unsigned long group,
					    struct buffer_head **bhp)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	unsigned long nr = group / sbi->s_desc_per_block;
	unsigned long off = group % sbi->s_desc_per_block;
	struct buffer_head *bh;

	VM_BUG_ON(group >= sbi->s_groups_count);
	bh = sbi->s_group_desc[nr];
	if (bhp)
		*bhp = bh;
	return (struct ext2_group_desc *)bh->b_data + off;
}

unsigned long long ext2_max_size(unsigned int bits)
{
	unsigned long long res = EXT2_NDIR_BLOCKS, upper = (1ULL << 32) - 1;
	unsigned long long ppb = 1ULL << (bits - 2), meta;

	upper >>= bits - 9;	/* i_blocks counts 512-byte sectors in 32 bits */
	res += ppb + ppb * ppb + ppb * ppb * ppb;
	if (res >= upper) {
		res = upper;
		upper -= EXT2_NDIR_BLOCKS + ppb;
		meta = 1;
		if (upper < ppb * ppb) {
			meta += 1 + (upper + ppb - 1) / ppb;
		} else {
			meta += 1 + ppb;
			upper -= ppb * ppb;
			meta += 1 + (upper + ppb - 1) / ppb +
				(upper + ppb * ppb - 1) / (ppb * ppb);
		}
		res -= meta;
	}
	return res << bits;
}

/* ---- checking the super block ------------------------------------------- */

struct feature_name {
	uint32_t mask;
	const char *name;
};

static const struct feature_name incompat_names[] = {
	{ EXT2_FEATURE_INCOMPAT_COMPRESSION, "unsupported feature: compression" },
	{ EXT3_FEATURE_INCOMPAT_RECOVER, "unsupported feature: needs_recovery (a journal to recover)" },
	{ EXT3_FEATURE_INCOMPAT_JOURNAL_DEV, "unsupported feature: journal_dev" },
	{ EXT2_FEATURE_INCOMPAT_META_BG, "unsupported feature: meta_bg" },
	{ EXT4_FEATURE_INCOMPAT_EXTENTS, "unsupported feature: extent" },
	{ EXT4_FEATURE_INCOMPAT_64BIT, "unsupported feature: 64bit" },
	{ EXT4_FEATURE_INCOMPAT_MMP, "unsupported feature: mmp" },
	{ EXT4_FEATURE_INCOMPAT_FLEX_BG, "unsupported feature: flex_bg" },
	{ EXT4_FEATURE_INCOMPAT_EA_INODE, "unsupported feature: ea_inode" },
	{ EXT4_FEATURE_INCOMPAT_DIRDATA, "unsupported feature: dirdata" },
	{ EXT4_FEATURE_INCOMPAT_CSUM_SEED, "unsupported feature: metadata_csum_seed" },
	{ EXT4_FEATURE_INCOMPAT_LARGEDIR, "unsupported feature: large_dir" },
	{ EXT4_FEATURE_INCOMPAT_INLINE_DATA, "unsupported feature: inline_data" },
	{ EXT4_FEATURE_INCOMPAT_ENCRYPT, "unsupported feature: encrypt" },
	{ EXT4_FEATURE_INCOMPAT_CASEFOLD, "unsupported feature: casefold" },
};

static const struct feature_name ro_compat_names[] = {
	{ EXT2_FEATURE_RO_COMPAT_BTREE_DIR, "read-only: unsupported feature btree_dir" },
	{ EXT4_FEATURE_RO_COMPAT_HUGE_FILE, "read-only: unsupported feature huge_file" },
	{ EXT4_FEATURE_RO_COMPAT_GDT_CSUM, "read-only: unsupported feature uninit_bg" },
	{ EXT4_FEATURE_RO_COMPAT_DIR_NLINK, "read-only: unsupported feature dir_nlink" },
	{ EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE, "read-only: unsupported feature extra_isize" },
	{ EXT4_FEATURE_RO_COMPAT_QUOTA, "read-only: unsupported feature quota" },
	{ EXT4_FEATURE_RO_COMPAT_BIGALLOC, "read-only: unsupported feature bigalloc" },
	{ EXT4_FEATURE_RO_COMPAT_METADATA_CSUM, "read-only: unsupported feature metadata_csum" },
	{ EXT4_FEATURE_RO_COMPAT_READONLY, "read-only: the image is marked read-only" },
	{ EXT4_FEATURE_RO_COMPAT_PROJECT, "read-only: unsupported feature project" },
};

static const char *feature_name(const struct feature_name *tab, size_t n,
				uint32_t bits, const char *unknown)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (bits & tab[i].mask)
			return tab[i].name;
	return unknown;
}

/* The feature policy of DESIGN.md.  0, 1 (forced read-only: *why), or
 * -EOPNOTSUPP. */
static int check_features(struct ext2_sb_info *sbi, const char **why)
{
	uint32_t incompat = sbi->s_feature_incompat & ~EXT2_FEATURE_INCOMPAT_SUPP;
	uint32_t ro = sbi->s_feature_ro_compat & ~EXT2_FEATURE_RO_COMPAT_SUPP;

	if (incompat) {
		*why = feature_name(incompat_names, ARRAY_SIZE(incompat_names), incompat,
				    "unsupported feature: unknown incompat feature");
		return -EOPNOTSUPP;
	}
	if (ro) {
		*why = feature_name(ro_compat_names, ARRAY_SIZE(ro_compat_names), ro,
				    "read-only: unknown ro_compat feature");
		return 1;
	}
	return 0;
}

/* The geometry of es, against itself and the device.  0 or -EINVAL. */
static int check_geometry(struct ext2_sb_info *sbi, const struct ext2_super_block *es,
			  unsigned long long dev_size, const char **why)
{
	unsigned long bs = sbi->sb.s_blocksize;

	if (le32_to_cpu(es->s_rev_level) > EXT2_DYNAMIC_REV)
		*why = "unknown ext2 revision";
	else if (sbi->s_inode_size < EXT2_GOOD_OLD_INODE_SIZE || sbi->s_inode_size > bs ||
		 (sbi->s_inode_size & (sbi->s_inode_size - 1)))
		*why = "bad inode size";
	else if (sbi->s_first_data_block != (bs == 1024 ? 1UL : 0UL))
		*why = "bad first data block";
	else if (!sbi->s_blocks_per_group || sbi->s_blocks_per_group > 8 * bs ||
		 sbi->s_blocks_per_group % 8)
		*why = "bad blocks per group";
	else if (!sbi->s_inodes_per_group || sbi->s_inodes_per_group > 8 * bs ||
		 sbi->s_inodes_per_group % sbi->s_inodes_per_block)
		*why = "bad inodes per group";
	else if (sbi->s_blocks_count <= sbi->s_first_data_block)
		*why = "bad block count";
	else if ((unsigned long long)sbi->s_blocks_count * bs > dev_size)
		*why = "the file system is larger than the device";
	else if (sbi->s_first_ino < EXT2_GOOD_OLD_FIRST_INO)
		*why = "bad first inode";
	else if (sbi->s_inodes_count != sbi->s_inodes_per_group * sbi->s_groups_count)
		*why = "inode count does not match the groups";
	return *why ? -EINVAL : 0;
}

static int fill_geometry(struct ext2_sb_info *sbi, const struct ext2_super_block *es,
			 unsigned long long dev_size, const char **why)
{
	unsigned long bs = sbi->sb.s_blocksize;

	sbi->s_blocks_count = le32_to_cpu(es->s_blocks_count);
	sbi->s_inodes_count = le32_to_cpu(es->s_inodes_count);
	sbi->s_first_data_block = le32_to_cpu(es->s_first_data_block);
	sbi->s_blocks_per_group = le32_to_cpu(es->s_blocks_per_group);
	sbi->s_inodes_per_group = le32_to_cpu(es->s_inodes_per_group);
	if (le32_to_cpu(es->s_rev_level) == EXT2_GOOD_OLD_REV) {
		sbi->s_inode_size = EXT2_GOOD_OLD_INODE_SIZE;
		sbi->s_first_ino = EXT2_GOOD_OLD_FIRST_INO;
		sbi->s_feature_compat = sbi->s_feature_incompat = 0;
		sbi->s_feature_ro_compat = 0;
	} else {
		sbi->s_inode_size = le16_to_cpu(es->s_inode_size);
		sbi->s_first_ino = le32_to_cpu(es->s_first_ino);
		sbi->s_feature_compat = le32_to_cpu(es->s_feature_compat);
		sbi->s_feature_incompat = le32_to_cpu(es->s_feature_incompat);
		sbi->s_feature_ro_compat = le32_to_cpu(es->s_feature_ro_compat);
	}
	if (!sbi->s_inode_size)
		sbi->s_inode_size = 1;	/* refused below */
	sbi->s_inodes_per_block = bs / sbi->s_inode_size;
	if (!sbi->s_inodes_per_block)
		sbi->s_inodes_per_block = 1;
	sbi->s_desc_per_block = bs / sizeof(struct ext2_group_desc);
	sbi->s_addr_per_block_bits = sbi->sb.s_blocksize_bits - 2;
	if (sbi->s_blocks_per_group && sbi->s_blocks_count > sbi->s_first_data_block)
		sbi->s_groups_count = (sbi->s_blocks_count - sbi->s_first_data_block +
				       sbi->s_blocks_per_group - 1) / sbi->s_blocks_per_group;
	sbi->s_gdb_count = (sbi->s_groups_count + sbi->s_desc_per_block - 1) /
			   sbi->s_desc_per_block;
	sbi->s_itb_per_group = sbi->s_inodes_per_group / sbi->s_inodes_per_block;
	return check_geometry(sbi, es, dev_size, why);
}

/* A block in [first, first + count) of the group? */
static int in_group(struct super_block *sb, unsigned long group, unsigned long block,
		    unsigned long count)
{
	unsigned long first = ext2_group_first_block(sb, group);

	return block >= first && block + count <= first + ext2_group_nr_blocks(sb, group);
}

/* 2.4 ext2_check_descriptors. */
static int check_descriptors(struct super_block *sb, const char **why)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	unsigned long g;

	sbi->s_free_blocks = sbi->s_free_inodes = sbi->s_dirs = 0;
	for (g = 0; g < sbi->s_groups_count; g++) {
		struct ext2_group_desc *gd = ext2_get_group_desc(sb, g, NULL);

		if (!in_group(sb, g, le32_to_cpu(gd->bg_block_bitmap), 1))
			*why = "a block bitmap lies outside its group";
		else if (!in_group(sb, g, le32_to_cpu(gd->bg_inode_bitmap), 1))
			*why = "an inode bitmap lies outside its group";
		else if (!in_group(sb, g, le32_to_cpu(gd->bg_inode_table), sbi->s_itb_per_group))
			*why = "an inode table lies outside its group";
		else if (le16_to_cpu(gd->bg_free_blocks_count) > ext2_group_nr_blocks(sb, g) ||
			 le16_to_cpu(gd->bg_free_inodes_count) > sbi->s_inodes_per_group)
			*why = "a group's free counts are out of range";
		if (*why)
			return -EINVAL;
		sbi->s_free_blocks += le16_to_cpu(gd->bg_free_blocks_count);
		sbi->s_free_inodes += le16_to_cpu(gd->bg_free_inodes_count);
		sbi->s_dirs += le16_to_cpu(gd->bg_used_dirs_count);
	}
	return 0;
}

static void put_group_desc(struct ext2_sb_info *sbi, unsigned long n)
{
	while (n--)
		brelse(sbi->s_group_desc[n]);
	kfree(sbi->s_group_desc);
	sbi->s_group_desc = NULL;
}

static int read_group_desc(struct super_block *sb, const char **why)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	unsigned long i;

	sbi->s_group_desc = kzalloc(sbi->s_gdb_count * sizeof(struct buffer_head *),
				    GFP_KERNEL);
	if (!sbi->s_group_desc) {
		*why = "out of memory for group descriptors";
		return -ENOMEM;
	}
	for (i = 0; i < sbi->s_gdb_count; i++) {
		sbi->s_group_desc[i] = ext2_sb_bread(sb, sbi->s_first_data_block + 1 + i);
		if (!sbi->s_group_desc[i]) {
			put_group_desc(sbi, i);
			*why = "cannot read the group descriptors";
			return -EIO;
		}
	}
	return 0;
}

static int init_groups(struct ext2_sb_info *sbi)
{
	unsigned long g;

	sbi->s_groups = kzalloc(sbi->s_groups_count * sizeof(*sbi->s_groups), GFP_KERNEL);
	if (!sbi->s_groups)
		return -ENOMEM;
	for (g = 0; g < sbi->s_groups_count; g++)
		pthread_mutex_init(&sbi->s_groups[g].lock, NULL);
	return 0;
}

static void exit_groups(struct ext2_sb_info *sbi)
{
	unsigned long g;

	for (g = 0; g < sbi->s_groups_count; g++)
		pthread_mutex_destroy(&sbi->s_groups[g].lock);
	kfree(sbi->s_groups);
}

/* ---- reading the super block -------------------------------------------- */

/* Read the super block at byte 1024 with the device's cache at sb_size;
 * switch the cache to the file system's block size.  0 or -errno. */
static int read_super_block(struct super_block *sb, const char **why)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	unsigned int lbs = blkdev_logical_block_size(sb->s_bdev);
	unsigned int sb_size = lbs > 1024 ? lbs : 1024, bs, log;
	struct ext2_super_block *es;
	struct buffer_head *bh;
	int err;

	err = bdev_cache_attach(sb->s_bdev, sb_size);
	if (err) {
		*why = "cannot attach the buffer cache";
		return err;
	}
	bh = bread(sb->s_bdev, EXT2_SUPER_OFFSET / sb_size, sb_size);
	if (!bh) {
		*why = "cannot read the super block";
		return -EIO;
	}
	es = (struct ext2_super_block *)(bh->b_data + EXT2_SUPER_OFFSET % sb_size);
	log = le32_to_cpu(es->s_log_block_size);
	err = -EINVAL;
	if (le16_to_cpu(es->s_magic) != EXT2_SUPER_MAGIC)
		*why = "not an ext2 file system (bad magic)";
	else if (log > 2)
		*why = "unsupported block size";
	brelse(bh);
	if (*why)
		return err;
	bs = 1024U << log;
	if (bs < lbs) {
		*why = "block size smaller than the device's logical block size";
		return -EINVAL;
	}
	sb->s_blocksize = bs;
	sb->s_blocksize_bits = 10 + log;
	err = set_blocksize(sb->s_bdev, bs);
	if (err) {
		*why = "cannot set the block size";
		return err;
	}
	sbi->s_sbh = ext2_sb_bread(sb, EXT2_SUPER_OFFSET / bs);
	if (!sbi->s_sbh) {
		*why = "cannot read the super block";
		return -EIO;
	}
	sbi->s_es = (struct ext2_super_block *)(sbi->s_sbh->b_data + EXT2_SUPER_OFFSET % bs);
	return 0;
}

/* Mark the image in use: not clean, one more mount (2.4 ext2_setup_super). */
static int setup_super(struct super_block *sb)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	struct ext2_super_block *es = sbi->s_es;
	struct timespec now = fs_current_time(sb);

	if (!(sbi->s_mount_state & EXT2_VALID_FS))
		vm_log("ext2: warning: mounting unchecked fs, running e2fsck is recommended");
	else if (sbi->s_mount_state & EXT2_ERROR_FS)
		vm_log("ext2: warning: mounting fs with errors, running e2fsck is recommended");
	if (ext2_rdonly(sb))
		return 0;
	spin_lock(&sbi->s_lock);
	es->s_state = cpu_to_le16(le16_to_cpu(es->s_state) & ~EXT2_VALID_FS);
	es->s_mnt_count = cpu_to_le16(le16_to_cpu(es->s_mnt_count) + 1);
	es->s_mtime = cpu_to_le32((uint32_t)now.tv_sec);
	es->s_wtime = cpu_to_le32((uint32_t)now.tv_sec);
	if (!le16_to_cpu(es->s_max_mnt_count))
		es->s_max_mnt_count = cpu_to_le16(0xffff);	/* -1: no check */
	spin_unlock(&sbi->s_lock);
	mark_buffer_dirty(sbi->s_sbh);
	return sync_dirty_buffer(sbi->s_sbh);
}

void ext2_commit_super(struct super_block *sb)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	struct ext2_super_block *es = sbi->s_es;
	struct timespec now = fs_current_time(sb);

	if (ext2_image_ro(sb))
		return;
	/* the flusher calls this while the block may be going out: no
	 * write of a half-updated super block */
	lock_buffer(sbi->s_sbh);
	spin_lock(&sbi->s_lock);
	es->s_free_blocks_count = cpu_to_le32((uint32_t)sbi->s_free_blocks);
	es->s_free_inodes_count = cpu_to_le32((uint32_t)sbi->s_free_inodes);
	es->s_wtime = cpu_to_le32((uint32_t)now.tv_sec);
	es->s_feature_ro_compat = cpu_to_le32(sbi->s_feature_ro_compat);
	es->s_feature_compat = cpu_to_le32(sbi->s_feature_compat);
	spin_unlock(&sbi->s_lock);
	unlock_buffer(sbi->s_sbh);
	mark_buffer_dirty(sbi->s_sbh);
}

/* ---- mount ---------------------------------------------------------------- */

void ext2_mount_opts_default(struct ext2_mount_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->reach = DMA_REACH_LOW;
}

static int open_device(const struct ext2_mount_opts *o, struct super_block *sb,
		       const char **why)
{
	struct blkdev_config cfg = {
		.path = o->path, .read_only = o->read_only, .reach = o->reach,
		.no_direct = o->no_direct,
	};
	int err = blkdev_open(&cfg, &sb->s_bdev);

	if (err)
		*why = err == -ENOENT ? "no such image" :
		       err == -EACCES ? "permission denied" :
		       err == -EISDIR ? "is a directory" :
		       err == -EBUSY ? "in use" : "cannot open the image";
	return err;
}

static struct ext2_sb_info *alloc_sbi(void)
{
	struct ext2_sb_info *sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);

	if (!sbi)
		return NULL;
	spin_lock_init(&sbi->s_lock);
	pthread_mutex_init(&sbi->s_rename_lock, NULL);
	pthread_mutex_init(&sbi->s_xattr_lock, NULL);
	return sbi;
}

static void free_sbi(struct ext2_sb_info *sbi)
{
	spin_lock_destroy(&sbi->s_lock);
	pthread_mutex_destroy(&sbi->s_rename_lock);
	pthread_mutex_destroy(&sbi->s_xattr_lock);
	kfree(sbi);
}

/* Super block read: geometry, features, descriptors. */
static int check_super(struct super_block *sb, const char **why)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	int err, ro;

	err = fill_geometry(sbi, sbi->s_es, blkdev_size(sb->s_bdev), why);
	if (err)
		return err;
	ro = check_features(sbi, why);
	if (ro < 0)
		return ro;
	if (ro) {
		if (!ext2_rdonly(sb))
			vm_log("ext2: %s: mounting read-only", *why);
		sbi->s_ro_why = *why;
		sb->s_flags |= MS_RDONLY;
	}
	*why = NULL;
	sbi->s_mount_state = le16_to_cpu(sbi->s_es->s_state);
	if (!sbi->s_errors)	/* no errors= given: the super block's choice */
		sbi->s_errors = le16_to_cpu(sbi->s_es->s_errors);
	if (sbi->s_errors < EXT2_ON_ERRORS_CONTINUE || sbi->s_errors > EXT2_ON_ERRORS_PANIC)
		sbi->s_errors = EXT2_ON_ERRORS_CONTINUE;
	sb->s_maxbytes = ext2_max_size(sb->s_blocksize_bits);
	if (!ext2_has_ro_compat(sb, EXT2_FEATURE_RO_COMPAT_LARGE_FILE) &&
	    sb->s_maxbytes > 0x7fffffffULL &&
	    le32_to_cpu(sbi->s_es->s_rev_level) == EXT2_GOOD_OLD_REV)
		sb->s_maxbytes = 0x7fffffffULL;
	return 0;
}

static int check_root(struct super_block *sb, const char **why)
{
	struct inode *root;
	int err = ext2_iget(sb, EXT2_ROOT_INO, &root);

	if (err) {
		*why = "cannot read the root directory";
		return err;
	}
	if (!S_ISDIR(root->i_mode) || !root->i_size) {
		*why = "the root inode is not a directory";
		err = -EINVAL;
	}
	iput(root);
	return err;
}

static int mount_fs(struct super_block *sb, const char **why)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	int err;

	err = read_super_block(sb, why);
	if (err)
		return err;
	err = check_super(sb, why);
	if (err)
		goto out_sbh;
	err = read_group_desc(sb, why);
	if (err)
		goto out_sbh;
	err = check_descriptors(sb, why);
	if (err)
		goto out_gd;
	err = init_groups(sbi);
	if (err) {
		*why = "out of memory";
		goto out_gd;
	}
	sbi->s_next_generation = (unsigned long)le32_to_cpu(sbi->s_es->s_wtime) * 2654435761UL;
	err = check_root(sb, why);
	if (!err)
		err = setup_super(sb);
	if (!err)
		return 0;
	if (!*why)
		*why = "cannot write the super block";
	evict_inodes(sb);
	exit_groups(sbi);
out_gd:
	put_group_desc(sbi, sbi->s_gdb_count);
out_sbh:
	brelse(sbi->s_sbh);
	return err;
}

int ext2_mount(const struct ext2_mount_opts *o, struct super_block **sbp,
	       const char **why)
{
	const char *ro_why = NULL;
	struct ext2_sb_info *sbi;
	struct super_block *sb;
	int err;

	*why = NULL;
	err = inode_cache_init();
	if (!err && (err = ext2_inode_cache_get()))
		inode_cache_exit();
	if (err) {
		*why = "cannot set up the inode cache";
		return err;
	}
	sbi = alloc_sbi();
	if (!sbi) {
		*why = "out of memory";
		err = -ENOMEM;
		goto out_icache;
	}
	sb = &sbi->sb;
	sb->s_op = &ext2_sops;
	sb->s_fs_info = sbi;
	sb->s_flags = o->read_only ? MS_RDONLY : 0;
	sb->s_fixed_time = o->fixed_time;
	sbi->s_errors = o->errors;
	sbi->s_on_panic = o->on_panic;
	sbi->s_panic_arg = o->panic_arg;
	inode_sb_init(sb);
	err = open_device(o, sb, why);
	if (err)
		goto out_sbi;
	if (blkdev_read_only(sb->s_bdev))
		sb->s_flags |= MS_RDONLY;
	err = mount_fs(sb, why);
	if (err)
		goto out_close;
	bdev_cache_set_error_hook(sb->s_bdev, ext2_meta_write_error, sb);
	if (!o->read_only && ext2_rdonly(sb))
		ro_why = sbi->s_ro_why ? sbi->s_ro_why : "read-only device: mounted read-only";
	/* From here the flusher writes old inodes and counters too. */
	if (!ext2_rdonly(sb) && (err = sb_writeback_enable(sb))) {
		*why = "cannot register with the flusher";
		ext2_unmount(sb);
		return err;
	}
	*why = ro_why;
	*sbp = sb;
	return 0;

out_close:
	if (bdev_mapping(sb->s_bdev))
		bdev_cache_detach(sb->s_bdev);
	blkdev_close(sb->s_bdev);
out_sbi:
	inode_sb_exit(sb);
	free_sbi(sbi);
out_icache:
	ext2_inode_cache_put();
	inode_cache_exit();
	return err;
}

/* ---- sync and unmount ----------------------------------------------------- */

static int fdatasync_inode(struct inode *inode, void *arg)
{
	(void)arg;
	if (!ext2_image_ro(inode->i_sb)) {
		pthread_mutex_lock(&EXT2_I(inode)->i_meta);
		ext2_discard_prealloc(inode);
		pthread_mutex_unlock(&EXT2_I(inode)->i_meta);
	}
	return filemap_fdatasync(&inode->i_data);
}

static int fdatawait_inode(struct inode *inode, void *arg)
{
	(void)arg;
	return filemap_fdatawait(&inode->i_data);
}

int ext2_sync_fs(struct super_block *sb)
{
	int err, err2, err3;

	err = for_each_sb_inode(sb, fdatasync_inode, NULL);
	err2 = for_each_sb_inode(sb, fdatawait_inode, NULL);
	err3 = sync_inodes_sb(sb);
	if (!err)
		err = err2 ? err2 : err3;
	ext2_commit_super(sb);
	err2 = sync_blockdev(sb->s_bdev);
	return err ? err : err2;
}

/* After a failed write-back: what eviction is about to drop, said once
 * per inode. */
static int report_unwritten(struct inode *inode, void *arg)
{
	unsigned long nr = mapping_nr_dirty(&inode->i_data);

	(void)arg;
	if (nr)
		vm_log("ext2: inode %lu: %lu dirty pages could not be written: lost",
		       inode->i_ino, nr);
	return 0;
}

/*
 * The state unmount leaves (2.4 ext2_put_super): the one found at mount,
 * with EXT2_ERROR_FS if an error was found since (ext2_error).  Clean
 * only if it was clean: an image mounted unchecked or with errors stays
 * so, for e2fsck -p.  Whatever must keep the image from being marked
 * clean clears EXT2_VALID_FS in s_mount_state; a write-back that failed
 * in this mount (s_write_failed) keeps it from being clean too, even
 * where a retry later succeeded.
 */
static void put_super_state(struct ext2_sb_info *sbi)
{
	uint16_t state;

	spin_lock(&sbi->s_lock);
	state = sbi->s_mount_state;
	if (__atomic_load_n(&sbi->s_write_failed, __ATOMIC_RELAXED))
		state &= (uint16_t)~EXT2_VALID_FS;
	sbi->s_es->s_state = cpu_to_le16(state);
	spin_unlock(&sbi->s_lock);
}

static int count_busy(struct inode *inode, void *arg)
{
	/* for_each_sb_inode holds one reference of its own */
	if (atomic_read(&inode->i_count) > 1)
		(*(int *)arg)++;
	return 0;
}

int ext2_unmount(struct super_block *sb)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	int busy = 0, err, err2;

	for_each_sb_inode(sb, count_busy, &busy);
	if (busy) {
		vm_log("ext2: unmount: %d inodes still in use", busy);
		return -EBUSY;
	}
	sb_writeback_disable(sb);	/* waits for the flusher's pass over sb */
	err = ext2_sync_fs(sb);
	if (err && !ext2_image_ro(sb)) {
		/* Never clean over a failed write: the error state goes in. */
		ext2_error(sb, "unmount", "writing back failed: %s", strerror(-err));
		for_each_sb_inode(sb, report_unwritten, NULL);
	}
	busy = evict_inodes(sb);
	VM_BUG_ON(busy);
	if (!ext2_image_ro(sb)) {
		put_super_state(sbi);
		ext2_commit_super(sb);
		err2 = sync_dirty_buffer(sbi->s_sbh);
		if (!err)
			err = err2;
	}
	exit_groups(sbi);
	put_group_desc(sbi, sbi->s_gdb_count);
	brelse(sbi->s_sbh);
	err2 = bdev_cache_detach(sb->s_bdev);
	if (!err)
		err = err2;
	bdev_cache_set_error_hook(sb->s_bdev, NULL, NULL);
	if (!err && __atomic_load_n(&sbi->s_panicked, __ATOMIC_ACQUIRE))
		err = -EIO;	/* nothing was written since */
	err2 = blkdev_close(sb->s_bdev);
	if (!err)
		err = err2;
	inode_sb_exit(sb);
	free_sbi(sbi);
	ext2_inode_cache_put();
	inode_cache_exit();
	return err;
}

int ext2_statfs(struct super_block *sb, struct ext2_statfs *st)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	unsigned long overhead = sbi->s_first_data_block, g;
	unsigned long long r = le32_to_cpu(sbi->s_es->s_r_blocks_count);

	for (g = 0; g < sbi->s_groups_count; g++) {
		if (ext2_group_has_super(sb, g))
			overhead += 1 + sbi->s_gdb_count +
				    le16_to_cpu(sbi->s_es->s_reserved_gdt_blocks);
		overhead += 2 + sbi->s_itb_per_group;
	}
	memset(st, 0, sizeof(*st));
	st->bsize = sb->s_blocksize;
	st->blocks = sbi->s_blocks_count - overhead;
	spin_lock(&sbi->s_lock);
	st->bfree = (unsigned long long)sbi->s_free_blocks;
	st->ffree = (unsigned long long)sbi->s_free_inodes;
	spin_unlock(&sbi->s_lock);
	st->bavail = st->bfree > r ? st->bfree - r : 0;
	st->files = sbi->s_inodes_count;
	st->namelen = EXT2_NAME_LEN;
	return 0;
}
