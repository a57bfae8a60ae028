/*
 * tests/fs/ext2_test.h - what the ext2 suites share: a scratch directory
 * in the build tree (O_DIRECT works there), source trees with every kind
 * of file, images made by mke2fs -t ext2 (and by ext2_mkfs), mounting
 * through fs/ext2 on a booted VM, a whole-tree comparison between a
 * mounted image and a source directory, and e2fsck -fn.
 *
 * Tests use libc freely; the code under test allocates from the VM.
 */
#ifndef IMGFS_TESTS_EXT2_TEST_H
#define IMGFS_TESTS_EXT2_TEST_H

#include <stddef.h>
#include <stdio.h>
#include "fs/ext2/ext2.h"
#include "tests/vm/vm_test.h"

/* A fresh ./tmp-ext2-XXXXXX; returns a malloc'ed path.  rm -rf at free. */
char *t_scratch(void);
void t_scratch_free(char *dir);

/* Fill dir with a tree: small/empty/multi-block/indirect/double-indirect
 * files, a sparse file reaching triple-indirect blocks (1 KiB blocks),
 * nested directories, fast and slow symlinks, hard links, a fifo and
 * device nodes (when root). */
void t_make_tree(const char *dir);

/* mke2fs -q -F -t ext2 -b bs [-d src] image size_kb [extra options]. */
void t_mke2fs(const char *image, unsigned int bs, const char *src,
	      unsigned long size_kb, const char *extra);

/* ./tools/mkimg/mkimg -q -b bs [-d src] image size_kb K. */
void t_mkimg(const char *image, unsigned int bs, const char *src, unsigned long size_kb);

/* Make an image with mke2fs (maker 0) or mkimg (maker 1). */
void t_make_image(int maker, const char *image, unsigned int bs, const char *src,
		  unsigned long size_kb);

/* Boot a 64 MiB VM (half of it high memory); IMGFS_TEST_KMAP=strict
 * leaves high memory unmapped outside kmap windows; IMGFS_TEST_MEM_MB
 * sizes the arena (memory pressure). */
void t_boot(void);

/* Mount image read-write (or read-only); asserts success. */
struct super_block *t_mount(const char *image, int ro);
void t_umount(struct super_block *sb);

/* Compare the tree under ino with the directory src: names, types,
 * modes, owners, link counts, sizes, contents, link targets, rdev,
 * mtimes.  Asserts; returns the number of entries compared. */
unsigned long t_compare_tree(struct super_block *sb, unsigned long ino, const char *src);

/* e2fsck -fn image: its exit status (0 clean); prints the log if not. */
int t_e2fsck(const char *image);

/* Run a shell command; its exit status. */
int t_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The inode number of path ("/a/b") in image, as debugfs reads it. */
unsigned long t_ino(const char *image, const char *path);

/* What the code under test logs (stderr) between t_log_begin() and
 * t_log_end(): the text, malloc'ed. */
struct t_log {
	int saved_fd;
	FILE *file;
};
void t_log_begin(struct t_log *l);
char *t_log_end(struct t_log *l);
/* Lines of log that contain needle. */
int t_log_count(const char *log, const char *needle);

/* Read a whole file of the image by path relative to the root ("a/b").
 * Returns malloc'ed contents and *len; NULL if missing. */
char *t_read_path(struct super_block *sb, const char *path, size_t *len);
/* The inode at path (referenced), or NULL. */
struct inode *t_walk(struct super_block *sb, const char *path);

#endif
