/*
 * tools/imgfs/mounts.c - a mount point's entry in /proc/self/mountinfo.
 *
 * Fields (proc(5)): ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...]
 * - FSTYPE SOURCE SUPER-OPTIONS; paths escape space, tab, newline and
 * backslash as octal (\040).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "tools/imgfs/imgfs.h"

/* Undo mountinfo's octal escapes in place. */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
			*d++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

int mount_find(const char *path, dev_t *dev, char *fstype, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192], mnt[PATH_MAX + 1], type[64];
	unsigned int maj, min;
	const char *sep;
	int found = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %*u %u:%u %*s %4096s", &maj, &min, mnt) != 3)
			continue;
		unescape(mnt);
		if (strcmp(mnt, path))
			continue;
		*dev = makedev(maj, min);
		found = 1;
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s", type) != 1)
			type[0] = '\0';
		if (fstype)
			snprintf(fstype, size, "%s", type);
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}
