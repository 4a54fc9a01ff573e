/* ml_in: a byte source (a file or standard input) that counts and hashes
 * what passes, so the run log can name an input by its SHA-256 without a
 * second read.  ml_lines splits any byte source into lines of any length. */
#ifndef ML_IN_H
#define ML_IN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ml_err.h"

struct ml_in;
struct ml_lines;

/* Opens path ("-": standard input); NULL with err naming the file. */
struct ml_in *ml_in_open(const char *path, struct ml_err *err);
/* Reads up to n bytes; the count, 0 at end of input, -1 with err. */
ssize_t ml_in_read(struct ml_in *in, void *buf, size_t n, struct ml_err *err);
/* Reads ahead up to n bytes, fewer at the end of the input, that later
 * reads give again: for a tool that looks at a file to learn what it
 * is, without opening it a second time, which a pipe or FIFO does not
 * allow.  Once, before the first read.  The count, with the bytes in
 * *head (valid until in is closed), or -1 with err. */
ssize_t ml_in_peek(struct ml_in *in, size_t n, const void **head, struct ml_err *err);
/* Reads like ml_in_read into a buffer the caller keeps: the bytes are
 * hashed where they are (past the first megabyte, on the hash thread,
 * reads that follow one another in memory together) instead of on a copy.
 * So buf[0..count) must stay as read, and allocated, until
 * ml_in_hash_wait has returned, or in is closed. */
ssize_t ml_in_read_in_place(struct ml_in *in, void *buf, size_t n, struct ml_err *err);
/* Waits until every byte read so far is hashed: the buffers read into in
 * place are the caller's again. */
void ml_in_hash_wait(struct ml_in *in);
/* Reads (and hashes) whatever is left, so the hash covers the whole file. */
int ml_in_drain(struct ml_in *in, struct ml_err *err);
/* "-" for standard input, else the path. */
const char *ml_in_path(const struct ml_in *in);
/* A name for messages: "<stdin>" or the path. */
const char *ml_in_name(const struct ml_in *in);
/* Bytes read so far. */
uint64_t ml_in_bytes(const struct ml_in *in);
/* "sha256:<hex>" of all bytes, once the end was reached; else NULL. */
const char *ml_in_sha256(const struct ml_in *in);
/* Skips hashing (before the first read): for runs that log nothing, the
 * hash would be work no one reads.  ml_in_sha256 then gives NULL. */
void ml_in_no_hash(struct ml_in *in);
/* Closes and frees; NULL is fine. */
void ml_in_close(struct ml_in *in);

/* A read function: up to n bytes into buf; count, 0 at end, -1 with err. */
typedef ssize_t (*ml_read_fn)(void *ctx, void *buf, size_t n, struct ml_err *err);

/* A line splitter over read(ctx); NULL when memory is out. */
struct ml_lines *ml_lines_new(ml_read_fn read, void *ctx);
/* A line splitter over an ml_in, named in messages as the ml_in is. */
struct ml_lines *ml_lines_of(struct ml_in *in);
/* Names the source in messages ("FILE" or "FILE(MEMBER)"); name is kept,
 * not copied, so it must outlive l.  Without a name a message gives only
 * the line number. */
void ml_lines_set_name(struct ml_lines *l, const char *name);
/* Next line without its "\n" (and without one "\r" before it): 1, 0 at the
 * end, -1 with err.  The line stays valid until the next call.  A line too
 * long for memory fails with ENOMEM and err reading "FILE:LINE: cannot hold
 * a line of N bytes or more", LINE the number of the line being read, as
 * malformed records are reported: callers pass err on as it is. */
int ml_lines_next(struct ml_lines *l, const char **line, size_t *len, struct ml_err *err);
/* Number (from 1) of the line last returned. */
uint64_t ml_lines_number(const struct ml_lines *l);
/* Frees the splitter (not its source). */
void ml_lines_free(struct ml_lines *l);

#endif
