/*
 * tests/fuse/fuse_test.c - what the FUSE server suites share (see
 * fuse_test.h).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fs/fuse/imgfs_fuse.h"
#include "tests/fuse/fuse_test.h"

static void write_src(const char *dir, const char *name, size_t size)
{
	char p[4300];
	FILE *f;
	size_t i;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < size; i++)
		fputc((int)(i % 251), f);
	fclose(f);
}

static void mkdir_src(const char *dir, const char *name)
{
	char p[4300];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

/*
 * The image: 1 KiB blocks, size_kb, mke2fs extra options; its tree:
 *   f (5000 bytes)   d/ with a b c (empty)   full/x   l -> f
 */
void fx_make(struct fx *f, unsigned long size_kb, const char *extra)
{
	f->dir = t_scratch();
	snprintf(f->src, sizeof(f->src), "%s/src", f->dir);
	snprintf(f->img, sizeof(f->img), "%s/img", f->dir);
	ck_assert_int_eq(mkdir(f->src, 0755), 0);
	write_src(f->src, "f", 5000);
	mkdir_src(f->src, "d");
	write_src(f->src, "d/a", 0);
	write_src(f->src, "d/b", 0);
	write_src(f->src, "d/c", 0);
	mkdir_src(f->src, "full");
	write_src(f->src, "full/x", 10);
	{
		char p[4300];

		snprintf(p, sizeof(p), "%s/l", f->src);
		ck_assert_int_eq(symlink("f", p), 0);
	}
	t_mke2fs(f->img, 1024, f->src, size_kb, extra);
	t_boot();
}

void fx_serve(struct fx *f, int ro, int mt)
{
	f->ro = ro;
	f->sb = t_mount(f->img, ro);
	fw_start(&f->c, f->sb, ro, mt);
}

void fx_unserve(struct fx *f)
{
	fw_stop(&f->c);
	t_umount(f->sb);
}

void fx_start(struct fx *f, unsigned long size_kb, const char *extra, int ro, int mt)
{
	fx_make(f, size_kb, extra);
	fx_serve(f, ro, mt);
}

void fx_stop(struct fx *f)
{
	fx_unserve(f);
	vm_exit();
	ck_assert_int_eq(t_e2fsck(f->img), 0);
	t_scratch_free(f->dir);
}

unsigned long nr_nodes(void)
{
	struct imgfs_fuse_stats st;

	imgfs_fuse_get_stats(&st);
	return st.nr_nodes;
}

uint64_t lookup_ok(struct fw *c, uint64_t parent, const char *name,
			  struct fuse_entry_out *e)
{
	struct fuse_entry_out tmp;
	int err;

	if (!e)
		e = &tmp;
	err = fw_lookup(c, parent, name, e);
	ck_assert_msg(err == 0, "lookup %s: %d", name, err);
	ck_assert_msg(e->nodeid != 0, "lookup %s: a negative entry", name);
	return e->nodeid;
}

/* A request the single-threaded loop answers only after every earlier
 * one, FORGETs included. */
void barrier(struct fw *c)
{
	ck_assert_int_eq(fw_getattr(c, FUSE_ROOT_ID, NULL), 0);
}

struct fuse_kstatfs statfs_ok(struct fw *c)
{
	struct fuse_kstatfs st;

	ck_assert_int_eq(fw_statfs(c, &st), 0);
	return st;
}
