/*
 * vm/bug.c - BUG(), VM_BUG_ON() and the operator's log.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "vm/compiler.h"

void vm_bug(const char *file, int line, const char *func, const char *cond)
{
	fprintf(stderr, "imgfs: BUG at %s:%d in %s(): %s\n", file, line, func, cond);
	fflush(stderr);
	abort();
}

void vm_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line so lines from different threads do not mix. */
	fprintf(stderr, "imgfs: %s\n", line);
}
