/* ml-train's parts: the reading of the records (read.c) into the training
 * table (table.c) and the profile, the design matrix and the classes
 * (design.c), cross-validation and the grid (search.c), and the metrics
 * (score.c). */
#ifndef TRAIN_H
#define TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "ml_cli.h"
#include "ml_rec.h"
#include "ml_encode.h"
#include "ml_model.h"
#include "ml_profile.h"

/* A column of the training data, one 4-byte cell per record: a float
 * (numbers, booleans as 0/1, NaN when missing) or a string's code in the
 * column's dictionary (UINT32_MAX when missing). */
enum tcol_kind { TCOL_UNKNOWN, TCOL_NUMBER, TCOL_BOOLEAN, TCOL_STRING };

struct tcol {
	char *name;
	size_t name_len;
	enum tcol_kind kind;
	uint32_t *cell;
	/* strings: the dictionary */
	char **strs;
	size_t *lens;
	uint32_t nstrs, strcap;
	uint32_t *slots;	/* open addressing: code + 1 */
	size_t nslots;
	int used;		/* a feature, the target or the weight */
	int is_target, is_weight;
	size_t last;		/* its last field in the record being added */
};

struct table {
	struct tcol **cols;
	size_t ncols, colcap;
	size_t *lookup;		/* open addressing over names: column + 1 */
	size_t nlookup;
	struct tcol **at;	/* the column of each field of the last record */
	size_t nat;
	size_t nrows, rowcap;
	const char *target, *weight;
	double *y;		/* the target as read (numbers, booleans 0/1) */
	double *w;
	char **only;		/* --features */
	size_t nonly;
	char **exclude;
	size_t nexclude;
	/* XGBoost takes the weight, and the target of a regression, as 32-bit
	 * floats; the task is known only once every record is read, so the
	 * first target too large for a float is kept here, with its place
	 * (kind ML_ERR_NONE: none) */
	int float_labels;
	struct ml_err wide_target;
	struct ml_buf scratch;
};

/* Adds one record: 0, or 1 when its target is the first too large for a
 * float with float_labels (wide_target then wants the record's place), or
 * -1 with err saying which field and why when it cannot. */
int table_add(struct table *t, const struct ml_rec *r, struct ml_err *err);
/* The column named name, or NULL. */
struct tcol *table_find(const struct table *t, const char *name);
void table_free(struct table *t);

/* read.c: the records of the inputs, read into the table and the training
 * profile on threads of their own. */
struct reader;

/* Starts the threads that fill t and p; NULL when memory or threads are
 * out. */
struct reader *reader_start(struct ml_cli *cli, struct table *t, struct ml_profile *p);
/* Reads the inputs (none: standard input), each logged in the run log: 0
 * once the table holds every record, -1 with err ("FILE:LINE: why" for a
 * record it cannot take).  An input that cannot be read is named on stderr
 * and counted in *failed, and the others are still read.  The profile may
 * still be filling: see reader_profile. */
int reader_read(struct reader *rd, char *const *paths, size_t n, uint64_t *failed,
		struct ml_err *err);
/* After reader_read: waits until the profile holds every record and
 * finishes it; 0, or -1 with err. */
int reader_profile(struct reader *rd, struct ml_err *err);
/* The inputs' bytes, and their SHA-256 as a JSON array without its "]". */
uint64_t reader_bytes(const struct reader *rd);
const char *reader_sources(const struct reader *rd);
/* Stops the threads (when reading never began) and frees rd. */
void reader_free(struct reader *rd);

/* What design.c makes of the table. */
struct design {
	enum ml_task task;
	size_t n;		/* rows */
	struct ml_encoding enc;
	float *x;		/* nrows x enc.ncols: linear models */
	struct ml_csr csr;	/* or the same rows sparse: trees */
	double *y;		/* class index or value */
	size_t nclass;
	struct ml_buf classes;	/* the class labels, a JSON array */
	char **class_raw;	/* each label as raw JSON */
};

/* Decides the task (forced when task >= 0) and the classes from the target,
 * the features and their encoding (standardised for linear models), and
 * fills the matrix: dense for linear models, sparse for trees. */
int design_build(struct design *d, struct table *t, int task, int standardize,
		 size_t max_categories, struct ml_err *err);
/* Rows first .. first + count - 1 as dense rows into out (count x ncols). */
void design_rows(const struct design *d, size_t first, size_t count, float *out);
/* d's rows as training data. */
struct ml_dataset design_data(const struct design *d, const double *w);
void design_free(struct design *d);

/* The metrics of predictions pred (per row: 1 value, or nclass
 * probabilities) as a JSON object appended to json, and the task's main
 * metric (roc_auc, accuracy, r2: higher is better). */
int score(enum ml_task t, size_t nclass, const double *y, const double *pred, const double *w,
	  size_t n, struct ml_buf *json, double *main_metric, struct ml_err *err);
const char *score_main_name(enum ml_task t);

#endif
