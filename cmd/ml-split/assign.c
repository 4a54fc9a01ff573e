#include "assign.h"

#include <xxhash.h>

double split_hash_unit(uint64_t seed, const char *key, size_t n)
{
	return (double)(XXH64(key, n, seed) >> 11) * 0x1.0p-53;
}

size_t split_pick(double u, const double *cum, size_t nparts)
{
	for (size_t i = 0; i + 1 < nparts; i++)
		if (u < cum[i])
			return i;
	return nparts - 1;
}
