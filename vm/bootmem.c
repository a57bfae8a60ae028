/*
 * vm/bootmem.c - the boot memory allocator (book chapter 5; mm/bootmem.c).
 *
 * Interface (in boot order): init_bootmem() -> free_bootmem() for usable
 * memory -> reserve_bootmem() for what is taken -> alloc_bootmem*() while
 * building mem_map and the zones -> free_all_bootmem() to retire.
 * Locking: none; vm_init() is single-threaded.
 */
#include <string.h>
#include "vm/bootmem.h"
#include "vm/mm.h"

bootmem_data_t contig_bootmem_data;

static unsigned long bootmap_bytes(unsigned long pages)
{
	unsigned long bytes = (pages + 7) / 8;

	/* Whole longs, so the bit helpers never read past the end. */
	return (bytes + sizeof(long) - 1) & ~(sizeof(long) - 1);
}

static unsigned long bdata_pages(const bootmem_data_t *bdata)
{
	return bdata->node_low_pfn - (bdata->node_boot_start >> PAGE_SHIFT);
}

unsigned long init_bootmem_core(bootmem_data_t *bdata, unsigned long mapstart,
				unsigned long start, unsigned long end)
{
	unsigned long mapsize = bootmap_bytes(end - start);

	bdata->node_bootmem_map = __va(mapstart << PAGE_SHIFT);
	bdata->node_boot_start = start << PAGE_SHIFT;
	bdata->node_low_pfn = end;
	bdata->last_offset = 0;
	bdata->last_pos = 0;
	/* Everything reserved until the caller says what is usable. */
	memset(bdata->node_bootmem_map, 0xff, mapsize);
	contig_page_data.bdata = bdata;
	return mapsize;
}

unsigned long init_bootmem(unsigned long start, unsigned long pages)
{
	return init_bootmem_core(&contig_bootmem_data, start, 0, pages);
}

void reserve_bootmem(unsigned long addr, unsigned long size)
{
	bootmem_data_t *bdata = &contig_bootmem_data;
	unsigned long sidx = (addr - bdata->node_boot_start) >> PAGE_SHIFT;
	unsigned long eidx = (addr + size - bdata->node_boot_start +
			      PAGE_SIZE - 1) >> PAGE_SHIFT;
	unsigned long i;

	VM_BUG_ON(!size || eidx > bdata_pages(bdata));
	for (i = sidx; i < eidx; i++)
		set_bit(i, bdata->node_bootmem_map);
}

void free_bootmem(unsigned long addr, unsigned long size)
{
	bootmem_data_t *bdata = &contig_bootmem_data;
	/* Round inwards: a partly covered frame stays reserved. */
	unsigned long sidx = (addr + PAGE_SIZE - 1 - bdata->node_boot_start) >> PAGE_SHIFT;
	unsigned long eidx = (addr + size - bdata->node_boot_start) >> PAGE_SHIFT;
	unsigned long i;

	VM_BUG_ON(!size || eidx > bdata_pages(bdata));
	for (i = sidx; i < eidx; i++) {
		if (!test_and_clear_bit(i, bdata->node_bootmem_map))
			BUG();	/* freeing a frame that was never reserved */
	}
	if (bdata->last_pos >= sidx && bdata->last_pos < eidx)
		bdata->last_offset = 0;
}

/* First fit of areasize frames starting at a multiple of step. */
static long find_free_run(bootmem_data_t *bdata, unsigned long start,
			  unsigned long areasize, unsigned long step)
{
	unsigned long eidx = bdata_pages(bdata), i, j;

	for (i = start; i + areasize <= eidx; i += step) {
		for (j = i; j < i + areasize; j++)
			if (test_bit(j, bdata->node_bootmem_map))
				break;
		if (j == i + areasize)
			return (long)i;
	}
	return -1;
}

/*
 * Put a small request into the tail of the page the previous allocation
 * ended in, if it fits there.  Returns the address, or NULL.
 */
static void *merge_with_last(bootmem_data_t *bdata, unsigned long size,
			     unsigned long align)
{
	unsigned long offset;

	if (align >= PAGE_SIZE || !bdata->last_offset)
		return NULL;
	offset = (bdata->last_offset + align - 1) & ~(align - 1);
	if (offset + size > PAGE_SIZE)
		return NULL;
	bdata->last_offset = offset + size;
	if (bdata->last_offset == PAGE_SIZE)
		bdata->last_offset = 0;
	return __va(bdata->node_boot_start + bdata->last_pos * PAGE_SIZE + offset);
}

static void *__alloc_bootmem_core(bootmem_data_t *bdata, unsigned long size,
				  unsigned long align, unsigned long goal)
{
	unsigned long areasize = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	unsigned long step = align > PAGE_SIZE ? align >> PAGE_SHIFT : 1;
	unsigned long preferred = 0, i;
	long start;
	void *ret;

	VM_BUG_ON(!size || !align || (align & (align - 1)));
	ret = merge_with_last(bdata, size, align);
	if (ret)
		return memset(ret, 0, size);

	if (goal >= bdata->node_boot_start && (goal >> PAGE_SHIFT) < bdata->node_low_pfn)
		preferred = (((goal - bdata->node_boot_start) >> PAGE_SHIFT) + step - 1) &
			    ~(step - 1);
	start = find_free_run(bdata, preferred, areasize, step);
	if (start < 0 && preferred)
		start = find_free_run(bdata, 0, areasize, step);
	if (start < 0)
		return NULL;

	for (i = (unsigned long)start; i < (unsigned long)start + areasize; i++)
		set_bit(i, bdata->node_bootmem_map);
	bdata->last_pos = (unsigned long)start + areasize - 1;
	bdata->last_offset = size & ~PAGE_MASK;
	ret = __va(bdata->node_boot_start + (unsigned long)start * PAGE_SIZE);
	return memset(ret, 0, size);
}

void *__alloc_bootmem(unsigned long size, unsigned long align, unsigned long goal)
{
	return __alloc_bootmem_core(&contig_bootmem_data, size, align, goal);
}

unsigned long bootmem_reserved_pages(void)
{
	bootmem_data_t *bdata = &contig_bootmem_data;
	unsigned long i, n = 0;

	for (i = 0; i < bdata_pages(bdata); i++)
		n += test_bit(i, bdata->node_bootmem_map);
	return n;
}

static unsigned long free_all_bootmem_core(bootmem_data_t *bdata)
{
	unsigned long pfn0 = bdata->node_boot_start >> PAGE_SHIFT;
	unsigned long mapsize = bootmap_bytes(bdata_pages(bdata));
	unsigned long mappfn, i, count = 0;

	for (i = 0; i < bdata_pages(bdata); i++) {
		struct page *page = pfn_to_page(pfn0 + i);

		if (test_bit(i, bdata->node_bootmem_map))
			continue;
		ClearPageReserved(page);
		set_page_count(page, 1);
		__free_page(page);
		count++;
	}
	/* The map itself is the last thing boot memory owned. */
	mappfn = __pa(bdata->node_bootmem_map) >> PAGE_SHIFT;
	for (i = 0; i < (mapsize + PAGE_SIZE - 1) / PAGE_SIZE; i++) {
		struct page *page = pfn_to_page(mappfn + i);

		ClearPageReserved(page);
		set_page_count(page, 1);
		__free_page(page);
		count++;
	}
	bdata->node_bootmem_map = NULL;
	return count;
}

unsigned long free_all_bootmem(void)
{
	return free_all_bootmem_core(&contig_bootmem_data);
}
