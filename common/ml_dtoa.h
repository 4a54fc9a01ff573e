/* ml_dtoa: the shortest decimal digits of a double, through Google's
 * double-conversion library (C++; this is its C face). */
#ifndef ML_DTOA_H
#define ML_DTOA_H

#ifdef __cplusplus
extern "C" {
#endif

/* The fewest significant digits that read back as x (finite, not zero),
 * the nearest to x of those: ML_DTOA_DIGITS at most, into digits (no sign,
 * no trailing zeros, not terminated); returns their count.  *x10 is the
 * decimal exponent of the first digit: x = d.ddd * 10^x10. */
enum { ML_DTOA_DIGITS = 17 };
int ml_dtoa_shortest(double x, char digits[ML_DTOA_DIGITS], int *x10);

#ifdef __cplusplus
}
#endif

#endif
