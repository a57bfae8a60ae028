/*
 * tests/vm/vm_test.c - invariants of the buddy allocator that several
 * suites check (snapshots of the free lists, a full consistency walk),
 * children that must die, and waiting on a condition (see vm_test.h).
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tests/vm/vm_test.h"
#include "vm/mm.h"
#include "vm/pageset.h"

void buddy_snapshot(struct buddy_snapshot *snap)
{
	int j;
	unsigned int order;

	memset(snap, 0, sizeof(*snap));
	for (j = 0; j < MAX_NR_ZONES; j++) {
		zone_t *z = contig_page_data.node_zones + j;

		snap->free_pages[j] = zone_free_pages(z);
		for (order = 0; order < MAX_ORDER; order++)
			snap->nr_free[j][order] = z->free_area[order].nr_free;
	}
}

int buddy_snapshot_equal(const struct buddy_snapshot *a, const struct buddy_snapshot *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/*
 * Walk every zone's free lists under zone->lock: blocks aligned to their
 * order inside the zone, no frame on two lists, counts agree with
 * nr_free and free_pages.  Returns the free frames found.
 */
unsigned long buddy_check_zone(zone_t *z, unsigned char *seen)
{
	unsigned long total = 0;
	unsigned int order;

	spin_lock(&z->lock);
	for (order = 0; order < MAX_ORDER; order++) {
		free_area_t *area = z->free_area + order;
		struct list_head *pos;
		unsigned long n = 0;

		list_for_each(pos, &area->free_list) {
			struct page *page = list_entry(pos, struct page, list);
			unsigned long idx = (unsigned long)(page - z->zone_mem_map), i;

			ck_assert_msg(idx < z->size, "free block outside zone %s", z->name);
			ck_assert_msg((idx & ((1UL << order) - 1)) == 0,
				      "order-%u block at %lu misaligned", order, idx);
			ck_assert_uint_le(idx + (1UL << order), z->size);
			for (i = 0; i < (1UL << order); i++) {
				unsigned long pfn = page_to_pfn(page) + i;

				ck_assert_msg(!seen[pfn], "pfn %lu free twice", pfn);
				seen[pfn] = 1;
				ck_assert_int_eq(page_count(page + i), 0);
			}
			n++;
		}
		ck_assert_uint_eq(n, area->nr_free);
		total += n << order;
	}
	ck_assert_uint_eq(total, z->free_pages);
	spin_unlock(&z->lock);
	return total;
}

void buddy_check_all(void)
{
	static unsigned char seen[(1UL << 30) >> PAGE_SHIFT];
	unsigned char *map = seen;
	zone_t *z;

	ck_assert_uint_le(num_physpages, sizeof(seen));
	memset(map, 0, num_physpages);
	for_each_zone(z)
		buddy_check_zone(z, map);
}

/* Runs fn in a child with stderr to out; the child's wait status. */
static int run_child(void (*fn)(void *), void *arg, int sig, FILE *out)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Keep the expected BUG() message out of the log; default
		 * signal handling so that the death is seen as it is. */
		signal(sig, SIG_DFL);
		if (dup2(fileno(out), STDERR_FILENO) < 0)
			_exit(3);
		fn(arg);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

int vm_test_dies_saying(void (*fn)(void *), void *arg, int sig, const char *needle)
{
	FILE *out = tmpfile();
	char text[8192];
	size_t n;
	int status, ok;

	ck_assert_ptr_nonnull(out);
	status = run_child(fn, arg, sig, out);
	rewind(out);
	n = fread(text, 1, sizeof(text) - 1, out);
	text[n] = '\0';
	fclose(out);
	ok = WIFSIGNALED(status) && WTERMSIG(status) == sig;
	if (ok && needle && !strstr(text, needle))
		ok = 0;
	if (!ok && needle)
		fprintf(stderr, "child: wait status %#x, expected signal %d and \"%s\"; "
			"it said:\n%s", status, sig, needle, text);
	return ok;
}

int vm_test_dies_with(void (*fn)(void *), void *arg, int sig)
{
	return vm_test_dies_saying(fn, arg, sig, NULL);
}

/* ---- waiting on a condition ------------------------------------------------ */

double vm_test_timeout_scale(void)
{
	const char *e = getenv("IMGFS_TIMEOUT_SCALE");
	double f = e ? strtod(e, NULL) : 1.0;

	return f >= 1.0 ? f : 1.0;
}

void vm_test_deadline(struct timespec *deadline, double secs)
{
	double t = secs * vm_test_timeout_scale();

	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += (time_t)t;
	deadline->tv_nsec += (long)((t - (double)(time_t)t) * 1e9);
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

int vm_test_past(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

void vm_test_nap(void)
{
	struct timespec ts = { 0, 1000000L };

	nanosleep(&ts, NULL);
}
