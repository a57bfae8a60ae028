/*
 * tests/e2e/nsx.c - random namespace operations checked against a model
 * of the tree: nsx [-n OPS] [-s SEED] DIR
 *
 * The model holds directories and files (with their link counts) under
 * DIR.  Each operation - create, mkdir, link, unlink, rmdir, rename (over
 * files, over empty and non-empty directories, into its own subtree, with
 * RENAME_NOREPLACE and RENAME_EXCHANGE) - is done for real and on the
 * model, and the error the model predicts must be the one returned.
 * Every so often, and at the end, the real tree is walked and compared:
 * names, types, link counts, which names share an inode, and each file's
 * contents (the model's number for that file).  A difference prints the
 * recent operations and the seed and exits 1.  OPS defaults to $NSX_OPS,
 * else 3000; SEED to $NSX_SEED, else the time.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#define RENAME_EXCHANGE		(1 << 1)
#endif

#define MAX_NODES	400
#define MAX_DENTS	800
#define LOG_LEN		32
#define NR_NAMES	6

struct mnode {
	int used, isdir, nlink;
	int parent_dent;	/* directories: the dentry naming it (-1: root) */
	ino_t ino;		/* the real inode, once seen */
};

struct mdent {
	int used, dir, node;	/* dir: the directory's node */
	char name[8];
};

static struct mnode nodes[MAX_NODES];
static struct mdent dents[MAX_DENTS];
static const char *top;
static unsigned long seed, op_nr;
static char oplog[LOG_LEN][300];
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static int rnd_below(int n)
{
	return n > 0 ? (int)(rnd() % (uint64_t)n) : 0;
}

static void logop(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logop(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(oplog[op_nr % LOG_LEN], sizeof(oplog[0]), fmt, ap);
	va_end(ap);
}

static void __attribute__((noreturn, format(printf, 1, 2))) failed(const char *fmt, ...)
{
	unsigned long i, first = op_nr >= LOG_LEN ? op_nr - LOG_LEN + 1 : 0;
	va_list ap;

	fprintf(stderr, "nsx: FAILED at operation %lu: ", op_nr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nnsx: the last operations:\n");
	for (i = first; i <= op_nr; i++)
		fprintf(stderr, "  %6lu %s\n", i, oplog[i % LOG_LEN]);
	fprintf(stderr, "nsx: replay with NSX_SEED=%lu (or -s %lu)\n", seed, seed);
	exit(1);
}

/* ---- the model ---------------------------------------------------------------- */

static void path_of_dir(int node, char *buf, size_t size)
{
	char tmp[4096];
	int d = nodes[node].parent_dent;

	if (d < 0) {
		snprintf(buf, size, "%s", top);
		return;
	}
	path_of_dir(dents[d].dir, tmp, sizeof(tmp));
	snprintf(buf, size, "%s/%s", tmp, dents[d].name);
}

static void path_of(int dir, const char *name, char *buf, size_t size)
{
	char d[4096];

	path_of_dir(dir, d, sizeof(d));
	snprintf(buf, size, "%s/%s", d, name);
}

static int find_dent(int dir, const char *name)
{
	int i;

	for (i = 0; i < MAX_DENTS; i++)
		if (dents[i].used && dents[i].dir == dir && !strcmp(dents[i].name, name))
			return i;
	return -1;
}

static int dir_empty(int node)
{
	int i;

	for (i = 0; i < MAX_DENTS; i++)
		if (dents[i].used && dents[i].dir == node)
			return 0;
	return 1;
}

/* Is a an ancestor of (or the same directory as) b? */
static int is_ancestor(int a, int b)
{
	for (;;) {
		if (a == b)
			return 1;
		if (nodes[b].parent_dent < 0)
			return 0;
		b = dents[nodes[b].parent_dent].dir;
	}
}

static int new_node(int isdir)
{
	int i;

	for (i = 1; i < MAX_NODES; i++)
		if (!nodes[i].used) {
			memset(&nodes[i], 0, sizeof(nodes[i]));
			nodes[i].used = 1;
			nodes[i].isdir = isdir;
			nodes[i].nlink = isdir ? 2 : 1;
			nodes[i].parent_dent = -1;
			return i;
		}
	return -1;
}

static int new_dent(int dir, const char *name, int node)
{
	int i;

	for (i = 0; i < MAX_DENTS; i++)
		if (!dents[i].used) {
			dents[i].used = 1;
			dents[i].dir = dir;
			dents[i].node = node;
			snprintf(dents[i].name, sizeof(dents[i].name), "%s", name);
			if (nodes[node].isdir)
				nodes[node].parent_dent = i;
			return i;
		}
	return -1;
}

/* Drop dentry d's link to its node (the directory stays listed). */
static void drop_dent(int d)
{
	struct mnode *n = &nodes[dents[d].node];

	dents[d].used = 0;
	if (n->isdir) {
		nodes[dents[d].dir].nlink--;
		n->used = 0;
	} else if (--n->nlink == 0) {
		n->used = 0;
	}
}

static int depth(int node)
{
	int n = 0;

	while (nodes[node].parent_dent >= 0) {
		node = dents[nodes[node].parent_dent].dir;
		n++;
	}
	return n;
}

/* A directory, not too deep (paths stay short). */
static int rnd_dir(void)
{
	int tries;

	for (tries = 0; tries < 20; tries++) {
		int n = rnd_below(MAX_NODES);

		if (nodes[n].used && nodes[n].isdir && depth(n) < 8)
			return n;
	}
	return 0;
}

/* Keep the tree within the model's arrays: grow only below 3/4. */
static int model_crowded(void)
{
	int i, n = 0, d = 0;

	for (i = 0; i < MAX_NODES; i++)
		n += nodes[i].used;
	for (i = 0; i < MAX_DENTS; i++)
		d += dents[i].used;
	return n > MAX_NODES * 3 / 4 || d > MAX_DENTS * 3 / 4;
}

static int rnd_dent(void)
{
	int tries;

	for (tries = 0; tries < 50; tries++) {
		int d = rnd_below(MAX_DENTS);

		if (dents[d].used)
			return d;
	}
	return -1;
}

static void rnd_name(char *name)
{
	name[0] = (char)('a' + rnd_below(NR_NAMES));
	name[1] = '\0';
}

static void expect(int got, int want, const char *what)
{
	if (got != want)
		failed("%s: got %s, expected %s", what, got ? strerror(got) : "success",
		       want ? strerror(want) : "success");
}

static int sys_err(int r)
{
	return r < 0 ? errno : 0;
}

/* ---- operations ----------------------------------------------------------------- */

static void write_id(const char *path, int node)
{
	FILE *f = fopen(path, "w");

	if (!f)
		failed("fopen %s: %s", path, strerror(errno));
	fprintf(f, "node %d\n", node);
	fclose(f);
}

static void op_create(int isdir)
{
	int dir = rnd_dir(), exists, node;
	char name[8], path[4200];

	if (model_crowded())
		return;
	rnd_name(name);
	path_of(dir, name, path, sizeof(path));
	exists = find_dent(dir, name) >= 0;
	logop("%s %s", isdir ? "mkdir" : "create", path);
	if (isdir) {
		expect(sys_err(mkdir(path, 0755)), exists ? EEXIST : 0, "mkdir");
	} else {
		int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);

		expect(sys_err(fd), exists ? EEXIST : 0, "create");
		if (fd >= 0)
			close(fd);
	}
	if (exists)
		return;
	node = new_node(isdir);
	if (node < 0 || new_dent(dir, name, node) < 0)
		failed("model full");
	if (isdir)
		nodes[dir].nlink++;
	else
		write_id(path, node);
}

static void op_link(void)
{
	int d = rnd_dent(), dir = rnd_dir(), want;
	char name[8], from[4200], to[4200];

	if (d < 0 || model_crowded())
		return;
	rnd_name(name);
	path_of(dents[d].dir, dents[d].name, from, sizeof(from));
	path_of(dir, name, to, sizeof(to));
	logop("link %s %s", from, to);
	want = find_dent(dir, name) >= 0 ? EEXIST : nodes[dents[d].node].isdir ? EPERM : 0;
	expect(sys_err(link(from, to)), want, "link");
	if (want)
		return;
	new_dent(dir, name, dents[d].node);
	nodes[dents[d].node].nlink++;
}

static void op_remove(int isdir)
{
	int d = rnd_dent(), want;
	char path[4200];

	if (d < 0)
		return;
	path_of(dents[d].dir, dents[d].name, path, sizeof(path));
	logop("%s %s", isdir ? "rmdir" : "unlink", path);
	if (isdir)
		want = !nodes[dents[d].node].isdir ? ENOTDIR :
		       !dir_empty(dents[d].node) ? ENOTEMPTY : 0;
	else
		want = nodes[dents[d].node].isdir ? EISDIR : 0;
	expect(sys_err(isdir ? rmdir(path) : unlink(path)), want, isdir ? "rmdir" : "unlink");
	if (!want)
		drop_dent(d);
}

/* Move dentry s to (dir, name), the model's half of a plain rename. */
static void move_dent(int s, int dir, const char *name)
{
	int node = dents[s].node;

	if (nodes[node].isdir && dents[s].dir != dir) {
		nodes[dents[s].dir].nlink--;
		nodes[dir].nlink++;
	}
	dents[s].dir = dir;
	snprintf(dents[s].name, sizeof(dents[s].name), "%s", name);
}

static void op_rename(void)
{
	int s = rnd_dent(), dir = rnd_dir(), t, want = 0, sn, flags = 0, r;
	char name[8], from[4200], to[4200];

	if (s < 0)
		return;
	if (rnd_below(5) == 0)
		flags = rnd_below(2) ? RENAME_NOREPLACE : RENAME_EXCHANGE;
	rnd_name(name);
	sn = dents[s].node;
	path_of(dents[s].dir, dents[s].name, from, sizeof(from));
	path_of(dir, name, to, sizeof(to));
	logop("rename%s %s %s", flags == RENAME_NOREPLACE ? "[noreplace]" :
	      flags == RENAME_EXCHANGE ? "[exchange]" : "", from, to);
	t = find_dent(dir, name);
	if (flags == RENAME_NOREPLACE && t >= 0)
		want = EEXIST;
	else if (flags == RENAME_EXCHANGE && t < 0)
		want = ENOENT;
	else if (nodes[sn].isdir && is_ancestor(sn, dir))
		want = EINVAL;			/* into its own subtree */
	else if (flags == RENAME_EXCHANGE && nodes[dents[t].node].isdir &&
		 is_ancestor(dents[t].node, dents[s].dir))
		want = EINVAL;
	else if (t >= 0 && flags != RENAME_EXCHANGE && nodes[dents[t].node].isdir &&
		 is_ancestor(dents[t].node, dents[s].dir))
		want = ENOTEMPTY;		/* over an ancestor of the source */
	else if (t >= 0 && dents[t].node == sn)
		want = 0;			/* the same inode: nothing happens */
	else if (t >= 0 && flags != RENAME_EXCHANGE && nodes[sn].isdir &&
		 !nodes[dents[t].node].isdir)
		want = ENOTDIR;
	else if (t >= 0 && flags != RENAME_EXCHANGE && !nodes[sn].isdir &&
		 nodes[dents[t].node].isdir)
		want = EISDIR;
	else if (t >= 0 && flags != RENAME_EXCHANGE && nodes[dents[t].node].isdir &&
		 !dir_empty(dents[t].node))
		want = ENOTEMPTY;
	r = (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags);
	expect(sys_err(r), want, "rename");
	if (want || (t >= 0 && dents[t].node == sn))
		return;
	if (flags == RENAME_EXCHANGE) {
		int sdir = dents[s].dir, tn = dents[t].node;
		char sname[8];

		snprintf(sname, sizeof(sname), "%s", dents[s].name);
		/* s's node goes to t's place and t's to s's */
		if (nodes[sn].isdir != nodes[tn].isdir && sdir != dir) {
			if (nodes[sn].isdir) {
				nodes[sdir].nlink--;
				nodes[dir].nlink++;
			} else {
				nodes[dir].nlink--;
				nodes[sdir].nlink++;
			}
		}
		dents[s].node = tn;
		dents[t].node = sn;
		if (nodes[sn].isdir)
			nodes[sn].parent_dent = t;
		if (nodes[tn].isdir)
			nodes[tn].parent_dent = s;
		return;
	}
	if (t >= 0)
		drop_dent(t);
	move_dent(s, dir, name);
}

/* ---- comparing with the real tree ---------------------------------------------- */

static void verify_dir(int node)
{
	char path[4200], p[4400], buf[64];
	struct dirent *de;
	struct stat st;
	int i, seen = 0, want = 0;
	DIR *d;

	path_of_dir(node, path, sizeof(path));
	if (lstat(path, &st))
		failed("lstat %s: %s", path, strerror(errno));
	if ((int)st.st_nlink != nodes[node].nlink)
		failed("%s: %lu links, model says %d", path, (unsigned long)st.st_nlink,
		       nodes[node].nlink);
	d = opendir(path);
	if (!d)
		failed("opendir %s: %s", path, strerror(errno));
	while ((de = readdir(d))) {
		int e;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (node == 0 && !strcmp(de->d_name, "lost+found")))
			continue;
		e = find_dent(node, de->d_name);
		if (e < 0)
			failed("%s/%s exists, not in the model", path, de->d_name);
		seen++;
	}
	closedir(d);
	for (i = 0; i < MAX_DENTS; i++) {
		struct mnode *n;
		FILE *f;

		if (!dents[i].used || dents[i].dir != node)
			continue;
		want++;
		n = &nodes[dents[i].node];
		snprintf(p, sizeof(p), "%s/%s", path, dents[i].name);
		if (lstat(p, &st))
			failed("lstat %s: %s", p, strerror(errno));
		if ((S_ISDIR(st.st_mode) ? 1 : 0) != n->isdir)
			failed("%s: type differs from the model", p);
		if (n->ino && n->ino != st.st_ino)
			failed("%s: inode %lu, earlier %lu", p, (unsigned long)st.st_ino,
			       (unsigned long)n->ino);
		n->ino = st.st_ino;
		if (n->isdir) {
			verify_dir(dents[i].node);
			continue;
		}
		if ((int)st.st_nlink != n->nlink)
			failed("%s: %lu links, model says %d", p, (unsigned long)st.st_nlink,
			       n->nlink);
		f = fopen(p, "r");
		if (!f || !fgets(buf, sizeof(buf), f) ||
		    strtol(buf + 5, NULL, 10) != dents[i].node)
			failed("%s: contents '%s', expected node %d", p, f ? buf : "?",
			       dents[i].node);
		fclose(f);
	}
	if (seen != want)
		failed("%s: %d entries, model says %d", path, seen, want);
}

static void verify(void)
{
	int i;

	/* Inode numbers may be reused once freed: forget them for nodes gone. */
	for (i = 0; i < MAX_NODES; i++)
		if (!nodes[i].used)
			nodes[i].ino = 0;
	verify_dir(0);
}

int main(int argc, char **argv)
{
	unsigned long ops = getenv("NSX_OPS") ? strtoul(getenv("NSX_OPS"), NULL, 0) : 3000, i;
	char cmd[4200];
	int opt;

	seed = getenv("NSX_SEED") ? strtoul(getenv("NSX_SEED"), NULL, 0)
				  : (unsigned long)time(NULL) ^ (unsigned long)getpid();
	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		switch (opt) {
		case 'n': ops = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoul(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	rng_state = seed;
	snprintf(cmd, sizeof(cmd), "%s/nsx", argv[optind]);
	top = strdup(cmd);
	if (mkdir(top, 0755) && errno != EEXIST)
		failed("mkdir %s: %s", top, strerror(errno));
	printf("nsx: seed %lu, %lu operations in %s\n", seed, ops, top);
	fflush(stdout);
	nodes[0].used = 1;
	nodes[0].isdir = 1;
	nodes[0].nlink = 2;
	nodes[0].parent_dent = -1;
	for (i = 0; i < ops; i++) {
		unsigned int what = (unsigned int)rnd_below(100);

		op_nr = i;
		if (what < 22)
			op_create(0);
		else if (what < 36)
			op_create(1);
		else if (what < 46)
			op_link();
		else if (what < 60)
			op_remove(0);
		else if (what < 70)
			op_remove(1);
		else
			op_rename();
		if (i % 250 == 249) {
			logop("verify");
			verify();
		}
	}
	logop("verify (end)");
	verify();
	printf("nsx: %lu operations passed (seed %lu)\n", ops, seed);
	return 0;

usage:
	fprintf(stderr, "usage: nsx [-n OPS] [-s SEED] DIR\n");
	return 2;
}
