/*
 * vm/bootmem.h - the boot memory allocator (book chapter 5).
 *
 * Before the buddy allocator exists, something must place mem_map and the
 * buddy bitmaps.  The boot allocator keeps one bit per low-memory frame
 * (set = reserved) and hands out first-fit runs, packing small requests
 * into the tail of the last partly used page (last_pos/last_offset).
 * free_all_bootmem() retires it: every frame still clear, and the bitmap's
 * own frames, go to the buddy allocator.  Only vm_init() calls these, from
 * one thread; there is no locking.
 */
#ifndef IMGFS_VM_BOOTMEM_H
#define IMGFS_VM_BOOTMEM_H

#define SMP_CACHE_BYTES	64

typedef struct bootmem_data {
	unsigned long node_boot_start;	/* physical address of frame 0 of the map */
	unsigned long node_low_pfn;	/* first frame past the map */
	unsigned long *node_bootmem_map;
	unsigned long last_offset;	/* bytes used in last_pos's page */
	unsigned long last_pos;		/* frame of the last allocation's end */
} bootmem_data_t;

/*
 * Place the map at frame mapstart covering frames [start, end); every frame
 * starts reserved.  Returns the map's size in bytes.
 */
unsigned long init_bootmem_core(bootmem_data_t *bdata, unsigned long mapstart,
				unsigned long start, unsigned long end);
unsigned long init_bootmem(unsigned long start, unsigned long pages);

/* Byte ranges in physical addresses; partial frames round inwards (free)
 * or outwards (reserve), as the kernel does. */
void free_bootmem(unsigned long addr, unsigned long size);
void reserve_bootmem(unsigned long addr, unsigned long size);

/*
 * size bytes aligned to align (a power of two), at or after physical
 * address goal if possible.  Zeroed.  NULL if no run is free (the kernel
 * panics; vm_init() fails with ENOMEM instead).
 */
void *__alloc_bootmem(unsigned long size, unsigned long align, unsigned long goal);
#define alloc_bootmem(x)	__alloc_bootmem((x), SMP_CACHE_BYTES, 0)
#define alloc_bootmem_pages(x)	__alloc_bootmem((x), PAGE_SIZE, 0)

/* Frames still reserved or partly used, for tests. */
unsigned long bootmem_reserved_pages(void);

/* Retire: free every unreserved frame to the buddy allocator and the map
 * itself; returns frames freed. */
unsigned long free_all_bootmem(void);

extern bootmem_data_t contig_bootmem_data;

#endif
