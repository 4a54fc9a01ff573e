/* ml_rand: the one generator of the toolkit's seeded random choices (folds,
 * bootstrap resamples): splitmix64 (Steele, Lea and Flood, 2014), small and
 * the same on every machine. */
#ifndef ML_RAND_H
#define ML_RAND_H

#include <stdint.h>

/* The next number of the sequence whose state is *s. */
static inline uint64_t ml_splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
