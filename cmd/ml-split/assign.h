/* How ml-split chooses a record's part: by a stable hash, or by a cut. */
#ifndef SPLIT_ASSIGN_H
#define SPLIT_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

/* A uniform number in [0, 1) from the seed and the key bytes: FNV-1a 64 over
 * the seed's 8 little-endian bytes then the key, finished with SplitMix64's
 * mixer, top 53 bits.  The same on every machine and for every record set. */
double split_hash_unit(uint64_t seed, const char *key, size_t n);

/* The part for u: the first i with u < cum[i]; the last part otherwise. */
size_t split_pick(double u, const double *cum, size_t nparts);

#endif
