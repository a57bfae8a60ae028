/*
 * fs/fuse/ctl.c - live statistics of a mount, for imgfsctl.
 *
 * The channel is a unix stream socket in the abstract namespace, named
 * "\0imgfs-MAJOR:MINOR" after the st_dev the kernel gave the mount: it
 * adds no name to the image (nor to any directory), disappears with the
 * daemon, and imgfsctl finds it from nothing but stat(MOUNTPOINT).
 *
 * Protocol: the client sends one line, one of
 *   meminfo buddyinfo zoneinfo slabinfo vmstat pid unmount-wait
 *   fault eio|short [read|write] START NR     fault clear
 * and reads the reply until the server closes.  unmount-wait (imgfs -u)
 * is answered "waiting PID\n" and the connection is kept: when the daemon
 * has written everything back, closed the image and is about to exit, it
 * writes "status N\n" (its exit status) and closes (imgfs_ctl_report).  A
 * daemon that dies first just closes it; a waiter that hangs up is
 * dropped.  An unknown request gets
 * "error: ...\n".  vmstat is the VM's /proc/vmstat (events, page cache,
 * bounce and emergency-pool counters) followed by the page-cache hit rate
 * and the FUSE and device layers' own counters.
 *
 * "fault" drives the device layer's fault injection (blockdev/fault.c) in
 * a running daemon, for end-to-end tests of write errors.  Like the
 * kernel's fail_make_request, which needs debugfs, it must be asked for
 * when the daemon starts: IMGFS_FAULT_INJECTION=1 in its environment;
 * otherwise it is refused.  START and NR are 512-byte sectors.
 *
 * One thread serves one request at a time (the renderers read counters
 * racily, as /proc does).  Its buffer is static: statistics still come
 * out when the arena is exhausted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>
#include "blockdev/blkdev.h"
#include "fs/fuse/ctl_addr.h"
#include "fs/fuse/fuse_i.h"
#include "fs/inode.h"
#include "vm/seq_buf.h"
#include "vm/slab.h"
#include "vm/vmstat.h"

#define CTL_BUF_SIZE	(1UL << 20)

#define CTL_MAX_WAITERS	8
#define CTL_BIND_TRIES	50	/* 100 ms apart */

static char ctl_buf[CTL_BUF_SIZE];	/* the server thread's */
static int ctl_faults_allowed;		/* set before the thread starts */
static int ctl_fd = -1;
static int ctl_stop_pipe[2] = { -1, -1 };
static pthread_t ctl_thread;

/* unmount-wait connections: the server thread's, then (after
 * imgfs_ctl_stop joined it) imgfs_ctl_report's. */
static int ctl_waiters[CTL_MAX_WAITERS];
static int nr_waiters;

static unsigned long permille(unsigned long part, unsigned long whole)
{
	return whole ? (unsigned long)((unsigned long long)part * 1000 / whole) : 0;
}

/* The counters this daemon adds to /proc/vmstat's. */
static void imgfs_vmstat_render(struct seq_buf *s)
{
	unsigned long hit = sum_vm_event(PGCACHE_HIT), miss = sum_vm_event(PGCACHE_MISS);
	struct super_block *sb = imgfs_fuse_sb();
	struct imgfs_fuse_stats fs;
	struct blkdev_stats bs;

	seq_printf(s, "pgcache_hit_permille %lu\n", permille(hit, hit + miss));
	imgfs_fuse_get_stats(&fs);
	seq_printf(s, "fuse_nodes %lu\nfuse_open_files %lu\n", fs.nr_nodes, fs.nr_open);
	seq_printf(s, "fuse_nodes_pinned %lu\n", fs.nr_pinned);
	seq_printf(s, "nr_inodes %lu\nnr_unused_inodes %lu\n", nr_cached_inodes(),
		   nr_unused_inodes());
	seq_printf(s, "fuse_read %lu\nfuse_read_kb %lu\n", fs.nr_read, fs.read_bytes >> 10);
	seq_printf(s, "fuse_write %lu\nfuse_write_kb %lu\n", fs.nr_write, fs.write_bytes >> 10);
	if (sb && sb->s_bdev) {
		blkdev_get_stats(sb->s_bdev, &bs);
		seq_printf(s, "blk_reads %lu\nblk_writes %lu\n", bs.nr_reads, bs.nr_writes);
		seq_printf(s, "blk_read_kb %lu\nblk_write_kb %lu\n", bs.nr_read_bytes >> 10,
			   bs.nr_write_bytes >> 10);
		seq_printf(s, "blk_iocbs %lu\nblk_submits %lu\nblk_merged %lu\n", bs.nr_iocbs,
			   bs.nr_submits, bs.nr_merged);
		seq_printf(s, "blk_bounced %lu\nblk_flushes %lu\nblk_errors %lu\n",
			   bs.nr_bounced, bs.nr_flushes, bs.nr_errors);
		seq_printf(s, "blk_request_waits %lu\n", bs.nr_request_waits);
	}
}

/* "fault eio|short [read|write] START NR" or "fault clear".  0 or -errno. */
static int ctl_fault(const char *args, struct seq_buf *s)
{
	struct block_device *bdev;
	struct super_block *sb = imgfs_fuse_sb();
	char kind[8] = "", dir[8] = "";
	unsigned long long start, nr;
	int rw = -1, err;

	if (!ctl_faults_allowed) {
		seq_printf(s, "error: fault injection is off (start imgfs with IMGFS_FAULT_INJECTION=1)\n");
		return -EPERM;
	}
	if (!sb || !sb->s_bdev)
		return -ENODEV;
	bdev = sb->s_bdev;
	if (!strcmp(args, "clear")) {
		blkdev_fault_clear(bdev);
		seq_printf(s, "ok\n");
		return 0;
	}
	if (sscanf(args, "%7s %7s %llu %llu", kind, dir, &start, &nr) == 4) {
		if (!strcmp(dir, "read"))
			rw = READ;
		else if (!strcmp(dir, "write"))
			rw = WRITE;
		else
			goto bad;
	} else if (sscanf(args, "%7s %llu %llu", kind, &start, &nr) != 3) {
		goto bad;
	}
	if (!strcmp(kind, "eio"))
		err = blkdev_fault_eio(bdev, rw, start, nr);
	else if (!strcmp(kind, "short"))
		err = blkdev_fault_short(bdev, rw, start, nr);
	else
		goto bad;
	if (err) {
		seq_printf(s, "error: %s\n", strerror(-err));
		return err;
	}
	seq_printf(s, "ok\n");
	return 0;
bad:
	seq_printf(s, "error: expected fault eio|short [read|write] START NR, or fault clear\n");
	return -EINVAL;
}

/* Render request cmd into s.  0, -ENOSPC (cut) or -EINVAL (unknown). */
static int ctl_render(const char *cmd, struct seq_buf *s)
{
	int err;

	if (!strcmp(cmd, "meminfo"))
		return meminfo_render(s);
	if (!strcmp(cmd, "buddyinfo"))
		return buddyinfo_render(s);
	if (!strcmp(cmd, "zoneinfo"))
		return zoneinfo_render(s);
	if (!strcmp(cmd, "slabinfo"))
		return slabinfo_render(s);
	if (!strcmp(cmd, "vmstat")) {
		err = vmstat_render(s);
		imgfs_vmstat_render(s);
		return err ? err : seq_buf_result(s);
	}
	if (!strncmp(cmd, "fault ", 6))
		return ctl_fault(cmd + 6, s);
	if (!strcmp(cmd, "pid")) {
		seq_printf(s, "%ld\n", (long)getpid());
		return seq_buf_result(s);
	}
	seq_printf(s, "error: unknown request '%s' (meminfo buddyinfo zoneinfo slabinfo vmstat pid "
		   "unmount-wait)\n", cmd);
	return -EINVAL;
}

/* To a client socket.  MSG_NOSIGNAL: a client that went away is no
 * reason to die of SIGPIPE. */
static void write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* Keep fd for the final status.  1 if kept, 0 if it must be closed. */
static int ctl_add_waiter(int fd, struct seq_buf *s)
{
	if (nr_waiters == CTL_MAX_WAITERS) {
		seq_printf(s, "error: too many unmount-wait clients\n");
		return 0;
	}
	ctl_waiters[nr_waiters++] = fd;
	seq_printf(s, "waiting %ld\n", (long)getpid());
	return 1;
}

/* A waiter hung up (or sent something): drop it. */
static void ctl_drop_waiter(int i)
{
	close(ctl_waiters[i]);
	ctl_waiters[i] = ctl_waiters[--nr_waiters];
}

/* Serve one request.  1 if fd was kept as a waiter, 0 if it must be closed. */
static int ctl_serve(int fd)
{
	int kept = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char cmd[64];
	size_t len = 0;
	struct seq_buf s;

	/* One short line; a client that says nothing for a second is dropped. */
	while (len < sizeof(cmd) - 1 && poll(&pfd, 1, 1000) > 0) {
		ssize_t n = read(fd, cmd + len, sizeof(cmd) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(cmd, '\n', len))
			break;
	}
	cmd[len] = '\0';
	cmd[strcspn(cmd, "\r\n")] = '\0';
	seq_buf_init(&s, ctl_buf, sizeof(ctl_buf));
	if (!strcmp(cmd, "unmount-wait"))
		kept = ctl_add_waiter(fd, &s);
	else
		ctl_render(cmd, &s);
	write_all(fd, ctl_buf, s.len);
	return kept;
}

static void *ctl_main(void *arg)
{
	struct pollfd pfd[2 + CTL_MAX_WAITERS];
	int i, n;

	(void)arg;
	for (;;) {
		int fd;

		pfd[0] = (struct pollfd){ .fd = ctl_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = ctl_stop_pipe[0], .events = POLLIN };
		for (i = 0; i < nr_waiters; i++)
			pfd[2 + i] = (struct pollfd){ .fd = ctl_waiters[i], .events = POLLIN };
		n = 2 + nr_waiters;
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		for (i = n - 1; i >= 2; i--)
			if (pfd[i].revents)
				ctl_drop_waiter(i - 2);
		if (!(pfd[0].revents & POLLIN))
			continue;
		fd = accept4(ctl_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (!ctl_serve(fd))
			close(fd);
	}
	return NULL;
}

/*
 * The kernel hands a mount's device number out again as soon as the mount
 * is gone, while the daemon that served it may not yet have left its loop
 * and let the name go (imgfs_ctl_stop): a name in use is waited for, a
 * few seconds at most.  0 or -errno.
 */
static int ctl_bind(int fd, const struct sockaddr_un *addr, socklen_t alen)
{
	int tries;

	for (tries = 0; ; tries++) {
		if (!bind(fd, (const struct sockaddr *)addr, alen))
			return 0;
		if (errno != EADDRINUSE || tries == CTL_BIND_TRIES)
			return -errno;
		poll(NULL, 0, 100);
	}
}

int imgfs_ctl_start(dev_t dev)
{
	struct sockaddr_un addr;
	sigset_t all, old;
	socklen_t alen;
	int err;

	ctl_faults_allowed = getenv("IMGFS_FAULT_INJECTION") &&
			     !strcmp(getenv("IMGFS_FAULT_INJECTION"), "1");
	alen = imgfs_ctl_addr(dev, &addr);
	ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctl_fd < 0)
		return -errno;
	err = ctl_bind(ctl_fd, &addr, alen);
	if (err)
		goto out_close;
	if (listen(ctl_fd, 16)) {
		err = -errno;
		goto out_close;
	}
	if (pipe2(ctl_stop_pipe, O_CLOEXEC)) {
		err = -errno;
		goto out_close;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = -pthread_create(&ctl_thread, NULL, ctl_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto out_pipe;
	return 0;

out_pipe:
	close(ctl_stop_pipe[0]);
	close(ctl_stop_pipe[1]);
	ctl_stop_pipe[0] = ctl_stop_pipe[1] = -1;
out_close:
	close(ctl_fd);
	ctl_fd = -1;
	return err;
}

void imgfs_ctl_stop(void)
{
	if (ctl_fd < 0)
		return;
	while (write(ctl_stop_pipe[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(ctl_thread, NULL);
	close(ctl_stop_pipe[0]);
	close(ctl_stop_pipe[1]);
	close(ctl_fd);
	ctl_fd = -1;
}

void imgfs_ctl_report(int status)
{
	char line[32];
	int len = snprintf(line, sizeof(line), "status %d\n", status);

	while (nr_waiters) {
		write_all(ctl_waiters[nr_waiters - 1], line, (size_t)len);
		close(ctl_waiters[--nr_waiters]);
	}
}
