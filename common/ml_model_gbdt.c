/* Gradient-boosted trees through XGBoost's C API (see ml_model.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "ml_model_impl.h"

/* XGBoost's parameters we pass through, and what their values must be. */
enum { NUM, POS_INT, WORD };
static const struct {
	const char *name;
	int kind;
	double lo, hi;
} gbdt_params[] = {
	{"rounds", POS_INT, 1, 1e6},
	{"max_depth", POS_INT, 0, 64},
	{"eta", NUM, 0, 1}, {"learning_rate", NUM, 0, 1},
	{"gamma", NUM, 0, 1e12}, {"min_split_loss", NUM, 0, 1e12},
	{"min_child_weight", NUM, 0, 1e12},
	{"max_delta_step", NUM, 0, 1e12},
	{"subsample", NUM, 1e-9, 1},
	{"colsample_bytree", NUM, 1e-9, 1}, {"colsample_bylevel", NUM, 1e-9, 1},
	{"colsample_bynode", NUM, 1e-9, 1},
	{"lambda", NUM, 0, 1e12}, {"reg_lambda", NUM, 0, 1e12},
	{"alpha", NUM, 0, 1e12}, {"reg_alpha", NUM, 0, 1e12},
	{"max_bin", POS_INT, 2, 65536},
	{"max_leaves", POS_INT, 0, 1e9},
	{"scale_pos_weight", NUM, 0, 1e12},
	{"num_parallel_tree", POS_INT, 1, 1e4},
	{"base_score", NUM, -1e12, 1e12},
	{"grow_policy", WORD, 0, 0},
	{"eval_metric", WORD, 0, 0},
	{"tree_method", WORD, 0, 0},
};

int ml_gbdt_check_param(const char *key, const char *value, struct ml_err *err)
{
	double x;

	for (size_t i = 0; i < sizeof gbdt_params / sizeof *gbdt_params; i++) {
		if (strcmp(key, gbdt_params[i].name))
			continue;
		if (gbdt_params[i].kind == WORD) {
			if (!strcmp(key, "grow_policy") && strcmp(value, "depthwise") && strcmp(value, "lossguide"))
				return ml_err_set(err, ML_ERR_USAGE, "--param grow_policy=%s: depthwise or lossguide", value);
			if (!strcmp(key, "tree_method") && strcmp(value, "hist") && strcmp(value, "approx") &&
			    strcmp(value, "exact"))
				return ml_err_set(err, ML_ERR_USAGE, "--param tree_method=%s: hist, approx or exact", value);
			return 0;
		}
		if (ml_param_number(key, value, gbdt_params[i].lo, gbdt_params[i].hi, &x, err) < 0)
			return -1;
		if (gbdt_params[i].kind == POS_INT && x != floor(x))
			return ml_err_set(err, ML_ERR_USAGE, "--param %s=%s: not an integer", key, value);
		return 0;
	}
	return ml_err_set(err, ML_ERR_USAGE, "--param %s: not a parameter of gbdt (see ml-train(1))", key);
}

/* XGBoost's message, its first line: the rest is a C++ stack trace. */
static int xgb_fail(struct ml_err *err, const char *what)
{
	const char *msg = XGBGetLastError();
	size_t n = strcspn(msg, "\n");

	return ml_err_set(err, ML_ERR_IO, "xgboost: %s: %.*s", what, (int)n, msg);
}

/* Whether an evaluation metric is better higher ("auc", "aucpr",
 * "map@3", ...); the defaults (logloss, mlogloss, rmse) and errors fall. */
static int higher_is_better(const char *line)
{
	static const char *const higher[] = {"auc", "aucpr", "pre", "map", "ndcg"};
	const char *dash = strrchr(line, '-'), *colon = strrchr(line, ':');
	size_t n;

	if (!dash || !colon || colon < dash)
		return 0;
	n = strcspn(dash + 1, "@:");
	for (size_t i = 0; i < sizeof higher / sizeof *higher; i++)
		if (strlen(higher[i]) == n && !strncmp(dash + 1, higher[i], n))
			return 1;
	return 0;
}

static void xgb_quiet(const char *msg)
{
	(void)msg;
}

static void xgb_setup(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	XGBRegisterLogCallback(xgb_quiet);
	XGBSetGlobalConfig("{\"verbosity\":0}");
}

/* XGBoost's description of an array in memory (NumPy's array interface). */
static void array_interface(char *buf, size_t size, const void *data, size_t n, const char *type)
{
	snprintf(buf, size, "{\"data\":[%llu,true],\"shape\":[%zu],\"typestr\":\"%s\",\"version\":3}",
		 (unsigned long long)(uintptr_t)data, n, type);
}

/* A matrix of d's rows, dense or sparse, as XGBoost holds it: the entries
 * that are not missing, row by row (threads: OpenMP's default). */
static int rows_matrix(const struct ml_dataset *d, DMatrixHandle *out)
{
	if (d->x)
		return XGDMatrixCreateFromMat_omp(d->x, (bst_ulong)d->n, (bst_ulong)d->p, NAN, out, 0);
	char start[160], col[160], val[160];
	size_t nnz = d->csr->start[d->n];
	array_interface(start, sizeof start, d->csr->start, d->n + 1, sizeof(size_t) == 8 ? "<u8" : "<u4");
	array_interface(col, sizeof col, d->csr->col, nnz, "<u4");
	array_interface(val, sizeof val, d->csr->val, nnz, "<f4");
	return XGDMatrixCreateFromCSR(start, col, val, (bst_ulong)d->p, "{\"missing\":NaN}", out);
}

static int make_dmatrix(const struct ml_dataset *d, DMatrixHandle *out, struct ml_err *err)
{
	size_t n = d->n;

	if (rows_matrix(d, out) != 0)
		return xgb_fail(err, "cannot build the matrix");
	for (int pass = 0; pass < 2; pass++) {
		const double *src = pass ? d->w : d->y;
		if (!src)
			continue;
		float *f = malloc((n ? n : 1) * sizeof *f);
		if (!f) {
			XGDMatrixFree(*out);
			*out = NULL;
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		}
		for (size_t i = 0; i < n; i++)
			f[i] = (float)src[i];
		int rc = XGDMatrixSetFloatInfo(*out, pass ? "weight" : "label", f, (bst_ulong)n);
		free(f);
		if (rc != 0) {
			/* the caller frees what is still set: --valid's matrix
			 * was freed twice */
			XGDMatrixFree(*out);
			*out = NULL;
			return xgb_fail(err, "cannot set labels");
		}
	}
	return 0;
}

/* The last number of an evaluation line "[3]\tvalid-logloss:0.41". */
static double eval_value(const char *s)
{
	const char *c = strrchr(s, ':');
	return c ? strtod(c + 1, NULL) : NAN;
}

int ml_gbdt_train(struct ml_model *m, const struct ml_params *ps, const struct ml_dataset *d,
		  const struct ml_dataset *valid, uint64_t early_stop, uint64_t seed, int threads,
		  struct ml_err *err)
{
	DMatrixHandle dtrain = NULL, dvalid = NULL;
	BoosterHandle b = NULL;
	char buf[64];
	int rc = -1;
	double rounds;

	xgb_setup();
	if (ml_param_number("rounds", ml_params_get(ps, "rounds", "100"), 1, 1e6, &rounds, err) < 0)
		return -1;
	if (make_dmatrix(d, &dtrain, err) < 0)
		return -1;
	if (valid && early_stop && make_dmatrix(valid, &dvalid, err) < 0)
		goto out;
	if (XGBoosterCreate(&dtrain, 1, &b) != 0) {
		xgb_fail(err, "cannot create the booster");
		goto out;
	}
	const char *objective = m->task == ML_TASK_BINARY ? "binary:logistic"
			      : m->task == ML_TASK_MULTICLASS ? "multi:softprob" : "reg:squarederror";
	XGBoosterSetParam(b, "objective", objective);
	XGBoosterSetParam(b, "tree_method", "hist");
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)(seed & 0x7fffffff));
	XGBoosterSetParam(b, "seed", buf);
	if (threads > 0) {
		snprintf(buf, sizeof buf, "%d", threads);
		XGBoosterSetParam(b, "nthread", buf);
	}
	if (m->task == ML_TASK_MULTICLASS) {
		snprintf(buf, sizeof buf, "%zu", m->nclass);
		XGBoosterSetParam(b, "num_class", buf);
	}
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->keys[i], "rounds") && XGBoosterSetParam(b, ps->keys[i], ps->values[i]) != 0) {
			xgb_fail(err, ps->keys[i]);
			goto out;
		}
	double best = INFINITY;
	int best_iter = -1, higher_better = 0;
	for (int it = 0; it < (int)rounds; it++) {
		if (XGBoosterUpdateOneIter(b, it, dtrain) != 0) {
			xgb_fail(err, "training failed");
			goto out;
		}
		if (!dvalid)
			continue;
		const char *names[] = {"valid"}, *res;
		if (XGBoosterEvalOneIter(b, it, &dvalid, names, 1, &res) != 0) {
			xgb_fail(err, "evaluation failed");
			goto out;
		}
		higher_better = higher_is_better(res);
		double v = eval_value(res), score = higher_better ? -v : v;
		/* a metric that cannot be read (NaN) is no improvement */
		if (score < best) {
			best = score;
			best_iter = it;
		} else if ((uint64_t)(it - best_iter) >= early_stop) {
			break;
		}
		m->rounds = (uint64_t)it + 1;
	}
	if (dvalid && best_iter >= 0) {
		BoosterHandle sliced;
		if (XGBoosterSlice(b, 0, best_iter + 1, 1, &sliced) != 0) {
			xgb_fail(err, "cannot keep the best rounds");
			goto out;
		}
		XGBoosterFree(b);
		b = sliced;
		m->rounds = (uint64_t)best_iter + 1;
	} else if (!dvalid) {
		m->rounds = (uint64_t)rounds;
	}
	m->booster = b;
	b = NULL;
	/* the training rows' scores come from XGBoost's prediction cache of
	 * the training matrix: far cheaper than scoring them anew */
	bst_ulong len;
	const float *res;
	if (XGBoosterPredict(m->booster, dtrain, 0, 0, 0, &len, &res) == 0 && len == d->n * m->nout &&
	    (m->fitted = malloc((len ? len : 1) * sizeof *m->fitted)))
		for (bst_ulong i = 0; i < len; i++)
			m->fitted[i] = res[i];
	rc = 0;
out:
	if (b)
		XGBoosterFree(b);
	if (dtrain)
		XGDMatrixFree(dtrain);
	if (dvalid)
		XGDMatrixFree(dvalid);
	return rc;
}

static int predict_mask(const struct ml_model *m, const float *x, size_t n, int mask,
			bst_ulong *len, const float **res, DMatrixHandle *dm, struct ml_err *err)
{
	struct ml_dataset rows = {.x = x, .n = n, .p = m->p};

	if (make_dmatrix(&rows, dm, err) < 0)
		return -1;
	if (XGBoosterPredict(m->booster, *dm, mask, 0, 0, len, res) != 0) {
		XGDMatrixFree(*dm);
		return xgb_fail(err, "prediction failed");
	}
	return 0;
}

int ml_gbdt_predict(const struct ml_model *m, const float *x, size_t n, double *out,
		    struct ml_err *err)
{
	DMatrixHandle dm;
	bst_ulong len;
	const float *res;

	if (!n)
		return 0;
	if (predict_mask(m, x, n, 0, &len, &res, &dm, err) < 0)
		return -1;
	if (len != n * m->nout) {
		XGDMatrixFree(dm);
		return ml_err_set(err, ML_ERR_IO, "xgboost: %llu scores for %zu rows",
				  (unsigned long long)len, n);
	}
	for (size_t i = 0; i < len; i++)
		out[i] = res[i];
	XGDMatrixFree(dm);
	return 0;
}

int ml_gbdt_contributions(const struct ml_model *m, const float *x, size_t n, size_t cls,
			  double *out, struct ml_err *err)
{
	DMatrixHandle dm;
	bst_ulong len;
	const float *res;
	size_t w = m->p + 1;

	if (!n)
		return 0;
	if (predict_mask(m, x, n, 4, &len, &res, &dm, err) < 0)
		return -1;
	if (len != n * m->nout * w) {
		XGDMatrixFree(dm);
		return ml_err_set(err, ML_ERR_IO, "xgboost: unexpected contributions");
	}
	for (size_t i = 0; i < n; i++) {
		const float *r = res + (i * m->nout + (m->nout > 1 ? cls : 0)) * w;
		for (size_t j = 0; j < w; j++)
			out[i * w + j] = r[j];
	}
	XGDMatrixFree(dm);
	return 0;
}

int ml_gbdt_save(const struct ml_model *m, struct ml_buf *out, struct ml_err *err)
{
	bst_ulong len;
	const char *buf;

	if (XGBoosterSaveModelToBuffer(m->booster, "{\"format\":\"json\"}", &len, &buf) != 0)
		return xgb_fail(err, "cannot save the model");
	if (ml_buf_add(out, buf, len) < 0 || ml_buf_terminate(out) < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	return 0;
}

int ml_gbdt_load(struct ml_model *m, const void *data, size_t len, struct ml_err *err)
{
	BoosterHandle b;

	xgb_setup();
	if (XGBoosterCreate(NULL, 0, &b) != 0)
		return xgb_fail(err, "cannot create the booster");
	if (XGBoosterLoadModelFromBuffer(b, data, (bst_ulong)len) != 0) {
		XGBoosterFree(b);
		return xgb_fail(err, "model.json");
	}
	int rounds = 0;
	XGBoosterBoostedRounds(b, &rounds);
	m->rounds = (uint64_t)rounds;
	m->booster = b;
	return 0;
}

void ml_gbdt_free(struct ml_model *m)
{
	XGBoosterFree(m->booster);
	m->booster = NULL;
}

void ml_gbdt_version(struct ml_buf *out)
{
	int major, minor, patch;

	XGBoostVersion(&major, &minor, &patch);
	ml_buf_printf(out, "xgboost %d.%d.%d", major, minor, patch);
}

int ml_gbdt_gain(const struct ml_model *m, double *gain, struct ml_err *err)
{
	bst_ulong nf, dim;
	const char **names;
	const bst_ulong *shape;
	const float *scores;

	for (size_t j = 0; j < m->p; j++)
		gain[j] = 0;
	if (XGBoosterFeatureScore(m->booster, "{\"importance_type\":\"total_gain\"}", &nf, &names,
				  &dim, &shape, &scores) != 0)
		return xgb_fail(err, "feature importance");
	/* features never split on are left out; names are "f<column>".  A
	 * multiclass model gives a score per class: they add up */
	size_t per = dim == 2 ? (size_t)shape[1] : 1;
	for (bst_ulong i = 0; i < nf; i++) {
		if (names[i][0] != 'f')
			continue;
		size_t j = (size_t)strtoul(names[i] + 1, NULL, 10);
		if (j >= m->p)
			continue;
		for (size_t k = 0; k < per; k++)
			gain[j] += scores[i * per + k];
	}
	return 0;
}
