/*
 * fs/ext2/ext2_fs.h - the ext2 on-disk format (2.4 include/linux/ext2_fs.h,
 * e2fsprogs lib/ext2fs/ext2_fs.h).
 *
 * Every struct here is exactly what lies on disk: fixed-width fields,
 * little-endian, an offset comment per field.  Nothing converts byte order
 * but the code that reads or writes a block (ext2_le16/32 below, used by
 * super.c, ialloc.c/inode.c, dir.c); tests/fs/check_ext2_layout.c checks
 * every size and the offsets that matter.
 */
#ifndef IMGFS_FS_EXT2_EXT2_FS_H
#define IMGFS_FS_EXT2_EXT2_FS_H

#include <endian.h>
#include <stdint.h>

typedef uint8_t __u8;
typedef uint16_t __le16;
typedef uint32_t __le32;

#define cpu_to_le16(x)	htole16(x)
#define cpu_to_le32(x)	htole32(x)
#define le16_to_cpu(x)	le16toh(x)
#define le32_to_cpu(x)	le32toh(x)

#define EXT2_SUPER_MAGIC	0xEF53
#define EXT2_SUPER_OFFSET	1024	/* bytes from the start of the device */
#define EXT2_MIN_BLOCK_SIZE	1024
#define EXT2_MAX_BLOCK_SIZE	4096
#define EXT2_MIN_BLOCK_LOG_SIZE	10

/* Special inodes. */
#define EXT2_BAD_INO		1
#define EXT2_ROOT_INO		2
#define EXT2_RESIZE_INO		7
#define EXT2_GOOD_OLD_FIRST_INO	11
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_GOOD_OLD_REV	0
#define EXT2_DYNAMIC_REV	1

/* s_state */
#define EXT2_VALID_FS		0x0001	/* cleanly unmounted */
#define EXT2_ERROR_FS		0x0002

/* s_errors */
#define EXT2_ERRORS_CONTINUE	1
#define EXT2_ERRORS_RO		2
#define EXT2_ERRORS_PANIC	3

/* Features (e2fsprogs numbering). */
#define EXT2_FEATURE_COMPAT_DIR_PREALLOC	0x0001
#define EXT2_FEATURE_COMPAT_IMAGIC_INODES	0x0002
#define EXT3_FEATURE_COMPAT_HAS_JOURNAL		0x0004
#define EXT2_FEATURE_COMPAT_EXT_ATTR		0x0008
#define EXT2_FEATURE_COMPAT_RESIZE_INODE	0x0010
#define EXT2_FEATURE_COMPAT_DIR_INDEX		0x0020

#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER	0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE	0x0002
#define EXT2_FEATURE_RO_COMPAT_BTREE_DIR	0x0004
#define EXT4_FEATURE_RO_COMPAT_HUGE_FILE	0x0008
#define EXT4_FEATURE_RO_COMPAT_GDT_CSUM		0x0010
#define EXT4_FEATURE_RO_COMPAT_DIR_NLINK	0x0020
#define EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE	0x0040
#define EXT4_FEATURE_RO_COMPAT_QUOTA		0x0100
#define EXT4_FEATURE_RO_COMPAT_BIGALLOC		0x0200
#define EXT4_FEATURE_RO_COMPAT_METADATA_CSUM	0x0400
#define EXT4_FEATURE_RO_COMPAT_READONLY		0x1000
#define EXT4_FEATURE_RO_COMPAT_PROJECT		0x2000

#define EXT2_FEATURE_INCOMPAT_COMPRESSION	0x0001
#define EXT2_FEATURE_INCOMPAT_FILETYPE		0x0002
#define EXT3_FEATURE_INCOMPAT_RECOVER		0x0004
#define EXT3_FEATURE_INCOMPAT_JOURNAL_DEV	0x0008
#define EXT2_FEATURE_INCOMPAT_META_BG		0x0010
#define EXT4_FEATURE_INCOMPAT_EXTENTS		0x0040
#define EXT4_FEATURE_INCOMPAT_64BIT		0x0080
#define EXT4_FEATURE_INCOMPAT_MMP		0x0100
#define EXT4_FEATURE_INCOMPAT_FLEX_BG		0x0200
#define EXT4_FEATURE_INCOMPAT_EA_INODE		0x0400
#define EXT4_FEATURE_INCOMPAT_DIRDATA		0x1000
#define EXT4_FEATURE_INCOMPAT_CSUM_SEED		0x2000
#define EXT4_FEATURE_INCOMPAT_LARGEDIR		0x4000
#define EXT4_FEATURE_INCOMPAT_INLINE_DATA	0x8000
#define EXT4_FEATURE_INCOMPAT_ENCRYPT		0x10000
#define EXT4_FEATURE_INCOMPAT_CASEFOLD		0x20000

/* What this implementation serves read-write. */
#define EXT2_FEATURE_COMPAT_SUPP	(EXT2_FEATURE_COMPAT_EXT_ATTR | \
					 EXT2_FEATURE_COMPAT_RESIZE_INODE | \
					 EXT2_FEATURE_COMPAT_DIR_INDEX)
#define EXT2_FEATURE_INCOMPAT_SUPP	EXT2_FEATURE_INCOMPAT_FILETYPE
#define EXT2_FEATURE_RO_COMPAT_SUPP	(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | \
					 EXT2_FEATURE_RO_COMPAT_LARGE_FILE)

struct ext2_super_block {
/*000*/	__le32	s_inodes_count;
/*004*/	__le32	s_blocks_count;
/*008*/	__le32	s_r_blocks_count;
/*00C*/	__le32	s_free_blocks_count;
/*010*/	__le32	s_free_inodes_count;
/*014*/	__le32	s_first_data_block;
/*018*/	__le32	s_log_block_size;
/*01C*/	__le32	s_log_frag_size;
/*020*/	__le32	s_blocks_per_group;
/*024*/	__le32	s_frags_per_group;
/*028*/	__le32	s_inodes_per_group;
/*02C*/	__le32	s_mtime;
/*030*/	__le32	s_wtime;
/*034*/	__le16	s_mnt_count;
/*036*/	__le16	s_max_mnt_count;
/*038*/	__le16	s_magic;
/*03A*/	__le16	s_state;
/*03C*/	__le16	s_errors;
/*03E*/	__le16	s_minor_rev_level;
/*040*/	__le32	s_lastcheck;
/*044*/	__le32	s_checkinterval;
/*048*/	__le32	s_creator_os;
/*04C*/	__le32	s_rev_level;
/*050*/	__le16	s_def_resuid;
/*052*/	__le16	s_def_resgid;
/*054*/	__le32	s_first_ino;
/*058*/	__le16	s_inode_size;
/*05A*/	__le16	s_block_group_nr;
/*05C*/	__le32	s_feature_compat;
/*060*/	__le32	s_feature_incompat;
/*064*/	__le32	s_feature_ro_compat;
/*068*/	__u8	s_uuid[16];
/*078*/	char	s_volume_name[16];
/*088*/	char	s_last_mounted[64];
/*0C8*/	__le32	s_algorithm_usage_bitmap;
/*0CC*/	__u8	s_prealloc_blocks;
/*0CD*/	__u8	s_prealloc_dir_blocks;
/*0CE*/	__le16	s_reserved_gdt_blocks;
/*0D0*/	__u8	s_journal_uuid[16];
/*0E0*/	__le32	s_journal_inum;
/*0E4*/	__le32	s_journal_dev;
/*0E8*/	__le32	s_last_orphan;
/*0EC*/	__le32	s_hash_seed[4];
/*0FC*/	__u8	s_def_hash_version;
/*0FD*/	__u8	s_jnl_backup_type;
/*0FE*/	__le16	s_desc_size;
/*100*/	__le32	s_default_mount_opts;
/*104*/	__le32	s_first_meta_bg;
/*108*/	__le32	s_mkfs_time;
/*10C*/	__le32	s_jnl_blocks[17];
/*150*/	__le32	s_blocks_count_hi;
/*154*/	__le32	s_r_blocks_count_hi;
/*158*/	__le32	s_free_blocks_hi;
/*15C*/	__le16	s_min_extra_isize;
/*15E*/	__le16	s_want_extra_isize;
/*160*/	__le32	s_flags;
/*164*/	__le32	s_reserved[166];
/*3FC*/	__le32	s_checksum;
};

/* s_flags */
#define EXT2_FLAGS_SIGNED_HASH		0x0001
#define EXT2_FLAGS_UNSIGNED_HASH	0x0002

#define EXT2_OS_LINUX		0

struct ext2_group_desc {
/*00*/	__le32	bg_block_bitmap;
/*04*/	__le32	bg_inode_bitmap;
/*08*/	__le32	bg_inode_table;
/*0C*/	__le16	bg_free_blocks_count;
/*0E*/	__le16	bg_free_inodes_count;
/*10*/	__le16	bg_used_dirs_count;
/*12*/	__le16	bg_flags;
/*14*/	__le32	bg_reserved[3];
};

#define EXT2_NDIR_BLOCKS	12
#define EXT2_IND_BLOCK		EXT2_NDIR_BLOCKS
#define EXT2_DIND_BLOCK		(EXT2_IND_BLOCK + 1)
#define EXT2_TIND_BLOCK		(EXT2_DIND_BLOCK + 1)
#define EXT2_N_BLOCKS		(EXT2_TIND_BLOCK + 1)

struct ext2_inode {
/*00*/	__le16	i_mode;
/*02*/	__le16	i_uid;
/*04*/	__le32	i_size;
/*08*/	__le32	i_atime;
/*0C*/	__le32	i_ctime;
/*10*/	__le32	i_mtime;
/*14*/	__le32	i_dtime;
/*18*/	__le16	i_gid;
/*1A*/	__le16	i_links_count;
/*1C*/	__le32	i_blocks;		/* 512-byte units */
/*20*/	__le32	i_flags;
/*24*/	__le32	i_version;		/* osd1 */
/*28*/	__le32	i_block[EXT2_N_BLOCKS];
/*64*/	__le32	i_generation;
/*68*/	__le32	i_file_acl;		/* xattr block */
/*6C*/	__le32	i_size_high;		/* i_dir_acl in revision 0 */
/*70*/	__le32	i_faddr;
/*74*/	__u8	l_i_frag;
/*75*/	__u8	l_i_fsize;
/*76*/	__le16	l_i_blocks_hi;
/*78*/	__le16	l_i_uid_high;
/*7A*/	__le16	l_i_gid_high;
/*7C*/	__le16	l_i_checksum_lo;
/*7E*/	__le16	l_i_reserved;
	/* The large inode's extra fields (s_inode_size > 128). */
/*80*/	__le16	i_extra_isize;
/*82*/	__le16	i_checksum_hi;
/*84*/	__le32	i_ctime_extra;		/* nsec << 2 | epoch bits */
/*88*/	__le32	i_mtime_extra;
/*8C*/	__le32	i_atime_extra;
/*90*/	__le32	i_crtime;
/*94*/	__le32	i_crtime_extra;
/*98*/	__le32	i_version_hi;
/*9C*/	__le32	i_projid;
};

#define EXT2_GOOD_OLD_INODE_BYTES	128	/* bytes of the struct a 128-byte inode has */
#define EXT2_EXTRA_ISIZE		32	/* i_extra_isize we write */

/* i_flags */
#define EXT2_SECRM_FL		0x00000001
#define EXT2_UNRM_FL		0x00000002
#define EXT2_COMPR_FL		0x00000004
#define EXT2_SYNC_FL		0x00000008
#define EXT2_IMMUTABLE_FL	0x00000010
#define EXT2_APPEND_FL		0x00000020
#define EXT2_NODUMP_FL		0x00000040
#define EXT2_NOATIME_FL		0x00000080
#define EXT2_INDEX_FL		0x00001000	/* hash-indexed directory */
#define EXT4_EXTENTS_FL		0x00080000
#define EXT4_INLINE_DATA_FL	0x10000000

/* Directory entries. */
#define EXT2_NAME_LEN		255

struct ext2_dir_entry_2 {
/*0*/	__le32	inode;
/*4*/	__le16	rec_len;
/*6*/	__u8	name_len;
/*7*/	__u8	file_type;
/*8*/	char	name[];
};

#define EXT2_DIR_PAD		4
#define EXT2_DIR_ROUND		(EXT2_DIR_PAD - 1)
#define EXT2_DIR_REC_LEN(name_len)	((unsigned int)((name_len) + 8 + EXT2_DIR_ROUND) & ~(unsigned int)EXT2_DIR_ROUND)

enum {
	EXT2_FT_UNKNOWN, EXT2_FT_REG_FILE, EXT2_FT_DIR, EXT2_FT_CHRDEV,
	EXT2_FT_BLKDEV, EXT2_FT_FIFO, EXT2_FT_SOCK, EXT2_FT_SYMLINK, EXT2_FT_MAX
};

/* The root of a hash-indexed directory, after "." and ".." in block 0. */
struct ext2_dx_root_info {
/*0*/	__le32	reserved_zero;
/*4*/	__u8	hash_version;
/*5*/	__u8	info_length;		/* 8 */
/*6*/	__u8	indirect_levels;
/*7*/	__u8	unused_flags;
};

/* Extended attributes in a block of their own (2.4 ext2 xattr patches). */
#define EXT2_XATTR_MAGIC	0xEA020000
#define EXT2_XATTR_REFCOUNT_MAX	1024

struct ext2_xattr_header {
/*00*/	__le32	h_magic;
/*04*/	__le32	h_refcount;
/*08*/	__le32	h_blocks;		/* 1 */
/*0C*/	__le32	h_hash;
/*10*/	__le32	h_checksum;
/*14*/	__le32	h_reserved[3];
};

struct ext2_xattr_entry {
/*00*/	__u8	e_name_len;
/*01*/	__u8	e_name_index;
/*02*/	__le16	e_value_offs;		/* from the start of the block */
/*04*/	__le32	e_value_inum;		/* 0: value in this block */
/*08*/	__le32	e_value_size;
/*0C*/	__le32	e_hash;
/*10*/	char	e_name[];
};

#define EXT2_XATTR_PAD		4
#define EXT2_XATTR_ROUND	(EXT2_XATTR_PAD - 1)
#define EXT2_XATTR_LEN(name_len) \
	(((name_len) + EXT2_XATTR_ROUND + sizeof(struct ext2_xattr_entry)) & ~EXT2_XATTR_ROUND)
#define EXT2_XATTR_SIZE(size)	(((size) + EXT2_XATTR_ROUND) & ~EXT2_XATTR_ROUND)

#define EXT2_XATTR_INDEX_USER		1
#define EXT2_XATTR_INDEX_POSIX_ACL_ACCESS	2
#define EXT2_XATTR_INDEX_POSIX_ACL_DEFAULT	3
#define EXT2_XATTR_INDEX_TRUSTED	4
#define EXT2_XATTR_INDEX_SECURITY	6

_Static_assert(sizeof(struct ext2_super_block) == 1024, "super block is 1024 bytes");
_Static_assert(sizeof(struct ext2_group_desc) == 32, "group descriptor is 32 bytes");
_Static_assert(sizeof(struct ext2_inode) == 160, "inode with extra fields is 160 bytes");
_Static_assert(sizeof(struct ext2_dir_entry_2) == 8, "dirent header is 8 bytes");
_Static_assert(sizeof(struct ext2_dx_root_info) == 8, "dx_root_info is 8 bytes");
_Static_assert(sizeof(struct ext2_xattr_header) == 32, "xattr header is 32 bytes");
_Static_assert(sizeof(struct ext2_xattr_entry) == 16, "xattr entry is 16 bytes");

#endif
