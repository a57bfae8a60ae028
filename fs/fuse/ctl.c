/*
 * fs/fuse/ctl.c - live statistics of a mount, for imgfsctl.
 *
 * The channel is a unix stream socket in the abstract namespace, named
 * "\0imgfs-MAJOR:MINOR" after the st_dev the kernel gave the mount: it
 * adds no name to the image (nor to any directory), disappears with the
 * daemon, and imgfsctl finds it from nothing but stat(MOUNTPOINT).
 *
 * Protocol: the client sends one line, one of
 *   meminfo buddyinfo zoneinfo slabinfo vmstat pid
 * and reads the reply until the server closes.  An unknown request gets
 * "error: ...\n".  vmstat is the VM's /proc/vmstat (events, page cache,
 * bounce and emergency-pool counters) followed by the page-cache hit rate
 * and the FUSE and device layers' own counters.
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
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>
#include "blockdev/blkdev.h"
#include "fs/fuse/fuse_i.h"
#include "fs/inode.h"
#include "vm/seq_buf.h"
#include "vm/slab.h"
#include "vm/vmstat.h"

#define CTL_BUF_SIZE	(1UL << 20)

static char ctl_buf[CTL_BUF_SIZE];	/* the server thread's */
static int ctl_fd = -1;
static int ctl_stop_pipe[2] = { -1, -1 };
static pthread_t ctl_thread;

int imgfs_ctl_name(dev_t dev, char *buf, size_t size)
{
	return snprintf(buf, size, "imgfs-%u:%u", major(dev), minor(dev));
}

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
	if (!strcmp(cmd, "pid")) {
		seq_printf(s, "%ld\n", (long)getpid());
		return seq_buf_result(s);
	}
	seq_printf(s, "error: unknown request '%s' (meminfo buddyinfo zoneinfo slabinfo vmstat)\n",
		   cmd);
	return -EINVAL;
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void ctl_serve(int fd)
{
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
	ctl_render(cmd, &s);
	write_all(fd, ctl_buf, s.len);
}

static void *ctl_main(void *arg)
{
	struct pollfd pfd[2] = {
		{ .fd = ctl_fd, .events = POLLIN },
		{ .fd = ctl_stop_pipe[0], .events = POLLIN },
	};

	(void)arg;
	for (;;) {
		int fd;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		fd = accept4(ctl_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		ctl_serve(fd);
		close(fd);
	}
	return NULL;
}

int imgfs_ctl_start(dev_t dev)
{
	struct sockaddr_un addr;
	sigset_t all, old;
	socklen_t alen;
	int n, err;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	n = imgfs_ctl_name(dev, addr.sun_path + 1, sizeof(addr.sun_path) - 1);
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctl_fd < 0)
		return -errno;
	if (bind(ctl_fd, (struct sockaddr *)&addr, alen) || listen(ctl_fd, 16)) {
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
	write_all(ctl_stop_pipe[1], "x", 1);
	pthread_join(ctl_thread, NULL);
	close(ctl_stop_pipe[0]);
	close(ctl_stop_pipe[1]);
	close(ctl_fd);
	ctl_fd = -1;
}
