/* --baseline: the candidate against another model on the same records, or
 * against the metrics of an earlier run. */
#include <jv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "ml_dist.h"
#include "ml_in.h"
#include "ml_json.h"
#include "ml_metrics.h"

struct eval baseline_view(const struct eval *e)
{
	struct eval v = *e;

	v.score = e->base_score;
	v.probs = e->base_probs;
	return v;
}

/* The class a model predicts for record i (scores s, probabilities p). */
static size_t predicted(const struct eval *e, const double *s, const double *p, size_t i)
{
	if (e->task == ML_TASK_BINARY)
		return s[i] >= e->threshold;
	size_t k = eval_nclass(e), best = 0;
	for (size_t c = 1; c < k; c++)
		if (p[i * k + c] > p[i * k + best])
			best = c;
	return best;
}

/* McNemar's test on the records one model gets right and the other wrong:
 * exact (binomial) below 25 such records, else chi-square with the
 * continuity correction, as statsmodels' mcnemar does. */
static void mcnemar(const struct eval *e, struct ml_buf *out)
{
	uint64_t b = 0, c = 0;
	double stat, p;

	for (size_t i = 0; i < e->n; i++) {
		int cand = predicted(e, e->score, e->probs, i) == (size_t)e->y[i];
		int base = predicted(e, e->base_score, e->base_probs, i) == (size_t)e->y[i];
		b += cand && !base;
		c += !cand && base;
	}
	uint64_t n = b + c;
	if (n < 25) {
		/* two-sided binomial tail of min(b, c) out of n at one half */
		uint64_t k = b < c ? b : c;
		double tail = 0, term = pow(0.5, (double)n);
		for (uint64_t i = 0; i <= k; i++) {
			tail += term;
			term = term * (double)(n - i) / (double)(i + 1);
		}
		p = n ? fmin(1, 2 * tail) : 1;
		stat = (double)k;
	} else {
		double d = fabs((double)b - (double)c) - 1;
		stat = d * d / (double)n;
		p = ml_chi2_sf(stat, 1);
	}
	ml_buf_printf(out, ",\"mcnemar\":{\"candidate_only\":%llu,\"baseline_only\":%llu,\"exact\":%s,"
		      "\"statistic\":", (unsigned long long)b, (unsigned long long)c, n < 25 ? "true" : "false");
	ml_json_put_double(out, stat);
	ml_buf_adds(out, ",\"p_value\":");
	ml_json_put_double(out, p);
	ml_buf_addc(out, '}');
}

/* The overall line of an earlier ml-eval run. */
static int read_metrics_file(const char *path, enum ml_task task, double *vals, struct ml_buf *id,
			     struct ml_err *err)
{
	struct ml_in *in = ml_in_open(path, err);
	struct ml_lines *lines = in ? ml_lines_of(in) : NULL;
	const char *line;
	size_t len;
	int got, rc = -1;

	if (!in || !lines) {
		if (in)
			ml_in_close(in);
		return in ? ml_err_set(err, ML_ERR_IO, "out of memory") : -1;
	}
	while ((got = ml_lines_next(lines, &line, &len, err)) > 0 && !len)
		;
	if (got > 0) {
		jv v = jv_parse_sized(line, (int)len);
		jv fmt = jv_object_get(jv_copy(v), jv_string("format"));
		jv t = jv_object_get(jv_copy(v), jv_string("task"));
		if (jv_get_kind(fmt) != JV_KIND_STRING || strcmp(jv_string_value(fmt), "mlpipe.metrics"))
			ml_err_set(err, ML_ERR_DATA, "%s: not an ml-eval metrics file", path);
		else if (jv_get_kind(t) != JV_KIND_STRING || strcmp(jv_string_value(t), ml_task_name(task)))
			ml_err_set(err, ML_ERR_DATA, "%s: metrics of another task", path);
		else {
			const char *const *names;
			size_t nm = ml_metrics_names(task, &names);
			for (size_t m = 0; m < nm; m++) {
				jv x = jv_object_get(jv_copy(v), jv_string(names[m]));
				vals[m] = jv_get_kind(x) == JV_KIND_NUMBER ? jv_number_value(x) : NAN;
				jv_free(x);
			}
			jv b = jv_object_get(jv_copy(v), jv_string("bundle"));
			if (jv_get_kind(b) == JV_KIND_STRING)
				ml_buf_printf(id, "\"%s\"", jv_string_value(b));
			else
				ml_buf_adds(id, "null");
			jv_free(b);
			rc = 0;
		}
		jv_free(fmt);
		jv_free(t);
		jv_free(v);
	} else if (got == 0) {
		ml_err_set(err, ML_ERR_DATA, "%s: empty", path);
	}
	ml_lines_free(lines);
	ml_in_close(in);
	return rc;
}

int baseline_json(const struct eval *e, const char *metrics_file, size_t nres, uint64_t seed,
		  int threads, struct ml_buf *out, struct ml_err *err)
{
	const char *const *names;
	size_t nm = ml_metrics_names(e->task, &names);
	double cand[16], base[16];
	struct ml_buf id = {0};
	struct rows all = {.idx = NULL, .n = e->n};
	struct eval view = e->base ? baseline_view(e) : *e;

	if (metrics_values(e, &all, NULL, 1, cand, err) < 0)
		return -1;
	if (e->base) {
		if (metrics_values(&view, &all, NULL, 1, base, err) < 0)
			return -1;
		ml_buf_printf(&id, "\"%s\"", ml_bundle_sha256(e->base->bundle));
	} else if (read_metrics_file(metrics_file, e->task, base, &id, err) < 0) {
		return -1;
	}
	ml_buf_terminate(&id);
	ml_buf_printf(out, ",\"baseline\":{\"bundle\":%s", id.data);
	ml_buf_free(&id);
	for (size_t m = 0; m < nm; m++) {
		ml_buf_printf(out, ",\"%s\":", names[m]);
		ml_json_put_double(out, base[m]);
	}
	ml_buf_adds(out, ",\"diff\":{");
	for (size_t m = 0; m < nm; m++) {
		ml_buf_printf(out, "%s\"%s\":", m ? "," : "", names[m]);
		ml_json_put_double(out, cand[m] - base[m]);
	}
	ml_buf_addc(out, '}');
	if (e->base && nres) {
		/* paired: both models on the same resamples; two-sided p-value of
		 * "no difference" from the share of resamples on each side of 0 */
		double *cv = malloc(nres * nm * sizeof *cv), *bv = malloc(nres * nm * sizeof *bv);
		if (!cv || !bv || bootstrap_values(e, &all, nres, seed, threads, cv, err) < 0 ||
		    bootstrap_values(&view, &all, nres, seed, threads, bv, err) < 0) {
			free(cv);
			free(bv);
			return cv && bv ? -1 : ml_err_set(err, ML_ERR_IO, "out of memory");
		}
		ml_buf_adds(out, ",\"p_value\":{");
		for (size_t m = 0; m < nm; m++) {
			size_t le = 0, ge = 0, k = 0;
			for (size_t b = 0; b < nres; b++) {
				double d = cv[b * nm + m] - bv[b * nm + m];
				if (isnan(d))
					continue;
				k++;
				le += d <= 0;
				ge += d >= 0;
			}
			ml_buf_printf(out, "%s\"%s\":", m ? "," : "", names[m]);
			ml_json_put_double(out, k ? fmin(1, 2.0 * (double)(le < ge ? le : ge) / (double)k) : NAN);
		}
		ml_buf_addc(out, '}');
		free(cv);
		free(bv);
	}
	if (e->base && e->task != ML_TASK_REGRESSION)
		mcnemar(e, out);
	ml_buf_addc(out, '}');
	return 0;
}
