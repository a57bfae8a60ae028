/*
 * tests/vm/check_stats.c - the /proc-style texts parse in the kernel's
 * formats and agree with the allocator's own counts.
 */
#include <check.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include "tests/vm/vm_test.h"
#include "vm/mm.h"
#include "vm/pageset.h"
#include "vm/seq_buf.h"
#include "vm/vmstat.h"

static char buf[65536];

static unsigned long meminfo_field(const char *text, const char *name)
{
	const char *p = strstr(text, name);
	unsigned long v;
	char unit[8];

	ck_assert_msg(p != NULL, "meminfo lacks %s", name);
	ck_assert_int_eq(sscanf(p + strlen(name), ": %lu %7s", &v, unit), 2);
	ck_assert_str_eq(unit, "kB");
	return v;
}

START_TEST(test_meminfo)
{
	struct seq_buf s;
	unsigned long total, free, high_total, low_total;
	zone_t *z;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	seq_buf_init(&s, buf, sizeof(buf));
	ck_assert_int_eq(meminfo_render(&s), 0);
	total = meminfo_field(buf, "MemTotal");
	free = meminfo_field(buf, "MemFree");
	high_total = meminfo_field(buf, "HighTotal");
	low_total = meminfo_field(buf, "LowTotal");
	ck_assert_uint_eq(high_total, 32 * 1024);
	ck_assert_uint_eq(low_total + high_total, total);
	ck_assert_uint_le(total, 64 * 1024);
	/* mem_map costs one struct page (104 bytes) per 4 KiB frame, ~2.5%. */
	ck_assert_uint_gt(total, 62 * 1024);
	ck_assert_uint_le(free, total);
	ck_assert_uint_eq(meminfo_field(buf, "HighFree"), 32 * 1024);
	ck_assert_uint_eq(meminfo_field(buf, "LowFree") + meminfo_field(buf, "HighFree"), free);
	ck_assert_uint_gt(meminfo_field(buf, "Slab"), 0);
	/* Free agrees with the zones (nothing else runs). */
	{
		unsigned long f = 0;

		for_each_zone(z)
			f += zone_free_pages(z) + pageset_pages(z);
		ck_assert_uint_eq(free, f * 4);
	}
	vm_exit();
}
END_TEST

START_TEST(test_buddyinfo)
{
	struct seq_buf s;
	char *line, *save = NULL;
	int zones = 0;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	drain_all_pages();
	seq_buf_init(&s, buf, sizeof(buf));
	ck_assert_int_eq(buddyinfo_render(&s), 0);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[16];
		int node, n, off, order;
		unsigned long count, pages = 0;
		zone_t *z = NULL;

		ck_assert_int_eq(sscanf(line, "Node %d, zone %15s%n", &node, name, &off), 2);
		ck_assert_int_eq(node, 0);
		for (int j = 0; j < MAX_NR_ZONES; j++)
			if (!strcmp(zone_names[j], name))
				z = &contig_page_data.node_zones[j];
		ck_assert_ptr_nonnull(z);
		for (order = 0; sscanf(line + off, "%lu%n", &count, &n) == 1; order++) {
			ck_assert_uint_eq(count, z->free_area[order].nr_free);
			pages += count << order;
			off += n;
		}
		ck_assert_int_eq(order, MAX_ORDER);
		ck_assert_uint_eq(pages, zone_free_pages(z));
		zones++;
	}
	ck_assert_int_eq(zones, 3);
	vm_exit();
}
END_TEST

START_TEST(test_zoneinfo)
{
	struct seq_buf s;
	char *p;
	int j;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	drain_all_pages();
	seq_buf_init(&s, buf, sizeof(buf));
	ck_assert_int_eq(zoneinfo_render(&s), 0);
	for (j = 0; j < MAX_NR_ZONES; j++) {
		zone_t *z = &contig_page_data.node_zones[j];
		unsigned long free, min, low, high, spanned, present;
		char hdr[64];

		snprintf(hdr, sizeof(hdr), "Node 0, zone %8s\n", z->name);
		p = strstr(buf, hdr);
		ck_assert_msg(p != NULL, "no %s", hdr);
		ck_assert_int_eq(sscanf(p + strlen(hdr),
			" pages free %lu min %lu low %lu high %lu spanned %lu present %lu",
			&free, &min, &low, &high, &spanned, &present), 6);
		ck_assert_uint_eq(free, zone_free_pages(z));
		ck_assert_uint_eq(min, z->pages_min);
		ck_assert_uint_eq(low, z->pages_low);
		ck_assert_uint_eq(high, z->pages_high);
		ck_assert_uint_eq(spanned, z->size);
		ck_assert_uint_eq(present, z->present_pages);
	}
	vm_exit();
}
END_TEST

static unsigned long vmstat_field(const char *text, const char *name)
{
	char key[64];
	const char *p = text;
	unsigned long v;

	while (sscanf(p, "%63s %lu", key, &v) == 2) {
		if (!strcmp(key, name))
			return v;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	ck_abort_msg("vmstat lacks %s", name);
	return 0;
}

START_TEST(test_vmstat_counts)
{
	struct seq_buf s;
	unsigned long high0, free0;
	struct page *pages[100];
	int i;

	vm_test_boot(MiB(64), MiB(32), KMAP_DIRECT);
	seq_buf_init(&s, buf, sizeof(buf));
	ck_assert_int_eq(vmstat_render(&s), 0);
	high0 = vmstat_field(buf, "pgalloc_high");
	free0 = vmstat_field(buf, "pgfree");
	for (i = 0; i < 100; i++)
		pages[i] = alloc_page(GFP_HIGHUSER);
	for (i = 0; i < 100; i++)
		__free_page(pages[i]);
	seq_buf_init(&s, buf, sizeof(buf));
	ck_assert_int_eq(vmstat_render(&s), 0);
	ck_assert_uint_eq(vmstat_field(buf, "pgalloc_high"), high0 + 100);
	ck_assert_uint_eq(vmstat_field(buf, "pgfree"), free0 + 100);
	ck_assert_uint_eq(vmstat_field(buf, "nr_free_pages"), nr_free_pages());
	vm_exit();
}
END_TEST

START_TEST(test_small_buffer_enospc)
{
	struct seq_buf s;
	char small[40];

	vm_test_boot(MiB(16), 0, KMAP_DIRECT);
	seq_buf_init(&s, small, sizeof(small));
	ck_assert_int_eq(zoneinfo_render(&s), -ENOSPC);
	ck_assert_uint_lt(strlen(small), sizeof(small));
	vm_exit();
}
END_TEST

static Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("stats");

	tcase_add_test(tc, test_meminfo);
	tcase_add_test(tc, test_buddyinfo);
	tcase_add_test(tc, test_zoneinfo);
	tcase_add_test(tc, test_vmstat_counts);
	tcase_add_test(tc, test_small_buffer_enospc);
	suite_add_tcase(s, tc);
	return s;
}

VM_TEST_MAIN(stats_suite)
