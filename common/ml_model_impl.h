/* What the parts of ml_model share; not for programs. */
#ifndef ML_MODEL_IMPL_H
#define ML_MODEL_IMPL_H

#include "ml_model.h"

/* Parses a parameter's number in [lo, hi]; err names it. */
int ml_param_number(const char *key, const char *s, double lo, double hi, double *out,
		    struct ml_err *err);

int ml_linear_load(struct ml_model *m, const void *data, size_t len, struct ml_err *err);

int ml_gbdt_check_param(const char *key, const char *value, struct ml_err *err);
int ml_gbdt_train(struct ml_model *m, const struct ml_params *ps, const struct ml_dataset *d,
		  const struct ml_dataset *valid, uint64_t early_stop, uint64_t seed, int threads,
		  struct ml_err *err);
int ml_gbdt_predict(const struct ml_model *m, const float *x, size_t n, double *out,
		    struct ml_err *err);
int ml_gbdt_contributions(const struct ml_model *m, const float *x, size_t n, size_t cls,
			  double *out, struct ml_err *err);
int ml_gbdt_save(const struct ml_model *m, struct ml_buf *out, struct ml_err *err);
int ml_gbdt_load(struct ml_model *m, const void *data, size_t len, struct ml_err *err);
void ml_gbdt_free(struct ml_model *m);
void ml_gbdt_version(struct ml_buf *out);
int ml_gbdt_gain(const struct ml_model *m, double *gain, struct ml_err *err);

#endif
