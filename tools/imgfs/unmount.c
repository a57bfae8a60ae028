/*
 * tools/imgfs/unmount.c - imgfs -u MOUNTPOINT: unmount, and return only
 * when the image is final, with the daemon's exit status.
 *
 * fusermount3 -u and umount(8) return as soon as the kernel has let go of
 * the mount; the daemon is then still writing back, flushing and closing
 * the image.  So:
 *   1. find the mount in mountinfo (nothing asks the file system itself,
 *      which may not answer) and check it is an imgfs one;
 *   2. connect to its daemon's control socket (fs/fuse/ctl.c), named after
 *      the mount's st_dev, and ask "unmount-wait": the daemon answers
 *      "waiting PID" and keeps the connection for its last words;
 *   3. unmount: umount2() as root, else fusermount3 -u;
 *   4. read "status N", written by the daemon after ext2_unmount closed
 *      the image, as main returns; then wait for the process itself to
 *      end (a pidfd opened while it was known to be alive, so a reused
 *      pid cannot fool us) and return N.  A connection that ends without
 *      a status means the daemon died: a failure, never success.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fs/fuse/ctl_addr.h"
#include "fs/fuse/imgfs_fuse.h"
#include "tools/imgfs/imgfs.h"

extern char **environ;

static void say(const char *mnt, const char *what, int err)
{
	if (err)
		fprintf(stderr, "imgfs: %s: %s: %s\n", mnt, what, strerror(err));
	else
		fprintf(stderr, "imgfs: %s: %s\n", mnt, what);
}

/* The absolute path of the mount point without looking inside it: only
 * its parent is resolved. */
static int mount_path(const char *arg, char *out)
{
	char a[PATH_MAX], b[PATH_MAX], dir[PATH_MAX];
	size_t len = strlen(arg);
	const char *base;

	if (!len || len >= PATH_MAX)
		return -ENAMETOOLONG;
	strcpy(a, arg);
	while (len > 1 && a[len - 1] == '/')
		a[--len] = '\0';
	strcpy(b, a);
	base = basename(b);
	if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, ".."))
		return realpath(a, out) ? 0 : -errno;
	if (!realpath(dirname(a), dir))
		return -errno;
	if (snprintf(out, PATH_MAX, "%s/%s", strcmp(dir, "/") ? dir : "", base) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static int ctl_connect(dev_t dev)
{
	struct sockaddr_un addr;
	socklen_t alen;
	int fd, n;

	alen = imgfs_ctl_addr(dev, &addr);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, alen)) {
		n = -errno;
		close(fd);
		return n;
	}
	return fd;
}

/* One line from fd (without the newline).  Length, 0 at EOF, or -errno. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1) {
		n = read(fd, buf + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0 || buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	return (int)len;
}

/* umount2 as root; fusermount3 -u (setuid) for the user who mounted. */
static int do_unmount(const char *mnt)
{
	char *argv[] = { "fusermount3", "-u", "--", (char *)mnt, NULL };
	int st;
	pid_t pid;

	if (geteuid() == 0)
		return umount2(mnt, UMOUNT_NOFOLLOW) ? -errno : 0;
	st = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (st)
		return -st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EBUSY;
}

/* A handle on the daemon that becomes readable when it has exited. */
static int daemon_pidfd(const char *line)
{
	long pid = strtol(line + 8, NULL, 10);

	return pid > 0 ? (int)syscall(SYS_pidfd_open, (pid_t)pid, 0) : -1;
}

/* Wait for the daemon's exit (it has just reported its status). */
static void wait_exit(int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	if (pidfd < 0)
		return;		/* no pidfds: the status is its last act */
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	close(pidfd);
}

int imgfs_unmount_wait(const char *arg)
{
	char mnt[PATH_MAX], type[64], line[64];
	int fd, err, status, pidfd = -1;
	dev_t dev;

	err = mount_path(arg, mnt);
	if (!err)
		err = mount_find(mnt, &dev, type, sizeof(type));
	if (err || strcmp(type, "fuse.imgfs")) {
		say(arg, "not an imgfs mount", 0);
		return 1;
	}
	fd = ctl_connect(dev);
	if (fd < 0) {
		say(arg, "not an imgfs mount with a live daemon", -fd);
		return 1;
	}
	if (send(fd, "unmount-wait\n", 13, MSG_NOSIGNAL) != 13 ||
	    read_line(fd, line, sizeof(line)) <= 0 || strncmp(line, "waiting ", 8)) {
		say(arg, "the daemon did not take the request", 0);
		goto fail;
	}
	pidfd = daemon_pidfd(line);
	err = do_unmount(mnt);
	if (err) {
		say(arg, "cannot unmount", -err);
		goto fail;
	}
	err = read_line(fd, line, sizeof(line));
	if (err <= 0 || sscanf(line, "status %d", &status) != 1) {
		say(arg, "the daemon ended without writing the image back (killed?)",
		    err < 0 ? -err : 0);
		goto fail;
	}
	close(fd);
	wait_exit(pidfd);
	return status;

fail:
	if (pidfd >= 0)
		close(pidfd);
	close(fd);
	return 1;
}
