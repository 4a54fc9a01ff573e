/* ml_model: the learning algorithms behind ml-train and ml-predict, each
 * through the library made for it: logistic regression through liblinear,
 * gradient-boosted trees through XGBoost's C API, and least squares or
 * ridge by a Cholesky solve of the normal equations.
 *
 * A model works on encoded rows (ml_encode.h): n rows of p floats.  Classes
 * are indices 0..k-1 (the bundle keeps their labels).  Scores are: for a
 * binary task the probability of class 1; for a multiclass task k
 * probabilities; for regression the value. */
#ifndef ML_MODEL_H
#define ML_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "ml_buf.h"
#include "ml_err.h"

enum ml_task { ML_TASK_BINARY, ML_TASK_MULTICLASS, ML_TASK_REGRESSION };
enum ml_algo { ML_ALGO_LOGISTIC, ML_ALGO_LINEAR, ML_ALGO_GBDT };

/* Rows in compressed sparse row form: row i's entries are start[i] ..
 * start[i + 1] - 1 of col (ascending) and val, and a column the row leaves
 * out is missing (NaN).  What trees learn from: a one-hot column that is
 * not lit and a missing value cost nothing. */
struct ml_csr {
	size_t *start;		/* n + 1 */
	uint32_t *col;
	float *val;
};

/* Training data: n rows of p columns, dense (x[0..n*p)) or, for gbdt,
 * sparse (csr, x NULL); targets, optional weights. */
struct ml_dataset {
	const float *x;
	const struct ml_csr *csr;
	size_t n, p;
	const double *y;	/* class index, or value */
	const double *w;	/* NULL: every row weighs 1 */
};

/* Parameters as given (--param KEY=VALUE), checked per algorithm. */
struct ml_params {
	char **keys, **values;
	size_t n;
};

struct ml_model {
	enum ml_algo algo;
	enum ml_task task;
	size_t p;		/* encoded columns */
	size_t nclass;		/* classes (0 for regression) */
	size_t nout;		/* outputs of the raw score: 1, or nclass (multiclass) */
	double *coef;		/* linear models: nout x (p + 1), the intercept last */
	void *booster;		/* gbdt: an XGBoost BoosterHandle */
	double *fitted;		/* the training rows' scores, when training gave them */
	uint64_t rounds;	/* gbdt: boosting rounds kept */
};

const char *ml_algo_name(enum ml_algo a);
const char *ml_task_name(enum ml_task t);
/* -1 when the name is not one. */
int ml_algo_parse(const char *s);
int ml_task_parse(const char *s);

/* Checks that every parameter is one the algorithm knows, with a value it
 * takes; err names the first that is not. */
int ml_model_check_params(enum ml_algo a, const struct ml_params *ps, struct ml_err *err);
/* The value of parameter key, or def. */
const char *ml_params_get(const struct ml_params *ps, const char *key, const char *def);

/* Trains m on d.  valid (may be NULL) is for early stopping (gbdt, with
 * early_stop rounds > 0).  seed fixes every random choice; threads 0 means
 * the backend's default. */
int ml_model_train(struct ml_model *m, enum ml_algo a, enum ml_task t, size_t nclass,
		   const struct ml_params *ps, const struct ml_dataset *d,
		   const struct ml_dataset *valid, uint64_t early_stop, uint64_t seed,
		   int threads, struct ml_err *err);
/* Scores n rows into out (n x (1 or nclass)). */
int ml_model_predict(const struct ml_model *m, const float *x, size_t n, double *out,
		     struct ml_err *err);
/* The contributions of each encoded column to the raw score (log-odds for
 * a binary task, the value for regression, the predicted... class c's for
 * multiclass), then the base value: n x (p + 1).  They add up to the raw
 * score. */
int ml_model_contributions(const struct ml_model *m, const float *x, size_t n, size_t cls,
			   double *out, struct ml_err *err);
/* Trees only: the total gain of the splits on each encoded column, into
 * gain[0..p); ML_ERR_USAGE for other models. */
int ml_model_gain(const struct ml_model *m, double *gain, struct ml_err *err);
/* The model in its own format: JSON weights for linear models, XGBoost's
 * JSON model for trees. */
int ml_model_save(const struct ml_model *m, struct ml_buf *out, struct ml_err *err);
int ml_model_load(struct ml_model *m, enum ml_algo a, enum ml_task t, size_t p, size_t nclass,
		  const void *data, size_t len, struct ml_err *err);
void ml_model_free(struct ml_model *m);
/* Rows first .. first + count - 1 of a sparse matrix of p columns as dense
 * rows into out (count x p), NaN where missing. */
void ml_csr_rows(const struct ml_csr *c, size_t p, size_t first, size_t count, float *out);
void ml_csr_free(struct ml_csr *c);
/* The backend's version, for the manifest ("liblinear 230", "xgboost 1.7.4"). */
void ml_model_backend_version(enum ml_algo a, struct ml_buf *out);

#endif
