/* From the table to the design matrix: the task, the classes, the features
 * and their encoding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "train.h"

#define MISSING_CODE UINT32_MAX

static float cell_float(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static const struct tcol *sort_col;

static int cmp_code(const void *a, const void *b)
{
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	const struct tcol *c = sort_col;
	size_t n = c->lens[i] < c->lens[j] ? c->lens[i] : c->lens[j];
	int r = memcmp(c->strs[i], c->strs[j], n);
	return r ? r : (c->lens[i] > c->lens[j]) - (c->lens[i] < c->lens[j]);
}

static int add_class(struct design *d, const char *raw, size_t n)
{
	char **v = realloc(d->class_raw, (d->nclass + 1) * sizeof *v);

	if (!v)
		return -1;
	d->class_raw = v;
	if (!(v[d->nclass] = malloc(n + 1)))
		return -1;
	memcpy(v[d->nclass], raw, n);
	v[d->nclass][n] = '\0';
	if (ml_buf_addc(&d->classes, d->nclass ? ',' : '[') < 0 || ml_buf_add(&d->classes, raw, n) < 0)
		return -1;
	d->nclass++;
	return 0;
}

/* The task and the class of each record, from the target column. */
static int decide_task(struct design *d, struct table *t, const struct tcol *c, int task,
		       struct ml_err *err)
{
	size_t n = t->nrows;
	struct ml_buf raw = {0};
	int rc = 0;

	if (!(d->y = malloc((n ? n : 1) * sizeof *d->y)))
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (c->kind == TCOL_STRING || c->kind == TCOL_BOOLEAN) {
		if (task == ML_TASK_REGRESSION)
			return ml_err_set(err, ML_ERR_USAGE, "--task regression: the target '%s' is a %s, "
					  "not a number", c->name, c->kind == TCOL_STRING ? "string" : "boolean");
		uint32_t k = c->kind == TCOL_STRING ? c->nstrs : 2;
		uint32_t *order = malloc(k * sizeof *order), *index = malloc(k * sizeof *index);
		if (!order || !index) {
			free(order);
			free(index);
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		}
		for (uint32_t i = 0; i < k; i++)
			order[i] = i;
		if (c->kind == TCOL_STRING) {
			sort_col = c;
			qsort(order, k, sizeof *order, cmp_code);
		} else {
			/* only the values seen count as classes */
			int seen[2] = {0, 0};
			for (size_t i = 0; i < n; i++)
				seen[t->y[i] != 0] = 1;
			k = 0;
			for (uint32_t v = 0; v < 2; v++)
				if (seen[v])
					order[k++] = v;
		}
		for (uint32_t i = 0; i < k && rc == 0; i++) {
			index[order[i]] = i;
			ml_buf_reset(&raw);
			if (c->kind == TCOL_STRING)
				ml_json_quote(&raw, c->strs[order[i]], c->lens[order[i]]);
			else
				ml_buf_adds(&raw, order[i] ? "true" : "false");
			if (add_class(d, raw.data, raw.len) < 0)
				rc = ml_err_set(err, ML_ERR_IO, "out of memory");
		}
		for (size_t i = 0; i < n; i++)
			d->y[i] = index[(uint32_t)t->y[i]];
		free(order);
		free(index);
	} else {
		/* the distinct values, in order, up to one more than a task of
		 * classes may have (sorting every target was a tenth of the time
		 * outside the solver on a million records) */
		enum { MAX_CLASSES = 1000 };
		double *v = malloc((MAX_CLASSES + 1) * sizeof *v);
		size_t k = 0;
		if (!v)
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		for (size_t i = 0; i < n && k <= MAX_CLASSES; i++) {
			double x = t->y[i];
			size_t lo = 0, hi = k;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (v[mid] < x)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < k && v[lo] == x)
				continue;
			memmove(v + lo + 1, v + lo, (k - lo) * sizeof *v);
			v[lo] = x;
			k++;
		}
		if (task < 0)
			task = k == 2 ? ML_TASK_BINARY : ML_TASK_REGRESSION;
		if (task == ML_TASK_REGRESSION) {
			memcpy(d->y, t->y, n * sizeof *d->y);
			d->task = ML_TASK_REGRESSION;
			if (k < 2)
				rc = ml_err_set(err, ML_ERR_DATA, "the target '%s' is constant (%g): "
						"nothing to learn", c->name, k ? v[0] : 0.0);
			free(v);
			ml_buf_free(&raw);
			return rc;
		}
		if (k > MAX_CLASSES)
			rc = ml_err_set(err, ML_ERR_USAGE, "--task %s: the target '%s' has more than %d "
					"distinct numbers; at most %d classes", ml_task_name((enum ml_task)task),
					c->name, MAX_CLASSES, MAX_CLASSES);
		for (size_t i = 0; i < k && rc == 0; i++) {
			ml_buf_reset(&raw);
			ml_json_put_double(&raw, v[i]);
			if (add_class(d, raw.data, raw.len) < 0)
				rc = ml_err_set(err, ML_ERR_IO, "out of memory");
		}
		for (size_t i = 0; i < n && rc == 0; i++) {
			double *hit = bsearch(&t->y[i], v, k, sizeof *v, cmp_double);
			d->y[i] = (double)(hit - v);
		}
		free(v);
	}
	ml_buf_free(&raw);
	if (rc < 0)
		return -1;
	if (ml_buf_addc(&d->classes, ']') < 0 || ml_buf_terminate(&d->classes) < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (d->nclass < 2)
		return ml_err_set(err, ML_ERR_DATA, "the target '%s' has one class (%s): nothing to learn",
				  c->name, d->nclass ? d->class_raw[0] : "none");
	if (task < 0)
		task = d->nclass == 2 ? ML_TASK_BINARY : ML_TASK_MULTICLASS;
	if (task == ML_TASK_BINARY && d->nclass != 2)
		return ml_err_set(err, ML_ERR_USAGE, "--task binary: the target '%s' has %zu classes",
				  c->name, d->nclass);
	d->task = (enum ml_task)task;
	return 0;
}

/* Mean and population standard deviation of a float column, NaN skipped. */
static void moments(const struct tcol *c, size_t n, double *mean, double *std)
{
	double m = 0, m2 = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		float f = cell_float(c->cell[i]);
		if (isnan(f))
			continue;
		double dx = f - m;
		m += dx / (double)++k;
		m2 += dx * (f - m);
	}
	*mean = k ? m : 0;
	*std = k ? sqrt(m2 / (double)k) : 0;
}

static int add_feature(struct design *d, struct table *t, const struct tcol *c,
		       const struct ml_profile *p, size_t max_categories, struct ml_err *err)
{
	static const enum ml_feature_kind kinds[] = {ML_FEATURE_NUMBER, ML_FEATURE_NUMBER,
						     ML_FEATURE_BOOLEAN, ML_FEATURE_CATEGORY};
	struct ml_feature *f = ml_encoding_add(&d->enc, c->name, c->name_len, kinds[c->kind]);

	if (!f)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (c->kind != TCOL_STRING) {
		moments(c, t->nrows, &f->mean, &f->std);
		return 0;
	}
	/* the most frequent values, as the profile counts them (ties by value) */
	const struct ml_column *pc = ml_profile_find(p, c->name);
	struct ml_cat_item *items = calloc(max_categories ? max_categories : 1, sizeof *items);
	size_t k = items && pc && pc->cat ? ml_cat_top(pc->cat, max_categories, items) : 0;
	if (!items)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	for (size_t i = 0; i < k; i++)
		if (ml_feature_add_value(f, items[i].value, items[i].len) < 0) {
			free(items);
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		}
	free(items);
	return 0;
}

int design_build(struct design *d, struct table *t, const struct ml_profile *p, int task,
		 int standardize, size_t max_categories, struct ml_err *err)
{
	const struct tcol *target = table_find(t, t->target);
	size_t n = t->nrows;

	memset(d, 0, sizeof *d);
	if (!n)
		return ml_err_set(err, ML_ERR_DATA, "no training records");
	if (!target || target->kind == TCOL_UNKNOWN)
		return ml_err_set(err, ML_ERR_DATA, "no record has the target '%s'", t->target);
	if (decide_task(d, t, target, task, err) < 0)
		return -1;
	for (size_t i = 0; i < t->nonly; i++)
		if (!table_find(t, t->only[i]))
			return ml_err_set(err, ML_ERR_USAGE, "--features: no record has '%s'", t->only[i]);
	if (t->weight && !table_find(t, t->weight))
		return ml_err_set(err, ML_ERR_USAGE, "--weight: no record has '%s'", t->weight);
	for (size_t i = 0; i < t->nexclude; i++)
		if (!table_find(t, t->exclude[i]))
			return ml_err_set(err, ML_ERR_USAGE, "--exclude: no record has '%s'", t->exclude[i]);
	d->enc.standardize = standardize;
	/* --features in the order given, else every column in the order seen */
	size_t nf = t->nonly ? t->nonly : t->ncols;
	for (size_t i = 0; i < nf; i++) {
		const struct tcol *c = t->nonly ? table_find(t, t->only[i]) : t->cols[i];
		if (!c->used || c == target || (t->weight && !strcmp(c->name, t->weight)) ||
		    c->kind == TCOL_UNKNOWN)
			continue;
		if (add_feature(d, t, c, p, max_categories, err) < 0)
			return -1;
	}
	if (!d->enc.nfeatures)
		return ml_err_set(err, ML_ERR_DATA, "no features: every field but the target is "
				  "excluded or always missing");
	if (ml_encoding_finish(&d->enc) < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	size_t p_ = d->enc.ncols;
	if (!(d->x = malloc(n * p_ * sizeof *d->x)))
		return ml_err_set(err, ML_ERR_IO, "out of memory: %zu x %zu matrix", n, p_);
	/* row by row, so the matrix is written where it is laid out: per
	 * feature its column of cells and, for strings, each code's value */
	size_t nfeat = d->enc.nfeatures;
	const struct tcol **cols = calloc(nfeat, sizeof *cols);
	ssize_t **maps = calloc(nfeat, sizeof *maps);
	int rc = cols && maps ? 0 : ml_err_set(err, ML_ERR_IO, "out of memory");
	for (size_t fi = 0; fi < nfeat && rc == 0; fi++) {
		const struct ml_feature *f = &d->enc.features[fi];
		const struct tcol *c = cols[fi] = table_find(t, f->name);
		if (f->kind != ML_FEATURE_CATEGORY)
			continue;
		if (!(maps[fi] = malloc((c->nstrs ? c->nstrs : 1) * sizeof **maps))) {
			rc = ml_err_set(err, ML_ERR_IO, "out of memory");
			break;
		}
		for (uint32_t k = 0; k < c->nstrs; k++)
			maps[fi][k] = ml_feature_value_index(f, c->strs[k], c->lens[k]);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		float *row = d->x + i * p_;
		for (size_t fi = 0; fi < nfeat; fi++) {
			const struct ml_feature *f = &d->enc.features[fi];
			uint32_t cell = cols[fi]->cell[i];
			if (maps[fi])
				ml_encode_category(&d->enc, f, cell == MISSING_CODE ? -2 : maps[fi][cell], row);
			else
				ml_encode_number(&d->enc, f, cell_float(cell), row);
		}
	}
	for (size_t fi = 0; maps && fi < nfeat; fi++)
		free(maps[fi]);
	free(maps);
	free(cols);
	if (rc < 0)
		return -1;
	return 0;
}

void design_free(struct design *d)
{
	ml_encoding_free(&d->enc);
	free(d->x);
	free(d->y);
	for (size_t i = 0; i < d->nclass; i++)
		free(d->class_raw[i]);
	free(d->class_raw);
	ml_buf_free(&d->classes);
}
