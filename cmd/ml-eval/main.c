/* ml-eval: how good are the predictions, overall and per slice? */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eval.h"
#include "ml_each.h"
#include "ml_in.h"
#include "ml_json.h"
#include "ml_metrics.h"
#include "ml_out.h"

static const char usage[] =
"Usage: ml-eval [OPTION]... BUNDLE [FILE]...\n"
"  or:  ml-eval --label FIELD [OPTION]... [FILE]...\n"
"Measure predictions against labels: score the records with the model in\n"
"BUNDLE and compare with its target, or compare records already scored\n"
"(--label, with --pred or --prob; ml-predict's prediction and\n"
"probability fields are found by themselves).  Writes one NDJSON line per\n"
"slice, overall first, with scikit-learn's definitions of the metrics.\n"
"With no FILE, or when FILE is -, read standard input.\n"
"\n"
"  -l, --label FIELD       the true label (default: the bundle's target)\n"
"      --pred FIELD        the predicted label or value (default prediction)\n"
"      --prob FIELD        the probability of class 1, or an object of every\n"
"                          class's probability (default: probability or\n"
"                          probabilities, when the records have them)\n"
"      --task T            binary, multiclass or regression (default: the\n"
"                          bundle's, or from the first record)\n"
"      --positive LABEL    the label of class 1 (default true, 1, or the last)\n"
"      --threshold T       class 1 when its probability is at least T (0.5)\n"
"      --slice FIELD       metrics per value of FIELD (repeatable)\n"
"      --slice NAME=EXPR   metrics per value of a jq expression (repeatable)\n"
"      --fairness FIELD    the largest gaps between FIELD's groups in positive\n"
"                          rate, true positive rate and accuracy (binary)\n"
"      --bootstrap N       confidence intervals from N resamples\n"
"      --confidence C      their level (default 0.95)\n"
"      --seed N            fixes the resamples (default 0)\n"
"      --threads N         threads for the bootstrap (default 2)\n"
"      --baseline OTHER    compare with another bundle on the same records\n"
"                          (paired bootstrap p-values, McNemar's test), or\n"
"                          with the metrics file of an earlier run\n"
"      --require EXPR      a jq condition on the overall line (repeatable):\n"
"                          exit 1 when one is false, e.g. '.auc >= 0.85'\n"
"      --curves FILE       write ROC, precision-recall and calibration curves\n"
"      --bins N            calibration bins (default 10)\n"
"  -f, --output-format F   ndjson (default unless a terminal) or text\n"
"  -o, --output FILE       write to FILE, replaced only when all went well\n"
"Common:\n"
"  -v, --verbose           report counts on stderr\n"
ML_CLI_COMMON_HELP
"\n"
"Exit status: 0 success (every requirement holds), 1 a requirement failed,\n"
"2 trouble (bad usage, bad input, I/O error).\n"
"Examples:\n"
"  ml-eval model.bundle test.ndjson --require '.auc >= 0.85'\n"
"  ml-eval --label default --slice region --bootstrap 1000 < scored.ndjson\n";

enum {
	OPT_PRED = ML_OPT_PROGRAM, OPT_PROB, OPT_TASK, OPT_POSITIVE, OPT_THRESHOLD, OPT_SLICE,
	OPT_FAIRNESS, OPT_BOOTSTRAP, OPT_CONFIDENCE, OPT_SEED, OPT_THREADS, OPT_REQUIRE,
	OPT_CURVES, OPT_BINS, OPT_BASELINE,
};

struct run {
	struct ml_cli *cli;
	struct eval e;
	int decided;
};

static int on_record(void *ctx, const struct ml_rec *r, const char *line, size_t len,
		     const struct ml_place *at, struct ml_err *err)
{
	struct run *rn = ctx;

	ml_cli_progress(rn->cli, rn->e.n + 1);
	if ((!rn->decided && (rn->decided = 1, collect_decide(&rn->e, r, err) < 0)) ||
	    collect_record(&rn->e, r, line, len, err) < 0)
		return ml_err_prefix(err, "%s:%llu", at->file, (unsigned long long)at->line);
	return 0;
}

static int on_input(void *ctx, const char *path, uint64_t bytes, uint64_t records,
		    const char *sha256, struct ml_err *err)
{
	struct run *rn = ctx;

	(void)path;
	(void)bytes;
	(void)records;
	(void)err;
	ml_buf_addc(&rn->e.sources, rn->e.sources.len ? ',' : '[');
	ml_buf_printf(&rn->e.sources, "\"%s\"", sha256 ? sha256 : "");
	return 0;
}

static void add_slicer(struct eval *e, const char *spec)
{
	struct slicer *v = realloc(e->slicers, (e->nslicers + 1) * sizeof *v);
	const char *eq = strchr(spec, '=');
	struct ml_err err;

	if (!v)
		ml_usage_error("out of memory");
	e->slicers = v;
	struct slicer *s = &v[e->nslicers];
	memset(s, 0, sizeof *s);
	if (eq) {
		if (eq == spec || !eq[1])
			ml_usage_error("--slice '%s': give FIELD or NAME=EXPR", spec);
		s->name = strndup(spec, (size_t)(eq - spec));
		if (!(s->expr = ml_jq_compile(eq + 1, &err)))
			ml_usage_error("--slice %s: %s", spec, err.msg);
	} else {
		s->name = strdup(spec);
		s->field = strdup(spec);
	}
	if (!s->name || (!eq && !s->field))
		ml_usage_error("out of memory");
	e->nslicers++;
}

/* The key of a slice group in the overall line's "slices": NAME_VALUE. */
static void group_key(struct ml_buf *b, const struct slicer *s, uint32_t g)
{
	ml_buf_reset(b);
	ml_buf_adds(b, s->name);
	ml_buf_addc(b, '_');
	ml_buf_add(b, s->values.text[g], s->values.len[g]);
	ml_buf_terminate(b);
}

/* The records of group g of slicer s. */
static size_t *group_rows(const struct eval *e, const struct slicer *s, uint32_t g, size_t *n)
{
	size_t *idx = malloc((e->n ? e->n : 1) * sizeof *idx), k = 0;

	if (!idx)
		return NULL;
	for (size_t i = 0; i < e->n; i++)
		if (s->group[i] == g)
			idx[k++] = i;
	*n = k;
	return idx;
}

struct opts {
	size_t bootstrap, bins;
	double confidence;
	uint64_t seed;
	int threads;
	char **require;
	size_t nrequire;
	const char *curves;
};

/* One metrics line (without its closing brace): what was measured, then
 * the metrics and their intervals. */
static int metrics_line(const struct eval *e, const struct rows *rows, const char *slice,
			const struct slicer *by, uint32_t g, const struct opts *o, struct ml_buf *b,
			struct ml_err *err)
{
	const char *const *names;
	size_t nm = ml_metrics_names(e->task, &names);

	ml_buf_adds(b, "{\"format\":\"mlpipe.metrics\",\"version\":1,\"slice\":");
	ml_json_quote(b, slice, strlen(slice));
	if (by) {
		ml_buf_adds(b, ",\"by\":");
		ml_json_quote(b, by->name, strlen(by->name));
		ml_buf_adds(b, ",\"value\":");
		ml_json_quote(b, by->values.text[g], by->values.len[g]);
	}
	ml_buf_printf(b, ",\"task\":\"%s\",\"records\":%zu", ml_task_name(e->task), rows->n);
	if (e->task == ML_TASK_BINARY) {
		ml_buf_adds(b, ",\"threshold\":");
		ml_json_put_double(b, e->threshold);
	}
	double v[16];
	if (metrics_json(e, rows, NULL, b, v, err) < 0)
		return -1;
	/* a metric that cannot be computed is null, and says why */
	if (e->task == ML_TASK_BINARY && e->have_prob) {
		if (isnan(v[4])) {
			ml_buf_adds(b, ",\"notes\":[\"auc needs both classes among the "
				       "labels: these records have one\"]");
			if (!by)
				ml_warn("note: auc is undefined (null): the labels hold one class");
		}
	}
	if (o->bootstrap) {
		double lo[16], hi[16];
		if (bootstrap(e, rows, o->bootstrap, o->seed, o->confidence, o->threads, lo, hi, err) < 0)
			return -1;
		ml_buf_printf(b, ",\"bootstrap\":%zu,\"confidence\":", o->bootstrap);
		ml_json_put_double(b, o->confidence);
		for (size_t m = 0; m < nm; m++) {
			ml_buf_printf(b, ",\"%s_ci\":[", names[m]);
			ml_json_put_double(b, lo[m]);
			ml_buf_addc(b, ',');
			ml_json_put_double(b, hi[m]);
			ml_buf_addc(b, ']');
		}
	}
	return 0;
}

/* --fairness: per group the positive rate, the true positive rate and the
 * accuracy, and the largest gap of each. */
static int fairness_json(const struct eval *e, struct ml_buf *b, struct ml_err *err)
{
	const struct slicer *s = e->fairness;
	static const char *const gap_names[] = {"demographic_parity_difference",
						"equal_opportunity_difference", "accuracy_difference"};
	double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};

	ml_buf_adds(b, ",\"fairness\":{\"by\":");
	ml_json_quote(b, s->name, strlen(s->name));
	ml_buf_adds(b, ",\"groups\":{");
	for (uint32_t g = 0; g < s->values.n; g++) {
		double pos = 0, tp = 0, actual = 0, right = 0, n = 0;
		for (size_t i = 0; i < e->n; i++) {
			if (s->group[i] != g)
				continue;
			int pred = e->have_prob ? e->score[i] >= e->threshold : (int)e->pred_class[i];
			int y = e->y[i] != 0;
			n++;
			pos += pred;
			actual += y;
			tp += pred && y;
			right += pred == y;
		}
		double v[3] = {pos / n, actual ? tp / actual : NAN, right / n};
		if (g)
			ml_buf_addc(b, ',');
		ml_json_quote(b, s->values.text[g], s->values.len[g]);
		ml_buf_printf(b, ":{\"records\":%.0f,\"positive_rate\":", n);
		ml_json_put_double(b, v[0]);
		ml_buf_adds(b, ",\"tpr\":");
		ml_json_put_double(b, v[1]);
		ml_buf_adds(b, ",\"accuracy\":");
		ml_json_put_double(b, v[2]);
		ml_buf_addc(b, '}');
		for (int k = 0; k < 3; k++)
			if (!isnan(v[k])) {
				lo[k] = v[k] < lo[k] ? v[k] : lo[k];
				hi[k] = v[k] > hi[k] ? v[k] : hi[k];
			}
	}
	ml_buf_addc(b, '}');
	for (int k = 0; k < 3; k++) {
		ml_buf_printf(b, ",\"%s\":", gap_names[k]);
		ml_json_put_double(b, hi[k] >= lo[k] ? hi[k] - lo[k] : NAN);
	}
	ml_buf_addc(b, '}');
	(void)err;
	return 0;
}

/* Does every requirement hold on the overall line (with its slices)? */
static int check_requirements(const struct opts *o, const struct ml_buf *overall,
			      struct ml_buf *results, int *all, struct ml_err *err)
{
	struct ml_rec *r = ml_rec_new();
	struct ml_buf why = {0};
	int rc = 0;

	*all = 1;
	if (!r)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (ml_rec_parse(r, overall->data, overall->len, err) < 0) {
		ml_rec_free(r);
		return -1;
	}
	ml_buf_adds(results, ",\"requirements\":[");
	for (size_t i = 0; i < o->nrequire && rc == 0; i++) {
		struct ml_jq *q = ml_jq_compile(o->require[i], err);
		if (!q) {
			rc = ml_err_prefix(err, "--require %s", o->require[i]);
			break;
		}
		int holds = ml_jq_test(q, r, overall->data, overall->len, &why, err);
		ml_jq_free(q);
		if (holds < 0) {
			rc = -1;
			break;
		}
		if (!holds) {
			*all = 0;
			ml_warn("requirement failed: %s (%s)", o->require[i], why.data);
		}
		ml_buf_adds(results, i ? ",{\"expr\":" : "{\"expr\":");
		ml_json_quote(results, o->require[i], strlen(o->require[i]));
		ml_buf_printf(results, ",\"holds\":%s}", holds ? "true" : "false");
	}
	ml_buf_addc(results, ']');
	ml_rec_free(r);
	ml_buf_free(&why);
	return rc;
}

int text_table(const struct ml_buf *lines, enum ml_task task, struct ml_buf *out);

/* Whether path cannot be opened or read (ml_bundle_is_bundle says no for
 * both, and for a readable file that is no bundle); 1 with err saying why. */
static int unreadable(const char *path, struct ml_err *err)
{
	struct ml_in *in = ml_in_open(path, err);
	char c;
	ssize_t got;

	if (!in)
		return 1;
	ml_in_no_hash(in);
	got = ml_in_read(in, &c, 1, err);
	ml_in_close(in);
	return got < 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ML_CLI_COMMON_OPTIONS,
		{"label", required_argument, NULL, 'l'},
		{"output", required_argument, NULL, 'o'},
		{"output-format", required_argument, NULL, 'f'},
		{"pred", required_argument, NULL, OPT_PRED},
		{"prob", required_argument, NULL, OPT_PROB},
		{"task", required_argument, NULL, OPT_TASK},
		{"positive", required_argument, NULL, OPT_POSITIVE},
		{"threshold", required_argument, NULL, OPT_THRESHOLD},
		{"slice", required_argument, NULL, OPT_SLICE},
		{"fairness", required_argument, NULL, OPT_FAIRNESS},
		{"bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
		{"confidence", required_argument, NULL, OPT_CONFIDENCE},
		{"seed", required_argument, NULL, OPT_SEED},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"require", required_argument, NULL, OPT_REQUIRE},
		{"curves", required_argument, NULL, OPT_CURVES},
		{"bins", required_argument, NULL, OPT_BINS},
		{"baseline", required_argument, NULL, OPT_BASELINE},
		{NULL, 0, NULL, 0},
	};
	struct ml_cli cli;
	struct run rn = {0};
	struct eval *e = &rn.e;
	struct opts o = {.bins = 10, .confidence = 0.95, .threads = 2};
	struct ml_predictor pr;
	struct ml_err err;
	struct ml_out *out = NULL, *curves = NULL;
	struct ml_buf lines = {0}, overall = {0}, slices = {0}, line = {0}, key = {0}, curve = {0}, text = {0};
	const char *output = NULL, *format = NULL, *fairness = NULL, *baseline = NULL;
	struct ml_predictor base_pr;
	int have_base = 0;
	int opt, status = ML_EXIT_OK, have_pr = 0, task = -1;

	ml_cli_init(&cli, "ml-eval", usage, argc, argv);
	rn.cli = &cli;
	e->pred = "prediction";
	e->threshold = 0.5;
	while ((opt = getopt_long(argc, argv, ML_CLI_COMMON_SHORT "l:o:f:", longopts, NULL)) != -1) {
		if (ml_cli_common_option(&cli, opt, optarg))
			continue;
		switch (opt) {
		case 'l': e->label = optarg; break;
		case 'o': output = optarg; break;
		case 'f': format = ml_cli_output_format(optarg); break;
		case OPT_PRED: e->pred = optarg; break;
		case OPT_PROB: e->prob = optarg; break;
		case OPT_TASK:
			if ((task = ml_task_parse(optarg)) < 0)
				ml_usage_error("--task: '%s' is not binary, multiclass or regression", optarg);
			break;
		case OPT_POSITIVE: e->positive = optarg; break;
		case OPT_THRESHOLD:
			e->threshold = ml_cli_parse_number("--threshold", optarg);
			if (e->threshold < 0 || e->threshold > 1)
				ml_usage_error("--threshold: between 0 and 1");
			break;
		case OPT_SLICE: add_slicer(e, optarg); break;
		case OPT_FAIRNESS: fairness = optarg; break;
		case OPT_BOOTSTRAP:
			o.bootstrap = ml_cli_parse_count("--bootstrap", optarg);
			if (o.bootstrap > 1000000)
				ml_usage_error("--bootstrap: at most 1000000 resamples");
			break;
		case OPT_CONFIDENCE:
			o.confidence = ml_cli_parse_number("--confidence", optarg);
			if (!(o.confidence > 0 && o.confidence < 1))
				ml_usage_error("--confidence: between 0 and 1, such as 0.95");
			break;
		case OPT_SEED: o.seed = ml_cli_parse_count("--seed", optarg); break;
		case OPT_THREADS:
			o.threads = (int)ml_cli_parse_count("--threads", optarg);
			if (o.threads < 1 || o.threads > 256)
				ml_usage_error("--threads: between 1 and 256");
			break;
		case OPT_REQUIRE: {
			struct ml_jq *q = ml_jq_compile(optarg, &err);
			if (!q)
				ml_usage_error("--require %s: %s", optarg, err.msg);
			ml_jq_free(q);
			char **v = realloc(o.require, (o.nrequire + 1) * sizeof *v);
			if (!v)
				ml_usage_error("out of memory");
			o.require = v;
			o.require[o.nrequire++] = optarg;
			break;
		}
		case OPT_CURVES: o.curves = optarg; break;
		case OPT_BASELINE: baseline = optarg; break;
		case OPT_BINS:
			o.bins = ml_cli_parse_count("--bins", optarg);
			if (o.bins < 1 || o.bins > 10000)
				ml_usage_error("--bins: between 1 and 10000");
			break;
		}
	}
	e->bins = o.bins;
	int as_text = ml_cli_wants_text(format, output);
	/* a first argument that is a bundle scores the records */
	if (optind < argc && strcmp(argv[optind], "-") && ml_bundle_is_bundle(argv[optind])) {
		if (ml_predictor_load(&pr, argv[optind], &err) < 0) {
			ml_warn("%s", err.msg);
			return ML_EXIT_TROUBLE;
		}
		have_pr = 1;
		e->pr = &pr;
		optind++;
		if (!e->label)
			e->label = pr.target;
		if (task >= 0 && task != (int)pr.task)
			ml_usage_error("--task %s: the bundle's model is for a %s task", ml_task_name((enum ml_task)task),
				       ml_task_name(pr.task));
		e->task = pr.task;
		e->task_forced = 1;
		if (e->positive)
			ml_usage_error("--positive is for scored records; a bundle's classes are its own");
		if (!(e->x = malloc(4096 * (pr.enc.ncols ? pr.enc.ncols : 1) * sizeof *e->x)))
			ml_usage_error("out of memory");
	} else {
		/* without --label the first operand must be a bundle: one that
		 * cannot be read is named as such, not taken for records */
		if (!e->label && optind < argc && strcmp(argv[optind], "-") &&
		    unreadable(argv[optind], &err)) {
			ml_warn("%s", err.msg);
			return ML_EXIT_TROUBLE;
		}
		if (!e->label)
			ml_usage_error("no label: give a model bundle, or --label FIELD for scored records");
		if (task >= 0) {
			e->task = (enum ml_task)task;
			e->task_forced = 1;
		}
	}
	if (baseline && strcmp(baseline, "-") && ml_bundle_is_bundle(baseline)) {
		if (!have_pr)
			ml_usage_error("--baseline BUNDLE: the candidate must be a bundle too (or give an "
				       "earlier metrics file)");
		if (ml_predictor_load(&base_pr, baseline, &err) < 0) {
			ml_warn("%s", err.msg);
			return ML_EXIT_TROUBLE;
		}
		have_base = 1;
		if (base_pr.task != pr.task || base_pr.nclass != pr.nclass)
			ml_usage_error("--baseline %s: a model for another task or other classes", baseline);
		for (size_t c = 0; c < pr.nclass; c++)
			if (strcmp(base_pr.class_raw[c], pr.class_raw[c]))
				ml_usage_error("--baseline %s: its classes differ from the candidate's", baseline);
		e->base = &base_pr;
		if (!(e->base_x = malloc(4096 * (base_pr.enc.ncols ? base_pr.enc.ncols : 1) * sizeof *e->base_x)))
			ml_usage_error("out of memory");
	}
	if (fairness) {
		if (!(e->fairness = calloc(1, sizeof *e->fairness)) || !(e->fairness->name = strdup(fairness)) ||
		    !(e->fairness->field = strdup(fairness)))
			ml_usage_error("out of memory");
	}

	ml_cli_distinct_outputs(2, (const char *const[]){output ? "-o" : "the output", "--curves"},
				(const char *const[]){output ? output : "-", o.curves});
	ml_cli_start_run(&cli);
	{
		struct stat st;
		if (have_pr)
			ml_run_input(cli.run, argv[optind - 1],
				     stat(argv[optind - 1], &st) == 0 ? (uint64_t)st.st_size : 0, -1,
				     ml_bundle_sha256(pr.bundle));
	}
	if (baseline) {
		/* what the candidate was measured against is an input of the run */
		struct stat st;
		ml_run_input(cli.run, baseline, stat(baseline, &st) == 0 ? (uint64_t)st.st_size : 0, -1,
			     have_base ? ml_bundle_sha256(base_pr.bundle) : NULL);
	}
	if (!(out = ml_cli_out_open(&cli, output, &err)) ||
	    (o.curves && !(curves = ml_cli_out_open(&cli, o.curves, &err)))) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	struct ml_each each = {.record = on_record, .input_done = on_input, .ctx = &rn, .run = cli.run,
			       .hash = 1, .input_failed = ml_cli_input_failed};
	if (ml_each_record(&each, argv + optind, (size_t)(argc - optind), &err) < 0 ||
	    collect_flush(e, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	/* inputs that could not be read were named as they came; metrics of
	 * the others would pass for metrics of them all, so none are written */
	if (each.failed_inputs) {
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	if (collect_finish(e, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	/* a field no record has a value of makes one group "null": a slice or
	 * a fairness check that a typo would switch off */
	for (size_t i = 0; i < e->nslicers + (e->fairness != NULL); i++) {
		const struct slicer *s = i < e->nslicers ? &e->slicers[i] : e->fairness;
		if (s->field && !s->valued) {
			ml_warn("--%s %s: no record has a value of field '%s'",
				i < e->nslicers ? "slice" : "fairness", s->field, s->field);
			status = ML_EXIT_TROUBLE;
			goto out;
		}
	}
	if (e->fairness && e->task != ML_TASK_BINARY) {
		ml_warn("--fairness: for a binary task; this one is %s", ml_task_name(e->task));
		status = ML_EXIT_TROUBLE;
		goto out;
	}

	/* overall, then every group of every slicer */
	struct rows all = {.idx = NULL, .n = e->n};
	if (metrics_line(e, &all, "overall", NULL, 0, &o, &overall, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	ml_buf_adds(&overall, ",\"label\":");
	ml_json_quote(&overall, e->label, strlen(e->label));
	if (e->task != ML_TASK_REGRESSION) {
		ml_buf_adds(&overall, ",\"classes\":[");
		for (size_t c = 0; c < eval_nclass(e); c++) {
			if (c)
				ml_buf_addc(&overall, ',');
			ml_buf_adds(&overall, class_label(e, c));
		}
		ml_buf_addc(&overall, ']');
	}
	ml_buf_printf(&overall, ",\"bundle\":%s%s%s,\"data\":%s]", have_pr ? "\"" : "",
		      have_pr ? ml_bundle_sha256(pr.bundle) : "null", have_pr ? "\"" : "",
		      e->sources.len ? e->sources.data : "[");
	if (baseline && baseline_json(e, baseline, o.bootstrap, o.seed, o.threads, &overall, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	if (e->fairness && fairness_json(e, &overall, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	if (o.curves && curves_json(e, &all, "overall", o.bins, &curve, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	ml_buf_adds(&slices, ",\"slices\":{");
	size_t nslice = 0;
	for (size_t si = 0; si < e->nslicers; si++) {
		struct slicer *s = &e->slicers[si];
		for (uint32_t g = 0; g < s->values.n; g++) {
			struct rows rows;
			size_t *idx = group_rows(e, s, g, &rows.n);
			if (!idx) {
				ml_warn("out of memory");
				status = ML_EXIT_TROUBLE;
				goto out;
			}
			rows.idx = idx;
			group_key(&key, s, g);
			ml_buf_reset(&line);
			int rc = metrics_line(e, &rows, key.data, s, g, &o, &line, &err);
			if (rc == 0 && o.curves)
				rc = curves_json(e, &rows, key.data, o.bins, &curve, &err);
			free(idx);
			if (rc < 0) {
				status = ml_cli_report(&cli, &err);
				goto out;
			}
			ml_buf_adds(&line, "}\n");
			ml_buf_add(&lines, line.data, line.len);
			/* the slices object of the overall line: each group's metrics */
			if (nslice++)
				ml_buf_addc(&slices, ',');
			ml_json_quote(&slices, key.data, key.len);
			ml_buf_adds(&slices, ":{");
			const char *body = strstr(line.data, ",\"task\":");
			ml_buf_add(&slices, body + 1, line.len - (size_t)(body + 1 - line.data) - 2);
			ml_buf_addc(&slices, '}');
		}
	}
	ml_buf_addc(&slices, '}');
	ml_buf_add(&overall, slices.data, slices.len);
	int all_hold = 1;
	if (o.nrequire) {
		struct ml_buf probe = {0}, results = {0};
		ml_buf_add(&probe, overall.data, overall.len);
		ml_buf_addc(&probe, '}');
		int rc = check_requirements(&o, &probe, &results, &all_hold, &err);
		ml_buf_add(&overall, results.data, results.len);
		ml_buf_free(&probe);
		ml_buf_free(&results);
		if (rc < 0) {
			status = ml_cli_report(&cli, &err);
			goto out;
		}
	}
	ml_buf_adds(&overall, "}\n");
	if (as_text) {
		struct ml_buf both = {0};
		ml_buf_add(&both, overall.data, overall.len);
		ml_buf_add(&both, lines.data, lines.len);
		text_table(&both, e->task, &text);
		ml_out_write(out, text.data, text.len);
		ml_buf_free(&both);
	} else {
		ml_out_write_lines(out, overall.data, overall.len);
		ml_out_write_lines(out, lines.data, lines.len);
	}
	if (curves)
		ml_out_write_lines(curves, curve.data, curve.len);
	if ((curves && ml_cli_commit(&cli, curves, &err) < 0) || ml_cli_commit(&cli, out, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	status = all_hold ? ML_EXIT_OK : ML_EXIT_FAIL;
	if (cli.verbose)
		fprintf(stderr, "ml-eval: %zu records, %s, %zu slices\n", e->n, ml_task_name(e->task), nslice);
out:
	ml_run_counter(cli.run, "records", e->n);
	ml_run_param(cli.run, "task", ml_task_name(e->task));
	ml_out_free(out);
	ml_out_free(curves);
	eval_free(e);
	if (have_pr)
		ml_predictor_free(&pr);
	if (have_base)
		ml_predictor_free(&base_pr);
	free(o.require);
	ml_buf_free(&lines);
	ml_buf_free(&overall);
	ml_buf_free(&slices);
	ml_buf_free(&line);
	ml_buf_free(&key);
	ml_buf_free(&curve);
	ml_buf_free(&text);
	return ml_cli_finish(&cli, status);
}
