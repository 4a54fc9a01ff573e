/* ml_each: the record loop every NDJSON filter is built on.  It reads each
 * input in turn ("-" is standard input; none means "-"), indexes each line
 * as a record and calls back once per record, so a filter is mostly its
 * per-record logic.  Blank lines are skipped, as jq skips them.  Each input
 * is logged in the run log with its bytes, records and SHA-256. */
#ifndef ML_EACH_H
#define ML_EACH_H

#include <stddef.h>
#include <stdint.h>

#include "ml_err.h"
#include "ml_rec.h"
#include "ml_runlog.h"

/* Where a record came from, for messages: "FILE:LINE". */
struct ml_place {
	const char *file;	/* a name for messages ("<stdin>" for -) */
	uint64_t line;
};

/* Called per record: 0 to go on, 1 to stop quietly, -1 with err to fail. */
typedef int (*ml_each_record_fn)(void *ctx, const struct ml_rec *r, const char *line,
				 size_t len, const struct ml_place *at, struct ml_err *err);
/* Called per malformed line (when set): same returns; why is the reason. */
typedef int (*ml_each_malformed_fn)(void *ctx, const char *line, size_t len,
				    const struct ml_place *at, const char *why,
				    struct ml_err *err);

/* Called (when set) for an input that cannot be opened, or fails on its
 * first read (a directory, EACCES, EIO): err says why, naming the file.  0
 * to go on with the next input, -1 to stop with err.  The input is not in
 * the run log, as nothing of it was read. */
typedef int (*ml_each_input_failed_fn)(void *ctx, const char *path, struct ml_err *err);

/* Called after each input is read: its path ("-" for stdin), bytes, records
 * and "sha256:" (NULL when not hashed). */
typedef int (*ml_each_input_fn)(void *ctx, const char *path, uint64_t bytes,
				uint64_t records, const char *sha256, struct ml_err *err);

struct ml_each {
	ml_each_record_fn record;
	ml_each_input_fn input_done;	/* NULL: nothing to do */
	int hash;			/* hash inputs even when the run is not logged */
	ml_each_malformed_fn malformed;	/* NULL: a malformed line is an error */
	ml_each_input_failed_fn input_failed;	/* NULL: an input that cannot be
						 * opened is an error */
	void *ctx;
	struct ml_run *run;		/* NULL: inputs are not logged */
	uint64_t records;		/* counted by the loop */
	uint64_t malformed_lines;
	uint64_t failed_inputs;		/* passed to input_failed */
};

/* Runs the loop over paths[0..n); 0 when all was read (or the callback
 * stopped), -1 with err ("FILE:LINE: why" for malformed input).  0 does not
 * mean every input was read: see failed_inputs. */
int ml_each_record(struct ml_each *e, char *const *paths, size_t n, struct ml_err *err);

#endif
