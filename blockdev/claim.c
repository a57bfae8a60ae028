/*
 * blockdev/claim.c - one owner per image: the hold an open device keeps
 * on its image, and who holds one (2.6's bd_claim, for files as well).
 *
 * Interface (blockdev/blkdev.h): blkdev_claim(), blkdev_holder().
 *
 * The hold is an open-file-description lock over the whole file: a write
 * lock for a read-write owner, a read lock for a reader.  It belongs to
 * the open file, not to the process, so it survives the daemon's fork,
 * cannot be dropped by closing some other descriptor of the same file (as
 * a POSIX lock would be), and goes with the last close or the process.
 * A block device opened read-write is also opened O_EXCL by blkdev.c, as
 * mke2fs and the kernel's own mounts do: the lock keeps imgfs mounts
 * apart, O_EXCL keeps out everyone else.
 *
 * Who holds it: F_OFD_GETLK answers l_pid -1 for an OFD lock, and so does
 * /proc/locks; but /proc/PID/fdinfo/FD lists the locks that descriptor's
 * open file owns ("lock:" lines).  So the holders are found among the
 * descriptors that have the same file open, where this process may look
 * (root, or the same user).  Descriptors are picked by their link's text
 * (the image's real path) before anything is stat()ed: a stat of some
 * other process's file could hang on a dead FUSE mount.  A block device
 * claimed by the kernel shows in mountinfo instead.  Only used on the way
 * to an error message; libc's stdio and directory streams are fine there.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "blockdev/blkdev.h"

/* ---- the hold ------------------------------------------------------------- */

/* A descriptor that cannot take a write lock can still learn whether one
 * would conflict: a test, not a hold. */
static int claim_test(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_OFD_GETLK, &fl))
		return -errno;
	return fl.l_type == F_UNLCK ? 0 : -EBUSY;
}

int blkdev_claim(int fd, const char *path, int exclusive)
{
	struct flock fl = { .l_type = exclusive ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET };
	struct stat held, named;
	int acc = fcntl(fd, F_GETFL), err;

	if (acc < 0)
		return -errno;
	if (exclusive && (acc & O_ACCMODE) == O_RDONLY)
		err = claim_test(fd);
	else if (fcntl(fd, F_OFD_SETLK, &fl))
		err = errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
	else
		err = 0;
	if (err)
		return err;
	/* Replaced (renamed over) between our open and our lock: the owner
	 * of the new file would never see this hold. */
	if (fstat(fd, &held) || stat(path, &named))
		return -errno;
	if (held.st_dev != named.st_dev || held.st_ino != named.st_ino)
		return -EAGAIN;
	return 0;
}

/* ---- the holder ------------------------------------------------------------ */

/* Does /proc/PID/fdinfo/FD list a lock (its open file owns one)? */
static int fd_holds_lock(const char *pid, const char *fd)
{
	char path[640], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "lock:", 5);
	fclose(f);
	return found;
}

/* Does process pid have real (the image, img) open in a file that holds
 * a lock? */
static int pid_holds(const char *pid, const char *real, const struct stat *img)
{
	char dir[320], path[640], link[PATH_MAX];
	struct dirent *de;
	struct stat st;
	ssize_t n;
	int found = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, real) || stat(path, &st) || st.st_dev != img->st_dev ||
		    st.st_ino != img->st_ino)
			continue;
		found = fd_holds_lock(pid, de->d_name);
	}
	closedir(d);
	return found;
}

static void append(char *buf, size_t size, const char *fmt, const char *a, const char *b)
{
	size_t len = strlen(buf);

	if (len < size)
		snprintf(buf + len, size - len, fmt, a, b);
}

static void lock_holders(const char *real, const struct stat *img, char *buf, size_t size)
{
	char self[16], comm_path[320], comm[32];
	struct dirent *de;
	DIR *d = opendir("/proc");
	FILE *f;

	if (!d)
		return;
	snprintf(self, sizeof(self), "%ld", (long)getpid());
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9' || !strcmp(de->d_name, self))
			continue;
		if (!pid_holds(de->d_name, real, img))
			continue;
		strcpy(comm, "?");
		snprintf(comm_path, sizeof(comm_path), "/proc/%s/comm", de->d_name);
		f = fopen(comm_path, "re");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		append(buf, size, *buf ? ", process %s (%s)" : "process %s (%s)",
		       de->d_name, comm);
	}
	closedir(d);
}

/* The kernel's first mount of block device rdev (mountinfo's MAJ:MIN). */
static void kernel_holder(dev_t rdev, char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], mnt[4096];
	unsigned int maj, min;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, mnt) == 3 &&
		    makedev(maj, min) == rdev) {
			append(buf, size, "the kernel (mounted on %s%s)", mnt, "");
			break;
		}
	}
	fclose(f);
}

void blkdev_holder(const char *path, char *buf, size_t size)
{
	char real[PATH_MAX];
	struct stat img;

	if (!size)
		return;
	*buf = '\0';
	if (stat(path, &img) || !realpath(path, real))
		return;
	lock_holders(real, &img, buf, size);
	if (!*buf && S_ISBLK(img.st_mode))
		kernel_holder(img.st_rdev, buf, size);
}
