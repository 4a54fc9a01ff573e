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
/* The predicted class of scores s (nout values): the most probable, or
 * for a binary task class 1 when its probability reaches threshold. */
size_t ml_predictor_class(const struct ml_predictor *p, const double *s, double threshold);

#endif
