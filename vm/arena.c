/*
 * vm/arena.c - the arena: a memfd standing in for physical memory, and the
 * direct map over it (layout in arena.h).
 *
 * Interface: arena_create() once at boot, arena_destroy() at exit; the
 * window calls serve kmap (PKMap and the atomic slots) in strict mode.
 * Locking: none; the arena is fixed between create and destroy, and the
 * window calls touch only address space their caller owns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vm/arena.h"
#include "vm/mmzone.h"

struct arena arena = { .memfd = -1 };

static int map_fixed(void *addr, unsigned long len, off_t off)
{
	void *p = mmap(addr, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, arena.memfd, off);

	return p == MAP_FAILED ? -errno : 0;
}

int arena_create(unsigned long size, unsigned long low_size, enum kmap_mode mode)
{
	int ret;

	if (!size || size % PAGE_SIZE || low_size % PAGE_SIZE || low_size > size ||
	    !low_size)
		return -EINVAL;
	arena.memfd = memfd_create("imgfs-arena", MFD_CLOEXEC);
	if (arena.memfd < 0)
		return -errno;
	if (ftruncate(arena.memfd, (off_t)size)) {
		ret = -errno;
		goto out_close;
	}
	arena.base = mmap(NULL, size, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena.base == MAP_FAILED) {
		ret = -errno;
		goto out_close;
	}
	arena.size = size;
	arena.low_size = low_size;
	arena.kmap_mode = mode;
	/* Low memory: the permanent direct map. */
	ret = map_fixed(arena.base, low_size, 0);
	if (ret)
		goto out_unmap;
	if (mode == KMAP_DIRECT && size > low_size) {
		ret = map_fixed(arena.base + low_size, size - low_size, (off_t)low_size);
		if (ret)
			goto out_unmap;
	}
	return 0;

out_unmap:
	munmap(arena.base, size);
	arena.base = NULL;
out_close:
	close(arena.memfd);
	arena.memfd = -1;
	return ret;
}

void arena_destroy(void)
{
	if (arena.base)
		munmap(arena.base, arena.size);
	if (arena.memfd >= 0)
		close(arena.memfd);
	arena.base = NULL;
	arena.memfd = -1;
	arena.size = arena.low_size = 0;
}

void *arena_reserve_window(unsigned long npages)
{
	void *p = mmap(NULL, npages * PAGE_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void arena_release_window(void *addr, unsigned long npages)
{
	if (addr)
		munmap(addr, npages * PAGE_SIZE);
}

int arena_map_frame(void *vaddr, unsigned long pfn)
{
	if (pfn >= arena.size / PAGE_SIZE)
		return -EINVAL;
	return map_fixed(vaddr, PAGE_SIZE, (off_t)(pfn * PAGE_SIZE));
}

int arena_unmap_frame(void *vaddr)
{
	void *p = mmap(vaddr, PAGE_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? -errno : 0;
}
