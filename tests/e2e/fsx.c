/*
 * tests/e2e/fsx.c - random file operations checked against a model (in
 * the spirit of fsx): fsx [-P] [-n OPS] [-s SEED] [-f FILES] [-l MAXLEN] DIR
 *
 * Each of FILES files in DIR has a model: its bytes in memory.  Every
 * operation is done on the real file and on the model: writes at random
 * places (often past the end, leaving holes), reads (compared), truncates
 * up and down, punched holes and allocations (fallocate), SEEK_DATA and
 * SEEK_HOLE (the answer must be consistent with the bytes), fsync, and
 * closing and reopening (sometimes with O_TRUNC).  A mismatch prints the
 * last operations, the seed and the offset, and exits 1; the same seed
 * replays the same run.  OPS defaults to $FSX_OPS, else 3000; SEED to
 * $FSX_SEED, else the time.  A file system may refuse to punch holes
 * (EOPNOTSUPP): fsx counts those and goes on, unless -P says it punches
 * (imgfs does), when a refusal is a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE	0x02
#endif

#define MAX_FILES	16
#define LOG_LEN		32

struct mfile {
	char path[4096];
	int fd;
	unsigned char *data;	/* the model */
	size_t size;
};

static struct mfile files[MAX_FILES];
static int nr_files = 4;
static size_t max_len = 8UL << 20;
static unsigned long seed, op_nr;
static int must_punch;
static unsigned long nr_punched, nr_punch_refused;
static char oplog[LOG_LEN][160];
static unsigned char *iobuf;

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64: the same sequence for the same seed everywhere */
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static size_t rnd_below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static void logop(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logop(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(oplog[op_nr % LOG_LEN], sizeof(oplog[0]), fmt, ap);
	va_end(ap);
}

static void __attribute__((noreturn)) failed(const char *fmt, ...)
{
	unsigned long i, first = op_nr >= LOG_LEN ? op_nr - LOG_LEN + 1 : 0;
	va_list ap;

	fprintf(stderr, "fsx: FAILED at operation %lu: ", op_nr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nfsx: the last operations:\n");
	for (i = first; i <= op_nr; i++)
		fprintf(stderr, "  %6lu %s\n", i, oplog[i % LOG_LEN]);
	fprintf(stderr, "fsx: replay with FSX_SEED=%lu (or -s %lu)\n", seed, seed);
	exit(1);
}

static void reopen(struct mfile *f, int trunc)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = open(f->path, O_RDWR | O_CREAT | (trunc ? O_TRUNC : 0), 0644);
	if (f->fd < 0)
		failed("open %s: %s", f->path, strerror(errno));
	if (trunc)
		f->size = 0;
}

static void model_resize(struct mfile *f, size_t size)
{
	if (size > f->size)
		memset(f->data + f->size, 0, size - f->size);
	f->size = size;
}

static void check_range(struct mfile *f, size_t off, size_t len, const char *what)
{
	ssize_t n = pread(f->fd, iobuf, len, (off_t)off);
	size_t want = off >= f->size ? 0 : (f->size - off < len ? f->size - off : len), i;

	if (n < 0)
		failed("%s: pread %s %zu+%zu: %s", what, f->path, off, len, strerror(errno));
	if ((size_t)n != want)
		failed("%s: pread %s %zu+%zu returned %zd, expected %zu", what, f->path, off, len,
		       n, want);
	if (memcmp(iobuf, f->data + off, want)) {
		for (i = 0; i < want && iobuf[i] == f->data[off + i]; i++)
			;
		failed("%s: %s differs at offset %zu: 0x%02x, expected 0x%02x", what, f->path,
		       off + i, iobuf[i], f->data[off + i]);
	}
}

static void check_size(struct mfile *f)
{
	off_t end = lseek(f->fd, 0, SEEK_END);

	if (end != (off_t)f->size)
		failed("%s: size %lld, expected %zu", f->path, (long long)end, f->size);
}

/* A length: mostly small, sometimes up to 256 KiB. */
static size_t rnd_len(void)
{
	switch (rnd_below(4)) {
	case 0:
		return 1 + rnd_below(100);
	case 1:
		return 1 + rnd_below(8192);
	default:
		return 1 + rnd_below(256 * 1024);
	}
}

/* An offset: inside the file, near its end, or past it (a hole). */
static size_t rnd_off(struct mfile *f, size_t len)
{
	size_t limit = max_len - len;

	switch (rnd_below(3)) {
	case 0:
		return rnd_below(f->size < limit ? f->size + 1 : limit);
	case 1: {
		size_t o = f->size + rnd_below(65536);

		return o > limit ? limit : o;
	}
	default:
		return rnd_below(limit);
	}
}

static void op_write(struct mfile *f)
{
	size_t len = rnd_len(), off = rnd_off(f, len), i;
	unsigned char b = (unsigned char)(op_nr & 0xff);
	ssize_t n;

	logop("write %s %zu+%zu", f->path, off, len);
	for (i = 0; i < len; i++)
		iobuf[i] = (unsigned char)(b + i * 7 + (i >> 9));
	n = pwrite(f->fd, iobuf, len, (off_t)off);
	if (n != (ssize_t)len)
		failed("pwrite %zu+%zu: %zd (%s)", off, len, n, strerror(errno));
	if (off + len > f->size)
		model_resize(f, off + len);
	memcpy(f->data + off, iobuf, len);
}

static void op_read(struct mfile *f)
{
	size_t len = rnd_len(), off = rnd_off(f, len);

	logop("read %s %zu+%zu (size %zu)", f->path, off, len, f->size);
	check_range(f, off, len, "read");
}

static void op_truncate(struct mfile *f)
{
	size_t size = rnd_below(3) ? rnd_below(f->size + 1) : rnd_below(max_len);

	logop("truncate %s %zu -> %zu", f->path, f->size, size);
	if (ftruncate(f->fd, (off_t)size))
		failed("ftruncate %zu: %s", size, strerror(errno));
	model_resize(f, size);
}

static void op_punch(struct mfile *f)
{
	size_t len = rnd_len() * 4, off = rnd_off(f, len), end;

	logop("punch %s %zu+%zu (size %zu)", f->path, off, len, f->size);
	if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len)) {
		if (errno == EOPNOTSUPP && !must_punch) {
			nr_punch_refused++;
			return;
		}
		failed("punch %zu+%zu: %s", off, len, strerror(errno));
	}
	nr_punched++;
	end = off + len < f->size ? off + len : f->size;
	if (off < end)
		memset(f->data + off, 0, end - off);
}

static void op_falloc(struct mfile *f)
{
	size_t len = rnd_len(), off = rnd_off(f, len);
	int keep = (int)rnd_below(2);

	logop("fallocate%s %s %zu+%zu (size %zu)", keep ? " keep" : "", f->path, off, len,
	      f->size);
	if (fallocate(f->fd, keep ? FALLOC_FL_KEEP_SIZE : 0, (off_t)off, (off_t)len)) {
		/* ext2 keeps no blocks past the end of file: refused there */
		if (errno == EOPNOTSUPP && keep && off + len > f->size)
			return;
		failed("fallocate %zu+%zu: %s", off, len, strerror(errno));
	}
	if (keep && off + len > f->size)
		failed("fallocate keep-size past EOF succeeded");
	if (!keep && off + len > f->size)
		model_resize(f, off + len);
}

/* SEEK_DATA/SEEK_HOLE: what they say must agree with the bytes. */
static void op_seek(struct mfile *f)
{
	size_t off = rnd_below(f->size + 1), i;
	int data = (int)rnd_below(2);
	off_t r = lseek(f->fd, (off_t)off, data ? SEEK_DATA : SEEK_HOLE);

	logop("seek_%s %s %zu (size %zu) = %lld", data ? "data" : "hole", f->path, off, f->size,
	      (long long)r);
	if (off >= f->size) {
		if (r >= 0 || errno != ENXIO)
			failed("seek past EOF: %lld (%s)", (long long)r, strerror(errno));
		return;
	}
	if (r < 0 && data && errno == ENXIO)
		r = (off_t)f->size;	/* no data up to the end: check that */
	else if (r < 0)
		failed("lseek: %s", strerror(errno));
	if ((size_t)r < off || (size_t)r > f->size)
		failed("seek result %lld outside [%zu, %zu]", (long long)r, off, f->size);
	if (data) {
		for (i = off; i < (size_t)r; i++)
			if (f->data[i])
				failed("SEEK_DATA skipped data at %zu", i);
	} else if ((size_t)r < f->size && f->data[r]) {
		failed("SEEK_HOLE at %lld but the byte there is 0x%02x", (long long)r, f->data[r]);
	}
}

static void check_all(struct mfile *f)
{
	size_t off;

	check_size(f);
	for (off = 0; off < f->size; off += 1 << 20)
		check_range(f, off, f->size - off < (1 << 20) ? f->size - off : (1 << 20), "verify");
}

int main(int argc, char **argv)
{
	unsigned long ops = getenv("FSX_OPS") ? strtoul(getenv("FSX_OPS"), NULL, 0) : 3000, i;
	const char *dir;
	int opt, k;

	seed = getenv("FSX_SEED") ? strtoul(getenv("FSX_SEED"), NULL, 0)
				  : (unsigned long)time(NULL) ^ (unsigned long)getpid();
	while ((opt = getopt(argc, argv, "Pn:s:f:l:")) != -1) {
		switch (opt) {
		case 'P': must_punch = 1; break;
		case 'n': ops = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoul(optarg, NULL, 0); break;
		case 'f': nr_files = atoi(optarg); break;
		case 'l': max_len = strtoul(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || nr_files < 1 || nr_files > MAX_FILES || max_len < (1 << 20))
		goto usage;
	dir = argv[optind];
	rng_state = seed;
	printf("fsx: seed %lu, %lu operations, %d files of up to %zu bytes in %s\n", seed, ops,
	       nr_files, max_len, dir);
	fflush(stdout);
	iobuf = malloc(max_len);
	if (!iobuf)
		return 99;
	for (k = 0; k < nr_files; k++) {
		snprintf(files[k].path, sizeof(files[k].path), "%s/fsx-%d", dir, k);
		files[k].fd = -1;
		files[k].data = calloc(1, max_len);
		if (!files[k].data)
			return 99;
		reopen(&files[k], 1);
	}
	for (i = 0; i < ops; i++) {
		struct mfile *f = &files[rnd_below((size_t)nr_files)];
		unsigned int what = (unsigned int)rnd_below(100);

		op_nr = i;
		if (what < 30)
			op_write(f);
		else if (what < 55)
			op_read(f);
		else if (what < 65)
			op_truncate(f);
		else if (what < 73)
			op_punch(f);
		else if (what < 80)
			op_falloc(f);
		else if (what < 90)
			op_seek(f);
		else if (what < 93) {
			logop("fsync %s", f->path);
			if (fsync(f->fd))
				failed("fsync: %s", strerror(errno));
		} else if (what < 98) {
			logop("reopen %s", f->path);
			reopen(f, 0);
		} else {
			logop("reopen O_TRUNC %s", f->path);
			reopen(f, 1);
		}
		if (i % 500 == 499)
			check_all(f);
	}
	for (k = 0; k < nr_files; k++) {
		check_all(&files[k]);
		reopen(&files[k], 0);
		check_all(&files[k]);
		close(files[k].fd);
	}
	printf("fsx: %lu operations passed (seed %lu), %lu holes punched, %lu punches refused\n",
	       ops, seed, nr_punched, nr_punch_refused);
	return 0;

usage:
	fprintf(stderr, "usage: fsx [-P] [-n OPS] [-s SEED] [-f FILES] [-l MAXLEN] DIR\n");
	return 2;
}
