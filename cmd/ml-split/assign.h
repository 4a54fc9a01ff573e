/* How ml-split chooses a record's part: by a stable hash, or by a cut. */
#ifndef SPLIT_ASSIGN_H
#define SPLIT_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

/* A uniform number in [0, 1) from the seed and the key bytes: the top 53
 * bits of XXH64(key, seed) (libxxhash; XXH64's output is frozen, so a
 * record's part is the same on every machine and in every version), divided
 * by 2^53. */
double split_hash_unit(uint64_t seed, const char *key, size_t n);

/* The part for u: the first i with u < cum[i]; the last part otherwise. */
size_t split_pick(double u, const double *cum, size_t nparts);

#endif
