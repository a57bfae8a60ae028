/*
 * bench/vm_bench.c - allocator throughput, next to glibc in the same run.
 *
 *   order-0 pages  alloc_page/__free_page through the per-thread hot lists
 *   slab           kmem_cache_alloc/free of 32, 256 and 1024-byte objects
 *   glibc          malloc/free of the same sizes
 *
 * Each in two patterns, with one thread and with two: "pair" frees each
 * object right after allocating it; "batch" allocates 64 then frees them
 * (the arrays and lists then really move).  Prints millions of
 * alloc+free pairs per second.  Not a test: nothing is asserted.
 *
 * Usage: vm_bench [--quick] [--stats]
 *   --quick  a short run (the README's demo)
 *   --stats  print meminfo, buddyinfo, zoneinfo, slabinfo and vmstat after
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "vm/mm.h"
#include "vm/seq_buf.h"
#include "vm/slab.h"
#include "vm/vm.h"
#include "vm/vmstat.h"

#define BATCH	64

enum kind { K_PAGE, K_SLAB, K_MALLOC };

struct job {
	enum kind kind;
	size_t size;
	kmem_cache_t *cache;
	int batch;
	unsigned long iters;
	pthread_barrier_t *start;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *obj_alloc(struct job *j)
{
	switch (j->kind) {
	case K_PAGE:
		return alloc_page(GFP_KERNEL);
	case K_SLAB:
		return kmem_cache_alloc(j->cache, GFP_KERNEL);
	default:
		return malloc(j->size);
	}
}

static void obj_free(struct job *j, void *p)
{
	switch (j->kind) {
	case K_PAGE:
		__free_page(p);
		break;
	case K_SLAB:
		kmem_cache_free(j->cache, p);
		break;
	default:
		free(p);
	}
}

/* Touch the first word so an allocator cannot win by never being used. */
static void *worker(void *arg)
{
	struct job *j = arg;
	void *objs[BATCH];
	unsigned long i;
	int k;

	pthread_barrier_wait(j->start);
	for (i = 0; i < j->iters; i += (unsigned long)(j->batch ? BATCH : 1)) {
		if (!j->batch) {
			void *p = obj_alloc(j);

			if (!p)
				abort();
			if (j->kind != K_PAGE)
				*(volatile char *)p = 1;
			obj_free(j, p);
			continue;
		}
		for (k = 0; k < BATCH; k++) {
			objs[k] = obj_alloc(j);
			if (!objs[k])
				abort();
			if (j->kind != K_PAGE)
				*(volatile char *)objs[k] = 1;
		}
		for (k = BATCH - 1; k >= 0; k--)
			obj_free(j, objs[k]);
	}
	return NULL;
}

/* Millions of pairs per second over all threads. */
static double run(enum kind kind, size_t size, kmem_cache_t *cache, int batch,
		  int nthreads, unsigned long iters)
{
	pthread_t t[2];
	struct job jobs[2];
	pthread_barrier_t start;
	double t0;
	int i;

	pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		jobs[i] = (struct job){ kind, size, cache, batch, iters, &start };
		pthread_create(&t[i], NULL, worker, &jobs[i]);
	}
	t0 = now();
	pthread_barrier_wait(&start);
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	t0 = now() - t0;
	pthread_barrier_destroy(&start);
	return (double)iters * nthreads / t0 / 1e6;
}

static void print_stats(void)
{
	static char buf[1 << 18];
	static int (*const render[])(struct seq_buf *) = {
		meminfo_render, buddyinfo_render, zoneinfo_render, slabinfo_render, vmstat_render,
	};
	static const char *const names[] = { "meminfo", "buddyinfo", "zoneinfo", "slabinfo", "vmstat" };
	struct seq_buf s;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		seq_buf_init(&s, buf, sizeof(buf));
		render[i](&s);
		printf("\n--- %s\n%s", names[i], buf);
	}
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 32, 256, 1024 };
	unsigned long iters = 20UL << 20;
	struct vm_config cfg;
	int i, quick = 0, stats = 0, batch, nt;
	size_t s;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--stats"))
			stats = 1;
		else {
			fprintf(stderr, "usage: %s [--quick] [--stats]\n", argv[0]);
			return 2;
		}
	}
	if (quick)
		iters = 1UL << 20;
	vm_config_default(&cfg);
	cfg.mem = 256UL << 20;
	cfg.debug = 0;
	if (vm_init(&cfg)) {
		fprintf(stderr, "vm_bench: vm_init failed\n");
		return 1;
	}
	printf("%-14s %-6s %12s %12s   (million alloc+free pairs/s)\n",
	       "allocator", "size", "1 thread", "2 threads");
	for (batch = 0; batch <= 1; batch++) {
		const char *pat = batch ? "batch" : "pair";
		double r[2];

		for (nt = 1; nt <= 2; nt++)
			r[nt - 1] = run(K_PAGE, PAGE_SIZE, NULL, batch, nt, iters / 4);
		printf("%-14s %-6s %12.1f %12.1f\n", batch ? "page/batch" : "page/pair",
		       "4096", r[0], r[1]);
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			char name[32];
			kmem_cache_t *c;

			snprintf(name, sizeof(name), "bench-%zu", sizes[s]);
			c = kmem_cache_create(name, sizes[s], 0, SLAB_HWCACHE_ALIGN, NULL, NULL);
			for (nt = 1; nt <= 2; nt++)
				r[nt - 1] = run(K_SLAB, sizes[s], c, batch, nt, iters);
			printf("slab/%-9s %-6zu %12.1f %12.1f\n", pat, sizes[s], r[0], r[1]);
			for (nt = 1; nt <= 2; nt++)
				r[nt - 1] = run(K_MALLOC, sizes[s], NULL, batch, nt, iters);
			printf("glibc/%-8s %-6zu %12.1f %12.1f\n", pat, sizes[s], r[0], r[1]);
			kmem_cache_destroy(c);
		}
	}
	if (stats)
		print_stats();
	vm_exit();
	return 0;
}
