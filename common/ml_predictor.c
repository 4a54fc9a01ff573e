/* A bundle made ready to score (see ml_predictor.h). */
#include <jv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ml_predictor.h"

static int bad(struct ml_err *err, const char *path, const char *what)
{
	return ml_err_set(err, ML_ERR_DATA, "%s: %s", path, what);
}

static int read_manifest(struct ml_predictor *p, const char *path, struct ml_err *err)
{
	size_t len;
	const char *text = ml_bundle_manifest(p->bundle, &len);
	jv m = jv_parse_sized(text, (int)len);
	jv algo = jv_object_get(jv_copy(m), jv_string("algorithm"));
	jv task = jv_object_get(jv_copy(m), jv_string("task"));
	jv target = jv_object_get(jv_copy(m), jv_string("target"));
	jv classes = jv_object_get(jv_copy(m), jv_string("classes"));
	int a, t, rc = 0;

	if (jv_get_kind(algo) != JV_KIND_STRING || (a = ml_algo_parse(jv_string_value(algo))) < 0)
		rc = bad(err, path, "the manifest names no algorithm this program knows");
	else if (jv_get_kind(task) != JV_KIND_STRING || (t = ml_task_parse(jv_string_value(task))) < 0)
		rc = bad(err, path, "the manifest names no task this program knows");
	else if (jv_get_kind(target) != JV_KIND_STRING || !(p->target = strdup(jv_string_value(target))))
		rc = bad(err, path, "the manifest names no target");
	else {
		p->algo = (enum ml_algo)a;
		p->task = (enum ml_task)t;
		if (p->task != ML_TASK_REGRESSION) {
			int n = jv_get_kind(classes) == JV_KIND_ARRAY ? jv_array_length(jv_copy(classes)) : 0;
			if (n < 2 || !(p->class_raw = calloc((size_t)n, sizeof *p->class_raw)))
				rc = bad(err, path, "the manifest lists fewer than two classes");
			for (int i = 0; rc == 0 && i < n; i++) {
				jv c = jv_array_get(jv_copy(classes), i);
				jv s = jv_dump_string(c, 0);
				if (!(p->class_raw[i] = strdup(jv_string_value(s))))
					rc = ml_err_set(err, ML_ERR_IO, "out of memory");
				jv_free(s);
				p->nclass++;
			}
		}
	}
	jv_free(algo);
	jv_free(task);
	jv_free(target);
	jv_free(classes);
	jv_free(m);
	return rc;
}

int ml_predictor_load(struct ml_predictor *p, const char *path, struct ml_err *err)
{
	const void *data;
	size_t len;

	memset(p, 0, sizeof *p);
	if (!(p->bundle = ml_bundle_read(path, err)))
		return -1;
	if (read_manifest(p, path, err) < 0)
		goto fail;
	if (!(data = ml_bundle_member(p->bundle, "preprocess.json", &len))) {
		bad(err, path, "no preprocess.json in the bundle");
		goto fail;
	}
	if (ml_encoding_from_json(&p->enc, data, len, err) < 0) {
		ml_err_prefix(err, "%s", path);
		goto fail;
	}
	if (!(data = ml_bundle_member(p->bundle, "model.json", &len))) {
		bad(err, path, "no model.json in the bundle");
		goto fail;
	}
	if (ml_model_load(&p->model, p->algo, p->task, p->enc.ncols, p->nclass, data, len, err) < 0) {
		ml_err_prefix(err, "%s", path);
		goto fail;
	}
	p->nout = p->task == ML_TASK_MULTICLASS ? p->nclass : 1;
	return 0;
fail:
	ml_predictor_free(p);
	return -1;
}

void ml_predictor_free(struct ml_predictor *p)
{
	ml_bundle_free(p->bundle);
	ml_encoding_free(&p->enc);
	ml_model_free(&p->model);
	free(p->target);
	for (size_t i = 0; i < p->nclass; i++)
		free(p->class_raw[i]);
	free(p->class_raw);
	memset(p, 0, sizeof *p);
}

/* Numbers longer than this are cut short in messages (1e400 is shown whole,
 * a number of 401 digits is not). */
#define SHOWN_DIGITS 32

static int out_of_range(const struct ml_feature *f, const struct ml_rec *r, struct ml_err *err)
{
	ssize_t at = ml_rec_find(r, f->name, f->name_len);
	size_t len = 0;
	const char *text = at < 0 ? "" : ml_rec_value_raw(r, (size_t)at, &len);
	int shown = len > SHOWN_DIGITS ? SHOWN_DIGITS : (int)len;
	const char *more = len > SHOWN_DIGITS ? "..." : "";
	double x = 0;

	/* the wording of ml-train, which refuses such a number in training */
	if (at >= 0 && ml_rec_number(r, (size_t)at, &x) == 0 && !isfinite(x))
		return ml_err_set(err, ML_ERR_DATA, "feature '%s': %.*s%s does not fit a double",
				  f->name, shown, text, more);
	return ml_err_set(err, ML_ERR_DATA,
			  "feature '%s': %.*s%s does not fit the model's 32-bit floats",
			  f->name, shown, text, more);
}

/* Whether one of x[0..n) is infinite: four at a time where SSE2 is (a
 * tenth of the work of isinf on each) */
static int any_infinity(const float *x, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128 magnitude = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
	const __m128 inf = _mm_set1_ps(INFINITY);
	__m128 hit = _mm_setzero_ps();
	for (; i + 4 <= n; i += 4)
		hit = _mm_or_ps(hit, _mm_cmpeq_ps(_mm_and_ps(_mm_loadu_ps(x + i), magnitude), inf));
	if (_mm_movemask_ps(hit))
		return 1;
#endif
	for (; i < n; i++)
		if (isinf(x[i]))
			return 1;
	return 0;
}

int ml_predictor_check_row(const struct ml_predictor *p, const struct ml_rec *r, const float *row,
			   struct ml_err *err)
{
	/* encoding makes a missing value NaN (trees) or 0, a category 0, 1
	 * or NaN: an infinity can only come from a number in the record.  One
	 * flat pass first, the features only when it finds one */
	if (!any_infinity(row, p->enc.ncols))
		return 0;
	for (size_t i = 0; i < p->enc.nfeatures; i++) {
		const struct ml_feature *f = &p->enc.features[i];
		for (size_t k = 0; k < f->width; k++)
			if (isinf(row[f->col + k]))
				return out_of_range(f, r, err);
	}
	return 0;
}

size_t ml_predictor_class(const struct ml_predictor *p, const double *s, double threshold)
{
	if (p->task == ML_TASK_BINARY)
		return s[0] >= threshold;
	size_t best = 0;
	for (size_t c = 1; c < p->nout; c++)
		if (s[c] > s[best])
			best = c;
	return best;
}
