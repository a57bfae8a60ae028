/*
 * fs/fuse/ctl_addr.h - the address of a mount's control socket, shared by
 * the daemon (fs/fuse/ctl.c), imgfs -u and imgfsctl: a unix stream socket
 * in the abstract namespace named "\0imgfs-MAJOR:MINOR" after the st_dev
 * the kernel gave the mount.  Header only, so that imgfsctl links nothing
 * of the server.
 */
#ifndef IMGFS_FS_FUSE_CTL_ADDR_H
#define IMGFS_FS_FUSE_CTL_ADDR_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>

/* Fills *addr for the mount whose st_dev is dev; returns the address
 * length to pass to bind() or connect(). */
static inline socklen_t imgfs_ctl_addr(dev_t dev, struct sockaddr_un *addr)
{
	int n;

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	n = snprintf(addr->sun_path + 1, sizeof(addr->sun_path) - 1, "imgfs-%u:%u",
		     major(dev), minor(dev));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

#endif
