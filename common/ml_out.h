/* ml_out: buffered output that counts, hashes and never loses a write error.
 *
 * Standard output is written as it goes.  A named file is written to a
 * temporary file in the same directory and only renamed over the target by
 * ml_out_commit, after flush and fsync, so a failed run leaves the previous
 * file untouched.  Errors are sticky: after the first failed write every
 * call returns -1 and ml_out_commit reports it. */
#ifndef ML_OUT_H
#define ML_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "ml_err.h"
#include "ml_sha256.h"

struct ml_out;

/* Opens path for writing ("-" or NULL: standard output); NULL with err. */
struct ml_out *ml_out_open(const char *path, struct ml_err *err);
/* Buffers n bytes; 0, or -1 once any write has failed. */
int ml_out_write(struct ml_out *o, const void *p, size_t n);
/* Buffers one byte; 0 or -1. */
int ml_out_putc(struct ml_out *o, char c);
/* Writes text[0..n) made of whole lines, counting each line as a record
 * (a profile's or a report's lines); 0 or -1. */
int ml_out_write_lines(struct ml_out *o, const char *text, size_t n);
/* Ends a record: writes '\n' and counts it; 0 or -1. */
int ml_out_end_record(struct ml_out *o);
/* Flushes, fsyncs and renames into place (for stdout: flushes); 0, or -1
 * with err naming the file and the reason (ML_ERR_PIPE when the reader went
 * away).  On failure the temporary file is removed. */
int ml_out_commit(struct ml_out *o, struct ml_err *err);
/* Gives up: removes the temporary file, so the target stays as it was;
 * standard output gets what was written before the failure. */
void ml_out_abort(struct ml_out *o);
/* Frees o (aborting first if neither committed nor aborted). */
void ml_out_free(struct ml_out *o);

/* The path as given ("-" for stdout) and a name for messages. */
const char *ml_out_path(const struct ml_out *o);
const char *ml_out_name(const struct ml_out *o);
/* Bytes and records written so far. */
uint64_t ml_out_bytes(const struct ml_out *o);
uint64_t ml_out_records(const struct ml_out *o);
/* "sha256:<hex>" of every byte written; valid after a successful commit. */
const char *ml_out_sha256(const struct ml_out *o);
/* Skips hashing (before the first write), for runs that log nothing;
 * ml_out_sha256 then gives NULL. */
void ml_out_no_hash(struct ml_out *o);
/* The errno of the first failed write, or 0. */
int ml_out_errno(const struct ml_out *o);
/* Fills err with "cannot write 'NAME': reason" for the first failed write
 * (ML_ERR_PIPE when the reader went away); returns -1. */
int ml_out_error(const struct ml_out *o, struct ml_err *err);

/* Whether two outputs ("-": standard output) would write to the same
 * place, so that one's bytes would be lost under the other's (a file is
 * replaced when its output commits) or mixed with them: the same path, two
 * paths or links to one existing file, standard output and the file it is
 * redirected to, or two new files whose directories are one.  /dev/null is
 * no clash: nothing written there is kept. */
int ml_out_same_place(const char *a, const char *b);

/* Removes every temporary file not yet committed.  Async-signal-safe: the
 * CLI layer calls it from its SIGINT/SIGTERM handler. */
void ml_out_cleanup_signal(void);

#endif
