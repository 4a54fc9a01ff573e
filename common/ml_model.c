/* The learning algorithms: dispatch, least squares, logistic regression
 * through liblinear (see ml_model.h); trees are in ml_model_gbdt.c. */
#include <errno.h>
#include <jv.h>
#include <linear.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "ml_model.h"
#include "ml_model_impl.h"
#include "ml_worker.h"

const char *ml_algo_name(enum ml_algo a)
{
	static const char *const names[] = {"logistic", "linear", "gbdt"};
	return names[a];
}

const char *ml_task_name(enum ml_task t)
{
	static const char *const names[] = {"binary", "multiclass", "regression"};
	return names[t];
}

int ml_algo_parse(const char *s)
{
	for (int a = 0; a < 3; a++)
		if (!strcmp(s, ml_algo_name((enum ml_algo)a)))
			return a;
	return -1;
}

int ml_task_parse(const char *s)
{
	for (int t = 0; t < 3; t++)
		if (!strcmp(s, ml_task_name((enum ml_task)t)))
			return t;
	return -1;
}

const char *ml_params_get(const struct ml_params *ps, const char *key, const char *def)
{
	/* the last one given wins, as with repeated options everywhere */
	for (size_t i = ps->n; i-- > 0;)
		if (!strcmp(ps->keys[i], key))
			return ps->values[i];
	return def;
}

int ml_param_number(const char *key, const char *s, double lo, double hi, double *out,
		    struct ml_err *err)
{
	if (ml_decimal(s, out) < 0)
		return ml_err_set(err, ML_ERR_USAGE, "--param %s=%s: not a number", key, s);
	if (*out < lo || *out > hi)
		return ml_err_set(err, ML_ERR_USAGE, "--param %s=%s: not between %g and %g", key, s, lo, hi);
	return 0;
}

int ml_model_check_params(enum ml_algo a, const struct ml_params *ps, struct ml_err *err)
{
	double x;

	for (size_t i = 0; i < ps->n; i++) {
		const char *k = ps->keys[i], *v = ps->values[i];
		int rc = 0;
		if (a == ML_ALGO_LOGISTIC) {
			if (!strcmp(k, "C"))
				rc = ml_param_number(k, v, 1e-12, 1e12, &x, err);
			else if (!strcmp(k, "eps"))
				rc = ml_param_number(k, v, 1e-15, 1, &x, err);
			else if (!strcmp(k, "penalty")) {
				if (strcmp(v, "l1") && strcmp(v, "l2"))
					rc = ml_err_set(err, ML_ERR_USAGE, "--param penalty=%s: l1 or l2", v);
			} else
				rc = ml_err_set(err, ML_ERR_USAGE,
						"--param %s: logistic takes C, penalty (l1, l2) and eps", k);
		} else if (a == ML_ALGO_LINEAR) {
			if (!strcmp(k, "alpha"))
				rc = ml_param_number(k, v, 0, 1e12, &x, err);
			else
				rc = ml_err_set(err, ML_ERR_USAGE, "--param %s: linear takes alpha", k);
		} else {
			rc = ml_gbdt_check_param(k, v, err);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* --- least squares and ridge --------------------------------------------- */

/* Solves A x = b for symmetric positive definite A (n x n, overwritten by
 * its Cholesky factor); -1 when A is not positive definite. */
static int cholesky_solve(double *A, double *b, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		double d = A[j * n + j];
		for (size_t k = 0; k < j; k++)
			d -= A[j * n + k] * A[j * n + k];
		if (!(d > 0))
			return -1;
		d = sqrt(d);
		A[j * n + j] = d;
		for (size_t i = j + 1; i < n; i++) {
			double s = A[i * n + j];
			for (size_t k = 0; k < j; k++)
				s -= A[i * n + k] * A[j * n + k];
			A[i * n + j] = s / d;
		}
	}
	for (size_t i = 0; i < n; i++) {
		double s = b[i];
		for (size_t k = 0; k < i; k++)
			s -= A[i * n + k] * b[k];
		b[i] = s / A[i * n + i];
	}
	for (size_t i = n; i-- > 0;) {
		double s = b[i];
		for (size_t k = i + 1; k < n; k++)
			s -= A[k * n + i] * b[k];
		b[i] = s / A[i * n + i];
	}
	return 0;
}

/* Least squares with an unpenalised intercept: the normal equations of the
 * rows with a constant column appended, alpha added to the diagonal of the
 * feature block (ridge).  With alpha 0 and collinear columns (one-hot
 * columns sum to the constant) the system is singular; a ridge of 1e-10 of
 * the mean diagonal then picks the smallest-norm-like solution, whose
 * predictions are the least-squares ones. */
static int train_linear(struct ml_model *m, const struct ml_params *ps, const struct ml_dataset *d,
			struct ml_err *err)
{
	size_t p = d->p, q = p + 1;
	double alpha, *A = calloc(q * q, sizeof *A), *b = calloc(q, sizeof *b), *A0 = NULL, *b0 = NULL;
	double *row = malloc(q * sizeof *row);

	if (ml_param_number("alpha", ml_params_get(ps, "alpha", "0"), 0, 1e12, &alpha, err) < 0)
		goto fail;
	if (!A || !b || !row) {
		ml_err_set(err, ML_ERR_IO, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < d->n; i++) {
		const float *x = d->x + i * p;
		double w = d->w ? d->w[i] : 1;
		for (size_t j = 0; j < p; j++)
			row[j] = isnan(x[j]) ? 0 : x[j];
		row[p] = 1;
		for (size_t j = 0; j < q; j++) {
			double wj = w * row[j];
			if (wj == 0)
				continue;
			double *Aj = A + j * q;
			for (size_t k = 0; k <= j; k++)
				Aj[k] += wj * row[k];
			b[j] += wj * d->y[i];
		}
	}
	for (size_t j = 0; j < q; j++)
		for (size_t k = 0; k < j; k++)
			A[k * q + j] = A[j * q + k];
	double trace = 0;
	for (size_t j = 0; j < p; j++) {
		trace += A[j * q + j];
		A[j * q + j] += alpha;
	}
	A0 = malloc(q * q * sizeof *A0);
	b0 = malloc(q * sizeof *b0);
	if (!A0 || !b0) {
		ml_err_set(err, ML_ERR_IO, "out of memory");
		goto fail;
	}
	memcpy(A0, A, q * q * sizeof *A);
	memcpy(b0, b, q * sizeof *b);
	if (cholesky_solve(A, b, q) < 0) {
		double jitter = 1e-10 * (p ? trace / (double)p : 1) + 1e-300;
		memcpy(A, A0, q * q * sizeof *A);
		memcpy(b, b0, q * sizeof *b);
		for (size_t j = 0; j < p; j++)
			A[j * q + j] += jitter;
		if (cholesky_solve(A, b, q) < 0) {
			ml_err_set(err, ML_ERR_DATA, "the least-squares system cannot be solved "
				   "(no rows with weight, or a column that is not finite)");
			goto fail;
		}
	}
	m->coef = b;
	b = NULL;
	free(A);
	free(A0);
	free(b0);
	free(row);
	return 0;
fail:
	free(A);
	free(b);
	free(A0);
	free(b0);
	free(row);
	return -1;
}

/* --- logistic regression through liblinear -------------------------------- */

static void liblinear_quiet(const char *s)
{
	(void)s;
}

/* Rows [first, end) of x in liblinear's form, one half of the matrix: its
 * non-zero cells counted, then written from nodes on (the halves share one
 * array, the low half first).  Measured on a million rows of 47 columns:
 * a tenth of a second on one thread, while the other core waited. */
struct sparse_half {
	const float *x;
	size_t p, first, end;
	size_t nnz;
	struct feature_node **rows, *nodes;
	int fill;		/* 0: count, 1: write */
};

static void *sparse_half_work(void *arg)
{
	struct sparse_half *h = arg;
	size_t p = h->p;

	if (!h->fill) {
		size_t nnz = 0;
		for (size_t i = h->first * p; i < h->end * p; i++)
			nnz += h->x[i] != 0 && !isnan(h->x[i]);
		h->nnz = nnz;
		return NULL;
	}
	struct feature_node *at = h->nodes;
	for (size_t i = h->first; i < h->end; i++) {
		const float *x = h->x + i * p;
		h->rows[i] = at;
		for (size_t j = 0; j < p; j++)
			if (x[j] != 0 && !isnan(x[j]))
				*at++ = (struct feature_node){(int)j + 1, x[j]};
		*at++ = (struct feature_node){(int)p + 1, 1};
		*at++ = (struct feature_node){-1, 0};
	}
	return NULL;
}

/* liblinear is sparse: each row lists its non-zero columns, then the bias
 * column (index p + 1, value 1), then index -1. */
static int train_logistic(struct ml_model *m, const struct ml_params *ps, const struct ml_dataset *d,
			  uint64_t seed, struct ml_err *err)
{
	size_t p = d->p;
	double C, eps;
	const char *penalty = ml_params_get(ps, "penalty", "l2");
	struct problem prob = {0};
	struct parameter param = {0};
	struct feature_node *nodes = NULL;
	struct model *lm = NULL;
	int rc = -1;

	if (d->w)
		return ml_err_set(err, ML_ERR_USAGE, "--weight: liblinear's logistic regression takes no "
				  "sample weights (use --algo gbdt)");
	if (ml_param_number("C", ml_params_get(ps, "C", "1"), 1e-12, 1e12, &C, err) < 0 ||
	    ml_param_number("eps", ml_params_get(ps, "eps", "0.01"), 1e-15, 1, &eps, err) < 0)
		return -1;
	int parallel = d->n >= ML_WORKER_PARALLEL_ROWS;
	struct sparse_half low = {.x = d->x, .p = p, .first = 0, .end = d->n / 2},
			   high = {.x = d->x, .p = p, .first = d->n / 2, .end = d->n};
	ml_worker_two(sparse_half_work, &low, &high, parallel);
	prob.l = (int)d->n;
	prob.n = (int)p + 1;
	prob.bias = 1;
	prob.y = (double *)d->y;
	prob.x = malloc((d->n ? d->n : 1) * sizeof *prob.x);
	nodes = malloc((low.nnz + high.nnz + 2 * d->n) * sizeof *nodes);
	if (!prob.x || !nodes) {
		ml_err_set(err, ML_ERR_IO, "out of memory");
		goto out;
	}
	low.fill = high.fill = 1;
	low.rows = high.rows = prob.x;
	low.nodes = nodes;
	high.nodes = nodes + low.nnz + 2 * low.end;
	ml_worker_two(sparse_half_work, &low, &high, parallel);
	param.solver_type = strcmp(penalty, "l1") ? L2R_LR : L1R_LR;
	param.C = C;
	param.eps = eps;
	set_print_string_function(liblinear_quiet);
	const char *why = check_parameter(&prob, &param);
	if (why) {
		ml_err_set(err, ML_ERR_USAGE, "liblinear: %s", why);
		goto out;
	}
	/* liblinear draws from rand() (the L1 solver's permutations) */
	srand((unsigned)seed);
	if (!(lm = train(&prob, &param))) {
		ml_err_set(err, ML_ERR_IO, "liblinear could not train");
		goto out;
	}
	/* our coefficients: per output class c, the decision function of the
	 * liblinear label that is c (for two classes, class 1's) */
	int nl = get_nr_class(lm), *labels = malloc((size_t)nl * sizeof *labels);
	if (!labels || !(m->coef = calloc(m->nout * (p + 1), sizeof *m->coef))) {
		free(labels);
		ml_err_set(err, ML_ERR_IO, "out of memory");
		goto out;
	}
	get_labels(lm, labels);
	for (size_t o = 0; o < m->nout; o++) {
		int cls = m->task == ML_TASK_BINARY ? 1 : (int)o, k = -1;
		for (int l = 0; l < nl; l++)
			if (labels[l] == cls)
				k = l;
		double *w = m->coef + o * (p + 1);
		if (k < 0) {
			/* a class never seen in these rows (a fold): never predicted */
			w[p] = -INFINITY;
			continue;
		}
		if (nl == 2 && m->task == ML_TASK_MULTICLASS) {
			/* two of several classes in a fold: one decision function */
			double sign = k == 0 ? 1 : -1;
			for (size_t j = 0; j < p; j++)
				w[j] = sign * get_decfun_coef(lm, (int)j + 1, 0);
			w[p] = sign * get_decfun_bias(lm, 0);
			continue;
		}
		for (size_t j = 0; j < p; j++)
			w[j] = get_decfun_coef(lm, (int)j + 1, k);
		w[p] = get_decfun_bias(lm, k);
	}
	free(labels);
	rc = 0;
out:
	if (lm)
		free_and_destroy_model(&lm);
	free(prob.x);
	free(nodes);
	return rc;
}

/* --- dispatch -------------------------------------------------------------- */

int ml_model_train(struct ml_model *m, enum ml_algo a, enum ml_task t, size_t nclass,
		   const struct ml_params *ps, const struct ml_dataset *d,
		   const struct ml_dataset *valid, uint64_t early_stop, uint64_t seed,
		   int threads, struct ml_err *err)
{
	memset(m, 0, sizeof *m);
	m->algo = a;
	m->task = t;
	m->p = d->p;
	m->nclass = t == ML_TASK_REGRESSION ? 0 : nclass;
	m->nout = t == ML_TASK_MULTICLASS ? nclass : 1;
	if (ml_model_check_params(a, ps, err) < 0)
		return -1;
	if (!d->n)
		return ml_err_set(err, ML_ERR_DATA, "no training records");
	if (!d->x && a != ML_ALGO_GBDT)
		return ml_err_set(err, ML_ERR_USAGE, "--algo %s takes dense rows", ml_algo_name(a));
	switch (a) {
	case ML_ALGO_LINEAR:
		if (t != ML_TASK_REGRESSION)
			return ml_err_set(err, ML_ERR_USAGE, "--algo linear is for regression; "
					  "for a %s task use logistic or gbdt", ml_task_name(t));
		return train_linear(m, ps, d, err);
	case ML_ALGO_LOGISTIC:
		if (t == ML_TASK_REGRESSION)
			return ml_err_set(err, ML_ERR_USAGE, "--algo logistic is for classification; "
					  "for regression use linear or gbdt");
		return train_logistic(m, ps, d, seed, err);
	case ML_ALGO_GBDT:
		return ml_gbdt_train(m, ps, d, valid, early_stop, seed, threads, err);
	}
	return -1;
}

/* The raw scores of row x: nout values. */
static void linear_raw(const struct ml_model *m, const float *x, double *raw)
{
	size_t p = m->p;

	for (size_t o = 0; o < m->nout; o++) {
		const double *w = m->coef + o * (p + 1);
		double s = w[p];
		for (size_t j = 0; j < p; j++)
			if (x[j] != 0 && !isnan(x[j]))
				s += w[j] * x[j];
		raw[o] = s;
	}
}

/* A linear model's scores of rows [first, end): each row on its own, so
 * that the halves of a long matrix can go to two threads. */
struct linear_rows {
	const struct ml_model *m;
	const float *x;
	size_t first, end;
	double *out;
};

static void *linear_predict_rows(void *arg)
{
	const struct linear_rows *r = arg;
	const struct ml_model *m = r->m;

	for (size_t i = r->first; i < r->end; i++) {
		double *o = r->out + i * m->nout;
		linear_raw(m, r->x + i * m->p, o);
		if (m->task == ML_TASK_BINARY) {
			o[0] = 1 / (1 + exp(-o[0]));
		} else if (m->task == ML_TASK_MULTICLASS) {
			/* one-vs-rest, normalised, as liblinear's predict_probability */
			double sum = 0;
			for (size_t c = 0; c < m->nout; c++)
				sum += o[c] = 1 / (1 + exp(-o[c]));
			for (size_t c = 0; c < m->nout; c++)
				o[c] /= sum;
		}
	}
	return NULL;
}

int ml_model_predict(const struct ml_model *m, const float *x, size_t n, double *out,
		     struct ml_err *err)
{
	if (m->algo == ML_ALGO_GBDT)
		return ml_gbdt_predict(m, x, n, out, err);
	struct linear_rows low = {m, x, 0, n / 2, out}, high = {m, x, n / 2, n, out};
	ml_worker_two(linear_predict_rows, &low, &high, n >= ML_WORKER_PARALLEL_ROWS);
	return 0;
}

int ml_model_contributions(const struct ml_model *m, const float *x, size_t n, size_t cls,
			   double *out, struct ml_err *err)
{
	size_t p = m->p;

	if (m->algo == ML_ALGO_GBDT)
		return ml_gbdt_contributions(m, x, n, cls, out, err);
	const double *w = m->coef + (m->nout > 1 ? cls : 0) * (p + 1);
	for (size_t i = 0; i < n; i++) {
		const float *r = x + i * p;
		double *o = out + i * (p + 1);
		for (size_t j = 0; j < p; j++)
			o[j] = isnan(r[j]) ? 0 : w[j] * r[j];
		o[p] = w[p];
	}
	return 0;
}

int ml_model_gain(const struct ml_model *m, double *gain, struct ml_err *err)
{
	if (m->algo != ML_ALGO_GBDT)
		return ml_err_set(err, ML_ERR_USAGE, "gain is for trees");
	return ml_gbdt_gain(m, gain, err);
}

int ml_model_save(const struct ml_model *m, struct ml_buf *out, struct ml_err *err)
{
	if (m->algo == ML_ALGO_GBDT)
		return ml_gbdt_save(m, out, err);
	ml_buf_printf(out, "{\"algo\":\"%s\",\"outputs\":%zu,\"columns\":%zu,\"coef\":[",
		      ml_algo_name(m->algo), m->nout, m->p);
	for (size_t o = 0; o < m->nout; o++) {
		const double *w = m->coef + o * (m->p + 1);
		ml_buf_adds(out, o ? ",\n[" : "\n[");
		for (size_t j = 0; j < m->p; j++) {
			if (j)
				ml_buf_addc(out, ',');
			ml_json_put_double(out, w[j]);
		}
		ml_buf_addc(out, ']');
	}
	ml_buf_adds(out, "],\"intercept\":[");
	for (size_t o = 0; o < m->nout; o++) {
		if (o)
			ml_buf_addc(out, ',');
		ml_json_put_double(out, m->coef[o * (m->p + 1) + m->p]);
	}
	ml_buf_adds(out, "]}\n");
	if (ml_buf_terminate(out) < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	return 0;
}

int ml_model_load(struct ml_model *m, enum ml_algo a, enum ml_task t, size_t p, size_t nclass,
		  const void *data, size_t len, struct ml_err *err)
{
	memset(m, 0, sizeof *m);
	m->algo = a;
	m->task = t;
	m->p = p;
	m->nclass = t == ML_TASK_REGRESSION ? 0 : nclass;
	m->nout = t == ML_TASK_MULTICLASS ? nclass : 1;
	if (a == ML_ALGO_GBDT)
		return ml_gbdt_load(m, data, len, err);
	return ml_linear_load(m, data, len, err);
}

void ml_model_free(struct ml_model *m)
{
	if (m->booster)
		ml_gbdt_free(m);
	free(m->coef);
	free(m->fitted);
	m->coef = NULL;
	m->fitted = NULL;
}

void ml_csr_rows(const struct ml_csr *c, size_t p, size_t first, size_t count, float *out)
{
	for (size_t i = 0; i < count * p; i++)
		out[i] = NAN;
	for (size_t i = 0; i < count; i++)
		for (size_t k = c->start[first + i]; k < c->start[first + i + 1]; k++)
			out[i * p + c->col[k]] = c->val[k];
}

void ml_csr_free(struct ml_csr *c)
{
	free(c->start);
	free(c->col);
	free(c->val);
	memset(c, 0, sizeof *c);
}

void ml_model_backend_version(enum ml_algo a, struct ml_buf *out)
{
	if (a == ML_ALGO_LOGISTIC)
		ml_buf_printf(out, "liblinear %d", liblinear_version);
	else if (a == ML_ALGO_GBDT)
		ml_gbdt_version(out);
	else
		ml_buf_adds(out, "mlpipe");
}

int ml_linear_load(struct ml_model *m, const void *data, size_t len, struct ml_err *err)
{
	jv doc = jv_parse_sized(data, (int)len);
	jv coef = jv_object_get(jv_copy(doc), jv_string("coef"));
	jv icpt = jv_object_get(jv_copy(doc), jv_string("intercept"));
	size_t p = m->p;
	int rc = 0;

	if (jv_get_kind(coef) != JV_KIND_ARRAY || jv_get_kind(icpt) != JV_KIND_ARRAY ||
	    (size_t)jv_array_length(jv_copy(coef)) != m->nout ||
	    (size_t)jv_array_length(jv_copy(icpt)) != m->nout)
		rc = ml_err_set(err, ML_ERR_DATA, "model.json: not %zu rows of weights", m->nout);
	else if (!(m->coef = calloc(m->nout * (p + 1), sizeof *m->coef)))
		rc = ml_err_set(err, ML_ERR_IO, "out of memory");
	for (size_t o = 0; rc == 0 && o < m->nout; o++) {
		jv row = jv_array_get(jv_copy(coef), (int)o);
		jv b = jv_array_get(jv_copy(icpt), (int)o);
		if (jv_get_kind(row) != JV_KIND_ARRAY || (size_t)jv_array_length(jv_copy(row)) != p ||
		    jv_get_kind(b) != JV_KIND_NUMBER)
			rc = ml_err_set(err, ML_ERR_DATA, "model.json: weights do not fit %zu columns", p);
		for (size_t j = 0; rc == 0 && j < p; j++) {
			jv v = jv_array_get(jv_copy(row), (int)j);
			if (jv_get_kind(v) != JV_KIND_NUMBER)
				rc = ml_err_set(err, ML_ERR_DATA, "model.json: a weight is not a number");
			else
				m->coef[o * (p + 1) + j] = jv_number_value(v);
			jv_free(v);
		}
		if (rc == 0)
			m->coef[o * (p + 1) + p] = jv_number_value(b);
		jv_free(row);
		jv_free(b);
	}
	jv_free(coef);
	jv_free(icpt);
	jv_free(doc);
	return rc;
}
