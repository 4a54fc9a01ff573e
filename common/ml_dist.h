/* ml_dist: the two-sample statistics ml-drift reports, as pure functions.
 *
 * The reference for every definition is SciPy 1.10 (scipy.stats,
 * scipy.spatial.distance); the unit tests compare against it at run time.
 * Nothing here prints, exits or keeps state.  Three functions allocate
 * scratch and free it before returning: ml_ks_pvalue and ml_kstwo_sf
 * (O(min(n1, n2)) doubles for exact; at most three 117 x 117 matrices for
 * Durbin's), and ml_bh_adjust (n index pairs).  Inputs hold no NaN (the caller filters them);
 * logarithms are natural unless a base is named.
 *
 * Kolmogorov-Smirnov, two-sided.  With F1, F2 the empirical CDFs of two
 * samples (F(x) = share of the sample <= x), D = max over x of |F1 - F2|,
 * in [0, 1], evaluated at every sample value (ties are whole steps), each
 * F computed as count / n in double exactly as ks_2samp does.  A weighted
 * sample (values with integer weights, as a quantile sketch yields) counts
 * each value weight times.  The p-value follows ks_2samp(method=...):
 *   exact  - the permutation distribution of D under H0 for sizes n1, n2,
 *            with D rounded to the lattice h / lcm(n1, n2): for n1 == n2
 *            the alternating binomial series (Horner form), otherwise the
 *            Hodges/Viehmann "inside" recursion for 1 - P(inside), as
 *            scipy's _compute_prob_outside_square and
 *            _compute_outer_prob_inside_method do.  As in scipy, when the
 *            lattice is too fine (n1/g >= INT32_MAX / (n2/g), g = gcd) or
 *            the result leaves [0, 1], the asymptotic value is used.
 *            Cost O(n) time for n1 == n2 = n, else O(n1 n2 D); 0.5 s at
 *            10000 x 9999 with D = 1.
 *   asymp  - kstwo.sf(D, N), N = round(n1*n2 / (n1 + n2)) (ties to even):
 *            the exact one-sample two-sided KS law at N (Simard and
 *            L'Ecuyer's choice of Ruben-Gambino, Durbin/Marsaglia-Tsang-
 *            Wang, Pomeranz, Pelz-Good and 2 x Smirnov), NOT Kolmogorov's
 *            limit K(sqrt(N) D); this is what ks_2samp's 'asymp' computes.
 *            SciPy's N = 0 (n1 = n2 = 1) gives NaN; here N = 1.  At most
 *            O(N) time (the Smirnov sum for 1e5 < N <= 1e6, ~20 ms at
 *            1e6); beyond 1e6 closed forms.
 *   auto   - exact when max(n1, n2) <= 10000, else asymp (ks_2samp's
 *            default), so the exact work is bounded by about 1e8 steps;
 *            sketch-sized samples (millions) always take asymp.
 *
 * Chi-square test of homogeneity: the 2 x m table whose rows are the two
 * count vectors, after dropping the columns where both counts are 0 (they
 * carry no information and would make scipy fail on a zero expected
 * count).  Expected e_ij = row_i * col_j / total; X^2 = sum (o - e)^2 / e;
 * dof = kept columns - 1; when dof == 1 each observed count first moves
 * toward its expected one by min(0.5, |o - e|) (Yates, scipy's default
 * correction=True); when dof == 0, X^2 = 0 and p = 1.  Equals
 * scipy.stats.chi2_contingency(table).  p = Q(dof/2, X^2/2), the
 * regularized upper incomplete gamma function (scipy.stats.chi2.sf).
 *
 * Population Stability Index, on two count vectors r (reference) and c
 * (current) over the same m bins:
 *   PSI = sum_i (c'_i - r'_i) * ln(c'_i / r'_i),
 *   r'_i = (r_i + 1/2) / (R + m/2),  c'_i = (c_i + 1/2) / (C + m/2),
 * R and C the totals: every count gets half a pseudo-count (the Jeffreys /
 * Krichevsky-Trofimov estimate of the bin probabilities), so an empty bin
 * gives a finite term, the smoothing vanishes as counts grow, and PSI
 * stays symmetric and >= 0.  Natural log, so the usual 0.1 / 0.25 rule of
 * thumb applies.
 *
 * Jensen-Shannon distance, base 2: p and q normalized to sum 1, M = (p +
 * q) / 2, JSD = sqrt((KL(p||M) + KL(q||M)) / (2 ln 2)), in [0, 1], with
 * 0 ln 0 = 0: scipy.spatial.distance.jensenshannon(p, q, base=2).
 *
 * Wasserstein-1 (earth mover's) distance between two weighted samples:
 * the integral of |U(x) - V(x)| dx over the weighted empirical CDFs, in
 * the samples' own unit: scipy.stats.wasserstein_distance(u, v, uw, vw).
 *
 * L-infinity distance: max_i |p_i/P - q_i/Q| on two frequency vectors
 * normalized to sum 1 (P, Q the totals), in [0, 1].
 *
 * Benjamini-Hochberg: q_(k) = min over j >= k of min(1, p_(j) * n / j) on
 * the ascending p-values, returned in the input order (statsmodels'
 * multipletests(method='fdr_bh'), scipy's false_discovery_control). */
#ifndef ML_DIST_H
#define ML_DIST_H

#include <stddef.h>
#include <stdint.h>

/* How a KS p-value is computed, as ks_2samp's method argument. */
enum ml_ks_method {
	ML_KS_AUTO,
	ML_KS_EXACT,
	ML_KS_ASYMP,
};

/* The result of a chi-square test of homogeneity. */
struct ml_chi2 {
	double stat;    /* Pearson X^2, Yates-corrected when dof == 1 */
	double p;       /* chi-square survival of stat at dof */
	size_t dof;     /* kept columns - 1 */
	size_t kept;    /* columns where a or b is nonzero */
};

/* KS D of two ascending samples a[0..na), b[0..nb), both nonempty; NAN if
 * one is empty. */
double ml_ks_stat(const double *a, size_t na, const double *b, size_t nb);
/* KS D of two ascending weighted samples (a value may repeat); weights are
 * counts, each total nonzero and below 2^53; NAN otherwise. */
double ml_ks_stat_weighted(const double *a, const uint64_t *wa, size_t na,
			   const double *b, const uint64_t *wb, size_t nb);
/* Two-sided p-value of statistic d for sizes n1, n2 (>= 1) by method, as
 * ks_2samp; *used (when not NULL) gets ML_KS_EXACT or ML_KS_ASYMP, the one
 * that produced it; NAN when a size is 0 or memory is out. */
double ml_ks_pvalue(double d, uint64_t n1, uint64_t n2, enum ml_ks_method method,
		    enum ml_ks_method *used);
/* P(D_n >= x) for the one-sample two-sided KS statistic D_n with n >= 1
 * observations (scipy.stats.kstwo.sf(x, n)); NAN when n is 0. */
double ml_kstwo_sf(uint64_t n, double x);

/* Kolmogorov's limit law: P(K > x) = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2),
 * the large-sample distribution of sqrt(N) D (scipy.special.kolmogorov). */
double ml_kolmogorov_sf(double x);
/* The two-sample KS p-value from Kolmogorov's law with Stephens' (1970)
 * small-sample modification, sqrt(N) + 0.12 + 0.11 / sqrt(N) in place of
 * sqrt(N), N = n1 n2 / (n1 + n2): O(1), for statistics that are estimates
 * anyway (from quantile sketches), where the exact laws cost O(N). */
double ml_ks_pvalue_stephens(double d, uint64_t n1, uint64_t n2);

/* Chi-square survival function P(X > x) for dof > 0 degrees of freedom:
 * Q(dof/2, x/2), to about 1e-12 relative down to DBL_MIN (SciPy flushes
 * the subnormal tail to 0; this does not); O(sqrt(dof)) time; 1 for
 * x <= 0; NAN for dof <= 0 or NaN arguments. */
double ml_chi2_sf(double x, double dof);
/* Chi-square test of homogeneity of counts a[0..m), b[0..m) (>= 0, zero
 * columns dropped, see above) into *out; 0, or -1 when a count is negative
 * or not finite or a row total is 0. */
int ml_chi2_homogeneity(const double *a, const double *b, size_t m, struct ml_chi2 *out);

/* PSI of current counts cur against reference counts ref over m bins, with
 * the half-count smoothing above; NAN when m is 0 or a total is 0. */
double ml_psi(const double *ref, const double *cur, size_t m);
/* Jensen-Shannon distance (base 2) of frequency vectors p, q (>= 0, any
 * scale) over m bins; NAN when a total is 0. */
double ml_js_distance(const double *p, const double *q, size_t m);
/* L-infinity distance of frequency vectors p, q (>= 0, any scale) after
 * normalizing each; NAN when a total is 0. */
double ml_linf_distance(const double *p, const double *q, size_t m);
/* Wasserstein-1 distance of ascending samples u[0..nu), v[0..nv) with
 * weights uw, vw (>= 0, finite, positive total; NULL means all 1); NAN when
 * a sample is empty or its weights sum to 0. */
double ml_wasserstein1(const double *u, const double *uw, size_t nu,
		       const double *v, const double *vw, size_t nv);

/* Benjamini-Hochberg adjusted p-values of p[0..n) into q[0..n) (q may be
 * p); allocates n index pairs while it runs; 0, or -1 when memory is out or
 * a p-value is outside [0, 1]. */
int ml_bh_adjust(const double *p, size_t n, double *q);

#endif
