/* ml_bytes: comparing short byte strings without a call.
 *
 * Column names and string values are mostly short, and in ml-stats's hot
 * loop a call to memcmp for each cost more than comparing them here, in
 * loads that may overlap. */
#ifndef ML_BYTES_H
#define ML_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Whether a[0..n) and b[0..n) are the same bytes. */
static inline int ml_bytes_equal(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	uint32_t u, v;

	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return 0;
		}
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		if (u != v)
			return 0;
		memcpy(&u, a + n - 4, 4);
		memcpy(&v, b + n - 4, 4);
		return u == v;
	}
	/* 0 to 3 bytes: first, middle and last cover them */
	return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

#endif
