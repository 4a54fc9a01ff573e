/* The methods ml-drift knows, their units and default thresholds. */
#include <math.h>
#include <string.h>

#include "drift.h"

static const struct {
	enum method m;
	const char *name;
	const char *unit;
	double threshold;
	int test;
} methods[] = {
	{M_PSI, "psi", "population stability index (natural log) over the reference's deciles, "
		       "half-count smoothing; drift when >= threshold", 0.2, 0},
	{M_KS, "ks", "two-sample Kolmogorov-Smirnov D (largest CDF difference, 0..1) with its "
		     "two-sided p-value; drift when p < threshold", 0.05, 1},
	{M_WASSERSTEIN, "wasserstein", "Wasserstein-1 distance divided by the reference's "
				       "standard deviation; drift when >= threshold", 0.1, 0},
	{M_JS, "js", "Jensen-Shannon distance, log base 2 (0..1); drift when >= threshold", 0.1, 0},
	{M_CHI2, "chi2", "chi-square test of homogeneity (Pearson X^2, Yates-corrected at 1 degree "
			 "of freedom) with its p-value; drift when p < threshold", 0.05, 1},
	{M_LINF, "linf", "L-infinity distance between relative frequencies (0..1); drift when >= "
			 "threshold", 0.1, 0},
};

#define NMETHODS (sizeof methods / sizeof methods[0])

const char *method_name(enum method m)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (methods[i].m == m)
			return methods[i].name;
	return "auto";
}

enum method method_by_name(const char *s)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (strcmp(methods[i].name, s) == 0)
			return methods[i].m;
	return M_AUTO;
}

const char *method_unit(enum method m)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (methods[i].m == m)
			return methods[i].unit;
	return "";
}

double method_default_threshold(enum method m)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (methods[i].m == m)
			return methods[i].threshold;
	return NAN;
}

int method_is_test(enum method m)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (methods[i].m == m)
			return methods[i].test;
	return 0;
}

void decide(struct column_result *r)
{
	if (isnan(r->threshold))
		r->threshold = method_default_threshold(r->method);
	r->drifted = method_is_test(r->method) ? r->p_value < r->threshold
					       : r->statistic >= r->threshold;
}

void put_num(struct ml_buf *b, double x)
{
	if (isfinite(x))
		ml_buf_printf(b, "%.10g", x);
	else
		ml_buf_adds(b, "null");
}
