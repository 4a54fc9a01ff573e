/* ml_kll: a mergeable quantile sketch of doubles (KLL: Karnin, Lang and
 * Liberty, "Optimal Quantile Approximation in Streams", 2016).
 *
 * Memory is O(k) whatever the count.  With k = ML_KLL_K the rank error of
 * any quantile or rank query is at most 0.5% of n (with probability at least
 * 99%; the tests check it on skewed, heavy-tailed and constant columns), and
 * stays within that bound after any number of merges.  The compaction coin
 * comes from a fixed-seed generator, so the same values in the same order
 * give the same sketch and the same serialized bytes.  min and max are
 * exact. */
#ifndef ML_KLL_H
#define ML_KLL_H

#include <stddef.h>
#include <stdint.h>

#include "ml_buf.h"
#include "ml_err.h"

#define ML_KLL_K 800

struct ml_kll;

/* An empty sketch with parameter k (>= 8); NULL when memory is out. */
struct ml_kll *ml_kll_new(uint32_t k);
/* Frees the sketch; NULL is fine. */
void ml_kll_free(struct ml_kll *s);
/* Adds one value (the caller keeps NaN out); 0, or -1 when memory is out. */
int ml_kll_add(struct ml_kll *s, double x);
/* Adds every value of from into into (same k); 0 or -1. */
int ml_kll_merge(struct ml_kll *into, const struct ml_kll *from);
/* Number of values added (merges included). */
uint64_t ml_kll_count(const struct ml_kll *s);
/* Exact smallest and largest value (NAN when empty). */
double ml_kll_min(const struct ml_kll *s);
double ml_kll_max(const struct ml_kll *s);
/* The q-quantile, 0 <= q <= 1: the smallest retained value whose estimated
 * rank (weight of values <= it) reaches q*n; q = 0 gives min, q = 1 max;
 * NAN when empty. */
double ml_kll_quantile(const struct ml_kll *s, double q);
/* Estimated fraction of values <= x (0 when empty). */
double ml_kll_rank(const struct ml_kll *s, double x);
/* The retained values in ascending order with their weights (weights sum
 * to the count): *n items, arrays owned by the sketch and valid until the
 * next change.  For drift statistics computed from a whole weighted sample. */
int ml_kll_sorted(struct ml_kll *s, const double **values, const uint64_t **weights, size_t *n);
/* Appends the sketch as a JSON object {"k":..,"n":..,"min":..,"max":..,
 * "levels":[[...],...]} with every double written to round-trip (%.17g). */
int ml_kll_to_json(const struct ml_kll *s, struct ml_buf *out);
/* Reads a sketch back from the JSON text of ml_kll_to_json (text[0..len));
 * NULL with err saying what is wrong. */
struct ml_kll *ml_kll_from_json(const char *text, size_t len, struct ml_err *err);

#endif
