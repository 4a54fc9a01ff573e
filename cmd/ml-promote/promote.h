/* ml-promote's parts: the options and the dispatch (main.c), the metrics
 * files (metrics.c), the gates (gates.c), bundles and objects (bundle.c),
 * the commands that write (register.c, promote.c, rollback.c) and those
 * that only read (query.c), and the readable output (text.c).  main()
 * parses and checks every option before a command runs; the commands
 * report their own trouble and return the exit status. */
#ifndef PROMOTE_H
#define PROMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "ml_buf.h"
#include "ml_bundle.h"
#include "ml_cli.h"
#include "ml_jq.h"
#include "ml_json.h"
#include "ml_out.h"
#include "ml_rec.h"
#include "ml_registry.h"
#include "ml_sha256.h"

/* Short ids in text output: "sha256:" and this many hex digits. */
#define SHORT_HEX 12

/* --- gates.c: what a candidate must satisfy ---------------------------- */

enum gate_kind { GATE_REQUIRE_CURRENT, GATE_MIN, GATE_MAX, GATE_NO_WORSE, GATE_JQ };

struct gate {
	enum gate_kind kind;
	char *text;		/* as the history shows it: "--min auc=0.8", the jq expression */
	char *metric;		/* min, max, no-worse */
	int higher_better;
	double value;		/* min/max: the bound; no-worse: the tolerance */
	int relative;		/* no-worse: the tolerance is a percentage */
	struct ml_jq *jq;
};

struct gate_result {
	const struct gate *gate;
	int pass;
	struct ml_buf detail;
};

/* The gates of the command line, kept in the order they are evaluated:
 * --require-current, then --min/--max/--no-worse, then --gate, each group
 * in command-line order. */
struct gates {
	struct gate *v;
	size_t n;
	int require_current;
};

/* These parse one option's argument and exit 2 (a usage error) when it
 * is malformed, names an unknown metric, or does not compile. */
void gates_add_jq(struct gates *g, const char *expr);
void gates_add_bound(struct gates *g, enum gate_kind kind, const char *arg);
void gates_add_no_worse(struct gates *g, const char *arg);
/* Puts the gates in evaluation order (after every option is read). */
void gates_finish(struct gates *g);
void gates_free(struct gates *g);
/* The texts of the gates as a JSON array, for the run log. */
int gates_texts_json(const struct gates *g, struct ml_buf *out);

struct metrics;
/* Evaluates every gate (none is skipped when an earlier one fails) on the
 * candidate's metrics and the current model's: current_model NULL when the
 * stage holds none, cur NULL when there are no metrics for it.  res gets
 * g->n results; 0, or -1 with err (memory). */
int gates_eval(const struct gates *g, const struct metrics *cand, const struct metrics *cur,
	       const char *current_model, const char *stage, struct gate_result *res,
	       struct ml_err *err);
/* "jq", "min", "max", "no-worse" or "require-current". */
const char *gate_kind_name(const struct gate *gt);
void gate_results_free(struct gate_result *res, size_t n);

/* --- metrics.c: the overall line of an ml-eval metrics file ------------- */

struct metrics {
	char *name;		/* for messages: the path, "<stdin>", or the object */
	char *path;		/* as given ("-" for standard input); NULL for an object */
	struct ml_buf line;	/* the overall line, without its newline */
	struct ml_rec *rec;	/* indexes line */
	uint64_t bytes;		/* of the whole file */
	char sha256[ML_SHA256_ID_SIZE];	/* of the whole file */
	char *bundle;		/* its "bundle" when a string, else NULL */
};

/* Reads a metrics file ("-": standard input) and checks that its first
 * line is an ml-eval overall line; 0, or -1 with err naming FILE:LINE. */
int metrics_read(struct metrics *m, const char *path, struct ml_err *err);
/* The same checks on a line held elsewhere (a metrics object); where
 * starts the messages. */
int metrics_from_line(struct metrics *m, const char *where, const char *line, size_t len,
		      struct ml_err *err);
/* The same on the metrics object id of the registry. */
int metrics_from_object(struct metrics *m, struct ml_registry *reg, const char *id,
			struct ml_err *err);
void metrics_free(struct metrics *m);
/* Looks a metric up: 1 with *x for a number, 0 for null, -1 when the line
 * has no such key, -2 when it holds something else. */
int metrics_value(const struct metrics *m, const char *metric, double *x);
/* Checks that every metric the gates name is in the candidate's line as a
 * number or null; -1 with err listing the metrics it has. */
int metrics_check_gates(const struct metrics *m, const struct gates *g, struct ml_err *err);
/* Appends the names of the metrics with a direction the line holds, in
 * its order, joined by ", ". */
int metrics_names(const struct metrics *m, struct ml_buf *out);

/* --- bundle.c: bundles given and objects stored ------------------------- */

/* What the manifest tells about a bundle (decoded text, "" when absent). */
struct manifest_info {
	struct ml_buf algo, task, target;
	int has_algo, has_task, has_target;
	struct ml_buf sources;		/* the training data's ids, ", "-joined */
	size_t nsources;
	char training_data[ML_SHA256_ID_SIZE];	/* the one source, else "" */
};

/* A bundle named on the command line, read whole and verified. */
struct bundle_in {
	const char *path;
	struct ml_buf bytes;
	struct ml_bundle *b;
	char id[ML_SHA256_ID_SIZE];
	struct manifest_info info;
};

/* Reads a whole file ("-": standard input) into out and its "sha256:" id
 * into id; 0, or -1 with err. */
int read_whole(const char *path, struct ml_buf *out, char id[ML_SHA256_ID_SIZE], struct ml_err *err);
int bundle_load(struct bundle_in *bi, const char *path, struct ml_err *err);
void bundle_in_free(struct bundle_in *bi);
/* Reads a manifest's fields; 0, or -1 (memory). */
int manifest_read(const char *json, size_t len, struct manifest_info *mi);
void manifest_info_free(struct manifest_info *mi);
/* Appends a decoded text as a JSON string, or null when absent. */
int json_string_or_null(struct ml_buf *out, int has, const struct ml_buf *text);
/* A top-level string field of r, decoded into out (NUL-terminated); 1
 * when there is one, 0 when it is absent or no string (or memory is out). */
int string_field(const struct ml_rec *r, const char *key, struct ml_buf *out);

/* The elements of a JSON array, one by one, from the text of the array
 * (as scanned: it starts with '[' and ends with ']'). */
struct json_elems {
	const char *p, *end;
};
void json_elems_start(struct json_elems *it, const char *raw, size_t n);
/* The next element: 1 with its text v[0..n) and its type; 0 after the
 * last (or at one that does not scan). */
int json_elems_next(struct json_elems *it, const char **v, size_t *n, enum ml_json_type *type);

/* Whether object id, at path, is a bundle: 0, or -1 with err saying it is
 * not. */
int object_is_bundle(struct ml_registry *reg, const char *id, const char *path, struct ml_err *err);
/* Opens object id as a bundle after checking its bytes; *path gets its
 * absolute path (malloc'd).  NULL with err (corrupt, missing, not a bundle). */
struct ml_bundle *object_bundle(struct ml_registry *reg, const char *id, char **path,
				struct ml_err *err);
/* Whether arg is written as an id (starts with "sha256:"). */
int looks_like_id(const char *arg);

/* --- main.c: what every command is given -------------------------------- */

struct promote {
	struct ml_cli *cli;
	const char *dir;		/* the registry directory chosen */
	const char *to;			/* --to */
	const char *metrics_path, *current_metrics_path;
	const char *reason;
	int dry_run, text;
	struct gates gates;
	struct ml_out *out;		/* standard output */
	struct ml_registry *reg;	/* NULL until opened, and for a dry run on none */
	const char *decision;		/* promote: "promoted", "rejected", "unchanged" */
	char **args;			/* the command's arguments */
	size_t nargs;
};

/* Opens p->reg: creating the directory when create is set; a missing
 * registry leaves p->reg NULL and returns 0 when missing_ok is set.  0, or
 * -1 with err. */
int open_registry(struct promote *p, int create, int missing_ok, struct ml_err *err);
/* Says what went wrong (nothing for a closed pipe) and returns 2. */
int trouble(struct promote *p, const struct ml_err *err);
/* Records an input or output in the run log (when the run is logged). */
void log_input(struct promote *p, const char *path, uint64_t bytes, int64_t records,
	       const char *sha256);
void log_output(struct promote *p, const char *path, uint64_t bytes, int64_t records,
		const char *sha256);

/* --- register.c: the history helpers the writing commands share --------- */

/* The event just committed, as the history holds it, and a newline. */
int last_event(struct ml_registry *reg, struct ml_buf *line, struct ml_err *err);
/* Ends an event whose keys are written: for a dry run, line gets it
 * marked "dry_run":true and a newline (what is printed instead of the
 * event committed); else ev gets its closing brace, ready to commit.  0,
 * or -1 with err (memory). */
int event_end(struct ml_buf *ev, int dry_run, struct ml_buf *line, struct ml_err *err);
/* Stores a bundle's bytes as object id (under the lock) and appends its
 * register event when the history holds none; *registered: the registry
 * did not have it before.  0, or -1 with err. */
int store_bundle(struct ml_registry *reg, const struct bundle_in *bi, char id[ML_SHA256_ID_SIZE],
		 int *registered, struct ml_err *err);

/* --- the commands (register.c, promote.c, rollback.c, query.c); each
 * returns the exit status ------------------------------------------------- */
int cmd_register(struct promote *p);
int cmd_promote(struct promote *p);
int cmd_rollback(struct promote *p);
int cmd_list(struct promote *p);
int cmd_show(struct promote *p);
int cmd_history(struct promote *p);
int cmd_path(struct promote *p);
int cmd_verify(struct promote *p);

/* --- text.c: output for people ------------------------------------------ */

/* "sha256:" and the first 12 hex digits, or "empty" for "" / NULL. */
const char *short_id(const char *id, char buf[ML_SHA256_ID_SIZE]);
/* "2026-11-26T09:20:31Z" from "2026-11-26T09:20:31.123Z". */
void short_time(const char *iso, char out[32]);

/* Rows of cells, printed as aligned columns two spaces apart. */
struct table {
	size_t ncols, nrows;
	char **cells;
};
int table_row(struct table *t, const char *const *cells);
int table_write(const struct table *t, struct ml_buf *out);
void table_free(struct table *t);

/* The verdict of a promote and its gates, as lines. */
int text_decision(struct ml_buf *out, const char *verdict_line, const struct gate_result *res,
		  size_t n);

#endif
