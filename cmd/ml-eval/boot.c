/* The bootstrap: metrics over resamples of the records, for confidence
 * intervals.  Resample b draws from its own generator, seeded by the seed
 * and b, so the result does not depend on the number of threads. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "ml_metrics.h"
#include "ml_rand.h"

/* Resample b as weights: how many times each row was drawn. */
void resample_weights(const struct rows *rows, uint64_t seed, size_t b, double *w)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ULL + b + 1;

	for (size_t j = 0; j < rows->n; j++)
		w[rows->idx ? rows->idx[j] : j] = 0;
	for (size_t j = 0; j < rows->n; j++) {
		size_t pick = (size_t)(ml_splitmix64(&s) % rows->n);
		w[rows->idx ? rows->idx[pick] : pick] += 1;
	}
}

struct job {
	const struct eval *e;
	const struct rows *rows;
	size_t nres, nm, first, step;
	uint64_t seed;
	double *vals;		/* nres x nm */
	struct ml_err err;
	int rc;
};

static void *work(void *arg)
{
	struct job *j = arg;
	double *w = malloc((j->e->n ? j->e->n : 1) * sizeof *w);

	if (!w) {
		j->rc = ml_err_set(&j->err, ML_ERR_IO, "out of memory");
		return NULL;
	}
	for (size_t b = j->first; b < j->nres && j->rc == 0; b += j->step) {
		resample_weights(j->rows, j->seed, b, w);
		if (metrics_values(j->e, j->rows, w, 0, j->vals + b * j->nm, &j->err) < 0) {
			/* a resample where a metric cannot be computed counts as
			 * undefined for every metric (one class drawn, say) */
			for (size_t m = 0; m < j->nm; m++)
				j->vals[b * j->nm + m] = NAN;
		}
	}
	free(w);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* numpy's default percentile: linear between the closest ranks */
static double percentile(const double *sorted, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t i = (size_t)floor(pos);
	if (i + 1 >= n)
		return sorted[n - 1];
	return sorted[i] + (pos - (double)i) * (sorted[i + 1] - sorted[i]);
}

int bootstrap_values(const struct eval *e, const struct rows *rows, size_t nres, uint64_t seed,
		     int threads, double *vals, struct ml_err *err)
{
	const char *const *names;
	size_t nm = ml_metrics_names(e->task, &names);
	int nt = threads > 0 ? threads : 2;
	struct job *jobs = calloc((size_t)nt, sizeof *jobs);
	pthread_t *tid = calloc((size_t)nt, sizeof *tid);
	int rc = 0;

	if (!jobs || !tid) {
		free(jobs);
		free(tid);
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	for (int t = 0; t < nt; t++) {
		jobs[t] = (struct job){.e = e, .rows = rows, .nres = nres, .nm = nm, .first = (size_t)t,
				       .step = (size_t)nt, .seed = seed, .vals = vals};
		if (t && pthread_create(&tid[t], NULL, work, &jobs[t]) != 0)
			jobs[t].first = nres;	/* could not start: the others do its share below */
	}
	work(&jobs[0]);
	for (int t = 1; t < nt; t++) {
		if (jobs[t].first == nres) {
			struct job again = jobs[t];
			again.first = (size_t)t;
			work(&again);
			jobs[t].rc = again.rc;
			jobs[t].err = again.err;
		} else {
			pthread_join(tid[t], NULL);
		}
	}
	for (int t = 0; t < nt && rc == 0; t++)
		if (jobs[t].rc < 0) {
			*err = jobs[t].err;
			rc = -1;
		}
	free(jobs);
	free(tid);
	return rc;
}

int bootstrap(const struct eval *e, const struct rows *rows, size_t nres, uint64_t seed,
	      double confidence, int threads, double *lo, double *hi, struct ml_err *err)
{
	const char *const *names;
	size_t nm = ml_metrics_names(e->task, &names);
	double *vals = malloc((nres ? nres : 1) * nm * sizeof *vals);
	double *col = malloc((nres ? nres : 1) * sizeof *col);

	if (!vals || !col) {
		free(vals);
		free(col);
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	if (bootstrap_values(e, rows, nres, seed, threads, vals, err) < 0) {
		free(vals);
		free(col);
		return -1;
	}
	for (size_t m = 0; m < nm; m++) {
		size_t k = 0;
		for (size_t b = 0; b < nres; b++)
			if (!isnan(vals[b * nm + m]))
				col[k++] = vals[b * nm + m];
		if (!k) {
			lo[m] = hi[m] = NAN;
			continue;
		}
		qsort(col, k, sizeof *col, cmp_double);
		lo[m] = percentile(col, k, (1 - confidence) / 2);
		hi[m] = percentile(col, k, 1 - (1 - confidence) / 2);
	}
	free(vals);
	free(col);
	return 0;
}
