/*
 * fs/ext2/xattr.c - extended attributes in a block of their own (Linux
 * fs/ext2/xattr.c, Andreas Gruenbacher's 2.4 patch: ext2_xattr_get,
 * ext2_xattr_list, ext2_xattr_set, ext2_xattr_delete_inode,
 * ext2_xattr_hash_entry, ext2_xattr_rehash).
 *
 * The block (i_file_acl) starts with a header (magic, reference count,
 * hash), then entries growing down the block, sorted by (name index,
 * name length, name) and ended by four zero bytes; the values sit at the
 * block's end, each padded to 4 bytes.  Names are stored without their
 * prefix: "user." is index 1, "trusted." 4, "security." 6.
 *
 * A change reads the block into a list, edits the list and writes a whole
 * new block image: in place when this inode is the block's only user,
 * into a newly allocated block when the block is shared (h_refcount > 1,
 * made by mke2fs -d or the kernel's block sharing), whose count then
 * drops by one.  An empty list frees the block.  Attributes in the large
 * inode's body are left as they are (neither read nor changed).
 *
 * Locking: the inode's i_sem for every operation on it; s_xattr_lock
 * (per file system) around reference-count changes of a block, since
 * several inodes may share it; i_meta around i_file_acl, i_blocks and the
 * block allocation.  A corrupt block (bad magic, entries or values out of
 * the block) is -EIO and one log line.
 */
#include <string.h>
#include <sys/xattr.h>
#include "fs/ext2/ext2_i.h"
#include "vm/slab.h"

#define NAME_HASH_SHIFT		5
#define VALUE_HASH_SHIFT	16
#define BLOCK_HASH_SHIFT	16

/*
 * One attribute of a list: 16 bytes, so that the list of the most
 * entries a block can hold is one page (an order-0 kmalloc a fragmented
 * arena can always give).  The name is not NUL-terminated; it and the
 * value live in the list's copy of the old block, or are the caller's
 * (new_value: the list's new_value).
 */
struct xattr {
	const char *name;
	uint16_t value_off;	/* in old, unless new_value */
	uint16_t size;
	unsigned char index;
	unsigned char name_len;
	unsigned char new_value;
};

struct xattr_list {
	struct xattr *a;
	unsigned int n, max;
	char *old;		/* copy of the block the names and values point into */
	const char *new_value;	/* the caller's, for the entry marked new_value */
};

_Static_assert(sizeof(struct xattr) * (EXT2_MAX_BLOCK_SIZE / sizeof(struct ext2_xattr_entry)) <=
	       PAGE_SIZE, "a list fits one page");

static const char *attr_value(const struct xattr_list *l, const struct xattr *x)
{
	return x->new_value ? l->new_value : l->old + x->value_off;
}

static const struct {
	const char *prefix;
	unsigned char index;
} prefixes[] = {
	{ "user.", EXT2_XATTR_INDEX_USER },
	{ "trusted.", EXT2_XATTR_INDEX_TRUSTED },
	{ "security.", EXT2_XATTR_INDEX_SECURITY },
};

/* "user.foo" -> index 1, "foo".  0 or -EOPNOTSUPP / -ERANGE / -EINVAL. */
static int split_name(const char *full, unsigned char *index, const char **name)
{
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++) {
		n = strlen(prefixes[i].prefix);
		if (!strncmp(full, prefixes[i].prefix, n)) {
			*index = prefixes[i].index;
			*name = full + n;
			if (!**name)
				return -EINVAL;
			return strlen(*name) > EXT2_NAME_LEN ? -ERANGE : 0;
		}
	}
	return -EOPNOTSUPP;
}

static const char *prefix_of(unsigned char index)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (prefixes[i].index == index)
			return prefixes[i].prefix;
	return NULL;
}

/* ---- hashes, as e2fsck checks them ------------------------------------- */

static uint32_t hash_entry(const char *block, const struct ext2_xattr_entry *e)
{
	uint32_t hash = 0;
	int n;

	for (n = 0; n < e->e_name_len; n++)
		hash = (hash << NAME_HASH_SHIFT) ^ (hash >> (32 - NAME_HASH_SHIFT)) ^
		       (uint32_t)(int32_t)(signed char)e->e_name[n];
	if (!e->e_value_inum && e->e_value_size) {
		const __le32 *v = (const __le32 *)(block + le16_to_cpu(e->e_value_offs));

		for (n = (int)((le32_to_cpu(e->e_value_size) + EXT2_XATTR_ROUND) >> 2); n; n--)
			hash = (hash << VALUE_HASH_SHIFT) ^ (hash >> (32 - VALUE_HASH_SHIFT)) ^
			       le32_to_cpu(*v++);
	}
	return hash;
}

static struct ext2_xattr_entry *first_entry(char *block)
{
	return (struct ext2_xattr_entry *)(block + sizeof(struct ext2_xattr_header));
}

static struct ext2_xattr_entry *next_entry(struct ext2_xattr_entry *e)
{
	return (struct ext2_xattr_entry *)((char *)e + EXT2_XATTR_LEN(e->e_name_len));
}

static int is_last(const struct ext2_xattr_entry *e)
{
	return *(const uint32_t *)e == 0;
}

static void rehash(char *block)
{
	struct ext2_xattr_header *h = (struct ext2_xattr_header *)block;
	struct ext2_xattr_entry *e;
	uint32_t hash = 0;

	for (e = first_entry(block); !is_last(e); e = next_entry(e)) {
		if (!e->e_hash) {
			hash = 0;
			break;
		}
		hash = (hash << BLOCK_HASH_SHIFT) ^ (hash >> (32 - BLOCK_HASH_SHIFT)) ^
		       le32_to_cpu(e->e_hash);
	}
	h->h_hash = cpu_to_le32(hash);
}

/* ---- reading a block into a list ---------------------------------------- */

static int bad_block(struct inode *inode, unsigned long nr, const char *why)
{
	ext2_error_inode(inode->i_sb, inode->i_ino, "ext2_xattr",
			 "inode %lu: xattr block %lu: %s", inode->i_ino, nr, why);
	return -EIO;
}

/* Check the block and fill the list from it.  0 or -EIO. */
static int parse_block(struct inode *inode, unsigned long nr, char *block,
		       struct xattr_list *l)
{
	struct ext2_xattr_header *h = (struct ext2_xattr_header *)block;
	unsigned long bs = inode->i_sb->s_blocksize;
	struct ext2_xattr_entry *e;
	char *end = block + bs;

	if (le32_to_cpu(h->h_magic) != EXT2_XATTR_MAGIC || le32_to_cpu(h->h_blocks) != 1)
		return bad_block(inode, nr, "bad header");
	for (e = first_entry(block); ; e = next_entry(e)) {
		struct xattr *x;
		size_t off, size;

		if ((char *)e + sizeof(uint32_t) > end)
			return bad_block(inode, nr, "entries run off the block");
		if (is_last(e))
			break;
		if ((char *)next_entry(e) > end || l->n == l->max)
			return bad_block(inode, nr, "entries run off the block");
		off = le16_to_cpu(e->e_value_offs);
		size = le32_to_cpu(e->e_value_size);
		if (e->e_value_inum || off > bs || size > bs - off || !e->e_name_len)
			return bad_block(inode, nr, "bad entry");
		x = &l->a[l->n++];
		x->index = e->e_name_index;
		x->name_len = e->e_name_len;
		x->name = e->e_name;
		x->value_off = (uint16_t)off;
		x->size = (uint16_t)size;
		x->new_value = 0;
	}
	return 0;
}

static void list_free(struct xattr_list *l)
{
	kfree(l->a);
	kfree(l->old);
}

/* The inode's attributes as a list (empty if it has no block); *refcount
 * of its block.  Caller holds i_sem.  0 or -errno. */
static int read_list(struct inode *inode, struct xattr_list *l, uint32_t *refcount)
{
	unsigned long bs = inode->i_sb->s_blocksize, nr = EXT2_I(inode)->i_file_acl;
	struct buffer_head *bh;
	int err;

	memset(l, 0, sizeof(*l));
	*refcount = 0;
	l->max = (unsigned int)(bs / sizeof(struct ext2_xattr_entry));
	l->a = kmalloc(l->max * sizeof(struct xattr), GFP_NOFS);
	l->old = kmalloc(bs, GFP_NOFS);
	if (!l->a || !l->old) {
		list_free(l);
		return -ENOMEM;
	}
	if (!nr)
		return 0;
	if (!ext2_valid_block(inode->i_sb, nr)) {
		list_free(l);
		return bad_block(inode, nr, "outside the file system");
	}
	bh = ext2_sb_bread(inode->i_sb, nr);
	if (!bh) {
		list_free(l);
		return bad_block(inode, nr, "cannot read");
	}
	memcpy(l->old, bh->b_data, bs);
	brelse(bh);
	*refcount = le32_to_cpu(((struct ext2_xattr_header *)l->old)->h_refcount);
	err = parse_block(inode, nr, l->old, l);
	if (err)
		list_free(l);
	return err;
}

static int cmp_attr(const struct xattr *x, unsigned char index, const char *name,
		    size_t len)
{
	if (x->index != index)
		return x->index < index ? -1 : 1;
	if (x->name_len != len)
		return x->name_len < len ? -1 : 1;
	return memcmp(x->name, name, len);
}

/* The position of (index, name): found (*pos) or where it would go. */
static int find_attr(const struct xattr_list *l, unsigned char index, const char *name,
		     unsigned int *pos)
{
	size_t len = strlen(name);
	unsigned int i;

	for (i = 0; i < l->n; i++) {
		int c = cmp_attr(&l->a[i], index, name, len);

		if (c >= 0) {
			*pos = i;
			return c == 0;
		}
	}
	*pos = l->n;
	return 0;
}

/* ---- get and list -------------------------------------------------------- */

ssize_t ext2_getxattr(struct inode *inode, const char *name, void *buf, size_t size)
{
	struct xattr_list l;
	const char *sub;
	unsigned char index;
	unsigned int pos;
	uint32_t refcount;
	ssize_t ret;
	int err = split_name(name, &index, &sub);

	if (err)
		return err == -ERANGE ? -ENODATA : err;
	pthread_mutex_lock(&inode->i_sem);
	err = read_list(inode, &l, &refcount);
	pthread_mutex_unlock(&inode->i_sem);
	if (err)
		return err;
	if (!find_attr(&l, index, sub, &pos)) {
		ret = -ENODATA;
	} else {
		ret = (ssize_t)l.a[pos].size;
		if (size && l.a[pos].size > size)
			ret = -ERANGE;
		else if (size)
			memcpy(buf, attr_value(&l, &l.a[pos]), l.a[pos].size);
	}
	list_free(&l);
	return ret;
}

ssize_t ext2_listxattr(struct inode *inode, char *buf, size_t size)
{
	struct xattr_list l;
	uint32_t refcount;
	size_t total = 0;
	unsigned int i;
	int err;

	pthread_mutex_lock(&inode->i_sem);
	err = read_list(inode, &l, &refcount);
	pthread_mutex_unlock(&inode->i_sem);
	if (err)
		return err;
	for (i = 0; i < l.n; i++) {
		const char *p = prefix_of(l.a[i].index);
		size_t pl, n;

		if (!p)
			continue;	/* system.* and unknown: not listed */
		pl = strlen(p);
		n = pl + l.a[i].name_len + 1;
		if (size && total + n <= size) {
			memcpy(buf + total, p, pl);
			memcpy(buf + total + pl, l.a[i].name, l.a[i].name_len);
			buf[total + pl + l.a[i].name_len] = '\0';
		}
		total += n;
	}
	list_free(&l);
	if (size && total > size)
		return -ERANGE;
	return (ssize_t)total;
}

/* ---- writing -------------------------------------------------------------- */

/* The block image of the list into block.  0 or -ENOSPC. */
static int build_block(const struct xattr_list *l, char *block, unsigned long bs)
{
	struct ext2_xattr_header *h = (struct ext2_xattr_header *)block;
	struct ext2_xattr_entry *e = first_entry(block);
	size_t value_end = bs, need = sizeof(*h) + sizeof(uint32_t);
	unsigned int i;

	for (i = 0; i < l->n; i++)
		need += EXT2_XATTR_LEN(l->a[i].name_len) + EXT2_XATTR_SIZE(l->a[i].size);
	if (need > bs)
		return -ENOSPC;
	memset(block, 0, bs);
	h->h_magic = cpu_to_le32(EXT2_XATTR_MAGIC);
	h->h_refcount = cpu_to_le32(1);
	h->h_blocks = cpu_to_le32(1);
	for (i = 0; i < l->n; i++) {
		const struct xattr *x = &l->a[i];

		value_end -= EXT2_XATTR_SIZE(x->size);
		memcpy(block + value_end, attr_value(l, x), x->size);
		e->e_name_len = x->name_len;
		e->e_name_index = x->index;
		e->e_value_offs = cpu_to_le16((uint16_t)(x->size ? value_end : 0));
		e->e_value_size = cpu_to_le32((uint32_t)x->size);
		memcpy(e->e_name, x->name, x->name_len);
		e->e_hash = cpu_to_le32(hash_entry(block, e));
		e = next_entry(e);
	}
	rehash(block);
	return 0;
}

static void set_ext_attr_feature(struct super_block *sb)
{
	struct ext2_sb_info *sbi = EXT2_SB(sb);
	int set = 0;

	spin_lock(&sbi->s_lock);
	if (!(sbi->s_feature_compat & EXT2_FEATURE_COMPAT_EXT_ATTR)) {
		sbi->s_feature_compat |= EXT2_FEATURE_COMPAT_EXT_ATTR;
		set = 1;
	}
	spin_unlock(&sbi->s_lock);
	if (set)
		ext2_commit_super(sb);
}

/* Copy image into block nr (fresh: zeroed buffer first). */
static int write_block(struct super_block *sb, unsigned long nr, const char *image)
{
	struct buffer_head *bh = getblk(sb->s_bdev, nr, (unsigned int)sb->s_blocksize);

	if (!bh)
		return -ENOMEM;
	lock_buffer(bh);
	memcpy(bh->b_data, image, sb->s_blocksize);
	set_buffer_uptodate(bh);
	unlock_buffer(bh);
	mark_buffer_dirty(bh);
	brelse(bh);
	return 0;
}

/* Caller holds s_xattr_lock: one user less for the shared block nr. */
static int drop_ref(struct inode *inode, unsigned long nr)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	struct buffer_head *bh = ext2_sb_bread(inode->i_sb, nr);
	struct ext2_xattr_header *h;
	uint32_t ref;

	if (!bh)
		return bad_block(inode, nr, "cannot read");
	h = (struct ext2_xattr_header *)bh->b_data;
	ref = le32_to_cpu(h->h_refcount);
	if (ref > 1) {
		lock_buffer(bh);
		h->h_refcount = cpu_to_le32(ref - 1);
		unlock_buffer(bh);
		mark_buffer_dirty(bh);
	}
	brelse(bh);
	pthread_mutex_lock(&ei->i_meta);
	if (ref <= 1) {
		unmap_underlying_metadata(inode->i_sb->s_bdev, nr,
					  (unsigned int)inode->i_sb->s_blocksize);
		ext2_free_blocks(inode, nr, 1);
	}
	WRITE_ONCE(inode->i_blocks, inode->i_blocks - (inode->i_sb->s_blocksize >> 9));
	ei->i_file_acl = 0;
	pthread_mutex_unlock(&ei->i_meta);
	mark_inode_dirty(inode);
	return 0;
}

/* Caller holds i_sem and s_xattr_lock: the list becomes the inode's. */
static int store_list(struct inode *inode, const struct xattr_list *l, uint32_t refcount)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	struct super_block *sb = inode->i_sb;
	unsigned long old = ei->i_file_acl, nr;
	char *image;
	int err;

	if (!l->n)
		return old ? drop_ref(inode, old) : 0;
	image = kmalloc(sb->s_blocksize, GFP_NOFS);
	if (!image)
		return -ENOMEM;
	err = build_block(l, image, sb->s_blocksize);
	if (err)
		goto out_free;
	if (old && refcount <= 1) {
		err = write_block(sb, old, image);	/* ours alone: in place */
		goto out_free;
	}
	pthread_mutex_lock(&ei->i_meta);
	nr = ext2_new_block(inode, ext2_group_first_block(sb, ei->i_block_group), &err);
	pthread_mutex_unlock(&ei->i_meta);
	if (!nr)
		goto out_free;
	err = write_block(sb, nr, image);
	if (err) {
		pthread_mutex_lock(&ei->i_meta);
		ext2_free_blocks(inode, nr, 1);
		pthread_mutex_unlock(&ei->i_meta);
		goto out_free;
	}
	if (old)
		err = drop_ref(inode, old);	/* shared: one user less */
	pthread_mutex_lock(&ei->i_meta);
	ei->i_file_acl = (uint32_t)nr;
	WRITE_ONCE(inode->i_blocks, inode->i_blocks + (sb->s_blocksize >> 9));
	pthread_mutex_unlock(&ei->i_meta);
	set_ext_attr_feature(sb);
out_free:
	kfree(image);
	return err;
}

/* Caller holds i_sem: set (value non-NULL) or remove (value NULL). */
static int __set(struct inode *inode, unsigned char index, const char *name,
		 const void *value, size_t size, int flags)
{
	struct ext2_sb_info *sbi = EXT2_SB(inode->i_sb);
	struct xattr_list l;
	uint32_t refcount;
	unsigned int pos;
	int found, err;

	pthread_mutex_lock(&sbi->s_xattr_lock);
	err = read_list(inode, &l, &refcount);
	if (err)
		goto out_unlock;
	found = find_attr(&l, index, name, &pos);
	if ((flags & XATTR_CREATE) && found)
		err = -EEXIST;
	else if ((flags & XATTR_REPLACE || !value) && !found)
		err = -ENODATA;
	if (err)
		goto out_free;
	if (!value) {
		memmove(&l.a[pos], &l.a[pos + 1], (l.n - pos - 1) * sizeof(l.a[0]));
		l.n--;
	} else {
		if (!found) {
			if (l.n == l.max) {
				err = -ENOSPC;
				goto out_free;
			}
			memmove(&l.a[pos + 1], &l.a[pos], (l.n - pos) * sizeof(l.a[0]));
			l.n++;
			l.a[pos].index = index;
			l.a[pos].name_len = (unsigned char)strlen(name);
			l.a[pos].name = name;
		}
		l.new_value = value;
		l.a[pos].new_value = 1;
		l.a[pos].size = (uint16_t)size;
	}
	err = store_list(inode, &l, refcount);
	if (!err) {
		ext2_inode_set_time(inode, EXT2_T_C);
		mark_inode_dirty(inode);
	}
out_free:
	list_free(&l);
out_unlock:
	pthread_mutex_unlock(&sbi->s_xattr_lock);
	return err;
}

int ext2_setxattr(struct inode *inode, const char *name, const void *value,
		  size_t size, int flags)
{
	unsigned char index;
	const char *sub;
	int err = split_name(name, &index, &sub);

	if (err)
		return err;
	if (ext2_rdonly(inode->i_sb))
		return -EROFS;
	/* Linux's ext2 answers a value no block can hold with ERANGE. */
	if (size > inode->i_sb->s_blocksize)
		return -ERANGE;
	if (!value)
		value = "";
	pthread_mutex_lock(&inode->i_sem);
	err = __set(inode, index, sub, value, size, flags);
	pthread_mutex_unlock(&inode->i_sem);
	return err;
}

int ext2_removexattr(struct inode *inode, const char *name)
{
	unsigned char index;
	const char *sub;
	int err = split_name(name, &index, &sub);

	if (err)
		return err == -ERANGE ? -ENODATA : err;
	if (ext2_rdonly(inode->i_sb))
		return -EROFS;
	pthread_mutex_lock(&inode->i_sem);
	err = __set(inode, index, sub, NULL, 0, 0);
	pthread_mutex_unlock(&inode->i_sem);
	return err;
}

void ext2_xattr_delete_inode(struct inode *inode)
{
	struct ext2_sb_info *sbi = EXT2_SB(inode->i_sb);
	unsigned long nr = EXT2_I(inode)->i_file_acl;

	if (!nr)
		return;
	if (!ext2_valid_block(inode->i_sb, nr)) {
		bad_block(inode, nr, "outside the file system");
		EXT2_I(inode)->i_file_acl = 0;
		return;
	}
	pthread_mutex_lock(&sbi->s_xattr_lock);
	drop_ref(inode, nr);
	pthread_mutex_unlock(&sbi->s_xattr_lock);
}
