/*
 * tests/fs/check_ext2_read.c - ext2 reading: the on-disk layout, mounting
 * and its feature policy, and every file of images made by mke2fs -d at
 * block sizes 1024, 2048 and 4096 read back through fs/ext2 and the page
 * cache and compared with the source tree.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fs/ext2/ext2_fs.h"
#include "tests/fs/ext2_test.h"

/* ---- layout ------------------------------------------------------------ */

#define OFF(type, field, off) \
	ck_assert_msg(offsetof(struct type, field) == (off), #type "." #field " at %zu", \
		      offsetof(struct type, field))

START_TEST(test_layout)
{
	ck_assert_int_eq(sizeof(struct ext2_super_block), 1024);
	ck_assert_int_eq(sizeof(struct ext2_group_desc), 32);
	ck_assert_int_eq(sizeof(struct ext2_inode), 160);
	ck_assert_int_eq(sizeof(struct ext2_dir_entry_2), 8);
	ck_assert_int_eq(sizeof(struct ext2_xattr_header), 32);
	ck_assert_int_eq(sizeof(struct ext2_xattr_entry), 16);
	OFF(ext2_super_block, s_magic, 0x38);
	OFF(ext2_super_block, s_rev_level, 0x4c);
	OFF(ext2_super_block, s_inode_size, 0x58);
	OFF(ext2_super_block, s_feature_compat, 0x5c);
	OFF(ext2_super_block, s_feature_incompat, 0x60);
	OFF(ext2_super_block, s_feature_ro_compat, 0x64);
	OFF(ext2_super_block, s_uuid, 0x68);
	OFF(ext2_super_block, s_volume_name, 0x78);
	OFF(ext2_super_block, s_reserved_gdt_blocks, 0xce);
	OFF(ext2_super_block, s_hash_seed, 0xec);
	OFF(ext2_super_block, s_def_hash_version, 0xfc);
	OFF(ext2_super_block, s_mkfs_time, 0x108);
	OFF(ext2_super_block, s_min_extra_isize, 0x15c);
	OFF(ext2_super_block, s_flags, 0x160);
	OFF(ext2_super_block, s_checksum, 0x3fc);
	OFF(ext2_group_desc, bg_inode_table, 0x08);
	OFF(ext2_group_desc, bg_used_dirs_count, 0x10);
	OFF(ext2_inode, i_links_count, 0x1a);
	OFF(ext2_inode, i_block, 0x28);
	OFF(ext2_inode, i_generation, 0x64);
	OFF(ext2_inode, i_file_acl, 0x68);
	OFF(ext2_inode, i_size_high, 0x6c);
	OFF(ext2_inode, l_i_uid_high, 0x78);
	OFF(ext2_inode, i_extra_isize, 0x80);
	OFF(ext2_inode, i_ctime_extra, 0x84);
	OFF(ext2_inode, i_atime_extra, 0x8c);
	OFF(ext2_inode, i_crtime, 0x90);
	OFF(ext2_dir_entry_2, rec_len, 4);
	OFF(ext2_dir_entry_2, name, 8);
	OFF(ext2_xattr_entry, e_value_offs, 2);
	OFF(ext2_xattr_entry, e_hash, 12);
	ck_assert_int_eq(EXT2_DIR_REC_LEN(1), 12);
	ck_assert_int_eq(EXT2_DIR_REC_LEN(255), 264);
}
END_TEST

/* ---- reading trees ------------------------------------------------------ */

static void read_tree_bs(unsigned int bs, int maker)
{
	char *dir = t_scratch(), src[4200], img[4200];
	struct super_block *sb;
	unsigned long n, again;

	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(img, sizeof(img), "%s/img", dir);
	mkdir(src, 0755);
	t_make_tree(src);
	t_make_image(maker, img, bs, src, 32768);
	t_boot();
	sb = t_mount(img, 1);
	n = t_compare_tree(sb, EXT2_ROOT_INO_NR, src);
	ck_assert_int_ge(n, 160);
	t_umount(sb);
	/* a read-write mount that changes nothing leaves it clean */
	sb = t_mount(img, 0);
	again = t_compare_tree(sb, EXT2_ROOT_INO_NR, src);
	ck_assert_uint_eq(again, n);
	t_umount(sb);
	ck_assert_int_eq(t_e2fsck(img), 0);
	vm_exit();
	t_scratch_free(dir);
}

START_TEST(test_read_tree)
{
	static const unsigned int sizes[] = { 1024, 2048, 4096 };

	read_tree_bs(sizes[_i % 3], _i / 3);	/* mke2fs, then mkimg */
}
END_TEST

/* readdir resumed at the offsets it handed out sees every entry once */
struct resume {
	int seen, stop_after;
	loff_t next;
	char names[400][300];
};

static int resume_fill(void *ctx, const char *name, size_t len, unsigned long ino,
		       unsigned char dtype, loff_t next)
{
	struct resume *r = ctx;

	(void)ino;
	(void)dtype;
	if (r->stop_after-- == 0)
		return 1;
	ck_assert_int_lt(r->seen, 400);
	memcpy(r->names[r->seen], name, len);
	r->names[r->seen++][len] = '\0';
	r->next = next;
	return 0;
}

START_TEST(test_readdir_resume)
{
	char *dir = t_scratch(), src[4200], img[4200];
	struct resume *r = calloc(1, sizeof(*r));
	struct super_block *sb;
	struct inode *many;
	int i, j;

	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(img, sizeof(img), "%s/img", dir);
	mkdir(src, 0755);
	t_make_tree(src);
	t_mke2fs(img, 1024, src, 32768, NULL);
	t_boot();
	sb = t_mount(img, 1);
	many = t_walk(sb, "many");
	ck_assert_ptr_nonnull(many);
	r->next = 0;
	for (;;) {
		int before = r->seen;

		r->stop_after = 7;
		ck_assert_int_eq(ext2_readdir(many, r->next, resume_fill, r), 0);
		if (r->seen == before)
			break;
	}
	ck_assert_int_eq(r->seen, 152);	/* 150 + . + .. */
	for (i = 0; i < r->seen; i++)
		for (j = i + 1; j < r->seen; j++)
			ck_assert_str_ne(r->names[i], r->names[j]);
	iput(many);
	t_umount(sb);
	vm_exit();
	free(r);
	t_scratch_free(dir);
}
END_TEST

/* ---- feature policy ------------------------------------------------------ */

static void patch_features(const char *img, uint32_t incompat, uint32_t ro_compat)
{
	struct ext2_super_block es;
	int fd = open(img, O_RDWR);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &es, sizeof(es), 1024), sizeof(es));
	es.s_feature_incompat = cpu_to_le32(le32_to_cpu(es.s_feature_incompat) | incompat);
	es.s_feature_ro_compat = cpu_to_le32(le32_to_cpu(es.s_feature_ro_compat) | ro_compat);
	ck_assert_int_eq(pwrite(fd, &es, sizeof(es), 1024), sizeof(es));
	close(fd);
}

static int try_mount(const char *img, int ro, struct super_block **sb, const char **why)
{
	struct ext2_mount_opts o;

	ext2_mount_opts_default(&o);
	o.path = img;
	o.read_only = ro;
	return ext2_mount(&o, sb, why);
}

static void refused(uint32_t incompat, const char *name)
{
	char *dir = t_scratch(), img[4200];
	struct super_block *sb;
	const char *why = NULL;

	snprintf(img, sizeof(img), "%s/img", dir);
	t_mke2fs(img, 1024, NULL, 4096, NULL);
	patch_features(img, incompat, 0);
	t_boot();
	ck_assert_int_eq(try_mount(img, 0, &sb, &why), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, name), "reason \"%s\" does not name %s", why, name);
	ck_assert_int_eq(try_mount(img, 1, &sb, &why), -EOPNOTSUPP);
	vm_exit();
	t_scratch_free(dir);
}

START_TEST(test_incompat_refused)
{
	refused(EXT4_FEATURE_INCOMPAT_EXTENTS, "extent");
	refused(EXT3_FEATURE_INCOMPAT_RECOVER, "needs_recovery");
	refused(EXT4_FEATURE_INCOMPAT_64BIT, "64bit");
	refused(0x80000000U, "unknown");
}
END_TEST

START_TEST(test_rocompat_forces_ro)
{
	char *dir = t_scratch(), img[4200];
	struct super_block *sb;
	struct inode *root, *inode;
	const char *why = NULL;

	snprintf(img, sizeof(img), "%s/img", dir);
	t_mke2fs(img, 1024, NULL, 4096, NULL);
	patch_features(img, 0, 0x80000000U);
	t_boot();
	ck_assert_int_eq(try_mount(img, 0, &sb, &why), 0);
	ck_assert_ptr_nonnull(why);
	ck_assert(sb->s_flags & MS_RDONLY);
	ck_assert_int_eq(ext2_iget(sb, EXT2_ROOT_INO_NR, &root), 0);
	ck_assert_int_eq(ext2_create(root, "x", 1, 0644, 0, 0, &inode), -EROFS);
	ck_assert_int_eq(ext2_mkdir(root, "x", 1, 0755, 0, 0, &inode), -EROFS);
	iput(root);
	t_umount(sb);
	vm_exit();
	t_scratch_free(dir);
}
END_TEST

START_TEST(test_not_ext2)
{
	char *dir = t_scratch(), img[4200];
	struct super_block *sb;
	const char *why = NULL;

	snprintf(img, sizeof(img), "%s/img", dir);
	ck_assert_int_eq(t_sh("dd if=/dev/zero of='%s' bs=1k count=1024 2>/dev/null", img), 0);
	t_boot();
	ck_assert_int_eq(try_mount(img, 0, &sb, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "magic"));
	snprintf(img, sizeof(img), "%s/missing", dir);
	ck_assert_int_eq(try_mount(img, 0, &sb, &why), -ENOENT);
	ck_assert_ptr_nonnull(why);
	vm_exit();
	t_scratch_free(dir);
}
END_TEST

/* s_state, the mount count and the times, as the kernel keeps them */
START_TEST(test_super_state)
{
	char *dir = t_scratch(), img[4200];
	struct ext2_super_block es;
	struct super_block *sb;
	struct ext2_statfs st;
	int fd;

	snprintf(img, sizeof(img), "%s/img", dir);
	t_mke2fs(img, 2048, NULL, 8192, NULL);
	t_boot();
	sb = t_mount(img, 0);
	fd = open(img, O_RDONLY);
	ck_assert_int_eq(pread(fd, &es, sizeof(es), 1024), sizeof(es));
	ck_assert_int_eq(le16_to_cpu(es.s_state) & EXT2_VALID_FS, 0);
	ck_assert_int_eq(le16_to_cpu(es.s_mnt_count), 1);
	ck_assert_int_ne(le32_to_cpu(es.s_mtime), 0);
	ck_assert_int_eq(ext2_statfs(sb, &st), 0);
	ck_assert_int_eq(st.bsize, 2048);
	ck_assert_int_eq(st.bfree, le32_to_cpu(es.s_free_blocks_count));
	ck_assert_int_eq(st.ffree, le32_to_cpu(es.s_free_inodes_count));
	ck_assert_int_eq(st.files, le32_to_cpu(es.s_inodes_count));
	ck_assert_int_gt(st.bfree, st.bavail);
	ck_assert_int_eq(st.namelen, 255);
	t_umount(sb);
	ck_assert_int_eq(pread(fd, &es, sizeof(es), 1024), sizeof(es));
	ck_assert_int_eq(le16_to_cpu(es.s_state), EXT2_VALID_FS);
	sb = t_mount(img, 1);		/* read-only: no count, no state change */
	t_umount(sb);
	ck_assert_int_eq(pread(fd, &es, sizeof(es), 1024), sizeof(es));
	ck_assert_int_eq(le16_to_cpu(es.s_mnt_count), 1);
	close(fd);
	ck_assert_int_eq(t_e2fsck(img), 0);
	vm_exit();
	t_scratch_free(dir);
}
END_TEST

static Suite *ext2_read_suite(void)
{
	Suite *s = suite_create("ext2_read");
	TCase *tc = tcase_create("layout");

	tcase_add_test(tc, test_layout);
	suite_add_tcase(s, tc);
	tc = tcase_create("read");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_read_tree, 0, 6);
	tcase_add_test(tc, test_readdir_resume);
	suite_add_tcase(s, tc);
	tc = tcase_create("features");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_incompat_refused);
	tcase_add_test(tc, test_rocompat_forces_ro);
	tcase_add_test(tc, test_not_ext2);
	tcase_add_test(tc, test_super_state);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(ext2_read_suite)
