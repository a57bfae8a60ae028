/*
 * tests/fs/ext2_test.c - helpers of the ext2 suites (see ext2_test.h).
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/fs/ext2_test.h"

int t_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

char *t_scratch(void)
{
	char *dir = strdup("./tmp-ext2-XXXXXX");

	ck_assert_ptr_nonnull(dir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

void t_scratch_free(char *dir)
{
	t_sh("rm -rf '%s'", dir);
	free(dir);
}

static void write_file(const char *path, unsigned long long size, unsigned int seed)
{
	FILE *f = fopen(path, "w");
	unsigned long long i;

	ck_assert_ptr_nonnull(f);
	for (i = 0; i < size; i++)
		fputc((int)((i * 31 + seed * 7 + (i >> 10)) & 0xff), f);
	fclose(f);
}

static void write_at(const char *path, off_t off, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, data, strlen(data), off), (ssize_t)strlen(data));
	close(fd);
}

void t_make_tree(const char *dir)
{
	char p[4096], target[300];

	snprintf(p, sizeof(p), "%s/empty", dir); write_file(p, 0, 1);
	snprintf(p, sizeof(p), "%s/small", dir); write_file(p, 100, 2);
	snprintf(p, sizeof(p), "%s/twelve", dir); write_file(p, 12 * 4096 + 5, 3);
	snprintf(p, sizeof(p), "%s/indirect", dir); write_file(p, 300 * 1024 + 17, 4);
	snprintf(p, sizeof(p), "%s/dind", dir); write_file(p, 5 * 1024 * 1024 + 3, 5);
	snprintf(p, sizeof(p), "%s/sparse", dir);
	write_at(p, 0, "head");
	write_at(p, 70LL << 20, "triple-indirect at 70 MiB");
	snprintf(p, sizeof(p), "%s/d1", dir); mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/d1/d2", dir); mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/d1/d2/d3", dir); mkdir(p, 0750);
	snprintf(p, sizeof(p), "%s/d1/d2/d3/deep", dir); write_file(p, 5000, 6);
	snprintf(p, sizeof(p), "%s/d1/f", dir); write_file(p, 2049, 7);
	snprintf(p, sizeof(p), "%s/d1/hard", dir);
	snprintf(target, sizeof(target), "%s/small", dir);
	ck_assert_int_eq(link(target, p), 0);
	snprintf(p, sizeof(p), "%s/fast", dir); ck_assert_int_eq(symlink("d1/f", p), 0);
	memset(target, 'x', 200);
	target[200] = '\0';
	snprintf(p, sizeof(p), "%s/slow", dir); ck_assert_int_eq(symlink(target, p), 0);
	snprintf(p, sizeof(p), "%s/fifo", dir); ck_assert_int_eq(mkfifo(p, 0640), 0);
	snprintf(p, sizeof(p), "%s/many", dir); mkdir(p, 0755);
	for (int i = 0; i < 150; i++) {
		snprintf(p, sizeof(p), "%s/many/entry-with-a-longish-name-%03d", dir, i);
		write_file(p, (unsigned long long)i, (unsigned int)i);
	}
	if (geteuid() == 0) {
		snprintf(p, sizeof(p), "%s/null", dir);
		mknod(p, S_IFCHR | 0666, makedev(1, 3));
		snprintf(p, sizeof(p), "%s/blk", dir);
		mknod(p, S_IFBLK | 0600, makedev(259, 70000));
		snprintf(p, sizeof(p), "%s/d1/f", dir);
		ck_assert_int_eq(chown(p, 1234, 5678), 0);
	}
}

void t_mke2fs(const char *image, unsigned int bs, const char *src,
	      unsigned long size_kb, const char *extra)
{
	char dopt[4200] = "";

	if (src)
		snprintf(dopt, sizeof(dopt), "-d '%s'", src);
	ck_assert_int_eq(t_sh("mke2fs -q -F -t ext2 -b %u %s %s '%s' %lu >/dev/null 2>&1",
			      bs, extra ? extra : "", dopt, image, size_kb), 0);
}

void t_mkimg(const char *image, unsigned int bs, const char *src, unsigned long size_kb)
{
	char dopt[4200] = "";

	if (src)
		snprintf(dopt, sizeof(dopt), "-d '%s'", src);
	ck_assert_int_eq(t_sh("./tools/mkimg/mkimg -q -b %u %s '%s' %luK", bs, dopt, image,
			      size_kb), 0);
}

void t_make_image(int maker, const char *image, unsigned int bs, const char *src,
		  unsigned long size_kb)
{
	if (maker)
		t_mkimg(image, bs, src, size_kb);
	else
		t_mke2fs(image, bs, src, size_kb, NULL);
}

void t_boot(void)
{
	const char *k = getenv("IMGFS_TEST_KMAP"), *m = getenv("IMGFS_TEST_MEM_MB");

	vm_test_boot(MiB(m ? atoi(m) : 64), 0,
		     k && !strcmp(k, "strict") ? KMAP_STRICT : KMAP_DIRECT);
}

struct super_block *t_mount(const char *image, int ro)
{
	struct ext2_mount_opts o;
	struct super_block *sb = NULL;
	const char *why = NULL;
	int err;

	ext2_mount_opts_default(&o);
	o.path = image;
	o.read_only = ro;
	err = ext2_mount(&o, &sb, &why);
	ck_assert_msg(err == 0, "ext2_mount(%s) = %d (%s)", image, err, why ? why : "");
	return sb;
}

void t_umount(struct super_block *sb)
{
	int err = ext2_unmount(sb);

	ck_assert_msg(err == 0, "ext2_unmount = %d", err);
}

int t_e2fsck(const char *image)
{
	int st = t_sh("e2fsck -fn '%s' >'%s.fsck' 2>&1", image, image);

	if (st)
		t_sh("cat '%s.fsck' >&2", image);
	t_sh("rm -f '%s.fsck'", image);
	return st;
}

unsigned long t_ino(const char *image, const char *path)
{
	char cmd[9000];
	unsigned long ino = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "debugfs -R 'stat %s' '%s' 2>/dev/null | "
		 "sed -n 's/^Inode: *\\([0-9]*\\).*/\\1/p'", path, image);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_msg(fscanf(p, "%lu", &ino) == 1, "no inode for %s", path);
	pclose(p);
	return ino;
}

/* ---- the log ---------------------------------------------------------------- */

void t_log_begin(struct t_log *l)
{
	fflush(stderr);
	l->file = tmpfile();
	ck_assert_ptr_nonnull(l->file);
	l->saved_fd = dup(STDERR_FILENO);
	ck_assert_int_ge(l->saved_fd, 0);
	ck_assert_int_ge(dup2(fileno(l->file), STDERR_FILENO), 0);
}

char *t_log_end(struct t_log *l)
{
	long len;
	char *text;

	fflush(stderr);
	ck_assert_int_ge(dup2(l->saved_fd, STDERR_FILENO), 0);
	close(l->saved_fd);
	len = ftell(l->file);
	ck_assert_int_ge(len, 0);
	text = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(text);
	rewind(l->file);
	ck_assert_int_eq(fread(text, 1, (size_t)len, l->file), len);
	text[len] = '\0';
	fclose(l->file);
	return text;
}

int t_log_count(const char *log, const char *needle)
{
	int n = 0;

	while (*log) {
		const char *end = strchr(log, '\n');
		size_t len = end ? (size_t)(end - log) : strlen(log);

		if (memmem(log, len, needle, strlen(needle)))
			n++;
		log += len + (end != NULL);
	}
	return n;
}

/* ---- walking an image ---------------------------------------------------- */

struct inode *t_walk(struct super_block *sb, const char *path)
{
	struct inode *dir, *next;
	const char *p = path;

	ck_assert_int_eq(ext2_iget(sb, EXT2_ROOT_INO_NR, &dir), 0);
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		int err = ext2_lookup(dir, p, len, &next);

		iput(dir);
		if (err)
			return NULL;
		dir = next;
		p += len;
		if (*p == '/')
			p++;
	}
	return dir;
}

char *t_read_path(struct super_block *sb, const char *path, size_t *len)
{
	struct inode *inode = t_walk(sb, path);
	char *buf;
	ssize_t n;

	if (!inode)
		return NULL;
	buf = malloc((size_t)inode->i_size + 1);
	ck_assert_ptr_nonnull(buf);
	n = ext2_file_read(inode, NULL, buf, (size_t)inode->i_size, 0);
	ck_assert_int_eq(n, inode->i_size);
	*len = (size_t)n;
	iput(inode);
	return buf;
}

/* ---- comparing with a source tree ------------------------------------------- */

static void compare_file(struct inode *inode, const char *src, const struct stat *st)
{
	int fd = open(src, O_RDONLY);
	size_t chunk = 1 << 20;
	char *a = malloc(chunk), *b = malloc(chunk);
	loff_t pos = 0;

	ck_assert_int_ge(fd, 0);
	while (pos < st->st_size) {
		ssize_t n = pread(fd, a, chunk, pos);
		ssize_t m = ext2_file_read(inode, NULL, b, chunk, pos);

		ck_assert_int_gt(n, 0);
		ck_assert_msg(m == n, "%s: read %zd at %lld, expected %zd", src, m,
			      (long long)pos, n);
		ck_assert_msg(!memcmp(a, b, (size_t)n), "%s: contents differ at %lld", src,
			      (long long)pos);
		pos += n;
	}
	ck_assert_int_eq(ext2_file_read(inode, NULL, b, chunk, pos), 0);
	close(fd);
	free(a);
	free(b);
}

static void compare_inode(struct inode *inode, const char *src, const struct stat *st)
{
	struct stat ist;

	ext2_getattr(inode, &ist);
	ck_assert_msg(ist.st_mode == st->st_mode, "%s: mode %o, expected %o", src,
		      ist.st_mode, st->st_mode);
	ck_assert_msg(ist.st_uid == st->st_uid && ist.st_gid == st->st_gid,
		      "%s: owner %u:%u", src, ist.st_uid, ist.st_gid);
	ck_assert_msg(ist.st_nlink == st->st_nlink, "%s: nlink %lu, expected %lu", src,
		      (unsigned long)ist.st_nlink, (unsigned long)st->st_nlink);
	ck_assert_msg(ist.st_mtim.tv_sec == st->st_mtim.tv_sec, "%s: mtime", src);
	if (S_ISREG(st->st_mode)) {
		ck_assert_int_eq(ist.st_size, st->st_size);
		compare_file(inode, src, st);
	} else if (S_ISLNK(st->st_mode)) {
		char a[4096], b[4096];
		ssize_t n = readlink(src, a, sizeof(a));
		ssize_t m = ext2_readlink(inode, b, sizeof(b));

		ck_assert_int_eq(m, n);
		ck_assert(!memcmp(a, b, (size_t)n));
	} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		ck_assert_msg(ist.st_rdev == st->st_rdev, "%s: rdev", src);
	}
}

struct collect {
	char **names;
	unsigned long *inos;
	int n, cap;
};

static int collect_fill(void *ctx, const char *name, size_t len, unsigned long ino,
			unsigned char dtype, loff_t next)
{
	struct collect *c = ctx;

	(void)dtype;
	(void)next;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->names = realloc(c->names, (size_t)c->cap * sizeof(char *));
		c->inos = realloc(c->inos, (size_t)c->cap * sizeof(unsigned long));
	}
	c->names[c->n] = strndup(name, len);
	c->inos[c->n++] = ino;
	return 0;
}

unsigned long t_compare_tree(struct super_block *sb, unsigned long ino, const char *src)
{
	struct collect c = { 0 };
	struct inode *dir;
	unsigned long count = 0;
	int i, nsrc = 0;
	DIR *d;
	struct dirent *e;

	ck_assert_int_eq(ext2_iget(sb, ino, &dir), 0);
	ck_assert_int_eq(ext2_readdir(dir, 0, collect_fill, &c), 0);
	iput(dir);
	d = opendir(src);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			nsrc++;
	closedir(d);
	for (i = 0; i < c.n; i++) {
		char path[4096];
		struct inode *inode;
		struct stat st;

		if (!strcmp(c.names[i], ".") || !strcmp(c.names[i], "..") ||
		    !strcmp(c.names[i], "lost+found")) {
			free(c.names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", src, c.names[i]);
		ck_assert_msg(lstat(path, &st) == 0, "%s: in the image, not in the source", path);
		ck_assert_int_eq(ext2_iget(sb, c.inos[i], &inode), 0);
		compare_inode(inode, path, &st);
		iput(inode);
		count++;
		nsrc--;
		if (S_ISDIR(st.st_mode))
			count += t_compare_tree(sb, c.inos[i], path);
		free(c.names[i]);
	}
	ck_assert_msg(nsrc == 0, "%s: %d entries missing from the image", src, nsrc);
	free(c.names);
	free(c.inos);
	return count;
}
