/*
 * tests/vm/vm_test.h - what every VM suite needs: boot an arena of a given
 * shape inside the (forked) test, run a scenario that must die in a
 * child, wait for another thread's progress, and a main() that runs one
 * suite.
 */
#ifndef IMGFS_TESTS_VM_TEST_H
#define IMGFS_TESTS_VM_TEST_H

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include "vm/vm.h"

#define MiB(x)	((unsigned long)(x) << 20)

static inline void vm_test_boot_dma(unsigned long mem, unsigned long lowmem,
				    unsigned long dma, enum kmap_mode mode)
{
	struct vm_config cfg;
	int ret;

	vm_config_default(&cfg);
	cfg.mem = mem;
	cfg.lowmem = lowmem;
	cfg.dma = dma;
	cfg.kmap = mode;
	cfg.debug = 1;
	ret = vm_init(&cfg);
	ck_assert_msg(ret == 0, "vm_init(mem=%lu, lowmem=%lu) = %d", mem, lowmem, ret);
}

static inline void vm_test_boot(unsigned long mem, unsigned long lowmem,
				enum kmap_mode mode)
{
	vm_test_boot_dma(mem, lowmem, 0, mode);
}

/* The buddy allocator's free state, to compare before and after. */
struct buddy_snapshot {
	unsigned long free_pages[3];
	unsigned long nr_free[3][10];
};

struct zone_struct;
void buddy_snapshot(struct buddy_snapshot *snap);
int buddy_snapshot_equal(const struct buddy_snapshot *a, const struct buddy_snapshot *b);
unsigned long buddy_check_zone(struct zone_struct *z, unsigned char *seen);
/* Check every zone's free lists (arenas up to 1 GiB). */
void buddy_check_all(void);

/* Run fn in a child; true if it died of signal sig. */
int vm_test_dies_with(void (*fn)(void *), void *arg, int sig);
/* The same, and true only if the child's stderr contains needle (the
 * BUG() or log line that says why it died). */
int vm_test_dies_saying(void (*fn)(void *), void *arg, int sig, const char *needle);

/*
 * Waiting for another thread: never "sleep, then assert", which depends
 * on the machine's speed.  vm_test_wait_for(cond, secs) polls cond until
 * it holds, or until secs have passed - scaled by IMGFS_TIMEOUT_SCALE
 * (configure sets it for the sanitizer trees) - and yields cond's value.
 * The deadline only bounds a failing test; pick it far above any
 * plausible delay.
 */
double vm_test_timeout_scale(void);
void vm_test_deadline(struct timespec *deadline, double secs);
int vm_test_past(const struct timespec *deadline);
void vm_test_nap(void);
#define vm_test_wait_for(cond, secs) ({					\
	struct timespec __deadline;					\
	int __ok;							\
									\
	vm_test_deadline(&__deadline, (secs));				\
	while (!(__ok = !!(cond)) && !vm_test_past(&__deadline))	\
		vm_test_nap();						\
	__ok;								\
})

#define VM_TEST_MAIN(suite_fn)						\
int main(void)								\
{									\
	SRunner *sr = srunner_create(suite_fn());			\
	int nf;								\
									\
	srunner_run_all(sr, CK_NORMAL);					\
	nf = srunner_ntests_failed(sr);					\
	srunner_free(sr);						\
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;			\
}

#endif
