/* ml-log: what ran, and what an artifact was made from, by the run log. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mllog.h"
#include "ml_cli.h"
#include "ml_out.h"
#include "ml_runlog.h"

static const char usage[] =
"Usage: ml-log [OPTION]... runs\n"
"  or:  ml-log [OPTION]... lineage ARTIFACT\n"
"Read the run log every mlpipe program appends to: list the runs, or walk\n"
"back from an artifact (a file, or its sha256:ID) through the runs that\n"
"made it, matching each run's inputs to earlier runs' outputs by hash,\n"
"to the raw sources.\n"
"\n"
"      --tool NAME         runs of NAME (ml-train, or train); repeatable\n"
"      --since TIME        runs started at or after TIME: 2026-11-26,\n"
"                          2026-11-26T09:30[:SS][Z], or 90m, 12h, 7d ago\n"
"      --until TIME        runs started before TIME\n"
"      --status S          exit status 0, 1 or 2, or ok (0) or failed (not 0)\n"
"      --pipeline ID       runs with ML_PIPELINE_ID=ID\n"
"      --run ID            the run with this run_id (8+ leading hex digits)\n"
"      --last N            only the last N of the runs that match\n"
"      --depth N           lineage: at most N runs back (default: all)\n"
"      --all               lineage: every run that made an artifact, not\n"
"                          just the latest one per program\n"
"  -f, --output-format F   ndjson (default unless a terminal) or text\n"
"  -o, --output FILE       write to FILE, replaced only when all went well\n"
"Common:\n"
"  -v, --verbose           report counts on stderr\n"
/* not ML_CLI_COMMON_HELP: here --run-log names the log to read, and ml-log
 * appends no line of its own */
"      --run-log FILE      read this run log (default $ML_RUN_LOG, else\n"
"                          $ML_HOME/runs.ndjson, else .ml/runs.ndjson)\n"
"      --no-run-log        refused: there would be no log to read\n"
"      --progress          accepted for uniformity; ml-log reports none\n"
"  -h, --help              show this help and exit\n"
"      --version           show the version and exit\n"
"ml-log never appends to the run log itself.\n"
"\n"
"Exit status: 0 runs found, 1 no run matched (runs) or the artifact is not\n"
"in the log (lineage), 2 trouble.\n";

enum {
	OPT_TOOL = ML_OPT_PROGRAM, OPT_SINCE, OPT_UNTIL, OPT_STATUS, OPT_PIPELINE, OPT_RUN,
	OPT_LAST, OPT_DEPTH, OPT_ALL,
};

static void on_bad_line(void *ctx, const char *file, uint64_t line, const char *why)
{
	(void)ctx;
	ml_warn("%s:%llu: not a run log record (%s)", file, (unsigned long long)line, why);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void add_tool(struct log_filter *f, const char *name)
{
	char **v = realloc(f->tools, (f->ntools + 1) * sizeof *v);
	size_t n = strlen(name);

	if (!v)
		ml_usage_error("out of memory");
	f->tools = v;
	if (!n)
		ml_usage_error("--tool: give a program name, such as ml-train or train");
	/* train means ml-train: every program's name starts so */
	if (!(v[f->ntools] = malloc(n + 4)))
		ml_usage_error("out of memory");
	snprintf(v[f->ntools], n + 4, "%s%s", strncmp(name, "ml-", 3) == 0 ? "" : "ml-", name);
	f->ntools++;
}

static int64_t time_option(const char *opt, const char *arg)
{
	int64_t t;

	if (time_parse_option(arg, now_ns(), &t) < 0)
		ml_usage_error("%s: '%s' is not a time (2026-11-26, 2026-11-26T09:30[:SS][Z], "
			       "or an age such as 90m, 12h, 7d)", opt, arg);
	return t;
}

static int parse_status(const char *arg)
{
	if (!strcmp(arg, "ok") || !strcmp(arg, "0"))
		return 0;
	if (!strcmp(arg, "1") || !strcmp(arg, "2"))
		return arg[0] - '0';
	if (!strcmp(arg, "failed"))
		return STATUS_FAILED;
	ml_usage_error("--status: '%s' is not 0, 1, 2, ok or failed", arg);
}

static void run_prefix(struct log_filter *f, const char *arg)
{
	size_t n = strlen(arg);

	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)arg[i]))
			ml_usage_error("--run: '%s' is not a run id (hex digits)", arg);
	if (n < 8 || n > 32)
		ml_usage_error("--run: '%s': give 8 to 32 leading hex digits of a run_id", arg);
	for (size_t i = 0; i <= n; i++)
		f->run_prefix[i] = (char)tolower((unsigned char)arg[i]);
}

/* The log to read: --run-log FILE, else where the programs would write. */
static char *log_path(const struct ml_cli *cli)
{
	int off;
	char *path;

	if (cli->run_opts.path)
		path = strdup(cli->run_opts.path);
	else if (cli->run_opts.disabled)
		ml_usage_error("the run log is off; name the log to read with --run-log FILE");
	else if (!(path = ml_run_default_path(&off)) && off)
		ml_usage_error("the run log is off; name the log to read with --run-log FILE");
	if (!path)
		ml_usage_error("out of memory");
	return path;
}

/* ARTIFACT as an id: sha256:ID, a unique prefix of one, or a file's hash.
 * 1 found, 0 not in the log (*missing names it), -1 with err. */
static int resolve(const char *arg, const struct lin_index *ix, unsigned char sha[SHA_BYTES],
		   const char **root_path, char missing[ML_SHA256_ID_SIZE], struct ml_err *err)
{
	const char *hex = arg;
	struct stat st;
	char id[ML_SHA256_ID_SIZE];
	size_t n;

	*root_path = NULL;
	if (strncmp(arg, "sha256:", 7) == 0)
		hex = arg + 7;
	else if (stat(arg, &st) == 0 || strspn(arg, "0123456789abcdefABCDEF") != strlen(arg) ||
		 strlen(arg) < 8) {
		/* a file: its bytes name it */
		if (ml_sha256_file(arg, id, err) < 0)
			return -1;
		sha_parse(id, strlen(id), sha);
		*root_path = arg;
		strcpy(missing, id);
		return lin_index_has(ix, sha);
	}
	n = strlen(hex);
	if (n < 8 || n > 2 * SHA_BYTES || strspn(hex, "0123456789abcdefABCDEF") != n)
		return ml_err_set(err, ML_ERR_USAGE, "'%s' is not an artifact id: give sha256: and 8 "
				  "to 64 hex digits, or a file", arg);
	char lower[2 * SHA_BYTES + 1];
	for (size_t i = 0; i <= n; i++)
		lower[i] = (char)tolower((unsigned char)hex[i]);
	snprintf(missing, ML_SHA256_ID_SIZE, "sha256:%s", lower);
	return lin_index_prefix(ix, lower, n, sha, err);
}

struct query {
	struct ml_cli *cli;
	struct runlog log;
	size_t *sel, nsel;
	int text;
};

static int query_runs(struct query *q, struct ml_out *out, struct ml_buf *buf, struct ml_err *err)
{
	if (q->text) {
		if (q->nsel && runs_text(&q->log, q->sel, q->nsel, buf) < 0)
			return ml_err_sys(err, ENOMEM, "cannot list the runs");
		ml_out_write(out, buf->data, buf->len);
	} else {
		for (size_t i = 0; i < q->nsel; i++) {
			const struct log_run *r = &q->log.runs[q->sel[i]];
			/* byte for byte as logged; stop early for a reader gone */
			if (ml_out_write(out, r->line, r->len) < 0 || ml_out_end_record(out) < 0)
				break;
		}
	}
	return q->nsel ? ML_EXIT_OK : ML_EXIT_FAIL;
}

/* An emitter that counts the lines of the tree on their way (for -v). */
struct counted {
	lin_emit_fn emit;
	void *ctx;
	size_t lines;
};

static int count_emit(void *ctx, const struct lin_node *node, struct ml_err *err)
{
	struct counted *c = ctx;

	c->lines++;
	return c->emit(c->ctx, node, err);
}

static int query_lineage(struct query *q, const char *artifact, int all, unsigned depth,
			 struct ml_out *out, struct ml_err *err)
{
	struct lin_index *ix = lin_index_build(&q->log, q->sel, q->nsel);
	unsigned char sha[SHA_BYTES];
	char missing[ML_SHA256_ID_SIZE];
	const char *root_path;
	int found, rc = -1;

	if (!ix)
		return ml_err_sys(err, ENOMEM, "cannot index the run log");
	if ((found = resolve(artifact, ix, sha, &root_path, missing, err)) < 0)
		goto out;
	if (!found) {
		ml_warn("%s is not in the run log", missing);
		rc = ML_EXIT_FAIL;
		goto out;
	}
	struct tree t = {.log = &q->log, .ix = ix, .sha = sha, .root_path = root_path, .out = out};
	struct edges e = {.log = &q->log, .out = out};
	struct counted c = {.emit = q->text ? tree_emit : edges_emit, .ctx = q->text ? (void *)&t : (void *)&e};
	rc = lin_walk(ix, sha, all, depth, count_emit, &c, err);
	tree_free(&t);
	edges_free(&e);
	if (rc == 0) {
		rc = ML_EXIT_OK;
		if (q->cli->verbose)
			ml_warn("%zu lines in the tree", c.lines);
	}
out:
	lin_index_free(ix);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ML_CLI_COMMON_OPTIONS,
		{"output", required_argument, NULL, 'o'},
		{"output-format", required_argument, NULL, 'f'},
		{"tool", required_argument, NULL, OPT_TOOL},
		{"since", required_argument, NULL, OPT_SINCE},
		{"until", required_argument, NULL, OPT_UNTIL},
		{"status", required_argument, NULL, OPT_STATUS},
		{"pipeline", required_argument, NULL, OPT_PIPELINE},
		{"run", required_argument, NULL, OPT_RUN},
		{"last", required_argument, NULL, OPT_LAST},
		{"depth", required_argument, NULL, OPT_DEPTH},
		{"all", no_argument, NULL, OPT_ALL},
		{NULL, 0, NULL, 0},
	};
	struct ml_cli cli;
	struct query q = {.cli = &cli};
	struct log_filter filter = {.status = STATUS_ANY};
	struct ml_err err;
	struct ml_out *out = NULL;
	struct ml_buf buf = {0};
	const char *output = NULL, *format = NULL, *depth_opt = NULL;
	unsigned depth = (unsigned)-1;
	int opt, all = 0, status;

	ml_cli_init(&cli, "ml-log", usage, argc, argv);
	while ((opt = getopt_long(argc, argv, ML_CLI_COMMON_SHORT "o:f:", longopts, NULL)) != -1) {
		if (ml_cli_common_option(&cli, opt, optarg))
			continue;
		switch (opt) {
		case 'o': output = optarg; break;
		case 'f': format = ml_cli_output_format(optarg); break;
		case OPT_TOOL: add_tool(&filter, optarg); break;
		case OPT_SINCE:
			filter.since_ns = time_option("--since", optarg);
			filter.has_since = 1;
			break;
		case OPT_UNTIL:
			filter.until_ns = time_option("--until", optarg);
			filter.has_until = 1;
			break;
		case OPT_STATUS: filter.status = parse_status(optarg); break;
		case OPT_PIPELINE: filter.pipeline = optarg; break;
		case OPT_RUN: run_prefix(&filter, optarg); break;
		case OPT_LAST:
			filter.last = ml_cli_parse_count("--last", optarg);
			filter.has_last = 1;
			break;
		case OPT_DEPTH: {
			unsigned long long d = ml_cli_parse_count("--depth", optarg);
			depth = d > 1000000000 ? 1000000000 : (unsigned)d;
			depth_opt = "--depth";
			break;
		}
		case OPT_ALL: all = 1; break;
		default:
			ml_usage_error("unrecognized option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		ml_usage_error("no command: give runs, or lineage ARTIFACT");
	const char *command = argv[optind++];
	const char *artifact = NULL;
	if (!strcmp(command, "lineage")) {
		if (optind == argc)
			ml_usage_error("lineage: no ARTIFACT (a file, or its sha256:ID)");
		artifact = argv[optind++];
	} else if (strcmp(command, "runs")) {
		ml_usage_error("unknown command '%s' (runs, or lineage ARTIFACT)", command);
	} else if (depth_opt || all) {
		ml_usage_error("%s is for lineage, not runs", depth_opt ? depth_opt : "--all");
	}
	if (optind < argc)
		ml_usage_error("extra operand '%s'", argv[optind]);
	q.text = ml_cli_wants_text(format, output);

	/* a query writes no run log line: it would grow the log it reads */
	char *path = log_path(&cli);
	if (runlog_read(&q.log, path, on_bad_line, NULL, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto done;
	}
	if (!(q.sel = filter_select(&filter, &q.log, &q.nsel))) {
		ml_warn("out of memory");
		status = ML_EXIT_TROUBLE;
		goto done;
	}
	if (cli.verbose)
		ml_warn("%s: %llu lines, %zu runs, %zu match", q.log.name, (unsigned long long)q.log.lines,
			q.log.n, q.nsel);
	if (!(out = ml_out_open(output, &err))) {
		status = ml_cli_report(&cli, &err);
		goto done;
	}
	ml_out_no_hash(out);
	/* the exit status, or -1 with err */
	status = artifact ? query_lineage(&q, artifact, all, depth, out, &err)
			  : query_runs(&q, out, &buf, &err);
	if (status >= 0 && q.log.bad) {
		/* a line that is no run record leaves the answer incomplete:
		 * -o keeps the file it would have replaced */
		status = !output && ml_out_commit(out, &err) < 0 ? -1 : ML_EXIT_TROUBLE;
	} else if (status >= 0 && ml_out_commit(out, &err) < 0) {
		status = -1;
	}
	if (status < 0) {
		/* a reader gone is a quiet stop; trouble already told stays */
		status = ml_cli_report(&cli, &err);
		if (q.log.bad)
			status = ML_EXIT_TROUBLE;
	}
done:
	ml_out_free(out);
	ml_buf_free(&buf);
	free(q.sel);
	runlog_free(&q.log);
	free(path);
	ml_cli_free_list(filter.tools, filter.ntools);
	return status;
}
