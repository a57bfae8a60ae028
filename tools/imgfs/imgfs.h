/*
 * tools/imgfs/imgfs.h - what the files of the imgfs command share.
 *
 *   main.c        options, checks, daemonizing, serving
 *   mounts.c      finding a mount in /proc/self/mountinfo
 *   unmount.c     imgfs -u MOUNTPOINT
 */
#ifndef IMGFS_TOOLS_IMGFS_IMGFS_H
#define IMGFS_TOOLS_IMGFS_IMGFS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The newest mount on path (absolute, no symlinks), from mountinfo: a
 * stat() would ask the file system itself, which may not be serving.
 * *dev its st_dev; fstype (may be NULL) its type, e.g. "fuse.imgfs".
 * 0 or -ENOENT (no mount there) or -errno.
 */
int mount_find(const char *path, dev_t *dev, char *fstype, size_t size);

/* imgfs -u MOUNTPOINT: unmount, wait until the daemon has closed the
 * image and exited; returns its exit status (1 after one line when
 * something failed: not an imgfs mount, busy, the daemon died). */
int imgfs_unmount_wait(const char *mountpoint);

#endif
