/* Cross-validation and grid search (search.c). */
#ifndef SEARCH_H
#define SEARCH_H

#include "train.h"

struct grid_axis {
	char *key;
	char **values;
	size_t nvalues;
};

struct search {
	enum ml_algo algo;
	unsigned folds;
	uint64_t seed;
	int threads;
	struct grid_axis *axes;
	size_t naxes;
};

/* Deals rows to k folds (stratified by class), fixed by the seed; -1 memory. */
int make_folds(const struct design *d, size_t n, size_t k, uint64_t seed, unsigned *fold);
/* Trains on all folds but one and scores that one, for each fold: the mean
 * and standard deviation of the main metric, and each fold's metrics as a
 * JSON array appended to json. */
int cross_validate(const struct design *d, const double *w, const struct search *s,
		   const struct ml_params *ps, const unsigned *fold, double *mean, double *sd,
		   struct ml_buf *json, struct ml_err *err);
/* --grid KEY=V1,V2,...: one axis of the grid. */
int grid_add(struct search *s, const char *spec, struct ml_err *err);
size_t grid_size(const struct search *s);
int grid_setting(const struct search *s, const struct ml_params *base, size_t g,
		 struct ml_params *out);
void grid_setting_free(struct ml_params *p);
void search_free(struct search *s);

#endif
