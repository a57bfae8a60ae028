/*
 * tests/fuse/fuse_wire.h - the kernel's side of a FUSE connection, for
 * driving the real server (fs/fuse over libfuse's real session loop)
 * without a mount.
 *
 * The "device" is a SOCK_SEQPACKET socket pair: one message is one
 * request or one reply, as on /dev/fuse.  libfuse gets its end as the
 * mount point "/dev/fd/N" (fuse_session_mount() takes that as an
 * already-open FUSE device since libfuse 3.3); the loop runs in a thread
 * (libfuse's own loops); the test writes
 * raw requests (struct fuse_in_header and the op structs of
 * <linux/fuse.h>) and reads raw replies (struct fuse_out_header, whose
 * error is -errno).
 *
 * Every call asserts the shape of the reply (its unique, its length) and
 * returns 0 / a length or the -errno the server replied.  Timeouts: a
 * reply that never comes fails the test by Check's timeout.
 */
#ifndef IMGFS_TESTS_FUSE_FUSE_WIRE_H
#define IMGFS_TESTS_FUSE_FUSE_WIRE_H

#include <linux/fuse.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct super_block;
struct fuse_session;

struct fw {
	int fd;				/* the kernel's end */
	int srv_fd;			/* libfuse's end */
	struct fuse_session *se;
	pthread_t loop;
	int loop_ret;
	int mt;
	uint64_t unique;
	uint32_t uid, gid;		/* of the requests that follow */
	char *rbuf;			/* one reply */
	struct fuse_init_out init;	/* the server's INIT reply */
};

/* imgfs_fuse_setup(sb, {timeout, 0, ro}), a session over a socket pair
 * and its loop, then INIT: asserts the server accepts it.  mt: libfuse's
 * multi-threaded loop, which answers requests in any order; else the
 * single-threaded one, which handles them in order, so a reply proves
 * every earlier request (a FORGET too) was handled. */
void fw_start(struct fw *c, struct super_block *sb, int ro, int mt);
/* Ends the loop (as an unmount does), destroys the session and drops the
 * kernel's references (imgfs_fuse_teardown). */
void fw_stop(struct fw *c);

/* Cap the size of a message the server can send at about bytes (the
 * host's smallest socket buffer at least): a larger reply fails to be
 * written, as a reply the kernel refuses does.  0: no cap. */
void fw_limit_replies(struct fw *c, int bytes);

/* From now on every reply fails to be written (EPIPE), as replies to
 * requests the kernel has given up on do; requests still go through. */
void fw_refuse_replies(struct fw *c);

/* Raw: send opcode on nodeid with up to three argument pieces; returns
 * the request's unique. */
uint64_t fw_send(struct fw *c, uint32_t opcode, uint64_t nodeid, const void *a1,
		 size_t l1, const void *a2, size_t l2, const void *a3, size_t l3);
/* Raw: the next reply, whatever request it answers: its unique in
 * *unique, its payload (at most size bytes) in out.  Returns the
 * payload length or the reply's error (-errno). */
ssize_t fw_recv_any(struct fw *c, uint64_t *unique, void *out, size_t size);
/* The reply to unique, which must be the next one. */
ssize_t fw_recv(struct fw *c, uint64_t unique, void *out, size_t size);
/* Send and wait for the reply. */
ssize_t fw_call(struct fw *c, uint32_t opcode, uint64_t nodeid, const void *a1,
		size_t l1, const void *a2, size_t l2, void *out, size_t size);

/* ---- the operations, one request each ---------------------------------- */

int fw_lookup(struct fw *c, uint64_t parent, const char *name, struct fuse_entry_out *e);
/* No reply comes to a FORGET: the next reply must answer the next request. */
void fw_forget(struct fw *c, uint64_t nodeid, uint64_t nlookup);
void fw_batch_forget(struct fw *c, const struct fuse_forget_one *f, uint32_t count);
int fw_getattr(struct fw *c, uint64_t nodeid, struct fuse_attr *attr);
int fw_setattr(struct fw *c, uint64_t nodeid, const struct fuse_setattr_in *in,
	       struct fuse_attr *attr);
int fw_mkdir(struct fw *c, uint64_t parent, const char *name, mode_t mode,
	     struct fuse_entry_out *e);
int fw_mknod(struct fw *c, uint64_t parent, const char *name, mode_t mode,
	     struct fuse_entry_out *e);
int fw_symlink(struct fw *c, uint64_t parent, const char *name, const char *target,
	       struct fuse_entry_out *e);
int fw_link(struct fw *c, uint64_t nodeid, uint64_t newparent, const char *name,
	    struct fuse_entry_out *e);
int fw_create(struct fw *c, uint64_t parent, const char *name, mode_t mode,
	      uint32_t flags, struct fuse_entry_out *e, uint64_t *fh);
int fw_open(struct fw *c, uint64_t nodeid, uint32_t flags, uint64_t *fh);
int fw_release(struct fw *c, uint64_t nodeid, uint64_t fh);
ssize_t fw_write(struct fw *c, uint64_t nodeid, uint64_t fh, uint64_t off,
		 const void *buf, size_t len);
ssize_t fw_read(struct fw *c, uint64_t nodeid, uint64_t fh, uint64_t off, void *buf,
		size_t size);
int fw_unlink(struct fw *c, uint64_t parent, const char *name);
int fw_rmdir(struct fw *c, uint64_t parent, const char *name);
int fw_rename(struct fw *c, uint64_t dir, const char *name, uint64_t newdir,
	      const char *newname, uint32_t flags);
int fw_opendir(struct fw *c, uint64_t nodeid, uint64_t *fh);
int fw_releasedir(struct fw *c, uint64_t nodeid, uint64_t fh);
/* The reply's bytes (fuse_direntplus records) into buf; their length. */
ssize_t fw_readdirplus(struct fw *c, uint64_t nodeid, uint64_t fh, uint64_t off,
		       void *buf, size_t size);
int fw_setxattr(struct fw *c, uint64_t nodeid, const char *name, const void *value,
		size_t size, uint32_t flags);
/* size 0: the value's length (from fuse_getxattr_out); else the bytes. */
ssize_t fw_getxattr(struct fw *c, uint64_t nodeid, const char *name, void *buf,
		    size_t size);
ssize_t fw_listxattr(struct fw *c, uint64_t nodeid, void *buf, size_t size);
int fw_removexattr(struct fw *c, uint64_t nodeid, const char *name);
int fw_fallocate(struct fw *c, uint64_t nodeid, uint64_t fh, uint32_t mode,
		 uint64_t off, uint64_t len);
/* The offset, or -errno. */
int64_t fw_lseek(struct fw *c, uint64_t nodeid, uint64_t fh, uint64_t off,
		 uint32_t whence);
int fw_statfs(struct fw *c, struct fuse_kstatfs *st);
int fw_access(struct fw *c, uint64_t nodeid, uint32_t mask);

#endif
