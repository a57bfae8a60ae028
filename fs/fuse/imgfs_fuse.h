/*
 * fs/fuse/imgfs_fuse.h - the FUSE server over a mounted ext2 super block,
 * as tools/imgfs/main.c drives it.
 *
 *   vm_init(), kswapd_start(), flusher_start(), ext2_mount()   (the caller)
 *   imgfs_fuse_setup(sb, &cfg)         node table, file-handle cache
 *   fuse_session_new(..., &imgfs_ll_ops, ...) and the loop (the caller)
 *   imgfs_fuse_teardown()              drop every reference the kernel
 *                                      held (it sends no FORGET at unmount)
 *                                      and release the files it never will
 *   ext2_unmount(), flusher_stop(), kswapd_stop(), vm_exit()   (the caller)
 *
 * Node ids: the ext2 inode number, except that ext2's root (2) is FUSE's
 * FUSE_ROOT_ID (1); ext2 never gives number 1 to a file.  A node names an
 * inode without holding it, except an unlinked inode the kernel still
 * knows, which stays until the kernel forgets it (fs/fuse/nodes.c); an
 * open file holds its inode through its handle.
 *
 * The statistics channel (fs/fuse/ctl.c) is an abstract unix socket named
 * "\0imgfs-MAJOR:MINOR" after the mount's st_dev; it adds no name to the
 * image.  The protocol: one request line ("meminfo\n" ...), the reply text,
 * then the server closes; "unmount-wait\n" is answered "waiting PID\n" and
 * later "status N\n", the daemon's exit status, just before it exits.
 */
#ifndef IMGFS_FS_FUSE_IMGFS_FUSE_H
#define IMGFS_FS_FUSE_IMGFS_FUSE_H

#include <sys/types.h>

struct super_block;

struct imgfs_fuse_config {
	double timeout;		/* entry and attribute timeouts, seconds */
	int direct_io;		/* bypass the kernel's page cache: every read
				 * and write goes through imgfs' own */
	int read_only;
};

int imgfs_fuse_setup(struct super_block *sb, const struct imgfs_fuse_config *cfg);
void imgfs_fuse_teardown(void);

/* The low-level operations table (fs/fuse/ops.c), as a void pointer so
 * this header needs no FUSE_USE_VERSION; pass it with its size. */
extern const void *const imgfs_ll_ops_ptr;
extern const size_t imgfs_ll_ops_size;

/* ---- the statistics channel (fs/fuse/ctl.c) ------------------------------ */

/* The socket's address: fs/fuse/ctl_addr.h. */

/* Bind the socket for a mount of device dev and start the server thread.
 * 0 or -errno (-EADDRINUSE: another server has that name). */
int imgfs_ctl_start(dev_t dev);
/* Stop serving and close the socket; unmount-wait clients stay connected. */
void imgfs_ctl_stop(void);
/* The daemon's last act, after imgfs_ctl_stop, once the image is closed:
 * "status N\n" to every unmount-wait client (imgfs -u), then close. */
void imgfs_ctl_report(int status);

/* Counters of the FUSE layer, for the vmstat output. */
struct imgfs_fuse_stats {
	unsigned long nr_nodes;			/* inodes the kernel knows */
	unsigned long nr_pinned;		/* of them unlinked, kept for the kernel */
	unsigned long nr_open;			/* open file handles */
	unsigned long nr_read, nr_write;	/* requests */
	unsigned long read_bytes, write_bytes;
};
void imgfs_fuse_get_stats(struct imgfs_fuse_stats *st);

#endif
