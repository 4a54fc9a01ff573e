/* ml_cli: what every mlpipe program shares at its edge: the common options,
 * the message form "ml-TOOL: FILE:LINE: what is wrong", exit statuses, quiet
 * stop on a closed pipe, and the run log's begin and end.  This is the one
 * module that prints and exits: it exists for main(). */
#ifndef ML_CLI_H
#define ML_CLI_H

#include <getopt.h>

#include "ml_err.h"
#include "ml_out.h"
#include "ml_runlog.h"

#define ML_EXIT_OK 0		/* success, or the check passed */
#define ML_EXIT_FAIL 1		/* the check the tool exists for failed */
#define ML_EXIT_TROUBLE 2	/* bad usage, bad input, I/O error */

enum {
	ML_OPT_VERSION = 0x100,
	ML_OPT_RUN_LOG,
	ML_OPT_NO_RUN_LOG,
	ML_OPT_PROGRESS,
	ML_OPT_PROGRAM = 0x200,	/* programs number their own long options from here */
};

/* The long options every program takes, to put first in its table. */
#define ML_CLI_COMMON_OPTIONS \
	{"help", no_argument, NULL, 'h'}, \
	{"version", no_argument, NULL, ML_OPT_VERSION}, \
	{"verbose", no_argument, NULL, 'v'}, \
	{"run-log", required_argument, NULL, ML_OPT_RUN_LOG}, \
	{"no-run-log", no_argument, NULL, ML_OPT_NO_RUN_LOG}, \
	{"progress", no_argument, NULL, ML_OPT_PROGRESS}

/* Stands in a program's --help text for the lines of the common options
 * after its own -v line (whose wording is the program's): --help prints
 * them there, aligned with that line's description. */
#define ML_CLI_COMMON_HELP "\001common\n"

/* The short options every program takes, to put first in its optstring
 * (the leading ':' makes a missing argument distinguishable). */
#define ML_CLI_COMMON_SHORT ":hv"

struct ml_cli {
	const char *prog;
	const char *usage;	/* the --help text */
	int argc;
	char **argv;
	int verbose;
	struct ml_run_opts run_opts;
	struct ml_run *run;
	int progress;		/* 1 --progress, 0 only on a terminal after a while */
	int progress_shown;	/* a progress line is on the terminal */
	uint64_t progress_next;	/* records count at which to look at the clock again */
	uint64_t progress_count;	/* the last count given */
	double progress_start, progress_last;
};

/* Sets the program name for messages, ignores SIGPIPE (a closed reader
 * becomes EPIPE, a quiet stop), and removes temporary outputs on SIGINT,
 * SIGTERM and SIGHUP. */
void ml_cli_init(struct ml_cli *cli, const char *prog, const char *usage,
		 int argc, char **argv);
/* Handles a common option (help and version exit 0, an unknown option exits
 * 2 with a hint); 1 when handled, 0 when opt is the program's own. */
int ml_cli_common_option(struct ml_cli *cli, int opt, const char *arg);
/* Opens the run log; on failure prints why and exits 2. */
void ml_cli_start_run(struct ml_cli *cli);
/* Opens an output (ml_out_open) that is hashed only when the run is logged. */
struct ml_out *ml_cli_out_open(struct ml_cli *cli, const char *path, struct ml_err *err);
/* Exits with a usage error when two of n outputs would write the same
 * place (ml_out_same_place): what[i] names output i as the user gave it
 * ("-o", "--reject"; "the output" for standard output by default), path[i]
 * is its path ("-": standard output), NULL when it is not written. */
void ml_cli_distinct_outputs(size_t n, const char *const *what, const char *const *path);
/* Prints "prog: msg" for err and returns the exit status it calls for: 0
 * for a closed pipe (printing nothing), else 2. */
int ml_cli_report(struct ml_cli *cli, const struct ml_err *err);
/* Writes the run log line and returns the status to exit with (2 when the
 * log could not be written). */
int ml_cli_finish(struct ml_cli *cli, int status);

/* Progress on stderr ("prog: N records"), at most twice a second: with
 * --progress, or when stderr is a terminal and the work has taken more than
 * two seconds.  Cheap enough to call per record. */
void ml_cli_progress_at(struct ml_cli *cli, uint64_t records);
static inline void ml_cli_progress(struct ml_cli *cli, uint64_t records)
{
	cli->progress_count = records;
	if (records >= cli->progress_next)
		ml_cli_progress_at(cli, records);
}

/* "prog: message" on stderr. */
void ml_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: message" and "Try 'prog --help'." on stderr, then exit 2. */
_Noreturn void ml_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* -f, --output-format for a program that writes NDJSON or a text table:
 * arg when it is "ndjson" or "text", else a usage error (exit 2). */
const char *ml_cli_output_format(const char *arg);
/* Whether to write text: as asked with -f, else when standard output (no
 * output file) is a terminal. */
int ml_cli_wants_text(const char *format, const char *output);

/* Appends the comma-separated items of s (an option's list) to *v, *n;
 * exits 2 when memory is out. */
void ml_cli_split_list(const char *s, char ***v, size_t *n);
/* Frees a list made by ml_cli_split_list. */
void ml_cli_free_list(char **v, size_t n);
/* For ml_each's input_failed: names the input that cannot be read (err's
 * message) and goes on with the others, so one run names every bad input;
 * the program exits 2 at the end (ml_each counts them). */
int ml_cli_input_failed(void *ctx, const char *path, struct ml_err *err);
/* After inputs that could not be read: standard output keeps what the
 * others gave, flushed and logged; a file is left as it was (aborted).
 * NULL is fine. */
void ml_cli_keep_stdout(struct ml_cli *cli, struct ml_out *o);
/* Commits an output and records it in the run log; 0, or -1 with err. */
int ml_cli_commit(struct ml_cli *cli, struct ml_out *o, struct ml_err *err);

/* Parses a non-negative decimal integer option; exits 2 when it is not one. */
unsigned long long ml_cli_parse_count(const char *opt, const char *arg);
/* Parses a finite number option; exits 2 when it is not one. */
double ml_cli_parse_number(const char *opt, const char *arg);

#endif
