/* ml_predictor: a model bundle made ready to score records: its manifest
 * read, its encoding and its model loaded.  What ml-predict and ml-eval
 * share. */
#ifndef ML_PREDICTOR_H
#define ML_PREDICTOR_H

#include <stddef.h>

#include "ml_bundle.h"
#include "ml_encode.h"
#include "ml_err.h"
#include "ml_model.h"

struct ml_predictor {
	struct ml_bundle *bundle;
	struct ml_encoding enc;
	struct ml_model model;
	enum ml_algo algo;
	enum ml_task task;
	char *target;
	char **class_raw;	/* each class label as JSON text */
	size_t nclass;
	size_t nout;		/* scores per record: 1, or nclass */
};

/* Reads and verifies the bundle at path and loads its model; err names
 * the file and the problem. */
int ml_predictor_load(struct ml_predictor *p, const char *path, struct ml_err *err);
void ml_predictor_free(struct ml_predictor *p);
/* Checks row, record r as ml_encode_record encoded it, for a number the
 * model cannot take: one beyond the range of a double (1e400 reads as
 * infinity), or beyond that of the 32-bit floats the model computes in,
 * once rounded to one and standardised (1e39).  An infinity would make
 * XGBoost refuse the whole batch of records, and a linear model's score
 * NaN when it meets another of the other sign.  0, or -1 with err
 * (ML_ERR_DATA) naming the feature and the number. */
int ml_predictor_check_row(const struct ml_predictor *p, const struct ml_rec *r, const float *row,
			   struct ml_err *err);
/* The predicted class of scores s (nout values): the most probable, or
 * for a binary task class 1 when its probability reaches threshold. */
size_t ml_predictor_class(const struct ml_predictor *p, const double *s, double threshold);

#endif
