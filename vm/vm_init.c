/*
 * vm/vm_init.c - booting the VM (book 5.2 and 5.5; the order of 2.4's
 * setup_memory(), paging_init(), mem_init(), kmem_cache_init()).
 *
 *   arena_create          the machine's memory appears
 *   setup_memory          boot allocator over low memory, map at frame 0
 *   paging_init           mem_map, zones, buddy bitmaps (all from bootmem)
 *   mem_init              bootmem retires: low frames to the buddy
 *                         allocator, then each high frame (one_highpage_init)
 *   kmem_cache_init       cache_cache, then the kmalloc caches
 *   kmap_init             the PKMap window
 *
 * Locking: none.  vm_init() and vm_exit() run with no other VM threads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vm/bootmem.h"
#include "vm/bounce.h"
#include "vm/fault_inject.h"
#include "vm/highmem.h"
#include "vm/mm.h"
#include "vm/pagemap.h"
#include "vm/pageset.h"
#include "vm/slab.h"
#include "vm/vm.h"
#include "vm/vmstat.h"

int free_area_init(const unsigned long zones_size[MAX_NR_ZONES]);
void free_area_exit(void);
extern int page_poisoning;

static int vm_up;

void vm_config_default(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem = 256UL << 20;
	cfg->kmap = KMAP_DIRECT;
	cfg->debug = getenv("IMGFS_VM_DEBUG") != NULL;
}

int vm_parse_size(const char *s, unsigned long *bytes)
{
	unsigned long long v = 0, shift = 0;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (~0ULL - 9) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (p == s)
		return -EINVAL;
	switch (*p) {
	case 'k': case 'K': shift = 10; p++; break;
	case 'm': case 'M': shift = 20; p++; break;
	case 'g': case 'G': shift = 30; p++; break;
	case 't': case 'T': shift = 40; p++; break;
	default: break;
	}
	if (shift && (p[0] == 'i' && p[1] == 'B'))
		p += 2;
	else if (*p == 'B' || *p == 'b')
		p++;
	if (*p)
		return -EINVAL;
	if (shift && v > (~0UL >> shift))
		return -EINVAL;
	*bytes = (unsigned long)(v << shift);
	return 0;
}

static unsigned long host_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	return pages > 0 && psize > 0 ? (unsigned long)pages * (unsigned long)psize : ~0UL;
}

int vm_config_validate(struct vm_config *cfg, const char **why)
{
	*why = NULL;
	if (cfg->mem < VM_MIN_MEM)
		*why = "mem is below the 4 MiB minimum";
	else if (cfg->mem % PAGE_SIZE || cfg->lowmem % PAGE_SIZE || cfg->dma % PAGE_SIZE)
		*why = "mem, lowmem and the DMA size must be multiples of 4 KiB";
	else if (cfg->mem > host_memory())
		*why = "mem is larger than this machine's memory";
	else if (cfg->lowmem > cfg->mem)
		*why = "lowmem is larger than mem";
	if (*why)
		return -EINVAL;
	if (!cfg->lowmem) {
		cfg->lowmem = cfg->mem <= (16UL << 20) ? cfg->mem : cfg->mem / 2;
		if (cfg->lowmem < (16UL << 20) && cfg->mem >= (16UL << 20))
			cfg->lowmem = 16UL << 20;
		if (cfg->lowmem > (896UL << 20))
			cfg->lowmem = 896UL << 20;
		cfg->lowmem &= PAGE_MASK;
	}
	if (!cfg->dma)
		cfg->dma = cfg->lowmem < VM_DMA_MAX ? cfg->lowmem : VM_DMA_MAX;
	if (cfg->lowmem < (2UL << 20))
		*why = "lowmem is below the 2 MiB minimum";
	else if (cfg->dma > cfg->lowmem)
		*why = "the DMA zone is larger than lowmem";
	/* mem_map and the buddy maps must fit in a quarter of low memory. */
	else if ((cfg->mem / PAGE_SIZE) * sizeof(struct page) > cfg->lowmem / 4)
		*why = "lowmem is too small to hold mem_map for this mem";
	else if (cfg->kmap != KMAP_DIRECT && cfg->kmap != KMAP_STRICT)
		*why = "kmap must be direct or strict";
	return *why ? -EINVAL : 0;
}

/* Boot allocator over all of low memory; its map sits at frame 0. */
static void setup_memory(void)
{
	unsigned long bootmap_size = init_bootmem(0, max_low_pfn);

	free_bootmem(0, max_low_pfn << PAGE_SHIFT);
	reserve_bootmem(0, bootmap_size);
}

static int paging_init(const struct vm_config *cfg)
{
	unsigned long zones_size[MAX_NR_ZONES];

	zones_size[ZONE_DMA] = cfg->dma >> PAGE_SHIFT;
	zones_size[ZONE_NORMAL] = (cfg->lowmem - cfg->dma) >> PAGE_SHIFT;
	zones_size[ZONE_HIGHMEM] = (cfg->mem - cfg->lowmem) >> PAGE_SHIFT;
	return free_area_init(zones_size);
}

static void one_highpage_init(struct page *page)
{
	ClearPageReserved(page);
	set_page_count(page, 1);
	__free_page(page);
}

static void mem_init(void)
{
	unsigned long pfn;
	zone_t *z;

	free_all_bootmem();
	for (pfn = highstart_pfn; pfn < max_pfn; pfn++)
		one_highpage_init(pfn_to_page(pfn));
	/* Whatever is still reserved was kept by boot (mem_map, maps). */
	for_each_zone(z) {
		unsigned long i, present = 0;

		for (i = 0; i < z->size; i++)
			present += !PageReserved(z->zone_mem_map + i);
		z->present_pages = present;
	}
	/* Boot freed into this thread's lists: start from a clean slate. */
	drain_local_pages();
}

int vm_init(const struct vm_config *config)
{
	struct vm_config cfg = *config;
	const char *why;
	int ret;

	if (vm_up)
		return -EBUSY;
	ret = vm_config_validate(&cfg, &why);
	if (ret) {
		vm_log("vm: %s", why);
		return ret;
	}
	ret = arena_create(cfg.mem, cfg.lowmem, cfg.kmap);
	if (ret)
		return ret;
	page_poisoning = cfg.debug;
	num_physpages = max_pfn = cfg.mem >> PAGE_SHIFT;
	max_low_pfn = highstart_pfn = cfg.lowmem >> PAGE_SHIFT;

	setup_memory();
	ret = paging_init(&cfg);
	if (ret)
		goto out_arena;
	ret = page_cache_init(num_physpages);	/* the hash table: bootmem */
	if (ret)
		goto out_zones;
	register_cpu_dead(drain_cpu_pages);
	mem_init();
	kmem_cache_init();
	kmem_cache_sizes_init();
	buffer_head_init();
	init_emergency_pool();
	ret = kmap_init();
	if (ret)
		goto out_slab;
	vm_up = 1;
	return 0;

out_slab:
	exit_emergency_pool();
	buffer_head_exit();
	kmem_cache_exit();
	page_cache_exit();
out_zones:
	free_area_exit();
out_arena:
	smp_reset();
	arena_destroy();
	return ret;
}

void vm_exit(void)
{
	if (!vm_up)
		return;
	page_cache_exit();	/* stops kswapd and the flusher if running */
	kmap_exit();
	exit_emergency_pool();
	buffer_head_exit();
	kmem_cache_exit();
	drain_all_pages();
	smp_release_cpu();
	smp_reset();
	zone_fault_clear_all();
	free_area_exit();
	vm_events_reset();
	arena_destroy();
	vm_up = 0;
}

int vm_is_up(void)
{
	return vm_up;
}
