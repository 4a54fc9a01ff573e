/* The inside of struct ml_profile, shared by ml_profile.c (building and
 * merging) and ml_profile_json.c (writing and reading); not for programs. */
#ifndef ML_PROFILE_IMPL_H
#define ML_PROFILE_IMPL_H

#include "ml_profile.h"

struct ml_profile {
	struct ml_profile_opts opts;
	uint64_t records, bytes;
	char **sources;		/* "sha256:" of each source */
	size_t nsources;
	struct ml_column **cols;
	size_t n, cap;
	size_t *table;		/* open addressing by name: index + 1, 0 empty */
	size_t tcap;
	struct ml_column **by_pos;	/* the column last seen at each field position */
	size_t npos;
	struct ml_column **row;	/* the columns of the record being added */
	size_t nrow;
	struct ml_buf scratch;
};

/* The column called name[0..n), created (with the options' skip) if new. */
struct ml_column *ml_profile_add_column(struct ml_profile *p, const char *name, size_t n);
/* Chan's merge of numeric moments. */
void ml_numstats_merge(struct ml_numstats *a, const struct ml_numstats *b);

#endif
