// ml_dtoa: the C face of double-conversion's shortest digits (see
// ml_dtoa.h).  Measured on ml-predict: glibc's printf took about 2,000
// instructions a number (multi-precision arithmetic), a fifth of the
// program's work; double-conversion's Grisu3, with its exact fallback,
// takes a tenth of that.
#include <double-conversion/double-to-string.h>
#include <cstring>

#include "ml_dtoa.h"

int ml_dtoa_shortest(double x, char digits[ML_DTOA_DIGITS], int *x10)
{
	using double_conversion::DoubleToStringConverter;
	char buf[DoubleToStringConverter::kBase10MaximalLength + 1];
	bool sign;
	int len, point;

	DoubleToStringConverter::DoubleToAscii(x, DoubleToStringConverter::SHORTEST, 0, buf,
					       (int)sizeof buf, &sign, &len, &point);
	std::memcpy(digits, buf, (size_t)len);
	*x10 = point - 1;
	return len;
}
