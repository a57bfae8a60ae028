/*
 * tools/mkimg/mkimg.c - make an ext2 image, optionally filled from a
 * directory tree (like mke2fs -t ext2 [-d DIR]).
 *
 *   mkimg [-q] [-b 1024|2048|4096] [-N inodes] [-i bytes-per-inode]
 *         [-I 128|256] [-m reserved%] [-L label] [-U uuid] [-d DIR]
 *         IMAGE SIZE
 *
 * The image is written only through the project's own stack: the VM is
 * booted (a 64 MiB arena), ext2_mkfs lays the file system out through the
 * block device's buffer cache, then the image is mounted with fs/ext2 and
 * the tree is copied in with the ordinary operations (ext2_mkdir,
 * ext2_create, ext2_file_write, ext2_symlink, ext2_mknod, ext2_link,
 * ext2_setattr), and unmounted.  Only reading the source tree uses libc.
 *
 * Reproducibility: with SOURCE_DATE_EPOCH set, every timestamp the file
 * system writes is that time, the times copied from the tree are clamped
 * to it, and the UUID and hash seed (unless -U) derive from it, the label
 * and the size; directories are copied in name order.  The same inputs
 * then give the same bytes.
 *
 * Failure leaves nothing: the image is built under a temporary name made
 * with O_EXCL next to IMAGE and renamed over IMAGE only on success.
 *
 * One owner per image: an IMAGE that is in use (a mount holds it,
 * blockdev/claim.c) is refused before anything is written, and held
 * exclusively from then until the rename, so no mount starts on the file
 * about to be replaced.  A block device IMAGE is written in place, opened
 * O_EXCL like any read-write owner (no temporary, nothing to rename).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "fs/ext2/ext2.h"
#include "vm/vm.h"

#define MKIMG_ARENA	(64UL << 20)
#define COPY_CHUNK	(1U << 20)

struct options {
	struct ext2_mkfs_opts mkfs;
	const char *image, *src;
	int quiet, have_uuid, have_epoch;
	time_t epoch;
};

/* A source file with several links: the image inode it became. */
struct hardlink {
	dev_t dev;
	ino_t ino;
	unsigned long image_ino;
};

struct copier {
	const struct options *opt;
	struct super_block *sb;
	struct hardlink *links;
	size_t nlinks, cap;
	char *buf;
	const char *failed_path;	/* for the message */
};

static const char *prog = "mkimg";

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(void)
{
	fprintf(stderr, "usage: %s [-q] [-b 1024|2048|4096] [-N inodes] [-i bytes-per-inode]\n"
		"             [-I 128|256] [-m reserved%%] [-L label] [-U uuid] [-d dir]\n"
		"             IMAGE SIZE\n", prog);
}

/* ---- options ------------------------------------------------------------ */

static int parse_ulong(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || !*s || *end || *s == '-' ? -1 : 0;
}

static int parse_uuid(const char *s, unsigned char uuid[16])
{
	int i = 0;

	while (*s && i < 32) {
		int hi;

		if (*s == '-') {
			s++;
			continue;
		}
		if (sscanf(s, "%1x", (unsigned int *)&hi) != 1)
			return -1;
		if (i & 1)
			uuid[i / 2] |= (unsigned char)hi;
		else
			uuid[i / 2] = (unsigned char)(hi << 4);
		i++;
		s++;
	}
	return i == 32 && !*s ? 0 : -1;
}

/* splitmix64: the derived UUID and hash seed of a reproducible image. */
static uint64_t mix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill_random(struct options *o)
{
	unsigned char bytes[32];
	uint64_t st = (uint64_t)o->epoch * 31 + o->mkfs.size;
	size_t i;
	int fd;

	for (i = 0; o->mkfs.label[i]; i++)
		st = st * 131 + (unsigned char)o->mkfs.label[i];
	if (o->have_epoch || (fd = open("/dev/urandom", O_RDONLY)) < 0 ||
	    read(fd, bytes, sizeof(bytes)) != (ssize_t)sizeof(bytes)) {
		for (i = 0; i < sizeof(bytes); i += 8) {
			uint64_t r = mix(&st);

			memcpy(bytes + i, &r, 8);
		}
	} else {
		close(fd);
	}
	if (!o->have_uuid) {
		memcpy(o->mkfs.uuid, bytes, 16);
		o->mkfs.uuid[6] = (o->mkfs.uuid[6] & 0x0f) | 0x40;	/* version 4 */
		o->mkfs.uuid[8] = (o->mkfs.uuid[8] & 0x3f) | 0x80;
	}
	memcpy(o->mkfs.hash_seed, bytes + 16, 16);
}

static int parse_epoch(struct options *o)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	unsigned long v;

	if (!s)
		return 0;
	if (parse_ulong(s, &v) || v > 0xffffffffUL) {
		msg("SOURCE_DATE_EPOCH is not a number of seconds: %s", s);
		return -1;
	}
	o->have_epoch = 1;
	o->epoch = (time_t)v;
	return 0;
}

/* -q, -d, -L, -U.  1 if c is not one of them. */
static int parse_text_option(struct options *o, int c, const char *arg)
{
	switch (c) {
	case 'q':
		o->quiet = 1;
		return 0;
	case 'd':
		o->src = arg;
		return 0;
	case 'L':
		if (strlen(arg) > 16) {
			msg("label longer than 16 bytes: %s", arg);
			return -1;
		}
		strncpy(o->mkfs.label, arg, sizeof(o->mkfs.label) - 1);
		return 0;
	case 'U':
		if (parse_uuid(arg, o->mkfs.uuid)) {
			msg("bad UUID: %s", arg);
			return -1;
		}
		o->have_uuid = 1;
		return 0;
	}
	return 1;
}

static int parse_option(struct options *o, int c, const char *arg)
{
	unsigned long v;
	int ret = parse_text_option(o, c, arg);

	if (ret <= 0)
		return ret;
	if (parse_ulong(arg, &v)) {
		msg("-%c needs a number: %s", c, arg);
		return -1;
	}
	switch (c) {
	case 'b':
		o->mkfs.block_size = (unsigned int)v;
		if (v != 1024 && v != 2048 && v != 4096) {
			msg("block size must be 1024, 2048 or 4096: %s", arg);
			return -1;
		}
		return 0;
	case 'N':
		o->mkfs.inodes = v;
		return 0;
	case 'i':
		if (v < 1024 || v > (64UL << 20)) {
			msg("bytes per inode must be 1024 to 67108864: %s", arg);
			return -1;
		}
		o->mkfs.bytes_per_inode = v;
		return 0;
	case 'I':
		if (v != 128 && v != 256) {
			msg("inode size must be 128 or 256: %s", arg);
			return -1;
		}
		o->mkfs.inode_size = (unsigned int)v;
		return 0;
	case 'm':
		if (v > 50) {
			msg("reserved percentage must be 0 to 50: %s", arg);
			return -1;
		}
		o->mkfs.reserved_percent = (int)v;
		return 0;
	}
	return -1;
}

static int parse_args(struct options *o, int argc, char **argv)
{
	unsigned long size;
	int c;

	ext2_mkfs_opts_default(&o->mkfs);
	while ((c = getopt(argc, argv, "qb:N:i:I:m:L:U:d:")) != -1) {
		if (c == '?' || parse_option(o, c, optarg)) {
			usage();
			return -1;
		}
	}
	if (argc - optind != 2) {
		usage();
		return -1;
	}
	o->image = argv[optind];
	if (vm_parse_size(argv[optind + 1], &size) || !size) {
		msg("bad size: %s", argv[optind + 1]);
		return -1;
	}
	o->mkfs.size = size;
	if (parse_epoch(o))
		return -1;
	o->mkfs.now = o->have_epoch ? o->epoch : time(NULL);
	o->mkfs.zeroed = 1;
	fill_random(o);
	return 0;
}

/* ---- copying the tree ---------------------------------------------------- */

static struct timespec clamp(const struct options *o, struct timespec ts)
{
	if (o->have_epoch && ts.tv_sec >= o->epoch) {
		ts.tv_sec = o->epoch;
		ts.tv_nsec = 0;
	}
	return ts;
}

static int set_attrs(struct copier *c, struct inode *inode, const struct stat *st)
{
	struct ext2_iattr a = {
		.valid = EXT2_ATTR_UID | EXT2_ATTR_GID | EXT2_ATTR_ATIME | EXT2_ATTR_MTIME |
			 EXT2_ATTR_CTIME,
		.uid = st->st_uid, .gid = st->st_gid,
		.atime = clamp(c->opt, st->st_atim), .mtime = clamp(c->opt, st->st_mtim),
		.ctime = clamp(c->opt, st->st_ctim),
	};

	if (!S_ISLNK(st->st_mode)) {
		a.valid |= EXT2_ATTR_MODE;
		a.mode = st->st_mode & 07777;
	}
	return ext2_setattr(inode, &a);
}

/* Copy the data extents of the open file fd into inode.  0 or -errno. */
static int copy_data(struct copier *c, int fd, struct inode *inode, const struct stat *st)
{
	off_t pos = 0;

	while (pos < st->st_size) {
		off_t data = lseek(fd, pos, SEEK_DATA), hole;

		if (data < 0)
			break;		/* only a hole is left (or no SEEK_DATA: read all) */
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			hole = st->st_size;
		for (pos = data; pos < hole;) {
			ssize_t n = pread(fd, c->buf, COPY_CHUNK, pos), w;

			if (n < 0)
				return -errno;
			if (!n)
				break;
			w = ext2_file_write(inode, c->buf, (size_t)n, pos);
			if (w < 0)
				return (int)w;
			if (w != n)
				return -ENOSPC;
			pos += n;
		}
	}
	return ext2_truncate(inode, st->st_size);
}

static struct hardlink *find_link(struct copier *c, const struct stat *st)
{
	size_t i;

	for (i = 0; i < c->nlinks; i++)
		if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino)
			return &c->links[i];
	return NULL;
}

static int remember_link(struct copier *c, const struct stat *st, unsigned long ino)
{
	if (c->nlinks == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct hardlink *n = realloc(c->links, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->links = n;
		c->cap = cap;
	}
	c->links[c->nlinks].dev = st->st_dev;
	c->links[c->nlinks].ino = st->st_ino;
	c->links[c->nlinks++].image_ino = ino;
	return 0;
}

static int copy_regular(struct copier *c, struct inode *dir, const char *name,
			const char *path, const struct stat *st)
{
	struct hardlink *hl = st->st_nlink > 1 ? find_link(c, st) : NULL;
	struct inode *inode;
	int fd, err;

	if (hl) {
		err = ext2_iget(c->sb, hl->image_ino, &inode);
		if (!err) {
			err = ext2_link(inode, dir, name, strlen(name));
			iput(inode);
		}
		return err;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	err = ext2_create(dir, name, strlen(name), st->st_mode & 07777, st->st_uid,
			  st->st_gid, &inode);
	if (!err) {
		err = copy_data(c, fd, inode, st);
		if (!err)
			err = set_attrs(c, inode, st);
		if (!err && st->st_nlink > 1)
			err = remember_link(c, st, inode->i_ino);
		iput(inode);
	}
	close(fd);
	return err;
}

static int copy_tree(struct copier *c, struct inode *dir, const char *path);

static int copy_entry(struct copier *c, struct inode *dir, const char *name,
		      const char *path)
{
	struct inode *inode = NULL;
	char target[PATH_MAX + 1];
	struct stat st;
	ssize_t n;
	int err;

	if (lstat(path, &st))
		return -errno;
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		return copy_regular(c, dir, name, path, &st);
	case S_IFDIR:
		err = ext2_mkdir(dir, name, strlen(name), st.st_mode & 07777, st.st_uid,
				 st.st_gid, &inode);
		if (!err)
			err = copy_tree(c, inode, path);
		break;
	case S_IFLNK:
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		err = ext2_symlink(dir, name, strlen(name), target, st.st_uid, st.st_gid, &inode);
		break;
	default:
		err = ext2_mknod(dir, name, strlen(name), st.st_mode, st.st_rdev, st.st_uid,
				 st.st_gid, &inode);
		break;
	}
	if (!err)
		err = set_attrs(c, inode, &st);
	iput(inode);
	return err;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

static int copy_tree(struct copier *c, struct inode *dir, const char *path)
{
	struct dirent **names;
	int n = scandir(path, &names, skip_dots, by_name), i, err = 0;

	if (n < 0) {
		c->failed_path = strdup(path);
		return -errno;
	}
	for (i = 0; i < n; i++) {
		char *sub = NULL;

		if (!err && asprintf(&sub, "%s/%s", path, names[i]->d_name) < 0)
			err = -ENOMEM;
		if (!err) {
			err = copy_entry(c, dir, names[i]->d_name, sub);
			if (err && !c->failed_path)
				c->failed_path = strdup(sub);
		}
		free(sub);
		free(names[i]);
	}
	free(names);
	return err;
}

/* ---- building the image ------------------------------------------------ */

static int fill_image(const struct options *o, struct super_block *sb)
{
	struct copier c = { .opt = o, .sb = sb };
	struct inode *root, *lpf;
	struct stat st;
	int err;

	err = ext2_iget(sb, EXT2_ROOT_INO_NR, &root);
	if (err)
		return err;
	err = ext2_mkdir(root, "lost+found", 10, 0700, 0, 0, &lpf);
	if (!err)
		iput(lpf);
	if (!err && o->src) {
		c.buf = malloc(COPY_CHUNK);
		err = c.buf ? copy_tree(&c, root, o->src) : -ENOMEM;
		if (!err && stat(o->src, &st) == 0)
			err = set_attrs(&c, root, &st);
		if (err == -ENOSPC)
			msg("%s: the tree does not fit in the image (at %s)", o->src,
			    c.failed_path ? c.failed_path : o->src);
		else if (err)
			msg("%s: %s", c.failed_path ? c.failed_path : o->src, strerror(-err));
		free(c.buf);
		free(c.links);
		free((void *)c.failed_path);
	}
	iput(root);
	return err;
}

static void msg_in_use(const char *image)
{
	char who[256];

	blkdev_holder(image, who, sizeof(who));
	if (*who)
		msg("%s: in use by %s", image, who);
	else
		msg("%s: in use (the holder cannot be named from here)", image);
}

static int build(const struct options *o, const char *tmp)
{
	struct blkdev_config bc = { .path = tmp, .reach = DMA_REACH_LOW };
	struct ext2_mount_opts mo;
	struct block_device *bdev;
	struct super_block *sb;
	const char *why = NULL;
	int err, err2;

	err = blkdev_open(&bc, &bdev);
	if (err == -EBUSY)
		msg_in_use(tmp);
	else if (err)
		msg("%s: cannot open: %s", tmp, strerror(-err));
	if (err)
		return err;
	err = ext2_mkfs(bdev, &o->mkfs, &why);
	err2 = blkdev_close(bdev);
	if (err || err2) {
		msg("%s: %s", o->image, why ? why : strerror(-(err ? err : err2)));
		return err ? err : err2;
	}
	ext2_mount_opts_default(&mo);
	mo.path = tmp;
	mo.fixed_time = o->have_epoch ? o->epoch : 0;
	err = ext2_mount(&mo, &sb, &why);
	if (err) {
		msg("%s: cannot mount the new image: %s", o->image, why ? why : strerror(-err));
		return err;
	}
	err = fill_image(o, sb);
	err2 = ext2_unmount(sb);
	if (!err && err2)
		msg("%s: writing the image failed: %s", o->image, strerror(-err2));
	return err ? err : err2;
}

/*
 * Hold an existing IMAGE exclusively until the rename (*fd, or -1 when
 * there is none yet).  0, or -1 after one line: in use, or unopenable.
 */
static int claim_target(const char *image, int *fd)
{
	int tries, err = 0;

	*fd = -1;
	for (tries = 0; tries < 5; tries++) {
		*fd = open(image, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (*fd < 0 && (errno == EACCES || errno == EROFS || errno == ELOOP))
			*fd = open(image, O_RDONLY | O_CLOEXEC);
		if (*fd < 0) {
			if (errno == ENOENT)
				return 0;
			msg("%s: %s", image, strerror(errno));
			return -1;
		}
		err = blkdev_claim(*fd, image, 1);
		if (err != -EAGAIN)
			break;
		close(*fd);
		*fd = -1;
	}
	if (!err)
		return 0;
	if (err == -EBUSY)
		msg_in_use(image);
	else
		msg("%s: %s", image, strerror(-err));
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	return -1;
}

static int is_block_device(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISBLK(st.st_mode);
}

/* An empty file of the image's size under a fresh name beside IMAGE. */
static char *create_temp(const struct options *o)
{
	char *tmp;
	int fd;

	if (asprintf(&tmp, "%s.mkimg-XXXXXX", o->image) < 0)
		return NULL;
	fd = mkstemp(tmp);
	if (fd < 0) {
		msg("%s: cannot create: %s", o->image, strerror(errno));
		free(tmp);
		return NULL;
	}
	if (fchmod(fd, 0644) || ftruncate(fd, (off_t)o->mkfs.size)) {
		msg("%s: cannot size the image: %s", o->image, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return NULL;
	}
	close(fd);
	return tmp;
}

static int check_source(const struct options *o)
{
	DIR *d;

	if (!o->src)
		return 0;
	d = opendir(o->src);
	if (!d) {
		msg("%s: cannot read the source directory: %s", o->src, strerror(errno));
		return -1;
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct vm_config cfg;
	char *tmp = NULL;
	int err, held = -1;

	memset(&o, 0, sizeof(o));
	if (parse_args(&o, argc, argv) || check_source(&o))
		return 1;
	vm_config_default(&cfg);
	cfg.mem = MKIMG_ARENA;
	err = vm_init(&cfg);
	if (err) {
		msg("cannot start the memory manager: %s", strerror(-err));
		return 1;
	}
	if (is_block_device(o.image)) {
		o.mkfs.zeroed = 0;
		err = build(&o, o.image);
		goto out;
	}
	if (claim_target(o.image, &held)) {
		err = -EBUSY;
		goto out;
	}
	tmp = create_temp(&o);
	err = tmp ? build(&o, tmp) : -EIO;
	if (!err && rename(tmp, o.image)) {
		msg("%s: cannot rename into place: %s", o.image, strerror(errno));
		err = -errno;
	}
	if (err && tmp)
		unlink(tmp);
	free(tmp);
	if (held >= 0)
		close(held);
out:
	vm_exit();
	if (!err && !o.quiet)
		printf("%s: %s: ext2, %llu bytes\n", prog, o.image, o.mkfs.size);
	return err ? 1 : 0;
}
