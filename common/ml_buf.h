/* ml_buf: a growable byte buffer, reused across records so that the
 * steady state allocates nothing. */
#ifndef ML_BUF_H
#define ML_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct ml_buf {
	char *data;
	size_t len, cap;
};

/* Makes room for n more bytes; returns 0, or -1 when memory is out. */
int ml_buf_reserve(struct ml_buf *b, size_t n);
/* Appends a NUL-terminated string; returns 0 or -1. */
int ml_buf_adds(struct ml_buf *b, const char *s);
/* Appends printf-formatted text; returns 0 or -1. */
int ml_buf_printf(struct ml_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same with a va_list. */
int ml_buf_vprintf(struct ml_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Appends a NUL after the contents without counting it in len; 0 or -1. */
int ml_buf_terminate(struct ml_buf *b);
/* Frees the storage and empties the buffer. */
void ml_buf_free(struct ml_buf *b);

static inline void ml_buf_reset(struct ml_buf *b) { b->len = 0; }

static inline int ml_buf_addc(struct ml_buf *b, char c)
{
	if (b->len == b->cap && ml_buf_reserve(b, 1) < 0)
		return -1;
	b->data[b->len++] = c;
	return 0;
}

/* Appends n bytes; returns 0 or -1 (out of memory). */
static inline int ml_buf_add(struct ml_buf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n && ml_buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

#endif
