/* ml-stats: a profile of NDJSON records, or the merge of profiles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ml_cli.h"
#include "ml_each.h"
#include "ml_in.h"
#include "ml_json.h"
#include "ml_out.h"
#include "ml_profile.h"
#include "parallel.h"
#include "text.h"

static const char usage[] =
"Usage: ml-stats [OPTION]... [FILE]...\n"
"Profile NDJSON records in one pass: per column the JSON types seen, missing\n"
"values, and for numbers count, mean, standard deviation, min, max, sum,\n"
"zeros, negatives, quantiles (p1 p5 p25 p50 p75 p95 p99) and a histogram;\n"
"for strings distinct values and the most frequent ones; for booleans true\n"
"and false counts.  Memory per column is bounded, whatever the input size.\n"
"With no FILE, or when FILE is -, read standard input.\n"
"\n"
"      --merge             the inputs are profiles (of shards): merge them\n"
"                          into one, as one pass over all the data would give\n"
"      --columns LIST      profile only these comma-separated columns\n"
"      --exclude LIST      leave out these comma-separated columns\n"
"      --top K             most frequent string values listed (default 10,\n"
"                          at most 10000)\n"
"      --bins N            histogram bins per numeric column (default 20,\n"
"                          at most 10000)\n"
"      --threads N         profile with N threads, each a share of the\n"
"                          records, merged at the end (default 1)\n"
"  -f, --output-format F   ndjson (the profile) or text (a table); default:\n"
"                          text when standard output is a terminal\n"
"  -o, --output FILE       write to FILE, replaced only when all went well\n"
"Common:\n"
"  -v, --verbose           report counts on stderr\n"
ML_CLI_COMMON_HELP
"\n"
"Exit status: 0 success, 2 trouble (bad usage, malformed input, I/O error).\n"
"Examples:\n"
"  ml-stats data.ndjson > data.profile\n"
"  parallel ml-stats ::: shards/* | ml-stats --merge > all.profile\n"
"  ml-stats -f text < data.ndjson\n";

enum { OPT_MERGE = ML_OPT_PROGRAM, OPT_COLUMNS, OPT_EXCLUDE, OPT_TOP, OPT_BINS, OPT_THREADS };

struct stats {
	struct ml_cli *cli;
	struct ml_profile *p;
	struct ml_profile_reader *rd;
	struct ml_profile_opts opts;
	uint64_t profiles;
};

static int on_record(void *ctx, const struct ml_rec *r, const char *line, size_t len,
		     const struct ml_place *at, struct ml_err *err)
{
	struct stats *st = ctx;

	(void)line;
	(void)len;
	ml_cli_progress(st->cli, ml_profile_records(st->p) + 1);
	if (ml_profile_add(st->p, r, err) < 0)
		return ml_err_prefix(err, "%s:%llu", at->file, (unsigned long long)at->line);
	return 0;
}

static int on_input(void *ctx, const char *path, uint64_t bytes, uint64_t records,
		    const char *sha256, struct ml_err *err)
{
	struct stats *st = ctx;

	(void)path;
	(void)records;
	if (ml_profile_add_source(st->p, bytes, sha256) < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	return 0;
}

/* Columns profiled (those the options leave out are seen, not counted). */
static size_t profiled_columns(const struct ml_profile *p)
{
	size_t n = 0;

	for (size_t i = 0; i < ml_profile_ncolumns(p); i++)
		n += !ml_profile_column(p, i)->skip;
	return n;
}

/* The options that shape the profile, for the run log's params. */
static void log_params(struct ml_run *run, const struct ml_profile_opts *o, int merge,
		       const char *format)
{
	struct ml_buf b = {0};

	ml_run_param_json(run, "merge", merge ? "true" : "false");
	ml_run_param(run, "output_format", format);
	ml_buf_printf(&b, "%zu", o->top ? o->top : 10);
	ml_buf_terminate(&b);
	ml_run_param_json(run, "top", b.data);
	ml_buf_reset(&b);
	ml_buf_printf(&b, "%zu", o->bins ? o->bins : 20);
	ml_buf_terminate(&b);
	ml_run_param_json(run, "bins", b.data);
	for (int list = 0; list < 2; list++) {
		char **v = list ? o->exclude : o->columns;
		size_t n = list ? o->nexclude : o->ncolumns;
		if (!n)
			continue;
		ml_buf_reset(&b);
		ml_buf_addc(&b, '[');
		for (size_t i = 0; i < n; i++) {
			if (i)
				ml_buf_addc(&b, ',');
			ml_json_quote(&b, v[i], strlen(v[i]));
		}
		ml_buf_addc(&b, ']');
		ml_buf_terminate(&b);
		ml_run_param_json(run, list ? "exclude" : "columns", b.data);
	}
	ml_buf_free(&b);
}

/* Reads every profile in one input and merges it into st->p; 0, -1 with
 * err, or 1 with err when none of it could be read (not opened, or the
 * first read failed), so the caller can name it and go on. */
static int merge_input(struct stats *st, const char *path, struct ml_run *run, struct ml_err *err)
{
	struct ml_in *in = ml_in_open(path, err);
	struct ml_lines *lines;
	const char *line;
	size_t len;
	int got, rc = 0;

	if (!in)
		return 1;
	if (!ml_run_log_path(run))
		ml_in_no_hash(in);
	if (!(lines = ml_lines_of(in))) {
		ml_in_close(in);
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	uint64_t before = st->profiles;
	while ((got = ml_lines_next(lines, &line, &len, err)) > 0) {
		if (len == 0)
			continue;
		int done = ml_profile_reader_merge_line(st->rd, line, len, st->p, err);
		if (done < 0) {
			rc = ml_err_prefix(err, "%s:%llu", ml_in_name(in),
					   (unsigned long long)ml_lines_number(lines));
			break;
		}
		st->profiles += (uint64_t)done;
	}
	if (got < 0)
		rc = ml_in_bytes(in) == 0 ? 1 : -1;
	if (rc == 0 && ml_profile_reader_end(st->rd, err) < 0)
		rc = ml_err_prefix(err, "%s", ml_in_name(in));
	/* ml-stats always writes a dataset line: an input without one is a
	 * stage that failed (a redirection leaves an empty file), whose
	 * records would vanish from the merge without a word */
	if (rc == 0 && st->profiles == before)
		rc = ml_err_set(err, ML_ERR_DATA, "%s: holds no profile (empty input)", ml_in_name(in));
	if (rc <= 0)
		ml_run_input(run, ml_in_path(in), ml_in_bytes(in), (int64_t)(st->profiles - before),
			     ml_in_sha256(in));
	ml_lines_free(lines);
	ml_in_close(in);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ML_CLI_COMMON_OPTIONS,
		{"output", required_argument, NULL, 'o'},
		{"output-format", required_argument, NULL, 'f'},
		{"merge", no_argument, NULL, OPT_MERGE},
		{"columns", required_argument, NULL, OPT_COLUMNS},
		{"exclude", required_argument, NULL, OPT_EXCLUDE},
		{"top", required_argument, NULL, OPT_TOP},
		{"bins", required_argument, NULL, OPT_BINS},
		{"threads", required_argument, NULL, OPT_THREADS},
		{NULL, 0, NULL, 0},
	};
	struct ml_cli cli;
	struct stats st;
	struct ml_err err;
	struct ml_buf text = {0};
	struct ml_out *out = NULL;
	const char *output = NULL, *format = NULL;
	int opt, merge = 0, failed = 0, status = ML_EXIT_OK;
	size_t threads = 1;

	memset(&st, 0, sizeof st);
	ml_cli_init(&cli, "ml-stats", usage, argc, argv);
	st.cli = &cli;
	while ((opt = getopt_long(argc, argv, ML_CLI_COMMON_SHORT "o:f:", longopts, NULL)) != -1) {
		if (ml_cli_common_option(&cli, opt, optarg))
			continue;
		switch (opt) {
		case 'o': output = optarg; break;
		case 'f': format = ml_cli_output_format(optarg); break;
		case OPT_MERGE: merge = 1; break;
		case OPT_COLUMNS: ml_cli_split_list(optarg, &st.opts.columns, &st.opts.ncolumns); break;
		case OPT_EXCLUDE: ml_cli_split_list(optarg, &st.opts.exclude, &st.opts.nexclude); break;
		case OPT_TOP:
			/* more values than a counter holds exactly would list nothing more */
			st.opts.top = ml_cli_parse_count("--top", optarg);
			if (st.opts.top < 1 || st.opts.top > 10000)
				ml_usage_error("--top: between 1 and 10000");
			break;
		case OPT_THREADS:
			threads = ml_cli_parse_count("--threads", optarg);
			if (threads < 1 || threads > 256)
				ml_usage_error("--threads: between 1 and 256");
			break;
		case OPT_BINS:
			st.opts.bins = ml_cli_parse_count("--bins", optarg);
			if (st.opts.bins < 1 || st.opts.bins > 10000)
				ml_usage_error("--bins: between 1 and 10000");
			break;
		}
	}
	int as_text = ml_cli_wants_text(format, output);

	ml_cli_start_run(&cli);
	if (!(st.p = ml_profile_new(&st.opts)) || !(st.rd = ml_profile_reader_new(&st.opts))) {
		ml_warn("out of memory");
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	/* the output first: -o FILE's temporary file exists while the input is
	 * read (and an output that cannot be made stops the run before it) */
	if (!(out = ml_cli_out_open(&cli, output, &err))) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	/* an input that cannot be read is named, and the others are still
	 * read, so one run names every bad one; then no profile is written,
	 * as a profile of part of the data would pass for the whole */
	if (merge) {
		int n = argc - optind, rc;
		for (int i = 0; i < (n ? n : 1) && status == ML_EXIT_OK; i++) {
			if ((rc = merge_input(&st, n ? argv[optind + i] : "-", cli.run, &err)) < 0) {
				status = ml_cli_report(&cli, &err);
			} else if (rc > 0) {
				ml_warn("%s", err.msg);
				failed = 1;
			}
		}
	} else if (threads > 1) {
		struct stats_parallel sp = {.cli = &cli, .p = st.p, .opts = &st.opts, .threads = threads,
					    .hash = 1};
		if (stats_parallel(&sp, argv + optind, (size_t)(argc - optind), &err) < 0)
			status = ml_cli_report(&cli, &err);
		failed = sp.failed_inputs > 0;
	} else {
		struct ml_each each = {.record = on_record, .input_done = on_input, .ctx = &st,
				       .run = cli.run, .hash = 1, .input_failed = ml_cli_input_failed};
		if (ml_each_record(&each, argv + optind, (size_t)(argc - optind), &err) < 0)
			status = ml_cli_report(&cli, &err);
		failed = each.failed_inputs > 0;
	}
	if (status == ML_EXIT_OK && failed)
		status = ML_EXIT_TROUBLE;
	if (status == ML_EXIT_OK && ml_profile_finish(st.p, &err) < 0)
		status = ml_cli_report(&cli, &err);
	if (status != ML_EXIT_OK)
		goto out;
	if (as_text)
		status = stats_text(st.p, &text) < 0 ? ML_EXIT_TROUBLE : ML_EXIT_OK;
	else
		status = ml_profile_to_ndjson(st.p, &text) < 0 ? ML_EXIT_TROUBLE : ML_EXIT_OK;
	if (status != ML_EXIT_OK) {
		ml_warn("out of memory");
		goto out;
	}
	/* a profile is records too: the dataset line and one per column; a
	 * write error is sticky, and the commit reports it */
	ml_out_write_lines(out, text.data, text.len);
	if (ml_cli_commit(&cli, out, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	if (cli.verbose)
		fprintf(stderr, "ml-stats: %llu records, %zu columns%s\n",
			(unsigned long long)ml_profile_records(st.p), profiled_columns(st.p),
			merge ? " (merged)" : "");
out:
	if (st.p) {
		ml_run_counter(cli.run, "records", ml_profile_records(st.p));
		ml_run_counter(cli.run, "columns", profiled_columns(st.p));
	}
	if (merge)
		ml_run_counter(cli.run, "profiles", st.profiles);
	log_params(cli.run, &st.opts, merge, as_text ? "text" : "ndjson");
	ml_out_free(out);
	ml_buf_free(&text);
	ml_profile_free(st.p);
	ml_profile_reader_free(st.rd);
	ml_cli_free_list(st.opts.columns, st.opts.ncolumns);
	ml_cli_free_list(st.opts.exclude, st.opts.nexclude);
	return ml_cli_finish(&cli, status);
}
