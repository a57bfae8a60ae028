/*
 * tools/imgfsctl/main.c - imgfsctl MOUNTPOINT meminfo|buddyinfo|zoneinfo|slabinfo|vmstat
 *
 * Prints the live statistics of the imgfs daemon serving MOUNTPOINT, in
 * the formats of the kernel's /proc files.  The daemon listens on the
 * abstract unix socket "\0imgfs-MAJOR:MINOR" named after the mount's
 * st_dev (fs/fuse/ctl_addr.h), so nothing is looked up inside the image.
 * "pid" prints the daemon's process id.  To unmount and wait until the
 * image is final, use imgfs -u MOUNTPOINT (it asks the same socket).
 *
 * "fault eio|short [read|write] START NR" and "fault clear" inject device
 * errors into the running daemon (sectors of 512 bytes), for tests; the
 * daemon refuses unless it was started with IMGFS_FAULT_INJECTION=1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>
#include "fs/fuse/ctl_addr.h"

static const char usage[] =
	"usage: imgfsctl MOUNTPOINT meminfo|buddyinfo|zoneinfo|slabinfo|vmstat|pid\n"
	"       imgfsctl MOUNTPOINT fault eio|short [read|write] START NR | fault clear\n"
	"                (needs a daemon started with IMGFS_FAULT_INJECTION=1)\n";

static int connect_mount(const char *mnt)
{
	struct sockaddr_un addr;
	struct stat st;
	socklen_t alen;
	int fd;

	if (stat(mnt, &st)) {
		fprintf(stderr, "imgfsctl: %s: %s\n", mnt, strerror(errno));
		return -1;
	}
	alen = imgfs_ctl_addr(st.st_dev, &addr);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "imgfsctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&addr, alen)) {
		fprintf(stderr, "imgfsctl: %s: not an imgfs mount (%s)\n", mnt, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const char *const cmds[] = {
		"meminfo", "buddyinfo", "zoneinfo", "slabinfo", "vmstat", "pid", "fault", NULL,
	};
	const char *const *c;
	char buf[65536], line[64];
	ssize_t n;
	int fd, len, i, failed = 0;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc < 3 || (argc > 3 && strcmp(argv[2], "fault")) || argc > 7) {
		fputs(usage, stderr);
		return 2;
	}
	for (c = cmds; *c && strcmp(*c, argv[2]); c++)
		;
	if (!*c) {
		fprintf(stderr, "imgfsctl: unknown statistics '%s'\n%s", argv[2], usage);
		return 2;
	}
	fd = connect_mount(argv[1]);
	if (fd < 0)
		return 1;
	len = 0;
	for (i = 2; i < argc && len < (int)sizeof(line); i++)
		len += snprintf(line + len, sizeof(line) - (size_t)len, "%s%s", argv[i],
				i + 1 < argc ? " " : "\n");
	if (len >= (int)sizeof(line)) {
		fputs(usage, stderr);
		close(fd);
		return 2;
	}
	if (write(fd, line, (size_t)len) != len) {
		fprintf(stderr, "imgfsctl: %s: %s\n", argv[1], strerror(errno));
		close(fd);
		return 1;
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (!strncmp(buf, "error:", 6))
			failed = 1;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			failed = 1;
			break;
		}
	}
	if (n < 0) {
		fprintf(stderr, "imgfsctl: %s: %s\n", argv[1], strerror(errno));
		failed = 1;
	}
	close(fd);
	return failed;
}
