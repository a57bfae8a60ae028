/*
 * tests/fs/check_bdev_stream.c - a 16 MiB arena streams 1 GiB of writes
 * and then 1 GiB of reads through a block-device mapping on a real image:
 * no ENOMEM, no deadlock, every byte read back is the byte written after
 * the cache was dropped (dirty data under pressure is written, never
 * dropped); kswapd (during the writes) and direct reclaim (during the
 * reads, with kswapd stopped) both run; afterwards the zones are back
 * above pages_min.
 *
 * The volume is 1 GiB in a normal build and 128 MiB under a sanitizer;
 * IMGFS_STREAM_MB overrides both.  Throughput is printed to the log.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "fs/buffer.h"
#include "tests/vm/vm_test.h"
#include "vm/swap.h"
#include "vm/vmstat.h"
#include "vm/writeback.h"

#define CHUNK	(256 * 1024)
#define SEED	0x5eed1234abcdULL

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DEFAULT_MB	128
#else
#define DEFAULT_MB	1024
#endif

static unsigned long long stream_bytes(void)
{
	const char *e = getenv("IMGFS_STREAM_MB");
	unsigned long long mb = e && *e ? strtoull(e, NULL, 10) : DEFAULT_MB;

	return (mb ? mb : DEFAULT_MB) << 20;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t word(unsigned long long off)
{
	return (off / 8 + 1) * 0x9e3779b97f4a7c15ULL ^ SEED;
}

static void fill(uint64_t *buf, unsigned long long off, size_t len)
{
	size_t i;

	for (i = 0; i < len / 8; i++)
		buf[i] = word(off + i * 8);
}

/* Offset of the first bad word, or -1. */
static long long check(const uint64_t *buf, unsigned long long off, size_t len)
{
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (buf[i] != word(off + i * 8))
			return (long long)(off + i * 8);
	return -1;
}

static char image_dir[64], image_path[96];

/* A sparse image of size bytes in ./tmp-test-XXXXXX (the build tree). */
static const char *make_image(unsigned long long size)
{
	int fd;

	strcpy(image_dir, "./tmp-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(image_dir));
	snprintf(image_path, sizeof(image_path), "%s/image", image_dir);
	fd = open(image_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	close(fd);
	return image_path;
}

static void remove_image(void)
{
	unlink(image_path);
	rmdir(image_dir);
}

static struct block_device *open_image(const char *path)
{
	struct blkdev_config cfg = { .path = path, .reach = DMA_REACH_LOW };
	struct block_device *bdev = NULL;

	ck_assert_int_eq(blkdev_open(&cfg, &bdev), 0);
	return bdev;
}

static void stream_write(struct address_space *mapping, unsigned long long size)
{
	static uint64_t buf[CHUNK / 8];
	unsigned long long pos;

	for (pos = 0; pos < size; pos += CHUNK) {
		fill(buf, pos, CHUNK);
		ck_assert_int_eq(generic_file_write(mapping, (char *)buf, CHUNK, (loff_t)pos),
				 CHUNK);
	}
}

static void stream_read(struct address_space *mapping, unsigned long long size)
{
	static uint64_t buf[CHUNK / 8];
	struct file_ra_state ra;
	unsigned long long pos;

	file_ra_state_init(&ra);
	for (pos = 0; pos < size; pos += CHUNK) {
		ck_assert_int_eq(generic_file_read(mapping, &ra, (char *)buf, CHUNK,
						   (loff_t)pos, (loff_t)size), CHUNK);
		ck_assert_msg(check(buf, pos, CHUNK) < 0, "bad data at byte %lld",
			      check(buf, pos, CHUNK));
	}
}

static int zones_above_min(void)
{
	zone_t *z;

	drain_all_pages();
	for_each_zone(z)
		if (zone_free_pages(z) <= z->pages_min)
			return 0;
	return 1;
}

static void report(const char *what, unsigned long long bytes, double secs)
{
	fprintf(stderr, "stream: %s %llu MiB in %.2f s: %.0f MB/s\n", what, bytes >> 20,
		secs, (double)bytes / secs / 1e6);
}

START_TEST(test_stream_1g_in_16m)
{
	unsigned long long size = stream_bytes();
	struct address_space *mapping;
	struct block_device *bdev;
	unsigned long stall_w, stall_r;
	const char *image = make_image(size);
	double t;

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	bdev = open_image(image);
	ck_assert_int_eq(bdev_cache_attach(bdev, 4096), 0);
	mapping = bdev_mapping(bdev);
	ck_assert_int_eq(kswapd_start(), 0);
	ck_assert_int_eq(flusher_start(), 0);

	/* Writes, with kswapd and the flusher at work. */
	t = now_s();
	stream_write(mapping, size);
	ck_assert_int_eq(sync_blockdev(bdev), 0);
	report("write", size, now_s() - t);
	ck_assert_int_eq(nr_dirty_pages(), 0);
	ck_assert_int_eq(nr_writeback_pages(), 0);
	ck_assert_uint_gt(sum_vm_event(KSWAPD_WAKEUP), 0);
	ck_assert_uint_gt(sum_vm_event(PAGEOUTRUN), 0);
	ck_assert_uint_ge(sum_vm_event(PGPGOUT), size >> 10);
	stall_w = sum_vm_event(ALLOCSTALL);

	/* Drop the cache; read it all back with direct reclaim alone. */
	invalidate_inode_pages(mapping);
	ck_assert_uint_eq(mapping->nrpages, 0);
	kswapd_stop();
	t = now_s();
	stream_read(mapping, size);
	report("read", size, now_s() - t);
	stall_r = sum_vm_event(ALLOCSTALL) - stall_w;
	ck_assert_uint_gt(stall_r, 0);
	ck_assert_uint_ge(sum_vm_event(PGPGIN), size >> 10);
	ck_assert_uint_eq(sum_vm_event(PGALLOC_FAIL), 0);
	fprintf(stderr, "stream: kswapd_wakeup %lu pageoutrun %lu allocstall %lu+%lu "
		"pgscan %lu pgsteal %lu pgactivate %lu pgdeactivate %lu\n",
		sum_vm_event(KSWAPD_WAKEUP), sum_vm_event(PAGEOUTRUN), stall_w, stall_r,
		sum_vm_event(PGSCAN), sum_vm_event(PGSTEAL), sum_vm_event(PGACTIVATE),
		sum_vm_event(PGDEACTIVATE));

	/* kswapd, back, brings the zones up again. */
	ck_assert_int_eq(kswapd_start(), 0);
	ck_assert_msg(vm_test_wait_for(zones_above_min(), 60), "kswapd left the zones low");
	kswapd_stop();
	flusher_stop();
	ck_assert_int_eq(bdev_cache_detach(bdev), 0);
	ck_assert_int_eq(blkdev_close(bdev), 0);
	remove_image();
	vm_exit();
}
END_TEST

static Suite *stream_suite(void)
{
	Suite *s = suite_create("bdev_stream");
	TCase *tc = tcase_create("stream");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_stream_1g_in_16m);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(stream_suite)
