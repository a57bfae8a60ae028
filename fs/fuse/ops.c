/*
 * fs/fuse/ops.c - the FUSE low-level operations over ext2 (the model is
 * libfuse's example/passthrough_ll.c): accessors, one handler per
 * operation, one ops table.
 *
 * Each handler takes a reference on its inode(s) by node id for the
 * length of the request (node_iget: the inode cache may have let the
 * inode go since the kernel looked it up), calls the one ext2 function
 * that does the work (fs/ext2/ext2.h), drops the references and replies
 * exactly once.  An open file's handle holds a reference of its own, so
 * read and write need no lookup and an unlinked open file lives on.
 * ext2 returns 0 or -errno; reply_err() is the one place that turns it
 * into a FUSE error.  Permission checks are the kernel's
 * (default_permissions); a read-only mount is refused by the kernel and,
 * again, by ext2 with EROFS.
 *
 * Memory: the inode, page cache and metadata live in the VM's arena.  The
 * buffers a read is copied into and a directory listing is built in are
 * the "user memory" of the request - the other side of read(2)'s copy -
 * so they are per-thread mmap()ed buffers outside the arena (ubuf()).
 * File handles carry the readahead state of the open file.
 *
 * Threads: libfuse's workers call every handler concurrently; ext2 takes
 * the locks it needs.  A file handle's readahead state is guarded by its
 * own fh_lock (a leaf), taken only to copy the state in and out.
 */
#define FUSE_USE_VERSION 35
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "fs/ext2/ext2.h"
#include "fs/fuse/fuse_i.h"
#include "fs/inode.h"
#include "vm/list.h"
#include "vm/pagemap.h"
#include "vm/slab.h"

/* The largest read or directory reply the kernel asks for (max_pages of
 * 256), twice over: the second half is readdir's scratch space. */
#define UBUF_HALF	(1UL << 20)
#define UBUF_SIZE	(2 * UBUF_HALF)

/*
 * An open file (the kernel's struct file: one per open(2), shared by
 * dup()s).  wb_err is its sample of the mapping's write-back errors
 * (Linux's file->f_wb_err): taken at open, advanced by fsync and flush,
 * so each open file hears of each failed write-back once.
 */
struct imgfs_fh {
	struct list_head fh_list;	/* open_files_lock: every open file */
	struct inode *inode;		/* set once: the open file's reference */
	pthread_mutex_t fh_lock;
	struct file_ra_state ra;	/* fh_lock */
	errseq_t wb_err;		/* atomic (errseq) */
};

struct imgfs_fuse_counters imgfs_counters;

static struct super_block *fuse_sb;
static struct imgfs_fuse_config fuse_cfg;
static kmem_cache_t *fh_cachep;
static pthread_key_t ubuf_key;

/* ---- accessors ------------------------------------------------------------ */

static void ubuf_free(void *buf)
{
	munmap(buf, UBUF_SIZE);
}

/* This thread's request buffer, or NULL if the host refuses memory. */
static char *ubuf(void)
{
	char *buf = pthread_getspecific(ubuf_key);

	if (buf)
		return buf;
	buf = mmap(NULL, UBUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (buf == MAP_FAILED)
		return NULL;
	pthread_setspecific(ubuf_key, buf);
	return buf;
}

static struct imgfs_fh *get_fh(struct fuse_file_info *fi)
{
	return (struct imgfs_fh *)(uintptr_t)fi->fh;
}

/* Modifications are refused: a read-only mount, or errors=remount-ro. */
static int rdonly(void)
{
	return fuse_cfg.read_only || ext2_read_only(fuse_sb);
}

/* The one place -errno becomes a FUSE reply. */
static void reply_err(fuse_req_t req, int err)
{
	fuse_reply_err(req, err < 0 ? -err : err);
}

/* A reference on the inode of a node id for this request (the caller
 * iput()s it), or NULL with the error replied. */
static struct inode *req_inode(fuse_req_t req, fuse_ino_t nodeid)
{
	struct inode *inode;
	int err = node_iget(nodeid, &inode);

	if (err) {
		reply_err(req, err);
		return NULL;
	}
	return inode;
}

/* Owner of a new inode in dir: the caller, or dir's group if set-group-ID. */
static void new_owner(fuse_req_t req, struct inode *dir, mode_t *mode, uid_t *uid,
		      gid_t *gid)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	*uid = ctx->uid;
	*gid = ctx->gid;
	if (READ_ONCE(dir->i_mode) & S_ISGID) {
		*gid = READ_ONCE(dir->i_gid);
		if (S_ISDIR(*mode))
			*mode |= S_ISGID;
	}
}

static void fill_attr(struct inode *inode, struct stat *st)
{
	ext2_getattr(inode, st);
}

/* Hand inode to the kernel in e, dropping the caller's reference.  0 or -ENOMEM. */
static int fill_entry(struct inode *inode, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	fill_attr(inode, &e->attr);
	e->generation = inode->i_generation;
	e->attr_timeout = fuse_cfg.timeout;
	e->entry_timeout = fuse_cfg.timeout;
	e->ino = node_hand_out(inode);
	return e->ino ? 0 : -ENOMEM;
}

/* Reply with an entry; if the kernel did not take it, take the lookup back. */
static void reply_entry(fuse_req_t req, int err, const struct fuse_entry_param *e)
{
	if (err) {
		reply_err(req, err);
		return;
	}
	if (fuse_reply_entry(req, e) && e->ino)
		node_forget(e->ino, 1);
}

/*
 * Every open file, so that the teardown can release the ones the kernel
 * never will: a RELEASE still queued when the session ends (SIGTERM right
 * after a close) is never served, as when the kernel's FUSE client
 * aborts a connection.  A leaf lock.
 */
static LIST_HEAD(open_files);
static pthread_mutex_t open_files_lock = PTHREAD_MUTEX_INITIALIZER;

/* A handle for a file being opened; its inode is set (with a reference
 * of its own) once the file exists. */
static struct imgfs_fh *fh_alloc(void)
{
	struct imgfs_fh *fh = kmem_cache_alloc(fh_cachep, SLAB_KERNEL);

	if (!fh)
		return NULL;
	pthread_mutex_lock(&open_files_lock);
	list_add(&fh->fh_list, &open_files);
	pthread_mutex_unlock(&open_files_lock);
	fh->inode = NULL;
	pthread_mutex_init(&fh->fh_lock, NULL);
	file_ra_state_init(&fh->ra);
	fh->wb_err = 0;
	fuse_count(&imgfs_counters.nr_open, 1);
	return fh;
}

static void fh_free(struct imgfs_fh *fh)
{
	if (!fh)
		return;
	pthread_mutex_lock(&open_files_lock);
	list_del(&fh->fh_list);
	pthread_mutex_unlock(&open_files_lock);
	iput(fh->inode);
	pthread_mutex_destroy(&fh->fh_lock);
	kmem_cache_free(fh_cachep, fh);
	__atomic_fetch_sub(&imgfs_counters.nr_open, 1, __ATOMIC_RELAXED);
}

/* Open flags -> the file_info settings of a regular file; the open file
 * starts watching inode's write-back errors from now. */
static void set_open_flags(struct fuse_file_info *fi, struct imgfs_fh *fh,
			   struct inode *inode)
{
	fh->wb_err = filemap_sample_wb_err(&inode->i_data);
	fi->fh = (uintptr_t)fh;
	fi->direct_io = fuse_cfg.direct_io;
	/* Every change passes through this mount: what the kernel has
	 * cached stays true from one open to the next. */
	fi->keep_cache = !fuse_cfg.direct_io;
}

/* ---- handlers: the file system ---------------------------------------------- */

static void imgfs_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->max_write = 1U << 20;
	conn->max_readahead = 1U << 20;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/* Clearing set-user-ID on write and chown is left to the kernel. */
	conn->want &= ~(unsigned int)FUSE_CAP_HANDLE_KILLPRIV;
	conn->want &= ~(unsigned int)FUSE_CAP_WRITEBACK_CACHE;
	/* Nothing changes the image behind the kernel's back: a new mtime
	 * is no reason to drop the kernel's cached pages of a file. */
	conn->want &= ~(unsigned int)FUSE_CAP_AUTO_INVAL_DATA;
	if (fuse_cfg.direct_io)
		conn->want &= ~(unsigned int)FUSE_CAP_SPLICE_READ;
	conn->time_gran = 1;
}

static void imgfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct ext2_statfs es;
	struct statvfs sv;
	int err;

	(void)ino;
	err = ext2_statfs(fuse_sb, &es);
	if (err) {
		reply_err(req, err);
		return;
	}
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = es.bsize;
	sv.f_frsize = es.bsize;
	sv.f_blocks = es.blocks;
	sv.f_bfree = es.bfree;
	sv.f_bavail = es.bavail;
	sv.f_files = es.files;
	sv.f_ffree = es.ffree;
	sv.f_favail = es.ffree;
	sv.f_namemax = es.namelen;
	if (rdonly())
		sv.f_flag |= ST_RDONLY;
	fuse_reply_statfs(req, &sv);
}

/* ---- handlers: names --------------------------------------------------------- */

static void imgfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct inode *dir = req_inode(req, parent), *inode;
	struct fuse_entry_param e;
	int err;

	if (!dir)
		return;
	err = ext2_lookup(dir, name, strlen(name), &inode);
	iput(dir);
	if (err == -ENOENT) {
		/* A negative entry: only this mount creates names. */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = fuse_cfg.timeout;
		fuse_reply_entry(req, &e);
		return;
	}
	if (!err)
		err = fill_entry(inode, &e);
	reply_entry(req, err, &e);
}

static void imgfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	node_forget(ino, nlookup);
	fuse_reply_none(req);
}

static void imgfs_forget_multi(fuse_req_t req, size_t count,
			       struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		node_forget(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void imgfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
			mode_t mode, dev_t rdev)
{
	struct inode *dir = req_inode(req, parent), *inode;
	struct fuse_entry_param e;
	uid_t uid;
	gid_t gid;
	int err;

	if (!dir)
		return;
	new_owner(req, dir, &mode, &uid, &gid);
	err = ext2_mknod(dir, name, strlen(name), mode, rdev, uid, gid, &inode);
	iput(dir);
	if (!err)
		err = fill_entry(inode, &e);
	reply_entry(req, err, &e);
}

static void imgfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct inode *dir = req_inode(req, parent), *inode;
	struct fuse_entry_param e;
	uid_t uid;
	gid_t gid;
	int err;

	if (!dir)
		return;
	mode |= S_IFDIR;
	new_owner(req, dir, &mode, &uid, &gid);
	err = ext2_mkdir(dir, name, strlen(name), mode, uid, gid, &inode);
	iput(dir);
	if (!err)
		err = fill_entry(inode, &e);
	reply_entry(req, err, &e);
}

static void imgfs_symlink(fuse_req_t req, const char *target, fuse_ino_t parent,
			  const char *name)
{
	struct inode *dir = req_inode(req, parent), *inode;
	struct fuse_entry_param e;
	mode_t mode = S_IFLNK | 0777;
	uid_t uid;
	gid_t gid;
	int err;

	if (!dir)
		return;
	new_owner(req, dir, &mode, &uid, &gid);
	err = ext2_symlink(dir, name, strlen(name), target, uid, gid, &inode);
	iput(dir);
	if (!err)
		err = fill_entry(inode, &e);
	reply_entry(req, err, &e);
}

static void imgfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		       const char *newname)
{
	struct inode *inode = req_inode(req, ino), *dir;
	struct fuse_entry_param e;
	int err;

	if (!inode)
		return;
	dir = req_inode(req, newparent);
	if (!dir) {
		iput(inode);
		return;
	}
	err = ext2_link(inode, dir, newname, strlen(newname));
	iput(dir);
	if (!err)
		err = fill_entry(inode, &e);
	else
		iput(inode);
	reply_entry(req, err, &e);
}

/* The inode a name of dir leads to, referenced, or NULL: held across a
 * removal so that node_unlinked() can keep it for the kernel. */
static struct inode *name_victim(struct inode *dir, const char *name)
{
	struct inode *victim;

	return ext2_lookup(dir, name, strlen(name), &victim) ? NULL : victim;
}

static void remove_name(fuse_req_t req, fuse_ino_t parent, const char *name,
			int (*remove)(struct inode *, const char *, size_t))
{
	struct inode *dir = req_inode(req, parent), *victim;
	int err;

	if (!dir)
		return;
	victim = name_victim(dir, name);
	err = remove(dir, name, strlen(name));
	if (victim)
		node_unlinked(victim);
	iput(dir);
	reply_err(req, err);
}

static void imgfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, ext2_unlink);
}

static void imgfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, ext2_rmdir);
}

static void imgfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
			 fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct inode *dir, *newdir, *victim;
	int err;

	if (flags & ~(unsigned int)(RENAME_NOREPLACE | RENAME_EXCHANGE)) {
		reply_err(req, -EINVAL);	/* RENAME_WHITEOUT: no overlays here */
		return;
	}
	dir = req_inode(req, parent);
	if (!dir)
		return;
	newdir = req_inode(req, newparent);
	if (!newdir) {
		iput(dir);
		return;
	}
	/* An exchange unlinks nothing. */
	victim = flags & RENAME_EXCHANGE ? NULL : name_victim(newdir, newname);
	err = ext2_rename(dir, name, strlen(name), newdir, newname, strlen(newname), flags);
	if (victim)
		node_unlinked(victim);
	iput(newdir);
	iput(dir);
	reply_err(req, err);
}

static void imgfs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct inode *inode = req_inode(req, ino);
	char buf[PATH_MAX + 1];
	ssize_t n;

	if (!inode)
		return;
	n = S_ISLNK(inode->i_mode) ? ext2_readlink(inode, buf, sizeof(buf) - 1) : -EINVAL;
	iput(inode);
	if (n < 0) {
		reply_err(req, (int)n);
		return;
	}
	if ((size_t)n > sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	buf[n] = '\0';
	fuse_reply_readlink(req, buf);
}

/* ---- handlers: attributes ----------------------------------------------------- */

static void imgfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct inode *inode = req_inode(req, ino);
	struct stat st;

	(void)fi;
	if (!inode)
		return;
	fill_attr(inode, &st);
	iput(inode);
	fuse_reply_attr(req, &st, fuse_cfg.timeout);
}

/* FUSE's setattr bits -> ext2's. */
static void to_iattr(const struct stat *attr, int to_set, struct ext2_iattr *ia)
{
	memset(ia, 0, sizeof(*ia));
	if (to_set & FUSE_SET_ATTR_MODE) {
		ia->valid |= EXT2_ATTR_MODE;
		ia->mode = attr->st_mode;
	}
	if (to_set & FUSE_SET_ATTR_UID) {
		ia->valid |= EXT2_ATTR_UID;
		ia->uid = attr->st_uid;
	}
	if (to_set & FUSE_SET_ATTR_GID) {
		ia->valid |= EXT2_ATTR_GID;
		ia->gid = attr->st_gid;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		ia->valid |= EXT2_ATTR_SIZE;
		ia->size = attr->st_size;
	}
	if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
		ia->valid |= EXT2_ATTR_ATIME_NOW;
	} else if (to_set & FUSE_SET_ATTR_ATIME) {
		ia->valid |= EXT2_ATTR_ATIME;
		ia->atime = attr->st_atim;
	}
	if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
		ia->valid |= EXT2_ATTR_MTIME_NOW;
	} else if (to_set & FUSE_SET_ATTR_MTIME) {
		ia->valid |= EXT2_ATTR_MTIME;
		ia->mtime = attr->st_mtim;
	}
	if (to_set & FUSE_SET_ATTR_CTIME) {
		ia->valid |= EXT2_ATTR_CTIME;
		ia->ctime = attr->st_ctim;
	}
}

static void imgfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			  struct fuse_file_info *fi)
{
	struct inode *inode = req_inode(req, ino);
	struct ext2_iattr ia;
	struct stat st;
	int err;

	(void)fi;
	if (!inode)
		return;
	to_iattr(attr, to_set, &ia);
	err = ext2_setattr(inode, &ia);
	if (!err)
		fill_attr(inode, &st);
	iput(inode);
	if (err) {
		reply_err(req, err);
		return;
	}
	fuse_reply_attr(req, &st, fuse_cfg.timeout);
}

static void imgfs_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct inode *inode = req_inode(req, ino);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	mode_t mode;
	uid_t uid;
	gid_t gid;
	int granted;

	if (!inode)
		return;
	mode = READ_ONCE(inode->i_mode);
	uid = READ_ONCE(inode->i_uid);
	gid = READ_ONCE(inode->i_gid);
	iput(inode);
	if ((mask & W_OK) && rdonly()) {
		reply_err(req, -EROFS);
		return;
	}
	if (ctx->uid == 0) {	/* root: all but executing a non-executable */
		granted = (mask & X_OK) && !S_ISDIR(mode) && !(mode & 0111) ? -EACCES : 0;
		reply_err(req, granted);
		return;
	}
	if (ctx->uid == uid)
		granted = (int)(mode >> 6) & 7;
	else if (ctx->gid == gid)
		granted = (int)(mode >> 3) & 7;
	else
		granted = (int)mode & 7;
	reply_err(req, (mask & ~granted & 7) ? -EACCES : 0);
}

/* ---- handlers: file data ------------------------------------------------------ */

/*
 * What opening inode with flags does before a handle exists.  0 or -errno.
 * With FUSE_ATOMIC_O_TRUNC the kernel leaves O_TRUNC to us and takes the
 * file as truncated once we reply, whatever the access mode: Linux
 * truncates on O_RDONLY | O_TRUNC too (it checked for write permission),
 * and refuses it on a read-only mount.
 */
static int open_inode(struct inode *inode, int flags)
{
	int trunc = (flags & O_TRUNC) && S_ISREG(inode->i_mode);

	if (((flags & O_ACCMODE) != O_RDONLY || trunc) && rdonly())
		return -EROFS;
	if (trunc)
		return ext2_truncate(inode, 0);
	return 0;
}

static void imgfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct inode *inode = req_inode(req, ino);
	struct imgfs_fh *fh;
	int err;

	if (!inode)
		return;
	err = open_inode(inode, fi->flags);
	if (err)
		goto out_err;
	err = -ENOMEM;
	fh = fh_alloc();
	if (!fh)
		goto out_err;
	fh->inode = inode;	/* the request's reference becomes the file's */
	set_open_flags(fi, fh, inode);
	node_open(ino);
	if (fuse_reply_open(req, fi)) {
		node_release(ino);
		fh_free(fh);
	}
	return;

out_err:
	iput(inode);
	reply_err(req, err);
}

static void imgfs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
			 mode_t mode, struct fuse_file_info *fi)
{
	struct inode *dir = req_inode(req, parent), *inode;
	struct fuse_entry_param e;
	struct imgfs_fh *fh;
	uid_t uid;
	gid_t gid;
	int err;

	if (!dir)
		return;
	fh = fh_alloc();
	if (!fh) {
		iput(dir);
		reply_err(req, -ENOMEM);
		return;
	}
	new_owner(req, dir, &mode, &uid, &gid);
	err = ext2_create(dir, name, strlen(name), mode, uid, gid, &inode);
	iput(dir);
	if (!err) {
		fh->inode = igrab(inode);
		err = fill_entry(inode, &e);
	}
	if (err) {
		fh_free(fh);
		reply_err(req, err);
		return;
	}
	set_open_flags(fi, fh, inode);
	node_open(e.ino);
	if (fuse_reply_create(req, &e, fi)) {
		node_release(e.ino);
		fh_free(fh);
		node_forget(e.ino, 1);
	}
}

static void imgfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct imgfs_fh *fh = get_fh(fi);
	struct inode *inode = fh->inode;
	struct file_ra_state ra;
	char *buf = ubuf();
	ssize_t n;

	(void)ino;
	if (!buf) {
		reply_err(req, -ENOMEM);
		return;
	}
	if (size > UBUF_SIZE)
		size = UBUF_SIZE;
	pthread_mutex_lock(&fh->fh_lock);
	ra = fh->ra;
	pthread_mutex_unlock(&fh->fh_lock);
	n = ext2_file_read(inode, &ra, buf, size, off);
	pthread_mutex_lock(&fh->fh_lock);
	fh->ra = ra;
	pthread_mutex_unlock(&fh->fh_lock);
	if (n < 0) {
		reply_err(req, (int)n);
		return;
	}
	fuse_count(&imgfs_counters.nr_read, 1);
	fuse_count(&imgfs_counters.read_bytes, (unsigned long)n);
	fuse_reply_buf(req, buf, (size_t)n);
}

static void imgfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
			off_t off, struct fuse_file_info *fi)
{
	struct inode *inode = get_fh(fi)->inode;
	ssize_t n;

	(void)ino;
	n = ext2_file_write(inode, buf, size, off);
	if (n < 0) {
		reply_err(req, (int)n);
		return;
	}
	fuse_count(&imgfs_counters.nr_write, 1);
	fuse_count(&imgfs_counters.write_bytes, (unsigned long)n);
	fuse_reply_write(req, (size_t)n);
}

/*
 * close(2) of a descriptor: a write-back error this open file has not
 * heard of from fsync is reported, but not consumed (as NFS's flush):
 * every close of a shared open file - a forked child closing the copy it
 * inherited - sends a flush, and none of them may take the error away
 * from the owner's next fsync.  Nothing is written.
 */
static void imgfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct imgfs_fh *fh = get_fh(fi);

	(void)ino;
	reply_err(req, fh ? filemap_check_wb_err(&fh->inode->i_data,
				__atomic_load_n(&fh->wb_err, __ATOMIC_ACQUIRE)) : 0);
}

static void imgfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* The node's pin (if unlinked) outlives the handle's reference. */
	node_release(ino);
	fh_free(get_fh(fi));
	reply_err(req, 0);
}

static void imgfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
			struct fuse_file_info *fi)
{
	struct inode *inode = req_inode(req, ino);
	struct imgfs_fh *fh = get_fh(fi);

	int err;

	if (!inode)
		return;
	if (fh)
		err = ext2_fsync_file(inode, datasync, &fh->wb_err);
	else
		err = ext2_fsync(inode, datasync);
	iput(inode);
	reply_err(req, err);
}

static void imgfs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
			    off_t length, struct fuse_file_info *fi)
{
	struct inode *inode = req_inode(req, ino);
	int err;

	(void)fi;
	if (!inode)
		return;
	err = ext2_fallocate(inode, mode, offset, length);
	iput(inode);
	reply_err(req, err);
}

static void imgfs_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
			struct fuse_file_info *fi)
{
	struct inode *inode = req_inode(req, ino);
	loff_t pos;

	(void)fi;
	if (!inode)
		return;
	pos = ext2_seek_data(inode, off, whence);
	iput(inode);
	if (pos < 0)
		reply_err(req, (int)pos);
	else
		fuse_reply_lseek(req, pos);
}

/* ---- handlers: directories ---------------------------------------------------- */

static void imgfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct inode *inode = req_inode(req, ino);
	mode_t mode;

	if (!inode)
		return;
	mode = inode->i_mode;
	iput(inode);
	if (!S_ISDIR(mode)) {
		reply_err(req, -ENOTDIR);
		return;
	}
	fi->fh = 0;
	fuse_reply_open(req, fi);
}

/* An entry as ext2_readdir gave it, kept until its directory is unlocked. */
struct dirent_rec {
	unsigned long ino;
	uint64_t nodeid;	/* the lookup handed out with it, or 0 */
	loff_t next;
	unsigned char dtype;
	unsigned char namelen;
	char name[256];
};

struct readdir_ctx {
	fuse_req_t req;
	char *out;		/* the reply */
	size_t size, used;
	int plus;
	struct dirent_rec *recs;	/* readdirplus: kept for after */
	size_t nr_recs, max_recs;
};

/* ext2's filldir: plain entries straight into the reply, plus entries
 * into the scratch list (their inodes are read after the directory's
 * lock is dropped).  Non-zero: full. */
static int readdir_fill(void *arg, const char *name, size_t len, unsigned long ino,
			unsigned char dtype, loff_t next)
{
	struct readdir_ctx *c = arg;
	char cname[256];
	struct stat st;
	size_t need;

	if (len > 255)
		len = 255;
	memcpy(cname, name, len);
	cname[len] = '\0';
	if (!c->plus) {
		memset(&st, 0, sizeof(st));
		st.st_ino = ino;
		st.st_mode = (mode_t)dtype << 12;
		need = fuse_add_direntry(c->req, c->out + c->used, c->size - c->used, cname,
					 &st, next);
		if (need > c->size - c->used)
			return 1;
		c->used += need;
		return 0;
	}
	need = fuse_add_direntry_plus(c->req, NULL, 0, cname, NULL, 0);
	if (need > c->size - c->used || c->nr_recs == c->max_recs)
		return 1;
	c->used += need;
	c->recs[c->nr_recs].ino = ino;
	c->recs[c->nr_recs].next = next;
	c->recs[c->nr_recs].dtype = dtype;
	c->recs[c->nr_recs].namelen = (unsigned char)len;
	memcpy(c->recs[c->nr_recs].name, cname, len + 1);
	c->nr_recs++;
	return 0;
}

static int is_dot_or_dotdot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* readdirplus: the entries of c->recs with their attributes into c->out. */
static void readdir_plus_emit(struct readdir_ctx *c)
{
	size_t i;

	c->used = 0;
	for (i = 0; i < c->nr_recs; i++) {
		struct dirent_rec *r = &c->recs[i];
		struct fuse_entry_param e;
		struct inode *inode;
		size_t n;

		memset(&e, 0, sizeof(e));
		if (is_dot_or_dotdot(r->name)) {
			e.attr.st_ino = r->ino;
			e.attr.st_mode = (mode_t)r->dtype << 12;
		} else if (ext2_iget(fuse_sb, r->ino, &inode) || fill_entry(inode, &e)) {
			/* Gone since it was listed (or no memory): a bare entry. */
			memset(&e, 0, sizeof(e));
			e.attr.st_ino = r->ino;
			e.attr.st_mode = (mode_t)r->dtype << 12;
		}
		r->nodeid = e.ino;
		n = fuse_add_direntry_plus(c->req, c->out + c->used, c->size - c->used,
					   r->name, &e, r->next);
		c->used += n;
	}
}

/* The kernel did not take a readdirplus reply (its caller was killed):
 * it counted none of the lookups the entries handed out. */
static void readdir_plus_unhand(struct readdir_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nr_recs; i++)
		if (c->recs[i].nodeid)
			node_forget(c->recs[i].nodeid, 1);
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, int plus)
{
	struct inode *dir = req_inode(req, ino);
	struct readdir_ctx c;
	char *buf = ubuf();
	int err;

	if (!dir)
		return;
	if (!buf) {
		iput(dir);
		reply_err(req, -ENOMEM);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.req = req;
	c.out = buf;
	c.size = size < UBUF_HALF ? size : UBUF_HALF;
	c.plus = plus;
	c.recs = (struct dirent_rec *)(buf + UBUF_HALF);
	c.max_recs = UBUF_HALF / sizeof(struct dirent_rec);
	err = ext2_readdir(dir, off, readdir_fill, &c);
	iput(dir);
	if (err && !(c.used || c.nr_recs)) {
		reply_err(req, err);
		return;
	}
	if (plus)
		readdir_plus_emit(&c);
	if (fuse_reply_buf(req, buf, c.used) && plus)
		readdir_plus_unhand(&c);
}

static void imgfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	(void)fi;
	do_readdir(req, ino, size, off, 0);
}

static void imgfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			      struct fuse_file_info *fi)
{
	(void)fi;
	do_readdir(req, ino, size, off, 1);
}

static void imgfs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	reply_err(req, 0);
}

static void imgfs_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			   struct fuse_file_info *fi)
{
	imgfs_fsync(req, ino, datasync, fi);
}

/* ---- handlers: extended attributes ------------------------------------------ */

static void imgfs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			   const char *value, size_t size, int flags)
{
	struct inode *inode = req_inode(req, ino);
	int err;

	if (!inode)
		return;
	err = ext2_setxattr(inode, name, value, size, flags);
	iput(inode);
	reply_err(req, err);
}

/* getxattr and listxattr reply alike: a length, or the bytes. */
static void reply_xattr(fuse_req_t req, ssize_t n, size_t size, const char *buf)
{
	if (n < 0)
		reply_err(req, (int)n);
	else if (!size)
		fuse_reply_xattr(req, (size_t)n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

/*
 * The inode and this thread's reply buffer for an xattr read, with size
 * clamped to the buffer; NULL (the request answered) if either is missing.
 */
static struct inode *xattr_prepare(fuse_req_t req, fuse_ino_t ino, char **buf,
				   size_t *size)
{
	struct inode *inode = req_inode(req, ino);

	if (!inode)
		return NULL;
	*buf = ubuf();
	if (!*buf) {
		iput(inode);
		reply_err(req, -ENOMEM);
		return NULL;
	}
	if (*size > UBUF_SIZE)
		*size = UBUF_SIZE;
	return inode;
}

static void imgfs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	char *buf;
	struct inode *inode = xattr_prepare(req, ino, &buf, &size);

	ssize_t n;

	if (!inode)
		return;
	n = ext2_getxattr(inode, name, size ? buf : NULL, size);
	iput(inode);
	reply_xattr(req, n, size, buf);
}

/* Drop the trusted.* names from a NUL-separated list; its new length. */
static size_t hide_trusted(char *list, size_t len)
{
	static const char trusted[] = "trusted.";
	size_t in = 0, out = 0;

	while (in < len) {
		size_t n = strnlen(list + in, len - in) + 1;

		if (strncmp(list + in, trusted, sizeof(trusted) - 1)) {
			memmove(list + out, list + in, n);
			out += n;
		}
		in += n;
	}
	return out;
}

/*
 * Linux's ext2 lists trusted.* names only to a caller with CAP_SYS_ADMIN
 * (root here), and the kernel's FUSE client passes listxattr on as it
 * is: the whole list is read, filtered, then measured against size.
 */
static void imgfs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	size_t room = UBUF_SIZE;
	char *buf;
	struct inode *inode = xattr_prepare(req, ino, &buf, &room);
	ssize_t n;

	if (!inode)
		return;
	n = ext2_listxattr(inode, buf, room);
	iput(inode);
	if (n >= 0 && fuse_req_ctx(req)->uid != 0)
		n = (ssize_t)hide_trusted(buf, (size_t)n);
	if (n >= 0 && size && (size_t)n > size)
		n = -ERANGE;
	reply_xattr(req, n, size, buf);
}

static void imgfs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct inode *inode = req_inode(req, ino);
	int err;

	if (!inode)
		return;
	err = ext2_removexattr(inode, name);
	iput(inode);
	reply_err(req, err);
}

/* ---- the operations table ------------------------------------------------------ */

static const struct fuse_lowlevel_ops imgfs_ll_ops = {
	.init		= imgfs_init,
	.lookup		= imgfs_lookup,
	.forget		= imgfs_forget,
	.forget_multi	= imgfs_forget_multi,
	.getattr	= imgfs_getattr,
	.setattr	= imgfs_setattr,
	.readlink	= imgfs_readlink,
	.mknod		= imgfs_mknod,
	.mkdir		= imgfs_mkdir,
	.unlink		= imgfs_unlink,
	.rmdir		= imgfs_rmdir,
	.symlink	= imgfs_symlink,
	.rename		= imgfs_rename,
	.link		= imgfs_link,
	.open		= imgfs_open,
	.create		= imgfs_create,
	.read		= imgfs_read,
	.write		= imgfs_write,
	.flush		= imgfs_flush,
	.release	= imgfs_release,
	.fsync		= imgfs_fsync,
	.opendir	= imgfs_opendir,
	.readdir	= imgfs_readdir,
	.readdirplus	= imgfs_readdirplus,
	.releasedir	= imgfs_releasedir,
	.fsyncdir	= imgfs_fsyncdir,
	.statfs		= imgfs_statfs,
	.access		= imgfs_access,
	.setxattr	= imgfs_setxattr,
	.getxattr	= imgfs_getxattr,
	.listxattr	= imgfs_listxattr,
	.removexattr	= imgfs_removexattr,
	.fallocate	= imgfs_fallocate,
	.lseek		= imgfs_lseek,
};

const void *const imgfs_ll_ops_ptr = &imgfs_ll_ops;
const size_t imgfs_ll_ops_size = sizeof(imgfs_ll_ops);

/* ---- setup ------------------------------------------------------------------------ */

int imgfs_fuse_setup(struct super_block *sb, const struct imgfs_fuse_config *cfg)
{
	int err;

	fuse_sb = sb;
	fuse_cfg = *cfg;
	err = pthread_key_create(&ubuf_key, ubuf_free);
	if (err)
		return -err;
	fh_cachep = kmem_cache_create("fuse_file", sizeof(struct imgfs_fh), 0, 0, NULL, NULL);
	if (!fh_cachep) {
		err = -errno;
		goto out_key;
	}
	err = nodes_init(sb);
	if (err)
		goto out_cache;
	return 0;

out_cache:
	kmem_cache_destroy(fh_cachep);
	fh_cachep = NULL;
out_key:
	pthread_key_delete(ubuf_key);
	return err;
}

/* The session is over: no handler runs, no RELEASE will come. */
static void release_open_files(void)
{
	struct imgfs_fh *fh;

	pthread_mutex_lock(&open_files_lock);
	while (!list_empty(&open_files)) {
		fh = list_entry(open_files.next, struct imgfs_fh, fh_list);
		pthread_mutex_unlock(&open_files_lock);
		fh_free(fh);
		pthread_mutex_lock(&open_files_lock);
	}
	pthread_mutex_unlock(&open_files_lock);
}

void imgfs_fuse_teardown(void)
{
	release_open_files();
	nodes_exit();
	if (fh_cachep && !kmem_cache_destroy(fh_cachep))
		fh_cachep = NULL;
}

struct super_block *imgfs_fuse_sb(void)
{
	return fuse_sb;
}

void imgfs_fuse_get_stats(struct imgfs_fuse_stats *st)
{
	st->nr_nodes = nodes_count();
	st->nr_pinned = nodes_pinned();
	st->nr_open = __atomic_load_n(&imgfs_counters.nr_open, __ATOMIC_RELAXED);
	st->nr_read = __atomic_load_n(&imgfs_counters.nr_read, __ATOMIC_RELAXED);
	st->nr_write = __atomic_load_n(&imgfs_counters.nr_write, __ATOMIC_RELAXED);
	st->read_bytes = __atomic_load_n(&imgfs_counters.read_bytes, __ATOMIC_RELAXED);
	st->write_bytes = __atomic_load_n(&imgfs_counters.write_bytes, __ATOMIC_RELAXED);
}
