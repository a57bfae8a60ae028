/*
 * fs/fuse/fuse_i.h - what the files of fs/fuse share: the node table
 * (nodes.c) and the counters.
 *
 * Locking (a leaf level below everything in vm/locking.h's fs part, as
 * none of these is held while calling ext2, iget, iput or the allocator):
 *   node shard locks   (nodes.c: hash chains, node fields)
 *   the counters are relaxed atomics.
 */
#ifndef IMGFS_FS_FUSE_FUSE_I_H
#define IMGFS_FS_FUSE_FUSE_I_H

#include <stdint.h>
#include "fs/fuse/imgfs_fuse.h"

struct inode;

/* Node id <-> ext2 inode number: ext2's root is FUSE_ROOT_ID. */
#define IMGFS_FUSE_ROOT_ID	1UL
#define IMGFS_EXT2_ROOT_INO	2UL

static inline uint64_t ino_to_nodeid(unsigned long ino)
{
	return ino == IMGFS_EXT2_ROOT_INO ? IMGFS_FUSE_ROOT_ID : ino;
}

static inline unsigned long nodeid_to_ino(uint64_t nodeid)
{
	return nodeid == IMGFS_FUSE_ROOT_ID ? IMGFS_EXT2_ROOT_INO : (unsigned long)nodeid;
}

/* The table and the root node (never forgotten). */
int nodes_init(struct super_block *sb);
/* Every node and what it pins dropped, whatever the kernel's counts. */
void nodes_exit(void);

/*
 * The kernel is being told about inode (one more lookup).  The caller's
 * reference is dropped: a node names an inode, it does not hold it.
 * Returns the node id, or 0 when no memory is left for a node.
 */
uint64_t node_hand_out(struct inode *inode);

/*
 * *out: a reference on the inode behind a node id the kernel holds a
 * lookup on - from the inode cache, or read back from the image if the
 * cache let it go.  The caller iput()s it.  0, -ESTALE (no such node, or
 * its number now belongs to another inode), -ENOMEM or -EIO.
 */
int node_iget(uint64_t nodeid, struct inode **out);

/* The kernel drops n lookups; the last one frees the node (and its pin). */
void node_forget(uint64_t nodeid, uint64_t n);

/*
 * A name of inode was removed (unlink, rmdir, rename over it); the
 * caller's reference passes in.  If that was the last link and the
 * kernel still knows the inode, the node keeps the reference until the
 * last FORGET (the inode itself lives on), and if no handle has it open
 * its data are freed now, whatever lookups the kernel still holds
 * (ext2_free_unlinked_data): a lookup is not a use of the data.
 * Otherwise the reference is dropped.
 *
 * Open file handles of a node: node_open before the open is answered (the
 * kernel may release at once), node_release when it is released; the last
 * release of an unlinked file frees its data.  Hold no shard lock.
 */
void node_open(uint64_t nodeid);
void node_release(uint64_t nodeid);
void node_unlinked(struct inode *inode);

unsigned long nodes_count(void);
/* Nodes holding an unlinked inode (node_unlinked). */
unsigned long nodes_pinned(void);

/* The mounted super block (ops.c), for the statistics. */
struct super_block *imgfs_fuse_sb(void);

/* Counters (relaxed atomics). */
struct imgfs_fuse_counters {
	unsigned long nr_open, nr_read, nr_write, read_bytes, write_bytes;
};
extern struct imgfs_fuse_counters imgfs_counters;

static inline void fuse_count(unsigned long *ctr, unsigned long n)
{
	__atomic_fetch_add(ctr, n, __ATOMIC_RELAXED);
}

#endif
