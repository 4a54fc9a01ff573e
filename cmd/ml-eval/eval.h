/* ml-eval's parts: reading the labelled records (collect.c), the metrics of
 * each slice (compute.c), the bootstrap and the baseline (boot.c), and the
 * readable table (text.c). */
#ifndef EVAL_H
#define EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "ml_buf.h"
#include "ml_cli.h"
#include "ml_jq.h"
#include "ml_model.h"
#include "ml_predictor.h"

#define NO_GROUP UINT32_MAX

/* Interned texts: the classes, the values a slice takes. */
struct dict {
	char **text;		/* as JSON text (classes) or plain (slice values) */
	size_t *len;
	uint32_t n, cap;
	uint32_t *slots;
	size_t nslots;
};

int dict_intern(struct dict *d, const char *s, size_t n, uint32_t *id);
void dict_free(struct dict *d);

/* A way to cut the records into groups: by a field's value, or by a jq
 * expression's (--slice NAME=EXPR). */
struct slicer {
	char *name;
	char *field;		/* NULL for an expression */
	struct ml_jq *expr;
	struct dict values;
	uint32_t *group;	/* per record: its value, or NO_GROUP */
	int valued;		/* a record had a value of the field (not null) */
};

/* Everything ml-eval keeps of the records: a few numbers each. */
struct eval {
	enum ml_task task;
	int task_forced;
	int classes_open;	/* binary or multiclass: as many classes as seen */
	struct ml_predictor *pr;	/* bundle mode */
	const char *label, *pred, *prob;
	const char *positive;	/* --positive: the label of class 1 (JSON text) */
	double threshold;
	size_t bins;		/* calibration bins, for the ECE */
	struct dict classes;	/* by key text: strings decoded, others as JSON */
	struct ml_buf class_json;	/* per class its JSON text, joined by '\0' */
	size_t n, cap;
	double *y;		/* class id (before remapping) or value */
	double *score;		/* regression: the prediction; binary: P(class 1) */
	uint32_t *pred_class;	/* classification without probabilities */
	/* multiclass probabilities, as (record, class, p) until the classes are known */
	uint64_t *mp_rec;
	uint32_t *mp_cls;
	double *mp_p;
	size_t mp_n, mp_cap;
	double *probs;		/* n x k, once known */
	int have_prob;
	struct slicer *slicers;
	size_t nslicers;
	struct slicer *fairness;
	struct ml_buf sources;	/* the inputs' SHA-256, a JSON array */
	struct ml_buf scratch;
	/* --baseline BUNDLE: the same records scored by it */
	struct ml_predictor *base;
	float *base_x;
	double *base_score, *base_probs;
	/* bundle mode: the batch being scored */
	float *x;
	size_t batch_n;
	size_t batch_first;
};

/* Decides the task and the probability field from the first record. */
int collect_decide(struct eval *e, const struct ml_rec *r, struct ml_err *err);
/* Reads one record into e; err names the field and the problem. */
int collect_record(struct eval *e, const struct ml_rec *r, const char *line, size_t len,
		   struct ml_err *err);
/* Scores what is left of the batch (bundle mode). */
int collect_flush(struct eval *e, struct ml_err *err);
/* After the last record: orders the classes, picks class 1, fills probs. */
int collect_finish(struct eval *e, struct ml_err *err);
void eval_free(struct eval *e);

/* The JSON text of class c. */
const char *class_label(const struct eval *e, size_t c);
size_t eval_nclass(const struct eval *e);

/* Rows of a subset: the records of one slice group (all when idx NULL). */
struct rows {
	const size_t *idx;
	size_t n;
};

/* Appends the metrics of the rows as "key":value pairs (after a comma);
 * vals (or NULL) receives them as metrics_values gives them. */
int metrics_json(const struct eval *e, const struct rows *rows, const double *w,
		 struct ml_buf *out, double *vals, struct ml_err *err);
/* The value of a metric by name, for the bootstrap; NAN when undefined.
 * parallel: a binary task's ranking may take a second thread (not from
 * threads that are already computing metrics side by side). */
int metrics_values(const struct eval *e, const struct rows *rows, const double *w,
		   int parallel, double *vals, struct ml_err *err);
/* metrics_values gives the metrics ml_metrics_names names, in its order. */

/* Writes the curves of the rows (ROC, precision-recall, calibration). */
int curves_json(const struct eval *e, const struct rows *rows, const char *slice, size_t bins,
		struct ml_buf *out, struct ml_err *err);

/* Percentile confidence intervals of every metric over n resamples. */
int bootstrap(const struct eval *e, const struct rows *rows, size_t n, uint64_t seed,
	      double confidence, int threads, double *lo, double *hi, struct ml_err *err);

/* The metrics of each of nres resamples into vals (nres x metrics). */
int bootstrap_values(const struct eval *e, const struct rows *rows, size_t nres, uint64_t seed,
		     int threads, double *vals, struct ml_err *err);
/* Resample b of the rows as weights over every record (0 outside rows). */
void resample_weights(const struct rows *rows, uint64_t seed, size_t b, double *w);

/* The same records as scored by the baseline bundle: a view of e. */
struct eval baseline_view(const struct eval *e);
/* Appends "baseline":{...}: its metrics, the differences, and with
 * bootstrap resamples a paired p-value per metric; McNemar's test for
 * classifiers.  metrics_file: an earlier ml-eval output instead. */
int baseline_json(const struct eval *e, const char *metrics_file, size_t nres, uint64_t seed,
		  int threads, struct ml_buf *out, struct ml_err *err);

#endif
