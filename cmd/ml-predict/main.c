/* ml-predict: records scored by a model bundle, streamed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ml_cli.h"
#include "ml_each.h"
#include "ml_json.h"
#include "ml_out.h"
#include "ml_predictor.h"

static const char usage[] =
"Usage: ml-predict [OPTION]... BUNDLE [FILE]...\n"
"Score NDJSON records with the model in BUNDLE (made by ml-train): each\n"
"record comes out as it came in, its bytes untouched, with the prediction\n"
"added (the class, or the value for regression) and the probability of\n"
"class 1 (binary) or of every class (multiclass).  Memory does not grow\n"
"with the input.  With no FILE, or when FILE is -, read standard input.\n"
"\n"
"      --info                  print the bundle's manifest, features and\n"
"                              metrics as JSON, and exit\n"
"      --explain               add each feature's contribution to the raw\n"
"                              score (log-odds, or the value) and the base value\n"
"      --threshold T           binary: predict class 1 when its probability\n"
"                              is at least T (default 0.5)\n"
"      --prediction-field NAME the field of the prediction (default prediction)\n"
"      --probability-field NAME the field of the probability (default\n"
"                              probability, or probabilities for multiclass)\n"
"      --reject FILE           write records that cannot be scored (a feature\n"
"                              of the wrong type, or a number too large for\n"
"                              the model) there, with why; without it such a\n"
"                              record is an error\n"
"  -o, --output FILE           write to FILE, replaced only when all went well\n"
"Common:\n"
"  -v, --verbose               report counts on stderr\n"
ML_CLI_COMMON_HELP
"\n"
"Exit status: 0 success, 2 trouble (bad usage, a bad bundle, bad input, I/O\n"
"error).\n"
"Examples:\n"
"  ml-predict model.bundle < today.ndjson > scored.ndjson\n"
"  ml-predict --info model.bundle | jq .metrics\n";

enum {
	OPT_INFO = ML_OPT_PROGRAM, OPT_EXPLAIN, OPT_THRESHOLD, OPT_PREDICTION_FIELD,
	OPT_PROBABILITY_FIELD, OPT_REJECT,
};

#define BATCH 4096

struct predict {
	struct ml_cli *cli;
	struct ml_predictor pr;
	struct ml_out *out, *reject;
	const char *pred_field, *prob_field;
	size_t pred_len, prob_len;
	/* the two keys as written, quoted, each with its colon: made once */
	struct ml_buf pred_key, prob_key;
	int explain;
	double threshold;
	/* the batch: record texts (without what we add), their rows */
	struct ml_buf text;
	size_t off[BATCH], len[BATCH];
	char empty[BATCH];
	float *x;
	double *scores, *contrib, *contrib_c;
	size_t n;
	uint64_t records, rejected;
	struct ml_buf scratch, line;
	struct ml_recw w;
};

/* Whether field i of r is one ml-predict adds, by its decoded key (a
 * "predict\u0069on" is "prediction" too); -1 when memory is out. */
static int is_ours(struct predict *pd, const struct ml_rec *r, size_t i)
{
	static const char *const explain_fields[] = {"contributions", "base_value"};
	size_t n;
	const char *key = ml_rec_key_text(r, i, &n, &pd->scratch);

	if (!key)
		return -1;
	if ((pd->pred_len == n && !memcmp(key, pd->pred_field, n)) ||
	    (pd->prob_len == n && !memcmp(key, pd->prob_field, n)))
		return 1;
	for (size_t k = 0; pd->explain && k < 2; k++)
		if (strlen(explain_fields[k]) == n && !memcmp(key, explain_fields[k], n))
			return 1;
	return 0;
}

/* Writes the batch out: each record's text with the fields added. */
static int flush(struct predict *pd, struct ml_err *err)
{
	const struct ml_predictor *pr = &pd->pr;
	size_t p = pr->enc.ncols, nout = pr->nout;

	if (!pd->n)
		return 0;
	if (ml_model_predict(&pr->model, pd->x, pd->n, pd->scores, err) < 0)
		return -1;
	if (pd->explain) {
		for (size_t c = 0; c < (pr->task == ML_TASK_MULTICLASS ? nout : 1); c++) {
			if (ml_model_contributions(&pr->model, pd->x, pd->n, c, pd->contrib_c, err) < 0)
				return -1;
			/* each record explains its own predicted class */
			for (size_t i = 0; i < pd->n; i++)
				if (pr->task != ML_TASK_MULTICLASS ||
				    ml_predictor_class(pr, pd->scores + i * nout, pd->threshold) == c)
					memcpy(pd->contrib + i * (p + 1), pd->contrib_c + i * (p + 1),
					       (p + 1) * sizeof *pd->contrib);
		}
	}
	for (size_t i = 0; i < pd->n; i++) {
		const double *s = pd->scores + i * nout;
		struct ml_buf *b = &pd->line;
		ml_buf_reset(b);
		ml_buf_add(b, pd->text.data + pd->off[i], pd->len[i]);
		if (!pd->empty[i])
			ml_buf_addc(b, ',');
		ml_buf_add(b, pd->pred_key.data, pd->pred_key.len);
		if (pr->task == ML_TASK_REGRESSION) {
			ml_json_put_double(b, s[0]);
		} else {
			ml_buf_adds(b, pr->class_raw[ml_predictor_class(pr, s, pd->threshold)]);
			ml_buf_addc(b, ',');
			ml_buf_add(b, pd->prob_key.data, pd->prob_key.len);
			if (pr->task == ML_TASK_BINARY) {
				ml_json_put_double(b, s[0]);
			} else {
				ml_buf_addc(b, '{');
				for (size_t c = 0; c < nout; c++) {
					const char *label = pr->class_raw[c];
					if (c)
						ml_buf_addc(b, ',');
					/* string labels are keys as they are; others quoted */
					if (label[0] == '"')
						ml_buf_adds(b, label);
					else
						ml_json_quote(b, label, strlen(label));
					ml_buf_addc(b, ':');
					ml_json_put_double(b, s[c]);
				}
				ml_buf_addc(b, '}');
			}
		}
		if (pd->explain) {
			const double *ct = pd->contrib + i * (p + 1);
			ml_buf_adds(b, ",\"contributions\":{");
			for (size_t fi = 0; fi < pr->enc.nfeatures; fi++) {
				const struct ml_feature *f = &pr->enc.features[fi];
				double sum = 0;
				for (size_t k = 0; k < f->width; k++)
					sum += ct[f->col + k];
				if (fi)
					ml_buf_addc(b, ',');
				ml_json_quote(b, f->name, f->name_len);
				ml_buf_addc(b, ':');
				ml_json_put_double(b, sum);
			}
			ml_buf_adds(b, "},\"base_value\":");
			ml_json_put_double(b, ct[p]);
		}
		ml_buf_addc(b, '}');
		if (ml_out_write(pd->out, b->data, b->len) < 0 || ml_out_end_record(pd->out) < 0)
			return ml_out_error(pd->out, err);
	}
	pd->n = 0;
	ml_buf_reset(&pd->text);
	return 0;
}

/* Writes a reject line; rule is "malformed" (the line is no record, and
 * goes as a string), "type" or "range". */
static int reject_line(struct predict *pd, const char *line, size_t len, const struct ml_place *at,
		       const char *rule, const char *why, struct ml_err *err)
{
	struct ml_buf *b = &pd->line;
	int malformed = !strcmp(rule, "malformed");

	pd->rejected++;
	ml_buf_reset(b);
	ml_buf_adds(b, "{\"file\":");
	ml_json_quote_lossy(b, at->file, strlen(at->file));
	/* the form of ml-validate's reject lines */
	ml_buf_printf(b, ",\"line\":%llu,\"errors\":[{\"rule\":\"%s\",\"message\":",
		      (unsigned long long)at->line, rule);
	ml_json_quote_lossy(b, why, strlen(why));
	ml_buf_adds(b, malformed ? "}],\"text\":" : "}],\"record\":");
	if (malformed)
		ml_json_quote_lossy(b, line, len);
	else
		ml_buf_add(b, line, len);
	ml_buf_addc(b, '}');
	if (ml_out_write(pd->reject, b->data, b->len) < 0 || ml_out_end_record(pd->reject) < 0)
		return ml_out_error(pd->reject, err);
	return 0;
}

/* A record that cannot be scored, err saying why: rejected under rule
 * with --reject, else an error at its place.  Only the record's own fault
 * is rejected: memory running out stops the run. */
static int cannot_score(struct predict *pd, const char *line, size_t len, const struct ml_place *at,
			const char *rule, struct ml_err *err)
{
	if (!pd->reject || err->kind != ML_ERR_DATA)
		return ml_err_prefix(err, "%s:%llu", at->file, (unsigned long long)at->line);
	return reject_line(pd, line, len, at, rule, err->msg, err);
}

static int on_record(void *ctx, const struct ml_rec *r, const char *line, size_t len,
		     const struct ml_place *at, struct ml_err *err)
{
	struct predict *pd = ctx;
	size_t p = pd->pr.enc.ncols, nf = ml_rec_count(r);
	float *row = pd->x + pd->n * p;
	int clash = 0;

	ml_cli_progress(pd->cli, ++pd->records);
	/* each record is checked before it joins the batch, so that one the
	 * model cannot take never fails the others */
	if (ml_encode_record(&pd->pr.enc, r, row, &pd->scratch, err) < 0)
		return cannot_score(pd, line, len, at, "type", err);
	if (ml_predictor_check_row(&pd->pr, r, row, err) < 0)
		return cannot_score(pd, line, len, at, "range", err);
	for (size_t i = 0; i < nf && !clash; i++)
		clash = is_ours(pd, r, i);
	if (clash < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	pd->off[pd->n] = pd->text.len;
	if (clash) {
		/* a field we add is there already: the record without it, so the
		 * output has each key once */
		ml_recw_begin(&pd->w);
		for (size_t i = 0; i < nf; i++) {
			int ours = is_ours(pd, r, i);
			if (ours < 0)
				return ml_err_set(err, ML_ERR_IO, "out of memory");
			if (!ours)
				ml_recw_copy(&pd->w, r, i);
		}
		pd->empty[pd->n] = pd->w.nfields == 0;
		if (pd->w.nfields)
			ml_buf_add(&pd->text, pd->w.line.data, pd->w.line.len);
		else
			ml_buf_addc(&pd->text, '{');
	} else {
		size_t body;
		const char *start = ml_rec_body(r, &body);
		pd->empty[pd->n] = nf == 0;
		ml_buf_add(&pd->text, start, body);
	}
	pd->len[pd->n] = pd->text.len - pd->off[pd->n];
	if (++pd->n == BATCH)
		return flush(pd, err);
	return 0;
}

static int on_malformed(void *ctx, const char *line, size_t len, const struct ml_place *at,
			const char *why, struct ml_err *err)
{
	struct predict *pd = ctx;

	ml_cli_progress(pd->cli, ++pd->records);
	return reject_line(pd, line, len, at, "malformed", why, err);
}

/* --info: the manifest and the metrics as one JSON object. */
static int info(const struct ml_predictor *pr, struct ml_out *out)
{
	struct ml_buf b = {0};
	size_t len;
	const char *m = ml_bundle_manifest(pr->bundle, &len);
	const char *metrics;

	ml_buf_printf(&b, "{\"sha256\":\"%s\",\"manifest\":", ml_bundle_sha256(pr->bundle));
	ml_json_minify(&b, m, len);
	if ((metrics = ml_bundle_member(pr->bundle, "metrics.json", &len))) {
		ml_buf_adds(&b, ",\"metrics\":");
		ml_json_minify(&b, metrics, len);
	}
	ml_buf_adds(&b, ",\"encoding\":");
	if ((metrics = ml_bundle_member(pr->bundle, "preprocess.json", &len)))
		ml_json_minify(&b, metrics, len);
	else
		ml_buf_adds(&b, "null");
	ml_buf_addc(&b, '}');
	int rc = ml_out_write(out, b.data, b.len);
	if (rc == 0)
		rc = ml_out_end_record(out);
	ml_buf_free(&b);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ML_CLI_COMMON_OPTIONS,
		{"output", required_argument, NULL, 'o'},
		{"info", no_argument, NULL, OPT_INFO},
		{"explain", no_argument, NULL, OPT_EXPLAIN},
		{"threshold", required_argument, NULL, OPT_THRESHOLD},
		{"prediction-field", required_argument, NULL, OPT_PREDICTION_FIELD},
		{"probability-field", required_argument, NULL, OPT_PROBABILITY_FIELD},
		{"reject", required_argument, NULL, OPT_REJECT},
		{NULL, 0, NULL, 0},
	};
	struct ml_cli cli;
	struct predict pd = {.pred_field = "prediction", .threshold = 0.5};
	struct ml_err err;
	const char *output = NULL, *reject_path = NULL;
	int opt, show_info = 0, status = ML_EXIT_OK;

	ml_cli_init(&cli, "ml-predict", usage, argc, argv);
	pd.cli = &cli;
	while ((opt = getopt_long(argc, argv, ML_CLI_COMMON_SHORT "o:", longopts, NULL)) != -1) {
		if (ml_cli_common_option(&cli, opt, optarg))
			continue;
		switch (opt) {
		case 'o': output = optarg; break;
		case OPT_INFO: show_info = 1; break;
		case OPT_EXPLAIN: pd.explain = 1; break;
		case OPT_THRESHOLD:
			pd.threshold = ml_cli_parse_number("--threshold", optarg);
			if (pd.threshold < 0 || pd.threshold > 1)
				ml_usage_error("--threshold: between 0 and 1");
			break;
		case OPT_PREDICTION_FIELD: pd.pred_field = optarg; break;
		case OPT_PROBABILITY_FIELD: pd.prob_field = optarg; break;
		case OPT_REJECT: reject_path = optarg; break;
		}
	}
	if (optind >= argc)
		ml_usage_error("no bundle: give the model bundle ml-train wrote");
	const char *bundle_path = argv[optind++];
	/* a bundle read from standard input leaves nothing there for the
	 * records, which come from it when no FILE is given */
	if (!show_info && !strcmp(bundle_path, "-")) {
		int records_stdin = optind == argc;
		for (int i = optind; i < argc; i++)
			records_stdin |= !strcmp(argv[i], "-");
		if (records_stdin)
			ml_usage_error("standard input (-) can be read only once: with the bundle "
				       "as -, give the records as files");
	}

	ml_cli_distinct_outputs(2, (const char *const[]){output ? "-o" : "the output", "--reject"},
				(const char *const[]){output ? output : "-", reject_path});
	ml_cli_start_run(&cli);
	if (ml_predictor_load(&pd.pr, bundle_path, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	struct stat st;
	ml_run_input(cli.run, bundle_path, stat(bundle_path, &st) == 0 ? (uint64_t)st.st_size : 0, -1,
		     ml_bundle_sha256(pd.pr.bundle));
	if (!pd.prob_field)
		pd.prob_field = pd.pr.task == ML_TASK_MULTICLASS ? "probabilities" : "probability";
	if (!strcmp(pd.pred_field, pd.prob_field)) {
		ml_warn("--prediction-field and --probability-field name the same field");
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	pd.pred_len = strlen(pd.pred_field);
	pd.prob_len = strlen(pd.prob_field);
	if (ml_json_quote(&pd.pred_key, pd.pred_field, pd.pred_len) < 0 ||
	    ml_buf_addc(&pd.pred_key, ':') < 0 ||
	    ml_json_quote(&pd.prob_key, pd.prob_field, pd.prob_len) < 0 ||
	    ml_buf_addc(&pd.prob_key, ':') < 0) {
		ml_warn("out of memory");
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	if (!(pd.out = ml_cli_out_open(&cli, output, &err)) ||
	    (reject_path && !(pd.reject = ml_cli_out_open(&cli, reject_path, &err)))) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	if (show_info) {
		if (info(&pd.pr, pd.out) < 0)
			ml_out_error(pd.out, &err), status = ml_cli_report(&cli, &err);
		else if (ml_cli_commit(&cli, pd.out, &err) < 0)
			status = ml_cli_report(&cli, &err);
		goto out;
	}
	size_t p = pd.pr.enc.ncols;
	pd.x = malloc(BATCH * p * sizeof *pd.x);
	pd.scores = malloc(BATCH * pd.pr.nout * sizeof *pd.scores);
	if (pd.explain) {
		pd.contrib = malloc(BATCH * (p + 1) * sizeof *pd.contrib);
		pd.contrib_c = malloc(BATCH * (p + 1) * sizeof *pd.contrib_c);
	}
	if (!pd.x || !pd.scores || (pd.explain && (!pd.contrib || !pd.contrib_c))) {
		ml_warn("out of memory");
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	struct ml_each each = {.record = on_record, .ctx = &pd, .run = cli.run,
			       .malformed = pd.reject ? on_malformed : NULL,
			       .input_failed = ml_cli_input_failed};
	if (ml_each_record(&each, argv + optind, (size_t)(argc - optind), &err) < 0 ||
	    flush(&pd, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	if (each.failed_inputs) {
		/* standard output keeps the others' predictions; a file is left
		 * as it was, as the run failed */
		ml_cli_keep_stdout(&cli, pd.out);
		ml_cli_keep_stdout(&cli, pd.reject);
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	if ((pd.reject && ml_cli_commit(&cli, pd.reject, &err) < 0) ||
	    ml_cli_commit(&cli, pd.out, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	if (cli.verbose)
		fprintf(stderr, "ml-predict: %llu records, %llu scored, %llu rejected\n",
			(unsigned long long)pd.records, (unsigned long long)(pd.records - pd.rejected),
			(unsigned long long)pd.rejected);
out:
	ml_run_counter(cli.run, "records", pd.records);
	ml_run_counter(cli.run, "rejected", pd.rejected);
	ml_out_free(pd.out);
	ml_out_free(pd.reject);
	ml_predictor_free(&pd.pr);
	free(pd.x);
	free(pd.scores);
	free(pd.contrib);
	free(pd.contrib_c);
	ml_buf_free(&pd.text);
	ml_buf_free(&pd.scratch);
	ml_buf_free(&pd.line);
	ml_buf_free(&pd.pred_key);
	ml_buf_free(&pd.prob_key);
	ml_recw_free(&pd.w);
	return ml_cli_finish(&cli, status);
}
