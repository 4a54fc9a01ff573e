/* ml_cat: the counts of a categorical (string) column in bounded memory.
 *
 * Every distinct value is counted exactly while there are at most
 * exact_limit of them.  Past that the counter switches to a space-saving
 * summary of `capacity` counters (Metwally, Agrawal and El Abbadi, 2005):
 * each reported count c of a value v satisfies true(v) <= c <= true(v) +
 * error, where error (reported next to the count) is at most n / capacity;
 * and the distinct count comes from a HyperLogLog of 2^14 registers
 * (standard error 1.04 / 2^7 = 0.81%, so within 2% with high probability),
 * hashing values with XXH64.  Summaries merge (shards of one column) within
 * the same bounds (Agarwal et al., "Mergeable Summaries", 2012). */
#ifndef ML_CAT_H
#define ML_CAT_H

#include <stddef.h>
#include <stdint.h>

#include "ml_buf.h"
#include "ml_err.h"

#define ML_CAT_EXACT_LIMIT 10000
#define ML_CAT_CAPACITY 1000

struct ml_cat;

/* One value and its count; error is 0 while counting is exact. */
struct ml_cat_item {
	const char *value;	/* UTF-8, owned by the counter */
	size_t len;
	uint64_t count;
	uint64_t error;
};

/* A new counter; NULL when memory is out. */
struct ml_cat *ml_cat_new(size_t exact_limit, size_t capacity);
void ml_cat_free(struct ml_cat *c);
/* Counts one occurrence of s[0..n); 0 or -1 (memory). */
int ml_cat_add(struct ml_cat *c, const char *s, size_t n);
/* Adds the counts of from into into; 0 or -1. */
int ml_cat_merge(struct ml_cat *into, const struct ml_cat *from);
/* Total occurrences counted. */
uint64_t ml_cat_total(const struct ml_cat *c);
/* Number of distinct values: exact (*exact = 1) or the HyperLogLog
 * estimate (*exact = 0). */
uint64_t ml_cat_distinct(const struct ml_cat *c, int *exact);
/* The k most frequent values, by count descending then value ascending
 * (bytewise), into out[0..k); returns how many were written.  Pointers
 * stay valid until the next change. */
size_t ml_cat_top(const struct ml_cat *c, size_t k, struct ml_cat_item *out);
/* The count of one value (0 if not tracked) and its error bound. */
uint64_t ml_cat_count(const struct ml_cat *c, const char *s, size_t n, uint64_t *error);
/* Appends the counter as JSON, everything needed to merge it later:
 * {"exact":true,"n":..,"values":[[value,count],...]} while exact, else
 * {"exact":false,"n":..,"capacity":..,"values":[[value,count,error],...],
 * "hll":"<base64 registers>"}; values sorted as ml_cat_top sorts them. */
int ml_cat_to_json(const struct ml_cat *c, struct ml_buf *out);
/* Reads a counter back from ml_cat_to_json's text; NULL with err. */
struct ml_cat *ml_cat_from_json(const char *text, size_t len, size_t exact_limit,
				struct ml_err *err);

#endif
