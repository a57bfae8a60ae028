/*
 * vm/seq_buf.h - text output into a caller's buffer, for the /proc-style
 * statistics.  Output that does not fit is cut and the buffer marked
 * overflowed; the renderers return -ENOSPC then, so a caller can retry
 * with a larger buffer.  No locking: one writer.
 */
#ifndef IMGFS_VM_SEQ_BUF_H
#define IMGFS_VM_SEQ_BUF_H

#include <stddef.h>

struct seq_buf {
	char *buf;
	size_t size;
	size_t len;		/* bytes written, excluding the NUL */
	int overflow;
};

void seq_buf_init(struct seq_buf *s, char *buf, size_t size);
void seq_printf(struct seq_buf *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* 0, or -ENOSPC if anything was cut. */
int seq_buf_result(const struct seq_buf *s);

#endif
