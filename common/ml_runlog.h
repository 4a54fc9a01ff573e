/* ml_runlog: one NDJSON line per invocation, for lineage.
 *
 * The log is opened when the run begins (so a log that cannot be written
 * stops the tool before it does anything) and the line is appended when it
 * ends, in one write(2) under flock(2): concurrent stages of a pipe never
 * interleave.  Where the log lives: --run-log FILE, else ML_RUN_LOG, else
 * $ML_HOME/runs.ndjson, else .ml/runs.ndjson; "off" (or --no-run-log)
 * turns it off. */
#ifndef ML_RUNLOG_H
#define ML_RUNLOG_H

#include <stdint.h>

#include "ml_err.h"

struct ml_run;

/* Where the run log goes: path NULL means "by the environment". */
struct ml_run_opts {
	const char *path;
	int disabled;
};

/* Where the log goes when no option says, by the environment: $ML_RUN_LOG,
 * else $ML_HOME/runs.ndjson, else .ml/runs.ndjson (malloc'd).  NULL when
 * ML_RUN_LOG turns logging off ("off", "0", "no", "false": *off is 1) or
 * when memory is out (*off is 0).  For a program that reads the log. */
char *ml_run_default_path(int *off);
/* Starts a run of tool; opens (creating) the log.  NULL with err when the
 * log cannot be opened. */
struct ml_run *ml_run_begin(const char *tool, int argc, char **argv,
			    const struct ml_run_opts *opts, struct ml_err *err);
/* The log file's path, or NULL when logging is off. */
const char *ml_run_log_path(const struct ml_run *run);
/* Records an input or output: path ("-" for a pipe), bytes, records
 * (negative: not counted), and its "sha256:" id (NULL: unknown). */
void ml_run_input(struct ml_run *run, const char *path, uint64_t bytes,
		  int64_t records, const char *sha256);
void ml_run_output(struct ml_run *run, const char *path, uint64_t bytes,
		   int64_t records, const char *sha256);
/* Records a parameter as a string, or as raw JSON text. */
void ml_run_param(struct ml_run *run, const char *key, const char *value);
void ml_run_param_json(struct ml_run *run, const char *key, const char *json);
/* Sets a counter (records read, written, rejected, ...). */
void ml_run_counter(struct ml_run *run, const char *key, uint64_t value);
/* Appends the run's line with its exit status and frees the run; 0, or -1
 * with err when the line could not be written. */
int ml_run_end(struct ml_run *run, int exit_status, struct ml_err *err);

#endif
