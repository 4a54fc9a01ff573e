/* ml-drift's parts: the two sides (a profile, or raw records), the
 * statistics per column, and the verdict. */
#ifndef DRIFT_H
#define DRIFT_H

#include <stddef.h>
#include <stdint.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_profile.h"
#include "ml_runlog.h"

/* The numbers of one column of raw data, kept whole for exact tests. */
struct raw_values {
	char *name;
	double *v;
	size_t n, cap;
	int sorted;
	int skip;	/* a column the options leave out: its numbers are not kept */
};

/* One side of the comparison. */
struct side {
	const char *path;
	struct ml_profile *p;
	int raw;			/* read from records: values kept */
	struct raw_values *vals;	/* per column, when raw */
	size_t nvals, capvals;
	size_t *index;			/* open addressing: name -> vals + 1 */
	size_t icap;
	char *target;			/* a bundle's: its label, which serving data lacks */
};

/* Loads a side from path ("-" for stdin): a profile if its first line is
 * one, else NDJSON records (profiled here, numbers kept); 0 or -1 with err. */
struct ml_cli;
int side_load(struct side *s, const char *path, const struct ml_profile_opts *opts,
	      struct ml_cli *cli, struct ml_err *err);
/* The raw values of a column, sorted; NULL when the side is a profile or
 * the column has no numbers. */
struct raw_values *side_values(struct side *s, const char *name);
void side_free(struct side *s);

enum method { M_AUTO, M_PSI, M_KS, M_WASSERSTEIN, M_JS, M_CHI2, M_LINF };

/* What to do for one column (from --method and --threshold). */
struct column_rule {
	char *column;
	enum method method;
	double threshold;	/* NAN: the method's default */
};

struct drift_opts {
	struct column_rule *rules;
	size_t nrules;
	enum method default_method;	/* M_AUTO unless --method NAME alone */
	double default_threshold;	/* NAN unless --threshold VALUE alone */
	char **critical;
	size_t ncritical;
	double share;			/* dataset verdict: share of drifted columns */
	double fdr;			/* Benjamini-Hochberg level, or 0 */
	size_t small;			/* below this many values per side: tests */
};

/* The outcome for one column. */
struct column_result {
	char *column;
	const char *type;		/* "number", "string", "boolean", "absent" */
	enum method method;
	double statistic, p_value;	/* p_value NAN when the method has none */
	double threshold;
	int drifted;
	struct ml_buf detail;		/* the rest of the line: ",\"key\":..." */
	/* values left out of the statistics besides missing ones, by side
	 * (0 reference, 1 current): of another type, and non-finite numbers */
	uint64_t other_types[2], nonfinite[2];
};

/* Compares a numeric column; fills r (its detail included); 0 or -1. */
int drift_numeric(struct side *ref, struct side *cur, const struct ml_column *rc,
		  const struct ml_column *cc, const struct drift_opts *o, struct column_result *r);
/* Compares a string or boolean column; 0 or -1. */
int drift_categorical(struct side *ref, struct side *cur, const struct ml_column *rc,
		      const struct ml_column *cc, const struct drift_opts *o, struct column_result *r);

/* Names of methods, as --method takes them. */
const char *method_name(enum method m);
enum method method_by_name(const char *s);
/* What a method's statistic is, in words with its unit. */
const char *method_unit(enum method m);
/* The default threshold of a method, and whether drift is statistic >= it
 * (distances) or p-value < it (tests). */
double method_default_threshold(enum method m);
int method_is_test(enum method m);
/* Fills in the method's default threshold if none was given, then whether
 * the column drifted: p < threshold for tests, statistic >= it otherwise. */
void decide(struct column_result *r);
/* Appends x with 10 significant digits, or null when it is not finite. */
void put_num(struct ml_buf *b, double x);

#endif
