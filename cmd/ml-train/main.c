/* ml-train: a model from NDJSON records, as one reproducible bundle. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ml_bundle.h"
#include "ml_cli.h"
#include "ml_in.h"
#include "ml_json.h"
#include "ml_schema.h"
#include "ml_version.h"
#include "ml_worker.h"
#include "search.h"

static const char usage[] =
"Usage: ml-train --target FIELD [OPTION]... [FILE]...\n"
"Train a model on NDJSON records and write it as a model bundle: one\n"
"deterministic tar holding the model, its encoding of the features, the\n"
"schema and profile of the training data, and its metrics.  The same data,\n"
"parameters and seed give the same bundle, byte for byte.\n"
"With no FILE, or when FILE is -, read standard input.\n"
"\n"
"  -t, --target FIELD      the field to predict\n"
"      --task T            binary, multiclass or regression (default: from\n"
"                          the target: strings and booleans are classes, a\n"
"                          number with two values is binary, else regression)\n"
"  -a, --algo A            logistic (liblinear), linear (least squares or\n"
"                          ridge) or gbdt (XGBoost; the default)\n"
"      --features LIST     use only these comma-separated fields\n"
"      --exclude LIST      never use these fields\n"
"      --weight FIELD      a field of sample weights\n"
"      --max-categories N  one-hot a string over its N most frequent values,\n"
"                          the rest as \"other\" (default 20)\n"
"  -p, --param KEY=VALUE   a parameter of the algorithm (repeatable): C,\n"
"                          penalty, eps (logistic); alpha (linear); rounds,\n"
"                          max_depth, eta, ... (gbdt, see ml-train(1))\n"
"      --valid FILE        records to stop boosting early on (gbdt)\n"
"      --early-stop N      stop after N rounds without improvement on --valid\n"
"      --cv K              report K-fold cross-validation (stratified)\n"
"      --grid KEY=V1,V2    try these values by cross-validation and keep the\n"
"                          best (repeatable: the product of the lists)\n"
"      --seed N            fixes folds and the algorithms' random choices\n"
"                          (default 0)\n"
"      --threads N         threads for the backends that use them (default:\n"
"                          the backend's)\n"
"      --report FILE       write the cross-validation table (NDJSON)\n"
"  -o, --output FILE       write the bundle to FILE, replaced only when all\n"
"                          went well (default: standard output, not a terminal)\n"
"Common:\n"
"  -v, --verbose           report what was trained on stderr\n"
ML_CLI_COMMON_HELP
"\n"
"Exit status: 0 success, 2 trouble (bad usage, bad data, I/O error).\n"
"Examples:\n"
"  ml-train --target default --algo gbdt -o model.bundle train.ndjson\n"
"  ml-train -t default -a logistic --grid C=0.01,0.1,1 --cv 5 -o m.bundle < train.ndjson\n";

enum {
	OPT_TASK = ML_OPT_PROGRAM, OPT_FEATURES, OPT_EXCLUDE, OPT_WEIGHT, OPT_MAX_CATEGORIES,
	OPT_VALID, OPT_EARLY_STOP, OPT_CV, OPT_GRID, OPT_SEED, OPT_THREADS, OPT_REPORT,
};

struct train {
	struct table table;
	struct ml_profile *profile;
	struct reader *reader;
};

/* The class (or value) of a record's target, as the training data has it. */
static int target_of(const struct design *d, const struct ml_rec *r, const char *target,
		     double *y, struct ml_buf *tmp, struct ml_err *err)
{
	ssize_t i = ml_rec_find(r, target, strlen(target));
	enum ml_json_type t = i < 0 ? ML_JSON_NULL : ml_rec_type(r, (size_t)i);

	if (t == ML_JSON_NULL)
		return ml_err_set(err, ML_ERR_DATA, "no value for the target '%s'", target);
	if (d->task == ML_TASK_REGRESSION) {
		if (t != ML_JSON_NUMBER)
			return ml_err_set(err, ML_ERR_DATA, "the target '%s' is not a number", target);
		ml_rec_number(r, (size_t)i, y);
		/* --valid is for gbdt, and XGBoost takes the values as floats */
		if (!isfinite((float)*y))
			return ml_err_set(err, ML_ERR_DATA, "field '%s': %g does not fit the model's "
					  "32-bit floats", target, *y);
		return 0;
	}
	struct ml_buf s = {0};
	ml_buf_reset(tmp);
	int rc = ml_rec_value_json(r, (size_t)i, tmp, &s);
	ml_buf_free(&s);
	if (rc < 0 || ml_buf_terminate(tmp) < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	for (size_t c = 0; c < d->nclass; c++)
		if (!strcmp(d->class_raw[c], tmp->data)) {
			*y = (double)c;
			return 0;
		}
	return ml_err_set(err, ML_ERR_DATA, "the target '%s' is %s, not a class of the training data",
			  target, tmp->data);
}

/* A feature of an encoded row that does not fit a 32-bit float (1e39, as
 * ml-predict refuses it), named in err. */
static int row_fits(const struct design *d, const struct ml_rec *r, const float *row,
		    struct ml_err *err)
{
	for (size_t fi = 0; fi < d->enc.nfeatures; fi++) {
		const struct ml_feature *f = &d->enc.features[fi];
		for (size_t k = 0; k < f->width; k++) {
			if (!isinf(row[f->col + k]))
				continue;
			ssize_t at = ml_rec_find(r, f->name, f->name_len);
			double x = INFINITY;
			size_t len = 0;
			const char *text = at < 0 ? "" : ml_rec_value_raw(r, (size_t)at, &len);
			if (at >= 0)
				ml_rec_number(r, (size_t)at, &x);
			return ml_err_set(err, ML_ERR_DATA, "field '%s': %.*s does not fit %s", f->name,
					  len > 32 ? 32 : (int)len, text,
					  isfinite(x) ? "the model's 32-bit floats" : "a double");
		}
	}
	return 0;
}

/* The --valid records, encoded as the training data. */
struct valid_set {
	float *x;
	double *y;
	size_t n, cap;
};

static int read_valid(const char *path, const struct design *d, const char *target,
		      struct valid_set *v, struct ml_run *run, struct ml_err *err)
{
	struct ml_in *in = ml_in_open(path, err);
	struct ml_lines *lines = in ? ml_lines_of(in) : NULL;
	struct ml_rec *r = ml_rec_new();
	struct ml_buf tmp = {0};
	const char *line;
	size_t len, p = d->enc.ncols;
	int got, rc = 0;

	if (!in || !lines || !r) {
		rc = in ? ml_err_set(err, ML_ERR_IO, "out of memory") : -1;
		goto out;
	}
	while ((got = ml_lines_next(lines, &line, &len, err)) > 0) {
		if (!len)
			continue;
		if (v->n == v->cap) {
			size_t cap = v->cap ? v->cap * 2 : 1024;
			float *x = realloc(v->x, cap * p * sizeof *x);
			double *y = x ? realloc(v->y, cap * sizeof *y) : NULL;
			if (x)
				v->x = x;
			if (!x || !y) {
				rc = ml_err_set(err, ML_ERR_IO, "out of memory");
				break;
			}
			v->y = y;
			v->cap = cap;
		}
		if (ml_rec_parse(r, line, len, err) < 0 ||
		    ml_encode_record(&d->enc, r, v->x + v->n * p, &tmp, err) < 0 ||
		    row_fits(d, r, v->x + v->n * p, err) < 0 ||
		    target_of(d, r, target, &v->y[v->n], &tmp, err) < 0) {
			rc = ml_err_prefix(err, "%s:%llu", ml_in_name(in),
					   (unsigned long long)ml_lines_number(lines));
			break;
		}
		v->n++;
	}
	if (got < 0)
		rc = -1;
	ml_run_input(run, ml_in_path(in), ml_in_bytes(in), (int64_t)v->n, ml_in_sha256(in));
out:
	ml_buf_free(&tmp);
	ml_rec_free(r);
	ml_lines_free(lines);
	if (in)
		ml_in_close(in);
	return rc;
}

static void put_params(struct ml_buf *b, const struct ml_params *ps)
{
	ml_buf_addc(b, '{');
	size_t shown = 0;
	/* each key once, its last value, in the order first given */
	for (size_t i = 0; i < ps->n; i++) {
		size_t j;
		for (j = 0; j < i; j++)
			if (!strcmp(ps->keys[j], ps->keys[i]))
				break;
		if (j < i)
			continue;
		if (shown++)
			ml_buf_addc(b, ',');
		ml_json_quote(b, ps->keys[i], strlen(ps->keys[i]));
		ml_buf_addc(b, ':');
		const char *v = ml_params_get(ps, ps->keys[i], "");
		ml_json_quote(b, v, strlen(v));
	}
	ml_buf_addc(b, '}');
}

/* The i-th of k rows spread evenly over n (k <= n): row floor(i n / k),
 * as i q + floor(i r / k) for n = q k + r, which cannot overflow. */
static size_t sample_row(size_t i, size_t k, size_t n)
{
	return i * (n / k) + i * (n % k) / k;
}

/* Mean absolute contribution per feature over a sample of the training
 * rows spread evenly over them: the first rows alone would speak for the
 * oldest records of a file in time order, or for one class of a file
 * sorted by the target. */
static int importance(const struct ml_model *m, const struct design *d, size_t n,
		      struct ml_buf *json, struct ml_err *err)
{
	/* TreeSHAP costs about 1 ms a record for 100 trees of depth 6: a
	 * sample of 200 records, where gain says the rest */
	size_t cap = m->algo == ML_ALGO_GBDT ? 200 : 10000;
	size_t p = d->enc.ncols, rows = n < cap ? n : cap;
	size_t nout = d->task == ML_TASK_MULTICLASS ? d->nclass : 1;
	double *contrib = malloc((rows ? rows : 1) * (p + 1) * sizeof *contrib);
	double *imp = calloc(d->enc.nfeatures ? d->enc.nfeatures : 1, sizeof *imp);
	float *x = malloc((rows ? rows : 1) * p * sizeof *x);

	if (!contrib || !imp || !x) {
		free(contrib);
		free(imp);
		free(x);
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	for (size_t i = 0; i < rows; i++)
		design_rows(d, sample_row(i, rows, n), 1, x + i * p);
	for (size_t c = 0; c < nout; c++) {
		if (ml_model_contributions(m, x, rows, c, contrib, err) < 0) {
			free(contrib);
			free(imp);
			free(x);
			return -1;
		}
		for (size_t i = 0; i < rows; i++)
			for (size_t fi = 0; fi < d->enc.nfeatures; fi++) {
				const struct ml_feature *f = &d->enc.features[fi];
				double s = 0;
				for (size_t k = 0; k < f->width; k++)
					s += contrib[i * (p + 1) + f->col + k];
				imp[fi] += fabs(s) / (double)rows / (double)nout;
			}
	}
	/* trees also say how much each feature's splits gained */
	double *gain = NULL;
	if (m->algo == ML_ALGO_GBDT) {
		if (!(gain = calloc(p ? p : 1, sizeof *gain)) || ml_model_gain(m, gain, err) < 0) {
			if (!gain)
				ml_err_set(err, ML_ERR_IO, "out of memory");
			free(gain);
			free(contrib);
			free(imp);
			free(x);
			return -1;
		}
	}
	ml_buf_adds(json, "[");
	for (size_t fi = 0; fi < d->enc.nfeatures; fi++) {
		const struct ml_feature *f = &d->enc.features[fi];
		ml_buf_adds(json, fi ? ",{\"feature\":" : "{\"feature\":");
		ml_json_quote(json, f->name, f->name_len);
		ml_buf_adds(json, ",\"mean_abs_contribution\":");
		ml_json_put_double(json, imp[fi]);
		if (gain) {
			double g = 0;
			for (size_t k = 0; k < f->width; k++)
				g += gain[f->col + k];
			ml_buf_adds(json, ",\"gain\":");
			ml_json_put_double(json, g);
		}
		ml_buf_addc(json, '}');
	}
	ml_buf_adds(json, "]");
	free(gain);
	free(contrib);
	free(imp);
	free(x);
	return 0;
}

/* The model's scores of the training rows: those training gave, else
 * scored anew (sparse rows a block at a time, made dense). */
static int training_scores(const struct ml_model *m, const struct design *d, double *pred,
			   struct ml_err *err)
{
	enum { BLOCK = 1 << 16 };
	size_t p = d->enc.ncols, rows = d->n < BLOCK ? d->n : BLOCK;

	if (m->fitted) {
		memcpy(pred, m->fitted, d->n * m->nout * sizeof *pred);
		return 0;
	}
	if (d->x)
		return ml_model_predict(m, d->x, d->n, pred, err);
	float *x = malloc((rows ? rows : 1) * p * sizeof *x);
	if (!x)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	for (size_t i = 0; i < d->n; i += BLOCK) {
		size_t k = d->n - i < BLOCK ? d->n - i : BLOCK;
		design_rows(d, i, k, x);
		if (ml_model_predict(m, x, k, pred + i * m->nout, err) < 0) {
			free(x);
			return -1;
		}
	}
	free(x);
	return 0;
}

static int add_member(struct ml_bundle *b, const char *name, const struct ml_buf *text,
		      struct ml_err *err)
{
	return ml_bundle_add(b, name, text->data ? text->data : "", text->len, err);
}

/* The metrics of the model on its training rows, worked out on a thread
 * of their own while this one makes the rest of the bundle (so they read
 * the model and the rows, and never call the backend: see
 * metrics_threadable). */
struct training_metrics {
	const struct ml_model *model;
	const struct design *d;
	const double *w;
	struct ml_buf json;	/* score's object */
	double main_metric;
	int rc;
	struct ml_err err;
};

static void *training_metrics(void *arg)
{
	struct training_metrics *tm = arg;
	const struct design *d = tm->d;
	size_t nout = d->task == ML_TASK_MULTICLASS ? d->nclass : 1;
	double *pred = malloc((d->n ? d->n : 1) * nout * sizeof *pred);

	if (!pred)
		tm->rc = ml_err_set(&tm->err, ML_ERR_IO, "out of memory");
	else if (training_scores(tm->model, d, pred, &tm->err) < 0 ||
		 score(d->task, d->nclass, d->y, pred, tm->w, d->n, &tm->json, &tm->main_metric,
		       &tm->err) < 0)
		tm->rc = -1;
	free(pred);
	return NULL;
}

/* Whether the training metrics may run beside the rest: on many records
 * (else a thread costs more than it saves), and without asking XGBoost
 * to score the rows anew while this thread asks it for contributions
 * (it scores them from its cache). */
static int metrics_threadable(const struct ml_model *m, size_t n)
{
	return n >= ML_WORKER_PARALLEL_ROWS && (m->algo != ML_ALGO_GBDT || m->fitted);
}

/* The bundle's members before metrics.json: the model, its encoding of
 * the features, and the schema and profile of what it was trained on. */
static int model_members(struct ml_bundle *b, const struct ml_model *m, const struct design *d,
			 const struct train *tr, struct ml_err *err)
{
	struct ml_buf member = {0};
	/* the schema of what the model reads: its features, and its label,
	 * which serving data does not have */
	char **schema_fields = calloc(d->enc.nfeatures + 1, sizeof *schema_fields);
	int rc = -1;

	if (!schema_fields)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	for (size_t i = 0; i < d->enc.nfeatures; i++)
		schema_fields[i] = d->enc.features[i].name;
	schema_fields[d->enc.nfeatures] = (char *)tr->table.target;
	struct ml_infer_opts iopts = {.margin = 0, .max_domain = 20, .only = schema_fields,
				      .nonly = d->enc.nfeatures + 1, .optional = tr->table.target,
				      .by = "ml-train"};
	if (ml_model_save(m, &member, err) < 0 || add_member(b, "model.json", &member, err) < 0)
		goto out;
	/* these three say nothing of why they fail: memory */
	ml_buf_reset(&member);
	if (ml_encoding_to_json(&d->enc, &member) < 0) {
		ml_err_set(err, ML_ERR_IO, "out of memory");
		goto out;
	}
	if (add_member(b, "preprocess.json", &member, err) < 0)
		goto out;
	ml_buf_reset(&member);
	if (ml_schema_infer(tr->profile, &iopts, &member) < 0) {
		ml_err_set(err, ML_ERR_IO, "out of memory");
		goto out;
	}
	if (add_member(b, "schema.json", &member, err) < 0)
		goto out;
	ml_buf_reset(&member);
	if (ml_profile_to_ndjson(tr->profile, &member) < 0) {
		ml_err_set(err, ML_ERR_IO, "out of memory");
		goto out;
	}
	rc = add_member(b, "profile.ndjson", &member, err);
out:
	free(schema_fields);
	ml_buf_free(&member);
	return rc;
}

/* The work after training but its metrics: the features' importance (for
 * metrics.json, into imp) and the bundle with its members before
 * metrics.json, into *bundle. */
static int after_training(const struct ml_model *m, const struct design *d, const struct train *tr,
			  struct ml_buf *imp, struct ml_bundle **bundle, struct ml_err *err)
{
	if (importance(m, d, d->n, imp, err) < 0)
		return -1;
	if (!(*bundle = ml_bundle_new()))
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	/* the profile filled while the model trained (see read.c) */
	if (reader_profile(tr->reader, err) < 0)
		return -1;
	return model_members(*bundle, m, d, tr, err);
}

/* The manifest's own keys: what made the model, and from what. */
static void put_manifest(struct ml_buf *b, const struct search *s, const struct ml_model *m,
			 const struct design *d, const struct train *tr, const struct ml_params *chosen,
			 size_t max_categories)
{
	struct ml_buf backend = {0};

	ml_model_backend_version(s->algo, &backend);
	ml_buf_terminate(&backend);
	ml_buf_printf(b, "{\"mlpipe_version\":\"%s\",\"algorithm\":\"%s\",\"backend\":\"%s\","
		      "\"task\":\"%s\",\"target\":", ML_VERSION, ml_algo_name(s->algo), backend.data,
		      ml_task_name(d->task));
	ml_buf_free(&backend);
	ml_json_quote(b, tr->table.target, strlen(tr->table.target));
	ml_buf_adds(b, ",\"classes\":");
	ml_buf_adds(b, d->task == ML_TASK_REGRESSION ? "null" : d->classes.data);
	ml_buf_adds(b, ",\"weight\":");
	if (tr->table.weight)
		ml_json_quote(b, tr->table.weight, strlen(tr->table.weight));
	else
		ml_buf_adds(b, "null");
	ml_buf_adds(b, ",\"features\":[");
	for (size_t i = 0; i < d->enc.nfeatures; i++) {
		const struct ml_feature *f = &d->enc.features[i];
		ml_buf_adds(b, i ? ",{\"name\":" : "{\"name\":");
		ml_json_quote(b, f->name, f->name_len);
		ml_buf_printf(b, ",\"kind\":\"%s\",\"columns\":%zu}", ml_feature_kind_name(f->kind),
			      f->width);
	}
	ml_buf_adds(b, "],\"params\":");
	put_params(b, chosen);
	ml_buf_printf(b, ",\"max_categories\":%zu,\"seed\":%llu", max_categories,
		      (unsigned long long)s->seed);
	/* XGBoost does not promise the same trees for every number of
	 * threads, so they are part of what made the model */
	if (s->algo == ML_ALGO_GBDT)
		ml_buf_printf(b, ",\"threads\":%d,\"rounds\":%llu", s->threads,
			      (unsigned long long)m->rounds);
	ml_buf_printf(b, ",\"training\":{\"records\":%zu,\"bytes\":%llu,\"sources\":%s]}}",
		      d->n, (unsigned long long)reader_bytes(tr->reader), reader_sources(tr->reader));
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ML_CLI_COMMON_OPTIONS,
		{"target", required_argument, NULL, 't'},
		{"algo", required_argument, NULL, 'a'},
		{"param", required_argument, NULL, 'p'},
		{"output", required_argument, NULL, 'o'},
		{"task", required_argument, NULL, OPT_TASK},
		{"features", required_argument, NULL, OPT_FEATURES},
		{"exclude", required_argument, NULL, OPT_EXCLUDE},
		{"weight", required_argument, NULL, OPT_WEIGHT},
		{"max-categories", required_argument, NULL, OPT_MAX_CATEGORIES},
		{"valid", required_argument, NULL, OPT_VALID},
		{"early-stop", required_argument, NULL, OPT_EARLY_STOP},
		{"cv", required_argument, NULL, OPT_CV},
		{"grid", required_argument, NULL, OPT_GRID},
		{"seed", required_argument, NULL, OPT_SEED},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"report", required_argument, NULL, OPT_REPORT},
		{NULL, 0, NULL, 0},
	};
	struct ml_cli cli;
	struct train tr = {0};
	struct design d = {0};
	struct search s = {.algo = ML_ALGO_GBDT};
	struct ml_params params = {0};
	struct ml_model model = {0};
	struct ml_err err;
	struct ml_out *out = NULL, *report = NULL;
	struct ml_bundle *bundle = NULL;
	struct ml_buf manifest = {0}, metrics = {0}, member = {0}, cvjson = {0}, table = {0}, imp = {0};
	struct valid_set valid = {0};
	const char *output = NULL, *valid_path = NULL, *report_path = NULL;
	size_t max_categories = 20;
	uint64_t early_stop = 0;
	int opt, task = -1, status = ML_EXIT_OK;
	unsigned *fold = NULL;
	double cv_mean = NAN, cv_sd = NAN;
	size_t best = 0;
	struct ml_params chosen = {0};
	int chosen_owned = 0;
	struct training_metrics tm = {0};

	ml_cli_init(&cli, "ml-train", usage, argc, argv);
	while ((opt = getopt_long(argc, argv, ML_CLI_COMMON_SHORT "t:a:p:o:", longopts, NULL)) != -1) {
		if (ml_cli_common_option(&cli, opt, optarg))
			continue;
		switch (opt) {
		case 't': tr.table.target = optarg; break;
		case 'a': {
			int a = ml_algo_parse(optarg);
			if (a < 0)
				ml_usage_error("--algo: '%s' is not logistic, linear or gbdt", optarg);
			s.algo = (enum ml_algo)a;
			break;
		}
		case 'p': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				ml_usage_error("--param '%s': give KEY=VALUE", optarg);
			params.keys = realloc(params.keys, (params.n + 1) * sizeof *params.keys);
			params.values = realloc(params.values, (params.n + 1) * sizeof *params.values);
			if (!params.keys || !params.values)
				ml_usage_error("out of memory");
			*eq = '\0';
			params.keys[params.n] = optarg;
			params.values[params.n++] = eq + 1;
			break;
		}
		case 'o': output = optarg; break;
		case OPT_TASK:
			if ((task = ml_task_parse(optarg)) < 0)
				ml_usage_error("--task: '%s' is not binary, multiclass or regression", optarg);
			break;
		case OPT_FEATURES: ml_cli_split_list(optarg, &tr.table.only, &tr.table.nonly); break;
		case OPT_EXCLUDE: ml_cli_split_list(optarg, &tr.table.exclude, &tr.table.nexclude); break;
		case OPT_WEIGHT: tr.table.weight = optarg; break;
		case OPT_MAX_CATEGORIES:
			max_categories = ml_cli_parse_count("--max-categories", optarg);
			if (max_categories > 10000)
				ml_usage_error("--max-categories: at most 10000");
			break;
		case OPT_VALID: valid_path = optarg; break;
		case OPT_EARLY_STOP:
			early_stop = ml_cli_parse_count("--early-stop", optarg);
			if (!early_stop)
				ml_usage_error("--early-stop: at least 1");
			break;
		case OPT_CV:
			s.folds = (unsigned)ml_cli_parse_count("--cv", optarg);
			if (s.folds < 2 || s.folds > 100)
				ml_usage_error("--cv: between 2 and 100 folds");
			break;
		case OPT_GRID:
			if (grid_add(&s, optarg, &err) < 0)
				ml_usage_error("%s", err.msg);
			break;
		case OPT_SEED: s.seed = ml_cli_parse_count("--seed", optarg); break;
		case OPT_THREADS:
			s.threads = (int)ml_cli_parse_count("--threads", optarg);
			if (s.threads > 1024)
				ml_usage_error("--threads: at most 1024");
			break;
		case OPT_REPORT: report_path = optarg; break;
		}
	}
	if (!tr.table.target)
		ml_usage_error("no target: give --target FIELD");
	if (tr.table.weight && !strcmp(tr.table.weight, tr.table.target))
		ml_usage_error("--weight: the target cannot be its own weight");
	tr.table.float_labels = s.algo == ML_ALGO_GBDT;
	/* --features is the features' list, in order: a name twice would be
	 * two features of one field (--exclude is a set, and a repeat there
	 * says nothing more) */
	for (size_t i = 0; i < tr.table.nonly; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(tr.table.only[i], tr.table.only[j]))
				ml_usage_error("--features: '%s' is given twice", tr.table.only[i]);
	if (ml_model_check_params(s.algo, &params, &err) < 0)
		ml_usage_error("%s", err.msg);
	for (size_t i = 0; i < s.naxes; i++) {
		for (size_t j = 0; j < s.axes[i].nvalues; j++) {
			struct ml_params one = {.keys = &s.axes[i].key, .values = &s.axes[i].values[j], .n = 1};
			if (ml_model_check_params(s.algo, &one, &err) < 0)
				ml_usage_error("--grid: %s", err.msg);
		}
	}
	if ((valid_path || early_stop) && s.algo != ML_ALGO_GBDT)
		ml_usage_error("--valid and --early-stop are for --algo gbdt");
	if (!valid_path != !early_stop)
		ml_usage_error("--valid FILE and --early-stop N go together");
	if (s.naxes && !s.folds)
		s.folds = 5;
	if (report_path && !s.folds)
		ml_usage_error("--report writes the cross-validation table: give --cv K or --grid");
	if (!output && isatty(STDOUT_FILENO))
		ml_usage_error("a bundle is binary: give -o FILE or redirect standard output");
	ml_cli_distinct_outputs(2, (const char *const[]){output ? "-o" : "the output", "--report"},
				(const char *const[]){output ? output : "-", report_path});

	ml_cli_start_run(&cli);
	struct ml_profile_opts popts = {0};
	if (!(tr.profile = ml_profile_new(&popts)) ||
	    !(tr.reader = reader_start(&cli, &tr.table, tr.profile))) {
		ml_warn("out of memory");
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	if (!(out = ml_cli_out_open(&cli, output, &err)) ||
	    (report_path && !(report = ml_cli_out_open(&cli, report_path, &err)))) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	uint64_t failed_inputs = 0;
	int read_rc = reader_read(tr.reader, argv + optind, (size_t)(argc - optind), &failed_inputs, &err);
	/* inputs that could not be read were named as they came; a model of
	 * the others would pass for a model of them all, so none is written */
	if (read_rc == 0 && failed_inputs) {
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	if (read_rc < 0 ||
	    design_build(&d, &tr.table, task, s.algo != ML_ALGO_GBDT, max_categories, &err) < 0 ||
	    (valid_path && read_valid(valid_path, &d, tr.table.target, &valid, cli.run, &err) < 0)) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	size_t n = tr.table.nrows, p = d.enc.ncols;

	/* cross-validation, over the grid when there is one */
	chosen = params;
	if (s.folds) {
		if (!(fold = malloc(n * sizeof *fold)) || make_folds(&d, n, s.folds, s.seed, fold) < 0) {
			ml_warn("out of memory");
			status = ML_EXIT_TROUBLE;
			goto out;
		}
		size_t settings = grid_size(&s);
		double best_mean = NAN, best_sd = NAN;
		ml_buf_addc(&table, '[');
		for (size_t g = 0; g < settings; g++) {
			struct ml_params ps;
			double mean, sd;
			ml_buf_reset(&cvjson);
			if (grid_setting(&s, &params, g, &ps) < 0 ||
			    cross_validate(&d, tr.table.w, &s, &ps, fold, &mean, &sd, &cvjson, &err) < 0) {
				grid_setting_free(&ps);
				status = ml_cli_report(&cli, &err);
				goto out;
			}
			ml_buf_reset(&member);
			ml_buf_adds(&member, "{\"params\":");
			put_params(&member, &ps);
			ml_buf_printf(&member, ",\"metric\":\"%s\",\"mean\":", score_main_name(d.task));
			ml_json_put_double(&member, mean);
			ml_buf_adds(&member, ",\"std\":");
			ml_json_put_double(&member, sd);
			ml_buf_adds(&member, ",\"folds\":");
			ml_buf_add(&member, cvjson.data, cvjson.len);
			ml_buf_addc(&member, '}');
			if (g)
				ml_buf_addc(&table, ',');
			ml_buf_add(&table, member.data, member.len);
			if (report) {
				ml_out_write(report, member.data, member.len);
				ml_out_end_record(report);
			}
			/* the best mean, the first setting when none has one:
			 * cv then shows that setting's mean and std */
			if (g == 0 || mean > best_mean || (isnan(best_mean) && !isnan(mean))) {
				best_mean = mean;
				best_sd = sd;
				best = g;
			}
			grid_setting_free(&ps);
		}
		ml_buf_addc(&table, ']');
		cv_mean = best_mean;
		cv_sd = best_sd;
		if (s.naxes) {
			if (grid_setting(&s, &params, best, &chosen) < 0) {
				ml_warn("out of memory");
				status = ML_EXIT_TROUBLE;
				goto out;
			}
			chosen_owned = 1;
		}
	}

	/* the model, on all the records */
	struct ml_dataset all = design_data(&d, tr.table.w);
	struct ml_dataset vset = {.x = valid.x, .n = valid.n, .p = p, .y = valid.y};
	if (ml_model_train(&model, s.algo, d.task, d.nclass, &chosen, &all, valid_path ? &vset : NULL,
			   early_stop, s.seed, s.threads, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	/* the training metrics beside the importance and the members (on a
	 * million records and 100 trees, a tenth of a second or more each,
	 * that one thread did one after the other); errors are reported in
	 * the order one thread meets them: the metrics' first */
	tm = (struct training_metrics){.model = &model, .d = &d, .w = tr.table.w};
	pthread_t metrics_thread;
	int threaded = metrics_threadable(&model, n) &&
		       pthread_create(&metrics_thread, NULL, training_metrics, &tm) == 0;
	if (!threaded)
		training_metrics(&tm);
	/* tm is the thread's until it is joined */
	int after_rc = 0;
	if (threaded || tm.rc == 0)
		after_rc = after_training(&model, &d, &tr, &imp, &bundle, &err);
	if (threaded)
		pthread_join(metrics_thread, NULL);
	if (tm.rc < 0 || after_rc < 0) {
		status = ml_cli_report(&cli, tm.rc < 0 ? &tm.err : &err);
		goto out;
	}
	ml_buf_adds(&metrics, "{\"training\":");
	ml_buf_add(&metrics, tm.json.data, tm.json.len);
	if (s.folds) {
		ml_buf_printf(&metrics, ",\"cv\":{\"folds\":%u,\"metric\":\"%s\",\"mean\":", s.folds,
			      score_main_name(d.task));
		ml_json_put_double(&metrics, cv_mean);
		ml_buf_adds(&metrics, ",\"std\":");
		ml_json_put_double(&metrics, cv_sd);
		ml_buf_adds(&metrics, "},\"search\":");
		ml_buf_add(&metrics, table.data, table.len);
	}
	ml_buf_adds(&metrics, ",\"importance\":");
	ml_buf_add(&metrics, imp.data, imp.len);
	ml_buf_adds(&metrics, "}\n");

	/* the bundle: the manifest's own keys, then the members */
	put_manifest(&manifest, &s, &model, &d, &tr, &chosen, max_categories);
	if (add_member(bundle, "metrics.json", &metrics, &err) < 0 ||
	    ml_bundle_write(bundle, manifest.data, manifest.len, out, &err) < 0 ||
	    (report && ml_cli_commit(&cli, report, &err) < 0) ||
	    ml_cli_commit(&cli, out, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	if (cli.verbose) {
		fprintf(stderr, "ml-train: %s %s on %zu records, %zu features (%zu columns); training %s %.4g",
			ml_algo_name(s.algo), ml_task_name(d.task), n, d.enc.nfeatures, p,
			score_main_name(d.task), tm.main_metric);
		if (s.folds)
			fprintf(stderr, ", %u-fold cv %.4g +- %.2g", s.folds, cv_mean, cv_sd);
		fputc('\n', stderr);
	}
out:
	ml_run_param(cli.run, "algo", ml_algo_name(s.algo));
	{
		struct ml_buf pj = {0};
		put_params(&pj, chosen.n ? &chosen : &params);
		ml_buf_terminate(&pj);
		ml_run_param_json(cli.run, "params", pj.data);
		ml_buf_reset(&pj);
		ml_buf_printf(&pj, "%llu", (unsigned long long)s.seed);
		ml_buf_terminate(&pj);
		ml_run_param_json(cli.run, "seed", pj.data);
		ml_buf_reset(&pj);
		ml_buf_printf(&pj, "%u", s.folds);
		ml_buf_terminate(&pj);
		ml_run_param_json(cli.run, "cv", pj.data);
		ml_buf_reset(&pj);
		ml_buf_printf(&pj, "%d", s.threads);
		ml_buf_terminate(&pj);
		ml_run_param_json(cli.run, "threads", pj.data);
		ml_buf_free(&pj);
		if (d.enc.nfeatures)
			ml_run_param(cli.run, "task", ml_task_name(d.task));
	}
	if (tr.table.target)
		ml_run_param(cli.run, "target", tr.table.target);
	ml_run_counter(cli.run, "records", tr.table.nrows);
	ml_run_counter(cli.run, "features", d.enc.nfeatures);
	if (chosen_owned)
		grid_setting_free(&chosen);
	ml_bundle_free(bundle);
	ml_out_free(out);
	ml_out_free(report);
	ml_model_free(&model);
	design_free(&d);
	table_free(&tr.table);
	reader_free(tr.reader);
	ml_profile_free(tr.profile);
	search_free(&s);
	free(params.keys);
	free(params.values);
	free(fold);
	ml_buf_free(&tm.json);
	ml_buf_free(&imp);
	free(valid.x);
	free(valid.y);
	ml_buf_free(&manifest);
	ml_buf_free(&metrics);
	ml_buf_free(&member);
	ml_buf_free(&cvjson);
	ml_buf_free(&table);
	ml_cli_free_list(tr.table.only, tr.table.nonly);
	ml_cli_free_list(tr.table.exclude, tr.table.nexclude);
	return ml_cli_finish(&cli, status);
}
