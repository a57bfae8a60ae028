/*
 * fs/fuse/nodes.c - the kernel's lookup counts: node id -> (inode number,
 * generation, lookup count).
 *
 * FUSE's protocol: every reply that hands the kernel an inode (lookup,
 * create, mknod, mkdir, symlink, link, readdirplus) adds one to that
 * inode's lookup count; FORGET subtracts.  On a host with plenty of
 * memory the kernel rarely forgets, so a node must not pin the in-core
 * inode: it keeps only the number and generation, and each request takes
 * its own reference with node_iget() (from the inode cache, or read back
 * from the inode table after prune_icache evicted it) and drops it when
 * done.  This is 2.4's split between the dentry, which names, and the
 * inode cache, which the shrinker may empty.
 *
 * The one exception is an inode whose link count fell to 0 while the
 * kernel still knows it (a removed cwd, a name unlinked under a looked-up
 * inode): its blocks must live until the last FORGET, as the kernel's
 * dentry would keep them.  node_unlinked() moves a reference into the
 * node (pin), and the last FORGET drops it - then the last iput deletes
 * the inode.  An open file holds its inode through its file handle
 * (ops.c), not through the node.
 *
 * A lookup is not a use of the data, though: the kernel may keep an
 * unlinked inode for a while (an O_PATH descriptor, its own caches), and
 * the blocks of a big deleted file must not wait for the FORGET.  So each
 * node also counts its open file handles, and an unlinked regular file
 * that none has open gives its blocks back at once (at the unlink, or at
 * the last release), as ext2 does when its last user goes.
 *
 * Node ids are inode numbers (fuse_i.h), so the table maps a number to a
 * small record, sharded by inode number so lookups of different files do
 * not share a lock.
 *
 * Locking: shard[i].lock protects the chains of its buckets and every
 * field of the nodes in them.  It is a leaf: iget, iput and the allocator
 * run with no shard lock held.  The kernel keeps the node alive across
 * each request naming it.
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
	unsigned int generation;	/* shard lock: of the last inode handed out */
	uint64_t nlookup;		/* shard lock */
	unsigned long nopen;		/* shard lock: open file handles */
	struct inode *pin;		/* shard lock: reference on an unlinked inode */
};

static struct {
	pthread_mutex_t lock;
} __attribute__((aligned(64))) shard[NODE_SHARDS];

static struct fuse_node *node_hash[1 << NODE_HASH_BITS];	/* shard locks */
static kmem_cache_t *node_cachep;
static struct super_block *node_sb;				/* set once */
static unsigned long nr_nodes, nr_pinned;			/* atomic */

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

/* Caller holds the bucket's shard lock: one more lookup on node, which
 * now names inode's generation. */
static void __node_get(struct fuse_node *node, const struct inode *inode)
{
	node->nlookup++;
	node->generation = inode->i_generation;
}

uint64_t node_hand_out(struct inode *inode)
{
	unsigned long ino = inode->i_ino;
	unsigned int b = node_bucket(ino);
	struct fuse_node *node, *fresh = NULL;
	uint64_t id = ino_to_nodeid(ino);

	for (;;) {
		pthread_mutex_lock(bucket_lock(b));
		node = __node_find(b, ino);
		if (node || fresh)
			break;
		pthread_mutex_unlock(bucket_lock(b));
		fresh = kmem_cache_alloc(node_cachep, SLAB_KERNEL);
		if (!fresh) {
			id = 0;
			goto out;
		}
	}
	if (!node) {
		node = fresh;
		fresh = NULL;
		node->ino = ino;
		node->nlookup = 0;
		node->nopen = 0;
		node->pin = NULL;
		node->next = node_hash[b];
		node_hash[b] = node;
		__atomic_fetch_add(&nr_nodes, 1, __ATOMIC_RELAXED);
	}
	__node_get(node, inode);
	pthread_mutex_unlock(bucket_lock(b));
	if (fresh)
		kmem_cache_free(node_cachep, fresh);
out:
	iput(inode);
	return id;
}

int node_iget(uint64_t nodeid, struct inode **out)
{
	unsigned long ino = nodeid_to_ino(nodeid);
	unsigned int b = node_bucket(ino);
	struct fuse_node *node;
	struct inode *inode = NULL;
	unsigned int generation = 0;
	int err;

	pthread_mutex_lock(bucket_lock(b));
	node = __node_find(b, ino);
	if (node) {
		generation = node->generation;
		if (node->pin)
			inode = igrab(node->pin);
	}
	pthread_mutex_unlock(bucket_lock(b));
	if (!node)
		return -ESTALE;
	if (inode)
		goto found;
	err = ext2_iget(node_sb, ino, &inode);
	if (err)
		return err;
	/* The number was freed and reused: the kernel's node is gone. */
	if (inode->i_generation != generation) {
		iput(inode);
		return -ESTALE;
	}
found:
	*out = inode;
	return 0;
}

void node_unlinked(struct inode *inode)
{
	unsigned int b = node_bucket(inode->i_ino);
	struct fuse_node *node;
	int open = 0;

	if (READ_ONCE(inode->i_nlink))
		goto drop;
	pthread_mutex_lock(bucket_lock(b));
	node = __node_find(b, inode->i_ino);
	if (node && node->generation == inode->i_generation) {
		open = node->nopen != 0;
		if (!node->pin) {
			node->pin = igrab(inode);
			__atomic_fetch_add(&nr_pinned, 1, __ATOMIC_RELAXED);
		}
	}
	pthread_mutex_unlock(bucket_lock(b));
	/* Before the reply: rm returns with the blocks free. */
	if (!open)
		ext2_free_unlinked_data(inode);
drop:
	iput(inode);
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
	if (node && node->nopen && !--node->nopen && node->pin)
		last = igrab(node->pin);
	pthread_mutex_unlock(bucket_lock(b));
	if (last) {
		ext2_free_unlinked_data(last);
		iput(last);
	}
}

/* The node has left the hash: free it and what it pinned. */
static void node_free(struct fuse_node *node)
{
	if (node->pin) {
		__atomic_fetch_sub(&nr_pinned, 1, __ATOMIC_RELAXED);
		iput(node->pin);
	}
	kmem_cache_free(node_cachep, node);
	__atomic_fetch_sub(&nr_nodes, 1, __ATOMIC_RELAXED);
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
	node_free(node);
}

unsigned long nodes_count(void)
{
	return __atomic_load_n(&nr_nodes, __ATOMIC_RELAXED);
}

unsigned long nodes_pinned(void)
{
	return __atomic_load_n(&nr_pinned, __ATOMIC_RELAXED);
}

int nodes_init(struct super_block *sb)
{
	struct inode *root;
	int i, err;

	for (i = 0; i < NODE_SHARDS; i++)
		pthread_mutex_init(&shard[i].lock, NULL);
	node_sb = sb;
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
			node_free(node);
			pthread_mutex_lock(bucket_lock(b));
		}
		pthread_mutex_unlock(bucket_lock(b));
	}
	kmem_cache_destroy(node_cachep);
	node_cachep = NULL;
}
