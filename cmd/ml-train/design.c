/* From the table to the design matrix: the task, the classes, the features
 * and their encoding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "ml_worker.h"
#include "train.h"

#define MISSING_CODE UINT32_MAX

static float cell_float(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* The first index of sorted v[0..k) whose value is not below x, found
 * without a branch on the values (compiled to conditional moves): a
 * binary target in no order had the branchy search mispredict every
 * other record, 6 ms a million of them against 1. */
static size_t lower_bound(const double *v, size_t k, double x)
{
	size_t lo = 0;

	if (!k)
		return 0;
	while (k > 1) {
		size_t half = k / 2;
		lo = v[lo + half] < x ? lo + half : lo;
		k -= half;
	}
	return lo + (v[lo] < x);
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
			size_t lo = lower_bound(v, k, x);
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
		/* every target is one of the k values: its index is its class */
		for (size_t i = 0; i < n && rc == 0; i++)
			d->y[i] = (double)lower_bound(v, k, t->y[i]);
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

/* What the encoding needs of a feature's column, worked out on whichever
 * thread takes it: the moments of a number, the kept values of a string,
 * and how many of its cells in rows [0, split) are there (not missing),
 * each one an entry of the sparse matrix. */
struct colstats {
	const struct tcol *col;
	double mean, std;	/* numbers and booleans */
	uint32_t *top;		/* strings: the codes kept, most frequent first */
	size_t ntop;
	size_t present;		/* cells there in rows [0, split) */
	int failed;		/* out of memory */
};

/* Welford's running mean and sum of squared deviations. */
struct welford {
	double m, m2;
	size_t k;
};

/* Adds the cells [from, to) of a float column, NaN skipped. */
static void welford_add(struct welford *w, const uint32_t *cell, size_t from, size_t to)
{
	double m = w->m, m2 = w->m2;
	size_t k = w->k;

	for (size_t i = from; i < to; i++) {
		float f = cell_float(cell[i]);
		if (isnan(f))
			continue;
		double dx = f - m;
		m += dx / (double)++k;
		m2 += dx * (f - m);
	}
	*w = (struct welford){m, m2, k};
}

/* Mean and population standard deviation of a float column, NaN skipped;
 * the rows are taken in order, in two runs only to count the first's. */
static void moments(const struct tcol *c, size_t n, size_t split, struct colstats *s)
{
	struct welford w = {0, 0, 0};

	welford_add(&w, c->cell, 0, split);
	s->present = w.k;
	welford_add(&w, c->cell, split, n);
	s->mean = w.k ? w.m : 0;
	s->std = w.k ? sqrt(w.m2 / (double)w.k) : 0;
}


/* Whether code a of column c ranks before code b: more frequent, or as
 * frequent and bytewise first (as ml_cat_top orders a profile's values). */
static int ranks_before(const struct tcol *c, const size_t *count, uint32_t a, uint32_t b)
{
	if (count[a] != count[b])
		return count[a] > count[b];
	size_t n = c->lens[a] < c->lens[b] ? c->lens[a] : c->lens[b];
	int r = memcmp(c->strs[a], c->strs[b], n);
	return r ? r < 0 : c->lens[a] < c->lens[b];
}

/* Restores the heap of the k best codes kept (its root the last of them)
 * below slot i. */
static void sift_down(const struct tcol *c, const size_t *count, uint32_t *heap, size_t k, size_t i)
{
	for (;;) {
		size_t last = i, l = 2 * i + 1, r = l + 1;
		if (l < k && ranks_before(c, count, heap[last], heap[l]))
			last = l;
		if (r < k && ranks_before(c, count, heap[last], heap[r]))
			last = r;
		if (last == i)
			return;
		uint32_t tmp = heap[i];
		heap[i] = heap[last];
		heap[last] = tmp;
		i = last;
	}
}

/* Counts the codes of cells [from, to) of a string column; returns how
 * many of those cells are there. */
static size_t count_codes(const struct tcol *c, size_t from, size_t to, size_t *count)
{
	size_t present = 0;

	for (size_t i = from; i < to; i++)
		if (c->cell[i] != MISSING_CODE) {
			count[c->cell[i]]++;
			present++;
		}
	return present;
}

/* The codes of column c's max most frequent strings, most frequent first,
 * into s->top[0..s->ntop): exact counts of the table's cells (a profile's
 * are estimates beyond 10000 distinct values), the best kept in a heap. */
static int top_codes(const struct tcol *c, size_t n, size_t split, size_t max, struct colstats *s)
{
	size_t *count = calloc(c->nstrs ? c->nstrs : 1, sizeof *count), k = 0;
	uint32_t *top = s->top;

	if (!count)
		return -1;
	s->present = count_codes(c, 0, split, count);
	count_codes(c, split, n, count);
	for (uint32_t code = 0; code < c->nstrs && max; code++) {
		if (!count[code])
			continue;
		if (k < max) {
			top[k++] = code;
			/* sift up */
			for (size_t i = k - 1; i && ranks_before(c, count, top[(i - 1) / 2], top[i]); i = (i - 1) / 2) {
				uint32_t tmp = top[i];
				top[i] = top[(i - 1) / 2];
				top[(i - 1) / 2] = tmp;
			}
		} else if (ranks_before(c, count, code, top[0])) {
			top[0] = code;
			sift_down(c, count, top, k, 0);
		}
	}
	/* the heap's order, last first, into ranking order */
	for (size_t m = k; m > 1; m--) {
		uint32_t tmp = top[0];
		top[0] = top[m - 1];
		top[m - 1] = tmp;
		sift_down(c, count, top, m - 1, 0);
	}
	free(count);
	s->ntop = k;
	return 0;
}

static void column_stats(struct colstats *s, size_t n, size_t split, size_t max_categories)
{
	const struct tcol *c = s->col;

	if (c->kind != TCOL_STRING) {
		moments(c, n, split, s);
		return;
	}
	/* no more kept than the column has values */
	size_t room = max_categories < c->nstrs ? max_categories : c->nstrs;
	if (!(s->top = malloc((room ? room : 1) * sizeof *s->top)) ||
	    top_codes(c, n, split, room, s) < 0)
		s->failed = 1;
}

/* The feature columns' statistics, each thread taking the next column
 * not yet taken (each column's figures are the same whoever takes it). */
struct stats_job {
	struct colstats *stats;
	size_t nstats, next;
	size_t n, split, max_categories;
};

static void *stats_worker(void *arg)
{
	struct stats_job *job = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED)) < job->nstats)
		column_stats(&job->stats[i], job->n, job->split, job->max_categories);
	return NULL;
}

/* The feature columns: --features in the order given, else every column
 * in the order seen, but the target, the weight and the columns never
 * seen with a value; NULL when memory is out. */
static struct colstats *feature_columns(const struct table *t, const struct tcol *target,
					size_t *count)
{
	size_t nf = t->nonly ? t->nonly : t->ncols, k = 0;
	struct colstats *stats = calloc(nf ? nf : 1, sizeof *stats);

	for (size_t i = 0; i < nf && stats; i++) {
		const struct tcol *c = t->nonly ? table_find(t, t->only[i]) : t->cols[i];
		if (!c->used || c == target || (t->weight && !strcmp(c->name, t->weight)) ||
		    c->kind == TCOL_UNKNOWN)
			continue;
		stats[k++].col = c;
	}
	*count = k;
	return stats;
}

static void free_stats(struct colstats *stats, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(stats[i].top);
	free(stats);
}

static int add_feature(struct design *d, const struct colstats *s)
{
	static const enum ml_feature_kind kinds[] = {ML_FEATURE_NUMBER, ML_FEATURE_NUMBER,
						     ML_FEATURE_BOOLEAN, ML_FEATURE_CATEGORY};
	const struct tcol *c = s->col;
	struct ml_feature *f = ml_encoding_add(&d->enc, c->name, c->name_len, kinds[c->kind]);

	if (!f || s->failed)
		return -1;
	if (c->kind != TCOL_STRING) {
		f->mean = s->mean;
		f->std = s->std;
	}
	for (size_t i = 0; i < s->ntop; i++)
		if (ml_feature_add_value(f, c->strs[s->top[i]], c->lens[s->top[i]]) < 0)
			return -1;
	return 0;
}

/* Where each feature's values come from: its column of cells and, for
 * strings, each code's kept value (-1: other). */
struct sources {
	const struct tcol **cols;
	ssize_t **maps;
};

static int find_sources(const struct design *d, const struct table *t, struct sources *src)
{
	size_t nfeat = d->enc.nfeatures;

	if (!(src->cols = calloc(nfeat, sizeof *src->cols)) || !(src->maps = calloc(nfeat, sizeof *src->maps)))
		return -1;
	for (size_t fi = 0; fi < nfeat; fi++) {
		const struct ml_feature *f = &d->enc.features[fi];
		const struct tcol *c = src->cols[fi] = table_find(t, f->name);
		if (f->kind != ML_FEATURE_CATEGORY)
			continue;
		if (!(src->maps[fi] = malloc((c->nstrs ? c->nstrs : 1) * sizeof **src->maps)))
			return -1;
		for (uint32_t k = 0; k < c->nstrs; k++)
			src->maps[fi][k] = ml_feature_value_index(f, c->strs[k], c->lens[k]);
	}
	return 0;
}

static void free_sources(struct sources *src, size_t nfeat)
{
	for (size_t fi = 0; src->maps && fi < nfeat; fi++)
		free(src->maps[fi]);
	free(src->maps);
	free(src->cols);
}

/* A run of rows of the matrix to fill, [from, to), whose sparse entries
 * begin at entry first. */
struct fill_job {
	struct design *d;
	const struct sources *src;
	size_t from, to, first;
	size_t end;		/* sparse: one past its last entry */
};

/* Dense rows, row by row, so each is written where it is laid out. */
static void *fill_dense_rows(void *arg)
{
	struct fill_job *job = arg;
	struct design *d = job->d;
	size_t p = d->enc.ncols;

	for (size_t i = job->from; i < job->to; i++) {
		float *row = d->x + i * p;
		for (size_t fi = 0; fi < d->enc.nfeatures; fi++) {
			const struct ml_feature *f = &d->enc.features[fi];
			uint32_t cell = job->src->cols[fi]->cell[i];
			if (job->src->maps[fi])
				ml_encode_category(&d->enc, f, cell == MISSING_CODE ? -2 : job->src->maps[fi][cell], row);
			else
				ml_encode_number(&d->enc, f, cell_float(cell), row);
		}
	}
	return NULL;
}

/* Sparse rows: the entries the dense ones would have that are not NaN (a
 * number that is there, a category's lit column), each feature giving at
 * most one a row. */
static void *fill_sparse_rows(void *arg)
{
	struct fill_job *job = arg;
	struct ml_csr *m = &job->d->csr;
	const struct ml_encoding *enc = &job->d->enc;
	size_t k = job->first;

	for (size_t i = job->from; i < job->to; i++) {
		m->start[i] = k;
		for (size_t fi = 0; fi < enc->nfeatures; fi++) {
			const struct ml_feature *f = &enc->features[fi];
			uint32_t cell = job->src->cols[fi]->cell[i];
			if (job->src->maps[fi]) {
				if (cell == MISSING_CODE)
					continue;
				ssize_t v = job->src->maps[fi][cell];
				m->col[k] = (uint32_t)(f->col + (v < 0 ? f->nvalues : (size_t)v));
				m->val[k++] = 1.0f;
			} else if (!isnan(cell_float(cell))) {
				m->col[k] = (uint32_t)f->col;
				m->val[k++] = cell_float(cell);
			}
		}
	}
	job->end = k;
	return NULL;
}

/* The matrix, dense or sparse, its rows [0, split) and [split, n) filled
 * at once on two threads when there are many: the sparse entries of the
 * first run, before_split of them, were counted with the statistics, so
 * the second knows where its own begin and the arrays come out as one
 * thread would have written them. */
static int fill_matrix(struct design *d, const struct sources *src, int dense, size_t n,
		       size_t split, size_t before_split)
{
	struct fill_job low = {.d = d, .src = src, .from = 0, .to = split, .first = 0};
	struct fill_job high = {.d = d, .src = src, .from = split, .to = n, .first = before_split};
	size_t nfeat = d->enc.nfeatures;
	struct ml_csr *m = &d->csr;

	if (dense) {
		if (!(d->x = malloc((n ? n : 1) * d->enc.ncols * sizeof *d->x)))
			return -1;
		ml_worker_two(fill_dense_rows, &low, &high, n >= ML_WORKER_PARALLEL_ROWS);
		return 0;
	}
	m->start = malloc((n + 1) * sizeof *m->start);
	m->col = malloc((n ? n : 1) * nfeat * sizeof *m->col);
	m->val = malloc((n ? n : 1) * nfeat * sizeof *m->val);
	if (!m->start || !m->col || !m->val)
		return -1;
	ml_worker_two(fill_sparse_rows, &low, &high, n >= ML_WORKER_PARALLEL_ROWS);
	size_t k = m->start[n] = high.end;
	/* the room for every feature in every row, given back */
	uint32_t *col = realloc(m->col, (k ? k : 1) * sizeof *col);
	if (col)
		m->col = col;
	float *val = realloc(m->val, (k ? k : 1) * sizeof *val);
	if (val)
		m->val = val;
	return 0;
}

/* A feature's weight in spread_kinds: its entries in the first rows, and
 * one more so that a feature without any still counts. */
static double spread_weight(const struct colstats *s)
{
	return (double)s->present + 1;
}

/* For trees, the order of the features when --features gives none.
 * XGBoost's hist method sketches the quantiles of each column with its
 * threads each taking a run of consecutive columns, the runs balanced by
 * the entries they hold.  A category's one-hot columns hold only 1s, which
 * the sketch takes almost for free, while a number's (or a boolean's) cost
 * it in proportion to its entries: with the numbers first, as records
 * usually have them, one thread sketched nearly all of them while the
 * other waited (on the benchmark's million records, round 0 took 0.96 s
 * instead of 0.75 s).  So the numbers and booleans are spread among the
 * categories, each kind in its own order, every run of columns holding
 * its share of both.  (The xgboost program is no faster given the same
 * layout: most of its work from the end of its parse to the second round
 * runs on one thread either way.) */
static int spread_kinds(struct colstats *stats, size_t n)
{
	struct colstats *numbers = malloc(2 * (n ? n : 1) * sizeof *numbers);
	struct colstats *categories = numbers + (n ? n : 1);
	size_t nn = 0, nc = 0;
	double wn = 0, wc = 0;

	if (!numbers)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (stats[i].col->kind == TCOL_STRING) {
			categories[nc++] = stats[i];
			wc += spread_weight(&stats[i]);
		} else {
			numbers[nn++] = stats[i];
			wn += spread_weight(&stats[i]);
		}
	}
	/* next, the kind whose share placed so far is the smaller */
	double sn = 0, sc = 0;
	size_t in = 0, ic = 0;
	for (size_t k = 0; k < n; k++) {
		if (ic == nc || (in < nn && sn * wc <= sc * wn)) {
			sn += spread_weight(&numbers[in]);
			stats[k] = numbers[in++];
		} else {
			sc += spread_weight(&categories[ic]);
			stats[k] = categories[ic++];
		}
	}
	free(numbers);
	return 0;
}

int design_build(struct design *d, struct table *t, int task, int standardize,
		 size_t max_categories, struct ml_err *err)
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
	/* a class goes to XGBoost as its index, a value as it is */
	if (d->task == ML_TASK_REGRESSION && t->wide_target.kind != ML_ERR_NONE) {
		*err = t->wide_target;
		return -1;
	}
	for (size_t i = 0; i < t->nonly; i++)
		if (!table_find(t, t->only[i]))
			return ml_err_set(err, ML_ERR_USAGE, "--features: no record has '%s'", t->only[i]);
	if (t->weight && !table_find(t, t->weight))
		return ml_err_set(err, ML_ERR_USAGE, "--weight: no record has '%s'", t->weight);
	for (size_t i = 0; i < t->nexclude; i++)
		if (!table_find(t, t->exclude[i]))
			return ml_err_set(err, ML_ERR_USAGE, "--exclude: no record has '%s'", t->exclude[i]);
	d->n = n;
	d->enc.standardize = standardize;
	/* each column's statistics, on two threads when the rows are many; the
	 * features then added in order on this one */
	size_t nstats, split = n / 2, before_split = 0;
	struct colstats *stats = feature_columns(t, target, &nstats);
	if (!stats)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	struct stats_job job = {.stats = stats, .nstats = nstats, .n = n, .split = split,
				.max_categories = max_categories};
	ml_worker_two(stats_worker, &job, &job, n >= ML_WORKER_PARALLEL_ROWS);
	int rc = standardize || t->nonly ? 0 : spread_kinds(stats, nstats);
	for (size_t i = 0; i < nstats && rc == 0; i++) {
		rc = add_feature(d, &stats[i]);
		before_split += stats[i].present;
	}
	free_stats(stats, nstats);
	if (rc < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (!d->enc.nfeatures)
		return ml_err_set(err, ML_ERR_DATA, "no features: every field but the target is "
				  "excluded or always missing");
	if (ml_encoding_finish(&d->enc) < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	/* linear models take dense rows; trees the sparse ones, which XGBoost
	 * copies as they are (from dense rows it looks at every cell) */
	struct sources src = {0};
	rc = find_sources(d, t, &src);
	if (rc == 0)
		rc = fill_matrix(d, &src, standardize, n, split, before_split);
	free_sources(&src, d->enc.nfeatures);
	if (rc < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory: %zu x %zu matrix", n, d->enc.ncols);
	return 0;
}

void design_rows(const struct design *d, size_t first, size_t count, float *out)
{
	size_t p = d->enc.ncols;

	if (d->x)
		memcpy(out, d->x + first * p, count * p * sizeof *out);
	else
		ml_csr_rows(&d->csr, p, first, count, out);
}

struct ml_dataset design_data(const struct design *d, const double *w)
{
	return (struct ml_dataset){.x = d->x, .csr = d->x ? NULL : &d->csr, .n = d->n,
				   .p = d->enc.ncols, .y = d->y, .w = w};
}

void design_free(struct design *d)
{
	ml_encoding_free(&d->enc);
	free(d->x);
	ml_csr_free(&d->csr);
	free(d->y);
	for (size_t i = 0; i < d->nclass; i++)
		free(d->class_raw[i]);
	free(d->class_raw);
	ml_buf_free(&d->classes);
}
