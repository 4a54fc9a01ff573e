/* ml_err: how the library reports trouble without printing or exiting.
 *
 * Every library function that can fail takes a struct ml_err * and, on
 * failure, fills it with one line of text (no program name, no newline)
 * and returns -1 (or NULL).  main() decides what to print and how to exit. */
#ifndef ML_ERR_H
#define ML_ERR_H

#include <stddef.h>

enum ml_err_kind {
	ML_ERR_NONE = 0,
	ML_ERR_DATA,    /* the input is malformed: a place and a reason */
	ML_ERR_IO,      /* the system said no: open, read, write, rename */
	ML_ERR_PIPE,    /* the reader of our output went away (EPIPE) */
	ML_ERR_USAGE,   /* the caller asked for something impossible */
};

struct ml_err {
	enum ml_err_kind kind;
	int sys_errno;          /* errno for ML_ERR_IO, else 0 */
	char msg[1024];
};

/* Fills err with a formatted message of the given kind; returns -1. */
int ml_err_set(struct ml_err *err, enum ml_err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like ml_err_set with ML_ERR_IO, appending ": strerror(errnum)". */
int ml_err_sys(struct ml_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Puts "prefix: " in front of the message already in err; returns -1. */
int ml_err_prefix(struct ml_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Empties err. */
void ml_err_clear(struct ml_err *err);

#endif
