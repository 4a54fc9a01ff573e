/* ml_worker: one background thread that takes one job at a time, so a
 * stream can hash (or hash and write) one buffer while its caller fills the
 * next.  The caller owns the buffers and must not touch a posted one until
 * ml_worker_wait (or the next post) has returned. */
#ifndef ML_WORKER_H
#define ML_WORKER_H

#include <stddef.h>

struct ml_worker;

/* What the thread does with each buffer: 0, or an errno that stops all
 * later jobs (they are skipped; the errno is kept). */
typedef int (*ml_worker_fn)(void *ctx, const char *p, size_t n);

/* Starts a worker; NULL when no thread can be had (then do the work inline). */
struct ml_worker *ml_worker_start(ml_worker_fn fn, void *ctx);
/* Waits for the job in hand, then hands over p[0..n); returns the errno of
 * an earlier job, or 0. */
int ml_worker_post(struct ml_worker *w, const char *p, size_t n);
/* Waits until the job in hand is done; returns the first errno, or 0. */
int ml_worker_wait(struct ml_worker *w);
/* Waits, stops and frees the worker; returns the first errno, or 0. */
int ml_worker_stop(struct ml_worker *w);

/* Below this many rows, work over rows stays on one thread: a second one
 * costs more than it saves. */
enum { ML_WORKER_PARALLEL_ROWS = 1 << 15 };

/* fn(a) on a thread of its own while fn(b) runs on this one; both here,
 * one after the other, when not parallel or when no thread can be had. */
void ml_worker_two(void *(*fn)(void *), void *a, void *b, int parallel);

#endif
