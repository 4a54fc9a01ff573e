/* ml-validate: records held to a schema; the bad ones kept aside with why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_cli.h"
#include "ml_each.h"
#include "ml_json.h"
#include "ml_out.h"
#include "ml_schema.h"
#include "validate.h"

static const char usage[] =
"Usage: ml-validate -s SCHEMA [OPTION]... [FILE]...\n"
"  or:  ml-validate --infer [OPTION]... [FILE]...\n"
"Check NDJSON records against a schema (format mlpipe.schema, see\n"
"ml-validate(1)): field types, required and nullable fields, ranges,\n"
"allowed values, patterns, lengths, record expectations in jq, and dataset\n"
"constraints (record count, missing share, unique fields).  Valid records\n"
"go to standard output as they came; invalid ones are counted, and kept\n"
"with their reasons by --reject.  With --infer, write a schema that the\n"
"input records (or ml-stats profiles) satisfy.\n"
"With no FILE, or when FILE is -, read standard input.\n"
"\n"
"  -s, --schema FILE       the schema to check against\n"
"      --reject FILE       write each invalid record (and malformed line)\n"
"                          there, with its place and every rule it broke\n"
"      --report FILE       write the report (NDJSON: counts per rule with\n"
"                          the first places, dataset constraints)\n"
"      --max-invalid F     share of invalid records allowed, as 0.05 or 5%\n"
"                          (default 0)\n"
"  -o, --output FILE       write the valid records to FILE, replaced only\n"
"                          when every check passed\n"
"Inference:\n"
"      --infer             write a schema inferred from the inputs\n"
"      --margin F          widen numeric ranges by F x (max - min) each side\n"
"                          (default 0)\n"
"      --max-domain N      give string fields with at most N distinct values\n"
"                          a domain (default 20; 0: none)\n"
"Common:\n"
"  -v, --verbose           report counts on stderr\n"
ML_CLI_COMMON_HELP
"\n"
"Exit status: 0 valid, 1 too many invalid records or a dataset constraint\n"
"failed, 2 trouble (bad usage, bad schema, malformed input without\n"
"--reject, I/O error).\n"
"Examples:\n"
"  ml-validate --infer train.ndjson > schema.json\n"
"  ml-ingest new.csv | ml-validate -s schema.json --reject bad.ndjson | ml-stats\n";

enum { OPT_REJECT = ML_OPT_PROGRAM, OPT_REPORT, OPT_MAX_INVALID, OPT_INFER, OPT_MARGIN,
       OPT_MAX_DOMAIN };

struct validate {
	struct ml_cli *cli;
	struct ml_check *check;
	struct ml_out *out, *reject;
};

static int on_record(void *ctx, const struct ml_rec *r, const char *line, size_t len,
		     const struct ml_place *at, struct ml_err *err)
{
	struct validate *v = ctx;
	ssize_t n = ml_check_record(v->check, r, line, len, at, err);

	ml_cli_progress(v->cli, ml_check_records(v->check));
	if (n < 0)
		return ml_err_prefix(err, "%s:%llu", at->file, (unsigned long long)at->line);
	if (n == 0) {
		if (ml_out_write(v->out, line, len) < 0 || ml_out_end_record(v->out) < 0)
			return ml_out_error(v->out, err);
		return 0;
	}
	if (v->reject && reject_record(v->reject, v->check, (size_t)n, at, line, len) < 0)
		return ml_out_error(v->reject, err);
	return 0;
}

static int on_malformed(void *ctx, const char *line, size_t len, const struct ml_place *at,
			const char *why, struct ml_err *err)
{
	struct validate *v = ctx;

	if (ml_check_malformed(v->check, at, why) < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (reject_malformed(v->reject, at, why, line, len) < 0)
		return ml_out_error(v->reject, err);
	return 0;
}

/* --max-invalid: a share, as 0.05 or 5%. */
static double parse_share(const char *arg)
{
	size_t n = strlen(arg);
	int percent = n && arg[n - 1] == '%';
	char *num = strdup(arg);
	double x;

	if (!num)
		ml_usage_error("out of memory");
	if (percent)
		num[n - 1] = '\0';
	x = ml_cli_parse_number("--max-invalid", num);
	free(num);
	if (percent)
		x /= 100;
	if (x < 0 || x > 1)
		ml_usage_error("--max-invalid: '%s' is not a share between 0 and 1 (or 0%% and 100%%)", arg);
	return x;
}

static int stdout_path(const char *path)
{
	return !path || strcmp(path, "-") == 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ML_CLI_COMMON_OPTIONS,
		{"schema", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{"reject", required_argument, NULL, OPT_REJECT},
		{"report", required_argument, NULL, OPT_REPORT},
		{"max-invalid", required_argument, NULL, OPT_MAX_INVALID},
		{"infer", no_argument, NULL, OPT_INFER},
		{"margin", required_argument, NULL, OPT_MARGIN},
		{"max-domain", required_argument, NULL, OPT_MAX_DOMAIN},
		{NULL, 0, NULL, 0},
	};
	struct ml_cli cli;
	struct validate v = {0};
	struct ml_err err;
	struct ml_schema *schema = NULL;
	struct ml_out *report = NULL;
	struct ml_buf text = {0};
	struct ml_infer_opts iopts = {.margin = 0, .max_domain = 20};
	struct verdict verdict = {0};
	const char *schema_path = NULL, *output = NULL, *reject_path = NULL, *report_path = NULL;
	int opt, infer = 0, inference_opts = 0, check_opts = 0, status = ML_EXIT_OK;

	ml_cli_init(&cli, "ml-validate", usage, argc, argv);
	v.cli = &cli;
	while ((opt = getopt_long(argc, argv, ML_CLI_COMMON_SHORT "s:o:", longopts, NULL)) != -1) {
		if (ml_cli_common_option(&cli, opt, optarg))
			continue;
		switch (opt) {
		case 's': schema_path = optarg; break;
		case 'o': output = optarg; break;
		case OPT_REJECT: reject_path = optarg; check_opts = 1; break;
		case OPT_REPORT: report_path = optarg; check_opts = 1; break;
		case OPT_MAX_INVALID: verdict.max_invalid = parse_share(optarg); check_opts = 1; break;
		case OPT_INFER: infer = 1; break;
		case OPT_MARGIN:
			iopts.margin = ml_cli_parse_number("--margin", optarg);
			if (iopts.margin < 0)
				ml_usage_error("--margin: '%s' is negative", optarg);
			inference_opts = 1;
			break;
		case OPT_MAX_DOMAIN:
			iopts.max_domain = ml_cli_parse_count("--max-domain", optarg);
			if (iopts.max_domain > 10000)
				ml_usage_error("--max-domain: at most 10000");
			inference_opts = 1;
			break;
		}
	}
	if (infer && schema_path)
		ml_usage_error("--infer writes a schema; --schema checks against one: give one of them");
	if (!infer && !schema_path)
		ml_usage_error("no schema: give --schema FILE, or --infer to write one");
	if (!infer && inference_opts)
		ml_usage_error("--margin and --max-domain go with --infer");
	if (infer && check_opts)
		ml_usage_error("--reject, --report and --max-invalid go with --schema");
	if (report_path && stdout_path(report_path) && stdout_path(output))
		ml_usage_error("--report -: standard output already carries the records (give -o FILE)");
	if (reject_path && stdout_path(reject_path) && stdout_path(output))
		ml_usage_error("--reject -: standard output already carries the records (give -o FILE)");
	ml_cli_distinct_outputs(3, (const char *const[]){output ? "-o" : "the output", "--reject", "--report"},
				(const char *const[]){output ? output : "-", reject_path, report_path});

	ml_cli_start_run(&cli);
	if (infer) {
		int rc = -1;

		if (!(v.out = ml_cli_out_open(&cli, output, &err)) ||
		    (rc = infer_schema(&cli, argv + optind, (size_t)(argc - optind), &iopts, v.out,
				       &err)) < 0 ||
		    (rc == 0 && ml_cli_commit(&cli, v.out, &err) < 0))
			status = ml_cli_report(&cli, &err);
		else if (rc > 0)
			status = ML_EXIT_TROUBLE;	/* named; v.out is not committed */
		goto out;
	}

	if (!(schema = ml_schema_load(schema_path, &err))) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	if (!(v.check = ml_check_new(schema))) {
		ml_warn("out of memory");
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	/* every output exists (as a temporary file) before the first record */
	if (!(v.out = ml_cli_out_open(&cli, output, &err)) ||
	    (reject_path && !(v.reject = ml_cli_out_open(&cli, reject_path, &err))) ||
	    (report_path && !(report = ml_cli_out_open(&cli, report_path, &err)))) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	struct ml_each each = {.record = on_record, .ctx = &v, .run = cli.run,
			       .malformed = v.reject ? on_malformed : NULL,
			       .input_failed = ml_cli_input_failed};
	if (ml_each_record(&each, argv + optind, (size_t)(argc - optind), &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	if (each.failed_inputs) {
		/* the others' valid records went out on a pipe as they came; no
		 * file is made or replaced, and no verdict is given on part of
		 * the data */
		ml_cli_keep_stdout(&cli, v.out);
		ml_cli_keep_stdout(&cli, v.reject);
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	ml_check_end(v.check);
	uint64_t records = ml_check_records(v.check), invalid = ml_check_invalid(v.check);
	verdict.invalid_share = records ? (double)invalid / (double)records : 0;
	verdict.passed = verdict.invalid_share <= verdict.max_invalid;
	verdict.several_inputs = argc - optind > 1;
	for (size_t i = 0; i < ml_check_nconstraints(v.check); i++)
		verdict.passed &= ml_check_constraint(v.check, i)->passed;
	status = verdict.passed ? ML_EXIT_OK : ML_EXIT_FAIL;

	if (report) {
		if (report_ndjson(&text, schema, v.check, &verdict) < 0) {
			ml_warn("out of memory");
			status = ML_EXIT_TROUBLE;
			goto out;
		}
		ml_out_write_lines(report, text.data, text.len);
		if (ml_cli_commit(&cli, report, &err) < 0) {
			status = ml_cli_report(&cli, &err);
			goto out;
		}
	}
	if (v.reject && ml_cli_commit(&cli, v.reject, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	/* a file of valid records is made only by a run that passed, so make
	 * never takes a failed batch's output for an up-to-date target */
	if ((status == ML_EXIT_OK || stdout_path(output)) && ml_cli_commit(&cli, v.out, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	/* quiet when all is well (cron mails whatever is printed) */
	if ((status == ML_EXIT_FAIL && !report_path) || cli.verbose)
		report_summary(v.check, &verdict);
out:
	if (v.check) {
		uint64_t all = ml_check_records(v.check), bad = ml_check_invalid(v.check);
		ml_run_counter(cli.run, "records", all);
		ml_run_counter(cli.run, "valid", all - bad);
		ml_run_counter(cli.run, "invalid", bad);
		ml_run_counter(cli.run, "malformed", ml_check_malformed_lines(v.check));
	}
	if (schema_path)
		ml_run_param(cli.run, "schema", schema_path);
	if (schema && schema->sha256[0])
		ml_run_param(cli.run, "schema_sha256", schema->sha256);
	if (!infer) {
		ml_buf_reset(&text);
		ml_json_put_double(&text, verdict.max_invalid);
		ml_buf_terminate(&text);
		ml_run_param_json(cli.run, "max_invalid", text.data);
	}
	ml_run_param(cli.run, "mode", infer ? "infer" : "check");
	ml_out_free(v.out);
	ml_out_free(v.reject);
	ml_out_free(report);
	ml_buf_free(&text);
	ml_check_free(v.check);
	ml_schema_free(schema);
	reject_free();
	return ml_cli_finish(&cli, status);
}
