/*
 * fs/ext2/namei.c - names: lookup, create, mknod, mkdir, symlink, link,
 * unlink, rmdir, rename (2.4 fs/ext2/namei.c: ext2_lookup, ext2_create,
 * ext2_mknod, ext2_symlink, ext2_link, ext2_mkdir, ext2_unlink,
 * ext2_rmdir, ext2_rename; the VFS's locking of fs/namei.c around them).
 *
 * Each operation locks what it changes: the directory's i_sem, then the
 * i_sem of the inode whose link count changes.  A rename between two
 * directories first takes the file system's s_rename_lock (so no other
 * rename changes the tree's shape), then the two directories ancestor
 * first (unrelated ones by address), then the inodes involved by address.
 * Moving a directory under itself is -EINVAL.  ext2_getattr reads
 * i_nlink and i_size without i_sem, so the stores here are WRITE_ONCE.
 *
 * Interface: ext2.h.
 */
#include <string.h>
#include "fs/ext2/ext2_i.h"

#define EXT2_LINK_MAX	32000

static int check_name(const char *name, size_t len)
{
	if (!len)
		return -ENOENT;
	if (len > EXT2_NAME_LEN)
		return -ENAMETOOLONG;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return -EINVAL;
	return 0;
}

static int is_dots(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

static void lock_inode(struct inode *inode)
{
	pthread_mutex_lock(&inode->i_sem);
}

static void unlock_inode(struct inode *inode)
{
	pthread_mutex_unlock(&inode->i_sem);
}

/* Two inodes (maybe NULL, maybe equal) in address order. */
static void lock_two(struct inode *a, struct inode *b)
{
	if (a && b && a > b) {
		struct inode *t = a;

		a = b;
		b = t;
	}
	if (a)
		lock_inode(a);
	if (b && b != a)
		lock_inode(b);
}

static void unlock_two(struct inode *a, struct inode *b)
{
	if (a)
		unlock_inode(a);
	if (b && b != a)
		unlock_inode(b);
}

/* ---- lookup ------------------------------------------------------------- */

/* Caller holds dir->i_sem. */
static int __lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	unsigned long ino;
	int err = ext2_find_entry(dir, name, len, &ino, NULL);

	if (err)
		return err;
	err = ext2_iget(dir->i_sb, ino, out);
	if (err == -ESTALE) {
		ext2_error_inode(dir->i_sb, dir->i_ino, __func__,
				 "directory inode %lu: entry \"%.*s\" names free inode %lu",
				 dir->i_ino, (int)len, name, ino);
		err = -EIO;
	}
	return err;
}

int ext2_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	int err;

	if (!S_ISDIR(dir->i_mode))
		return -ENOTDIR;
	if (len > EXT2_NAME_LEN)
		return -ENAMETOOLONG;
	lock_inode(dir);
	err = __lookup(dir, name, len, out);
	unlock_inode(dir);
	return err;
}

/* ---- creating ----------------------------------------------------------- */

struct new_entry {
	mode_t mode;
	dev_t rdev;
	uid_t uid;
	gid_t gid;
	const char *target;	/* symlink */
	size_t target_len;
};

static int write_symlink(struct inode *inode, const char *target, size_t len)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	struct buffer_head *bh;
	int err;

	if (len < sizeof(ei->i_data)) {		/* fast: in i_block */
		memcpy(ei->i_data, target, len);
		i_size_write(inode, (loff_t)len);
		return 0;
	}
	bh = ext2_bread(inode, 0, 1, &err);
	if (!bh)
		return err ? err : -EIO;
	lock_buffer(bh);
	memcpy(bh->b_data, target, len);
	unlock_buffer(bh);
	mark_buffer_dirty(bh);
	brelse(bh);
	i_size_write(inode, (loff_t)len);
	return 0;
}

/* The new inode's contents by type.  0 or -errno. */
static int init_by_type(struct inode *inode, struct inode *dir, const struct new_entry *ne)
{
	if (S_ISCHR(ne->mode) || S_ISBLK(ne->mode)) {
		inode->i_rdev = ne->rdev;
		EXT2_I(inode)->i_data[0] = 0;	/* encoded in write_inode */
		return 0;
	}
	if (S_ISLNK(ne->mode))
		return write_symlink(inode, ne->target, ne->target_len);
	if (S_ISDIR(ne->mode)) {
		inode->i_nlink = 2;
		return ext2_make_empty(inode, dir);
	}
	return 0;
}

void ext2_encode_rdev(struct inode *inode);

/* Caller holds dir->i_sem. */
static int __new_entry(struct inode *dir, const char *name, size_t len,
		       const struct new_entry *ne, struct inode **out)
{
	struct inode *inode;
	unsigned long ino;
	int err;

	if (!dir->i_nlink)
		return -ENOENT;
	err = ext2_find_entry(dir, name, len, &ino, NULL);
	if (err != -ENOENT)
		return err ? err : -EEXIST;
	if (S_ISDIR(ne->mode) && dir->i_nlink >= EXT2_LINK_MAX)
		return -EMLINK;
	inode = ext2_new_inode(dir, ne->mode, &err);
	if (!inode)
		return err;
	inode->i_uid = ne->uid;
	inode->i_gid = ne->gid;
	err = init_by_type(inode, dir, ne);
	if (!err && (S_ISCHR(ne->mode) || S_ISBLK(ne->mode)))
		ext2_encode_rdev(inode);
	if (!err)
		err = ext2_add_link(dir, name, len, inode);
	if (err) {
		inode->i_nlink = 0;
		mark_inode_dirty(inode);
		iput(inode);
		return err;
	}
	if (S_ISDIR(ne->mode)) {
		WRITE_ONCE(dir->i_nlink, dir->i_nlink + 1);
		mark_inode_dirty(dir);
	}
	mark_inode_dirty(inode);
	*out = inode;
	return 0;
}

static int new_entry(struct inode *dir, const char *name, size_t len,
		     const struct new_entry *ne, struct inode **out)
{
	struct inode *inode = NULL;
	int err;

	if (!S_ISDIR(dir->i_mode))
		return -ENOTDIR;
	err = check_name(name, len);
	if (err)
		return err;
	if (is_dots(name, len))
		return -EEXIST;
	if (ext2_rdonly(dir->i_sb))
		return -EROFS;
	lock_inode(dir);
	err = __new_entry(dir, name, len, ne, &inode);
	unlock_inode(dir);
	if (err)
		return err;
	if (out)
		*out = inode;
	else
		iput(inode);
	return 0;
}

int ext2_mknod(struct inode *dir, const char *name, size_t len, mode_t mode,
	       dev_t rdev, uid_t uid, gid_t gid, struct inode **out)
{
	struct new_entry ne = { .mode = mode, .rdev = rdev, .uid = uid, .gid = gid };

	switch (mode & S_IFMT) {
	case 0:
		ne.mode |= S_IFREG;
		break;
	case S_IFREG: case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		break;
	default:
		return -EINVAL;
	}
	return new_entry(dir, name, len, &ne, out);
}

int ext2_create(struct inode *dir, const char *name, size_t len, mode_t mode,
		uid_t uid, gid_t gid, struct inode **out)
{
	return ext2_mknod(dir, name, len, S_IFREG | (mode & 07777), 0, uid, gid, out);
}

int ext2_mkdir(struct inode *dir, const char *name, size_t len, mode_t mode,
	       uid_t uid, gid_t gid, struct inode **out)
{
	struct new_entry ne = { .mode = S_IFDIR | (mode & 07777), .uid = uid, .gid = gid };

	return new_entry(dir, name, len, &ne, out);
}

int ext2_symlink(struct inode *dir, const char *name, size_t len,
		 const char *target, uid_t uid, gid_t gid, struct inode **out)
{
	struct new_entry ne = { .mode = S_IFLNK | 0777, .uid = uid, .gid = gid,
				.target = target, .target_len = strlen(target) };

	if (!ne.target_len)
		return -ENOENT;
	if (ne.target_len >= dir->i_sb->s_blocksize)
		return -ENAMETOOLONG;
	return new_entry(dir, name, len, &ne, out);
}

int ext2_link(struct inode *inode, struct inode *dir, const char *name, size_t len)
{
	unsigned long ino;
	int err;

	if (!S_ISDIR(dir->i_mode))
		return -ENOTDIR;
	err = check_name(name, len);
	if (err)
		return err;
	if (is_dots(name, len))
		return -EEXIST;
	if (S_ISDIR(inode->i_mode))
		return -EPERM;
	if (ext2_rdonly(dir->i_sb))
		return -EROFS;
	if (inode->i_sb != dir->i_sb)
		return -EXDEV;
	lock_inode(dir);
	lock_inode(inode);
	err = -ENOENT;
	if (!dir->i_nlink || !inode->i_nlink)
		goto out_unlock;
	err = -EMLINK;
	if (inode->i_nlink >= EXT2_LINK_MAX)
		goto out_unlock;
	err = ext2_find_entry(dir, name, len, &ino, NULL);
	if (err != -ENOENT) {
		err = err ? err : -EEXIST;
		goto out_unlock;
	}
	err = ext2_add_link(dir, name, len, inode);
	if (!err) {
		WRITE_ONCE(inode->i_nlink, inode->i_nlink + 1);
		ext2_inode_set_time(inode, EXT2_T_C);
		mark_inode_dirty(inode);
	}
out_unlock:
	unlock_inode(inode);
	unlock_inode(dir);
	return err;
}

/* ---- removing ----------------------------------------------------------- */

/* Caller holds dir->i_sem and inode->i_sem: name no longer links inode. */
static int __remove(struct inode *dir, const char *name, size_t len, struct inode *inode)
{
	int err = ext2_delete_entry(dir, name, len);

	if (err)
		return err;
	if (S_ISDIR(inode->i_mode)) {
		WRITE_ONCE(inode->i_nlink, 0);
		i_size_write(inode, 0);
		if (dir->i_nlink > 1)
			WRITE_ONCE(dir->i_nlink, dir->i_nlink - 1);
		mark_inode_dirty(dir);
	} else if (inode->i_nlink) {
		WRITE_ONCE(inode->i_nlink, inode->i_nlink - 1);
	}
	ext2_inode_set_time(inode, EXT2_T_C);
	mark_inode_dirty(inode);
	return 0;
}

static int remove_name(struct inode *dir, const char *name, size_t len, int want_dir)
{
	struct inode *inode = NULL;
	int err;

	if (!S_ISDIR(dir->i_mode))
		return -ENOTDIR;
	if (len > EXT2_NAME_LEN)
		return -ENAMETOOLONG;
	if (is_dots(name, len))
		return want_dir ? (len == 1 ? -EINVAL : -ENOTEMPTY) : -EISDIR;
	if (ext2_rdonly(dir->i_sb))
		return -EROFS;
	lock_inode(dir);
	err = __lookup(dir, name, len, &inode);
	if (err)
		goto out_unlock_dir;
	lock_inode(inode);
	if (want_dir && !S_ISDIR(inode->i_mode))
		err = -ENOTDIR;
	else if (!want_dir && S_ISDIR(inode->i_mode))
		err = -EISDIR;
	else if (want_dir && (err = ext2_empty_dir(inode)) >= 0)
		err = err ? 0 : -ENOTEMPTY;
	if (!err)
		err = __remove(dir, name, len, inode);
	unlock_inode(inode);
	if (!err && S_ISDIR(inode->i_mode))
		truncate_inode_pages(&inode->i_data, 0);
out_unlock_dir:
	unlock_inode(dir);
	iput(inode);
	return err;
}

int ext2_unlink(struct inode *dir, const char *name, size_t len)
{
	return remove_name(dir, name, len, 0);
}

int ext2_rmdir(struct inode *dir, const char *name, size_t len)
{
	return remove_name(dir, name, len, 1);
}

/* ---- rename ------------------------------------------------------------- */

/* Is anc an ancestor of (or the same as) dir?  1, 0 or -errno.  Caller
 * holds s_rename_lock, so the tree's shape does not change. */
static int is_ancestor(struct inode *anc, struct inode *dir)
{
	unsigned long ino = dir->i_ino, parent;
	struct inode *cur = igrab(dir);
	int err = 0, depth = 0;

	while (cur) {
		if (ino == anc->i_ino) {
			err = 1;
			break;
		}
		if (ino == EXT2_ROOT_INO || ++depth > 65536)
			break;
		err = ext2_dotdot(cur, &parent);
		iput(cur);
		cur = NULL;
		if (err || parent == ino)
			break;
		ino = parent;
		err = ext2_iget(dir->i_sb, ino, &cur);
		if (err)
			break;
	}
	iput(cur);
	return err;
}

struct rename_ctx {
	struct inode *old_dir, *new_dir;
	const char *old_name, *new_name;
	size_t old_len, new_len;
	unsigned int flags;
	struct inode *old, *new;	/* the inodes the names link (new may be NULL) */
};

/* Caller holds both dirs' i_sem: look the names up. */
static int rename_lookup(struct rename_ctx *rc)
{
	int err = __lookup(rc->old_dir, rc->old_name, rc->old_len, &rc->old);

	if (err)
		return err;
	err = __lookup(rc->new_dir, rc->new_name, rc->new_len, &rc->new);
	if (err == -ENOENT) {
		rc->new = NULL;
		return (rc->flags & RENAME_EXCHANGE) ? -ENOENT : 0;
	}
	if (err)
		return err;
	if (rc->flags & RENAME_NOREPLACE)
		return -EEXIST;
	return 0;
}

/* A directory moved from old_dir to new_dir: its ".." and the links. */
static int move_dir(struct inode *dir, struct inode *from, struct inode *to)
{
	int err;

	if (from == to)
		return 0;
	err = ext2_set_dotdot(dir, to);
	if (err)
		return err;
	WRITE_ONCE(from->i_nlink, from->i_nlink - 1);
	WRITE_ONCE(to->i_nlink, to->i_nlink + 1);
	mark_inode_dirty(from);
	mark_inode_dirty(to);
	return 0;
}

static int do_exchange(struct rename_ctx *rc)
{
	int err;

	if (S_ISDIR(rc->old->i_mode) != S_ISDIR(rc->new->i_mode) &&
	    rc->old_dir != rc->new_dir) {
		struct inode *d = S_ISDIR(rc->old->i_mode) ? rc->new_dir : rc->old_dir;

		if (d->i_nlink >= EXT2_LINK_MAX)
			return -EMLINK;
	}
	err = ext2_set_link(rc->old_dir, rc->old_name, rc->old_len, rc->new);
	if (err)
		return err;
	err = ext2_set_link(rc->new_dir, rc->new_name, rc->new_len, rc->old);
	if (err)
		return err;
	if (S_ISDIR(rc->old->i_mode))
		err = move_dir(rc->old, rc->old_dir, rc->new_dir);
	if (!err && S_ISDIR(rc->new->i_mode))
		err = move_dir(rc->new, rc->new_dir, rc->old_dir);
	ext2_inode_set_time(rc->old, EXT2_T_C);
	ext2_inode_set_time(rc->new, EXT2_T_C);
	mark_inode_dirty(rc->old);
	mark_inode_dirty(rc->new);
	return err;
}

/* Replace (or create) new_name with old, then drop old_name. */
static int do_rename(struct rename_ctx *rc)
{
	int is_dir = S_ISDIR(rc->old->i_mode), err;

	if (rc->new) {
		if (is_dir && !S_ISDIR(rc->new->i_mode))
			return -ENOTDIR;
		if (!is_dir && S_ISDIR(rc->new->i_mode))
			return -EISDIR;
		if (is_dir && (err = ext2_empty_dir(rc->new)) <= 0)
			return err ? err : -ENOTEMPTY;
		err = ext2_set_link(rc->new_dir, rc->new_name, rc->new_len, rc->old);
		if (err)
			return err;
		if (is_dir) {
			WRITE_ONCE(rc->new->i_nlink, 0);
			i_size_write(rc->new, 0);
			WRITE_ONCE(rc->new_dir->i_nlink, rc->new_dir->i_nlink - 1);
		} else {
			WRITE_ONCE(rc->new->i_nlink, rc->new->i_nlink - 1);
		}
		ext2_inode_set_time(rc->new, EXT2_T_C);
		mark_inode_dirty(rc->new);
	} else {
		if (is_dir && rc->new_dir != rc->old_dir && rc->new_dir->i_nlink >= EXT2_LINK_MAX)
			return -EMLINK;
		err = ext2_add_link(rc->new_dir, rc->new_name, rc->new_len, rc->old);
		if (err)
			return err;
	}
	err = ext2_delete_entry(rc->old_dir, rc->old_name, rc->old_len);
	if (err)
		return err;
	if (is_dir)
		err = move_dir(rc->old, rc->old_dir, rc->new_dir);
	ext2_inode_set_time(rc->old, EXT2_T_C);
	mark_inode_dirty(rc->old);
	return err;
}

/* Caller holds the dirs' i_sem. */
static int __rename(struct rename_ctx *rc)
{
	int err;

	if (!rc->old_dir->i_nlink || !rc->new_dir->i_nlink)
		return -ENOENT;		/* a removed directory */
	err = rename_lookup(rc);

	if (err)
		return err;
	if (rc->new == rc->old)
		return 0;	/* two links to one inode: nothing to do */
	if (rc->old_dir != rc->new_dir && S_ISDIR(rc->old->i_mode)) {
		err = is_ancestor(rc->old, rc->new_dir);
		if (err)
			return err < 0 ? err : -EINVAL;
	}
	if ((rc->flags & RENAME_EXCHANGE) && rc->old_dir != rc->new_dir &&
	    S_ISDIR(rc->new->i_mode)) {
		err = is_ancestor(rc->new, rc->old_dir);
		if (err)
			return err < 0 ? err : -EINVAL;
	}
	lock_two(rc->old, rc->new);
	err = (rc->flags & RENAME_EXCHANGE) ? do_exchange(rc) : do_rename(rc);
	unlock_two(rc->old, rc->new);
	return err;
}

/* Lock the two directories: ancestor first, else by address. */
static int lock_dirs(struct inode *a, struct inode *b)
{
	int anc;

	if (a == b) {
		lock_inode(a);
		return 0;
	}
	anc = is_ancestor(b, a);
	if (anc < 0)
		return anc;
	if (anc) {
		lock_inode(b);
		lock_inode(a);
		return 0;
	}
	anc = is_ancestor(a, b);
	if (anc < 0)
		return anc;
	if (anc) {
		lock_inode(a);
		lock_inode(b);
		return 0;
	}
	lock_two(a, b);
	return 0;
}

static int rename_checks(struct rename_ctx *rc)
{
	int err;

	if (!S_ISDIR(rc->old_dir->i_mode) || !S_ISDIR(rc->new_dir->i_mode))
		return -ENOTDIR;
	if ((rc->flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) ||
	    (rc->flags & RENAME_NOREPLACE && rc->flags & RENAME_EXCHANGE))
		return -EINVAL;
	err = check_name(rc->old_name, rc->old_len);
	if (!err)
		err = check_name(rc->new_name, rc->new_len);
	if (err)
		return err;
	if (is_dots(rc->old_name, rc->old_len) || is_dots(rc->new_name, rc->new_len))
		return -EINVAL;
	if (ext2_rdonly(rc->old_dir->i_sb))
		return -EROFS;
	return 0;
}

int ext2_rename(struct inode *old_dir, const char *old_name, size_t old_len,
		struct inode *new_dir, const char *new_name, size_t new_len,
		unsigned int flags)
{
	struct ext2_sb_info *sbi = EXT2_SB(old_dir->i_sb);
	struct rename_ctx rc = {
		.old_dir = old_dir, .new_dir = new_dir, .old_name = old_name,
		.new_name = new_name, .old_len = old_len, .new_len = new_len,
		.flags = flags,
	};
	int cross = old_dir != new_dir, err;

	err = rename_checks(&rc);
	if (err)
		return err;
	if (cross)
		pthread_mutex_lock(&sbi->s_rename_lock);
	err = lock_dirs(old_dir, new_dir);
	if (err)
		goto out_rename_lock;
	err = __rename(&rc);
	unlock_two(old_dir, new_dir);
	if (!err && rc.new && S_ISDIR(rc.new->i_mode) && !rc.new->i_nlink)
		truncate_inode_pages(&rc.new->i_data, 0);
	iput(rc.old);
	iput(rc.new);
out_rename_lock:
	if (cross)
		pthread_mutex_unlock(&sbi->s_rename_lock);
	return err;
}
