/* ml_fanout: lines of input handed to worker threads in blocks.
 *
 * The reading thread gathers whole lines into blocks of about a megabyte
 * and deals them round the workers in turn (block i to worker i mod N),
 * each worker calling back once per non-blank line with a context of its
 * own.  The same input and N give each worker the same lines in the same
 * order, so results built per worker and combined in worker order do not
 * depend on timing.  Used by ml-stats --threads (N workers). */
#ifndef ML_FANOUT_H
#define ML_FANOUT_H

#include <stddef.h>
#include <stdint.h>

#include "ml_err.h"

/* A block's first line when the reader has not counted it: the line after
 * the last line of the block before (blocks of one file are numbered on
 * from the first, which must be given). */
#define ML_FANOUT_NEXT_LINE 0

/* Called per non-blank line (without its newline or a "\r" before it):
 * 0 to go on, -1 with err to stop (the place is put in front of err). */
typedef int (*ml_fanout_fn)(void *ctx, const char *line, size_t len, struct ml_err *err);

struct ml_fanout;

/* Starts n workers, worker i calling fn with ctxs[i]; NULL when memory or
 * threads are out. */
struct ml_fanout *ml_fanout_start(size_t n, ml_fanout_fn fn, void *const *ctxs);
/* Adds one line of file to the block being filled; a block's lines are
 * numbered from its first line's lineno on, so the places of a worker's
 * errors are exact when every line is given (a reader that skips blank
 * lines gets approximate ones).  0, or -1 when memory is out. */
int ml_fanout_line(struct ml_fanout *f, const char *file, uint64_t lineno, const char *line,
		   size_t len);
/* A buffer of at least min bytes for ml_fanout_block, its size in *cap:
 * one a worker is through with when there is one (a fresh megabyte costs
 * hundreds of page faults), else a new one.  NULL when memory is out. */
char *ml_fanout_buffer(struct ml_fanout *f, size_t min, size_t *cap);
/* Deals a block of whole lines (each ending in '\n') of file, the first
 * numbered first_line or ML_FANOUT_NEXT_LINE; takes data (from
 * ml_fanout_buffer or malloc, cap bytes), which the workers only read.
 * Non-blank lines are added to *records when a worker is through them.
 * 0, or -1 when memory is out. */
int ml_fanout_block(struct ml_fanout *f, char *data, size_t len, size_t cap, const char *file,
		    uint64_t first_line, uint64_t *records);
/* Whether a worker has failed (the reader may stop early). */
int ml_fanout_failed(struct ml_fanout *f);
/* Deals what is left, waits for the workers and stops them: 0, or -1 with
 * the error of the earliest block that failed ("FILE:LINE: why"). */
int ml_fanout_finish(struct ml_fanout *f, struct ml_err *err);
/* Frees f (finishing first when needed). */
void ml_fanout_free(struct ml_fanout *f);

#endif
