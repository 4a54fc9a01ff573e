/* ml_metrics: model evaluation metrics; definitions in ml_metrics.h.
 *
 * The formulas follow scikit-learn 1.2 step by step where the order of
 * operations decides a discrete outcome (which bin a probability falls
 * in, which tie group a score joins, when a 0/0 is declared); elsewhere
 * sums are compensated, so results may be more accurate than sklearn's
 * by a few ulps but never less. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ml_metrics.h"
#include "ml_worker.h"

/* ---- compensated summation (Neumaier) --------------------------------- */

/* A running sum with its rounding error carried separately: the error of
 * a sum of n terms stays about one ulp of the result instead of growing
 * with n, which matters for weighted counts near 1e5 and more. */
struct acc {
	double s, c;
};

static void acc_add(struct acc *a, double x)
{
	double t = a->s + x;

	if (fabs(a->s) >= fabs(x))
		a->c += (a->s - t) + x;
	else
		a->c += (x - t) + a->s;
	a->s = t;
}

static double acc_val(const struct acc *a)
{
	return a->s + a->c;
}

/* a * b - c * d with one rounding (Kahan's fma trick), for the MCC
 * covariances, where the products are large and their difference small. */
static double diff_of_products(double a, double b, double c, double d)
{
	double cd = c * d;
	double e = fma(-c, d, cd);
	double f = fma(a, b, -cd);

	return f + e;
}

/* ---- input checks ------------------------------------------------------ */

/* Weights: NULL, or finite and >= 0 with a positive total (np.average
 * divides by it); the total into *total. */
static int check_weights(const double *w, size_t n, double *total, struct ml_err *err)
{
	struct acc t = {0, 0};
	size_t i;

	if (!w) {
		*total = (double)n;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!isfinite(w[i]) || w[i] < 0)
			return ml_err_set(err, ML_ERR_DATA, "weight w[%zu] is %g, not a finite number >= 0",
					  i, w[i]);
		acc_add(&t, w[i]);
	}
	*total = acc_val(&t);
	if (!(*total > 0))
		return ml_err_set(err, ML_ERR_DATA, "the weights sum to 0");
	return 0;
}

/* Binary labels, scores (probabilities when probs) and weights. */
static int check_binary(const double *y, const double *s, const double *w, size_t n, int probs,
			double *total, struct ml_err *err)
{
	size_t i;

	if (n == 0)
		return ml_err_set(err, ML_ERR_USAGE, "no samples");
	for (i = 0; i < n; i++) {
		if (y[i] != 0 && y[i] != 1)
			return ml_err_set(err, ML_ERR_DATA, "label y[%zu] is %g, not 0 or 1", i, y[i]);
		if (!isfinite(s[i]) || (probs && (s[i] < 0 || s[i] > 1)))
			return ml_err_set(err, ML_ERR_DATA, "%s[%zu] is %g, not %s",
					  probs ? "probability p" : "score s", i, s[i],
					  probs ? "in [0, 1]" : "finite");
	}
	return check_weights(w, n, total, err);
}

static double weight_of(const double *w, size_t i)
{
	return w ? w[i] : 1.0;
}

/* ---- ranking: tie groups of descending scores --------------------------- */

/* One distinct score and the positive and negative weight that has it. */
struct group {
	double s, pos, neg;
};

static int by_score_desc(const void *a, const void *b)
{
	double x = ((const struct group *)a)->s, y = ((const struct group *)b)->s;

	return (x < y) - (x > y);
}

/* A double's bits as an unsigned key that sorts as the double does,
 * descending (-0 and 0 end up adjacent, and compare equal later). */
static uint64_t desc_key(double x)
{
	uint64_t u;

	memcpy(&u, &x, sizeof u);
	u = u >> 63 ? ~u : u | 0x8000000000000000ULL;
	return ~u;
}

/* Sorts groups by score, descending: an LSD radix sort, 11 bits a pass
 * (measured: qsort of a million scores was most of ml-train's metrics
 * time); qsort for small inputs or when memory is short. */
static void sort_groups_desc(struct group *g, size_t k)
{
	enum { BITS = 11, BUCKETS = 1 << BITS, PASSES = (64 + BITS - 1) / BITS };
	struct group *tmp = k >= 1024 ? malloc(k * sizeof *tmp) : NULL;
	size_t *count = tmp ? malloc(BUCKETS * sizeof *count) : NULL;

	if (!count) {
		free(tmp);
		qsort(g, k, sizeof *g, by_score_desc);
		return;
	}
	struct group *src = g, *dst = tmp;
	for (int pass = 0; pass < PASSES; pass++) {
		int shift = pass * BITS;
		memset(count, 0, BUCKETS * sizeof *count);
		for (size_t i = 0; i < k; i++)
			count[(desc_key(src[i].s) >> shift) & (BUCKETS - 1)]++;
		/* a digit the same in every key moves nothing */
		if (count[(desc_key(src[0].s) >> shift) & (BUCKETS - 1)] == k)
			continue;
		size_t sum = 0;
		for (size_t b = 0; b < BUCKETS; b++) {
			size_t c = count[b];
			count[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < k; i++)
			dst[count[(desc_key(src[i].s) >> shift) & (BUCKETS - 1)]++] = src[i];
		struct group *t = src;
		src = dst;
		dst = t;
	}
	if (src != g)
		memcpy(g, src, k * sizeof *g);
	free(tmp);
	free(count);
}

/* The distinct scores of the samples with nonzero weight, descending, with
 * their weights (sklearn's _binary_clf_curve before the cumulative sums);
 * a malloc'd array into *out, its length (>= 1 after check_binary) into *m. */
static int score_groups(const double *y, const double *s, const double *w, size_t n,
			struct group **out, size_t *m, struct ml_err *err)
{
	struct group *g = malloc(sizeof *g * n);
	size_t i, k = 0, j;

	if (!g)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	for (i = 0; i < n; i++) {
		double wi = weight_of(w, i);

		if (wi == 0)
			continue;
		g[k].s = s[i];
		g[k].pos = y[i] == 1 ? wi : 0;
		g[k].neg = y[i] == 1 ? 0 : wi;
		k++;
	}
	sort_groups_desc(g, k);
	/* merge ties in place: the write index never passes the read index */
	for (i = 0, j = 0; i < k; j++) {
		struct acc pos = {0, 0}, neg = {0, 0};
		double v = g[i].s;

		for (; i < k && g[i].s == v; i++) {
			acc_add(&pos, g[i].pos);
			acc_add(&neg, g[i].neg);
		}
		g[j].s = v;
		g[j].pos = acc_val(&pos);
		g[j].neg = acc_val(&neg);
	}
	*out = g;
	*m = j;
	return 0;
}

/* ROC AUC and average precision of m groups: the trapezoid of each tie
 * group is its negative weight times the mean of the true positives
 * before and after it; AP weighs each group's precision by its share of
 * the positives. */
static void rank_metrics(const struct group *g, size_t m, double *auc, double *ap)
{
	struct acc tp = {0, 0}, fp = {0, 0}, area = {0, 0}, prec = {0, 0};
	double P, N;
	size_t i;

	for (i = 0; i < m; i++) {
		double before = acc_val(&tp);

		acc_add(&area, g[i].neg * (before + g[i].pos / 2));
		acc_add(&tp, g[i].pos);
		acc_add(&fp, g[i].neg);
		if (g[i].pos > 0) {
			double t = acc_val(&tp);

			acc_add(&prec, g[i].pos * (t / (t + acc_val(&fp))));
		}
	}
	P = acc_val(&tp);
	N = acc_val(&fp);
	*auc = P > 0 && N > 0 ? acc_val(&area) / P / N : NAN;
	/* no positives: sklearn sets every recall to 1, so the one step of
	 * recall is at the top score, where precision is 0 */
	*ap = P > 0 ? acc_val(&prec) / P : 0;
}

/* ---- calibration bins ---------------------------------------------------- */

struct bin_acc {
	struct acc w, wy, wp;
	size_t count;
};

/* The bin of probability p among bins equal-width ones, exactly as
 * calibration_curve finds it: np.searchsorted(side='left') of p on the
 * inner edges j * (1.0 / bins) of np.linspace, so p on an edge goes to the
 * lower bin.  p * bins is a first guess off by at most one. */
static size_t calib_bin(double p, size_t bins)
{
	double step = 1.0 / (double)bins;
	size_t b = (size_t)(p * (double)bins);

	if (b >= bins)
		b = bins - 1;
	while (b > 0 && p <= (double)b * step)
		b--;
	while (b + 1 < bins && p > (double)(b + 1) * step)
		b++;
	return b;
}

static struct bin_acc *calib_fill(const double *y, const double *p, const double *w, size_t n,
				  size_t bins, struct ml_err *err)
{
	struct bin_acc *a;
	size_t i;

	if (bins == 0 || bins > SIZE_MAX / sizeof *a) {
		ml_err_set(err, ML_ERR_USAGE, "the number of calibration bins must be at least 1");
		return NULL;
	}
	a = calloc(bins, sizeof *a);
	if (!a) {
		ml_err_set(err, ML_ERR_IO, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		struct bin_acc *b = &a[calib_bin(p[i], bins)];
		double wi = weight_of(w, i);

		b->count++;
		acc_add(&b->w, wi);
		acc_add(&b->wy, wi * y[i]);
		acc_add(&b->wp, wi * p[i]);
	}
	return a;
}

int ml_metrics_calibration(const double *y, const double *p, const double *w, size_t n,
			   size_t bins, struct ml_calib_bin *out, struct ml_err *err)
{
	struct bin_acc *a;
	double total, step;
	size_t b;

	if (check_binary(y, p, w, n, 1, &total, err) < 0)
		return -1;
	if (!(a = calib_fill(y, p, w, n, bins, err)))
		return -1;
	step = 1.0 / (double)bins;
	for (b = 0; b < bins; b++) {
		double wb = acc_val(&a[b].w);

		out[b].lo = (double)b * step;
		out[b].hi = b + 1 == bins ? 1.0 : (double)(b + 1) * step;
		out[b].count = a[b].count;
		out[b].weight = wb;
		out[b].mean_p = wb > 0 ? acc_val(&a[b].wp) / wb : NAN;
		out[b].frac_pos = wb > 0 ? acc_val(&a[b].wy) / wb : NAN;
	}
	free(a);
	return 0;
}

/* ---- binary ------------------------------------------------------------- */

/* Matthews' correlation of a k x k confusion matrix c, as
 * matthews_corrcoef: cov(t, p) / sqrt(cov(t, t) cov(p, p)) with
 * cov(p, p) = s^2 - sum p_j^2 written as sum p_j (s - p_j), where s - p_j
 * is summed from the other margins, so that it stays exact when one class
 * has nearly all the weight; 0 when either variance is 0.  tsum, psum are
 * scratch of k doubles. */
static double mcc_of(const double *c, size_t k, double *tsum, double *psum)
{
	struct acc s = {0, 0}, cov_tp = {0, 0}, cov_pp = {0, 0}, cov_tt = {0, 0};
	double total, rest_t, rest_p;
	size_t i, j;

	for (i = 0; i < k; i++) {
		struct acc t = {0, 0}, p = {0, 0};

		for (j = 0; j < k; j++) {
			acc_add(&t, c[i * k + j]);
			acc_add(&p, c[j * k + i]);
		}
		tsum[i] = acc_val(&t);
		psum[i] = acc_val(&p);
		acc_add(&s, tsum[i]);
	}
	total = acc_val(&s);
	for (i = 0; i < k; i++) {
		struct acc ot = {0, 0}, op = {0, 0};

		/* O(k^2), but k is a number of classes */
		for (j = 0; j < k; j++) {
			if (j != i) {
				acc_add(&ot, tsum[j]);
				acc_add(&op, psum[j]);
			}
		}
		rest_t = acc_val(&ot);
		rest_p = acc_val(&op);
		acc_add(&cov_tt, tsum[i] * rest_t);
		acc_add(&cov_pp, psum[i] * rest_p);
		acc_add(&cov_tp, diff_of_products(c[i * k + i], total, tsum[i], psum[i]));
	}
	if (acc_val(&cov_tt) == 0 || acc_val(&cov_pp) == 0)
		return 0;
	return acc_val(&cov_tp) / sqrt(acc_val(&cov_tt)) / sqrt(acc_val(&cov_pp));
}

/* sklearn's 0/0 -> 0 (zero_division='warn' returns 0). */
static double ratio0(double num, double den)
{
	return den == 0 ? 0 : num / den;
}

static double f1_of(double precision, double recall)
{
	double d = precision + recall;

	return d == 0 ? 0 : 2 * precision * recall / d;
}

/* ml_metrics_binary's two parts, each about a tenth of a second on a
 * million scores, which ml_metrics_binary_parallel runs on two threads when
 * the scores are many: the ranking (a sort of every score, for the AUC and
 * AP) and the rest (one pass, and the calibration bins).  Each part has its
 * own error. */
struct binary_part {
	int ranking;
	const double *y, *p, *w;
	size_t n, bins;
	double threshold, total;
	struct ml_binary_metrics *out;
	int rc;
	struct ml_err err;
};

static int binary_counts(struct binary_part *b)
{
	const double eps = DBL_EPSILON, *y = b->y, *p = b->p, *w = b->w, total = b->total;
	struct acc cm[4] = {{0, 0}}, ll = {0, 0}, br = {0, 0}, ece = {0, 0};
	struct ml_binary_metrics *out = b->out;
	struct bin_acc *a;
	double c[4], tsum[2], psum[2];
	size_t i;

	if (!(a = calib_fill(y, p, w, b->n, b->bins, &b->err)))
		return -1;
	for (i = 0; i < b->n; i++) {
		double wi = weight_of(w, i), q = fmin(fmax(p[i], eps), 1 - eps), q0 = 1 - q;
		int truth = y[i] == 1, pred = p[i] >= b->threshold;

		acc_add(&cm[2 * truth + pred], wi);
		/* log_loss renormalizes the clipped pair (1 - q, q) by its sum */
		acc_add(&ll, -wi * log((truth ? q : q0) / (q0 + q)));
		acc_add(&br, wi * (y[i] - p[i]) * (y[i] - p[i]));
	}
	for (i = 0; i < b->bins; i++) {
		double wb = acc_val(&a[i].w);

		if (wb > 0)
			acc_add(&ece, wb / total * fabs(acc_val(&a[i].wy) / wb - acc_val(&a[i].wp) / wb));
	}
	free(a);
	for (i = 0; i < 4; i++)
		c[i] = acc_val(&cm[i]);
	out->weight = total;
	out->tn = c[0];
	out->fp = c[1];
	out->fn = c[2];
	out->tp = c[3];
	out->neg = acc_val(&cm[0]) + acc_val(&cm[1]);
	out->pos = acc_val(&cm[2]) + acc_val(&cm[3]);
	out->accuracy = (c[0] + c[3]) / total;
	out->precision = ratio0(c[3], c[3] + c[1]);
	out->recall = ratio0(c[3], c[3] + c[2]);
	out->f1 = f1_of(out->precision, out->recall);
	out->mcc = mcc_of(c, 2, tsum, psum);
	out->log_loss = acc_val(&ll) / total;
	out->brier = acc_val(&br) / total;
	out->ece = acc_val(&ece);
	return 0;
}

static void *binary_part_work(void *arg)
{
	struct binary_part *b = arg;
	struct group *g;
	size_t m;

	if (!b->ranking) {
		b->rc = binary_counts(b);
		return NULL;
	}
	if ((b->rc = score_groups(b->y, b->p, b->w, b->n, &g, &m, &b->err)) == 0) {
		rank_metrics(g, m, &b->out->roc_auc, &b->out->average_precision);
		free(g);
	}
	return NULL;
}

static int binary_metrics(const double *y, const double *p, const double *w, size_t n,
			  double threshold, size_t bins, int parallel, struct ml_binary_metrics *out,
			  struct ml_err *err)
{
	double total;

	if (check_binary(y, p, w, n, 1, &total, err) < 0)
		return -1;
	if (isnan(threshold))
		return ml_err_set(err, ML_ERR_USAGE, "the threshold is NaN");
	struct binary_part rest = {.ranking = 0, .y = y, .p = p, .w = w, .n = n, .bins = bins,
				   .threshold = threshold, .total = total, .out = out},
			   ranks = rest;
	ranks.ranking = 1;
	ml_worker_two(binary_part_work, &ranks, &rest, parallel && n >= ML_WORKER_PARALLEL_ROWS);
	/* the errors in the order one thread met them */
	if (rest.rc < 0 || ranks.rc < 0) {
		*err = rest.rc < 0 ? rest.err : ranks.err;
		return -1;
	}
	return 0;
}

int ml_metrics_binary(const double *y, const double *p, const double *w, size_t n,
		      double threshold, size_t bins, struct ml_binary_metrics *out,
		      struct ml_err *err)
{
	return binary_metrics(y, p, w, n, threshold, bins, 0, out, err);
}

int ml_metrics_binary_parallel(const double *y, const double *p, const double *w, size_t n,
			       double threshold, size_t bins, struct ml_binary_metrics *out,
			       struct ml_err *err)
{
	return binary_metrics(y, p, w, n, threshold, bins, 1, out, err);
}

/* ---- curves ---------------------------------------------------------------- */

void ml_metrics_curve_free(struct ml_curve *c)
{
	free(c->x);
	c->x = c->y = c->thr = NULL;
	c->n = 0;
}

static int curve_alloc(struct ml_curve *c, size_t n, struct ml_err *err)
{
	c->x = malloc(sizeof *c->x * 3 * n);
	if (!c->x)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	c->y = c->x + n;
	c->thr = c->y + n;
	c->n = n;
	return 0;
}

int ml_metrics_roc_curve(const double *y, const double *s, const double *w, size_t n,
			 int drop_intermediate, struct ml_curve *out, struct ml_err *err)
{
	struct acc tp = {0, 0}, fp = {0, 0};
	struct group *g;
	double total, P, N;
	size_t i, m, k;

	out->n = 0;
	out->x = out->y = out->thr = NULL;
	if (check_binary(y, s, w, n, 0, &total, err) < 0 ||
	    score_groups(y, s, w, n, &g, &m, err) < 0)
		return -1;
	if (curve_alloc(out, m + 1, err) < 0) {
		free(g);
		return -1;
	}
	out->x[0] = out->y[0] = 0;
	out->thr[0] = g[0].s + 1;
	for (i = 0, k = 1; i < m; i++) {
		acc_add(&tp, g[i].pos);
		acc_add(&fp, g[i].neg);
		/* roc_curve's second difference: an inner point whose step in
		 * equals its step out in both coordinates lies on a line */
		if (drop_intermediate && i > 0 && i + 1 < m &&
		    g[i + 1].pos == g[i].pos && g[i + 1].neg == g[i].neg)
			continue;
		out->x[k] = acc_val(&fp);
		out->y[k] = acc_val(&tp);
		out->thr[k] = g[i].s;
		k++;
	}
	free(g);
	P = acc_val(&tp);
	N = acc_val(&fp);
	/* the kept points move to the front of each array's block */
	memmove(out->x + k, out->y, sizeof *out->x * k);
	memmove(out->x + 2 * k, out->thr, sizeof *out->x * k);
	out->y = out->x + k;
	out->thr = out->x + 2 * k;
	out->n = k;
	for (i = 0; i < k; i++) {
		out->x[i] = N > 0 ? out->x[i] / N : NAN;
		out->y[i] = P > 0 ? out->y[i] / P : NAN;
	}
	return 0;
}

int ml_metrics_pr_curve(const double *y, const double *s, const double *w, size_t n,
			struct ml_curve *out, struct ml_err *err)
{
	struct acc tp = {0, 0}, fp = {0, 0};
	struct group *g;
	double total, P;
	size_t i, m;

	out->n = 0;
	out->x = out->y = out->thr = NULL;
	if (check_binary(y, s, w, n, 0, &total, err) < 0 ||
	    score_groups(y, s, w, n, &g, &m, err) < 0)
		return -1;
	if (curve_alloc(out, m + 1, err) < 0) {
		free(g);
		return -1;
	}
	/* descending scores fill the arrays from the back: sklearn reverses */
	for (i = 0; i < m; i++) {
		double t, f;

		acc_add(&tp, g[i].pos);
		acc_add(&fp, g[i].neg);
		t = acc_val(&tp);
		f = acc_val(&fp);
		out->x[m - 1 - i] = t;
		out->y[m - 1 - i] = ratio0(t, t + f);
		out->thr[m - 1 - i] = g[i].s;
	}
	free(g);
	P = acc_val(&tp);
	for (i = 0; i < m; i++)
		out->x[i] = P > 0 ? out->x[i] / P : 1;
	out->x[m] = 0;
	out->y[m] = 1;
	out->thr[m] = INFINITY;
	return 0;
}

/* ---- multiclass ------------------------------------------------------------ */

int ml_metrics_multiclass(const int *y, const double *p, const double *w, size_t n, size_t k,
			  struct ml_multiclass_metrics *out, struct ml_class_metrics *per_class,
			  double *confusion, struct ml_err *err)
{
	const double eps = DBL_EPSILON;
	struct acc *cm, ll = {0, 0}, sp = {0, 0}, sr = {0, 0}, sf = {0, 0};
	struct acc wp = {0, 0}, wr = {0, 0}, wf = {0, 0};
	double total, *c, *tsum, *psum, tp_all = 0, P, R;
	unsigned char *seen;
	size_t i, j, present = 0;

	if (n == 0)
		return ml_err_set(err, ML_ERR_USAGE, "no samples");
	if (k < 2)
		return ml_err_set(err, ML_ERR_USAGE, "%zu classes, need at least 2", k);
	if (k > SIZE_MAX / k / (2 * sizeof *cm + sizeof *c))
		return ml_err_set(err, ML_ERR_USAGE, "%zu classes are too many", k);
	for (i = 0; i < n; i++) {
		if (y[i] < 0 || (size_t)y[i] >= k)
			return ml_err_set(err, ML_ERR_DATA, "label y[%zu] is %d, not a class in 0..%zu",
					  i, y[i], k - 1);
		for (j = 0; j < k; j++) {
			double v = p[i * k + j];

			if (!(v >= 0 && v <= 1))
				return ml_err_set(err, ML_ERR_DATA, "probability p[%zu][%zu] is %g, not in [0, 1]",
						  i, j, v);
		}
	}
	if (check_weights(w, n, &total, err) < 0)
		return -1;
	cm = calloc(k * k, sizeof *cm);
	c = malloc(sizeof *c * (k * k + 2 * k));
	seen = calloc(k, 1);
	if (!cm || !c || !seen) {
		free(cm);
		free(c);
		free(seen);
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	tsum = c + k * k;
	psum = tsum + k;
	for (i = 0; i < n; i++) {
		const double *row = p + i * k;
		double wi = weight_of(w, i), rowsum = 0;
		size_t arg = 0;

		for (j = 0; j < k; j++) {
			/* np.argmax: the first maximum */
			if (row[j] > row[arg])
				arg = j;
			rowsum += fmin(fmax(row[j], eps), 1 - eps);
		}
		acc_add(&cm[(size_t)y[i] * k + arg], wi);
		seen[y[i]] = seen[arg] = 1;
		acc_add(&ll, -wi * log(fmin(fmax(row[y[i]], eps), 1 - eps) / rowsum));
	}
	for (i = 0; i < k * k; i++)
		c[i] = acc_val(&cm[i]);
	free(cm);
	out->mcc = mcc_of(c, k, tsum, psum);
	for (i = 0; i < k; i++) {
		double tp = c[i * k + i], prec = ratio0(tp, psum[i]), rec = ratio0(tp, tsum[i]);
		double f = f1_of(prec, rec);

		tp_all += tp;
		if (seen[i]) {
			present++;
			acc_add(&sp, prec);
			acc_add(&sr, rec);
			acc_add(&sf, f);
		}
		acc_add(&wp, tsum[i] * prec);
		acc_add(&wr, tsum[i] * rec);
		acc_add(&wf, tsum[i] * f);
		if (per_class) {
			per_class[i].precision = prec;
			per_class[i].recall = rec;
			per_class[i].f1 = f;
			per_class[i].support = tsum[i];
			per_class[i].present = seen[i];
		}
	}
	out->weight = total;
	out->present = present;
	out->accuracy = tp_all / total;
	out->precision_macro = acc_val(&sp) / (double)present;
	out->recall_macro = acc_val(&sr) / (double)present;
	out->f1_macro = acc_val(&sf) / (double)present;
	/* micro: every sample is one true and one predicted label, so both
	 * denominators are the total weight */
	P = ratio0(tp_all, total);
	R = ratio0(tp_all, total);
	out->precision_micro = P;
	out->recall_micro = R;
	out->f1_micro = f1_of(P, R);
	out->precision_weighted = acc_val(&wp) / total;
	out->recall_weighted = acc_val(&wr) / total;
	out->f1_weighted = acc_val(&wf) / total;
	out->log_loss = acc_val(&ll) / total;
	if (confusion)
		memcpy(confusion, c, sizeof *c * k * k);
	free(c);
	free(seen);
	return 0;
}

/* ---- regression ------------------------------------------------------------ */

struct werr {
	double e, w;
};

static int by_err(const void *a, const void *b)
{
	double x = ((const struct werr *)a)->e, y = ((const struct werr *)b)->e;

	return (x > y) - (x < y);
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* np.median of |y - yhat|: the middle value, or for even n the mean of
 * the middle two, (a + b) / 2 as numpy computes it. */
static int median_unweighted(const double *y, const double *yhat, size_t n, double *out,
			     struct ml_err *err)
{
	double *e = malloc(sizeof *e * n), a, b;
	size_t i;

	if (!e)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	for (i = 0; i < n; i++)
		e[i] = fabs(yhat[i] - y[i]);
	qsort(e, n, sizeof *e, by_double);
	a = e[(n - 1) / 2];
	b = e[n / 2];
	*out = n % 2 ? a : isinf(a + b) ? a / 2 + b / 2 : (a + b) / 2;
	free(e);
	return 0;
}

/* sklearn's _weighted_percentile(percentile=50) of |y - yhat|: the first
 * error, ascending, whose cumulative weight reaches half the total; no
 * averaging, so it is a lower median. */
static int median_weighted(const double *y, const double *yhat, const double *w, size_t n,
			   double *out, struct ml_err *err)
{
	struct werr *e = malloc(sizeof *e * n);
	struct acc cdf = {0, 0}, tot = {0, 0};
	double half;
	size_t i;

	if (!e)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	for (i = 0; i < n; i++) {
		e[i].e = fabs(yhat[i] - y[i]);
		e[i].w = w[i];
	}
	qsort(e, n, sizeof *e, by_err);
	for (i = 0; i < n; i++)
		acc_add(&tot, e[i].w);
	half = 0.5 * acc_val(&tot);
	/* the last error when rounding leaves every sum short (sklearn clips) */
	for (i = 0; i + 1 < n; i++) {
		acc_add(&cdf, e[i].w);
		if (acc_val(&cdf) >= half)
			break;
	}
	*out = e[i].e;
	free(e);
	return 0;
}

/* 1 - num / den with force_finite's rules: a zero numerator (perfect
 * predictions) is 1, a zero denominator otherwise 0. */
static double finite_score(double num, double den)
{
	if (num == 0)
		return 1;
	if (den == 0)
		return 0;
	return 1 - num / den;
}

int ml_metrics_regression(const double *y, const double *yhat, const double *w, size_t n,
			  struct ml_regression_metrics *out, struct ml_err *err)
{
	const double eps = DBL_EPSILON;
	struct acc ae = {0, 0}, se = {0, 0}, pe = {0, 0}, sy = {0, 0}, sd = {0, 0};
	struct acc sst = {0, 0}, ssd = {0, 0};
	double total, ybar, dbar, y0 = 0, d0 = 0;
	int ycon = 1, dcon = 1, first = 1;
	size_t i;

	if (n == 0)
		return ml_err_set(err, ML_ERR_USAGE, "no samples");
	for (i = 0; i < n; i++) {
		if (!isfinite(y[i]))
			return ml_err_set(err, ML_ERR_DATA, "target y[%zu] is %g, not finite", i, y[i]);
		if (!isfinite(yhat[i]))
			return ml_err_set(err, ML_ERR_DATA, "prediction yhat[%zu] is %g, not finite", i, yhat[i]);
	}
	if (check_weights(w, n, &total, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		double wi = weight_of(w, i), e = yhat[i] - y[i], d = y[i] - yhat[i];

		acc_add(&ae, wi * fabs(e));
		acc_add(&se, wi * e * e);
		acc_add(&pe, wi * (fabs(e) / fmax(fabs(y[i]), eps)));
		acc_add(&sy, wi * y[i]);
		acc_add(&sd, wi * d);
		if (wi == 0)
			continue;
		/* a constant y (or y - yhat) has a variance of exactly 0, which
		 * a mean computed in floating point may miss by a rounding */
		if (first) {
			y0 = y[i];
			d0 = d;
			first = 0;
		}
		ycon &= y[i] == y0;
		dcon &= d == d0;
	}
	ybar = ycon ? y0 : acc_val(&sy) / total;
	dbar = dcon ? d0 : acc_val(&sd) / total;
	for (i = 0; i < n; i++) {
		double wi = weight_of(w, i), dy = y[i] - ybar, dd = (y[i] - yhat[i]) - dbar;

		if (!ycon)
			acc_add(&sst, wi * dy * dy);
		if (!dcon)
			acc_add(&ssd, wi * dd * dd);
	}
	out->weight = total;
	out->mae = acc_val(&ae) / total;
	out->mse = acc_val(&se) / total;
	out->rmse = sqrt(out->mse);
	out->mape = acc_val(&pe) / total;
	out->r2 = n < 2 ? NAN : finite_score(acc_val(&se), acc_val(&sst));
	out->explained_variance = finite_score(acc_val(&ssd), acc_val(&sst));
	if (w)
		return median_weighted(y, yhat, w, n, &out->medae, err);
	return median_unweighted(y, yhat, n, &out->medae, err);
}
