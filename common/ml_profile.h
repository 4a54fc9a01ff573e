/* ml_profile: what a dataset looks like, column by column, built in one
 * pass in memory bounded per column, merged exactly across shards, and
 * written and read as NDJSON (format "mlpipe.profile", version 1).
 *
 * Per column: the JSON types seen; present (not null) and missing (null or
 * absent) counts; for numbers, count, mean and variance (Welford; merged by
 * Chan et al.'s pairwise update), min, max, sum (compensated), zeros,
 * negatives, non-finite values, and a KLL quantile sketch (ml_kll.h) that
 * gives the quantiles and the histogram; for strings, an ml_cat counter
 * (exact, then space-saving and HyperLogLog) and lengths in characters; for
 * booleans, true and false counts. */
#ifndef ML_PROFILE_H
#define ML_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "ml_buf.h"
#include "ml_cat.h"
#include "ml_err.h"
#include "ml_kll.h"
#include "ml_rec.h"

#define ML_PROFILE_FORMAT "mlpipe.profile"
#define ML_PROFILE_VERSION 1

struct ml_profile;

/* The numbers of one column. */
struct ml_numstats {
	uint64_t count;		/* finite numbers */
	double mean, m2;	/* m2: sum of squared deviations from the mean */
	double shift, mean_s;	/* the mean is shift + mean_s, kept apart for precision */
	double min, max, sum, sum_c;	/* sum_c: Neumaier's compensation */
	uint64_t zeros, negatives, nonfinite;
	uint64_t integers;	/* finite numbers with an integral value */
	int integers_unknown;	/* read from a profile that did not count them */
	struct ml_kll *sketch;
};

/* One column's profile. */
struct ml_column {
	char *name;
	uint64_t types[7];	/* by enum ml_json_type: null, false, true, ... */
	struct ml_numstats num;
	struct ml_cat *cat;	/* string values */
	uint64_t len_min, len_max, len_sum;	/* string lengths, in characters */
	int skip;		/* left out by the options: seen, not profiled */
	size_t name_len;
	size_t last;		/* in the record being added: its last field with this key */
	double *pending;	/* numbers not yet in num (see ml_profile_finish) */
	size_t npending;
};

/* Options of a profile: which columns, how much to report. */
struct ml_profile_opts {
	char **columns;		/* only these (NULL: all) */
	size_t ncolumns;
	char **exclude;		/* never these */
	size_t nexclude;
	size_t top;		/* top values listed per string column */
	size_t bins;		/* histogram bins per numeric column */
};

/* A new empty profile; NULL when memory is out. */
struct ml_profile *ml_profile_new(const struct ml_profile_opts *opts);
void ml_profile_free(struct ml_profile *p);
/* Accounts for one record; 0, or -1 with err (memory). */
int ml_profile_add(struct ml_profile *p, const struct ml_rec *r, struct ml_err *err);
/* Folds the numbers still pending into the moments and sketches: call it
 * after the last ml_profile_add, before reading a column's numbers. */
int ml_profile_finish(struct ml_profile *p, struct ml_err *err);
/* Records the bytes and "sha256:" of a source the records came from. */
int ml_profile_add_source(struct ml_profile *p, uint64_t bytes, const char *sha256);
/* Adds everything from (finished) into into (columns matched by name); 0 or -1. */
int ml_profile_merge(struct ml_profile *into, const struct ml_profile *from, struct ml_err *err);

/* Records profiled. */
uint64_t ml_profile_records(const struct ml_profile *p);
/* Columns, in the order first seen. */
size_t ml_profile_ncolumns(const struct ml_profile *p);
struct ml_column *ml_profile_column(const struct ml_profile *p, size_t i);
/* The column named name, or NULL. */
struct ml_column *ml_profile_find(const struct ml_profile *p, const char *name);
/* Missing values of a column (null or absent). */
uint64_t ml_column_missing(const struct ml_profile *p, const struct ml_column *c);
/* Sample standard deviation (n - 1 in the denominator); NAN below 2 values. */
double ml_numstats_std(const struct ml_numstats *s);

/* Appends the profile as NDJSON to out: the dataset line, then a line per
 * column; deterministic bytes for the same input. */
int ml_profile_to_ndjson(struct ml_profile *p, struct ml_buf *out);

/* Reads profiles from lines: ml_profile_reader_line is given each line in
 * turn and returns 1 when a whole profile is complete (take it with
 * ml_profile_reader_take), 0 when it needs more lines, -1 with err. */
struct ml_profile_reader;
struct ml_profile_reader *ml_profile_reader_new(const struct ml_profile_opts *opts);
int ml_profile_reader_line(struct ml_profile_reader *rd, const char *line, size_t len,
			   struct ml_err *err);
struct ml_profile *ml_profile_reader_take(struct ml_profile_reader *rd);
/* ml_profile_reader_line, then, when a profile is complete, merges it into
 * into: 1 when one was merged, 0 when more lines are needed, -1 with err. */
int ml_profile_reader_merge_line(struct ml_profile_reader *rd, const char *line, size_t len,
				 struct ml_profile *into, struct ml_err *err);
/* 0 when the input ended between profiles, -1 with err when it ended inside
 * one (a truncated profile). */
int ml_profile_reader_end(struct ml_profile_reader *rd, struct ml_err *err);
void ml_profile_reader_free(struct ml_profile_reader *rd);
/* Whether line is the first line of a profile (its "format" names one),
 * which tells a profile from records; r and tmp are scratch. */
int ml_profile_is_first_line(struct ml_rec *r, const char *line, size_t len, struct ml_buf *tmp);

#endif
