/*
 * fs/fuse/fuse_i.h - what the files of fs/fuse share: the node table
 * (nodes.c) and the counters.
 *
 * Locking (a leaf level below everything in vm/locking.h's fs part, as
 * none of these is held while calling ext2, iput or the allocator):
 *   node shard locks   (nodes.c: hash chains, nlookup)
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

/* The table and the root node (which holds its own lookup, never forgotten). */
int nodes_init(struct super_block *sb);
/* Every node's reference dropped, whatever the kernel's counts. */
void nodes_exit(void);

/*
 * The kernel is being told about inode (one more lookup): the caller's
 * reference passes to the node (or is dropped if the node already holds
 * one).  Returns the node id, or 0 with the reference dropped when no
 * memory is left for a node.
 */
uint64_t node_hand_out(struct inode *inode);

/* The inode behind a node id the kernel holds a lookup on, or NULL.  No
 * reference is taken: the kernel sends no request on a node it forgot,
 * and forgets none with a request on it in flight. */
struct inode *node_inode(uint64_t nodeid);

/* The kernel drops n lookups; the last one drops the node's reference. */
void node_forget(uint64_t nodeid, uint64_t n);

/*
 * Open file handles of a node: node_open before the open is answered (the
 * kernel may release at once), node_release when it is released; the last
 * release of an unlinked file frees its data.  node_unlinked: a name of
 * inode (referenced by the caller) is gone; if nothing has it open and
 * that was its last link, its data are freed now, whatever lookups the
 * kernel still holds (ext2_free_unlinked_data).  Hold no shard lock.
 */
void node_open(uint64_t nodeid);
void node_release(uint64_t nodeid);
void node_unlinked(struct inode *inode);

unsigned long nodes_count(void);

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
