/* Unit tests of common/ml_metrics against scikit-learn.
 *
 * The cases are drawn here with a fixed seed (sizes 1 to 100000, heavy
 * ties, probabilities of exactly 0 and 1, zero, real and integer weights),
 * written as raw doubles to a temporary file, and handed to
 * metrics_reference.py, which prints sklearn's answers, one line per case
 * and metric family; so the reference is computed at test time and cannot
 * go stale.  Each metric family is one TAP line with the worst deviation
 * seen (relative above 1, absolute below); the first failures of a family
 * are printed as diagnostics.  Without sklearn the comparison is skipped
 * and only the self-contained checks run.  ML_PYTHON overrides the
 * interpreter (default /usr/bin/python3), ML_METRICS_REF the script
 * (default: found next to this file, from the working directory or from
 * the test binary's place in build/). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ml_metrics.h"
#include "ml_worker.h"
#include "reference.h"
#include "tap.h"

#define TOL 1e-9

/* ---- deterministic random numbers (splitmix64) ------------------------- */

static uint64_t rng_state = 20240612;

static uint64_t next64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform on [0, 1). */
static double unif(void)
{
	return (double)(next64() >> 11) * 0x1p-53;
}

static double normal(void)
{
	double u = 1 - unif(), v = unif();

	return sqrt(-2 * log(u)) * cos(2 * 3.14159265358979323846 * v);
}

static double clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* ---- the cases ------------------------------------------------------------ */

enum kind { K_BIN, K_MC, K_REG, K_CURVE };
enum wmode { W_NONE, W_REAL, W_INT };

struct tcase {
	enum kind kind;
	enum wmode wmode;
	size_t n, k, bins;
	double thr;
	double *y, *p, *w;      /* p: n x k for multiclass, yhat for regression */
	int *yi;                /* multiclass labels */
	int lines;              /* reference lines answered */
	char desc[80];
};

static struct tcase cases[256];
static size_t ncases;

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

static struct tcase *new_case(enum kind kind, size_t n, size_t k, enum wmode wm, const char *fmt, ...)
{
	struct tcase *c = &cases[ncases++];
	const char *kinds[] = {"binary", "multiclass", "regression", "curves"};
	const char *wms[] = {"", " real weights", " integer weights"};
	char what[48];
	va_list ap;

	if (ncases > sizeof cases / sizeof *cases)
		abort();
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(c->desc, sizeof c->desc, "%s n=%zu%s%s %s", kinds[kind], n,
		 k > 1 && kind == K_MC ? (k == 3 ? " K=3" : " K=5") : "", wms[wm], what);
	c->kind = kind;
	c->wmode = wm;
	c->n = n;
	c->k = k;
	c->bins = 10;
	c->thr = 0.5;
	c->y = xmalloc(sizeof *c->y * n);
	c->p = xmalloc(sizeof *c->p * n * k);
	c->yi = xmalloc(sizeof *c->yi * n);
	c->w = NULL;
	if (wm != W_NONE) {
		double t = 0;

		c->w = xmalloc(sizeof *c->w * n);
		for (size_t i = 0; i < n; i++) {
			double u = unif();

			/* a tenth of the samples weigh nothing */
			if (wm == W_REAL)
				c->w[i] = u < 0.1 ? 0 : 3 * unif();
			else
				c->w[i] = (double)(next64() % 4);
			t += c->w[i];
		}
		if (t == 0)
			c->w[0] = 1;
		/* one sample: a power of two, so that sklearn's weighted mean
		 * of it is the value itself (see the regression notes) */
		if (n == 1)
			c->w[0] = 2;
	}
	return c;
}

/* Probabilities of class 1 that separate the classes somewhat; beyond
 * [0, 1] they clip to exactly 0 or 1; ties rounds them to 0.1. */
static void fill_binary(struct tcase *c, int ties)
{
	for (size_t i = 0; i < c->n; i++) {
		c->y[i] = unif() < 0.4;
		c->p[i] = clamp01(0.5 + (c->y[i] ? 0.15 : -0.15) + 0.3 * normal());
		if (ties)
			c->p[i] = round(c->p[i] * 10) / 10;
	}
}

static void binary_cases(void)
{
	static const size_t sizes[] = {1, 2, 10, 1000, 100000};
	static const size_t bins[] = {10, 7, 1, 15, 10, 20};
	size_t b = 0;

	for (size_t s = 0; s < 5; s++) {
		for (int wm = W_NONE; wm <= W_INT; wm++) {
			for (int ties = 0; ties < 2; ties++) {
				struct tcase *c = new_case(K_BIN, sizes[s], 1, wm, "%s",
							   ties ? "ties at 0.1" : "continuous");

				fill_binary(c, ties);
				/* thresholds and bin edges that coincide with tied scores */
				c->thr = ties ? (wm == W_INT ? 0.7 : 0.3) : 0.5;
				c->bins = ties ? 10 : bins[b++ % 6];
			}
		}
	}
}

/* ml_metrics_binary_parallel gives ml_metrics_binary's figures to the bit
 * on every binary case (the 100000-sample ones take its two threads). */
static void binary_parallel_self(void)
{
	size_t same = 0, bins = 0, big = 0;

	for (size_t i = 0; i < ncases; i++) {
		const struct tcase *c = &cases[i];
		struct ml_binary_metrics a, b;
		struct ml_err e1 = {0}, e2 = {0};

		if (c->kind != K_BIN)
			continue;
		bins++;
		big += c->n >= ML_WORKER_PARALLEL_ROWS;
		memset(&a, 0, sizeof a);
		memset(&b, 0, sizeof b);
		int ra = ml_metrics_binary(c->y, c->p, c->w, c->n, c->thr, c->bins, &a, &e1);
		int rb = ml_metrics_binary_parallel(c->y, c->p, c->w, c->n, c->thr, c->bins, &b, &e2);
		if (ra == rb && (ra < 0 ? !strcmp(e1.msg, e2.msg) : !memcmp(&a, &b, sizeof a)))
			same++;
		else
			printf("# %s (n=%zu): the parallel figures differ\n", c->desc, c->n);
	}
	ok(bins > 0 && big > 0 && same == bins,
	   "binary_parallel gives binary's figures to the bit (%zu of %zu cases, %zu on two threads)",
	   same, bins, big);
}

static void binary_special_cases(void)
{
	struct tcase *c;
	size_t i, n = 20;

	c = new_case(K_BIN, n, 1, W_NONE, "all positive");
	fill_binary(c, 1);
	for (i = 0; i < n; i++)
		c->y[i] = 1;
	c = new_case(K_BIN, n, 1, W_REAL, "all negative");
	fill_binary(c, 0);
	for (i = 0; i < n; i++)
		c->y[i] = 0;
	c = new_case(K_BIN, n, 1, W_NONE, "one score for all");
	fill_binary(c, 0);
	for (i = 0; i < n; i++)
		c->p[i] = 0.5;
	c = new_case(K_BIN, n, 1, W_INT, "perfect separation");
	fill_binary(c, 0);
	for (i = 0; i < n; i++)
		c->p[i] = c->y[i] ? 0.6 + 0.02 * (double)i : 0.4 - 0.02 * (double)i;
	c = new_case(K_BIN, n, 1, W_NONE, "only 0 and 1 predicted");
	fill_binary(c, 0);
	for (i = 0; i < n; i++)
		c->p[i] = (double)(unif() < 0.5);
	c = new_case(K_BIN, n, 1, W_REAL, "positives weightless");
	fill_binary(c, 1);
	c->y[0] = 1;
	c->y[1] = 0;
	c->w[1] = 1;
	for (i = 0; i < n; i++)
		if (c->y[i] == 1)
			c->w[i] = 0;
	c = new_case(K_BIN, 1000, 1, W_INT, "threshold 0 and 30 bins");
	fill_binary(c, 1);
	c->thr = 0;
	c->bins = 30;
}

static void curve_cases(void)
{
	static const size_t sizes[] = {10, 1000, 100000};

	for (size_t s = 0; s < 3; s++) {
		for (int wm = W_NONE; wm <= W_INT; wm++) {
			for (int ties = 0; ties < 2; ties++) {
				struct tcase *c = new_case(K_CURVE, sizes[s], 1, wm, "scores on R%s",
							   ties ? ", integer ties" : "");

				for (size_t i = 0; i < c->n; i++) {
					c->y[i] = unif() < 0.3;
					c->p[i] = 2 * normal() + c->y[i];
					if (ties)
						c->p[i] = round(c->p[i]);
				}
			}
		}
	}
}

/* Softmax of noisy logits that favour the true class; ties rounds them to
 * 0.1, which makes exact 0s and 1s, rows that do not sum to 1 and ties for
 * the argmax.  absent keeps class k - 1 out of the labels and the
 * predictions. */
static void fill_multiclass(struct tcase *c, int ties, int absent)
{
	size_t k = c->k, kk = absent ? k - 1 : k;

	for (size_t i = 0; i < c->n; i++) {
		double *row = c->p + i * k, z[8], s = 0;

		c->yi[i] = (int)(next64() % kk);
		c->y[i] = c->yi[i];
		for (size_t j = 0; j < k; j++) {
			z[j] = 1.5 * normal() + (j == (size_t)c->yi[i] ? 1.2 : 0);
			s += z[j] = j < kk ? exp(z[j]) : 0;
		}
		for (size_t j = 0; j < k; j++) {
			row[j] = z[j] / s;
			if (ties)
				row[j] = round(row[j] * 10) / 10;
		}
	}
}

static void multiclass_cases(void)
{
	static const size_t sizes[] = {1, 2, 10, 1000, 100000};
	static const size_t ks[] = {3, 5};
	struct tcase *c;

	for (size_t s = 0; s < 5; s++) {
		for (size_t ki = 0; ki < 2; ki++) {
			for (int wm = W_NONE; wm <= W_REAL; wm++) {
				for (int ties = 0; ties < 2; ties++) {
					c = new_case(K_MC, sizes[s], ks[ki], wm, "%s",
						     ties ? "ties at 0.1" : "continuous");
					fill_multiclass(c, ties, 0);
				}
			}
		}
	}
	c = new_case(K_MC, 1000, 5, W_INT, "continuous");
	fill_multiclass(c, 0, 0);
	c = new_case(K_MC, 1000, 5, W_NONE, "class 4 absent");
	fill_multiclass(c, 1, 1);
	c = new_case(K_MC, 1000, 3, W_REAL, "class 2 absent");
	fill_multiclass(c, 0, 1);
}

/* sklearn's R^2 and explained variance of a constant target are clean only
 * when its weighted mean rounds back to the constant, which non-dyadic
 * weights do not promise; so with real weights the targets that carry
 * weight are kept from being all equal (the library's exact treatment of
 * a constant is checked on its own with dyadic data). */
static void unconst(struct tcase *c)
{
	size_t i, first = c->n, last = c->n;

	for (i = 0; i < c->n; i++) {
		if (c->w[i] > 0) {
			if (first == c->n)
				first = i;
			else if (c->y[i] != c->y[first])
				return;
			last = i;
		}
	}
	if (c->n > 1 && last != first && last < c->n)
		c->y[last] += 1;
}

static void regression_cases(void)
{
	static const size_t sizes[] = {1, 2, 10, 1000, 100000};
	struct tcase *c;
	size_t i;

	for (size_t s = 0; s < 5; s++) {
		for (int wm = W_NONE; wm <= W_INT; wm++) {
			for (int ties = 0; ties < 2; ties++) {
				c = new_case(K_REG, sizes[s], 1, wm, "%s",
					     ties ? "ties at 0.5, zero targets" : "continuous");
				for (i = 0; i < c->n; i++) {
					c->y[i] = 3 * normal() + 1;
					c->p[i] = c->y[i] + normal();
					if (ties) {
						c->y[i] = round(c->y[i] * 2) / 2;
						c->p[i] = round(c->p[i] * 2) / 2;
					}
				}
				if (wm == W_REAL) {
					if (c->n == 2)
						c->w[0] = c->w[1] = 0.75;
					unconst(c);
				}
			}
		}
	}
	for (int wm = W_NONE; wm <= W_INT; wm += 2) {
		c = new_case(K_REG, 50, 1, wm, "constant target, perfect");
		for (i = 0; i < c->n; i++)
			c->y[i] = c->p[i] = 2.5;
		c = new_case(K_REG, 50, 1, wm, "constant target, noisy");
		for (i = 0; i < c->n; i++)
			c->p[i] = (c->y[i] = 2.5) + normal();
		c = new_case(K_REG, 50, 1, wm, "perfect predictions");
		for (i = 0; i < c->n; i++)
			c->y[i] = c->p[i] = normal();
		c = new_case(K_REG, 50, 1, wm, "constant offset");
		for (i = 0; i < c->n; i++)
			c->p[i] = (c->y[i] = round(5 * normal())) + 1;
	}
}

/* ---- the reference's answers -------------------------------------------- */

enum { G_CLS, G_CM, G_AUC, G_AP, G_LL, G_BRIER, G_ECE, G_CALIB, G_ROC, G_ROCALL, G_PR,
       G_MC_ACC, G_MC_AVG, G_MC_LL, G_MC_MCC, G_MC_PER, G_MC_CM,
       G_REG_ERR, G_MAPE, G_MEDAE, G_R2, G_EV, G_N };

/* Each metric family: one TAP line. */
static struct ref_group groups[G_N] = {
	[G_CLS] = {"accuracy, precision, recall, F1, MCC at the threshold match sklearn's", 0, 0, 0},
	[G_CM] = {"the binary confusion matrix matches confusion_matrix", 0, 0, 0},
	[G_AUC] = {"ROC AUC matches roc_auc_score (NaN where it refuses one class)", 0, 0, 0},
	[G_AP] = {"average precision matches average_precision_score", 0, 0, 0},
	[G_LL] = {"binary log loss matches log_loss with eps clipping", 0, 0, 0},
	[G_BRIER] = {"Brier score matches brier_score_loss", 0, 0, 0},
	[G_ECE] = {"ECE matches calibration_curve's bins and means", 0, 0, 0},
	[G_CALIB] = {"reliability bins match calibration_curve's counts and means", 0, 0, 0},
	[G_ROC] = {"the ROC curve matches roc_curve", 0, 0, 0},
	[G_ROCALL] = {"the ROC curve matches roc_curve(drop_intermediate=False)", 0, 0, 0},
	[G_PR] = {"the PR curve matches precision_recall_curve", 0, 0, 0},
	[G_MC_ACC] = {"multiclass accuracy matches accuracy_score", 0, 0, 0},
	[G_MC_AVG] = {"macro, micro, weighted precision, recall, F1 match sklearn's", 0, 0, 0},
	[G_MC_LL] = {"multiclass log loss matches log_loss with clipping and renormalizing", 0, 0, 0},
	[G_MC_MCC] = {"multiclass MCC matches matthews_corrcoef", 0, 0, 0},
	[G_MC_PER] = {"per-class precision, recall, F1, support match average=None", 0, 0, 0},
	[G_MC_CM] = {"the multiclass confusion matrix matches confusion_matrix", 0, 0, 0},
	[G_REG_ERR] = {"MAE, MSE and RMSE match sklearn's", 0, 0, 0},
	[G_MAPE] = {"MAPE matches mean_absolute_percentage_error", 0, 0, 0},
	[G_MEDAE] = {"median absolute error matches median_absolute_error", 0, 0, 0},
	[G_R2] = {"R^2 matches r2_score", 0, 0, 0},
	[G_EV] = {"explained variance matches explained_variance_score", 0, 0, 0},
};

/* One comparison, within TOL or not. */
static void record(struct ref_group *g, double err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ref_vrecord(g, err <= TOL, err, fmt, ap);
	va_end(ap);
}

/* The deviation of got from want: absolute up to 1, relative beyond;
 * NaN matches NaN and an infinity itself. */
static double dev(double got, double want)
{
	if (isnan(got) || isnan(want))
		return isnan(got) && isnan(want) ? 0 : INFINITY;
	if (got == want)
		return 0;
	return fabs(got - want) / fmax(1, fabs(want));
}

/* Compares m values and records the worst under name. */
static void compare(int gi, const struct tcase *c, const char *name, const double *got,
		    const double *want, size_t m)
{
	double worst = 0;
	size_t at = 0;

	for (size_t i = 0; i < m; i++) {
		double d = dev(got[i], want[i]);

		if (d > worst || isnan(d)) {
			worst = d;
			at = i;
		}
	}
	record(&groups[gi], worst, "%s: %s[%zu] %.17g, want %.17g", c->desc, name, at,
	       m ? got[at] : 0, m ? want[at] : 0);
}

static void bin_line(struct tcase *c, const double *v, size_t n)
{
	struct ml_binary_metrics m;
	struct ml_err err = {0};
	double cls[5], cm[4];

	if (n != 14) {
		record(&groups[G_CLS], INFINITY, "%s: malformed bin line", c->desc);
		return;
	}
	if (ml_metrics_binary(c->y, c->p, c->w, c->n, c->thr, c->bins, &m, &err) < 0) {
		record(&groups[G_CLS], INFINITY, "%s: refused: %s", c->desc, err.msg);
		return;
	}
	cls[0] = m.accuracy, cls[1] = m.precision, cls[2] = m.recall, cls[3] = m.f1, cls[4] = m.mcc;
	compare(G_CLS, c, "accuracy/precision/recall/f1/mcc", cls, v, 5);
	cm[0] = m.tn, cm[1] = m.fp, cm[2] = m.fn, cm[3] = m.tp;
	compare(G_CM, c, "tn/fp/fn/tp", cm, v + 5, 4);
	compare(G_AUC, c, "auc", &m.roc_auc, v + 9, 1);
	compare(G_AP, c, "ap", &m.average_precision, v + 10, 1);
	compare(G_LL, c, "log loss", &m.log_loss, v + 11, 1);
	compare(G_BRIER, c, "brier", &m.brier, v + 12, 1);
	compare(G_ECE, c, "ece", &m.ece, v + 13, 1);
}

/* "calib id bins count[b] weight[b] mean_p[b] frac_pos[b]" */
static void calib_line(struct tcase *c, const double *v, size_t n)
{
	struct ml_err err = {0};
	struct ml_calib_bin *b;
	size_t nb = c->bins;
	double *got;

	if (n != 1 + 4 * nb || (size_t)v[0] != nb) {
		record(&groups[G_CALIB], INFINITY, "%s: malformed calib line", c->desc);
		return;
	}
	b = xmalloc(sizeof *b * nb);
	got = xmalloc(sizeof *got * 4 * nb);
	if (ml_metrics_calibration(c->y, c->p, c->w, c->n, nb, b, &err) < 0) {
		record(&groups[G_CALIB], INFINITY, "%s: refused: %s", c->desc, err.msg);
	} else {
		for (size_t i = 0; i < nb; i++) {
			got[i] = (double)b[i].count;
			got[nb + i] = b[i].weight;
			/* sklearn reports no mean for a bin with no samples; one
			 * whose samples all weigh 0 has none here either */
			got[2 * nb + i] = b[i].mean_p;
			got[3 * nb + i] = b[i].frac_pos;
		}
		compare(G_CALIB, c, "count/weight/mean_p/frac_pos", got, v + 1, 4 * nb);
	}
	free(got);
	free(b);
}

/* "tag id len cnt idx[cnt] x[cnt] y[cnt] thr[cnt]" against one curve. */
static void curve_line(int gi, struct tcase *c, const double *v, size_t n)
{
	struct ml_curve cv = {0};
	struct ml_err err = {0};
	size_t cnt = n >= 2 ? (size_t)v[1] : 0, len;
	double *got;
	int r;

	if (n < 2 || n != 2 + 4 * cnt) {
		record(&groups[gi], INFINITY, "%s: malformed curve line", c->desc);
		return;
	}
	len = (size_t)v[0];
	if (gi == G_PR)
		r = ml_metrics_pr_curve(c->y, c->p, c->w, c->n, &cv, &err);
	else
		r = ml_metrics_roc_curve(c->y, c->p, c->w, c->n, gi == G_ROC, &cv, &err);
	if (r < 0) {
		record(&groups[gi], INFINITY, "%s: refused: %s", c->desc, err.msg);
		return;
	}
	if (cv.n != len) {
		record(&groups[gi], INFINITY, "%s: %zu points, want %zu", c->desc, cv.n, len);
		ml_metrics_curve_free(&cv);
		return;
	}
	got = xmalloc(sizeof *got * 3 * cnt);
	for (size_t i = 0; i < cnt; i++) {
		size_t at = (size_t)v[2 + i];

		got[i] = cv.x[at];
		got[cnt + i] = cv.y[at];
		got[2 * cnt + i] = cv.thr[at];
	}
	compare(gi, c, "x/y/thr", got, v + 2 + cnt, 3 * cnt);
	free(got);
	ml_metrics_curve_free(&cv);
}

static int run_multiclass(struct tcase *c, struct ml_multiclass_metrics *m,
			  struct ml_class_metrics *pc, double *cm, int gi)
{
	struct ml_err err = {0};

	if (ml_metrics_multiclass(c->yi, c->p, c->w, c->n, c->k, m, pc, cm, &err) < 0) {
		record(&groups[gi], INFINITY, "%s: refused: %s", c->desc, err.msg);
		return -1;
	}
	return 0;
}

static void mc_line(struct tcase *c, const double *v, size_t n)
{
	struct ml_multiclass_metrics m;
	double avg[9], present;

	if (n != 13) {
		record(&groups[G_MC_ACC], INFINITY, "%s: malformed mc line", c->desc);
		return;
	}
	if (run_multiclass(c, &m, NULL, NULL, G_MC_ACC) < 0)
		return;
	compare(G_MC_ACC, c, "accuracy", &m.accuracy, v, 1);
	avg[0] = m.precision_macro, avg[1] = m.recall_macro, avg[2] = m.f1_macro;
	avg[3] = m.precision_micro, avg[4] = m.recall_micro, avg[5] = m.f1_micro;
	avg[6] = m.precision_weighted, avg[7] = m.recall_weighted, avg[8] = m.f1_weighted;
	compare(G_MC_AVG, c, "macro p/r/f, micro p/r/f, weighted p/r/f", avg, v + 1, 9);
	compare(G_MC_LL, c, "log loss", &m.log_loss, v + 10, 1);
	compare(G_MC_MCC, c, "mcc", &m.mcc, v + 11, 1);
	present = (double)m.present;
	compare(G_MC_AVG, c, "classes present", &present, v + 12, 1);
}

static void mcper_line(struct tcase *c, const double *v, size_t n)
{
	struct ml_multiclass_metrics m;
	struct ml_class_metrics *pc;
	double *got;
	size_t k = c->k;

	if (n != 1 + 4 * k || (size_t)v[0] != k) {
		record(&groups[G_MC_PER], INFINITY, "%s: malformed mcper line", c->desc);
		return;
	}
	pc = xmalloc(sizeof *pc * k);
	got = xmalloc(sizeof *got * 4 * k);
	if (run_multiclass(c, &m, pc, NULL, G_MC_PER) == 0) {
		for (size_t j = 0; j < k; j++) {
			got[j] = pc[j].precision;
			got[k + j] = pc[j].recall;
			got[2 * k + j] = pc[j].f1;
			got[3 * k + j] = pc[j].support;
		}
		compare(G_MC_PER, c, "precision/recall/f1/support", got, v + 1, 4 * k);
	}
	free(got);
	free(pc);
}

static void mccm_line(struct tcase *c, const double *v, size_t n)
{
	struct ml_multiclass_metrics m;
	size_t k = c->k;
	double *cm;

	if (n != 1 + k * k || (size_t)v[0] != k) {
		record(&groups[G_MC_CM], INFINITY, "%s: malformed mccm line", c->desc);
		return;
	}
	cm = xmalloc(sizeof *cm * k * k);
	if (run_multiclass(c, &m, NULL, cm, G_MC_CM) == 0)
		compare(G_MC_CM, c, "confusion", cm, v + 1, k * k);
	free(cm);
}

static void reg_line(struct tcase *c, const double *v, size_t n)
{
	struct ml_regression_metrics m;
	struct ml_err err = {0};
	double e[3];

	if (n != 7) {
		record(&groups[G_REG_ERR], INFINITY, "%s: malformed reg line", c->desc);
		return;
	}
	if (ml_metrics_regression(c->y, c->p, c->w, c->n, &m, &err) < 0) {
		record(&groups[G_REG_ERR], INFINITY, "%s: refused: %s", c->desc, err.msg);
		return;
	}
	e[0] = m.mae, e[1] = m.mse, e[2] = m.rmse;
	compare(G_REG_ERR, c, "mae/mse/rmse", e, v, 3);
	compare(G_MAPE, c, "mape", &m.mape, v + 3, 1);
	compare(G_MEDAE, c, "medae", &m.medae, v + 4, 1);
	compare(G_R2, c, "r2", &m.r2, v + 5, 1);
	compare(G_EV, c, "explained variance", &m.explained_variance, v + 6, 1);
}

static void dispatch(const char *tag, const double *v, size_t n)
{
	struct tcase *c;
	size_t id;

	if (!strcmp(tag, "version")) {
		if (n != 3 || v[1] != 1 || v[2] != 2)
			printf("# the reference is scikit-learn %g.%g, not 1.2\n", n == 3 ? v[1] : 0,
			       n == 3 ? v[2] : 0);
		return;
	}
	if (n < 1 || v[0] < 0 || (size_t)v[0] >= ncases) {
		printf("# reference line '%s' names no case\n", tag);
		tap_failed++;
		return;
	}
	id = (size_t)v[0];
	c = &cases[id];
	c->lines++;
	v++;
	n--;
	if (!strcmp(tag, "bin"))
		bin_line(c, v, n);
	else if (!strcmp(tag, "calib"))
		calib_line(c, v, n);
	else if (!strcmp(tag, "roc"))
		curve_line(G_ROC, c, v, n);
	else if (!strcmp(tag, "rocall"))
		curve_line(G_ROCALL, c, v, n);
	else if (!strcmp(tag, "pr"))
		curve_line(G_PR, c, v, n);
	else if (!strcmp(tag, "mc"))
		mc_line(c, v, n);
	else if (!strcmp(tag, "mcper"))
		mcper_line(c, v, n);
	else if (!strcmp(tag, "mccm"))
		mccm_line(c, v, n);
	else if (!strcmp(tag, "reg"))
		reg_line(c, v, n);
	else {
		printf("# unknown reference line '%s'\n", tag);
		tap_failed++;
	}
}

/* The cases as metrics_reference.py reads them: per case 8 header numbers
 * (kind, n, k, weighted, threshold, bins, id, 0), y, p, then w. */
static int write_cases(FILE *f)
{
	for (size_t i = 0; i < ncases; i++) {
		const struct tcase *c = &cases[i];
		double h[8] = {c->kind, (double)c->n, (double)c->k, c->w != NULL, c->thr,
			       (double)c->bins, (double)i, 0};

		if (fwrite(h, sizeof *h, 8, f) != 8 ||
		    fwrite(c->y, sizeof *c->y, c->n, f) != c->n ||
		    fwrite(c->p, sizeof *c->p, c->n * c->k, f) != c->n * c->k ||
		    (c->w && fwrite(c->w, sizeof *c->w, c->n, f) != c->n))
			return -1;
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

/* The reference script: $ML_METRICS_REF, else metrics_reference.py in the
 * working directory (tests/run works in tests/unit), under tests/unit of
 * it (make's directory), or three levels above this binary
 * (build/<variant>/tests/). */
static const char *find_script(char *buf, size_t size)
{
	const char *env = getenv("ML_METRICS_REF");
	char exe[4096];
	ssize_t len;

	if (env && *env)
		return env;
	if (access("metrics_reference.py", R_OK) == 0)
		return "metrics_reference.py";
	if (access("tests/unit/metrics_reference.py", R_OK) == 0)
		return "tests/unit/metrics_reference.py";
	len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len > 0) {
		char *slash;

		exe[len] = '\0';
		for (int up = 0; up < 4 && (slash = strrchr(exe, '/')); up++)
			*slash = '\0';
		snprintf(buf, size, "%s/tests/unit/metrics_reference.py", exe);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return NULL;
}

static void against_sklearn(void)
{
	const char *tmp = getenv("TMPDIR"), *script;
	char path[4096], where[4200], cmd[12000];
	size_t i;
	int fd, complete = 1;
	FILE *f;

	if (!(script = find_script(where, sizeof where))) {
		ok(0, "the reference script metrics_reference.py is found");
		return;
	}
	snprintf(path, sizeof path, "%s/ml_metrics_casesXXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!f || write_cases(f) < 0) {
		ok(0, "the cases are written to a temporary file");
		if (f)
			fclose(f);
		else if (fd >= 0)
			close(fd);
		if (fd >= 0)
			unlink(path);
		return;
	}
	fclose(f);
	snprintf(cmd, sizeof cmd, "'%s' '%s' '%s'", ref_python(), script, path);
	if (ref_run(cmd, path, "sklearn", dispatch) < 0)
		return;
	for (i = 0; i < ncases; i++) {
		static const int want[] = {[K_BIN] = 5, [K_MC] = 3, [K_REG] = 1, [K_CURVE] = 3};

		if (cases[i].lines != want[cases[i].kind]) {
			printf("# %s: %d reference lines, want %d\n", cases[i].desc, cases[i].lines,
			       want[cases[i].kind]);
			complete = 0;
		}
	}
	ok(complete, "every one of %zu cases was answered by the reference", ncases);
	for (i = 0; i < G_N; i++)
		ok(groups[i].cases > 0 && groups[i].bad == 0, "%s: %d cases (worst %.3g)",
		   groups[i].what, groups[i].cases, groups[i].worst);
}

/* ---- checks that need no reference ---------------------------------- */

/* sklearn's doc example of roc_auc_score and average_precision_score. */
static void known_values(void)
{
	const double y[] = {0, 0, 1, 1}, s[] = {0.1, 0.4, 0.35, 0.8};
	const double fpr[] = {0, 0, 0.5, 0.5, 1}, tpr[] = {0, 0.5, 0.5, 1, 1};
	const double thr[] = {1.8, 0.8, 0.4, 0.35, 0.1};
	const double rec[] = {1, 1, 0.5, 0.5, 0}, prec[] = {0.5, 2.0 / 3, 0.5, 1, 1};
	struct ml_binary_metrics m;
	struct ml_curve c = {0};
	struct ml_err err = {0};
	int good;

	ok(ml_metrics_binary(y, s, NULL, 4, 0.5, 10, &m, &err) == 0 && m.roc_auc == 0.75 &&
	   fabs(m.average_precision - 5.0 / 6) < 1e-15,
	   "the documentation example gives AUC 0.75 and AP 5/6");
	good = ml_metrics_roc_curve(y, s, NULL, 4, 1, &c, &err) == 0 && c.n == 5;
	for (size_t i = 0; good && i < 5; i++)
		good = c.x[i] == fpr[i] && c.y[i] == tpr[i] && c.thr[i] == thr[i];
	ok(good, "its ROC curve starts at (0, 0) with threshold max + 1");
	ml_metrics_curve_free(&c);
	good = ml_metrics_pr_curve(y, s, NULL, 4, &c, &err) == 0 && c.n == 5 && isinf(c.thr[4]);
	for (size_t i = 0; good && i < 5; i++)
		good = c.x[i] == rec[i] && fabs(c.y[i] - prec[i]) < 1e-15 &&
		       (i == 4 || c.thr[i] == s[(size_t[]){0, 2, 1, 3}[i]]);
	ok(good, "its PR curve ends at (0, 1) with an infinite threshold");
	ml_metrics_curve_free(&c);
	ml_metrics_curve_free(&c);
	ok(c.n == 0 && !c.x, "a curve can be freed twice");
}

static void binary_self(void)
{
	const double y1[] = {1, 1, 1}, p1[] = {0.2, 0.9, 0.5}, y0[] = {0, 0, 0};
	const double ye[] = {1, 0, 0, 1};
	/* 3 * (1.0 / 10) is the edge, 0.30000000000000004, above the double 0.3 */
	double edge[] = {0.3, nextafter(3 * 0.1, 1), 0, 1};
	const double y[] = {0, 1, 1, 0}, p[] = {0, 1, 0.5, 1};
	struct ml_binary_metrics m;
	struct ml_calib_bin b[10];
	struct ml_err err = {0};

	ok(ml_metrics_binary(y1, p1, NULL, 3, 0.5, 5, &m, &err) == 0 && isnan(m.roc_auc) &&
	   m.average_precision == 1 && m.mcc == 0,
	   "all positive: AUC is NaN, AP 1, MCC 0");
	ok(ml_metrics_binary(y0, p1, NULL, 3, 0.5, 5, &m, &err) == 0 && isnan(m.roc_auc) &&
	   m.average_precision == 0 && m.precision == 0 && m.recall == 0 && m.f1 == 0,
	   "all negative: AUC NaN, AP 0, and 0/0 precision and recall are 0");
	ok(ml_metrics_binary(y, p, NULL, 4, 0.5, 2, &m, &err) == 0 &&
	   fabs(m.log_loss - (36.04365338911715 + log(2)) / 4) < 1e-12 && m.brier == 0.3125,
	   "log loss clips a certain wrong answer to -ln(eps) (%.17g)", m.log_loss);
	ok(ml_metrics_calibration(ye, edge, NULL, 4, 10, b, &err) == 0 && b[2].count == 1 &&
	   b[3].count == 1 && b[0].count == 1 && b[9].count == 1 && b[0].lo == 0 && b[9].hi == 1 &&
	   b[2].hi == 3 * 0.1 && isnan(b[5].mean_p),
	   "a probability on a bin edge goes to the lower bin, 0 and 1 to the end bins");
	ok(ml_metrics_binary(y, p, NULL, 4, 0.5, 1, &m, &err) == 0 && m.ece == 0.125,
	   "one bin: ECE is |mean y - mean p|");
}

static void multiclass_self(void)
{
	const int y[] = {0, 1, 2, 2};
	const double p[] = {0.5, 0.5, 0, 0.2, 0.3, 0.5, 0, 0, 1, 0.4, 0.4, 0.2};
	struct ml_multiclass_metrics m;
	struct ml_class_metrics pc[3];
	double cm[9];
	struct ml_err err = {0};

	ok(ml_metrics_multiclass(y, p, NULL, 4, 3, &m, pc, cm, &err) == 0 && m.accuracy == 0.5 &&
	   cm[0] == 1 && cm[1 * 3 + 2] == 1 && cm[2 * 3 + 2] == 1 && cm[2 * 3 + 0] == 1 &&
	   m.present == 2 + 1 && pc[1].precision == 0 && pc[1].present,
	   "argmax takes the first maximum; the confusion matrix is true by predicted");
}

static void regression_self(void)
{
	const double y[] = {1, 2, 3, 4}, yh[] = {1, 2, 3, 8}, ones[] = {1, 1, 1, 1};
	const double c[] = {0.1, 0.1, 0.1}, ch[] = {0.1, 0.1, 0.1}, cn[] = {0.2, 0.1, 0.3};
	const double w3[] = {0.3, 0.7, 0.1};
	struct ml_regression_metrics m;
	struct ml_err err = {0};

	ok(ml_metrics_regression(y, yh, NULL, 4, &m, &err) == 0 && m.medae == 0 && m.mae == 1 &&
	   m.mse == 4 && m.rmse == 2, "MAE, MSE, RMSE and the median of 0, 0, 0, 4");
	ok(ml_metrics_regression(y, yh, NULL, 1, &m, &err) == 0 && isnan(m.r2) &&
	   m.explained_variance == 1, "one sample: R^2 is NaN, explained variance 1");
	ok(ml_metrics_regression(y, y, ones, 4, &m, &err) == 0 && m.r2 == 1 && m.medae == 0,
	   "perfect predictions: R^2 is 1");
	ok(ml_metrics_regression(c, ch, w3, 3, &m, &err) == 0 && m.r2 == 1 && m.explained_variance == 1,
	   "a constant target predicted exactly: R^2 1 with non-dyadic weights too");
	ok(ml_metrics_regression(c, cn, w3, 3, &m, &err) == 0 && m.r2 == 0 && m.explained_variance == 0,
	   "a constant target missed: R^2 0, not a rounding residue's huge negative");
	ok(ml_metrics_regression((const double[]){0, 0, 0, 0}, (const double[]){1, 3, 2, 9}, NULL, 4, &m, &err) == 0 &&
	   m.medae == 2.5 && ml_metrics_regression((const double[]){0, 0, 0, 0}, (const double[]){1, 3, 2, 9},
						    ones, 4, &m, &err) == 0 && m.medae == 2,
	   "median: the middle mean unweighted, the lower median with weights of 1 (as sklearn)");
	ok(ml_metrics_regression((const double[]){0, 1}, (const double[]){1, 1}, NULL, 2, &m, &err) == 0 &&
	   m.mape == 0.5 / 2.220446049250313e-16, "MAPE divides by eps where the target is 0");
}

static void errors_self(void)
{
	const double y[] = {0, 1, 1}, p[] = {0.2, 0.7, 0.4}, w[] = {1, 2, 3};
	struct ml_binary_metrics bm;
	struct ml_multiclass_metrics mm;
	struct ml_regression_metrics rm;
	struct ml_calib_bin b[2];
	struct ml_curve c = {0};
	struct ml_err err = {0};

	ok(ml_metrics_binary(y, p, NULL, 0, 0.5, 10, &bm, &err) < 0 && err.kind == ML_ERR_USAGE,
	   "binary metrics of no samples are refused");
	ok(ml_metrics_binary((const double[]){0, 2, 1}, p, NULL, 3, 0.5, 10, &bm, &err) < 0 &&
	   err.kind == ML_ERR_DATA && strstr(err.msg, "y[1]"), "a label of 2 is refused: %s", err.msg);
	ok(ml_metrics_binary(y, (const double[]){0.2, 1.5, 0}, NULL, 3, 0.5, 10, &bm, &err) < 0 &&
	   strstr(err.msg, "p[1]"), "a probability above 1 is refused: %s", err.msg);
	ok(ml_metrics_roc_curve(y, (const double[]){0.2, NAN, 0}, NULL, 3, 1, &c, &err) < 0 && !c.x,
	   "a NaN score is refused and leaves the curve empty: %s", err.msg);
	ok(ml_metrics_roc_curve(y, (const double[]){-7, 1e6, 0}, w, 3, 1, &c, &err) == 0 && c.n == 4,
	   "the curves take scores beyond [0, 1]");
	ml_metrics_curve_free(&c);
	ok(ml_metrics_binary(y, p, (const double[]){1, -1, 1}, 3, 0.5, 10, &bm, &err) < 0 &&
	   strstr(err.msg, "w[1]"), "a negative weight is refused: %s", err.msg);
	ok(ml_metrics_binary(y, p, (const double[]){0, 0, 0}, 3, 0.5, 10, &bm, &err) < 0,
	   "weights summing to 0 are refused: %s", err.msg);
	ok(ml_metrics_binary(y, p, w, 3, 0.5, 0, &bm, &err) < 0 && err.kind == ML_ERR_USAGE &&
	   ml_metrics_calibration(y, p, w, 3, 0, b, &err) < 0, "zero bins are refused");
	ok(ml_metrics_binary(y, p, w, 3, NAN, 2, &bm, &err) < 0, "a NaN threshold is refused");
	ok(ml_metrics_multiclass((const int[]){0, 1}, p, NULL, 2, 1, &mm, NULL, NULL, &err) < 0 &&
	   err.kind == ML_ERR_USAGE, "one class is refused: %s", err.msg);
	ok(ml_metrics_multiclass((const int[]){0, 3}, (const double[]){1, 0, 0, 1}, NULL, 2, 2, &mm,
				 NULL, NULL, &err) < 0 && strstr(err.msg, "y[1]"),
	   "a class beyond k is refused: %s", err.msg);
	ok(ml_metrics_multiclass((const int[]){0, 1}, (const double[]){1, 0, NAN, 1}, NULL, 2, 2, &mm,
				 NULL, NULL, &err) < 0, "a NaN probability is refused: %s", err.msg);
	ok(ml_metrics_regression(y, (const double[]){0, INFINITY, 0}, NULL, 3, &rm, &err) < 0 &&
	   strstr(err.msg, "yhat[1]"), "an infinite prediction is refused: %s", err.msg);
}

/* The one list of metric names: each task's names in ml-eval's order, and
 * a direction for every one that has one. */
static void names_and_directions(void)
{
	const char *const *names;
	size_t n = ml_metrics_names(ML_TASK_BINARY, &names);
	int directed = 1;
	struct ml_buf known = {0};

	ok(n == 11 && !strcmp(names[0], "accuracy") && !strcmp(names[4], "auc") &&
	   !strcmp(names[6], "log_loss") && !strcmp(names[8], "mcc") && !strcmp(names[10], "positive_rate"),
	   "binary metrics come in ml-eval's order, accuracy first, positive_rate last");
	for (size_t i = 0; i + 1 < n; i++)
		directed &= ml_metric_direction(names[i]) != 0;
	n = ml_metrics_names(ML_TASK_MULTICLASS, &names);
	ok(n == 12 && !strcmp(names[3], "macro_f1") && !strcmp(names[11], "mcc"),
	   "multiclass metrics come in ml-eval's order");
	for (size_t i = 0; i < n; i++)
		directed &= ml_metric_direction(names[i]) != 0;
	n = ml_metrics_names(ML_TASK_REGRESSION, &names);
	ok(n == 7 && !strcmp(names[0], "mae") && !strcmp(names[6], "explained_variance"),
	   "regression metrics come in ml-eval's order");
	for (size_t i = 0; i < n; i++)
		directed &= ml_metric_direction(names[i]) != 0;
	ok(directed, "every metric but positive_rate has a direction");
	ok(ml_metric_direction("auc") == 1 && ml_metric_direction("rmse") == -1 &&
	   ml_metric_direction("positive_rate") == 0 && ml_metric_direction("acu") == 0,
	   "auc is better higher, rmse lower, positive_rate neither, an unknown name has none");
	ml_metric_known_names(&known);
	ok(known.data && !strncmp(known.data, "higher is better: accuracy, ", 28) &&
	   strstr(known.data, "; lower is better: log_loss, ") && !strstr(known.data, "positive_rate"),
	   "the known names list both directions: %s", known.data ? known.data : "");
	ml_buf_free(&known);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	names_and_directions();
	known_values();
	binary_self();
	multiclass_self();
	regression_self();
	errors_self();
	binary_cases();
	binary_special_cases();
	binary_parallel_self();
	curve_cases();
	multiclass_cases();
	regression_cases();
	fflush(stdout);
	against_sklearn();
	for (size_t i = 0; i < ncases; i++) {
		free(cases[i].y);
		free(cases[i].p);
		free(cases[i].yi);
		free(cases[i].w);
	}
	return tap_done();
}
