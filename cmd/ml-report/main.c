/* ml-report: one page (or a text summary) of the pipeline's artifacts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_cli.h"
#include "ml_out.h"
#include "report.h"

static const char usage[] =
"Usage: ml-report [OPTION]... [FILE]...\n"
"Make one self-contained HTML page, or a text summary, of mlpipe's\n"
"artifacts: data profiles (ml-stats), drift results (ml-drift), metrics\n"
"and curves (ml-eval), model bundles (ml-train), registry histories\n"
"(ml-promote: the history file or the registry directory) and run logs.\n"
"Each is recognised by its \"format\".  With no FILE, or when FILE is -,\n"
"read standard input.\n"
"\n"
"  -o, --output FILE       write to FILE, replaced only when all went well\n"
"  -f, --output-format F   html (default) or text\n"
"      --title TEXT        the page's title (default \"mlpipe report\")\n"
"      --columns LIST      profile and drift: only these columns\n"
"Common:\n"
"  -v, --verbose           say which artifacts were read\n"
ML_CLI_COMMON_HELP
"\n"
"Exit status: 0 success, 2 trouble (an unknown artifact, bad input, an\n"
"I/O error).\n"
"Examples:\n"
"  ml-report -o today.html today.stats drift.ndjson cand.metrics cand.bundle\n"
"  ml-report -f text .ml/registry .ml/runs.ndjson | mail -s pipeline ops\n";

enum { OPT_TITLE = ML_OPT_PROGRAM, OPT_COLUMNS };

/* "2 profiles, 1 bundle" for --verbose. */
static void say_read(const struct report *r, size_t from, const char *name)
{
	size_t count[ART_KINDS] = {0};
	int any = 0;

	for (size_t i = from; i < r->nart; i++)
		count[r->art[i].kind]++;
	fprintf(stderr, "ml-report: %s:", name);
	for (int k = 0; k < ART_KINDS; k++)
		if (count[k]) {
			fprintf(stderr, "%s %zu %s", any++ ? "," : "", count[k], art_format((enum art_kind)k));
			if (k != ART_BUNDLE) {
				size_t lines = 0;
				for (size_t i = from; i < r->nart; i++)
					if (r->art[i].kind == (enum art_kind)k)
						lines += (size_t)j_len(r->art[i].lines);
				fprintf(stderr, " (%zu line%s)", lines, lines == 1 ? "" : "s");
			}
		}
	fprintf(stderr, "%s\n", any ? "" : " nothing");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ML_CLI_COMMON_OPTIONS,
		{"output", required_argument, NULL, 'o'},
		{"output-format", required_argument, NULL, 'f'},
		{"title", required_argument, NULL, OPT_TITLE},
		{"columns", required_argument, NULL, OPT_COLUMNS},
		{NULL, 0, NULL, 0},
	};
	struct ml_cli cli;
	struct report r = {.title = "mlpipe report"};
	struct page page = {0};
	struct ml_err err;
	struct ml_out *out = NULL;
	const char *output = NULL, *format = "html";
	char *stdin_only[] = {"-"};
	int opt, status = ML_EXIT_OK;

	ml_cli_init(&cli, "ml-report", usage, argc, argv);
	while ((opt = getopt_long(argc, argv, ML_CLI_COMMON_SHORT "o:f:", longopts, NULL)) != -1) {
		if (ml_cli_common_option(&cli, opt, optarg))
			continue;
		switch (opt) {
		case 'o': output = optarg; break;
		case 'f':
			if (strcmp(optarg, "html") && strcmp(optarg, "text"))
				ml_usage_error("--output-format: '%s' is not html or text", optarg);
			format = optarg;
			break;
		case OPT_TITLE: r.title = optarg; break;
		case OPT_COLUMNS: ml_cli_split_list(optarg, &r.columns, &r.ncolumns); break;
		}
	}
	char **files = optind < argc ? argv + optind : stdin_only;
	size_t nfiles = optind < argc ? (size_t)(argc - optind) : 1;
	size_t stdin_uses = 0;
	for (size_t i = 0; i < nfiles; i++)
		stdin_uses += !strcmp(files[i], "-");
	if (stdin_uses > 1)
		ml_usage_error("standard input (-) can be read only once");

	ml_cli_start_run(&cli);
	ml_run_param(cli.run, "output_format", format);
	int failed = 0;
	for (size_t i = 0; i < nfiles; i++) {
		size_t before = r.nart;
		int rc = report_read(&r, files[i], &err);
		if (rc < 0) {
			status = ml_cli_report(&cli, &err);
			goto out;
		}
		/* a file that cannot be read is named, and the others are still
		 * read: one run names every bad input */
		if (rc > 0) {
			ml_warn("%s", err.msg);
			failed = 1;
			continue;
		}
		const struct input *in = &r.in[r.nin - 1];
		ml_run_input(cli.run, in->path, in->bytes, in->records, in->sha256[0] ? in->sha256 : NULL);
		if (cli.verbose)
			say_read(&r, before, in->name);
	}
	/* a report that leaves out what was asked for would pass for whole */
	if (failed) {
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	if (report_check_columns(&r, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	if (!strcmp(format, "text"))
		text_report(&r, &page);
	else
		html_page(&r, &page);
	if (page.oom) {
		ml_warn("out of memory");
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	/* a failed write is sticky: the commit reports it */
	if (!(out = ml_cli_out_open(&cli, output, &err)) || (ml_out_write(out, page.b.data, page.b.len), 0) ||
	    ml_cli_commit(&cli, out, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	ml_run_counter(cli.run, "artifacts", r.nart);
	ml_run_counter(cli.run, "bytes", page.b.len);
out:
	ml_out_free(out);
	ml_buf_free(&page.b);
	report_free(&r);
	ml_cli_free_list(r.columns, r.ncolumns);
	return ml_cli_finish(&cli, status);
}
