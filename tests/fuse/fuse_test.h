/*
 * tests/fuse/fuse_test.h - what the FUSE server suites share: an ext2
 * image made by mke2fs with a small tree, served through fs/fuse over
 * the wire (fuse_wire.h), and checks on what the server holds.
 *
 * The tree (1 KiB blocks):  f (5000 bytes)   d/ with a b c (empty)
 *                           full/x (10 bytes)   l -> f
 */
#ifndef IMGFS_TESTS_FUSE_FUSE_TEST_H
#define IMGFS_TESTS_FUSE_FUSE_TEST_H

#include "tests/fs/ext2_test.h"
#include "tests/fuse/fuse_wire.h"

struct fx {
	char *dir;
	char src[4200], img[4200];
	struct super_block *sb;
	struct fw c;
	int ro;
};

/* The image (size_kb, mke2fs extra options) and a booted VM. */
void fx_make(struct fx *f, unsigned long size_kb, const char *extra);
/* Mount it (read-only if ro) and serve it: libfuse's multi-threaded
 * loop if mt, else the single-threaded one (requests handled in order). */
void fx_serve(struct fx *f, int ro, int mt);
void fx_unserve(struct fx *f);
void fx_start(struct fx *f, unsigned long size_kb, const char *extra, int ro, int mt);
/* Unserve, unmount, stop the VM; asserts e2fsck -fn clean. */
void fx_stop(struct fx *f);

/* Nodes the kernel holds (the server's statistics), the root included. */
unsigned long nr_nodes(void);
/* A positive LOOKUP (asserted); its node id.  e may be NULL. */
uint64_t lookup_ok(struct fw *c, uint64_t parent, const char *name,
		   struct fuse_entry_out *e);
/* A request the single-threaded loop answers only after every earlier
 * one, FORGETs included. */
void barrier(struct fw *c);
struct fuse_kstatfs statfs_ok(struct fw *c);

#endif
