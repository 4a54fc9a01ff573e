/* Drift of a numeric column: PSI and Jensen-Shannon over the reference's
 * deciles, Kolmogorov-Smirnov, and Wasserstein-1, from raw values where a
 * side has them and from its quantile sketch otherwise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "ml_dist.h"
#include "ml_kll.h"

/* The rank error bound of a KLL sketch of ML_KLL_K (ml_kll.h): 0.5% of n. */
#define KLL_RANK_ERROR 0.005

/* A side's numbers: raw and sorted (weights NULL), or a sketch's sorted
 * retained values with their weights. */
struct sample {
	const double *v;
	const uint64_t *w;
	size_t n;
	uint64_t total;
};

static int sample_of(struct side *s, const struct ml_column *c, struct sample *out)
{
	struct raw_values *raw = side_values(s, c->name);

	memset(out, 0, sizeof *out);
	if (raw) {
		out->v = raw->v;
		out->n = raw->n;
		out->total = raw->n;
		return 0;
	}
	if (!c->num.sketch || !c->num.count)
		return 0;
	if (ml_kll_sorted(c->num.sketch, &out->v, &out->w, &out->n) < 0)
		return -1;
	out->total = ml_kll_count(c->num.sketch);
	return 0;
}

/* How many values are <= x. */
static uint64_t count_upto(const struct sample *s, double x)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!s->w)
		return lo;
	uint64_t sum = 0;
	for (size_t i = 0; i < lo; i++)
		sum += s->w[i];
	return sum;
}

/* The smallest value whose rank reaches q * total. */
static double quantile(const struct sample *s, double q)
{
	double want = q * (double)s->total;
	uint64_t cum = 0;

	if (!s->w) {
		size_t k = (size_t)ceil(want);
		return s->v[k ? k - 1 : 0];
	}
	for (size_t i = 0; i < s->n; i++) {
		cum += s->w[i];
		if ((double)cum >= want)
			return s->v[i];
	}
	return s->v[s->n - 1];
}

/* Weights as counts (ones for raw values), for the weighted statistics. */
static uint64_t *weights_u64(const struct sample *s)
{
	uint64_t *w = malloc((s->n ? s->n : 1) * sizeof *w);

	if (w)
		for (size_t i = 0; i < s->n; i++)
			w[i] = s->w ? s->w[i] : 1;
	return w;
}

static double *weights_double(const struct sample *s)
{
	double *w;

	if (!s->w)
		return NULL;
	if ((w = malloc(s->n * sizeof *w)))
		for (size_t i = 0; i < s->n; i++)
			w[i] = (double)s->w[i];
	return w;
}

int drift_numeric(struct side *ref, struct side *cur, const struct ml_column *rc,
		  const struct ml_column *cc, const struct drift_opts *o, struct column_result *r)
{
	struct sample a, b;
	double edges[9], psi, js, d, p, w1;
	double ra[10] = {0}, ca[10] = {0};
	size_t nedges = 0;
	enum ml_ks_method used = ML_KS_ASYMP;
	double sketch_error = 0;

	if (sample_of(ref, rc, &a) < 0 || sample_of(cur, cc, &b) < 0)
		return -1;
	r->type = "number";
	if (!a.total || !b.total) {
		/* one side has no numbers at all: nothing to compare, and a change */
		r->method = M_AUTO;	/* nothing measured: no method, no threshold */
		r->threshold = NAN;
		r->statistic = NAN;
		r->p_value = NAN;
		r->drifted = 1;
		ml_buf_printf(&r->detail, ",\"note\":\"no numbers in the %s\"",
			      a.total ? "current data" : "reference");
		return 0;
	}
	/* bins: the reference's deciles, repeated edges merged */
	for (int k = 1; k <= 9; k++) {
		double e = quantile(&a, k / 10.0);
		if (!nedges || e > edges[nedges - 1])
			edges[nedges++] = e;
	}
	uint64_t pa = 0, pb = 0;
	for (size_t j = 0; j <= nedges; j++) {
		uint64_t ua = j < nedges ? count_upto(&a, edges[j]) : a.total;
		uint64_t ub = j < nedges ? count_upto(&b, edges[j]) : b.total;
		ra[j] = (double)(ua - pa);
		ca[j] = (double)(ub - pb);
		pa = ua;
		pb = ub;
	}
	psi = ml_psi(ra, ca, nedges + 1);
	js = ml_js_distance(ra, ca, nedges + 1);

	int exact = !a.w && !b.w;
	if (exact) {
		d = ml_ks_stat(a.v, a.n, b.v, b.n);
		p = ml_ks_pvalue(d, a.total, b.total, ML_KS_AUTO, &used);
		w1 = ml_wasserstein1(a.v, NULL, a.n, b.v, NULL, b.n);
	} else {
		uint64_t *wa = weights_u64(&a), *wb = weights_u64(&b);
		double *fa = weights_double(&a), *fb = weights_double(&b);
		if (!wa || !wb || (a.w && !fa) || (b.w && !fb)) {
			free(wa); free(wb); free(fa); free(fb);
			return -1;
		}
		d = ml_ks_stat_weighted(a.v, wa, a.n, b.v, wb, b.n);
		/* D from a sketch is off by up to each sketch's rank error, which
		 * with 10^5 values or more is larger than the sampling noise D
		 * measures: the p-value is taken at D less that error, so sketch
		 * noise never raises an alarm (two samples of 10^6 from one law
		 * gave p ~ 0.0005 before).  The limit law is as good as kstwo
		 * for an estimate, and costs O(1) where kstwo costs O(N). */
		sketch_error = (a.w && a.total >= ML_KLL_K ? KLL_RANK_ERROR : 0) +
			       (b.w && b.total >= ML_KLL_K ? KLL_RANK_ERROR : 0);
		p = ml_ks_pvalue_stephens(d > sketch_error ? d - sketch_error : 0, a.total, b.total);
		used = ML_KS_ASYMP;
		w1 = ml_wasserstein1(a.v, fa, a.n, b.v, fb, b.n);
		free(wa); free(wb); free(fa); free(fb);
	}
	double sd = ml_numstats_std(&rc->num);
	/* a constant reference has no spread to measure by: any move away
	 * from it is infinitely many of its standard deviations */
	double w1n = sd > 0 ? w1 / sd : w1 > 0 ? INFINITY : 0;

	/* the verdict's method */
	if (r->method == M_AUTO)
		r->method = a.total < o->small || b.total < o->small ? M_KS : M_PSI;
	switch (r->method) {
	case M_KS: r->statistic = d; r->p_value = p; break;
	case M_WASSERSTEIN: r->statistic = w1n; r->p_value = NAN; break;
	case M_JS: r->statistic = js; r->p_value = NAN; break;
	case M_PSI:
	default:
		r->method = M_PSI;
		r->statistic = psi;
		r->p_value = NAN;
		break;
	}
	decide(r);

	struct ml_buf *o2 = &r->detail;
	if (!(sd > 0) && r->method == M_WASSERSTEIN && w1 > 0)
		ml_buf_adds(o2, ",\"note\":\"the reference is constant: any move away from it is "
			    "an infinite Wasserstein distance in its standard deviations\"");
	ml_buf_printf(o2, ",\"n\":{\"reference\":%llu,\"current\":%llu},\"exact\":%s",
		      (unsigned long long)a.total, (unsigned long long)b.total, exact ? "true" : "false");
	ml_buf_adds(o2, ",\"statistics\":{\"psi\":");
	put_num(o2, psi);
	ml_buf_adds(o2, ",\"ks\":");
	put_num(o2, d);
	ml_buf_adds(o2, ",\"ks_p_value\":");
	put_num(o2, p);
	ml_buf_printf(o2, ",\"ks_sketch_error\":%g", sketch_error);
	ml_buf_printf(o2, ",\"ks_method\":\"%s\",\"wasserstein\":",
		      !exact ? "kolmogorov-stephens" : used == ML_KS_EXACT ? "exact" : "asymptotic");
	put_num(o2, w1n);
	ml_buf_adds(o2, ",\"wasserstein_raw\":");
	put_num(o2, w1);
	ml_buf_adds(o2, ",\"js\":");
	put_num(o2, js);
	ml_buf_adds(o2, "},\"bins\":{\"edges\":[");
	for (size_t j = 0; j < nedges; j++) {
		if (j)
			ml_buf_addc(o2, ',');
		ml_buf_printf(o2, "%.17g", edges[j]);
	}
	ml_buf_adds(o2, "],\"reference\":[");
	for (size_t j = 0; j <= nedges; j++)
		ml_buf_printf(o2, "%s%.0f", j ? "," : "", ra[j]);
	ml_buf_adds(o2, "],\"current\":[");
	for (size_t j = 0; j <= nedges; j++)
		ml_buf_printf(o2, "%s%.0f", j ? "," : "", ca[j]);
	ml_buf_adds(o2, "]}");
	return 0;
}
