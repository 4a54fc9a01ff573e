#include "ml_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ml_err_set(struct ml_err *err, enum ml_err_kind kind, const char *fmt, ...)
{
	va_list ap;

	err->kind = kind;
	err->sys_errno = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int ml_err_sys(struct ml_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	err->kind = errnum == EPIPE ? ML_ERR_PIPE : ML_ERR_IO;
	err->sys_errno = errnum;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(errnum));
	return -1;
}

int ml_err_prefix(struct ml_err *err, const char *fmt, ...)
{
	char head[512], old[sizeof err->msg];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	n = strlen(head);
	memcpy(err->msg, head, n);
	err->msg[n++] = ':';
	err->msg[n++] = ' ';
	/* the message is cut, not overflowed, when both are long */
	size_t room = sizeof err->msg - n - 1, m = strnlen(old, room);
	memcpy(err->msg + n, old, m);
	err->msg[n + m] = '\0';
	return -1;
}

void ml_err_clear(struct ml_err *err)
{
	err->kind = ML_ERR_NONE;
	err->sys_errno = 0;
	err->msg[0] = '\0';
}
