/*
 * vm/arena.h - the machine's physical memory: one memfd.
 *
 * Frame N is bytes [N*PAGE_SIZE, (N+1)*PAGE_SIZE) of the memfd.  One virtual
 * reservation of the arena's size holds the direct map: low memory
 * [0, low_size) is mapped read-write there for good.  What the high part of
 * the reservation holds depends on kmap mode:
 *
 *   KMAP_DIRECT  the high frames are mapped there too; kmap() returns that
 *                address and only keeps the counts.
 *   KMAP_STRICT  the high part stays PROT_NONE, so a high frame can only be
 *                touched through a kmap()/kmap_atomic() window, and a stray
 *                pointer into high memory faults at once.
 *
 *   base                          base+low_size                    base+size
 *   |<--------- low: DMA, NORMAL ------->|<------------ HIGHMEM -------->|
 *   always mapped                         direct: mapped / strict: PROT_NONE
 */
#ifndef IMGFS_VM_ARENA_H
#define IMGFS_VM_ARENA_H

enum kmap_mode {
	KMAP_DIRECT,
	KMAP_STRICT,
};

struct arena {
	int memfd;
	unsigned long size;		/* bytes, page multiple */
	unsigned long low_size;		/* bytes of DMA+NORMAL */
	char *base;			/* the reservation (direct map) */
	enum kmap_mode kmap_mode;
};

extern struct arena arena;

/* Create the memfd and the mappings.  Returns 0 or -errno. */
int arena_create(unsigned long size, unsigned long low_size, enum kmap_mode mode);
void arena_destroy(void);

/* Reserve npages of address space, PROT_NONE.  NULL on failure. */
void *arena_reserve_window(unsigned long npages);
void arena_release_window(void *addr, unsigned long npages);

/* Map frame pfn read-write at vaddr (a page of a reserved window). */
int arena_map_frame(void *vaddr, unsigned long pfn);

/* Make vaddr PROT_NONE again. */
int arena_unmap_frame(void *vaddr);

#endif
