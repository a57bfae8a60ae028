/*
 * tests/fuse/fuse_wire.c - the kernel's side of a FUSE connection (see
 * fuse_wire.h).
 */
#define FUSE_USE_VERSION 35
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fuse_lowlevel.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "fs/fuse/imgfs_fuse.h"
#include "tests/fuse/fuse_wire.h"

/* The largest message either side sends here (requests and replies are
 * kept to 128 KiB of data). */
#define FW_MSG_MAX	(256UL << 10)

/* What a 6.1 kernel offers at INIT, less what needs a real /dev/fuse
 * (splice), what changes the layout of requests this file builds
 * (FUSE_SETXATTR_EXT, FUSE_INIT_EXT) and what makes the server, not the
 * kernel, apply the umask (FUSE_DONT_MASK). */
#define FW_INIT_FLAGS	(FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_EXPORT_SUPPORT | \
			 FUSE_BIG_WRITES | FUSE_AUTO_INVAL_DATA | FUSE_DO_READDIRPLUS | \
			 FUSE_READDIRPLUS_AUTO | FUSE_ASYNC_DIO | FUSE_WRITEBACK_CACHE | \
			 FUSE_PARALLEL_DIROPS | FUSE_HANDLE_KILLPRIV | FUSE_MAX_PAGES)

static void *loop_main(void *arg)
{
	struct fw *c = arg;
	struct fuse_loop_config lc;

	if (!c->mt) {
		c->loop_ret = fuse_session_loop(c->se);
		return NULL;
	}
	/* As the daemon runs it, less clone_fd: a socket cannot be cloned
	 * with FUSE_DEV_IOC_CLONE. */
	memset(&lc, 0, sizeof(lc));
	lc.clone_fd = 0;
	lc.max_idle_threads = 4;
	c->loop_ret = fuse_session_loop_mt(c->se, &lc);
	return NULL;
}

static void set_bufs(int fd)
{
	int sz = (int)(2 * FW_MSG_MAX);

	/* Root may pass wmem_max; others get what the host allows, which
	 * still covers the default 208 KiB. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

static void fw_init(struct fw *c)
{
	struct fuse_init_in in;
	ssize_t n;

	memset(&in, 0, sizeof(in));
	in.major = FUSE_KERNEL_VERSION;
	in.minor = FUSE_KERNEL_MINOR_VERSION;
	in.max_readahead = 128 << 10;
	in.flags = FW_INIT_FLAGS;
	memset(&c->init, 0, sizeof(c->init));
	n = fw_call(c, FUSE_INIT, 0, &in, sizeof(in), NULL, 0, &c->init, sizeof(c->init));
	ck_assert_msg(n >= (ssize_t)FUSE_COMPAT_22_INIT_OUT_SIZE, "INIT reply %zd", n);
	ck_assert_uint_eq(c->init.major, FUSE_KERNEL_VERSION);
}

void fw_start(struct fw *c, struct super_block *sb, int ro, int mt)
{
	struct imgfs_fuse_config cfg = { .timeout = 1.0, .direct_io = 0, .read_only = ro };
	char *argv[] = { "fuse_wire", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	char dev[64];
	int sv[2];

	memset(c, 0, sizeof(*c));
	c->mt = mt;
	c->rbuf = malloc(FW_MSG_MAX);
	ck_assert_ptr_nonnull(c->rbuf);
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(imgfs_fuse_setup(sb, &cfg), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	c->fd = sv[0];
	c->srv_fd = sv[1];
	set_bufs(c->fd);
	set_bufs(c->srv_fd);
	c->se = fuse_session_new(&args, (const struct fuse_lowlevel_ops *)imgfs_ll_ops_ptr,
				 imgfs_ll_ops_size, NULL);
	fuse_opt_free_args(&args);	/* parsing may have copied them */
	ck_assert_ptr_nonnull(c->se);
	snprintf(dev, sizeof(dev), "/dev/fd/%d", c->srv_fd);
	ck_assert_int_eq(fuse_session_mount(c->se, dev), 0);
	ck_assert_int_eq(fuse_session_fd(c->se), c->srv_fd);
	ck_assert_int_eq(pthread_create(&c->loop, NULL, loop_main, c), 0);
	fw_init(c);
}

void fw_stop(struct fw *c)
{
	/* The loop checks for exit after each read and drops what it read
	 * then: one more request wakes it.  A FORGET of an id never handed
	 * out, which would change nothing if it were handled. */
	fuse_session_exit(c->se);
	fw_forget(c, ~0ULL, 1);
	ck_assert_int_eq(pthread_join(c->loop, NULL), 0);
	ck_assert_int_eq(c->loop_ret, 0);
	fuse_session_unmount(c->se);
	fuse_session_destroy(c->se);	/* closes srv_fd */
	close(c->fd);
	free(c->rbuf);
	imgfs_fuse_teardown();
}

void fw_limit_replies(struct fw *c, int bytes)
{
	if (!bytes) {
		set_bufs(c->srv_fd);
		return;
	}
	ck_assert_int_eq(setsockopt(c->srv_fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)), 0);
}

void fw_refuse_replies(struct fw *c)
{
	ck_assert_int_eq(shutdown(c->fd, SHUT_RD), 0);
}

/* ---- raw messages ------------------------------------------------------------ */

uint64_t fw_send(struct fw *c, uint32_t opcode, uint64_t nodeid, const void *a1,
		 size_t l1, const void *a2, size_t l2, const void *a3, size_t l3)
{
	struct fuse_in_header h;
	struct iovec iov[4] = {
		{ &h, sizeof(h) }, { (void *)a1, l1 }, { (void *)a2, l2 }, { (void *)a3, l3 },
	};
	ssize_t n;

	memset(&h, 0, sizeof(h));
	h.len = (uint32_t)(sizeof(h) + l1 + l2 + l3);
	h.opcode = opcode;
	h.unique = ++c->unique * 2;	/* even: odd ones are the kernel's interrupts */
	h.nodeid = nodeid;
	h.uid = c->uid;
	h.gid = c->gid;
	h.pid = (uint32_t)getpid();
	ck_assert_uint_le(h.len, FW_MSG_MAX);
	n = writev(c->fd, iov, 4);
	ck_assert_msg(n == (ssize_t)h.len, "request %u: writev %zd of %u: %s", opcode, n,
		      h.len, strerror(errno));
	return h.unique;
}

ssize_t fw_recv_any(struct fw *c, uint64_t *unique, void *out, size_t size)
{
	char *buf = c->rbuf;
	struct fuse_out_header *h;
	ssize_t n;
	size_t len;

	do
		n = recv(c->fd, buf, FW_MSG_MAX, MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	ck_assert_msg(n >= (ssize_t)sizeof(*h), "reply: recv %zd: %s", n, strerror(errno));
	ck_assert_int_le(n, FW_MSG_MAX);
	h = (struct fuse_out_header *)buf;
	ck_assert_msg(h->len == (uint32_t)n, "reply says %u bytes, has %zd", h->len, n);
	*unique = h->unique;
	if (h->error) {
		ck_assert_msg(h->error < 0 && h->error > -4096, "reply error %d", h->error);
		ck_assert_msg(n == sizeof(*h), "an error reply with a payload");
		return h->error;
	}
	len = (size_t)n - sizeof(*h);
	ck_assert_msg(len <= size, "reply of %zu bytes, room for %zu", len, size);
	if (len)
		memcpy(out, buf + sizeof(*h), len);
	return (ssize_t)len;
}

ssize_t fw_recv(struct fw *c, uint64_t unique, void *out, size_t size)
{
	uint64_t got;
	ssize_t n = fw_recv_any(c, &got, out, size);

	ck_assert_msg(got == unique, "reply to %llu, expected one to %llu",
		      (unsigned long long)got, (unsigned long long)unique);
	return n;
}

ssize_t fw_call(struct fw *c, uint32_t opcode, uint64_t nodeid, const void *a1,
		size_t l1, const void *a2, size_t l2, void *out, size_t size)
{
	return fw_recv(c, fw_send(c, opcode, nodeid, a1, l1, a2, l2, NULL, 0), out, size);
}

/* A reply that must be exactly a struct (or an error). */
static int call_fixed(struct fw *c, uint32_t opcode, uint64_t nodeid, const void *a1,
		      size_t l1, const void *a2, size_t l2, void *out, size_t size)
{
	ssize_t n = fw_call(c, opcode, nodeid, a1, l1, a2, l2, out, size);

	if (n < 0)
		return (int)n;
	ck_assert_msg((size_t)n == size, "op %u: reply of %zd bytes, expected %zu", opcode, n,
		      size);
	return 0;
}

/* ---- the operations ------------------------------------------------------------ */

static size_t zlen(const char *s)
{
	return strlen(s) + 1;
}

int fw_lookup(struct fw *c, uint64_t parent, const char *name, struct fuse_entry_out *e)
{
	return call_fixed(c, FUSE_LOOKUP, parent, name, zlen(name), NULL, 0, e, sizeof(*e));
}

void fw_forget(struct fw *c, uint64_t nodeid, uint64_t nlookup)
{
	struct fuse_forget_in in = { .nlookup = nlookup };

	fw_send(c, FUSE_FORGET, nodeid, &in, sizeof(in), NULL, 0, NULL, 0);
}

void fw_batch_forget(struct fw *c, const struct fuse_forget_one *f, uint32_t count)
{
	struct fuse_batch_forget_in in = { .count = count };

	fw_send(c, FUSE_BATCH_FORGET, 0, &in, sizeof(in), f, count * sizeof(*f), NULL, 0);
}

int fw_getattr(struct fw *c, uint64_t nodeid, struct fuse_attr *attr)
{
	struct fuse_getattr_in in;
	struct fuse_attr_out out;
	int err;

	memset(&in, 0, sizeof(in));
	err = call_fixed(c, FUSE_GETATTR, nodeid, &in, sizeof(in), NULL, 0, &out, sizeof(out));
	if (!err && attr)
		*attr = out.attr;
	return err;
}

int fw_setattr(struct fw *c, uint64_t nodeid, const struct fuse_setattr_in *in,
	       struct fuse_attr *attr)
{
	struct fuse_attr_out out;
	int err = call_fixed(c, FUSE_SETATTR, nodeid, in, sizeof(*in), NULL, 0, &out,
			     sizeof(out));

	if (!err && attr)
		*attr = out.attr;
	return err;
}

int fw_mkdir(struct fw *c, uint64_t parent, const char *name, mode_t mode,
	     struct fuse_entry_out *e)
{
	struct fuse_mkdir_in in = { .mode = mode, .umask = 0 };

	return call_fixed(c, FUSE_MKDIR, parent, &in, sizeof(in), name, zlen(name), e,
			  sizeof(*e));
}

int fw_mknod(struct fw *c, uint64_t parent, const char *name, mode_t mode,
	     struct fuse_entry_out *e)
{
	struct fuse_mknod_in in = { .mode = mode };

	return call_fixed(c, FUSE_MKNOD, parent, &in, sizeof(in), name, zlen(name), e,
			  sizeof(*e));
}

int fw_symlink(struct fw *c, uint64_t parent, const char *name, const char *target,
	       struct fuse_entry_out *e)
{
	/* The name first, then the target. */
	return call_fixed(c, FUSE_SYMLINK, parent, name, zlen(name), target, zlen(target), e,
			  sizeof(*e));
}

int fw_link(struct fw *c, uint64_t nodeid, uint64_t newparent, const char *name,
	    struct fuse_entry_out *e)
{
	struct fuse_link_in in = { .oldnodeid = nodeid };

	return call_fixed(c, FUSE_LINK, newparent, &in, sizeof(in), name, zlen(name), e,
			  sizeof(*e));
}

int fw_create(struct fw *c, uint64_t parent, const char *name, mode_t mode,
	      uint32_t flags, struct fuse_entry_out *e, uint64_t *fh)
{
	struct fuse_create_in in = { .flags = flags, .mode = mode, .umask = 0 };
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} out;
	int err = call_fixed(c, FUSE_CREATE, parent, &in, sizeof(in), name, zlen(name), &out,
			     sizeof(out));

	if (!err) {
		*e = out.e;
		*fh = out.o.fh;
	}
	return err;
}

int fw_open(struct fw *c, uint64_t nodeid, uint32_t flags, uint64_t *fh)
{
	struct fuse_open_in in = { .flags = flags };
	struct fuse_open_out out;
	int err = call_fixed(c, FUSE_OPEN, nodeid, &in, sizeof(in), NULL, 0, &out, sizeof(out));

	if (!err)
		*fh = out.fh;
	return err;
}

int fw_release(struct fw *c, uint64_t nodeid, uint64_t fh)
{
	struct fuse_release_in in = { .fh = fh };

	return (int)fw_call(c, FUSE_RELEASE, nodeid, &in, sizeof(in), NULL, 0, NULL, 0);
}

ssize_t fw_write(struct fw *c, uint64_t nodeid, uint64_t fh, uint64_t off,
		 const void *buf, size_t len)
{
	struct fuse_write_in in = { .fh = fh, .offset = off, .size = (uint32_t)len };
	struct fuse_write_out out;
	int err = call_fixed(c, FUSE_WRITE, nodeid, &in, sizeof(in), buf, len, &out,
			     sizeof(out));

	return err ? err : (ssize_t)out.size;
}

ssize_t fw_read(struct fw *c, uint64_t nodeid, uint64_t fh, uint64_t off, void *buf,
		size_t size)
{
	struct fuse_read_in in = { .fh = fh, .offset = off, .size = (uint32_t)size };

	return fw_call(c, FUSE_READ, nodeid, &in, sizeof(in), NULL, 0, buf, size);
}

int fw_unlink(struct fw *c, uint64_t parent, const char *name)
{
	return (int)fw_call(c, FUSE_UNLINK, parent, name, zlen(name), NULL, 0, NULL, 0);
}

int fw_rmdir(struct fw *c, uint64_t parent, const char *name)
{
	return (int)fw_call(c, FUSE_RMDIR, parent, name, zlen(name), NULL, 0, NULL, 0);
}

int fw_rename(struct fw *c, uint64_t dir, const char *name, uint64_t newdir,
	      const char *newname, uint32_t flags)
{
	struct fuse_rename2_in in = { .newdir = newdir, .flags = flags };
	uint64_t u = fw_send(c, FUSE_RENAME2, dir, &in, sizeof(in), name, zlen(name), newname,
			     zlen(newname));

	return (int)fw_recv(c, u, NULL, 0);
}

int fw_opendir(struct fw *c, uint64_t nodeid, uint64_t *fh)
{
	struct fuse_open_in in = { .flags = 0 };
	struct fuse_open_out out;
	int err = call_fixed(c, FUSE_OPENDIR, nodeid, &in, sizeof(in), NULL, 0, &out,
			     sizeof(out));

	if (!err)
		*fh = out.fh;
	return err;
}

int fw_releasedir(struct fw *c, uint64_t nodeid, uint64_t fh)
{
	struct fuse_release_in in = { .fh = fh };

	return (int)fw_call(c, FUSE_RELEASEDIR, nodeid, &in, sizeof(in), NULL, 0, NULL, 0);
}

ssize_t fw_readdirplus(struct fw *c, uint64_t nodeid, uint64_t fh, uint64_t off,
		       void *buf, size_t size)
{
	struct fuse_read_in in = { .fh = fh, .offset = off, .size = (uint32_t)size };

	return fw_call(c, FUSE_READDIRPLUS, nodeid, &in, sizeof(in), NULL, 0, buf, size);
}

int fw_setxattr(struct fw *c, uint64_t nodeid, const char *name, const void *value,
		size_t size, uint32_t flags)
{
	/* The layout without FUSE_SETXATTR_EXT, which fw_init does not offer. */
	struct fuse_setxattr_in in = { .size = (uint32_t)size, .flags = flags };
	uint64_t u = fw_send(c, FUSE_SETXATTR, nodeid, &in, FUSE_COMPAT_SETXATTR_IN_SIZE,
			     name, zlen(name), value, size);

	return (int)fw_recv(c, u, NULL, 0);
}

static ssize_t xattr_reply(struct fw *c, uint64_t u, void *buf, size_t size)
{
	struct fuse_getxattr_out out;
	ssize_t n;

	if (size)
		return fw_recv(c, u, buf, size);
	n = fw_recv(c, u, &out, sizeof(out));
	if (n < 0)
		return n;
	ck_assert_int_eq(n, sizeof(out));
	return out.size;
}

ssize_t fw_getxattr(struct fw *c, uint64_t nodeid, const char *name, void *buf,
		    size_t size)
{
	struct fuse_getxattr_in in = { .size = (uint32_t)size };

	return xattr_reply(c, fw_send(c, FUSE_GETXATTR, nodeid, &in, sizeof(in), name,
				      zlen(name), NULL, 0), buf, size);
}

ssize_t fw_listxattr(struct fw *c, uint64_t nodeid, void *buf, size_t size)
{
	struct fuse_getxattr_in in = { .size = (uint32_t)size };

	return xattr_reply(c, fw_send(c, FUSE_LISTXATTR, nodeid, &in, sizeof(in), NULL, 0,
				      NULL, 0), buf, size);
}

int fw_removexattr(struct fw *c, uint64_t nodeid, const char *name)
{
	return (int)fw_call(c, FUSE_REMOVEXATTR, nodeid, name, zlen(name), NULL, 0, NULL, 0);
}

int fw_fallocate(struct fw *c, uint64_t nodeid, uint64_t fh, uint32_t mode,
		 uint64_t off, uint64_t len)
{
	struct fuse_fallocate_in in = { .fh = fh, .offset = off, .length = len, .mode = mode };

	return (int)fw_call(c, FUSE_FALLOCATE, nodeid, &in, sizeof(in), NULL, 0, NULL, 0);
}

int64_t fw_lseek(struct fw *c, uint64_t nodeid, uint64_t fh, uint64_t off,
		 uint32_t whence)
{
	struct fuse_lseek_in in = { .fh = fh, .offset = off, .whence = whence };
	struct fuse_lseek_out out;
	int err = call_fixed(c, FUSE_LSEEK, nodeid, &in, sizeof(in), NULL, 0, &out,
			     sizeof(out));

	return err ? err : (int64_t)out.offset;
}

int fw_statfs(struct fw *c, struct fuse_kstatfs *st)
{
	struct fuse_statfs_out out;
	int err = call_fixed(c, FUSE_STATFS, FUSE_ROOT_ID, NULL, 0, NULL, 0, &out, sizeof(out));

	if (!err)
		*st = out.st;
	return err;
}

int fw_access(struct fw *c, uint64_t nodeid, uint32_t mask)
{
	struct fuse_access_in in = { .mask = mask };

	return (int)fw_call(c, FUSE_ACCESS, nodeid, &in, sizeof(in), NULL, 0, NULL, 0);
}
