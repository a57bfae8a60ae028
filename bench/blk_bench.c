/*
 * bench/blk_bench.c - throughput of the buffer path: submit_bh through the
 * request queue, libaio and the completion thread, with and without
 * bouncing.  bench/blk_bench.sh runs it next to fio on the same file.
 *
 *   blk_bench [-t SECONDS] [-q DEPTH] [-m MEM] -w WORKLOAD -b MODE FILE
 *     WORKLOAD  seqread | seqwrite (1 MiB: 256 adjacent 4 KiB buffers that
 *               merge into one request) | randread | randwrite (4 KiB)
 *     MODE      nobounce: low pages, dma_reach=low
 *               bounce:   HIGHMEM pages, dma_reach=low (every buffer bounces)
 *
 * DEPTH I/Os are kept in flight: a slot is one I/O's buffers; the main
 * thread submits each free slot under a plug of its own (its buffers
 * merge into one request, one io_submit), as fio submits each I/O as soon
 * as it can; the completion thread hands finished slots back.  Prints:
 *   WORKLOAD MODE MiB/s IOPS
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "blockdev/blkdev.h"
#include "vm/bounce.h"
#include "vm/mm.h"
#include "vm/vm.h"
#include "vm/vmstat.h"

#define BLOCK		4096U
#define MAX_DEPTH	256

struct slot {
	struct buffer_head **bh;
	struct page **page;
	int pending;		/* atomic: buffers still in flight */
	struct slot *next;	/* free list (free_lock) */
};

static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t free_cond = PTHREAD_COND_INITIALIZER;
static struct slot *free_slots;		/* free_lock */
static unsigned long nr_done;		/* free_lock: I/Os completed */
static unsigned long nr_errors;		/* atomic: buffers that failed */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench_end_io(struct buffer_head *bh, int uptodate)
{
	struct slot *s = bh->b_private;

	if (!uptodate)
		__atomic_add_fetch(&nr_errors, 1, __ATOMIC_RELAXED);
	unlock_buffer(bh);
	if (__atomic_sub_fetch(&s->pending, 1, __ATOMIC_ACQ_REL))
		return;
	pthread_mutex_lock(&free_lock);
	s->next = free_slots;
	free_slots = s;
	nr_done++;
	pthread_cond_signal(&free_cond);
	pthread_mutex_unlock(&free_lock);
}

static unsigned long long xorshift(unsigned long long *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

struct run {
	struct block_device *bdev;
	int rw, random, nr_bh, depth;
	unsigned long nr_blocks;	/* of BLOCK bytes on the device */
	unsigned long next_block;	/* sequential position */
	unsigned long long seed;
};

static void submit_slot(struct run *r, struct slot *s)
{
	unsigned long first;
	int i;

	if (r->random) {
		first = (unsigned long)(xorshift(&r->seed) % r->nr_blocks);
	} else {
		if (r->next_block + (unsigned long)r->nr_bh > r->nr_blocks)
			r->next_block = 0;
		first = r->next_block;
		r->next_block += (unsigned long)r->nr_bh;
	}
	s->pending = r->nr_bh;
	for (i = 0; i < r->nr_bh; i++) {
		struct buffer_head *bh = s->bh[i];

		lock_buffer(bh);
		bh->b_blocknr = first + (unsigned long)i;
		bh->b_end_io = bench_end_io;
		bh->b_private = s;
		submit_bh(r->rw, bh);
	}
}

static void slots_init(struct run *r, struct slot *slots, int high)
{
	int i, j;

	for (i = 0; i < r->depth; i++) {
		struct slot *s = &slots[i];

		s->bh = calloc((size_t)r->nr_bh, sizeof(*s->bh));
		s->page = calloc((size_t)r->nr_bh, sizeof(*s->page));
		if (!s->bh || !s->page)
			exit(1);
		for (j = 0; j < r->nr_bh; j++) {
			s->page[j] = alloc_page(high ? GFP_HIGHUSER : GFP_KERNEL);
			s->bh[j] = alloc_buffer_head(GFP_KERNEL);
			if (!s->page[j] || !s->bh[j]) {
				fprintf(stderr, "blk_bench: arena too small\n");
				exit(1);
			}
			s->bh[j]->b_dev = r->bdev;
			s->bh[j]->b_size = BLOCK;
			set_bh_page(s->bh[j], s->page[j], 0);
			set_buffer_mapped(s->bh[j]);
		}
		s->next = free_slots;
		free_slots = s;
	}
}

/* Keep depth I/Os in flight for secs; returns I/Os per second. */
static double run_for(struct run *r, double secs)
{
	unsigned long done0;
	double t0, t1;

	pthread_mutex_lock(&free_lock);
	done0 = nr_done;
	pthread_mutex_unlock(&free_lock);
	t0 = now();
	while (now() - t0 < secs) {
		struct slot *batch;

		pthread_mutex_lock(&free_lock);
		while (!free_slots)
			pthread_cond_wait(&free_cond, &free_lock);
		batch = free_slots;
		free_slots = NULL;
		pthread_mutex_unlock(&free_lock);
		/* As fio's iodepth_batch_submit=1: each I/O goes out at once. */
		while (batch) {
			struct slot *s = batch;

			batch = s->next;
			blk_start_plug();
			submit_slot(r, s);
			blk_finish_plug();
		}
	}
	/* Drain: every slot back on the free list. */
	pthread_mutex_lock(&free_lock);
	for (;;) {
		int n = 0;
		struct slot *s;

		for (s = free_slots; s; s = s->next)
			n++;
		if (n == r->depth)
			break;
		pthread_cond_wait(&free_cond, &free_lock);
	}
	t1 = now();
	done0 = nr_done - done0;
	pthread_mutex_unlock(&free_lock);
	return (double)done0 / (t1 - t0);
}

static void usage(void)
{
	fprintf(stderr, "usage: blk_bench [-t SECONDS] [-q DEPTH] [-m MEM] "
			"-w seqread|seqwrite|randread|randwrite -b bounce|nobounce FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *workload = NULL, *mode = NULL;
	struct blkdev_config bcfg = { .reach = DMA_REACH_LOW, .max_request_kb = 1024 };
	struct vm_config vcfg;
	struct slot *slots;
	struct run r = { .depth = 32, .seed = 0x9e3779b97f4a7c15ULL };
	double secs = 5, iops;
	int opt, high, ret;

	vm_config_default(&vcfg);
	vcfg.mem = 512UL << 20;
	vcfg.lowmem = 256UL << 20;
	while ((opt = getopt(argc, argv, "t:q:m:w:b:")) != -1) {
		switch (opt) {
		case 't': secs = atof(optarg); break;
		case 'q': r.depth = atoi(optarg); break;
		case 'm': if (vm_parse_size(optarg, &vcfg.mem)) usage();
			  vcfg.lowmem = vcfg.mem / 2; break;
		case 'w': workload = optarg; break;
		case 'b': mode = optarg; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || !workload || !mode || r.depth < 1 || r.depth > MAX_DEPTH)
		usage();
	bcfg.path = argv[optind];
	r.rw = strstr(workload, "write") ? WRITE : READ;
	r.random = strncmp(workload, "rand", 4) == 0;
	r.nr_bh = r.random ? 1 : (1 << 20) / BLOCK;
	if (strcmp(mode, "bounce") && strcmp(mode, "nobounce"))
		usage();
	high = strcmp(mode, "bounce") == 0;

	ret = vm_init(&vcfg);
	if (ret) {
		fprintf(stderr, "blk_bench: vm_init: %s\n", strerror(-ret));
		return 1;
	}
	bcfg.queue_depth = (unsigned int)r.depth;
	ret = blkdev_open(&bcfg, &r.bdev);
	if (ret) {
		fprintf(stderr, "blk_bench: %s: %s\n", bcfg.path, strerror(-ret));
		return 1;
	}
	r.nr_blocks = (unsigned long)(blkdev_size(r.bdev) / BLOCK);
	slots = calloc((size_t)r.depth, sizeof(*slots));
	if (!slots)
		return 1;
	slots_init(&r, slots, high);

	run_for(&r, secs / 10);		/* warm up */
	vm_events_reset();
	iops = run_for(&r, secs);
	printf("%s %s %.1f %.0f bounced=%lu direct=%d errors=%lu\n", workload, mode,
	       iops * r.nr_bh * BLOCK / (1 << 20), iops,
	       sum_vm_event(r.rw == WRITE ? BOUNCE_WRITE : BOUNCE_READ),
	       blkdev_direct(r.bdev), __atomic_load_n(&nr_errors, __ATOMIC_RELAXED));
	ret = blkdev_close(r.bdev);
	return ret || nr_errors ? 1 : 0;
}
