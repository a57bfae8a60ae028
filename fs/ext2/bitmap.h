/*
 * fs/ext2/bitmap.h - ext2's on-disk bitmaps (little-endian bit order: bit
 * n is bit n % 8 of byte n / 8) and the group descriptor counters.
 *
 * The bitmap helpers are plain: the caller holds the group's lock.  The
 * descriptor counters are read without it (allocation policy looks at
 * every group), so they are read and written with atomic 16-bit accesses.
 */
#ifndef IMGFS_FS_EXT2_BITMAP_H
#define IMGFS_FS_EXT2_BITMAP_H

#include "fs/ext2/ext2_fs.h"

static inline int ext2_test_bit(unsigned long nr, const void *map)
{
	return (((const unsigned char *)map)[nr >> 3] >> (nr & 7)) & 1;
}

static inline void ext2_set_bit(unsigned long nr, void *map)
{
	((unsigned char *)map)[nr >> 3] |= (unsigned char)(1U << (nr & 7));
}

static inline void ext2_clear_bit(unsigned long nr, void *map)
{
	((unsigned char *)map)[nr >> 3] &= (unsigned char)~(1U << (nr & 7));
}

/* The first clear bit in [start, size), or size. */
static inline unsigned long ext2_find_next_zero_bit(const void *map, unsigned long size,
						    unsigned long start)
{
	const unsigned char *p = map;

	while (start < size) {
		if ((start & 7) == 0 && p[start >> 3] == 0xff && start + 8 <= size) {
			start += 8;
			continue;
		}
		if (!ext2_test_bit(start, map))
			return start;
		start++;
	}
	return size;
}

static inline unsigned int gd_get(const __le16 *field)
{
	return le16_to_cpu(__atomic_load_n(field, __ATOMIC_RELAXED));
}

/* Caller holds the group's lock. */
static inline void gd_add(__le16 *field, int delta)
{
	__atomic_store_n(field, cpu_to_le16((uint16_t)(gd_get(field) + delta)),
			 __ATOMIC_RELAXED);
}

#endif
