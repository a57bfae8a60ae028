/*
 * vm/vm.h - bringing the VM up and down (book 5.2, 5.5, 8.6: the order
 * setup_memory, paging_init, mem_init, kmem_cache_init follow).
 *
 * vm_init() creates the arena, sizes the zones, lets the boot memory
 * allocator place mem_map and the buddy bitmaps, retires it (handing every
 * free frame to the buddy allocator), then starts the slab allocator and
 * the PKMap window.  There is one VM per process, like one kernel per
 * machine.  Not thread-safe against itself: call it before starting
 * threads that allocate and vm_exit() after they have stopped.
 */
#ifndef IMGFS_VM_VM_H
#define IMGFS_VM_VM_H

#include "vm/arena.h"

#define VM_MIN_MEM	(4UL << 20)	/* smallest arena that boots */
#define VM_DMA_MAX	(16UL << 20)	/* ZONE_DMA is the first 16 MiB */

struct vm_config {
	unsigned long mem;		/* arena bytes */
	unsigned long lowmem;		/* DMA+NORMAL bytes; 0: default */
	unsigned long dma;		/* ZONE_DMA bytes; 0: min(16 MiB, lowmem) */
	enum kmap_mode kmap;
	int debug;			/* poison freed frames, check on reuse;
					 * default: IMGFS_VM_DEBUG is set */
};

/* Defaults: mem 256 MiB, lowmem as vm_config_validate() picks, kmap direct. */
void vm_config_default(struct vm_config *cfg);

/*
 * Parse "4096", "64K", "256M", "2G" (binary units, optional "iB"/"B").
 * 0 or -EINVAL (garbage, empty, overflow).
 */
int vm_parse_size(const char *s, unsigned long *bytes);

/*
 * Check cfg and fill in its defaults: lowmem = mem up to 16 MiB (a small
 * machine has no high memory), else half of mem, at least 16 MiB and at
 * most 896 MiB (i386's split); DMA = min(16 MiB, lowmem).  0, or -EINVAL with a reason in
 * *why (a static string) when a size is out of range or inconsistent.
 */
int vm_config_validate(struct vm_config *cfg, const char **why);

/* 0, or -errno (EINVAL for a bad config, ENOMEM if the host refuses). */
int vm_init(const struct vm_config *cfg);
void vm_exit(void);

/* Non-zero between vm_init() and vm_exit(). */
int vm_is_up(void);

#endif
