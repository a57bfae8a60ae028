/*
 * tests/fuse/check_fuse_nodes.c - the FUSE server's node table (fs/fuse/
 * nodes.c) as the kernel sees it, over the FUSE wire protocol with no
 * kernel and no mount (tests/fuse/fuse_wire.h): the lookup counts of
 * LOOKUP/FORGET/BATCH_FORGET, the lookups CREATE, MKDIR, MKNOD, SYMLINK,
 * LINK and READDIRPLUS hand out (none for . and .., none in a reply the
 * kernel does not take), an unlinked inode living until its last FORGET,
 * generation numbers of reused inode numbers, counts under libfuse's
 * multi-threaded loop, and the count the statistics socket reports.
 *
 * Every test ends with the session stopped, the image unmounted and
 * e2fsck -fn clean.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "fs/fuse/ctl_addr.h"
#include "fs/fuse/imgfs_fuse.h"
#include "tests/fuse/fuse_test.h"

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

/*
 * An unlinked file's data lives as long as a descriptor has it open; its
 * blocks go at the last release (or at the unlink itself when nothing has
 * it open), while the inode waits for the kernel's last FORGET.
 */
START_TEST(test_unlinked_until_forget)
{
	struct fx f;
	struct fuse_entry_out e;
	struct fuse_kstatfs s0, s1, s2;
	struct fuse_attr a;
	char data[3000], back[3000];
	uint64_t id, fh, fh2, victim;
	size_t i;

	fx_start(&f, 8192, NULL, 0, 0);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	s0 = statfs_ok(&f.c);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "u", S_IFREG | 0600, O_CREAT | O_RDWR,
				   &e, &fh), 0);
	id = e.nodeid;
	ck_assert_int_eq(fw_write(&f.c, id, fh, 0, data, sizeof(data)), sizeof(data));
	s1 = statfs_ok(&f.c);
	ck_assert_uint_eq(s1.ffree, s0.ffree - 1);
	ck_assert_uint_lt(s1.bfree, s0.bfree);

	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "u"), 0);
	ck_assert_int_eq(fw_lookup(&f.c, FUSE_ROOT_ID, "u", &e), 0);
	ck_assert_uint_eq(e.nodeid, 0);
	/* Still there for the open file, data and all. */
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), 0);
	ck_assert_uint_eq(a.nlink, 0);
	ck_assert_uint_eq(a.size, sizeof(data));
	ck_assert_int_eq(fw_open(&f.c, id, O_RDWR, &fh2), 0);
	ck_assert_int_eq(fw_read(&f.c, id, fh2, 0, back, sizeof(back)), sizeof(back));
	ck_assert(!memcmp(back, data, sizeof(data)));
	ck_assert_int_eq(fw_write(&f.c, id, fh2, 10, "xyz", 3), 3);
	ck_assert_int_eq(fw_release(&f.c, id, fh2), 0);
	s2 = statfs_ok(&f.c);
	ck_assert_uint_eq(s2.ffree, s1.ffree);
	ck_assert_uint_eq(s2.bfree, s1.bfree);

	/* The last release frees the blocks; the inode waits for FORGET. */
	ck_assert_int_eq(fw_release(&f.c, id, fh), 0);
	s2 = statfs_ok(&f.c);
	ck_assert_uint_eq(s2.ffree, s1.ffree);
	ck_assert_uint_eq(s2.bfree, s0.bfree);
	ck_assert_int_eq(fw_getattr(&f.c, id, &a), 0);
	ck_assert_uint_eq(a.nlink, 0);

	/* The last FORGET deletes it: the inode is free again. */
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

/*
 * The session ends with files still open (a RELEASE still queued when
 * SIGTERM ends the loop is never served): the teardown releases them, so
 * the unmount finds nothing in use, and an open unlinked file is deleted.
 */
START_TEST(test_teardown_releases_open_files)
{
	struct fx f;
	struct fuse_entry_out e;
	struct fuse_kstatfs s0;
	uint64_t kept, gone, fh;

	fx_start(&f, 8192, NULL, 0, 0);
	s0 = statfs_ok(&f.c);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "kept", S_IFREG | 0600,
				   O_CREAT | O_RDWR, &e, &fh), 0);
	kept = e.nodeid;
	ck_assert_int_eq(fw_write(&f.c, kept, fh, 0, "kept", 4), 4);
	ck_assert_int_eq(fw_create(&f.c, FUSE_ROOT_ID, "gone", S_IFREG | 0600,
				   O_CREAT | O_RDWR, &e, &fh), 0);
	gone = e.nodeid;
	ck_assert_int_eq(fw_write(&f.c, gone, fh, 0, "gone", 4), 4);
	ck_assert_int_eq(fw_unlink(&f.c, FUSE_ROOT_ID, "gone"), 0);
	ck_assert_uint_eq(statfs_ok(&f.c).ffree, s0.ffree - 2);
	/* No RELEASE, no FORGET: the unmount in fx_stop must still succeed
	 * and leave an image e2fsck calls clean, "gone" deleted. */
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
	int fd;

	alen = imgfs_ctl_addr(dev, &addr);
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

/* An abstract socket holding name, bound now; the caller closes it. */
static int hold_ctl_name(dev_t dev)
{
	struct sockaddr_un addr;
	socklen_t alen;
	int fd;

	alen = imgfs_ctl_addr(dev, &addr);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, alen), 0);
	return fd;
}

static void *let_name_go(void *arg)
{
	poll(NULL, 0, 300);
	close(*(int *)arg);
	return NULL;
}

/*
 * The kernel gives a mount's device number to the next mount while the
 * previous daemon may still hold the socket name: the new daemon waits
 * for the name instead of serving no statistics; one held for good is
 * refused (EADDRINUSE) after a few seconds.
 */
START_TEST(test_ctl_name_reused)
{
	dev_t dev = makedev(4001, (unsigned int)getpid() & 0xfffff);
	static char buf[1 << 16];
	pthread_t t;
	int fd;

	fd = hold_ctl_name(dev);
	ck_assert_int_eq(pthread_create(&t, NULL, let_name_go, &fd), 0);
	ck_assert_int_eq(imgfs_ctl_start(dev), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ctl_request(dev, "pid\n", buf, sizeof(buf));
	ck_assert_int_eq(atoi(buf), getpid());
	imgfs_ctl_stop();

	fd = hold_ctl_name(dev);
	ck_assert_int_eq(imgfs_ctl_start(dev), -EADDRINUSE);
	close(fd);
}
END_TEST

static Suite *fuse_nodes_suite(void)
{
	Suite *s = suite_create("fuse_nodes");
	TCase *tc = tcase_create("lookup");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_lookup_forget);
	tcase_add_test(tc, test_batch_forget);
	tcase_add_test(tc, test_entry_counts);
	tcase_add_test(tc, test_unlinked_until_forget);
	tcase_add_test(tc, test_teardown_releases_open_files);
	tcase_add_test(tc, test_generation);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_ctl_nodes);
	tcase_add_test(tc, test_ctl_name_reused);
	suite_add_tcase(s, tc);
	tc = tcase_create("readdir");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_readdir_plain);
	tcase_add_test(tc, test_readdirplus_counts);
	tcase_add_test(tc, test_readdirplus_reply_lost);
	tcase_add_test(tc, test_entry_reply_lost);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(fuse_nodes_suite)
