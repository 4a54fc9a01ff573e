/* ml-log's parts: the run log read into memory (runlog_read.c), which runs
 * a query looks at (filter.c), the walk from an artifact back through the
 * runs that made it (lineage.c), and the two ways to print: NDJSON edges
 * (edges.c) and the readable table and tree (text.c). */
#ifndef MLLOG_H
#define MLLOG_H

#include <stddef.h>
#include <stdint.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_out.h"
#include "ml_sha256.h"

#define SHA_BYTES 32
#define SHORT_HEX 12		/* hex digits of an id in the tree */

/* An input or an output of a run, as its line names it. */
struct log_io {
	const char *path;	/* NULL: the line has none */
	uint64_t bytes;
	int64_t records;	/* -1: null (not counted) */
	int has_bytes;
	int has_sha;
	unsigned char sha[SHA_BYTES];
};

/* A top-level params value "sha256:<hex>" (ml-validate's schema_sha256):
 * an input the run names by a parameter. */
struct log_param_id {
	const char *name;
	unsigned char sha[SHA_BYTES];
};

/* One line of the log that is a run record.  Strings are NULL when the line
 * lacks them (or has another type there). */
struct log_run {
	const char *line;	/* its bytes, NUL-terminated, without the newline */
	size_t len;
	uint64_t lineno;
	const char *run_id, *tool, *start_text, *pipeline_id;
	int64_t start_ns;	/* "start" as nanoseconds since the epoch */
	int has_start;
	int exit_status;	/* -1: none */
	double seconds;		/* duration_s; negative: none */
	struct log_io *inputs, *outputs;
	uint32_t ninputs, noutputs;
	struct log_param_id *ids;
	uint32_t nids;
};

struct arena;

struct runlog {
	char *name;		/* the file, or "<stdin>", for messages */
	char *text;		/* the file's bytes; each newline became a NUL */
	size_t len;
	struct log_run *runs;
	size_t n, cap;
	uint64_t lines;		/* lines read, run records or not */
	uint64_t bad;		/* lines that are no run record */
	struct arena *arena;
	int nomem;		/* an allocation in the arena failed */
};

/* Told of each line that is no run record: where, and why. */
typedef void (*log_bad_line_fn)(void *ctx, const char *file, uint64_t line, const char *why);

/* runlog_read.c */

/* Reads the log at path ("-": standard input) into log; each line that is
 * no run record goes to bad (and is counted in log->bad).  0, or -1 with
 * err when the file cannot be read. */
int runlog_read(struct runlog *log, const char *path, log_bad_line_fn bad, void *ctx,
		struct ml_err *err);
void runlog_free(struct runlog *log);
/* Appends the JSON text of the run's top-level field key ("null" when it
 * has none), as written in the line; 0 or -1 (memory). */
int runlog_field_json(const struct log_run *r, const char *key, struct ml_buf *out);
/* Appends {"key":value,...} of keys, the values as in the line (null for a
 * missing one); 0 or -1 (memory). */
int runlog_object_json(const struct log_run *r, const char *const *keys, size_t nkeys,
		       struct ml_buf *out);
/* Decodes "sha256:<64 hex>" (either case) in s[0..n) into sha; 0 or -1. */
int sha_parse(const char *s, size_t n, unsigned char sha[SHA_BYTES]);
/* Hex digit i (0 to 63) of sha, lowercase. */
char sha_hex_digit(const unsigned char sha[SHA_BYTES], size_t i);
/* "sha256:" and the first hexlen hex digits of sha, NUL-terminated. */
void sha_format(const unsigned char sha[SHA_BYTES], size_t hexlen, char out[ML_SHA256_ID_SIZE]);

/* filter.c */

enum { STATUS_ANY = -1, STATUS_FAILED = -2 };

struct log_filter {
	char **tools;		/* full names (ml-train) */
	size_t ntools;
	int has_since, has_until;
	int64_t since_ns, until_ns;
	int status;		/* 0, 1, 2, STATUS_FAILED or STATUS_ANY */
	const char *pipeline;
	char run_prefix[33];	/* lowercase hex, "" for any */
	int has_last;
	uint64_t last;
};

/* Parses a time option: an ISO date or date and time (UTC unless it has a
 * zone), or an age (90m, 12h, 7d, also s and w) counted back from now_ns.
 * 0, or -1 when s is neither. */
int time_parse_option(const char *s, int64_t now_ns, int64_t *out);
/* Parses an ISO 8601 instant as the run log writes it
 * (2026-11-26T09:30:00.123Z) in s[0..n); 0 or -1. */
int time_parse_instant(const char *s, size_t n, int64_t *out);
/* Whether run r passes every filter but --last. */
int filter_match(const struct log_filter *f, const struct log_run *r);
/* The indexes of the runs that pass, in log order, only the last --last of
 * them; NULL when memory is out (an empty result is not NULL). */
size_t *filter_select(const struct log_filter *f, const struct runlog *log, size_t *n);

/* lineage.c */

/* Which input of a run: its inputs[index], or its ids[index] (a param). */
struct lin_input {
	int via_param;
	uint32_t index;
};

enum lin_kind { LIN_ROOT, LIN_RUN, LIN_INPUT };

/* A line of the tree, told in the order printed (depth first). */
struct lin_node {
	enum lin_kind kind;
	unsigned level;		/* 0 the artifact, 1 its runs, 2 their inputs, ... */
	int last;		/* the last child of its parent */
	size_t kids;		/* its children, the lines right under it */
	size_t run;		/* LIN_RUN: the run; LIN_INPUT: the run that read it */
	uint32_t out;		/* LIN_RUN: the output that is the parent artifact */
	struct lin_input in;	/* LIN_INPUT */
	int seen;		/* LIN_RUN: told before, LIN_INPUT: on the path
				 * above; not expanded again */
	int source;		/* LIN_ROOT, LIN_INPUT: no run made it */
};

/* Told of each line of the tree; 0 goes on, -1 (err set) stops the walk. */
typedef int (*lin_emit_fn)(void *ctx, const struct lin_node *node, struct ml_err *err);

struct lin_index;

/* Indexes the runs sel[0..n) of log by the hashes they read and write;
 * NULL when memory is out. */
struct lin_index *lin_index_build(const struct runlog *log, const size_t *sel, size_t n);
void lin_index_free(struct lin_index *ix);
/* Finds the one id in the index that starts with the hex digits hex[0..n)
 * (lowercase): 1 found, 0 none, -1 with err when more than one does. */
int lin_index_prefix(const struct lin_index *ix, const char *hex, size_t n,
		     unsigned char sha[SHA_BYTES], struct ml_err *err);
/* Whether any indexed run read or wrote sha. */
int lin_index_has(const struct lin_index *ix, const unsigned char sha[SHA_BYTES]);
/* Walks back from sha, telling emit each line of the tree: the runs that
 * made it (the latest of each tool, newest first; with all, every one,
 * oldest first), their inputs, the runs before them that made those (with
 * all: every run that did), and so on, at most max_depth runs back.  0, or
 * -1 with err (memory, or what emit said). */
int lin_walk(const struct lin_index *ix, const unsigned char sha[SHA_BYTES], int all,
	     unsigned max_depth, lin_emit_fn emit, void *ctx, struct ml_err *err);
/* What the log says of artifact sha: the output of the last run that made
 * it, else the input of the last run that read it; NULL when none (or when
 * that run names it by a param: *param_name). */
const struct log_io *lin_root_io(const struct lin_index *ix, const unsigned char sha[SHA_BYTES],
				 const char **param_name);

/* edges.c: a walk as NDJSON, one line per edge (artifact <- run <- input) */

struct edges {
	const struct runlog *log;
	struct ml_out *out;
	struct ml_buf head, line;	/* head: the part of an edge its run gives */
	size_t head_run;		/* the run node whose part is in head */
	uint32_t head_out;
	unsigned head_level;
	int have_head;
	struct lin_node *run_at;	/* by level: the last run told there */
	size_t cap;
};

/* A lin_emit_fn writing to e->out (e zeroed but for log and out). */
int edges_emit(void *ctx, const struct lin_node *node, struct ml_err *err);
void edges_free(struct edges *e);

/* text.c */

/* Appends the table of the runs sel[0..n); 0 or -1 (memory). */
int runs_text(const struct runlog *log, const size_t *sel, size_t n, struct ml_buf *out);

/* A walk as a tree drawn with box characters. */
struct tree {
	const struct runlog *log;
	const struct lin_index *ix;
	const unsigned char *sha;	/* the artifact asked about */
	const char *root_path;		/* its name on the first line (NULL: the log's) */
	struct ml_out *out;
	struct ml_buf line;
	unsigned char *last_at;		/* by level: the line there was its parent's last */
	size_t cap;
};

/* A lin_emit_fn writing to t->out (t zeroed but for the first five). */
int tree_emit(void *ctx, const struct lin_node *node, struct ml_err *err);
void tree_free(struct tree *t);

#endif
