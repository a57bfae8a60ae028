/*
 * fs/fuse/nodes.c - the kernel's lookup counts: node id <-> struct inode.
 *
 * FUSE's protocol: every reply that hands the kernel an inode (lookup,
 * create, mknod, mkdir, symlink, link, readdirplus) adds one to that
 * inode's lookup count; FORGET subtracts.  While the count is non-zero
 * the node keeps one reference on the inode (iget/iput, fs/inode.h), so
 * the inode cache cannot evict it and an unlinked file that is still open
 * or known lives on until the kernel forgets it - then the last iput
 * deletes it, as the kernel's own dentry cache would.
 *
 * A lookup is not a use of the data, though: the kernel may keep an
 * unlinked inode for a while (an O_PATH descriptor, its own caches), and
 * the blocks of a big deleted file must not wait for the FORGET.  So each
 * node also counts its open file handles, and an unlinked regular file
 * that none has open gives its blocks back at once (at the unlink, or at
 * the last release), as ext2 does when its last user goes.
 *
 * Node ids are inode numbers (fuse_i.h), so the table is only needed to
 * count: a hash of small records, sharded by inode number so lookups of
 * different files do not share a lock.
 *
 * Locking: shard[i].lock protects the chains of its buckets and every
 * count in them.  It is a leaf: iput() and the allocator run with no
 * shard lock held.  The kernel keeps the node alive across each request
 * naming it, so node_inode()'s answer stays valid for the request.
 */
#include <errno.h>
#include <pthread.h>
#include "fs/ext2/ext2.h"
#include "fs/fuse/fuse_i.h"
#include "fs/inode.h"
#include "vm/slab.h"

#define NODE_HASH_BITS	14
#define NODE_SHARDS	64

_Static_assert((1 << NODE_HASH_BITS) % NODE_SHARDS == 0, "buckets split evenly");

struct fuse_node {
	struct fuse_node *next;		/* shard lock: hash chain */
	unsigned long ino;		/* set once */
	struct inode *inode;		/* set once: the reference held */
	uint64_t nlookup;		/* shard lock */
	unsigned long nopen;		/* shard lock: open file handles */
};

static struct {
	pthread_mutex_t lock;
} __attribute__((aligned(64))) shard[NODE_SHARDS];

static struct fuse_node *node_hash[1 << NODE_HASH_BITS];	/* shard locks */
static kmem_cache_t *node_cachep;
static unsigned long nr_nodes;					/* atomic */

static unsigned int node_bucket(unsigned long ino)
{
	return (unsigned int)((ino * 0x9E3779B97F4A7C15UL) >> (64 - NODE_HASH_BITS));
}

static pthread_mutex_t *bucket_lock(unsigned int b)
{
	return &shard[b % NODE_SHARDS].lock;
}

/* Caller holds the bucket's shard lock. */
static struct fuse_node *__node_find(unsigned int b, unsigned long ino)
{
	struct fuse_node *n;

	for (n = node_hash[b]; n; n = n->next)
		if (n->ino == ino)
			return n;
	return NULL;
}

/* Caller holds the bucket's shard lock. */
static void __node_unhash(unsigned int b, struct fuse_node *node)
{
	struct fuse_node **pp;

	for (pp = &node_hash[b]; *pp != node; pp = &(*pp)->next)
		;
	*pp = node->next;
}

uint64_t node_hand_out(struct inode *inode)
{
	unsigned long ino = inode->i_ino;
	unsigned int b = node_bucket(ino);
	struct fuse_node *node, *fresh = NULL;

	for (;;) {
		pthread_mutex_lock(bucket_lock(b));
		node = __node_find(b, ino);
		if (node) {
			node->nlookup++;
			pthread_mutex_unlock(bucket_lock(b));
			iput(inode);		/* the node holds one already */
			if (fresh)
				kmem_cache_free(node_cachep, fresh);
			return ino_to_nodeid(ino);
		}
		if (fresh)
			break;
		pthread_mutex_unlock(bucket_lock(b));
		fresh = kmem_cache_alloc(node_cachep, SLAB_KERNEL);
		if (!fresh) {
			iput(inode);
			return 0;
		}
	}
	fresh->ino = ino;
	fresh->inode = inode;
	fresh->nlookup = 1;
	fresh->nopen = 0;
	fresh->next = node_hash[b];
	node_hash[b] = fresh;
	pthread_mutex_unlock(bucket_lock(b));
	__atomic_fetch_add(&nr_nodes, 1, __ATOMIC_RELAXED);
	return ino_to_nodeid(ino);
}

struct inode *node_inode(uint64_t nodeid)
{
	unsigned long ino = nodeid_to_ino(nodeid);
	unsigned int b = node_bucket(ino);
	struct fuse_node *node;
	struct inode *inode;

	pthread_mutex_lock(bucket_lock(b));
	node = __node_find(b, ino);
	inode = node ? node->inode : NULL;
	pthread_mutex_unlock(bucket_lock(b));
	return inode;
}

void node_forget(uint64_t nodeid, uint64_t n)
{
	unsigned long ino = nodeid_to_ino(nodeid);
	unsigned int b = node_bucket(ino);
	struct fuse_node *node;

	pthread_mutex_lock(bucket_lock(b));
	node = __node_find(b, ino);
	if (!node) {
		pthread_mutex_unlock(bucket_lock(b));
		return;
	}
	node->nlookup = node->nlookup > n ? node->nlookup - n : 0;
	if (node->nlookup) {
		pthread_mutex_unlock(bucket_lock(b));
		return;
	}
	__node_unhash(b, node);
	pthread_mutex_unlock(bucket_lock(b));
	__atomic_fetch_sub(&nr_nodes, 1, __ATOMIC_RELAXED);
	iput(node->inode);
	kmem_cache_free(node_cachep, node);
}

void node_open(uint64_t nodeid)
{
	unsigned long ino = nodeid_to_ino(nodeid);
	unsigned int b = node_bucket(ino);
	struct fuse_node *node;

	pthread_mutex_lock(bucket_lock(b));
	node = __node_find(b, ino);
	if (node)
		node->nopen++;
	pthread_mutex_unlock(bucket_lock(b));
}

void node_release(uint64_t nodeid)
{
	unsigned long ino = nodeid_to_ino(nodeid);
	unsigned int b = node_bucket(ino);
	struct fuse_node *node;
	struct inode *last = NULL;

	pthread_mutex_lock(bucket_lock(b));
	node = __node_find(b, ino);
	if (node && node->nopen && !--node->nopen)
		last = node->inode;
	pthread_mutex_unlock(bucket_lock(b));
	/* The kernel holds the node until this release is answered. */
	if (last)
		ext2_free_unlinked_data(last);
}

void node_unlinked(struct inode *inode)
{
	unsigned long ino = inode->i_ino;
	unsigned int b = node_bucket(ino);
	struct fuse_node *node;
	int open;

	pthread_mutex_lock(bucket_lock(b));
	node = __node_find(b, ino);
	open = node && node->nopen;
	pthread_mutex_unlock(bucket_lock(b));
	if (!open)
		ext2_free_unlinked_data(inode);
}

unsigned long nodes_count(void)
{
	return __atomic_load_n(&nr_nodes, __ATOMIC_RELAXED);
}

int nodes_init(struct super_block *sb)
{
	struct inode *root;
	int i, err;

	for (i = 0; i < NODE_SHARDS; i++)
		pthread_mutex_init(&shard[i].lock, NULL);
	node_cachep = kmem_cache_create("fuse_node", sizeof(struct fuse_node), 0, 0,
					NULL, NULL);
	if (!node_cachep)
		return -errno;
	err = ext2_iget(sb, IMGFS_EXT2_ROOT_INO, &root);
	if (err)
		goto out_destroy;
	if (!node_hand_out(root)) {
		err = -ENOMEM;
		goto out_destroy;
	}
	return 0;

out_destroy:
	kmem_cache_destroy(node_cachep);
	node_cachep = NULL;
	return err;
}

void nodes_exit(void)
{
	unsigned int b;

	if (!node_cachep)
		return;
	for (b = 0; b < (1U << NODE_HASH_BITS); b++) {
		struct fuse_node *node;

		pthread_mutex_lock(bucket_lock(b));
		while ((node = node_hash[b])) {
			node_hash[b] = node->next;
			pthread_mutex_unlock(bucket_lock(b));
			iput(node->inode);
			kmem_cache_free(node_cachep, node);
			__atomic_fetch_sub(&nr_nodes, 1, __ATOMIC_RELAXED);
			pthread_mutex_lock(bucket_lock(b));
		}
		pthread_mutex_unlock(bucket_lock(b));
	}
	kmem_cache_destroy(node_cachep);
	node_cachep = NULL;
}
