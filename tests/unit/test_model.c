/* Unit tests of common/ml_model against the libraries behind it, called
 * here directly: logistic regression's probabilities against liblinear's
 * own predict_probability on a model trained by train() with the same
 * problem and parameters; gradient-boosted trees against a booster trained
 * here through XGBoost's C API with the documented parameters, and against
 * XGBoosterPredict on the saved model; least squares and ridge against a
 * closed form solved here another way (centred normal equations, Gaussian
 * elimination in long double).  And the contributions with the base value
 * add up to the raw score.
 *
 * The data are drawn with a fixed seed: 240 rows of 5 columns (one of them
 * 0/1, one sparse), classes from a noisy linear rule. */
#include <linear.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_model.h"
#include "tap.h"

#define N 240
#define P 5
#define SEED 7

static struct ml_err err;

/* ---- deterministic random numbers (splitmix64) ---------------------------- */

static uint64_t rng_state = 20240917;

static uint64_t next64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double unif(void)
{
	return (double)(next64() >> 11) * 0x1p-53;
}

static double normal(void)
{
	double u = 1 - unif(), v = unif();

	return sqrt(-2 * log(u)) * cos(2 * 3.14159265358979323846 * v);
}

/* ---- the data --------------------------------------------------------------- */

static float X[N * P];
static double Y2[N], Y3[N], YR[N], W[N];

static void make_data(void)
{
	static const double beta[P] = {1.5, -2.0, 0.7, 0.0, 1.1};

	for (size_t i = 0; i < N; i++) {
		float *x = X + i * P;
		x[0] = (float)normal();
		x[1] = (float)normal();
		x[2] = unif() < 0.5 ? 1.0f : 0.0f;		/* a boolean */
		x[3] = unif() < 0.7 ? 0.0f : (float)normal();	/* mostly zero */
		x[4] = (float)(3 * unif() - 1.5);
		double z = 0.3, e = normal();
		for (size_t j = 0; j < P; j++)
			z += beta[j] * x[j];
		Y2[i] = z + e > 0;
		Y3[i] = z + e < -1 ? 0 : z + e < 1 ? 1 : 2;
		YR[i] = 10 + 2 * z + 0.5 * e;
		W[i] = 0.5 + unif() * 2;
	}
}

static struct ml_params no_params(void)
{
	return (struct ml_params){0};
}

/* ---- logistic against liblinear ------------------------------------------- */

static void quiet(const char *s)
{
	(void)s;
}

/* liblinear trained here: rows as liblinear wants them (the non-zero
 * columns, then the bias column p + 1 with value 1), L2-regularised
 * logistic regression (solver 0), C and eps as given. */
static struct model *liblinear_model(const double *y, double C, double eps,
				     struct feature_node **rows, struct feature_node *nodes)
{
	struct problem prob = {.l = N, .n = P + 1, .y = (double *)y, .x = rows, .bias = 1};
	struct parameter param = {0};
	struct feature_node *at = nodes;

	for (size_t i = 0; i < N; i++) {
		rows[i] = at;
		for (size_t j = 0; j < P; j++)
			if (X[i * P + j] != 0)
				*at++ = (struct feature_node){(int)j + 1, X[i * P + j]};
		*at++ = (struct feature_node){P + 1, 1};
		*at++ = (struct feature_node){-1, 0};
	}
	param.solver_type = L2R_LR;
	param.C = C;
	param.eps = eps;
	set_print_string_function(quiet);
	if (check_parameter(&prob, &param))
		return NULL;
	srand(SEED);
	return train(&prob, &param);
}

static void test_logistic(size_t nclass, const double *y, const char *C, double Cval)
{
	struct ml_model m;
	char *keys[] = {"C"}, *values[] = {(char *)C};
	struct ml_params ps = {keys, values, 1};
	struct ml_dataset d = {.x = X, .n = N, .p = P, .y = y};
	enum ml_task task = nclass == 2 ? ML_TASK_BINARY : ML_TASK_MULTICLASS;
	size_t nout = nclass == 2 ? 1 : nclass;
	double *ours = malloc(N * nout * sizeof *ours);
	static struct feature_node *rows[N], nodes[N * (P + 2)];

	int rc = ml_model_train(&m, ML_ALGO_LOGISTIC, task, nclass, &ps, &d, NULL, 0, SEED, 0, &err);
	ok(rc == 0, "logistic regression trains on %zu classes (%s)", nclass, rc ? err.msg : "");
	if (rc) {
		free(ours);
		return;
	}
	ok(ml_model_predict(&m, X, N, ours, &err) == 0, "and predicts");

	struct model *lm = liblinear_model(y, Cval, 0.01, rows, nodes);
	ok(lm != NULL, "liblinear trains the same problem");
	if (!lm) {
		ml_model_free(&m);
		free(ours);
		return;
	}
	int labels[8], nl = get_nr_class(lm);
	get_labels(lm, labels);
	double worst = 0, sum_err = 0;
	for (size_t i = 0; i < N; i++) {
		double pe[8], s = 0;
		predict_probability(lm, rows[i], pe);
		for (int k = 0; k < nl; k++) {
			size_t c = (size_t)labels[k];
			if (nclass == 2 && c == 0)
				continue;
			double d_ = fabs(ours[i * nout + (nclass == 2 ? 0 : c)] - pe[k]);
			worst = d_ > worst ? d_ : worst;
		}
		for (size_t c = 0; nclass > 2 && c < nclass; c++)
			s += ours[i * nout + c];
		sum_err = fmax(sum_err, nclass > 2 ? fabs(s - 1) : 0);
	}
	ok(worst <= 1e-12, "%zu classes, C=%s: probabilities equal liblinear's predict_probability "
	   "(worst difference %.3g)", nclass, C, worst);
	if (nclass > 2)
		ok(sum_err <= 1e-12, "the %zu probabilities of each row add up to 1 (worst %.3g)", nclass, sum_err);

	/* the weights as liblinear has them: class 1's decision function for
	 * two classes, each class's for more */
	double wworst = 0;
	for (size_t o = 0; o < nout; o++) {
		int cls = nclass == 2 ? 1 : (int)o, k = -1;
		for (int l = 0; l < nl; l++)
			if (labels[l] == cls)
				k = l;
		for (size_t j = 0; j <= P; j++) {
			double want = j < P ? get_decfun_coef(lm, (int)j + 1, k) : get_decfun_bias(lm, k);
			wworst = fmax(wworst, fabs(m.coef[o * (P + 1) + j] - want));
		}
	}
	ok(wworst == 0, "%zu classes: the weights are liblinear's decision functions (worst %.3g)", nclass, wworst);

	/* contributions + base value = the raw score, log-odds for two classes */
	double *ct = malloc(N * (P + 1) * sizeof *ct), cworst = 0;
	for (size_t c = 0; c < nout; c++) {
		if (ml_model_contributions(&m, X, N, c, ct, &err) < 0) {
			ok(0, "contributions (%s)", err.msg);
			break;
		}
		for (size_t i = 0; i < N; i++) {
			double s = 0, raw = m.coef[c * (P + 1) + P];
			for (size_t j = 0; j <= P; j++)
				s += ct[i * (P + 1) + j];
			for (size_t j = 0; j < P; j++)
				raw += m.coef[c * (P + 1) + j] * X[i * P + j];
			if (nclass == 2) {
				double p = ours[i];
				cworst = fmax(cworst, fabs(s - log(p / (1 - p))) / fmax(1, fabs(s)));
			}
			cworst = fmax(cworst, fabs(s - raw) / fmax(1, fabs(raw)));
		}
	}
	ok(cworst <= 1e-9, "%zu classes: contributions + base value = the raw score (worst %.3g)", nclass, cworst);
	free(ct);
	free_and_destroy_model(&lm);
	ml_model_free(&m);
	free(ours);
}

/* ---- least squares and ridge against a closed form ------------------------ */

/* The ridge solution by centring (the intercept unpenalised): b solves
 * (Xc' W Xc + alpha I) b = Xc' W yc, c = ybar - xbar . b; Gaussian
 * elimination with partial pivoting, in long double. */
static void closed_form(double alpha, const double *w, double *b)
{
	long double xbar[P] = {0}, ybar = 0, sw = 0, A[P][P + 1] = {{0}};

	for (size_t i = 0; i < N; i++) {
		long double wi = w ? w[i] : 1;
		sw += wi;
		ybar += wi * YR[i];
		for (size_t j = 0; j < P; j++)
			xbar[j] += wi * X[i * P + j];
	}
	ybar /= sw;
	for (size_t j = 0; j < P; j++)
		xbar[j] /= sw;
	for (size_t i = 0; i < N; i++) {
		long double wi = w ? w[i] : 1, yc = YR[i] - ybar;
		for (size_t j = 0; j < P; j++) {
			long double xj = X[i * P + j] - xbar[j];
			for (size_t k = 0; k < P; k++)
				A[j][k] += wi * xj * (X[i * P + k] - xbar[k]);
			A[j][P] += wi * xj * yc;
		}
	}
	for (size_t j = 0; j < P; j++)
		A[j][j] += alpha;
	for (size_t c = 0; c < P; c++) {
		size_t piv = c;
		for (size_t r = c + 1; r < P; r++)
			if (fabsl(A[r][c]) > fabsl(A[piv][c]))
				piv = r;
		for (size_t k = 0; k <= P; k++) {
			long double t = A[c][k];
			A[c][k] = A[piv][k];
			A[piv][k] = t;
		}
		for (size_t r = c + 1; r < P; r++) {
			long double f = A[r][c] / A[c][c];
			for (size_t k = c; k <= P; k++)
				A[r][k] -= f * A[c][k];
		}
	}
	long double sol[P], icpt = ybar;
	for (size_t r = P; r-- > 0;) {
		long double s = A[r][P];
		for (size_t k = r + 1; k < P; k++)
			s -= A[r][k] * sol[k];
		sol[r] = s / A[r][r];
	}
	for (size_t j = 0; j < P; j++) {
		b[j] = (double)sol[j];
		icpt -= xbar[j] * sol[j];
	}
	b[P] = (double)icpt;
}

static void test_linear(const char *alpha, const double *w)
{
	struct ml_model m;
	char *keys[] = {"alpha"}, *values[] = {(char *)alpha};
	struct ml_params ps = {keys, values, 1};
	struct ml_dataset d = {.x = X, .n = N, .p = P, .y = YR, .w = w};
	double want[P + 1], *pred = malloc(N * sizeof *pred), *ct = malloc(N * (P + 1) * sizeof *ct);
	const char *how = w ? "weighted" : "unweighted";

	int rc = ml_model_train(&m, ML_ALGO_LINEAR, ML_TASK_REGRESSION, 0, &ps, &d, NULL, 0, SEED, 0, &err);
	ok(rc == 0, "least squares trains, alpha=%s, %s (%s)", alpha, how, rc ? err.msg : "");
	if (rc) {
		free(pred);
		free(ct);
		return;
	}
	closed_form(strtod(alpha, NULL), w, want);
	double cworst = 0, pworst = 0, sworst = 0;
	for (size_t j = 0; j <= P; j++)
		cworst = fmax(cworst, fabs(m.coef[j] - want[j]) / fmax(1, fabs(want[j])));
	ok(cworst <= 1e-9, "alpha=%s, %s: coefficients and intercept equal the closed form (worst %.3g)",
	   alpha, how, cworst);
	ml_model_predict(&m, X, N, pred, &err);
	ml_model_contributions(&m, X, N, 0, ct, &err);
	for (size_t i = 0; i < N; i++) {
		double v = want[P], s = 0;
		for (size_t j = 0; j < P; j++)
			v += want[j] * X[i * P + j];
		for (size_t j = 0; j <= P; j++)
			s += ct[i * (P + 1) + j];
		pworst = fmax(pworst, fabs(pred[i] - v) / fmax(1, fabs(v)));
		sworst = fmax(sworst, fabs(s - pred[i]) / fmax(1, fabs(pred[i])));
	}
	ok(pworst <= 1e-9, "alpha=%s, %s: predictions equal the closed form's (worst %.3g)", alpha, how, pworst);
	ok(sworst <= 1e-12, "alpha=%s, %s: contributions + base value = the prediction (worst %.3g)",
	   alpha, how, sworst);
	ml_model_free(&m);
	free(pred);
	free(ct);
}

/* ---- gbdt against XGBoost --------------------------------------------------- */

static void xgb_quiet(const char *msg)
{
	(void)msg;
}

/* The rows with some values missing (NaN), for the trees. */
static float XN[N * P];

/* A booster trained here with the parameters ml-train documents: hist,
 * the task's objective, the seed, the given parameters, rounds. */
static BoosterHandle xgb_model(const double *y, size_t nclass, const char *objective,
			       int rounds, char **keys, char **values, size_t n)
{
	DMatrixHandle dm;
	BoosterHandle b;
	float lab[N];
	char buf[32];

	for (size_t i = 0; i < N; i++)
		lab[i] = (float)y[i];
	if (XGDMatrixCreateFromMat(XN, N, P, NAN, &dm) != 0 ||
	    XGDMatrixSetFloatInfo(dm, "label", lab, N) != 0 || XGBoosterCreate(&dm, 1, &b) != 0)
		return NULL;
	XGBoosterSetParam(b, "objective", objective);
	XGBoosterSetParam(b, "tree_method", "hist");
	snprintf(buf, sizeof buf, "%d", SEED);
	XGBoosterSetParam(b, "seed", buf);
	if (nclass > 2) {
		snprintf(buf, sizeof buf, "%zu", nclass);
		XGBoosterSetParam(b, "num_class", buf);
	}
	for (size_t i = 0; i < n; i++)
		XGBoosterSetParam(b, keys[i], values[i]);
	for (int it = 0; it < rounds; it++)
		XGBoosterUpdateOneIter(b, it, dm);
	XGDMatrixFree(dm);
	return b;
}

/* XGBoost's own predictions of the rows (mask: 0 values, 1 margins, 4
 * contributions), as doubles. */
static double *xgb_predict(BoosterHandle b, int mask, size_t *len)
{
	DMatrixHandle dm;
	bst_ulong n;
	const float *res;

	if (XGDMatrixCreateFromMat(XN, N, P, NAN, &dm) != 0 || XGBoosterPredict(b, dm, mask, 0, 0, &n, &res) != 0)
		return NULL;
	double *out = malloc(n * sizeof *out);
	for (bst_ulong i = 0; i < n; i++)
		out[i] = res[i];
	*len = n;
	XGDMatrixFree(dm);
	return out;
}

static double max_diff(const double *a, const double *b, size_t n)
{
	double w = 0;

	for (size_t i = 0; i < n; i++)
		w = fmax(w, fabs(a[i] - b[i]));
	return w;
}

static void test_gbdt(enum ml_task task, size_t nclass, const double *y, const char *objective)
{
	char *keys[] = {"rounds", "max_depth", "eta", "subsample"};
	char *values[] = {"12", "3", "0.3", "0.8"};
	struct ml_params ps = {keys, values, 4};
	struct ml_dataset d = {.x = XN, .n = N, .p = P, .y = y};
	size_t nout = task == ML_TASK_MULTICLASS ? nclass : 1, len = 0;
	struct ml_model m, loaded;
	struct ml_buf saved = {0};
	double *ours = malloc(N * nout * sizeof *ours), *again = malloc(N * nout * sizeof *again);

	int rc = ml_model_train(&m, ML_ALGO_GBDT, task, nclass, &ps, &d, NULL, 0, SEED, 0, &err);
	ok(rc == 0, "gbdt trains, %s (%s)", objective, rc ? err.msg : "");
	if (rc) {
		free(ours);
		free(again);
		return;
	}
	ok(m.rounds == 12, "%s: 12 rounds kept (%llu)", objective, (unsigned long long)m.rounds);
	ml_model_predict(&m, XN, N, ours, &err);

	/* the same training through XGBoost's C API */
	BoosterHandle b = xgb_model(y, nclass, objective, 12, keys + 1, values + 1, 3);
	double *theirs = b ? xgb_predict(b, 0, &len) : NULL;
	ok(theirs && len == N * nout && max_diff(ours, theirs, N * nout) <= 1e-12,
	   "%s: predictions equal those of a booster trained through XGBoost's C API (worst %.3g)",
	   objective, theirs && len == N * nout ? max_diff(ours, theirs, N * nout) : INFINITY);
	free(theirs);
	if (b)
		XGBoosterFree(b);

	/* the saved model, loaded by XGBoost and by ml_model_load */
	BoosterHandle lb = NULL;
	theirs = NULL;
	if (ml_model_save(&m, &saved, &err) == 0 && XGBoosterCreate(NULL, 0, &lb) == 0 &&
	    XGBoosterLoadModelFromBuffer(lb, saved.data, saved.len) == 0)
		theirs = xgb_predict(lb, 0, &len);
	ok(theirs && len == N * nout && max_diff(ours, theirs, N * nout) <= 1e-12,
	   "%s: predictions equal XGBoosterPredict's on the saved model", objective);
	free(theirs);
	rc = ml_model_load(&loaded, ML_ALGO_GBDT, task, P, nclass, saved.data, saved.len, &err);
	ok(rc == 0 && loaded.rounds == 12 && ml_model_predict(&loaded, XN, N, again, &err) == 0 &&
	   max_diff(ours, again, N * nout) == 0, "%s: the saved model loads with 12 rounds and predicts the same",
	   objective);
	if (rc == 0)
		ml_model_free(&loaded);

	/* contributions + base value = the margin of each output */
	double *margin = lb ? xgb_predict(lb, 1, &len) : NULL, *ct = malloc(N * (P + 1) * sizeof *ct), cworst = 0;
	ok(margin && len == N * nout, "%s: XGBoost gives the margins", objective);
	for (size_t c = 0; margin && c < nout; c++) {
		if (ml_model_contributions(&m, XN, N, c, ct, &err) < 0) {
			cworst = INFINITY;
			break;
		}
		for (size_t i = 0; i < N; i++) {
			double s = 0, want = margin[i * nout + c];
			for (size_t j = 0; j <= P; j++)
				s += ct[i * (P + 1) + j];
			cworst = fmax(cworst, fabs(s - want) / fmax(1, fabs(want)));
			if (task == ML_TASK_BINARY) {
				/* and log-odds, to what a single-precision probability holds */
				double p = ours[i], tol = 1e-6 + 0x1p-23 / (p * (1 - p));
				if (fabs(s - log(p / (1 - p))) > tol)
					cworst = INFINITY;
			}
		}
	}
	/* XGBoost computes contributions in single precision, tree by tree */
	ok(cworst <= 1e-5, "%s: contributions + base value = the margin (worst %.3g)", objective, cworst);
	free(margin);
	free(ct);
	if (lb)
		XGBoosterFree(lb);
	ml_buf_free(&saved);
	ml_model_free(&m);
	free(ours);
	free(again);
}

/* A long matrix (the rows again and again, past the size that takes two
 * threads) is scored as each row on its own would be, to the bit. */
static void test_long_predict(size_t nclass, const double *y)
{
	enum { LONG = 40000 };
	struct ml_model m;
	struct ml_params none = {0};
	struct ml_dataset d = {.x = X, .n = N, .p = P, .y = y};
	enum ml_task task = nclass == 2 ? ML_TASK_BINARY : ML_TASK_MULTICLASS;
	size_t nout = nclass == 2 ? 1 : nclass;
	float *xl = malloc((size_t)LONG * P * sizeof *xl);
	double *all = malloc((size_t)LONG * nout * sizeof *all), *one = malloc(nout * sizeof *one);
	size_t same = 0;

	if (!xl || !all || !one || ml_model_train(&m, ML_ALGO_LOGISTIC, task, nclass, &none, &d, NULL, 0,
						     SEED, 0, &err) < 0) {
		ok(0, "a long matrix of %zu classes is scored: %s", nclass, err.msg);
		free(xl), free(all), free(one);
		return;
	}
	for (size_t i = 0; i < LONG; i++)
		memcpy(xl + i * P, X + (i % N) * P, P * sizeof *xl);
	int rc = ml_model_predict(&m, xl, LONG, all, &err);
	for (size_t i = 0; rc == 0 && i < LONG; i++)
		if (ml_model_predict(&m, xl + i * P, 1, one, &err) == 0 &&
		    !memcmp(one, all + i * nout, nout * sizeof *one))
			same++;
	ok(rc == 0 && same == LONG, "%zu classes: %d rows scored at once (two threads) equal each row "
	   "scored alone, to the bit (%zu of them)", nclass, LONG, same);
	ml_model_free(&m);
	free(xl), free(all), free(one);
}

/* ---- parameters ------------------------------------------------------------- */

static void test_params(void)
{
	static const struct {
		enum ml_algo a;
		const char *k, *v;
		int good;
	} cases[] = {
		{ML_ALGO_LOGISTIC, "C", "0.5", 1}, {ML_ALGO_LOGISTIC, "C", "0", 0},
		{ML_ALGO_LOGISTIC, "C", "x", 0}, {ML_ALGO_LOGISTIC, "penalty", "l1", 1},
		{ML_ALGO_LOGISTIC, "penalty", "l3", 0}, {ML_ALGO_LOGISTIC, "alpha", "1", 0},
		{ML_ALGO_LINEAR, "alpha", "0", 1}, {ML_ALGO_LINEAR, "alpha", "-1", 0},
		{ML_ALGO_LINEAR, "C", "1", 0}, {ML_ALGO_GBDT, "max_depth", "4", 1},
		{ML_ALGO_GBDT, "max_depth", "2.5", 0}, {ML_ALGO_GBDT, "eta", "1.5", 0},
		{ML_ALGO_GBDT, "subsample", "0", 0}, {ML_ALGO_GBDT, "nosuch", "1", 0},
		{ML_ALGO_GBDT, "rounds", "0", 0}, {ML_ALGO_GBDT, "grow_policy", "lossguide", 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *k = (char *)cases[i].k, *v = (char *)cases[i].v;
		struct ml_params ps = {&k, &v, 1};
		int rc = ml_model_check_params(cases[i].a, &ps, &err);
		ok((rc == 0) == cases[i].good && (rc == 0 || strstr(err.msg, cases[i].k)),
		   "%s --param %s=%s is %s", ml_algo_name(cases[i].a), k, v, cases[i].good ? "taken" : "refused, naming it");
	}
	struct ml_params none = no_params();
	struct ml_model m;
	struct ml_dataset d = {.x = X, .n = N, .p = P, .y = Y2, .w = W};
	ok(ml_model_train(&m, ML_ALGO_LOGISTIC, ML_TASK_BINARY, 2, &none, &d, NULL, 0, 0, 0, &err) < 0 &&
	   strstr(err.msg, "weight"), "logistic regression refuses sample weights");
	d.w = NULL;
	d.y = YR;
	ok(ml_model_train(&m, ML_ALGO_LINEAR, ML_TASK_BINARY, 2, &none, &d, NULL, 0, 0, 0, &err) < 0,
	   "least squares refuses a classification task");
}

int main(void)
{
	make_data();
	XGBRegisterLogCallback(xgb_quiet);
	for (size_t i = 0; i < N * P; i++)
		XN[i] = (i * 2654435761u) % 13 == 0 ? NAN : X[i];

	test_logistic(2, Y2, "1", 1);
	test_logistic(2, Y2, "0.05", 0.05);
	test_logistic(3, Y3, "1", 1);
	test_linear("0", NULL);
	test_linear("2.5", NULL);
	test_linear("2.5", W);
	test_gbdt(ML_TASK_BINARY, 2, Y2, "binary:logistic");
	test_gbdt(ML_TASK_MULTICLASS, 3, Y3, "multi:softprob");
	test_gbdt(ML_TASK_REGRESSION, 0, YR, "reg:squarederror");
	test_long_predict(2, Y2);
	test_long_predict(3, Y3);
	test_params();
	return tap_done();
}
