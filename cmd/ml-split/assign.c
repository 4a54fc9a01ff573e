#include "assign.h"

double split_hash_unit(uint64_t seed, const char *key, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;	/* FNV-1a offset basis */
	const uint64_t prime = 0x100000001b3u;

	for (int i = 0; i < 8; i++) {
		h ^= (seed >> (8 * i)) & 0xff;
		h *= prime;
	}
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)key[i];
		h *= prime;
	}
	/* FNV's low bits mix poorly; SplitMix64's finaliser spreads them */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9u;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebu;
	h ^= h >> 31;
	return (double)(h >> 11) * 0x1.0p-53;
}

size_t split_pick(double u, const double *cum, size_t nparts)
{
	for (size_t i = 0; i + 1 < nparts; i++)
		if (u < cum[i])
			return i;
	return nparts - 1;
}
