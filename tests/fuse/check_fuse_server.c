/*
 * tests/fuse/check_fuse_server.c - the FUSE server (fs/fuse) over the
 * FUSE wire protocol, with no kernel and no mount: libfuse's real session
 * loop serves a real ext2 image (mke2fs) through imgfs' VM, and the test
 * plays the kernel (tests/fuse/fuse_wire.h).
 *
 *   nodes:  the kernel's lookup counts - LOOKUP/FORGET/BATCH_FORGET, the
 *           lookups that CREATE, MKDIR, MKNOD, SYMLINK, LINK and
 *           READDIRPLUS hand out, an unlinked inode living until its last
 *           FORGET, generation numbers of reused inode numbers, and
 *           lookups and forgets from many threads at once.
 *   errors: the errno of every reply path, as the kernel's ext2 returns
 *           it for the same system call.
 *
 * Every test ends with the session stopped, the image unmounted and
 * e2fsck -fn clean.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include "fs/fuse/imgfs_fuse.h"
#include "tests/fs/ext2_test.h"
#include "tests/fuse/fuse_wire.h"

/*
 * The kernel's ext2_max_size() for 1 KiB blocks (fs/ext2/super.c in
 * Linux): 12 + 256 + 256^2 + 256^3 blocks, as i_blocks does not limit
 * it at this block size.
 */
#define KERNEL_EXT2_MAXBYTES_1K	(16843020ULL << 10)

struct fx {
	char *dir;
	char src[4200], img[4200];
	struct super_block *sb;
	struct fw c;
	int ro;
};

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
static void fx_make(struct fx *f, unsigned long size_kb, const char *extra)
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

static void fx_serve(struct fx *f, int ro, int mt)
{
	f->ro = ro;
	f->sb = t_mount(f->img, ro);
	fw_start(&f->c, f->sb, ro, mt);
}

static void fx_unserve(struct fx *f)
{
	fw_stop(&f->c);
	t_umount(f->sb);
}

static void fx_start(struct fx *f, unsigned long size_kb, const char *extra, int ro, int mt)
{
	fx_make(f, size_kb, extra);
	fx_serve(f, ro, mt);
}

static void fx_stop(struct fx *f)
{
	fx_unserve(f);
	vm_exit();
	ck_assert_int_eq(t_e2fsck(f->img), 0);
	t_scratch_free(f->dir);
}

static unsigned long nr_nodes(void)
{
	struct imgfs_fuse_stats st;

	imgfs_fuse_get_stats(&st);
	return st.nr_nodes;
}

static uint64_t lookup_ok(struct fw *c, uint64_t parent, const char *name,
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
static void barrier(struct fw *c)
{
	ck_assert_int_eq(fw_getattr(c, FUSE_ROOT_ID, NULL), 0);
}

static struct fuse_kstatfs statfs_ok(struct fw *c)
{
	struct fuse_kstatfs st;

	ck_assert_int_eq(fw_statfs(c, &st), 0);
	return st;
}

/* ---- nodes: LOOKUP and FORGET ------------------------------------------------- */

START_TEST(test_lookup_forget)
{
	struct fx f;
	struct fuse_entry_out e, e2;
	struct fuse_attr a;
	unsigned long base;
	uint64_t id;
	int i;

	fx_start(&f, 8192, NULL, 0, 0);
	base = nr_nodes();
	ck_assert_uint_eq(base, 1);	/* the root, which the kernel never forgets */

	/* Five lookups of one name: one node, one id, five counts. */
	id = lookup_ok(&f.c, FUSE_ROOT_ID, "f", &e);
	ck_assert_uint_eq(e.attr.size, 5000);
	ck_assert_uint_eq(e.attr.ino, id);
	ck_assert(S_ISREG(e.attr.mode));
	for (i = 1; i < 5; i++) {
		ck_assert_uint_eq(lookup_ok(&f.c, FUSE_ROOT_ID, "f", &e2), id);
		ck_assert_uint_eq(e2.generation, e.generation);
	}
	ck_assert_uint_eq(nr_nodes(), base + 1);

	/* Fewer forgets than lookups keep it. */
	fw_forget(&f.c, id, 4);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), base + 1);
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), 0);
	ck_assert_uint_eq(a.size, 5000);

	/* The last one frees it: the server no longer knows the id. */
	fw_forget(&f.c, id, 1);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), base);
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), -ESTALE);

	/* Known again after a new lookup; a FORGET of more than it has
	 * (a kernel never sends one) frees it and nothing else. */
	ck_assert_uint_eq(lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL), id);
	lookup_ok(&f.c, FUSE_ROOT_ID, "d", NULL);
	ck_assert_uint_eq(nr_nodes(), base + 2);
	fw_forget(&f.c, id, 100);
	fw_forget(&f.c, 999999, 1);	/* never handed out: ignored */
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), base + 1);
	ck_assert_int_eq(fw_getattr(&f.c, lookup_ok(&f.c, FUSE_ROOT_ID, "d", NULL), &a), 0);
	ck_assert(S_ISDIR(a.mode));
	fw_forget(&f.c, a.ino, 2);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), base);

	/* A lookup of ".." hands out the root again (the kernel does it for
	 * an exported file system); forgetting it leaves the root alone. */
	id = lookup_ok(&f.c, FUSE_ROOT_ID, "d", NULL);
	ck_assert_uint_eq(lookup_ok(&f.c, id, "..", &e), FUSE_ROOT_ID);
	fw_forget(&f.c, FUSE_ROOT_ID, 1);
	fw_forget(&f.c, id, 1);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), base);
	fx_stop(&f);
}
END_TEST

START_TEST(test_batch_forget)
{
	struct fx f;
	uint64_t d, a, b, c;
	struct fuse_forget_one fo[3];
	unsigned long base;

	fx_start(&f, 8192, NULL, 0, 0);
	base = nr_nodes();
	d = lookup_ok(&f.c, FUSE_ROOT_ID, "d", NULL);
	a = lookup_ok(&f.c, d, "a", NULL);
	ck_assert_uint_eq(lookup_ok(&f.c, d, "a", NULL), a);
	ck_assert_uint_eq(lookup_ok(&f.c, d, "a", NULL), a);
	b = lookup_ok(&f.c, d, "b", NULL);
	ck_assert_uint_eq(lookup_ok(&f.c, d, "b", NULL), b);
	c = lookup_ok(&f.c, d, "c", NULL);
	/* d: 1, a: 3, b: 2, c: 1 */
	ck_assert_uint_eq(nr_nodes(), base + 4);

	fo[0] = (struct fuse_forget_one){ .nodeid = a, .nlookup = 2 };
	fo[1] = (struct fuse_forget_one){ .nodeid = b, .nlookup = 2 };
	fo[2] = (struct fuse_forget_one){ .nodeid = c, .nlookup = 1 };
	fw_batch_forget(&f.c, fo, 3);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), base + 2);	/* d and a */
	ck_assert_int_eq(fw_getattr(&f.c, a, NULL), 0);
	ck_assert_int_eq(fw_getattr(&f.c, b, NULL), -ESTALE);
	ck_assert_int_eq(fw_getattr(&f.c, c, NULL), -ESTALE);

	fo[0] = (struct fuse_forget_one){ .nodeid = a, .nlookup = 1 };
	fo[1] = (struct fuse_forget_one){ .nodeid = d, .nlookup = 1 };
	fw_batch_forget(&f.c, fo, 2);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), base);
	fx_stop(&f);
}
END_TEST

/* ---- nodes: the lookups other replies hand out --------------------------------- */

START_TEST(test_entry_counts)
{
	struct fx f;
	struct fuse_entry_out e, e2;
	unsigned long base;
	uint64_t fh, file, dir, node, sym, d;

	fx_start(&f, 8192, NULL, 0, 0);
	base = nr_nodes();

	/* A negative entry hands out nothing: node id 0, cached by the
	 * kernel for the entry timeout. */
	ck_assert_int_eq(fw_lookup(&f.c, FUSE_ROOT_ID, "missing", &e), 0);
	ck_assert_uint_eq(e.nodeid, 0);
	ck_assert(e.entry_valid || e.entry_valid_nsec);
	ck_assert_uint_eq(nr_nodes(), base);

	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "new", S_IFREG | 0644,
				   O_CREAT | O_EXCL | O_RDWR, &e, &fh), 0);
	file = e.nodeid;
	ck_assert_uint_ne(file, 0);
	ck_assert_uint_eq(nr_nodes(), base + 1);
	ck_assert_int_eq(fw_release(&f.c, file, fh), 0);
	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, "nd", 0755, &e), 0);
	dir = e.nodeid;
	ck_assert(S_ISDIR(e.attr.mode));
	ck_assert_uint_eq(e.attr.nlink, 2);
	ck_assert_int_eq(fw_mknod(&f.c, dir, "fifo", S_IFIFO | 0600, &e), 0);
	node = e.nodeid;
	ck_assert(S_ISFIFO(e.attr.mode));
	ck_assert_int_eq(fw_symlink(&f.c, dir, "sym", "../new", &e), 0);
	sym = e.nodeid;
	ck_assert(S_ISLNK(e.attr.mode));
	ck_assert_uint_eq(e.attr.size, 6);
	ck_assert_uint_eq(nr_nodes(), base + 4);

	/* LINK hands out the node the kernel already has: one more count on
	 * the same node, with the new link count. */
	ck_assert_int_eq(fw_link(&f.c, file, dir, "hard", &e2), 0);
	ck_assert_uint_eq(e2.nodeid, file);
	ck_assert_uint_eq(e2.attr.nlink, 2);
	ck_assert_uint_eq(nr_nodes(), base + 4);
	fw_forget(&f.c, file, 1);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), base + 4);
	ck_assert_int_eq(fw_getattr(&f.c, file, NULL), 0);

	fw_forget(&f.c, file, 1);
	fw_forget(&f.c, node, 1);
	fw_forget(&f.c, sym, 1);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), base + 1);
	d = dir;
	fw_forget(&f.c, d, 1);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), base);
	fx_stop(&f);
}
END_TEST

struct dplus {
	char name[256];
	uint64_t nodeid, ino, off;
	struct fuse_attr attr;
};

/* Parse a READDIRPLUS reply; returns the number of records. */
static int parse_dplus(const char *buf, ssize_t len, struct dplus *out, int max)
{
	ssize_t pos = 0;
	int n = 0;

	while (pos < len) {
		const struct fuse_direntplus *dp = (const void *)(buf + pos);

		ck_assert_int_le(pos + (ssize_t)FUSE_NAME_OFFSET_DIRENTPLUS, len);
		ck_assert_int_le(pos + (ssize_t)FUSE_DIRENTPLUS_SIZE(dp), len);
		ck_assert_int_lt(n, max);
		ck_assert_uint_lt(dp->dirent.namelen, sizeof(out[n].name));
		memcpy(out[n].name, dp->dirent.name, dp->dirent.namelen);
		out[n].name[dp->dirent.namelen] = '\0';
		out[n].nodeid = dp->entry_out.nodeid;
		out[n].ino = dp->dirent.ino;
		out[n].off = dp->dirent.off;
		out[n].attr = dp->entry_out.attr;
		n++;
		pos += (ssize_t)FUSE_DIRENTPLUS_SIZE(dp);
	}
	return n;
}

START_TEST(test_readdirplus_counts)
{
	struct fx f;
	struct dplus ent[16];
	char buf[8192];
	unsigned long base;
	uint64_t d, fh, a = 0, off;
	ssize_t len;
	int n, i, named = 0, total = 0;
	size_t one;

	fx_start(&f, 8192, NULL, 0, 0);
	d = lookup_ok(&f.c, FUSE_ROOT_ID, "d", NULL);
	a = lookup_ok(&f.c, d, "a", NULL);	/* known before: one more count */
	base = nr_nodes();
	ck_assert_int_eq(fw_opendir(&f.c, d, &fh), 0);
	len = fw_readdirplus(&f.c, d, fh, 0, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	n = parse_dplus(buf, len, ent, 16);
	ck_assert_int_eq(n, 5);
	for (i = 0; i < n; i++) {
		if (!strcmp(ent[i].name, ".") || !strcmp(ent[i].name, "..")) {
			/* No lookup: the kernel counts none for them. */
			ck_assert_uint_eq(ent[i].nodeid, 0);
			ck_assert_uint_ne(ent[i].ino, 0);
			continue;
		}
		named++;
		ck_assert_uint_ne(ent[i].nodeid, 0);
		ck_assert_uint_eq(ent[i].attr.ino, ent[i].nodeid);
		ck_assert(S_ISREG(ent[i].attr.mode));
		if (!strcmp(ent[i].name, "a"))
			ck_assert_uint_eq(ent[i].nodeid, a);
	}
	ck_assert_int_eq(named, 3);
	/* b and c are new nodes; a's node got a second count. */
	ck_assert_uint_eq(nr_nodes(), base + 2);
	fw_forget(&f.c, a, 1);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), base + 2);
	ck_assert_int_eq(fw_getattr(&f.c, a, NULL), 0);
	for (i = 0; i < n; i++)
		if (ent[i].nodeid)
			fw_forget(&f.c, ent[i].nodeid, 1);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), base - 1);

	/* A buffer with room for two records: only the entries replied are
	 * counted; the next request continues at the last one's offset. */
	base = nr_nodes();
	one = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET_DIRENTPLUS + 2);
	off = 0;
	for (;;) {
		len = fw_readdirplus(&f.c, d, fh, off, buf, 2 * one);
		ck_assert_int_ge(len, 0);
		if (!len)
			break;
		n = parse_dplus(buf, len, ent, 16);
		ck_assert_int_ge(n, 1);
		ck_assert_int_le(n, 2);
		named = 0;
		for (i = 0; i < n; i++)
			if (ent[i].nodeid) {
				named++;
				fw_forget(&f.c, ent[i].nodeid, 1);
			}
		barrier(&f.c);
		ck_assert_uint_eq(nr_nodes(), base);
		total += n;
		off = ent[n - 1].off;
	}
	ck_assert_int_eq(total, 5);
	ck_assert_int_eq(fw_releasedir(&f.c, d, fh), 0);
	fw_forget(&f.c, d, 1);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), 1);
	fx_stop(&f);
}
END_TEST

/* Plain READDIR hands out nothing; each entry's type and its offset,
 * from which the listing goes on, are right. */
START_TEST(test_readdir_plain)
{
	static const struct {
		const char *name;
		unsigned int type;
	} want[] = {
		{ ".", DT_DIR }, { "..", DT_DIR }, { "lost+found", DT_DIR }, { "f", DT_REG },
		{ "d", DT_DIR }, { "full", DT_DIR }, { "l", DT_LNK },
	};
	struct fx f;
	char buf[4096];
	unsigned int seen = 0, k;
	uint64_t fh, off = 0;
	ssize_t len, pos;

	fx_start(&f, 8192, NULL, 0, 0);
	ck_assert_int_eq(fw_opendir(&f.c, FUSE_ROOT_ID, &fh), 0);
	/* Room for two entries at a time: every offset is used. */
	while ((len = fw_call(&f.c, FUSE_READDIR, FUSE_ROOT_ID,
			      &(struct fuse_read_in){ .fh = fh, .offset = off, .size = 64 },
			      sizeof(struct fuse_read_in), NULL, 0, buf, sizeof(buf))) > 0) {
		for (pos = 0; pos < len; pos += (ssize_t)FUSE_DIRENT_SIZE(
						(const struct fuse_dirent *)(buf + pos))) {
			const struct fuse_dirent *de = (const void *)(buf + pos);

			for (k = 0; k < sizeof(want) / sizeof(want[0]); k++)
				if (de->namelen == strlen(want[k].name) &&
				    !memcmp(de->name, want[k].name, de->namelen))
					break;
			ck_assert_msg(k < sizeof(want) / sizeof(want[0]), "entry %.*s",
				      (int)de->namelen, de->name);
			ck_assert_msg(!(seen & (1U << k)), "%s twice", want[k].name);
			seen |= 1U << k;
			ck_assert_uint_eq(de->type, want[k].type);
			ck_assert_uint_ne(de->ino, 0);
			ck_assert_uint_gt(de->off, off);
			off = de->off;
		}
	}
	ck_assert_int_eq(len, 0);
	ck_assert_uint_eq(seen, (1U << (sizeof(want) / sizeof(want[0]))) - 1);
	ck_assert_uint_eq(nr_nodes(), 1);
	ck_assert_int_eq(fw_releasedir(&f.c, FUSE_ROOT_ID, fh), 0);
	fx_stop(&f);
}
END_TEST

/* A READDIRPLUS reply the kernel does not take (its caller was killed)
 * hands out no lookups: the server takes back those it counted. */
START_TEST(test_readdirplus_reply_lost)
{
	struct fx f;
	struct fuse_entry_out e;
	char name[64], buf[65536];
	unsigned long base;
	uint64_t d, fh, u;
	ssize_t len;
	int i;

	fx_start(&f, 8192, NULL, 0, 0);
	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, "many", 0755, &e), 0);
	d = e.nodeid;
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "a-file-with-a-longish-name-%03d", i);
		ck_assert_int_eq(fw_create(&f.c, d, name, S_IFREG | 0644, O_CREAT | O_RDWR, &e,
					   &fh), 0);
		ck_assert_int_eq(fw_release(&f.c, e.nodeid, fh), 0);
		fw_forget(&f.c, e.nodeid, 1);
	}
	ck_assert_int_eq(fw_opendir(&f.c, d, &fh), 0);
	base = nr_nodes();

	/* 100 records of ~170 bytes cannot be written through the smallest
	 * socket buffer; a LOOKUP reply can. */
	fw_limit_replies(&f.c, 1);
	fw_send(&f.c, FUSE_READDIRPLUS, d, &(struct fuse_read_in){ .fh = fh, .size = sizeof(buf) },
		sizeof(struct fuse_read_in), NULL, 0, NULL, 0);
	u = fw_send(&f.c, FUSE_LOOKUP, d, "a-file-with-a-longish-name-000", 31, NULL, 0, NULL, 0);
	ck_assert_int_eq(fw_recv(&f.c, u, &e, sizeof(e)), sizeof(e));
	ck_assert_uint_eq(nr_nodes(), base + 1);
	fw_forget(&f.c, e.nodeid, 1);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), base);

	/* The same request, taken: 100 lookups. */
	fw_limit_replies(&f.c, 0);
	len = fw_readdirplus(&f.c, d, fh, 0, buf, sizeof(buf));
	ck_assert_int_eq(parse_dplus(buf, len, (struct dplus[128]){ 0 }, 128), 102);
	ck_assert_uint_eq(nr_nodes(), base + 100);
	ck_assert_int_eq(fw_releasedir(&f.c, d, fh), 0);
	fx_unserve(&f);		/* teardown drops the kernel's lookups */
	vm_exit();
	ck_assert_int_eq(t_e2fsck(f.img), 0);
	t_scratch_free(f.dir);
}
END_TEST

/* Entries the kernel does not take (LOOKUP, CREATE, MKDIR replies to a
 * caller that was killed) hand out no lookups and no open files. */
START_TEST(test_entry_reply_lost)
{
	struct fx f;
	struct fuse_create_in ci = { .flags = O_CREAT | O_RDWR, .mode = S_IFREG | 0644 };
	struct fuse_mkdir_in mi = { .mode = 0755 };
	struct imgfs_fuse_stats st;
	struct timespec t0, now;
	struct inode *marker;
	uint64_t fh;
	struct fuse_entry_out e;

	fx_start(&f, 8192, NULL, 0, 0);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "marker", S_IFREG | 0644, O_CREAT | O_RDWR,
				   &e, &fh), 0);
	ck_assert_int_eq(fw_release(&f.c, e.nodeid, fh), 0);
	fw_forget(&f.c, e.nodeid, 1);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), 1);

	fw_refuse_replies(&f.c);
	fw_send(&f.c, FUSE_LOOKUP, FUSE_ROOT_ID, "f", 2, NULL, 0, NULL, 0);
	fw_send(&f.c, FUSE_CREATE, FUSE_ROOT_ID, &ci, sizeof(ci), "new", 4, NULL, 0);
	fw_send(&f.c, FUSE_MKDIR, FUSE_ROOT_ID, &mi, sizeof(mi), "dir", 4, NULL, 0);
	/* The loop handles requests in order: once the marker is gone from
	 * the image, the three before it were handled. */
	fw_send(&f.c, FUSE_UNLINK, FUSE_ROOT_ID, "marker", 7, NULL, 0, NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((marker = t_walk(f.sb, "marker"))) {
		iput(marker);
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert_msg(now.tv_sec - t0.tv_sec < 60, "the UNLINK was never handled");
		poll(NULL, 0, 5);
	}
	imgfs_fuse_get_stats(&st);
	ck_assert_uint_eq(st.nr_nodes, 1);
	ck_assert_uint_eq(st.nr_open, 0);
	/* What they did to the image stays: the kernel finds it by LOOKUP. */
	marker = t_walk(f.sb, "new");
	ck_assert_ptr_nonnull(marker);
	iput(marker);
	fx_stop(&f);
}
END_TEST

/* ---- nodes: an unlinked inode lives until its last FORGET ----------------------- */

START_TEST(test_unlinked_until_forget)
{
	struct fx f;
	struct fuse_entry_out e;
	struct fuse_kstatfs s0, s1, s2;
	struct fuse_attr a;
	char data[3000], back[3000];
	uint64_t id, fh, victim;
	size_t i;

	fx_start(&f, 8192, NULL, 0, 0);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	s0 = statfs_ok(&f.c);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "u", S_IFREG | 0600, O_CREAT | O_RDWR,
				   &e, &fh), 0);
	id = e.nodeid;
	ck_assert_int_eq(fw_write(&f.c, id, fh, 0, data, sizeof(data)), sizeof(data));
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);
	s1 = statfs_ok(&f.c);
	ck_assert_uint_eq(s1.ffree, s0.ffree - 1);
	ck_assert_uint_lt(s1.bfree, s0.bfree);

	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "u"), 0);
	ck_assert_int_eq(fw_lookup(&f.c, FUSE_ROOT_ID, "u", &e), 0);
	ck_assert_uint_eq(e.nodeid, 0);
	/* Still there for the kernel, which holds a lookup (an open file). */
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), 0);
	ck_assert_uint_eq(a.nlink, 0);
	ck_assert_uint_eq(a.size, sizeof(data));
	ck_assert_int_eq(fw_open(&f.c, id, O_RDWR, &fh), 0);
	ck_assert_int_eq(fw_read(&f.c, id, fh, 0, back, sizeof(back)), sizeof(back));
	ck_assert(!memcmp(back, data, sizeof(data)));
	ck_assert_int_eq(fw_write(&f.c, id, fh, 10, "xyz", 3), 3);
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);
	s2 = statfs_ok(&f.c);
	ck_assert_uint_eq(s2.ffree, s1.ffree);
	ck_assert_uint_eq(s2.bfree, s1.bfree);

	/* The last FORGET deletes it: inode and blocks free again. */
	fw_forget(&f.c, id, 1);
	s2 = statfs_ok(&f.c);
	ck_assert_uint_eq(s2.ffree, s0.ffree);
	ck_assert_uint_eq(s2.bfree, s0.bfree);
	ck_assert_int_eq(fw_getattr(&f.c, id, NULL), -ESTALE);

	/* A rename over a name the kernel knows: the same. */
	victim = lookup_ok(&f.c, FUSE_ROOT_ID, "l", NULL);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "l", 0), 0);
	ck_assert_int_eq(fw_getattr(&f.c, victim, &a), 0);
	ck_assert_uint_eq(a.nlink, 0);
	ck_assert(S_ISLNK(a.mode));
	s1 = statfs_ok(&f.c);
	fw_forget(&f.c, victim, 1);
	s2 = statfs_ok(&f.c);
	ck_assert_uint_eq(s2.ffree, s1.ffree + 1);
	ck_assert_uint_eq(nr_nodes(), 1);
	fx_stop(&f);
}
END_TEST

/* The kernel tells inodes apart by (number, generation): a number used
 * again must come with a new generation. */
START_TEST(test_generation)
{
	struct fx f;
	struct fuse_entry_out e1, e2;
	uint64_t fh;

	fx_start(&f, 8192, NULL, 0, 0);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "g1", S_IFREG | 0644, O_CREAT | O_RDWR,
				   &e1, &fh), 0);
	ck_assert_int_eq(fw_release(&f.c, e1.nodeid, fh), 0);
	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "g1"), 0);
	fw_forget(&f.c, e1.nodeid, 1);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "g2", S_IFREG | 0644, O_CREAT | O_RDWR,
				   &e2, &fh), 0);
	ck_assert_int_eq(fw_release(&f.c, e2.nodeid, fh), 0);
	/* ext2 hands out the lowest free number of the group: the same. */
	ck_assert_uint_eq(e2.nodeid, e1.nodeid);
	ck_assert_uint_ne(e2.generation, e1.generation);
	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, "g3", 0755, &e1), 0);
	ck_assert_uint_ne(e1.generation, e2.generation);
	fw_forget(&f.c, e1.nodeid, 1);
	fw_forget(&f.c, e2.nodeid, 1);
	barrier(&f.c);
	ck_assert_uint_eq(nr_nodes(), 1);
	fx_stop(&f);
}
END_TEST

/* libfuse's multi-threaded loop: lookups and forgets of the same nodes
 * handled by several threads at once leave every count right. */
START_TEST(test_threads)
{
	enum { ROUNDS = 20, BATCH = 24 };
	static const char *const names[] = { "a", "b", "c" };
	struct fx f;
	struct fuse_entry_out e;
	uint64_t d, ids[BATCH], u;
	struct timespec t0, now;
	int r, i, k;

	fx_start(&f, 8192, NULL, 0, 1);
	d = lookup_ok(&f.c, FUSE_ROOT_ID, "d", NULL);
	for (r = 0; r < ROUNDS; r++) {
		struct fuse_forget_one fo[BATCH];

		for (i = 0; i < BATCH; i++)
			fw_send(&f.c, FUSE_LOOKUP, d, names[i % 3], 2, NULL, 0, NULL, 0);
		for (i = 0; i < BATCH; i++) {
			ck_assert_int_eq(fw_recv_any(&f.c, &u, &e, sizeof(e)), sizeof(e));
			ck_assert_uint_ne(e.nodeid, 0);
			ids[i] = e.nodeid;
		}
		/* Half one at a time, half in a batch. */
		for (i = 0; i < BATCH / 2; i++)
			fw_forget(&f.c, ids[i], 1);
		for (k = 0; i < BATCH; i++, k++)
			fo[k] = (struct fuse_forget_one){ .nodeid = ids[i], .nlookup = 1 };
		fw_batch_forget(&f.c, fo, (uint32_t)k);
	}
	fw_forget(&f.c, d, 1);
	/* FORGETs have no reply: wait for the count itself. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (nr_nodes() != 1) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert_msg(now.tv_sec - t0.tv_sec < 60, "%lu nodes left", nr_nodes());
		poll(NULL, 0, 5);
	}
	fx_stop(&f);
}
END_TEST

/* One request to the statistics socket of dev: the reply, NUL-ended. */
static void ctl_request(dev_t dev, const char *cmd, char *buf, size_t size)
{
	struct sockaddr_un addr;
	socklen_t alen;
	ssize_t n, len = 0;
	int fd, nl;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	nl = imgfs_ctl_name(dev, addr.sun_path + 1, sizeof(addr.sun_path) - 1);
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)nl);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, alen), 0);
	ck_assert_int_eq(write(fd, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	while ((n = read(fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
}

/* The statistics socket reports the node count the kernel holds. */
START_TEST(test_ctl_nodes)
{
	struct fx f;
	static char buf[1 << 20];
	/* A device number no mount has: the socket's name is the test's. */
	dev_t dev = makedev(4000, (unsigned int)getpid() & 0xfffff);
	char *p;

	fx_start(&f, 8192, NULL, 0, 0);
	lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL);
	lookup_ok(&f.c, FUSE_ROOT_ID, "d", NULL);
	ck_assert_int_eq(imgfs_ctl_start(dev), 0);
	ctl_request(dev, "vmstat\n", buf, sizeof(buf));
	p = strstr(buf, "\nfuse_nodes ");
	ck_assert_msg(p != NULL, "no fuse_nodes in:\n%s", buf);
	ck_assert_int_eq(atoi(p + 12), 3);
	ctl_request(dev, "nonsense\n", buf, sizeof(buf));
	ck_assert_msg(!strncmp(buf, "error: ", 7), "%s", buf);
	imgfs_ctl_stop();
	fw_forget(&f.c, lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL), 2);
	fw_forget(&f.c, lookup_ok(&f.c, FUSE_ROOT_ID, "d", NULL), 2);
	fx_stop(&f);
}
END_TEST

/* INIT: the server turns off what would let the kernel trust stale data
 * or skip the server (write-back caching, killpriv, auto invalidation). */
START_TEST(test_init)
{
	struct fx f;

	fx_start(&f, 8192, NULL, 0, 0);
	ck_assert_uint_eq(f.c.init.major, FUSE_KERNEL_VERSION);
	ck_assert_uint_ge(f.c.init.minor, 31);
	ck_assert_uint_eq(f.c.init.flags & (FUSE_WRITEBACK_CACHE | FUSE_HANDLE_KILLPRIV |
					    FUSE_AUTO_INVAL_DATA), 0);
	ck_assert_uint_ne(f.c.init.flags & FUSE_ATOMIC_O_TRUNC, 0);
	ck_assert_uint_ne(f.c.init.flags & FUSE_DO_READDIRPLUS, 0);
	ck_assert_uint_ge(f.c.init.max_write, 128 << 10);
	ck_assert_uint_eq(f.c.init.time_gran, 1);
	fx_stop(&f);
}
END_TEST

/* OPEN with O_TRUNC (FUSE_ATOMIC_O_TRUNC) and SETATTR reply with the
 * attributes as they are after the change. */
START_TEST(test_trunc_and_setattr)
{
	struct fx f;
	struct fuse_setattr_in sa;
	struct fuse_attr a;
	uint64_t id, fh;

	fx_start(&f, 8192, NULL, 0, 0);
	id = lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL);
	/* The kernel takes the file as truncated once OPEN succeeds, for
	 * O_RDONLY too, as Linux truncates then. */
	ck_assert_int_eq(fw_open(&f.c, id, O_RDONLY | O_TRUNC, &fh), 0);
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), 0);
	ck_assert_uint_eq(a.size, 0);
	ck_assert_uint_eq(a.blocks, 0);
	ck_assert_int_eq(fw_open(&f.c, id, O_WRONLY, &fh), 0);
	ck_assert_int_eq(fw_write(&f.c, id, fh, 0, "abc", 3), 3);
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);
	ck_assert_int_eq(fw_open(&f.c, id, O_WRONLY | O_TRUNC, &fh), 0);
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), 0);
	ck_assert_uint_eq(a.size, 0);

	memset(&sa, 0, sizeof(sa));
	sa.valid = FATTR_SIZE | FATTR_MODE | FATTR_UID | FATTR_GID | FATTR_MTIME;
	sa.size = 12345;
	sa.mode = S_IFREG | 0640;
	sa.uid = 1234;
	sa.gid = 5678;
	sa.mtime = 1000000000;
	sa.mtimensec = 5;
	ck_assert_int_eq(fw_setattr(&f.c, id, &sa, &a), 0);
	ck_assert_uint_eq(a.size, 12345);
	ck_assert_uint_eq(a.mode, S_IFREG | 0640);
	ck_assert_uint_eq(a.uid, 1234);
	ck_assert_uint_eq(a.gid, 5678);
	ck_assert_uint_eq(a.mtime, 1000000000);
	fw_forget(&f.c, id, 1);
	fx_stop(&f);
}
END_TEST

/* ---- errors: names ------------------------------------------------------------------ */

START_TEST(test_name_errors)
{
	struct fx f;
	struct fuse_entry_out e;
	char longname[257], maxname[256];
	unsigned long base;
	uint64_t file, d, fh;

	fx_start(&f, 8192, NULL, 0, 0);
	memset(longname, 'n', 256);
	longname[256] = '\0';
	memset(maxname, 'm', 255);
	maxname[255] = '\0';
	file = lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL);
	d = lookup_ok(&f.c, FUSE_ROOT_ID, "d", NULL);
	base = nr_nodes();

	ck_assert_int_eq(fw_lookup(&f.c, FUSE_ROOT_ID, longname, &e), -ENAMETOOLONG);
	ck_assert_int_eq(fw_lookup(&f.c, FUSE_ROOT_ID, maxname, &e), 0);
	ck_assert_uint_eq(e.nodeid, 0);
	ck_assert_int_eq(fw_lookup(&f.c, file, "x", &e), -ENOTDIR);
	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, longname, 0755, &e), -ENAMETOOLONG);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, longname, S_IFREG | 0644, O_CREAT,
				   &e, &fh), -ENAMETOOLONG);
	ck_assert_int_eq(fw_symlink(&f.c, FUSE_ROOT_ID, longname, "f", &e), -ENAMETOOLONG);
	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, longname), -ENAMETOOLONG);

	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, "d", 0755, &e), -EEXIST);
	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, "f", 0755, &e), -EEXIST);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "f", S_IFREG | 0644,
				   O_CREAT | O_EXCL | O_RDWR, &e, &fh), -EEXIST);
	ck_assert_int_eq(fw_mknod(&f.c, FUSE_ROOT_ID, "d", S_IFIFO | 0644, &e), -EEXIST);
	ck_assert_int_eq(fw_symlink(&f.c, FUSE_ROOT_ID, "l", "f", &e), -EEXIST);
	ck_assert_int_eq(fw_link(&f.c, file, FUSE_ROOT_ID, "d", &e), -EEXIST);
	ck_assert_int_eq(fw_mkdir(&f.c, file, "x", 0755, &e), -ENOTDIR);
	ck_assert_int_eq(fw_create(&f.c, file, "x", S_IFREG | 0644, O_CREAT, &e, &fh),
			 -ENOTDIR);

	ck_assert_int_eq(fw_rmdir(&f.c, FUSE_ROOT_ID, "full"), -ENOTEMPTY);
	ck_assert_int_eq(fw_rmdir(&f.c, FUSE_ROOT_ID, "f"), -ENOTDIR);
	ck_assert_int_eq(fw_rmdir(&f.c, FUSE_ROOT_ID, "nothing"), -ENOENT);
	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "d"), -EISDIR);
	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "nothing"), -ENOENT);
	ck_assert_int_eq(fw_link(&f.c, d, FUSE_ROOT_ID, "dirlink", &e), -EPERM);

	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "nothing", FUSE_ROOT_ID, "x", 0),
			 -ENOENT);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "l",
				   RENAME_WHITEOUT), -EINVAL);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "l",
				   RENAME_NOREPLACE | RENAME_EXCHANGE), -EINVAL);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "l", 1U << 7),
			 -EINVAL);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "l",
				   RENAME_NOREPLACE), -EEXIST);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "d", FUSE_ROOT_ID, "full", 0),
			 -ENOTEMPTY);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "d", FUSE_ROOT_ID, "f", 0), -ENOTDIR);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "d", 0), -EISDIR);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "d", d, "inside", 0), -EINVAL);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, longname, 0),
			 -ENAMETOOLONG);

	/* A target that does not fit in a block (with its NUL, as Linux
	 * counts it). */
	{
		char target[1025];
		uint64_t sym;

		memset(target, 't', 1024);
		target[1024] = '\0';
		ck_assert_int_eq(fw_symlink(&f.c, FUSE_ROOT_ID, "s", target, &e), -ENAMETOOLONG);
		target[1023] = '\0';
		ck_assert_int_eq(fw_symlink(&f.c, FUSE_ROOT_ID, "s", target, &e), 0);
		sym = e.nodeid;
		ck_assert_uint_eq(e.attr.size, 1023);
		ck_assert_int_eq(fw_call(&f.c, FUSE_READLINK, sym, NULL, 0, NULL, 0, target,
					 sizeof(target)), 1023);
		ck_assert_int_eq(target[0], 't');
		ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "s"), 0);
		fw_forget(&f.c, sym, 1);
	}
	ck_assert_int_eq(fw_opendir(&f.c, file, &fh), -ENOTDIR);
	ck_assert_int_eq(fw_call(&f.c, FUSE_READLINK, file, NULL, 0, NULL, 0, NULL, 0),
			 -EINVAL);
	/* No error handed out a lookup. */
	ck_assert_uint_eq(nr_nodes(), base);
	fw_forget(&f.c, file, 1);
	fw_forget(&f.c, d, 1);
	fx_stop(&f);
}
END_TEST

/* Owners of new inodes: the caller's, or a set-group-ID directory's group
 * (which a new directory inherits with the bit), as Linux's ext2 does. */
START_TEST(test_owners)
{
	struct fx f;
	struct fuse_entry_out e;
	struct fuse_setattr_in sa;
	uint64_t d, fh;

	fx_start(&f, 8192, NULL, 0, 0);
	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, "sgid", 0777, &e), 0);
	d = e.nodeid;
	memset(&sa, 0, sizeof(sa));
	sa.valid = FATTR_MODE | FATTR_GID;
	sa.mode = S_IFDIR | S_ISGID | 0777;
	sa.gid = 777;
	ck_assert_int_eq(fw_setattr(&f.c, d, &sa, NULL), 0);
	f.c.uid = 1000;
	f.c.gid = 1000;
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "mine", S_IFREG | 0644, O_CREAT | O_RDWR,
				   &e, &fh), 0);
	ck_assert_uint_eq(e.attr.uid, 1000);
	ck_assert_uint_eq(e.attr.gid, 1000);
	ck_assert_int_eq(fw_release(&f.c, e.nodeid, fh), 0);
	fw_forget(&f.c, e.nodeid, 1);
	ck_assert_int_eq(fw_create(&f.c, d, "file", S_IFREG | 0644, O_CREAT | O_RDWR, &e, &fh),
			 0);
	ck_assert_uint_eq(e.attr.uid, 1000);
	ck_assert_uint_eq(e.attr.gid, 777);
	ck_assert_uint_eq(e.attr.mode, S_IFREG | 0644);
	ck_assert_int_eq(fw_release(&f.c, e.nodeid, fh), 0);
	fw_forget(&f.c, e.nodeid, 1);
	ck_assert_int_eq(fw_mkdir(&f.c, d, "sub", 0755, &e), 0);
	ck_assert_uint_eq(e.attr.gid, 777);
	ck_assert_uint_eq(e.attr.mode, S_IFDIR | S_ISGID | 0755);
	fw_forget(&f.c, e.nodeid, 1);
	ck_assert_int_eq(fw_symlink(&f.c, d, "sym", "file", &e), 0);
	ck_assert_uint_eq(e.attr.gid, 777);
	fw_forget(&f.c, e.nodeid, 1);
	fw_forget(&f.c, d, 1);
	fx_stop(&f);
}
END_TEST

/* ---- errors: extended attributes ----------------------------------------------------- */

START_TEST(test_xattr_errors)
{
	struct fx f;
	char buf[2048], longname[300];
	uint64_t file;

	fx_start(&f, 8192, NULL, 0, 0);
	file = lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL);
	ck_assert_int_eq(fw_setxattr(&f.c, file, "user.a", "value", 5, 0), 0);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.a", NULL, 0), 5);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.a", buf, 4), -ERANGE);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.a", buf, 5), 5);
	ck_assert(!memcmp(buf, "value", 5));
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.a", buf, sizeof(buf)), 5);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.none", NULL, 0), -ENODATA);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.none", buf, sizeof(buf)), -ENODATA);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "bogus.a", buf, sizeof(buf)), -EOPNOTSUPP);

	ck_assert_int_eq(fw_listxattr(&f.c, file, NULL, 0), 7);
	ck_assert_int_eq(fw_listxattr(&f.c, file, buf, 6), -ERANGE);
	ck_assert_int_eq(fw_listxattr(&f.c, file, buf, sizeof(buf)), 7);
	ck_assert(!memcmp(buf, "user.a", 7));

	ck_assert_int_eq(fw_setxattr(&f.c, file, "user.a", "x", 1, XATTR_CREATE), -EEXIST);
	ck_assert_int_eq(fw_setxattr(&f.c, file, "user.b", "x", 1, XATTR_REPLACE), -ENODATA);
	ck_assert_int_eq(fw_setxattr(&f.c, file, "bogus.a", "x", 1, 0), -EOPNOTSUPP);
	memset(longname, 'x', sizeof(longname));
	memcpy(longname, "user.", 5);
	longname[5 + 256] = '\0';
	ck_assert_int_eq(fw_setxattr(&f.c, file, longname, "x", 1, 0), -ERANGE);
	/* Larger than a block: ERANGE; a block that cannot hold it: ENOSPC. */
	memset(buf, 'v', sizeof(buf));
	ck_assert_int_eq(fw_setxattr(&f.c, file, "user.big", buf, 1025, 0), -ERANGE);
	ck_assert_int_eq(fw_setxattr(&f.c, file, "user.big", buf, 1024, 0), -ENOSPC);
	ck_assert_int_eq(fw_removexattr(&f.c, file, "user.none"), -ENODATA);
	ck_assert_int_eq(fw_removexattr(&f.c, file, "user.a"), 0);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.a", NULL, 0), -ENODATA);
	ck_assert_int_eq(fw_listxattr(&f.c, file, NULL, 0), 0);
	fw_forget(&f.c, file, 1);
	fx_stop(&f);
}
END_TEST

/* ---- errors: a read-only mount refuses every change --------------------------------- */

START_TEST(test_readonly)
{
	struct fx f;
	struct fuse_entry_out e;
	struct fuse_setattr_in sa;
	char buf[8192];
	uint64_t file, d, l, fh;
	unsigned long base;

	/* Give the file an attribute first, read-write. */
	fx_start(&f, 8192, NULL, 0, 0);
	file = lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL);
	ck_assert_int_eq(fw_setxattr(&f.c, file, "user.a", "v", 1, 0), 0);
	fw_forget(&f.c, file, 1);
	fx_unserve(&f);
	fx_serve(&f, 1, 0);

	file = lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL);
	d = lookup_ok(&f.c, FUSE_ROOT_ID, "d", NULL);
	l = lookup_ok(&f.c, FUSE_ROOT_ID, "l", NULL);
	base = nr_nodes();

	/* Reading works. */
	ck_assert_int_eq(fw_open(&f.c, file, O_RDONLY, &fh), 0);
	ck_assert_int_eq(fw_read(&f.c, file, fh, 0, buf, sizeof(buf)), 5000);
	ck_assert_int_eq(fw_getxattr(&f.c, file, "user.a", buf, sizeof(buf)), 1);
	ck_assert_int_eq(fw_access(&f.c, file, R_OK), 0);

	/* Every change: EROFS. */
	ck_assert_int_eq(fw_write(&f.c, file, fh, 0, "x", 1), -EROFS);
	ck_assert_int_eq(fw_fallocate(&f.c, file, fh, 0, 0, 8192), -EROFS);
	ck_assert_int_eq(fw_fallocate(&f.c, file, fh, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      0, 4096), -EROFS);
	ck_assert_int_eq(fw_release(&f.c, file, fh), 0);
	ck_assert_int_eq(fw_open(&f.c, file, O_WRONLY, &fh), -EROFS);
	ck_assert_int_eq(fw_open(&f.c, file, O_RDWR | O_TRUNC, &fh), -EROFS);
	ck_assert_int_eq(fw_open(&f.c, file, O_RDONLY | O_TRUNC, &fh), -EROFS);
	ck_assert_int_eq(fw_access(&f.c, file, W_OK), -EROFS);
	memset(&sa, 0, sizeof(sa));
	sa.valid = FATTR_SIZE;
	ck_assert_int_eq(fw_setattr(&f.c, file, &sa, NULL), -EROFS);
	sa.valid = FATTR_MODE;
	sa.mode = S_IFREG | 0600;
	ck_assert_int_eq(fw_setattr(&f.c, file, &sa, NULL), -EROFS);
	sa.valid = FATTR_UID | FATTR_GID;
	ck_assert_int_eq(fw_setattr(&f.c, file, &sa, NULL), -EROFS);
	sa.valid = FATTR_ATIME | FATTR_MTIME;
	ck_assert_int_eq(fw_setattr(&f.c, file, &sa, NULL), -EROFS);
	ck_assert_int_eq(fw_setxattr(&f.c, file, "user.b", "v", 1, 0), -EROFS);
	ck_assert_int_eq(fw_removexattr(&f.c, file, "user.a"), -EROFS);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "n", S_IFREG | 0644, O_CREAT | O_RDWR,
				   &e, &fh), -EROFS);
	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, "n", 0755, &e), -EROFS);
	ck_assert_int_eq(fw_mknod(&f.c, FUSE_ROOT_ID, "n", S_IFIFO | 0644, &e), -EROFS);
	ck_assert_int_eq(fw_symlink(&f.c, FUSE_ROOT_ID, "n", "f", &e), -EROFS);
	ck_assert_int_eq(fw_link(&f.c, file, FUSE_ROOT_ID, "n", &e), -EROFS);
	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "f"), -EROFS);
	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "l"), -EROFS);
	ck_assert_int_eq(fw_rmdir(&f.c, FUSE_ROOT_ID, "d"), -EROFS);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "g", 0), -EROFS);
	ck_assert_int_eq(fw_rename(&f.c, FUSE_ROOT_ID, "f", FUSE_ROOT_ID, "l",
				   RENAME_EXCHANGE), -EROFS);
	ck_assert_uint_eq(nr_nodes(), base);
	fw_forget(&f.c, file, 1);
	fw_forget(&f.c, d, 1);
	fw_forget(&f.c, l, 1);
	fx_stop(&f);
}
END_TEST

/* ---- errors: space, size, and what ext2 cannot keep ---------------------------------- */

START_TEST(test_enospc)
{
	enum { CHUNK = 32 << 10 };
	struct fx f;
	struct fuse_entry_out e;
	struct fuse_kstatfs s0, s;
	static char chunk[CHUNK], back[CHUNK];
	char name[16];
	uint64_t ids[256], id, fh;
	unsigned long n = 0, i;
	uint64_t off = 0;
	ssize_t w;
	int err;

	fx_start(&f, 1024, "-N 32", 0, 0);
	s0 = statfs_ok(&f.c);
	ck_assert_uint_lt(s0.ffree, 256);

	/* Inodes: exactly ffree files, then ENOSPC for files and dirs. */
	for (;;) {
		snprintf(name, sizeof(name), "n%lu", n);
		err = fw_create(&f.c, FUSE_ROOT_ID, name, S_IFREG | 0644, O_CREAT | O_RDWR, &e,
				&fh);
		if (err)
			break;
		ck_assert_int_eq(fw_release(&f.c, e.nodeid, fh), 0);
		ids[n++] = e.nodeid;
		ck_assert_uint_lt(n, 256);
	}
	ck_assert_int_eq(err, -ENOSPC);
	ck_assert_uint_eq(n, s0.ffree);
	ck_assert_int_eq(fw_mkdir(&f.c, FUSE_ROOT_ID, "dir", 0755, &e), -ENOSPC);
	ck_assert_int_eq(fw_symlink(&f.c, FUSE_ROOT_ID, "sym", "f", &e), -ENOSPC);
	ck_assert_uint_eq(nr_nodes(), 1 + n);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "n%lu", i);
		ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, name), 0);
		fw_forget(&f.c, ids[i], 1);
	}
	s = statfs_ok(&f.c);
	ck_assert_uint_eq(s.ffree, s0.ffree);

	/* Blocks: write until ENOSPC; what was written stays readable. */
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "big", S_IFREG | 0644, O_CREAT | O_RDWR,
				   &e, &fh), 0);
	id = e.nodeid;
	for (i = 0; i < CHUNK; i++)
		chunk[i] = (char)(i % 253);
	for (;;) {
		w = fw_write(&f.c, id, fh, off, chunk, CHUNK);
		if (w < 0)
			break;
		ck_assert_int_gt(w, 0);
		off += (uint64_t)w;
		ck_assert_uint_lt(off, 2 << 20);
	}
	ck_assert_int_eq(w, -ENOSPC);
	ck_assert_uint_gt(off, 0);
	s = statfs_ok(&f.c);
	ck_assert_uint_eq(s.bavail, 0);
	ck_assert_int_eq(fw_read(&f.c, id, fh, off - (off % CHUNK ? off % CHUNK : CHUNK), back,
				 CHUNK), off % CHUNK ? (ssize_t)(off % CHUNK) : CHUNK);
	ck_assert(!memcmp(back, chunk, off % CHUNK ? off % CHUNK : CHUNK));
	ck_assert_int_eq(fw_setxattr(&f.c, id, "user.x", "v", 1, 0), -ENOSPC);
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);
	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "big"), 0);
	fw_forget(&f.c, id, 1);
	s = statfs_ok(&f.c);
	ck_assert_uint_eq(s.bfree, s0.bfree);
	ck_assert_uint_eq(s.ffree, s0.ffree);
	fx_stop(&f);
}
END_TEST

START_TEST(test_efbig)
{
	const uint64_t max = KERNEL_EXT2_MAXBYTES_1K;
	struct fx f;
	struct fuse_entry_out e;
	struct fuse_setattr_in sa;
	struct fuse_attr a;
	char buf[64];
	uint64_t id, fh;

	fx_start(&f, 8192, NULL, 0, 0);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "huge", S_IFREG | 0644,
				   O_CREAT | O_RDWR, &e, &fh), 0);
	id = e.nodeid;
	ck_assert_int_eq(fw_write(&f.c, id, fh, max, "x", 1), -EFBIG);
	ck_assert_int_eq(fw_write(&f.c, id, fh, max + 4096, "x", 1), -EFBIG);
	/* Across the limit: the part below it. */
	ck_assert_int_eq(fw_write(&f.c, id, fh, max - 8, "0123456789abcdef", 16), 8);
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), 0);
	ck_assert_uint_eq(a.size, max);
	ck_assert_int_eq(fw_read(&f.c, id, fh, max - 8, buf, sizeof(buf)), 8);
	ck_assert(!memcmp(buf, "01234567", 8));
	ck_assert_int_eq(fw_read(&f.c, id, fh, max, buf, sizeof(buf)), 0);
	memset(&sa, 0, sizeof(sa));
	sa.valid = FATTR_SIZE;
	sa.size = max + 1;
	ck_assert_int_eq(fw_setattr(&f.c, id, &sa, NULL), -EFBIG);
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, 0, max, 1), -EFBIG);
	sa.size = 0;
	ck_assert_int_eq(fw_setattr(&f.c, id, &sa, &a), 0);
	ck_assert_uint_eq(a.size, 0);
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);
	fw_forget(&f.c, id, 1);
	fx_stop(&f);
}
END_TEST

START_TEST(test_fallocate_and_seek)
{
	struct fx f;
	struct fuse_entry_out e;
	struct fuse_attr a;
	char buf[8192];
	uint64_t id, fh, sp;

	fx_start(&f, 8192, NULL, 0, 0);
	id = lookup_ok(&f.c, FUSE_ROOT_ID, "f", NULL);
	ck_assert_int_eq(fw_open(&f.c, id, O_RDWR, &fh), 0);

	/* Modes ext2 has no way to keep. */
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, FALLOC_FL_ZERO_RANGE, 0, 1024), -EOPNOTSUPP);
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, FALLOC_FL_COLLAPSE_RANGE, 0, 1024),
			 -EOPNOTSUPP);
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, FALLOC_FL_INSERT_RANGE, 0, 1024),
			 -EOPNOTSUPP);
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, FALLOC_FL_UNSHARE_RANGE, 0, 1024),
			 -EOPNOTSUPP);
	/* Blocks past i_size. */
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, FALLOC_FL_KEEP_SIZE, 4096, 8192),
			 -EOPNOTSUPP);
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), 0);
	ck_assert_uint_eq(a.size, 5000);
	/* What it can: allocation that extends, and punching inside. */
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, 0, 0, 6000), 0);
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), 0);
	ck_assert_uint_eq(a.size, 6000);
	ck_assert_int_eq(fw_fallocate(&f.c, id, fh, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      1024, 2048), 0);
	ck_assert_int_eq(fw_read(&f.c, id, fh, 1000, buf, 100), 100);
	ck_assert_int_eq(buf[23], 1023 % 251);	/* kept */
	ck_assert_int_eq(buf[24], 0);		/* 1024: punched */

	/* Short reads at the end of file, none past it. */
	ck_assert_int_eq(fw_read(&f.c, id, fh, 4096, buf, 4096), 6000 - 4096);
	ck_assert_int_eq(fw_read(&f.c, id, fh, 5999, buf, 4096), 1);
	ck_assert_int_eq(fw_read(&f.c, id, fh, 6000, buf, 4096), 0);
	ck_assert_int_eq(fw_read(&f.c, id, fh, 1 << 20, buf, 4096), 0);

	/* SEEK_DATA / SEEK_HOLE: ENXIO at and past the end. */
	ck_assert_int_eq(fw_lseek(&f.c, id, fh, 6000, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(fw_lseek(&f.c, id, fh, 6000, SEEK_HOLE), -ENXIO);
	ck_assert_int_eq(fw_lseek(&f.c, id, fh, 1 << 30, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(fw_lseek(&f.c, id, fh, 0, SEEK_DATA), 0);
	ck_assert_int_eq(fw_lseek(&f.c, id, fh, 5999, SEEK_HOLE), 6000);
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);

	/* A sparse file: the data after the hole is found. */
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "sparse", S_IFREG | 0644,
				   O_CREAT | O_RDWR, &e, &fh), 0);
	sp = e.nodeid;
	ck_assert_int_eq(fw_write(&f.c, sp, fh, 65536, "data", 4), 4);
	ck_assert_int_eq(fw_lseek(&f.c, sp, fh, 0, SEEK_DATA), 65536);
	ck_assert_int_eq(fw_lseek(&f.c, sp, fh, 65540, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(fw_read(&f.c, sp, fh, 0, buf, 4096), 4096);
	ck_assert_int_eq(buf[0] | buf[4095], 0);
	ck_assert_int_eq(fw_release(&f.c, sp, fh), 0);
	fw_forget(&f.c, sp, 1);
	fw_forget(&f.c, id, 1);
	fx_stop(&f);
}
END_TEST

static Suite *fuse_server_suite(void)
{
	Suite *s = suite_create("fuse_server");
	TCase *tc = tcase_create("nodes");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_lookup_forget);
	tcase_add_test(tc, test_batch_forget);
	tcase_add_test(tc, test_entry_counts);
	tcase_add_test(tc, test_readdir_plain);
	tcase_add_test(tc, test_readdirplus_counts);
	tcase_add_test(tc, test_readdirplus_reply_lost);
	tcase_add_test(tc, test_entry_reply_lost);
	tcase_add_test(tc, test_unlinked_until_forget);
	tcase_add_test(tc, test_generation);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_ctl_nodes);
	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_trunc_and_setattr);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_name_errors);
	tcase_add_test(tc, test_owners);
	tcase_add_test(tc, test_xattr_errors);
	tcase_add_test(tc, test_readonly);
	tcase_add_test(tc, test_enospc);
	tcase_add_test(tc, test_efbig);
	tcase_add_test(tc, test_fallocate_and_seek);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(fuse_server_suite)
