/*
 * tests/fs/check_ext2_write.c - ext2 writing: files written, extended,
 * truncated and punched against an in-memory model; the namespace
 * operations (create, mkdir, mknod, symlink, link, unlink, rmdir, rename
 * in all its forms); running out of space; threads working at once.
 * Every test unmounts and runs e2fsck -fn on the image, on images made by
 * mke2fs -t ext2 at block sizes 1024, 2048 and 4096.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "tests/fs/ext2_test.h"

static const unsigned int block_sizes[] = { 1024, 2048, 4096 };

struct fixture {
	char *dir;
	char src[4200], img[4200];
	struct super_block *sb;
	struct inode *root;
};

/* Image by mke2fs for _i 0-2, by mkimg for 3-5, at block_sizes[_i % 3]. */
static void setup(struct fixture *f, int i, int with_tree, unsigned long kb)
{
	unsigned int bs = block_sizes[i % 3];

	f->dir = t_scratch();
	snprintf(f->src, sizeof(f->src), "%s/src", f->dir);
	snprintf(f->img, sizeof(f->img), "%s/img", f->dir);
	mkdir(f->src, 0755);
	if (with_tree)
		t_make_tree(f->src);
	t_make_image(i / 3, f->img, bs, with_tree ? f->src : NULL, kb);
	t_boot();
	f->sb = t_mount(f->img, 0);
	ck_assert_int_eq(ext2_iget(f->sb, EXT2_ROOT_INO_NR, &f->root), 0);
}

static void remount(struct fixture *f)
{
	iput(f->root);
	t_umount(f->sb);
	ck_assert_int_eq(t_e2fsck(f->img), 0);
	f->sb = t_mount(f->img, 0);
	ck_assert_int_eq(ext2_iget(f->sb, EXT2_ROOT_INO_NR, &f->root), 0);
}

static void teardown(struct fixture *f)
{
	iput(f->root);
	t_umount(f->sb);
	ck_assert_int_eq(t_e2fsck(f->img), 0);
	vm_exit();
	t_scratch_free(f->dir);
}

static struct inode *create(struct inode *dir, const char *name)
{
	struct inode *inode;
	int err = ext2_create(dir, name, strlen(name), 0644, 1000, 1000, &inode);

	ck_assert_msg(err == 0, "create %s = %d", name, err);
	return inode;
}

static void fill_pattern(char *buf, size_t len, loff_t pos, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char)(((unsigned long long)(pos + (loff_t)i) * 131 + seed) % 251 + 1);
}

static void write_all(struct inode *inode, const char *buf, size_t len, loff_t pos)
{
	ssize_t n = ext2_file_write(inode, buf, len, pos);

	ck_assert_msg(n == (ssize_t)len, "write %zu at %lld = %zd", len, (long long)pos, n);
}

/* ---- one file against a model ------------------------------------------- */

#define MODEL_MAX	(3 << 20)

struct model {
	char *data;
	loff_t size;
};

static void model_check(struct inode *inode, const struct model *m)
{
	char *buf = malloc(MODEL_MAX);
	ssize_t n;
	struct stat st;

	ext2_getattr(inode, &st);
	ck_assert_int_eq(st.st_size, m->size);
	n = ext2_file_read(inode, NULL, buf, MODEL_MAX, 0);
	ck_assert_int_eq(n, m->size);
	for (loff_t i = 0; i < m->size; i++)
		if (buf[i] != m->data[i])
			ck_abort_msg("byte %lld is %d, model says %d", (long long)i, buf[i],
				     m->data[i]);
	free(buf);
}

static void model_op(struct inode *inode, struct model *m, unsigned int *seed)
{
	unsigned int r = rand_r(seed);
	loff_t pos = rand_r(seed) % MODEL_MAX;
	size_t len = (size_t)(rand_r(seed) % (r & 1 ? 70000 : 5000)) + 1;

	if (pos + (loff_t)len > MODEL_MAX)
		len = (size_t)(MODEL_MAX - pos);
	switch (r % 8) {
	case 0: case 1: case 2: case 3: {	/* write */
		char *buf = malloc(len);

		fill_pattern(buf, len, pos, r);
		write_all(inode, buf, len, pos);
		if (pos > m->size)
			memset(m->data + m->size, 0, (size_t)(pos - m->size));
		memcpy(m->data + pos, buf, len);
		if (pos + (loff_t)len > m->size)
			m->size = pos + (loff_t)len;
		free(buf);
		break;
	}
	case 4: case 5:			/* truncate */
		pos = rand_r(seed) % (m->size + 1 + (r & 2 ? 100000 : 0));
		if (pos > MODEL_MAX)
			pos = MODEL_MAX;
		ck_assert_int_eq(ext2_truncate(inode, pos), 0);
		if (pos > m->size)
			memset(m->data + m->size, 0, (size_t)(pos - m->size));
		m->size = pos;
		break;
	case 6:				/* punch */
		if (!m->size)
			break;
		pos = rand_r(seed) % m->size;
		ck_assert_int_eq(ext2_fallocate(inode, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
						pos, (loff_t)len), 0);
		if (pos + (loff_t)len > m->size)
			len = (size_t)(m->size - pos);
		memset(m->data + pos, 0, len);
		break;
	case 7: {			/* read a range */
		char *buf = malloc(len);
		ssize_t n = ext2_file_read(inode, NULL, buf, len, pos);
		ssize_t want = pos >= m->size ? 0 :
			       (ssize_t)(m->size - pos < (loff_t)len ? m->size - pos : (loff_t)len);

		ck_assert_int_eq(n, want);
		ck_assert(!memcmp(buf, m->data + pos, (size_t)(n > 0 ? n : 0)));
		free(buf);
		break;
	}
	}
}

START_TEST(test_model)
{
	struct fixture f;
	struct model m = { calloc(1, MODEL_MAX), 0 };
	unsigned int seed = 12345 + (unsigned int)_i;
	struct inode *inode;
	int i;

	setup(&f, _i, 0, 16384);
	inode = create(f.root, "model");
	for (i = 0; i < 300; i++) {
		model_op(inode, &m, &seed);
		if (i % 50 == 49)
			model_check(inode, &m);
	}
	model_check(inode, &m);
	iput(inode);
	remount(&f);
	inode = t_walk(f.sb, "model");
	ck_assert_ptr_nonnull(inode);
	model_check(inode, &m);
	ck_assert_int_eq(ext2_truncate(inode, 0), 0);
	iput(inode);
	teardown(&f);
	free(m.data);
}
END_TEST

/* Far offsets: indirect, double and triple indirect, and the size limit. */
START_TEST(test_far_writes)
{
	struct fixture f;
	unsigned int bs = block_sizes[_i % 3];
	loff_t offs[] = { 0, 12LL * bs - 3, (12LL + bs / 4) * bs - 1,
			  (12LL + bs / 4 + (loff_t)(bs / 4) * (bs / 4)) * bs + 77 };
	char buf[64], back[64];
	struct inode *inode;
	struct stat st;
	loff_t max;
	unsigned int i;

	setup(&f, _i, 0, 16384);
	inode = create(f.root, "far");
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		fill_pattern(buf, sizeof(buf), offs[i], i);
		write_all(inode, buf, sizeof(buf), offs[i]);
	}
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		fill_pattern(buf, sizeof(buf), offs[i], i);
		ck_assert_int_eq(ext2_file_read(inode, NULL, back, sizeof(back), offs[i]), 64);
		ck_assert(!memcmp(buf, back, sizeof(buf)));
		ck_assert_int_eq(ext2_seek_data(inode, offs[i] > 0 ? offs[i] - 1 : 0, SEEK_DATA),
				 offs[i] > 0 ? offs[i] - 1 : 0);
		if (i)
			ck_assert_int_eq(ext2_seek_data(inode, offs[i - 1] + 64 + 2LL * bs, SEEK_DATA),
					 offs[i] & ~(loff_t)(bs - 1));
	}
	/* holes read as zeros */
	ck_assert_int_eq(ext2_file_read(inode, NULL, back, sizeof(back), 5LL * bs * 12), 64);
	for (i = 0; i < sizeof(back); i++)
		ck_assert_int_eq(back[i], 0);
	ck_assert_int_eq(ext2_seek_data(inode, 64, SEEK_HOLE), bs);
	ext2_getattr(inode, &st);
	ck_assert_int_lt(st.st_blocks, 40 * (bs / 512));	/* sparse stays sparse */
	/* the format's limit */
	max = (loff_t)f.sb->s_maxbytes;
	ck_assert_int_eq(ext2_file_write(inode, buf, 1, max), -EFBIG);
	ck_assert_int_eq(ext2_truncate(inode, max + 1), -EFBIG);
	ck_assert_int_eq(ext2_file_write(inode, buf, 10, max - 4), 4);
	ext2_getattr(inode, &st);
	ck_assert_int_eq(st.st_size, max);
	ck_assert_int_eq(ext2_file_read(inode, NULL, back, 10, max - 4), 4);
	ck_assert(!memcmp(back, buf, 4));
	iput(inode);
	remount(&f);
	inode = t_walk(f.sb, "far");
	ext2_getattr(inode, &st);
	ck_assert_int_eq(st.st_size, max);
	/* truncating at every depth */
	for (i = ARRAY_SIZE(offs); i-- > 1;) {
		ck_assert_int_eq(ext2_truncate(inode, offs[i] + 10), 0);
		fill_pattern(buf, sizeof(buf), offs[i], i);
		ck_assert_int_eq(ext2_file_read(inode, NULL, back, sizeof(back), offs[i]), 10);
		ck_assert(!memcmp(buf, back, 10));
	}
	iput(inode);
	teardown(&f);
}
END_TEST

/* ---- the namespace -------------------------------------------------------- */

static int lookup_ino(struct inode *dir, const char *name, unsigned long *ino)
{
	struct inode *inode;
	int err = ext2_lookup(dir, name, strlen(name), &inode);

	if (err)
		return err;
	*ino = inode->i_ino;
	iput(inode);
	return 0;
}

static struct inode *mkdir_(struct inode *dir, const char *name)
{
	struct inode *inode;

	ck_assert_int_eq(ext2_mkdir(dir, name, strlen(name), 0755, 0, 0, &inode), 0);
	return inode;
}

static unsigned long ext2_dotdot_ino(struct inode *dir)
{
	unsigned long ino = 0;

	ck_assert_int_eq(lookup_ino(dir, "..", &ino), 0);
	return ino;
}

#define RENAME(od, on, nd, nn, fl) \
	ext2_rename(od, on, strlen(on), nd, nn, strlen(nn), fl)

START_TEST(test_namespace)
{
	struct fixture f;
	struct inode *a, *b, *c, *file, *tmp;
	unsigned long ino, ino2;
	char name[300], buf[300];
	struct stat st;

	setup(&f, _i, 1, 32768);
	/* create, mkdir, mknod, symlinks */
	a = mkdir_(f.root, "a");
	b = mkdir_(f.root, "b");
	c = mkdir_(a, "c");
	file = create(a, "file");
	write_all(file, "hello", 5, 0);
	ck_assert_int_eq(ext2_create(a, "file", 4, 0644, 0, 0, &tmp), -EEXIST);
	memset(name, 'n', 256);
	ck_assert_int_eq(ext2_create(a, name, 256, 0644, 0, 0, &tmp), -ENAMETOOLONG);
	ck_assert_int_eq(ext2_create(a, name, 255, 0644, 0, 0, &tmp), 0);
	iput(tmp);
	ck_assert_int_eq(ext2_mknod(a, "fifo", 4, S_IFIFO | 0600, 0, 0, 0, &tmp), 0);
	iput(tmp);
	ck_assert_int_eq(ext2_mknod(a, "sock", 4, S_IFSOCK | 0600, 0, 0, 0, &tmp), 0);
	iput(tmp);
	ck_assert_int_eq(ext2_mknod(a, "chr", 3, S_IFCHR | 0600, makedev(4, 64), 0, 0, &tmp), 0);
	iput(tmp);
	ck_assert_int_eq(ext2_mknod(a, "blk", 3, S_IFBLK | 0600, makedev(300, 70000), 0, 0,
				    &tmp), 0);
	iput(tmp);
	ck_assert_int_eq(ext2_symlink(a, "fast", 4, "file", 0, 0, &tmp), 0);
	iput(tmp);
	memset(buf, 's', 200);
	buf[200] = 0;
	ck_assert_int_eq(ext2_symlink(a, "slow", 4, buf, 0, 0, &tmp), 0);
	iput(tmp);
	/* links */
	ck_assert_int_eq(ext2_link(file, b, "hard", 4), 0);
	ck_assert_int_eq(ext2_link(a, b, "dirlink", 7), -EPERM);
	ext2_getattr(file, &st);
	ck_assert_int_eq(st.st_nlink, 2);
	/* rename: same dir, cross dir, over a file, NOREPLACE, EXCHANGE */
	ck_assert_int_eq(RENAME(a, "file", a, "file2", 0), 0);
	ck_assert_int_eq(lookup_ino(a, "file", &ino), -ENOENT);
	ck_assert_int_eq(RENAME(a, "file2", b, "file3", 0), 0);
	ck_assert_int_eq(RENAME(b, "file3", b, "hard", 0), 0);	/* same inode: no-op */
	ck_assert_int_eq(lookup_ino(b, "file3", &ino), 0);
	tmp = create(b, "victim");
	iput(tmp);
	ck_assert_int_eq(RENAME(b, "file3", b, "victim", RENAME_NOREPLACE), -EEXIST);
	ck_assert_int_eq(RENAME(b, "file3", b, "victim", 0), 0);
	ck_assert_int_eq(lookup_ino(b, "victim", &ino), 0);
	ck_assert_int_eq(ino, file->i_ino);
	ck_assert_int_eq(RENAME(a, "fast", b, "victim", RENAME_EXCHANGE), 0);
	ck_assert_int_eq(lookup_ino(a, "fast", &ino2), 0);
	ck_assert_int_eq(ino2, file->i_ino);
	ck_assert_int_eq(RENAME(a, "fast", b, "victim", RENAME_EXCHANGE), 0);
	/* directories: move with .. updated, into itself, over empty/non-empty */
	ck_assert_int_eq(RENAME(f.root, "a", c, "x", 0), -EINVAL);
	ck_assert_int_eq(RENAME(a, "c", b, "c", 0), 0);
	ck_assert_int_eq(ext2_dotdot_ino(c), b->i_ino);
	ext2_getattr(a, &st);
	ck_assert_int_eq(st.st_nlink, 2);
	ext2_getattr(b, &st);
	ck_assert_int_eq(st.st_nlink, 3);
	tmp = mkdir_(a, "empty");
	iput(tmp);
	ck_assert_int_eq(RENAME(b, "c", a, "empty", 0), 0);
	ck_assert_int_eq(ext2_dotdot_ino(c), a->i_ino);
	ck_assert_int_eq(RENAME(a, "empty", f.root, "d1", 0), -ENOTEMPTY);
	ck_assert_int_eq(RENAME(f.root, "small", a, "empty", 0), -EISDIR);
	ck_assert_int_eq(RENAME(a, "empty", f.root, "small", 0), -ENOTDIR);
	ck_assert_int_eq(RENAME(f.root, "d1", a, "dd", RENAME_EXCHANGE), -ENOENT);
	ck_assert_int_eq(RENAME(f.root, "d1", b, "hard", RENAME_EXCHANGE), 0);
	ck_assert_int_eq(RENAME(f.root, "d1", b, "hard", RENAME_EXCHANGE), 0);
	/* unlink and rmdir */
	ck_assert_int_eq(ext2_rmdir(f.root, "d1", 2), -ENOTEMPTY);
	ck_assert_int_eq(ext2_unlink(f.root, "d1", 2), -EISDIR);
	ck_assert_int_eq(ext2_rmdir(f.root, "small", 5), -ENOTDIR);
	ck_assert_int_eq(ext2_unlink(f.root, "indirect", 8), 0);
	ck_assert_int_eq(ext2_unlink(f.root, "indirect", 8), -ENOENT);
	ck_assert_int_eq(ext2_unlink(b, "hard", 4), 0);
	ext2_getattr(file, &st);
	ck_assert_int_eq(st.st_nlink, 1);
	for (int i = 0; i < 150; i += 2) {
		snprintf(name, sizeof(name), "entry-with-a-longish-name-%03d", i);
		ck_assert_int_eq(RENAME(f.root, "many", f.root, "many", 0), 0);
		tmp = t_walk(f.sb, "many");
		ck_assert_int_eq(ext2_unlink(tmp, name, strlen(name)), 0);
		iput(tmp);
	}
	iput(file);
	iput(c);
	iput(b);
	iput(a);
	remount(&f);
	a = t_walk(f.sb, "a");
	ck_assert_ptr_nonnull(a);
	tmp = t_walk(f.sb, "a/slow");
	ck_assert_int_eq(ext2_readlink(tmp, buf, sizeof(buf)), 200);
	iput(tmp);
	tmp = t_walk(f.sb, "a/blk");
	ext2_getattr(tmp, &st);
	ck_assert_int_eq(major(st.st_rdev), 300);
	ck_assert_int_eq(minor(st.st_rdev), 70000);
	iput(tmp);
	ck_assert_int_eq(ext2_rmdir(a, "empty", 5), 0);
	iput(a);
	teardown(&f);
}
END_TEST

/* ---- running out of space ---------------------------------------------------- */

START_TEST(test_enospc)
{
	struct fixture f;
	char *buf = calloc(1, 1 << 16);
	struct inode *inode;
	struct ext2_statfs st;
	loff_t pos = 0;
	ssize_t n;
	int i, err = 0;

	setup(&f, _i, 0, 2048);
	inode = create(f.root, "big");
	while ((n = ext2_file_write(inode, buf, 1 << 16, pos)) > 0)
		pos += n;
	ck_assert_int_eq(n, -ENOSPC);
	iput(inode);
	for (i = 0; i < 100000 && !err; i++) {
		char name[32];

		snprintf(name, sizeof(name), "f%d", i);
		err = ext2_create(f.root, name, strlen(name), 0644, 0, 0, &inode);
		if (!err)
			iput(inode);
	}
	ck_assert(err == -ENOSPC);
	remount(&f);
	ck_assert_int_eq(ext2_unlink(f.root, "big", 3), 0);
	ext2_statfs(f.sb, &st);
	ck_assert_int_gt(st.bfree, st.blocks / 2);
	teardown(&f);
	free(buf);
}
END_TEST

/* ---- threads ----------------------------------------------------------------- */

struct worker {
	struct inode *dir;
	int id, errors;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char name[64], buf[10000], back[10000];
	int i;

	for (i = 0; i < 60; i++) {
		struct inode *inode;

		snprintf(name, sizeof(name), "t%d-f%d", w->id, i);
		if (ext2_create(w->dir, name, strlen(name), 0644, 0, 0, &inode)) {
			w->errors++;
			continue;
		}
		fill_pattern(buf, sizeof(buf), i, (unsigned int)w->id);
		if (ext2_file_write(inode, buf, sizeof(buf), 0) != sizeof(buf) ||
		    ext2_file_read(inode, NULL, back, sizeof(back), 0) != sizeof(back) ||
		    memcmp(buf, back, sizeof(buf)))
			w->errors++;
		iput(inode);
		if (i % 3 == 0 && ext2_unlink(w->dir, name, strlen(name)))
			w->errors++;
		if (i % 7 == 0) {
			char nn[64];

			snprintf(nn, sizeof(nn), "t%d-r%d", w->id, i);
			if (ext2_rename(w->dir, name, strlen(name), w->dir, nn, strlen(nn), 0) &&
			    i % 3)
				w->errors++;
		}
	}
	return NULL;
}

START_TEST(test_threads)
{
	enum { NT = 6 };
	struct fixture f;
	struct worker w[NT];
	pthread_t th[NT];
	struct inode *shared;
	int i;

	setup(&f, _i, 0, 16384);
	shared = mkdir_(f.root, "shared");
	for (i = 0; i < NT; i++) {
		char name[16];

		snprintf(name, sizeof(name), "dir%d", i);
		w[i].dir = i % 2 ? mkdir_(f.root, name) : shared;
		w[i].id = i;
		w[i].errors = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].errors, 0);
		if (w[i].dir != shared)
			iput(w[i].dir);
	}
	iput(shared);
	teardown(&f);
}
END_TEST

/*
 * Cross-directory renames of directories racing creates, unlinks and
 * rmdirs in both directories and below: no deadlock, every call returns
 * what its race allows, the namespace at the end is what the successes
 * add up to, and a clean image.  Names are per thread ("r<id>"), so only
 * the shared "mover" can be missing when looked for.
 */
struct racer {
	struct inode *a, *b;
	int id, iters;
	int moved_ab, moved_ba;		/* renames of mover that succeeded */
	int found;			/* lookups of mover that found it */
	int bad, bad_err;		/* calls that returned what they must not */
	const char *bad_op;
};

/* Record err unless it is 0 or allowed (0 when none is). */
static int expect(struct racer *r, const char *op, int err, int allowed)
{
	if (err && err != allowed && !r->bad++) {
		r->bad_op = op;
		r->bad_err = err;
	}
	return err;
}

static void race_mover(struct racer *r)
{
	if (!expect(r, "rename a->b", ext2_rename(r->a, "mover", 5, r->b, "mover", 5, 0),
		    -ENOENT))
		r->moved_ab++;
	if (!expect(r, "rename b->a", ext2_rename(r->b, "mover", 5, r->a, "mover", 5, 0),
		    -ENOENT))
		r->moved_ba++;
}

static void race_files(struct racer *r, const char *name, int i)
{
	struct inode *dir = i & 1 ? r->a : r->b, *x;

	if (!expect(r, "create", ext2_create(dir, name, strlen(name), 0644, 0, 0, &x), 0))
		iput(x);
	expect(r, "unlink", ext2_unlink(dir, name, strlen(name)), 0);
}

static void race_dirs(struct racer *r, const char *name)
{
	struct inode *x;

	if (!expect(r, "mkdir", ext2_mkdir(r->a, name, strlen(name), 0755, 0, 0, &x), 0))
		iput(x);
	expect(r, "rename dir", ext2_rename(r->a, name, strlen(name), r->b, name, strlen(name), 0),
	       0);
	expect(r, "rmdir", ext2_rmdir(r->b, name, strlen(name)), 0);
}

static void race_inside(struct racer *r, const char *name)
{
	struct inode *x, *y;

	/* Between the two lookups mover may go from b to a: both miss. */
	if (expect(r, "lookup a", ext2_lookup(r->a, "mover", 5, &x), -ENOENT) &&
	    expect(r, "lookup b", ext2_lookup(r->b, "mover", 5, &x), -ENOENT))
		return;
	r->found++;
	if (!expect(r, "create inside", ext2_create(x, name, strlen(name), 0644, 0, 0, &y), 0))
		iput(y);
	expect(r, "unlink inside", ext2_unlink(x, name, strlen(name)), 0);
	iput(x);
}

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	char name[32];
	int i;

	snprintf(name, sizeof(name), "r%d", r->id);
	for (i = 0; i < r->iters; i++) {
		switch (r->id % 4) {
		case 0:		/* move a directory between a and b */
			race_mover(r);
			break;
		case 1:		/* files in both */
			race_files(r, name, i);
			break;
		case 2:		/* directories appear and go */
			race_dirs(r, name);
			break;
		case 3:		/* inside the moving directory */
			race_inside(r, name);
			break;
		}
	}
	return NULL;
}

static int count_entry(void *ctx, const char *name, size_t len, unsigned long ino,
		       unsigned char dtype, loff_t next)
{
	int *n = ctx;

	(void)ino; (void)dtype; (void)next;
	if (!(len == 1 && name[0] == '.') && !(len == 2 && !memcmp(name, "..", 2)))
		(*n)++;
	return 0;
}

/* Entries of dir but . and .. */
static int entries(struct inode *dir)
{
	int n = 0;

	ck_assert_int_eq(ext2_readdir(dir, 0, count_entry, &n), 0);
	return n;
}

START_TEST(test_rename_threads)
{
	enum { NT = 8, ITERS = 150 };
	struct fixture f;
	struct racer r[NT];
	pthread_t th[NT];
	struct inode *a, *b, *m, *where;
	int i, ab = 0, ba = 0;

	setup(&f, _i, 0, 16384);
	a = mkdir_(f.root, "a");
	b = mkdir_(f.root, "b");
	m = mkdir_(a, "mover");
	iput(m);
	for (i = 0; i < NT; i++) {
		r[i] = (struct racer){ .a = a, .b = b, .id = i, .iters = ITERS };
		ck_assert_int_eq(pthread_create(&th[i], NULL, racer_main, &r[i]), 0);
	}
	for (i = 0; i < NT; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	for (i = 0; i < NT; i++) {
		ck_assert_msg(!r[i].bad, "racer %d: %d bad calls, the first %s = %d", i,
			      r[i].bad, r[i].bad_op, r[i].bad_err);
		ab += r[i].moved_ab;
		ba += r[i].moved_ba;
	}
	/* The first a->b rename of all finds mover in a; after that each
	 * success moves it to the other side: a and b alternate. */
	ck_assert_int_ge(ab, 1);
	ck_assert_msg(ab == ba || ab == ba + 1, "%d renames a->b, %d b->a", ab, ba);
	where = ab == ba ? a : b;
	ck_assert_int_eq(ext2_lookup(where, "mover", 5, &m), 0);
	ck_assert_int_eq(entries(m), 0);
	iput(m);
	ck_assert_int_eq(ext2_lookup(where == a ? b : a, "mover", 5, &m), -ENOENT);
	ck_assert_int_eq(entries(a), where == a);	/* every r<id> went again */
	ck_assert_int_eq(entries(b), where == b);
	ck_assert_uint_eq(a->i_nlink, 2 + (where == a));
	ck_assert_uint_eq(b->i_nlink, 2 + (where == b));
	iput(a);
	iput(b);
	teardown(&f);
}
END_TEST

START_TEST(test_icache_prune)
{
	struct fixture f;
	unsigned long before, after;
	struct inode *many, *inode;
	char name[64];
	int freed, i;

	setup(&f, 0, 1, 32768);
	before = nr_cached_inodes();
	many = t_walk(f.sb, "many");
	for (i = 0; i < 150; i++) {
		snprintf(name, sizeof(name), "entry-with-a-longish-name-%03d", i);
		ck_assert_int_eq(ext2_lookup(many, name, strlen(name), &inode), 0);
		iput(inode);
	}
	iput(many);
	after = nr_cached_inodes();
	ck_assert_int_ge(after, before + 150);
	freed = prune_icache(100000);
	ck_assert_int_ge(freed, 150);
	ck_assert_int_le(nr_cached_inodes(), after - 150);
	t_compare_tree(f.sb, EXT2_ROOT_INO_NR, f.src);
	teardown(&f);
}
END_TEST

/*
 * stat while the link counts change: ext2_getattr reads i_nlink and
 * i_size without i_sem (the kernel asks for attributes while another
 * request of the same mount mkdirs, links or renames), so every writer of
 * them stores with WRITE_ONCE, or TSan reports a data race.  The counts
 * seen stay within what the changes allow, and end where they began.
 */
struct nlinker {
	struct inode *d, *e, *file;
	int iters, errors;
	int done;
};

static void *nlinker_main(void *arg)
{
	struct nlinker *n = arg;
	struct inode *c;
	int i;

	for (i = 0; i < n->iters; i++) {
		if (ext2_mkdir(n->d, "c", 1, 0755, 0, 0, &c))
			n->errors++;
		else
			iput(c);
		if (ext2_rename(n->d, "c", 1, n->e, "c", 1, 0))	/* move_dir */
			n->errors++;
		if (ext2_rmdir(n->e, "c", 1))
			n->errors++;
		if (ext2_link(n->file, n->d, "l", 1) || ext2_unlink(n->d, "l", 1))
			n->errors++;
	}
	__atomic_store_n(&n->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

START_TEST(test_stat_nlink_threads)
{
	struct fixture f;
	struct nlinker n;
	struct stat st;
	pthread_t th;

	setup(&f, 0, 0, 16384);
	n = (struct nlinker){ .d = mkdir_(f.root, "d"), .e = mkdir_(f.root, "e"),
			      .file = create(f.root, "file"), .iters = 300 };
	ck_assert_int_eq(pthread_create(&th, NULL, nlinker_main, &n), 0);
	while (!__atomic_load_n(&n.done, __ATOMIC_ACQUIRE)) {
		ext2_getattr(n.d, &st);
		ck_assert_uint_le(st.st_nlink - 2, 1);
		ext2_getattr(n.e, &st);
		ck_assert_uint_le(st.st_nlink - 2, 1);
		ext2_getattr(n.file, &st);
		ck_assert_uint_le(st.st_nlink - 1, 1);
	}
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(n.errors, 0);
	ck_assert_uint_eq(n.d->i_nlink, 2);
	ck_assert_uint_eq(n.e->i_nlink, 2);
	ck_assert_uint_eq(n.file->i_nlink, 1);
	iput(n.d);
	iput(n.e);
	iput(n.file);
	teardown(&f);
}
END_TEST

static Suite *ext2_write_suite(void)
{
	Suite *s = suite_create("ext2_write");
	TCase *tc = tcase_create("write");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_model, 0, 6);
	tcase_add_loop_test(tc, test_far_writes, 0, 6);
	tcase_add_loop_test(tc, test_namespace, 0, 6);
	tcase_add_loop_test(tc, test_enospc, 0, 6);
	tcase_add_loop_test(tc, test_threads, 0, 6);
	tcase_add_loop_test(tc, test_rename_threads, 0, 3);
	tcase_add_test(tc, test_icache_prune);
	tcase_add_test(tc, test_stat_nlink_threads);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(ext2_write_suite)
