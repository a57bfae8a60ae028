/*
 * tools/imgfs/main.c - imgfs [-f] [-o OPT[,OPT...]] IMAGE MOUNTPOINT
 *
 * Mounts an ext2 image with FUSE, served through imgfs' own VM.  The
 * order of things:
 *
 *   parse and check every option, the image and the mount point
 *       (one-line error, exit 1, nothing mounted);
 *   fork unless -f: the parent waits on a pipe until the child has
 *       mounted (exit 0) or failed (it printed why; exit 1);
 *   vm_init, kswapd and the flusher, ext2_mount (the image must be one
 *       we can serve), the FUSE session and the mount, the statistics
 *       socket (fs/fuse/ctl.c), then the multi-threaded loop;
 *   SIGTERM/SIGINT/SIGHUP or an unmount end the loop: the FUSE mount
 *       goes, every inode reference is dropped, ext2_unmount writes
 *       everything back, flushes the device, gives the super block back
 *       its state and closes (and so releases) the image, the VM threads
 *       stop and the VM goes down; then imgfs -u clients waiting on the
 *       control socket get the exit status (tools/imgfs/unmount.c).
 *
 * The image is held (blockdev/claim.c) from ext2_mount until it is closed:
 * a second owner is refused with one line naming the holder.
 *
 * Signals: the VM's threads and libfuse's workers block them all; the
 * main thread alone takes SIGTERM/SIGINT/SIGHUP (libfuse's handlers end
 * the session loop).
 */
#define FUSE_USE_VERSION 35
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "config.h"
#include "blockdev/blkdev.h"
#include "fs/ext2/ext2.h"
#include "fs/fuse/imgfs_fuse.h"
#include "tools/imgfs/imgfs.h"
#include "vm/swap.h"
#include "vm/vm.h"
#include "vm/writeback.h"

#if defined(__SANITIZE_ADDRESS__)
#define BUILD_FLAVOUR "asan"
#define SANITIZED 1
#elif defined(__SANITIZE_THREAD__)
#define BUILD_FLAVOUR "tsan"
#define SANITIZED 1
#else
#define BUILD_FLAVOUR "plain"
#define SANITIZED 0
#endif

struct imgfs_options {
	int unmount;			/* -u MOUNTPOINT */
	int foreground;
	int read_only;
	int allow_other;
	int debug;
	int direct_io;
	unsigned int threads;
	double timeout;
	double dirty_expire;		/* seconds; < 0: the VM's default */
	double dirty_writeback;		/* seconds; < 0: the VM's default */
	struct vm_config vm;
	enum dma_reach reach;
	int errors;			/* EXT2_ON_ERRORS_*; 0: the image's */
	char kernel_opts[512];		/* passed to the FUSE mount as they are */
	const char *image;
	const char *mountpoint;
};

static const char usage[] =
	"usage: imgfs [-f] [-o OPT[,OPT...]] IMAGE MOUNTPOINT\n"
	"       imgfs -u MOUNTPOINT\n"
	"options: ro rw mem=SIZE lowmem=SIZE dma_reach=dma|low|all kmap=direct|strict\n"
	"         threads=N allow_other debug direct_io (or cache=none) timeout=SECONDS\n"
	"         errors=continue|remount-ro|panic (default: the image's)\n"
	"         dirty_expire=SECONDS (30) dirty_writeback=SECONDS (5)\n"
	"         and the mount flags nodev nosuid noexec noatime dev suid exec atime\n"
	"-u: unmount and wait until the daemon has written everything back, closed\n"
	"    the image and exited; exit with its status.  (fusermount3 -u and umount\n"
	"    return before that: the image is not final when they do.)\n"
	"A read-write mount holds IMAGE exclusively, a read-only one shared: an image\n"
	"in use is refused.\n";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("imgfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* die() once the image is mounted: give it back clean first. */
static void die_mounted(struct super_block *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void die_mounted(struct super_block *sb, const char *fmt, ...)
{
	va_list ap;

	fputs("imgfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	imgfs_fuse_teardown();
	ext2_unmount(sb);
	exit(1);
}

/* The image is held by another owner (blockdev/claim.c): say whom. */
static void die_in_use(const char *image)
{
	char who[256];

	blkdev_holder(image, who, sizeof(who));
	if (*who)
		die("%s: in use by %s", image, who);
	die("%s: in use (the holder cannot be named from here: another user's or "
	    "namespace's process, or an O_EXCL opener)", image);
}

/* ---- options ---------------------------------------------------------------- */

static void add_kernel_opt(struct imgfs_options *o, const char *opt)
{
	size_t len = strlen(o->kernel_opts);

	if (len + strlen(opt) + 2 > sizeof(o->kernel_opts))
		die("too many options");
	if (len)
		strcat(o->kernel_opts, ",");
	strcat(o->kernel_opts, opt);
}

static unsigned long parse_size(const char *name, const char *val)
{
	unsigned long bytes;

	if (vm_parse_size(val, &bytes))
		die("%s=%s: not a size (e.g. 256M)", name, val);
	return bytes;
}

/* SECONDS, fractions allowed, from min to 3600: the flusher's knobs. */
static double parse_seconds(const char *name, const char *val, double min)
{
	char *end;
	double s = strtod(val, &end);

	if (!*val || *end || s < min || s > 3600)
		die("%s=%s: expected seconds from %g to 3600", name, val, min);
	return s;
}

static void parse_one(struct imgfs_options *o, char *opt)
{
	static const char *const passthrough[] = {
		"nodev", "nosuid", "noexec", "noatime", "dev", "suid", "exec", "atime", NULL,
	};
	char *val = strchr(opt, '=');
	const char *const *p;
	char *end;

	if (val)
		*val++ = '\0';
	if (!*opt)
		return;
	if (!strcmp(opt, "ro") && !val) {
		o->read_only = 1;
	} else if (!strcmp(opt, "rw") && !val) {
		o->read_only = 0;
	} else if (!strcmp(opt, "mem") && val) {
		o->vm.mem = parse_size(opt, val);
	} else if (!strcmp(opt, "lowmem") && val) {
		o->vm.lowmem = parse_size(opt, val);
	} else if (!strcmp(opt, "dma_reach") && val) {
		if (dma_reach_parse(val, &o->reach))
			die("dma_reach=%s: expected dma, low or all", val);
	} else if (!strcmp(opt, "kmap") && val) {
		if (!strcmp(val, "direct"))
			o->vm.kmap = KMAP_DIRECT;
		else if (!strcmp(val, "strict"))
			o->vm.kmap = KMAP_STRICT;
		else
			die("kmap=%s: expected direct or strict", val);
	} else if (!strcmp(opt, "threads") && val) {
		unsigned long n = strtoul(val, &end, 10);

		if (!*val || *end || n < 1 || n > 64)
			die("threads=%s: expected a number from 1 to 64", val);
		o->threads = (unsigned int)n;
	} else if (!strcmp(opt, "timeout") && val) {
		o->timeout = strtod(val, &end);
		/* (written so that nan fails too) */
		if (!*val || *end || !(o->timeout >= 0 && o->timeout <= 86400))
			die("timeout=%s: expected seconds from 0 to 86400", val);
	} else if (!strcmp(opt, "errors") && val) {
		o->errors = ext2_parse_errors(val);
		if (o->errors < 0)
			die("errors=%s: expected continue, remount-ro or panic", val);
	} else if (!strcmp(opt, "dirty_expire") && val) {
		o->dirty_expire = parse_seconds(opt, val, 0);
	} else if (!strcmp(opt, "dirty_writeback") && val) {
		o->dirty_writeback = parse_seconds(opt, val, 0.001);
	} else if (!strcmp(opt, "allow_other") && !val) {
		o->allow_other = 1;
	} else if (!strcmp(opt, "debug") && !val) {
		o->debug = 1;
		o->foreground = 1;
	} else if (!strcmp(opt, "direct_io") && !val) {
		o->direct_io = 1;
	} else if (!strcmp(opt, "cache") && val) {
		if (!strcmp(val, "none"))
			o->direct_io = 1;
		else if (!strcmp(val, "auto"))
			o->direct_io = 0;
		else
			die("cache=%s: expected none or auto", val);
	} else {
		for (p = passthrough; *p; p++)
			if (!strcmp(opt, *p) && !val)
				break;
		if (!*p)
			die("unknown option '%s%s%s'", opt, val ? "=" : "", val ? val : "");
		add_kernel_opt(o, opt);
	}
}

static void parse_opts(struct imgfs_options *o, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *opt;

	if (!copy)
		die("out of memory");
	for (opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save))
		parse_one(o, opt);
	free(copy);
}

static void parse_args(struct imgfs_options *o, int argc, char **argv)
{
	int i;

	memset(o, 0, sizeof(*o));
	vm_config_default(&o->vm);
	o->reach = DMA_REACH_LOW;
	o->threads = 10;
	o->timeout = 1.0;
	o->dirty_expire = o->dirty_writeback = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			exit(0);
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("imgfs %s (libfuse %d.%d, %s build)\n", PACKAGE_VERSION,
			       FUSE_MAJOR_VERSION, FUSE_MINOR_VERSION, BUILD_FLAVOUR);
			exit(0);
		} else if (!strcmp(a, "-u")) {
			o->unmount = 1;
		} else if (!strcmp(a, "-f")) {
			o->foreground = 1;
		} else if (!strcmp(a, "-d")) {
			o->debug = o->foreground = 1;
		} else if (!strcmp(a, "-o")) {
			if (++i == argc)
				die("-o needs an argument\n%s", usage);
			parse_opts(o, argv[i]);
		} else if (!strncmp(a, "-o", 2)) {
			parse_opts(o, a + 2);
		} else if (a[0] == '-' && a[1]) {
			die("unknown option '%s'\n%s", a, usage);
		} else if (!o->image) {
			o->image = a;
		} else if (!o->mountpoint) {
			o->mountpoint = a;
		} else {
			die("too many arguments: '%s'\n%s", a, usage);
		}
	}
	if (o->unmount) {
		if (!o->image || o->mountpoint)
			die("-u takes one MOUNTPOINT\n%s", usage);
		o->mountpoint = o->image;
		o->image = NULL;
		return;
	}
	if (!o->mountpoint)
		die("expected IMAGE and MOUNTPOINT\n%s", usage);
}

/*
 * The flusher's age and period (2.4's bdflush age_buffer and interval):
 * nothing dirty stays in memory much longer than their sum.  The
 * defaults (30 s, 5 s) are the VM's; tests shorten them.
 */
static void set_writeback(const struct imgfs_options *o)
{
	struct writeback_params p;

	writeback_get_params(&p);
	if (o->dirty_expire >= 0)
		p.expire_ms = (unsigned int)(o->dirty_expire * 1000 + 0.5);
	if (o->dirty_writeback >= 0)
		p.interval_ms = (unsigned int)(o->dirty_writeback * 1000 + 0.5);
	if (!p.interval_ms)
		p.interval_ms = 1;
	if (writeback_set_params(&p))
		die("dirty_expire=%g dirty_writeback=%g: rejected", o->dirty_expire,
		    o->dirty_writeback);
}

/* ---- checks before anything is mounted ------------------------------------------- */

static void check_vm(struct imgfs_options *o)
{
	const char *why = NULL;

	if (vm_config_validate(&o->vm, &why))
		die("mem=%lu lowmem=%lu: %s", o->vm.mem, o->vm.lowmem,
		    why ? why : "invalid memory sizes");
}

static void check_image(const struct imgfs_options *o)
{
	struct stat st;

	if (stat(o->image, &st))
		die("%s: %s", o->image, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		die("%s: not a regular file or a block device", o->image);
	if (access(o->image, o->read_only ? R_OK : R_OK | W_OK))
		die("%s: %s%s", o->image, strerror(errno),
		    o->read_only || errno != EACCES ? "" : " (mount it with -o ro?)");
}

static void check_mountpoint(const struct imgfs_options *o)
{
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (stat(o->mountpoint, &st))
		die("%s: %s", o->mountpoint, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		die("%s: not a directory", o->mountpoint);
	d = opendir(o->mountpoint);
	if (!d)
		die("%s: %s", o->mountpoint, strerror(errno));
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			closedir(d);
			die("%s: not an empty directory", o->mountpoint);
		}
	closedir(d);
}

/* ---- daemonizing ------------------------------------------------------------------- */

/*
 * Fork: the parent waits for the child's word that it is mounted and
 * exits with the outcome; errors before that are printed by the child
 * on the stderr they share.  Returns the pipe's write end in the child.
 */
static int daemonize(void)
{
	int fds[2];
	pid_t pid;
	char ok;

	if (pipe2(fds, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0) {
		close(fds[1]);
		while (read(fds[0], &ok, 1) < 0 && errno == EINTR)
			;
		_exit(ok == '1' ? 0 : 1);
	}
	close(fds[0]);
	setsid();
	return fds[1];
}

/*
 * The daemon is mounted: tell the parent, let go of the terminal.  A
 * sanitizer build keeps its stderr: UBSan built beside ASan (GCC) writes
 * its reports there whatever log_path says, and a report nobody sees is
 * a bug nobody fixes.
 */
static void detach(int notify_fd)
{
	int null = open("/dev/null", O_RDWR);

	if (chdir("/")) {
		/* nothing relative is used from here on */
	}
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (!SANITIZED)
			dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	if (write(notify_fd, "1", 1) != 1) {
		/* the parent is gone: nobody to tell */
	}
	close(notify_fd);
}

/* ---- serving ------------------------------------------------------------------------ */

/* "fsname=imgfs:IMAGE": commas and backslashes escaped for fuse_opt. */
static void add_fsname(struct imgfs_options *o, const char *image)
{
	char opt[PATH_MAX + 32], *d = opt;
	const char *s;

	d += sprintf(d, "fsname=");
	for (s = image; *s && d < opt + sizeof(opt) - 3; s++) {
		if (*s == ',' || *s == '\\')
			*d++ = '\\';
		*d++ = *s;
	}
	*d = '\0';
	add_kernel_opt(o, opt);
}

static struct fuse_session *new_session(struct imgfs_options *o, const char *image)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se;

	add_kernel_opt(o, "subtype=imgfs");
	add_kernel_opt(o, "default_permissions");
	add_fsname(o, image);
	if (o->allow_other)
		add_kernel_opt(o, "allow_other");
	if (o->read_only)
		add_kernel_opt(o, "ro");
	if (fuse_opt_add_arg(&args, "imgfs") || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, o->kernel_opts) || (o->debug && fuse_opt_add_arg(&args, "-d")))
		die("out of memory");
	se = fuse_session_new(&args, (const struct fuse_lowlevel_ops *)imgfs_ll_ops_ptr,
			      imgfs_ll_ops_size, NULL);
	fuse_opt_free_args(&args);
	return se;
}

/*
 * errors=panic: ext2 has aborted the device (no write reaches the image
 * any more); end the session as SIGTERM would, from whatever thread found
 * the error, and exit non-zero.  Only async-signal-safe calls here.
 */
static int panicked;	/* atomic */

static void on_panic(void *arg)
{
	(void)arg;
	__atomic_store_n(&panicked, 1, __ATOMIC_RELEASE);
	kill(getpid(), SIGTERM);
}

static void block_signals(int block)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

int main(int argc, char **argv)
{
	struct imgfs_options o;
	struct ext2_mount_opts mo;
	struct imgfs_fuse_config fc;
	struct fuse_loop_config lc;
	struct super_block *sb;
	struct fuse_session *se;
	char image[PATH_MAX], mnt[PATH_MAX];
	const char *why = NULL;
	int notify_fd = -1, err, status = 0;
	dev_t dev = 0;

	parse_args(&o, argc, argv);
	if (o.unmount)
		return imgfs_unmount_wait(o.mountpoint);
	check_vm(&o);
	check_image(&o);
	check_mountpoint(&o);
	if (!realpath(o.image, image) || !realpath(o.mountpoint, mnt))
		die("%s: %s", o.image, strerror(errno));
	if (!o.foreground)
		notify_fd = daemonize();

	/* The VM's threads inherit a mask without the stop signals. */
	block_signals(1);
	err = vm_init(&o.vm);
	if (err)
		die("mem=%lu: cannot set up the memory arena: %s", o.vm.mem, strerror(-err));
	set_writeback(&o);
	if (kswapd_start() || flusher_start())
		die("cannot start the VM's threads");
	ext2_mount_opts_default(&mo);
	mo.path = image;
	mo.read_only = o.read_only;
	mo.reach = o.reach;
	mo.errors = o.errors;
	mo.on_panic = on_panic;
	err = ext2_mount(&mo, &sb, &why);
	if (err == -EBUSY)
		die_in_use(o.image);
	if (err)
		die("%s: %s", o.image, why ? why : strerror(-err));
	if (!o.read_only && (sb->s_flags & MS_RDONLY)) {
		fprintf(stderr, "imgfs: %s: mounted read-only: %s\n", o.image,
			why ? why : "the image asks for it");
		o.read_only = 1;
	}
	fc.timeout = o.timeout;
	fc.direct_io = o.direct_io;
	fc.read_only = o.read_only;
	err = imgfs_fuse_setup(sb, &fc);
	if (err)
		die_mounted(sb, "%s: %s", o.image, strerror(-err));
	se = new_session(&o, image);
	if (!se)
		die_mounted(sb, "cannot create the FUSE session (bad mount option?)");
	if (fuse_set_signal_handlers(se))
		die_mounted(sb, "cannot install signal handlers");
	if (fuse_session_mount(se, mnt))
		die_mounted(sb, "%s: cannot mount (is /dev/fuse there, and fusermount3?)",
			    o.mountpoint);
	err = mount_find(mnt, &dev, NULL, 0);
	if (!err)
		err = imgfs_ctl_start(dev);
	if (err)
		fprintf(stderr, "imgfs: no statistics socket: %s\n", strerror(-err));
	if (notify_fd >= 0)
		detach(notify_fd);

	block_signals(0);
	memset(&lc, 0, sizeof(lc));
	lc.clone_fd = 1;
	lc.max_idle_threads = o.threads;
	/* Negative: the loop failed; positive: the signal that ended it. */
	if (fuse_session_loop_mt(se, &lc) < 0)
		status = 1;

	fuse_remove_signal_handlers(se);
	fuse_session_unmount(se);
	imgfs_ctl_stop();
	imgfs_fuse_teardown();
	err = ext2_unmount(sb);
	if (err) {
		fprintf(stderr, "imgfs: %s: unmount: %s\n", o.image, strerror(-err));
		status = 1;
	}
	if (__atomic_load_n(&panicked, __ATOMIC_ACQUIRE)) {
		fprintf(stderr, "imgfs: %s: stopped by errors=panic\n", o.image);
		status = 2;
	}
	fuse_session_destroy(se);
	flusher_stop();
	kswapd_stop();
	/* An unmount that failed part way may leave the device and its
	 * completion thread running on the arena: then it stays mapped. */
	if (!err)
		vm_exit();
	/* The image is final: tell imgfs -u, the last thing before exit. */
	imgfs_ctl_report(status);
	return status;
}
