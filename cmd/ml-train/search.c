/* Cross-validation and the grid search: folds fixed by the seed,
 * stratified by class, and every setting of the grid judged by the mean of
 * the task's main metric over the folds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "ml_rand.h"
#include "search.h"

int make_folds(const struct design *d, size_t n, size_t k, uint64_t seed, unsigned *fold)
{
	size_t groups = d->task == ML_TASK_REGRESSION ? 1 : d->nclass;
	size_t *idx = malloc((n ? n : 1) * sizeof *idx);
	uint64_t s = seed ^ 0x6d6c70697065ULL;
	size_t next = 0;

	if (!idx)
		return -1;
	/* each class shuffled (Fisher-Yates) and dealt round the folds, the
	 * deal going on from class to class so fold sizes differ by one at most */
	for (size_t g = 0; g < groups; g++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (groups == 1 || (size_t)d->y[i] == g)
				idx[m++] = i;
		for (size_t i = m; i > 1; i--) {
			size_t j = (size_t)(ml_splitmix64(&s) % i);
			size_t tmp = idx[i - 1];
			idx[i - 1] = idx[j];
			idx[j] = tmp;
		}
		for (size_t i = 0; i < m; i++)
			fold[idx[i]] = (unsigned)(next++ % k);
	}
	free(idx);
	return 0;
}

/* Some of d's rows, with their targets and weights. */
struct part {
	float *x;
	struct ml_csr csr;
	double *y, *w;
	struct ml_dataset data;
};

static void part_free(struct part *pt)
{
	free(pt->x);
	ml_csr_free(&pt->csr);
	free(pt->y);
	free(pt->w);
}

/* The rows of d in fold f (in) or out of it (!in): dense rows when dense,
 * else as d has them (sparse for trees, which train on them as they are). */
static int subset(const struct design *d, const double *w, const unsigned *fold, unsigned f,
		  int in, int dense, struct part *pt)
{
	size_t p = d->enc.ncols, m = 0, nnz = 0;
	int sparse = !d->x && !dense;

	memset(pt, 0, sizeof *pt);
	for (size_t i = 0; i < d->n; i++)
		if ((fold[i] == f) == in) {
			m++;
			nnz += sparse ? d->csr.start[i + 1] - d->csr.start[i] : 0;
		}
	pt->y = malloc((m ? m : 1) * sizeof *pt->y);
	pt->w = w ? malloc((m ? m : 1) * sizeof *pt->w) : NULL;
	if (sparse) {
		pt->csr.start = malloc((m + 1) * sizeof *pt->csr.start);
		pt->csr.col = malloc((nnz ? nnz : 1) * sizeof *pt->csr.col);
		pt->csr.val = malloc((nnz ? nnz : 1) * sizeof *pt->csr.val);
	} else {
		pt->x = malloc((m ? m : 1) * p * sizeof *pt->x);
	}
	if (!pt->y || (w && !pt->w) || (sparse ? !pt->csr.start || !pt->csr.col || !pt->csr.val : !pt->x))
		return -1;
	m = nnz = 0;
	for (size_t i = 0; i < d->n; i++) {
		if ((fold[i] == f) != in)
			continue;
		if (sparse) {
			size_t from = d->csr.start[i], k = d->csr.start[i + 1] - from;
			pt->csr.start[m] = nnz;
			memcpy(pt->csr.col + nnz, d->csr.col + from, k * sizeof *pt->csr.col);
			memcpy(pt->csr.val + nnz, d->csr.val + from, k * sizeof *pt->csr.val);
			nnz += k;
		} else {
			design_rows(d, i, 1, pt->x + m * p);
		}
		pt->y[m] = d->y[i];
		if (w)
			pt->w[m] = w[i];
		m++;
	}
	if (sparse)
		pt->csr.start[m] = nnz;
	pt->data = (struct ml_dataset){.x = pt->x, .csr = sparse ? &pt->csr : NULL, .n = m, .p = p,
				       .y = pt->y, .w = pt->w};
	return 0;
}

int cross_validate(const struct design *d, const double *w, const struct search *s,
		   const struct ml_params *ps, const unsigned *fold, double *mean, double *sd,
		   struct ml_buf *json, struct ml_err *err)
{
	double sum = 0, sum2 = 0;
	size_t nout = d->task == ML_TASK_MULTICLASS ? d->nclass : 1;
	int rc = 0;

	ml_buf_adds(json, "[");
	for (unsigned f = 0; f < s->folds && rc == 0; f++) {
		struct part tr = {0}, te = {0};
		double *pred = NULL, main_metric = 0;
		struct ml_model m = {0};
		/* the held-out fold is scored, which takes dense rows */
		if (subset(d, w, fold, f, 0, 0, &tr) < 0 || subset(d, w, fold, f, 1, 1, &te) < 0 ||
		    !(pred = malloc((te.data.n ? te.data.n : 1) * nout * sizeof *pred)))
			rc = ml_err_set(err, ML_ERR_IO, "out of memory");
		if (rc == 0)
			rc = ml_model_train(&m, s->algo, d->task, d->nclass, ps, &tr.data, NULL, 0, s->seed,
					    s->threads, err);
		if (rc == 0)
			rc = ml_model_predict(&m, te.x, te.data.n, pred, err);
		if (rc == 0) {
			if (f)
				ml_buf_addc(json, ',');
			rc = score(d->task, d->nclass, te.y, pred, te.w, te.data.n, json, &main_metric, err);
		}
		sum += main_metric;
		sum2 += main_metric * main_metric;
		ml_model_free(&m);
		part_free(&tr);
		part_free(&te);
		free(pred);
	}
	ml_buf_adds(json, "]");
	if (rc < 0)
		return ml_err_prefix(err, "cross-validation");
	*mean = sum / s->folds;
	/* the sample standard deviation over the folds; like the mean, NaN
	 * (null) when a fold's metric is (a NaN var is not > 0) */
	double var = s->folds > 1 ? (sum2 - sum * sum / s->folds) / (s->folds - 1) : 0;
	*sd = isnan(var) ? NAN : var > 0 ? sqrt(var) : 0;
	return 0;
}

/* --- the grid ------------------------------------------------------------ */

int grid_add(struct search *s, const char *spec, struct ml_err *err)
{
	const char *eq = strchr(spec, '=');
	struct grid_axis *v = realloc(s->axes, (s->naxes + 1) * sizeof *v);

	if (!v)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	s->axes = v;
	if (!eq || eq == spec || !eq[1])
		return ml_err_set(err, ML_ERR_USAGE, "--grid '%s': give KEY=V1,V2,...", spec);
	struct grid_axis *a = &s->axes[s->naxes];
	memset(a, 0, sizeof *a);
	if (!(a->key = strndup(spec, (size_t)(eq - spec))))
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	s->naxes++;
	for (const char *p = eq + 1;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char **vals = realloc(a->values, (a->nvalues + 1) * sizeof *vals);
		if (!vals)
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		a->values = vals;
		if (!len)
			return ml_err_set(err, ML_ERR_USAGE, "--grid '%s': an empty value", spec);
		if (!(vals[a->nvalues] = strndup(p, len)))
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		a->nvalues++;
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

size_t grid_size(const struct search *s)
{
	size_t n = 1;

	for (size_t i = 0; i < s->naxes; i++)
		n *= s->axes[i].nvalues;
	return n;
}

/* The parameters of setting g: the base ones, then the grid's (which win). */
int grid_setting(const struct search *s, const struct ml_params *base, size_t g,
		 struct ml_params *out)
{
	out->n = base->n + s->naxes;
	out->keys = malloc((out->n ? out->n : 1) * sizeof *out->keys);
	out->values = malloc((out->n ? out->n : 1) * sizeof *out->values);
	if (!out->keys || !out->values)
		return -1;
	if (base->n) {
		memcpy(out->keys, base->keys, base->n * sizeof *out->keys);
		memcpy(out->values, base->values, base->n * sizeof *out->values);
	}
	for (size_t i = s->naxes; i-- > 0;) {
		const struct grid_axis *a = &s->axes[i];
		out->keys[base->n + i] = a->key;
		out->values[base->n + i] = a->values[g % a->nvalues];
		g /= a->nvalues;
	}
	return 0;
}

void grid_setting_free(struct ml_params *p)
{
	free(p->keys);
	free(p->values);
}

void search_free(struct search *s)
{
	for (size_t i = 0; i < s->naxes; i++) {
		free(s->axes[i].key);
		for (size_t j = 0; j < s->axes[i].nvalues; j++)
			free(s->axes[i].values[j]);
		free(s->axes[i].values);
	}
	free(s->axes);
}
