/*
 * tests/vm/check_bootmem.c - the boot memory allocator on a bare arena,
 * its retirement into the buddy allocator, and the boot configuration
 * (sizes, defaults, refusals).
 */
#include <check.h>
#include <errno.h>
#include <string.h>
#include "tests/vm/vm_test.h"
#include "vm/bootmem.h"
#include "vm/mm.h"
#include "vm/pagemap.h"
#include "vm/pageset.h"

/* A bare arena with a boot allocator over it, as setup_memory() makes. */
static void bare_boot(unsigned long mem)
{
	unsigned long size;

	ck_assert_int_eq(arena_create(mem, mem, KMAP_DIRECT), 0);
	max_low_pfn = mem >> PAGE_SHIFT;
	size = init_bootmem(0, max_low_pfn);
	ck_assert_uint_eq(size, ((max_low_pfn + 7) / 8 + 7) & ~7UL);
	free_bootmem(0, mem);
	reserve_bootmem(0, size);
}

START_TEST(test_bootmem_alloc_aligned_zeroed)
{
	char *a, *b, *c;
	unsigned long i;

	bare_boot(MiB(4));
	ck_assert_uint_eq(bootmem_reserved_pages(), 1);	/* the map */
	a = __alloc_bootmem(3 * PAGE_SIZE + 100, PAGE_SIZE, 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(__pa(a) % PAGE_SIZE, 0);
	ck_assert_uint_ge(__pa(a), PAGE_SIZE);	/* not over the map */
	for (i = 0; i < 3 * PAGE_SIZE + 100; i++)
		ck_assert_int_eq(a[i], 0);
	b = __alloc_bootmem(PAGE_SIZE, 64 * 1024, 0);
	ck_assert_uint_eq(__pa(b) % (64 * 1024), 0);
	c = __alloc_bootmem(PAGE_SIZE, PAGE_SIZE, MiB(2));
	ck_assert_uint_ge(__pa(c), MiB(2));	/* the goal is honoured */
	arena_destroy();
}
END_TEST

START_TEST(test_bootmem_packs_small)
{
	char *a, *b, *c;

	bare_boot(MiB(4));
	a = alloc_bootmem(100);
	b = alloc_bootmem(100);
	/* The second request shares the first one's page, cache aligned. */
	ck_assert_uint_eq(__pa(a) >> PAGE_SHIFT, __pa(b) >> PAGE_SHIFT);
	ck_assert_uint_eq(__pa(b) - __pa(a), 128);
	c = alloc_bootmem(PAGE_SIZE - 200);	/* does not fit in the tail */
	ck_assert_uint_ne(__pa(c) >> PAGE_SHIFT, __pa(a) >> PAGE_SHIFT);
	ck_assert_uint_eq(bootmem_reserved_pages(), 3);
	arena_destroy();
}
END_TEST

START_TEST(test_bootmem_exhaustion_and_rounding)
{
	unsigned long before;

	bare_boot(MiB(4));
	/* Reserving a partial page takes all of it; freeing one frees none. */
	before = bootmem_reserved_pages();
	reserve_bootmem(10 * PAGE_SIZE + 1, 10);
	ck_assert_uint_eq(bootmem_reserved_pages(), before + 1);
	ck_assert_ptr_null(__alloc_bootmem(MiB(4), PAGE_SIZE, 0));
	ck_assert_ptr_nonnull(__alloc_bootmem(MiB(3), PAGE_SIZE, 0));
	ck_assert_ptr_null(__alloc_bootmem(MiB(1), PAGE_SIZE, 0));
	arena_destroy();
}
END_TEST

START_TEST(test_boot_retires_into_buddy)
{
	unsigned long low_present, low_pages = MiB(32) >> PAGE_SHIFT, memmap_pages;
	zone_t *z;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	/* mem_map lives in low memory, placed by bootmem. */
	ck_assert(virt_addr_valid(mem_map));
	ck_assert(virt_addr_valid(mem_map + num_physpages - 1));
	ck_assert_ptr_null(contig_bootmem_data.node_bootmem_map);
	low_present = contig_page_data.node_zones[ZONE_DMA].present_pages +
		      contig_page_data.node_zones[ZONE_NORMAL].present_pages;
	/* Boot kept mem_map, the page hash table and the buddy bitmaps. */
	memmap_pages = (num_physpages * sizeof(struct page) + PAGE_SIZE - 1) / PAGE_SIZE +
		       (1UL << page_hash_order);
	ck_assert_uint_le(low_pages - low_present, memmap_pages + 16);
	ck_assert_uint_ge(low_pages - low_present, memmap_pages);
	/* Every present frame is free now, except what slab took. */
	drain_all_pages();
	buddy_check_all();
	for_each_zone(z) {
		if (zone_idx(z) == ZONE_HIGHMEM)
			ck_assert_uint_eq(z->free_pages, z->present_pages);
		else
			ck_assert_uint_ge(z->free_pages + 64, z->present_pages);
	}
	vm_exit();
	/* A second boot in the same process works (tests, mkimg). */
	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	vm_exit();
}
END_TEST

START_TEST(test_parse_size)
{
	unsigned long v;

	ck_assert_int_eq(vm_parse_size("4096", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(vm_parse_size("64K", &v), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(vm_parse_size("256M", &v), 0);
	ck_assert_uint_eq(v, MiB(256));
	ck_assert_int_eq(vm_parse_size("2GiB", &v), 0);
	ck_assert_uint_eq(v, 2UL << 30);
	ck_assert_int_eq(vm_parse_size("1g", &v), 0);
	ck_assert_uint_eq(v, 1UL << 30);
	ck_assert_int_eq(vm_parse_size("", &v), -EINVAL);
	ck_assert_int_eq(vm_parse_size("M", &v), -EINVAL);
	ck_assert_int_eq(vm_parse_size("12Q", &v), -EINVAL);
	ck_assert_int_eq(vm_parse_size("-5M", &v), -EINVAL);
	ck_assert_int_eq(vm_parse_size("99999999999999999999", &v), -EINVAL);
	ck_assert_int_eq(vm_parse_size("99999999999T", &v), -EINVAL);
	ck_assert_int_eq(vm_parse_size("1M ", &v), -EINVAL);
}
END_TEST

static int validate(unsigned long mem, unsigned long low, unsigned long dma,
		    struct vm_config *out)
{
	const char *why;

	vm_config_default(out);
	out->mem = mem;
	out->lowmem = low;
	out->dma = dma;
	return vm_config_validate(out, &why);
}

START_TEST(test_config_defaults_and_refusals)
{
	struct vm_config c;

	ck_assert_int_eq(validate(MiB(256), 0, 0, &c), 0);
	ck_assert_uint_eq(c.lowmem, MiB(128));
	ck_assert_uint_eq(c.dma, MiB(16));
	ck_assert_int_eq(validate(MiB(16), 0, 0, &c), 0);
	ck_assert_uint_eq(c.lowmem, MiB(16));	/* small: no high memory */
	ck_assert_int_eq(validate(MiB(24), 0, 0, &c), 0);
	ck_assert_uint_eq(c.lowmem, MiB(16));
	ck_assert_int_eq(validate(MiB(4096), 0, 0, &c), 0);
	ck_assert_uint_eq(c.lowmem, MiB(896));
	ck_assert_int_eq(validate(MiB(3), 0, 0, &c), -EINVAL);
	ck_assert_int_eq(validate(MiB(64) + 1, 0, 0, &c), -EINVAL);
	ck_assert_int_eq(validate(MiB(64), MiB(128), 0, &c), -EINVAL);
	ck_assert_int_eq(validate(MiB(64), MiB(1), 0, &c), -EINVAL);
	ck_assert_int_eq(validate(MiB(64), MiB(8), MiB(16), &c), -EINVAL);
	ck_assert_int_eq(validate(1UL << 50, 0, 0, &c), -EINVAL);
	/* mem_map for 16 GiB does not fit in 16 MiB of low memory. */
	ck_assert_int_eq(validate(16UL << 30, MiB(16), 0, &c), -EINVAL);
	/* vm_init refuses the same and leaves nothing behind. */
	c.mem = MiB(3);
	ck_assert_int_eq(vm_init(&c), -EINVAL);
	ck_assert(!vm_is_up());
}
END_TEST

static Suite *bootmem_suite(void)
{
	Suite *s = suite_create("bootmem");
	TCase *tc = tcase_create("bootmem");

	tcase_add_test(tc, test_bootmem_alloc_aligned_zeroed);
	tcase_add_test(tc, test_bootmem_packs_small);
	tcase_add_test(tc, test_bootmem_exhaustion_and_rounding);
	tcase_add_test(tc, test_boot_retires_into_buddy);
	tcase_add_test(tc, test_parse_size);
	tcase_add_test(tc, test_config_defaults_and_refusals);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(bootmem_suite)
