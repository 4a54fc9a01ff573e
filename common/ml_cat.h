/* ml_cat: the counts of a categorical (string) column in bounded memory.
 *
 * Every distinct value is counted exactly while there are at most
 * exact_limit of them.  One more distinct value switches the counter to a
 * space-saving summary of `capacity` counters (Metwally, Agrawal and El
 * Abbadi, 2005), seeded with the `capacity` largest exact counts:
 * each reported count c of a value v satisfies true(v) <= c <= true(v) +
 * error, where error (reported next to the count) is at most n / capacity,
 * and every value that occurred more than n / capacity times is held.  The
 * distinct count then comes from a HyperLogLog of 2^14 one-byte registers
 * over XXH64 (seed 0) of the value, read with Ertl's improved estimator
 * ("New cardinality estimation algorithms for HyperLogLog sketches", 2017:
 * no linear-counting switch or bias table needed): standard error 1.04 /
 * 2^7 = 0.81%, so within 2% about 98.6% of the time.  Summaries merge
 * (shards of one column) within the same bounds for the merged n (Agarwal
 * et al., "Mergeable Summaries", 2012).  The total is always exact.
 *
 * The same values in the same order give the same counter and the same
 * JSON bytes.  Which counter a new value replaces depends only on the held
 * values and counts, so a counter read back from its JSON goes on exactly
 * as the one that wrote it.  Memory: O(exact_limit) while exact, then
 * O(capacity) plus 16 KiB, whatever the number of values. */
#ifndef ML_CAT_H
#define ML_CAT_H

#include <stddef.h>
#include <stdint.h>

#include "ml_buf.h"
#include "ml_err.h"

#define ML_CAT_EXACT_LIMIT 10000
#define ML_CAT_CAPACITY 1000

struct ml_cat;

/* One value and its count; error is 0 while counting is exact, and always
 * below count (the value occurred at least count - error times). */
struct ml_cat_item {
	const char *value;	/* UTF-8, owned by the counter */
	size_t len;
	uint64_t count;
	uint64_t error;
};

/* A new counter; exact_limit above 2^30 - 1 is taken as 2^30 - 1; NULL
 * when capacity is not in 1..2^30 or memory is out. */
struct ml_cat *ml_cat_new(size_t exact_limit, size_t capacity);
/* Frees the counter; NULL is fine. */
void ml_cat_free(struct ml_cat *c);
/* Counts one occurrence of s[0..n), which must be valid UTF-8 for the JSON
 * to be valid; 0 or -1 (memory; the counter stays consistent). */
int ml_cat_add(struct ml_cat *c, const char *s, size_t n);
/* Adds the counts of from into into (from unchanged; into == from doubles).
 * Exact + exact stays exact while the union has at most into's exact_limit
 * values.  A merge with a summary gives a summary whose capacity is the
 * smaller of the summaries' (an exact side has none), so the bounds above
 * hold for the merged n; a + b and b + a give the same counter when their
 * capacities agree.  0 or -1 (memory; into stays consistent). */
int ml_cat_merge(struct ml_cat *into, const struct ml_cat *from);
/* Total occurrences counted. */
uint64_t ml_cat_total(const struct ml_cat *c);
/* Number of distinct values: exact (*exact = 1) or the HyperLogLog
 * estimate clamped to [values held, total] (*exact = 0); exact may be NULL. */
uint64_t ml_cat_distinct(const struct ml_cat *c, int *exact);
/* The k most frequent values, by count descending then value ascending
 * (bytewise), into out[0..k); returns how many were written (fewer when
 * fewer are held).  Pointers stay valid until the next change. */
size_t ml_cat_top(const struct ml_cat *c, size_t k, struct ml_cat_item *out);
/* The count of one value and its error bound (true <= count <= true +
 * error).  A value not held gives 0, with *error the most it can have
 * occurred (0 while exact or while counters are free).  error may be NULL. */
uint64_t ml_cat_count(const struct ml_cat *c, const char *s, size_t n, uint64_t *error);
/* Appends the counter as JSON, everything needed to merge it later:
 * {"exact":true,"n":..,"values":[[value,count],...]} while exact, else
 * {"exact":false,"n":..,"capacity":..,"values":[[value,count,error],...],
 * "hll":"<base64 registers>"} (16384 registers in padded standard base64,
 * 21848 characters); values sorted as ml_cat_top sorts them; 0 or -1. */
int ml_cat_to_json(const struct ml_cat *c, struct ml_buf *out);
/* Reads a counter back from ml_cat_to_json's text (text[0..len)); NULL
 * with err when it is not exactly that form and consistent: exact counts
 * must be positive and sum to n; summary counts must be positive, sum to
 * at most n, number at most capacity and exceed their errors; registers
 * are at most 51; no value twice.  Exact counts get capacity
 * ML_CAT_CAPACITY for a later switch (the JSON has none), and switch at
 * once when they hold more than exact_limit values. */
struct ml_cat *ml_cat_from_json(const char *text, size_t len, size_t exact_limit,
				struct ml_err *err);

#endif
