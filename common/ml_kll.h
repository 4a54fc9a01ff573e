/* ml_kll: a mergeable quantile sketch of doubles (KLL: Karnin, Lang and
 * Liberty, "Optimal Quantile Approximation in Streams", 2016), laid out as
 * Apache DataSketches' KLL: level h of L holds items of weight 2^h, with
 * capacity max(8, round(k * (2/3)^(L-1-h))); when the buffer is full the
 * lowest level at or over capacity is compacted (sorted, the odd or the
 * even half kept by a coin, merged into the level above).
 *
 * Memory is O(k) whatever the count: the levels' total capacity, about 3k
 * values (for k = 800: 2397 after 10^7 values, under 2800 for any count),
 * plus a sorted copy while queries run.  With k = ML_KLL_K the largest
 * rank error over every quantile and rank query of a sketch is at most 0.5%
 * of n with probability at least 99%, and stays so after any number of
 * merges.  (DataSketches' fit to the 99th percentile of
 * that error, 2.296 / k^0.9723, gives 0.35% at k = 800; 1000 sketches of
 * 10^6 values here measured 0.30% at the 99th percentile, 0.34% at worst,
 * and less after merges.  The error of a difference of two ranks, the mass
 * between two points, can be twice that.)
 *
 * The compaction coin is a splitmix64 hash of a fixed seed, the count, the
 * level and the values compacted, so the same values in the same order give
 * the same sketch and the same bytes, a sketch read back from JSON goes on
 * exactly as the one written, and shards merged later flip independent
 * coins.  min and max are exact.  Infinities are values like others; NaN
 * is ignored.
 *
 * The query functions take a const sketch but keep the sorted view in it
 * (built by the first query after a change): query one sketch from one
 * thread at a time. */
#ifndef ML_KLL_H
#define ML_KLL_H

#include <stddef.h>
#include <stdint.h>

#include "ml_buf.h"
#include "ml_err.h"

#define ML_KLL_K 800

struct ml_kll;

/* An empty sketch with parameter k (8..65535); NULL when k is outside that
 * or memory is out. */
struct ml_kll *ml_kll_new(uint32_t k);
/* Frees the sketch; NULL is fine. */
void ml_kll_free(struct ml_kll *s);
/* Adds one value (NaN is ignored and not counted; infinities count); 0, or -1
 * when memory is out. */
int ml_kll_add(struct ml_kll *s, double x);
/* Adds every value of from into into (KLL's merge: levels concatenated,
 * then compacted); into keeps its k, and the bound is that of the smaller
 * k.  from may be into.  0, or -1 when memory is out (into unchanged). */
int ml_kll_merge(struct ml_kll *into, const struct ml_kll *from);
/* Adds v[0..n) as one block: the same sketch, byte for byte, as
 * ml_kll_merge of a new sketch (of s's k) that ml_kll_add gave them, made
 * in a fraction of the time, as only the levels that change are rewritten.
 * NaN is ignored.  0, or -1 when memory is out (s unchanged). */
int ml_kll_add_block(struct ml_kll *s, const double *v, size_t n);
/* Number of values added (merges included). */
uint64_t ml_kll_count(const struct ml_kll *s);
/* Exact smallest and largest value (NAN when empty). */
double ml_kll_min(const struct ml_kll *s);
double ml_kll_max(const struct ml_kll *s);
/* The q-quantile, 0 <= q <= 1: the smallest retained value whose estimated
 * rank (weight of values <= it) reaches q*n; q <= 0 gives min, q >= 1 max;
 * NAN when empty, when q is NaN or when memory for the view is out. */
double ml_kll_quantile(const struct ml_kll *s, double q);
/* Estimated fraction of values <= x: 0 below min (and for NaN or when
 * empty), 1 from max on. */
double ml_kll_rank(const struct ml_kll *s, double x);
/* The retained values in ascending order with their weights (powers of 2
 * that sum to the count): *n items, arrays owned by the sketch and valid
 * until the next change.  For drift statistics computed from a whole
 * weighted sample.  0, or -1 when memory is out. */
int ml_kll_sorted(struct ml_kll *s, const double **values, const uint64_t **weights, size_t *n);
/* Appends the sketch as a JSON object {"k":..,"n":..,"min":..,"max":..,
 * "levels":[[...],...]}: levels from 0 up, each in ascending order; each
 * double the shortest of %.15g, %.16g, %.17g that reads back to the same
 * bits (so -0 stays -0), infinities as the strings "inf" and "-inf", min and max
 * null when empty.  0, or -1 when memory is out. */
int ml_kll_to_json(const struct ml_kll *s, struct ml_buf *out);
/* Reads a sketch back from the JSON text of ml_kll_to_json (text[0..len)),
 * also as libjq prints it again (keys in any order, whitespace); checks k,
 * that n is the sum of the weights, that the values fit k's capacity, lie in
 * [min, max] and ascend in every level above 0.  NULL with err (ML_ERR_DATA,
 * or ML_ERR_IO for memory) saying what is wrong. */
struct ml_kll *ml_kll_from_json(const char *text, size_t len, struct ml_err *err);

#endif
