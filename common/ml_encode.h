/* ml_encode: how records become rows of numbers for a model, learned from
 * the training data and kept in the bundle, so prediction encodes exactly
 * as training did.
 *
 * A number is itself (standardised, (x - mean) / std, for linear models);
 * a boolean is 0 or 1; a string is one-hot over the most frequent training
 * values plus "other", where unseen values go.  A missing value (null or
 * absent) is the training mean for linear models (0 after standardising;
 * all zeros for a string) and NaN for trees, which learn where it goes.
 * For trees the one-hot columns a string does not light are NaN too, not 0
 * (see ml_encode_category). */
#ifndef ML_ENCODE_H
#define ML_ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_rec.h"

enum ml_feature_kind { ML_FEATURE_NUMBER, ML_FEATURE_BOOLEAN, ML_FEATURE_CATEGORY };

struct ml_feature {
	char *name;
	size_t name_len;
	enum ml_feature_kind kind;
	double mean, std;	/* numbers and booleans, from the training data */
	char **values;		/* categories: the kept values, most frequent first */
	size_t *value_lens;
	size_t nvalues;
	size_t col;		/* first encoded column */
	size_t width;		/* encoded columns: 1, or nvalues + 1 ("other") */
	size_t *sorted;		/* values by bytes, for lookup */
};

struct ml_encoding {
	struct ml_feature *features;
	size_t nfeatures;
	size_t ncols;
	int standardize;	/* linear models: standardise, impute the mean */
};

/* Appends a feature (name copied); its encoded columns are assigned by
 * ml_encoding_finish.  Returns it, or NULL when memory is out. */
struct ml_feature *ml_encoding_add(struct ml_encoding *e, const char *name, size_t n,
				   enum ml_feature_kind kind);
/* Adds a kept value to a category feature; 0 or -1. */
int ml_feature_add_value(struct ml_feature *f, const char *s, size_t n);
/* Assigns encoded columns and builds lookups; 0 or -1. */
int ml_encoding_finish(struct ml_encoding *e);
void ml_encoding_free(struct ml_encoding *e);

/* The index of value s in a category feature's kept values, or -1 (other). */
ssize_t ml_feature_value_index(const struct ml_feature *f, const char *s, size_t n);
/* The name of encoded column j ("age", "purpose=car", "purpose=(other)"). */
int ml_encoding_column_name(const struct ml_encoding *e, size_t j, struct ml_buf *out);
/* The feature an encoded column belongs to. */
size_t ml_encoding_feature_of(const struct ml_encoding *e, size_t col);

/* Writes feature f's encoded columns into row[f->col ..] for a number (NAN
 * when missing), a category index (-1 other, -2 missing). */
void ml_encode_number(const struct ml_encoding *e, const struct ml_feature *f, double x, float *row);
void ml_encode_category(const struct ml_encoding *e, const struct ml_feature *f, ssize_t idx,
			float *row);

/* Encodes record r into row[0..ncols); a value of the wrong type for its
 * feature fails with err naming the feature and what it got. */
int ml_encode_record(const struct ml_encoding *e, const struct ml_rec *r, float *row,
		     struct ml_buf *scratch, struct ml_err *err);

/* The encoding as JSON (the bundle's preprocess.json) and back. */
int ml_encoding_to_json(const struct ml_encoding *e, struct ml_buf *out);
int ml_encoding_from_json(struct ml_encoding *e, const char *text, size_t len, struct ml_err *err);

const char *ml_feature_kind_name(enum ml_feature_kind k);

#endif
