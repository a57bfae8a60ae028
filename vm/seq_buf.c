/*
 * vm/seq_buf.c - see seq_buf.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include "vm/seq_buf.h"

void seq_buf_init(struct seq_buf *s, char *buf, size_t size)
{
	s->buf = buf;
	s->size = size;
	s->len = 0;
	s->overflow = 0;
	if (size)
		buf[0] = '\0';
}

void seq_printf(struct seq_buf *s, const char *fmt, ...)
{
	size_t room = s->size > s->len ? s->size - s->len : 0;
	va_list ap;
	int n;

	if (s->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->buf + s->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		s->overflow = 1;
		if (room)
			s->len = s->size - 1;
		return;
	}
	s->len += (size_t)n;
}

int seq_buf_result(const struct seq_buf *s)
{
	return s->overflow ? -ENOSPC : 0;
}
