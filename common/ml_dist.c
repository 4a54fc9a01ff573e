/* ml_dist: two-sample drift statistics; definitions in ml_dist.h.
 *
 * The KS distribution code follows SciPy 1.10 step by step (the function
 * names in comments are SciPy's), so that a p-value here and one from
 * ks_2samp agree to rounding, including the approximations SciPy picks. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "ml_dist.h"

#define PI 3.14159265358979323846
#define LOG_SQRT_2PI 0.91893853320467274178
#define SQRT_2PI 2.50662827463100050242

static double clip01(double p)
{
	return p < 0 ? 0 : p > 1 ? 1 : p;
}

/* ---- Kolmogorov-Smirnov statistic ------------------------------------ */

double ml_ks_stat(const double *a, size_t na, const double *b, size_t nb)
{
	double n1 = (double)na, n2 = (double)nb, hi = 0, lo = 0;
	size_t i = 0, j = 0;

	if (!na || !nb)
		return NAN;
	while (i < na || j < nb) {
		double x = (j == nb || (i < na && a[i] <= b[j])) ? a[i] : b[j], diff;

		while (i < na && a[i] <= x)
			i++;
		while (j < nb && b[j] <= x)
			j++;
		diff = (double)i / n1 - (double)j / n2;
		if (diff > hi)
			hi = diff;
		if (diff < lo)
			lo = diff;
	}
	return -lo > hi ? -lo : hi;
}

double ml_ks_stat_weighted(const double *a, const uint64_t *wa, size_t na,
			   const double *b, const uint64_t *wb, size_t nb)
{
	uint64_t n1 = 0, n2 = 0, c1 = 0, c2 = 0;
	double hi = 0, lo = 0;
	size_t i, j;

	for (i = 0; i < na; i++)
		n1 += wa[i];
	for (j = 0; j < nb; j++)
		n2 += wb[j];
	if (!n1 || !n2 || n1 >= (1ull << 53) || n2 >= (1ull << 53))
		return NAN;
	i = j = 0;
	while (i < na || j < nb) {
		double x = (j == nb || (i < na && a[i] <= b[j])) ? a[i] : b[j], diff;

		while (i < na && a[i] <= x)
			c1 += wa[i++];
		while (j < nb && b[j] <= x)
			c2 += wb[j++];
		diff = (double)c1 / (double)n1 - (double)c2 / (double)n2;
		if (diff > hi)
			hi = diff;
		if (diff < lo)
			lo = diff;
	}
	return -lo > hi ? -lo : hi;
}

/* ---- Smirnov one-sided distribution (scipy.special.smirnov) ----------- */

/* P(D+_n >= x) by the Birnbaum-Tingey / Smirnov sum, as cephes _smirnov
 * (sf only).  SciPy sums in double-double; logs in long double keep each
 * term within about 1e-12 relative at n = 1e6 (x86-64), and O(n) terms at
 * n = 1e6 take some 20 ms. */
static double smirnov_sf(double n, double x)
{
	const double minlog = -7.08396418532264106224E2;
	long double nx, sum, lc = 0;
	double hi, lo, fl, alpha;
	int64_t nxfl, v, nterms, ni = (int64_t)n;

	if (!(n > 0 && x >= 0.0 && x <= 1.0))
		return NAN;
	if (n == 1)
		return 1 - x;
	if (x == 0.0)
		return 1.0;
	if (x == 1.0)
		return 0.0;
	/* floor(n x) and its remainder, exactly (modNX) */
	hi = n * x;
	lo = fma(n, x, -hi);
	fl = floor(hi);
	if (fl == hi) {
		double f2 = floor(lo);

		nxfl = (int64_t)hi + (int64_t)f2;
		alpha = lo - f2;
	} else {
		nxfl = (int64_t)fl;
		alpha = (hi - fl) + lo;
	}
	if (alpha >= 1) {
		nxfl += 1;
		alpha = 0;
	}
	if (nxfl == 0 || (nxfl == 1 && alpha == 0))
		return clip01(1 - x * pow(1 + x, n - 1));
	if (-2 * n * x * x < minlog)
		return 0;
	if (nxfl >= ni - 1)
		return clip01(pow(1 - x, n));
	if (n > 1000000) {
		double logp = -pow(6.0 * n * x + 1, 2) / 18.0 / n;

		return clip01(logp < -M_LN2 ? exp(logp) : 1 - -expm1(logp));
	}
	/* lower sum: v = 0 .. n - floor(nx) - 1, the terms with 1-x-v/n > 0 */
	nterms = ni - nxfl;
	nx = (long double)n * x;
	sum = expl(n * log1pl(-(long double)x)) / x;
	for (v = 1; v < nterms; v++) {
		long double s2 = ((long double)v + nx) / n;
		long double s1 = ((long double)(ni - v) - nx) / n;
		long double t;

		lc += logl((long double)(ni - v + 1) / v);
		t = expl(lc + (ni - v) * logl(s1) + (v - 1) * logl(s2));
		sum += t;
		if (t != 0) {
			if (4.0L * (nterms - v) * t < DBL_EPSILON * sum && v != nterms - 1)
				break;
		} else if (v > ni / 2) {
			break;
		}
	}
	return clip01((double)(x * sum));
}

/* ---- One-sample two-sided KS distribution (scipy.stats._ksstats) ------ */

/* log(n! / n^n) by Stirling's series (_log_nfactorial_div_n_pow_n). */
static double log_nfact_div_npown(double n)
{
	static const double c[8] = {
		-2.955065359477124183e-2, 6.4102564102564102564e-3,
		-1.9175269175269175269e-3, 8.4175084175084175084e-4,
		-5.952380952380952381e-4, 7.9365079365079365079e-4,
		-2.7777777777777777778e-3, 8.3333333333333333333e-2,
	};
	double rn = 1.0 / n, y = rn / n, s = 0;
	int i;

	for (i = 0; i < 8; i++)
		s = s * y + c[i];
	return log(n) / 2 - n + LOG_SQRT_2PI + rn * s;
}

/* out = a * b, m x m row-major. */
static void matmul(double *out, const double *a, const double *b, int m)
{
	int i, j, k;

	for (i = 0; i < m; i++) {
		for (j = 0; j < m; j++)
			out[i * m + j] = 0;
		for (k = 0; k < m; k++) {
			double aik = a[i * m + k];

			for (j = 0; j < m; j++)
				out[i * m + j] += aik * b[k * m + j];
		}
	}
}

/* P(D_n <= d) by Durbin's matrix as Marsaglia, Tsang and Wang evaluate it
 * (_kolmogn_DMTW); NAN when memory is out. */
static double kolmogn_dmtw(int64_t n, double d)
{
	const double ep128 = ldexp(1, 128), em128 = ldexp(1, -128);
	double nd = n * d, h, fac = 1, tt, p, *mem, *H, *P, *T, *v, *w, *swap;
	int k, m, i, j;
	int64_t nn, expnt = 0, hexpnt = 0;

	if (d >= 1.0)
		return 1.0;
	if (nd <= 0.5)
		return 0.0;
	k = (int)ceil(nd);
	h = k - nd;
	m = 2 * k - 1;
	mem = malloc(sizeof *mem * (3 * (size_t)m * m + 2 * (size_t)m));
	if (!mem)
		return NAN;
	H = mem;
	P = H + m * m;
	T = P + m * m;
	v = T + m * m;
	w = v + m;
	for (j = 1; j <= m; j++) {
		v[j - 1] = 1.0 - pow(h, j);
		w[j - 1] = fac;
		fac /= j;
		v[j - 1] *= fac;
	}
	tt = pow(fmax(2 * h - 1.0, 0), m) - 2 * pow(h, m);
	v[m - 1] = (1.0 + tt) * fac;
	for (i = 0; i < m * m; i++)
		H[i] = 0;
	for (i = 1; i < m; i++)
		for (j = i - 1; j < m; j++)
			H[j * m + i] = w[j - (i - 1)];
	for (j = 0; j < m; j++)
		H[j * m] = v[j];
	for (j = 0; j < m; j++)
		H[(m - 1) * m + j] = v[m - 1 - j];
	for (i = 0; i < m * m; i++)
		P[i] = i % (m + 1) == 0;
	for (nn = n; nn > 0; nn /= 2) {
		if (nn % 2) {
			matmul(T, P, H, m);
			swap = P, P = T, T = swap;
			expnt += hexpnt;
		}
		matmul(T, H, H, m);
		swap = H, H = T, T = swap;
		hexpnt *= 2;
		if (fabs(H[(k - 1) * m + (k - 1)]) > ep128) {
			for (i = 0; i < m * m; i++)
				H[i] /= ep128;
			hexpnt += 128;
		}
	}
	p = P[(k - 1) * m + (k - 1)];
	free(mem);
	for (i = 1; i <= n; i++) {
		p = i * p / n;
		if (fabs(p) < em128) {
			p *= ep128;
			expnt -= 128;
		}
	}
	if (expnt != 0)
		p = ldexp(p, (int)expnt);
	return clip01(p);
}

/* The interval of row i of the Pomeranz recursion (_pomeranz_compute_j1j2). */
static void pomeranz_j1j2(int64_t i, int64_t n, int64_t ll, int ceilf, int roundf,
			  int64_t *j1, int64_t *j2)
{
	int64_t a, b;

	if (i == 0) {
		a = -ll - ceilf - 1;
		b = ll + ceilf - 1;
	} else {
		int64_t half = (i + 1) / 2;

		if ((i + 1) % 2 == 0) {
			if (half == n + 1) {
				a = n - ll - ceilf - 1;
				b = n + ll + ceilf - 1;
			} else {
				a = half - 1 - ll - roundf - 1;
				b = half + ll - 1 + ceilf - 1;
			}
		} else {
			a = half - 1 - ll - 1;
			b = half + ll + roundf - 1;
		}
	}
	*j1 = a + 2 > 0 ? a + 2 : 0;
	*j2 = b < n ? b : n;
}

/* Rows of the Pomeranz recursion are this long at most: it runs for n <=
 * 140 and n x^2 <= 4, so floor(n x) <= 23 and 2 (floor(n x) + 1) <= 48. */
#define POMERANZ_MAX 64

/* P(D_n <= x) by the Pomeranz recursion (_kolmogn_Pomeranz). */
static double kolmogn_pomeranz(int64_t n, double x)
{
	const double ep128 = ldexp(1, 128), em128 = ldexp(1, -128);
	double t = n * x, f, g, gn, g2n, g12n, ans, vmax;
	double gp[POMERANZ_MAX], g2p[POMERANZ_MAX], g12p[POMERANZ_MAX];
	double r0[POMERANZ_MAX], r1[POMERANZ_MAX], *V0 = r0, *V1 = r1, *sw;
	int64_t ll = (int64_t)floor(t), npw = 2 * (ll + 1), i, j, k1, j1, j2;
	int64_t v0s = 0, v1s = 0, s, expnt = 0;
	int ceilf, roundf;

	if (npw > POMERANZ_MAX)
		return NAN;
	f = t - ll;
	g = f < 1.0 - f ? f : 1.0 - f;
	ceilf = f > 0;
	roundf = f > 0.5;
	gn = g / n;
	g2n = 2 * g / n;
	g12n = (1 - 2 * g) / n;
	gp[0] = g2p[0] = g12p[0] = 1.0;
	for (j = 1; j < npw; j++) {
		gp[j] = gp[j - 1] * gn / j;
		g2p[j] = g2p[j - 1] * g2n / j;
		g12p[j] = g12p[j - 1] * g12n / j;
	}
	for (j = 0; j < npw; j++)
		r0[j] = r1[j] = 0;
	V1[0] = 1;
	pomeranz_j1j2(0, n, ll, ceilf, roundf, &j1, &j2);
	for (i = 1; i < 2 * n + 2; i++) {
		const double *pw;
		int64_t ln2;

		k1 = j1;
		sw = V0, V0 = V1, V1 = sw;
		s = v0s, v0s = v1s, v1s = s;
		for (j = 0; j < npw; j++)
			V1[j] = 0;
		pomeranz_j1j2(i, n, ll, ceilf, roundf, &j1, &j2);
		pw = (i == 1 || i == 2 * n + 1) ? gp : (i % 2 ? g2p : g12p);
		ln2 = j2 - k1 + 1;
		if (ln2 > 0) {
			/* V1[c] = (V0[k1-v0s ..] * pw)[j1 - k1 + c], a slice of
			 * the full convolution of two length-ln2 runs */
			int64_t base = k1 - v0s, start = j1 - k1, len = j2 - j1 + 1, c, q;
			int64_t avail = npw - base < ln2 ? npw - base : ln2;

			for (c = 0; c < len; c++) {
				int64_t at = start + c;
				double acc = 0;

				for (q = 0; q <= at && q < avail; q++)
					if (at - q < ln2)
						acc += V0[base + q] * pw[at - q];
				V1[c] = acc;
			}
			vmax = V1[0];
			for (j = 1; j < npw; j++)
				if (V1[j] > vmax)
					vmax = V1[j];
			if (0 < vmax && vmax < em128) {
				for (j = 0; j < npw; j++)
					V1[j] *= ep128;
				expnt -= 128;
			}
			v1s = v0s + j1 - k1;
		}
	}
	ans = V1[n - v1s];
	for (j = 1; j <= n; j++) {
		if (fabs(ans) > ep128) {
			ans *= em128;
			expnt += 128;
		}
		ans *= j;
	}
	if (expnt != 0)
		ans = ldexp(ans, (int)expnt);
	return clip01(ans);
}

/* The Pelz-Good approximation of P(D_n <= x) (_kolmogn_PelzGood). */
static double kolmogn_pelzgood(double n, double x)
{
	const double pi2 = PI * PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
	double z, z2, z3, z4, z6, qlog, q, k1a, k1b, k2a, k2b, k2c, k3a, k3b, k3c, k3d;
	double K[4] = {0, 0, 0, 0}, e2 = 0, e3 = 0, sqrt3z;
	int64_t maxk, k;

	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	z = sqrt(n) * x;
	z2 = z * z;
	z3 = z2 * z;
	z4 = z2 * z2;
	z6 = z4 * z2;
	qlog = -pi2 / 8 / z2;
	if (qlog < -708)
		return 0.0;
	q = exp(qlog);
	k1a = -z2;
	k1b = pi2 / 4;
	k2a = 6 * z6 + 2 * z4;
	k2b = (2 * z4 - 5 * z2) * pi2 / 4;
	k2c = pi4 * (1 - 2 * z2) / 16;
	k3d = pi6 * (5 - 30 * z2) / 64;
	k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
	k3b = pi2 * (135 * z4 - 96 * z6) / 4;
	k3a = -30 * z6 - 90 * pow(z, 8);
	maxk = (int64_t)ceil(16 * z / PI);
	for (k = maxk; k > 0; k--) {
		double m = 2 * k - 1, m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
		double qp = pow(q, 8.0 * k);

		K[0] = K[0] * qp + 1.0;
		K[1] = K[1] * qp + (k1a + k1b * m2);
		K[2] = K[2] * qp + (k2a + k2b * m2 + k2c * m4);
		K[3] = K[3] * qp + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
	}
	K[0] *= q * SQRT_2PI / z;
	K[1] *= q * SQRT_2PI / (6 * z4);
	K[2] *= q * SQRT_2PI / (72 * pow(z, 7));
	K[3] *= q * SQRT_2PI / (6480 * pow(z, 10));
	q = exp(-pi2 / 2 / z2);
	sqrt3z = sqrt(3.0) * z;
	for (k = maxk; k > 0; k--) {
		double k2 = (double)k * k, qk = pow(q, k2), kpi = PI * k;

		e2 += k2 * qk;
		e3 += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
	}
	K[2] += e2 * (pi2 * SQRT_2PI / (-36 * z3));
	K[3] += e3 * (pi2 * SQRT_2PI / (216 * z6));
	K[1] /= sqrt(n);
	K[2] /= n;
	K[3] /= n * sqrt(n);
	return K[0] + K[1] + K[2] + K[3];
}

/* Simard and L'Ecuyer's choice of method, survival side (_kolmogn with
 * cdf=False); n >= 1. */
static double kolmogn_sf(int64_t n, double x)
{
	double t, nx2, cdf;

	if (isnan(x))
		return NAN;
	if (x >= 1.0)
		return 0.0;
	if (x <= 0.0)
		return 1.0;
	t = n * x;
	if (t <= 1.0) {
		double prob = 1;
		int64_t i;

		if (t <= 0.5)
			return 1.0;
		if (n <= 140)
			for (i = 1; i <= n; i++)
				prob *= i * (1.0 / n) * (2 * t - 1);
		else
			prob = exp(log_nfact_div_npown((double)n) + n * log(2 * t - 1));
		return clip01(1.0 - prob);
	}
	if (t >= n - 1)
		return clip01(2 * pow(1.0 - x, (double)n));
	if (x >= 0.5)
		return clip01(2 * smirnov_sf((double)n, x));
	nx2 = t * x;
	if (n <= 140) {
		if (nx2 <= 0.754693)
			return clip01(1.0 - kolmogn_dmtw(n, x));
		if (nx2 <= 4)
			return clip01(1.0 - kolmogn_pomeranz(n, x));
		return clip01(2 * smirnov_sf((double)n, x));
	}
	if (nx2 >= 370.0)
		return 0.0;
	if (nx2 >= 2.2)
		return clip01(2 * smirnov_sf((double)n, x));
	if (n <= 100000 && n * pow(x, 1.5) <= 1.4)
		cdf = kolmogn_dmtw(n, x);
	else
		cdf = kolmogn_pelzgood((double)n, x);
	return clip01(1.0 - cdf);
}

double ml_kstwo_sf(uint64_t n, double x)
{
	if (n == 0 || n > INT64_MAX / 4)
		return NAN;
	/* kstwo's support starts at 1/(2n): below it, sf is 1 */
	if (x <= 0.5 / (double)n)
		return isnan(x) ? NAN : 1.0;
	return kolmogn_sf((int64_t)n, x);
}

/* ---- Two-sample exact distribution (scipy.stats._stats_py) ------------ */

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* P(D_{n,n} >= h/n) (_compute_prob_outside_square): the alternating
 * binomial series in Horner form. */
static double prob_outside_square(int64_t n, int64_t h)
{
	double P = 0.0;
	int64_t k, j;

	for (k = n / h; k >= 0; k--) {
		double p1 = 1.0;

		for (j = 0; j < h; j++)
			p1 = (double)(n - k * h - j) * p1 / (double)(n + k * h + j + 1);
		P = p1 * (1.0 - P);
	}
	return 2 * P;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
	return -floor_div(-a, b);
}

/* Share of lattice paths from (0,0) to (m,n) that leave the band
 * |x/m - y/n| < h/lcm (_compute_outer_prob_inside_method: Hodges' inside
 * method in Viehmann's form, which yields 1 - p directly); NAN when memory
 * is out. */
static double outer_prob_inside(int64_t m, int64_t n, int64_t g, int64_t h)
{
	int64_t mg, ng, minj, maxj, curlen, i, jj;
	double *A, r;

	if (m < n) {
		int64_t t = m;

		m = n;
		n = t;
	}
	mg = m / g;
	ng = n / g;
	minj = 0;
	maxj = ceil_div(h, mg);
	if (maxj > n + 1)
		maxj = n + 1;
	curlen = maxj - minj;
	/* SciPy sizes A to min(2 maxj + 2, n + 1) and never reads past it;
	 * n + 1 ones leave the result the same and every index in range. */
	A = malloc(sizeof *A * (size_t)(n + 1));
	if (!A)
		return NAN;
	for (jj = 0; jj <= n; jj++)
		A[jj] = jj < maxj ? 0.0 : 1.0;
	for (i = 1; i <= m; i++) {
		int64_t lastminj = minj, lastlen = curlen;
		double val;

		minj = floor_div(ng * i - h, mg) + 1;
		if (minj < 0)
			minj = 0;
		if (minj > n)
			minj = n;
		maxj = ceil_div(ng * i + h, mg);
		if (maxj > n + 1)
			maxj = n + 1;
		if (maxj <= minj) {
			free(A);
			return 1.0;
		}
		val = minj == 0 ? 0.0 : 1.0;
		for (jj = 0; jj < maxj - minj; jj++) {
			int64_t j = jj + minj;

			val = (A[jj + minj - lastminj] * (double)i + val * (double)j) / (double)(i + j);
			A[jj] = val;
		}
		curlen = maxj - minj;
		for (jj = curlen; jj < lastlen && jj <= n; jj++)
			A[jj] = 1;
	}
	r = A[maxj - minj - 1];
	free(A);
	return r;
}

/* _attempt_exact_2kssamp, two-sided: 1 with *p set, 0 when the exact value
 * is unusable (the caller falls back to asymp), -1 when memory is out. */
static int ks_exact(uint64_t n1, uint64_t n2, double d, double *p)
{
	uint64_t g = gcd64(n1, n2);
	double lcm = (double)(n1 / g) * (double)n2, prob;
	int64_t h = (int64_t)nearbyint(d * lcm);

	if (h == 0) {
		*p = 1.0;
		return 1;
	}
	if (n1 == n2)
		prob = prob_outside_square((int64_t)n1, h);
	else
		prob = outer_prob_inside((int64_t)n1, (int64_t)n2, (int64_t)g, h);
	if (isnan(prob))
		return -1;
	if (!(prob >= 0 && prob <= 1))
		return 0;
	*p = prob;
	return 1;
}

double ml_ks_pvalue(double d, uint64_t n1, uint64_t n2, enum ml_ks_method method,
		    enum ml_ks_method *used)
{
	enum ml_ks_method mode = method;
	double m, n, en;
	uint64_t g, N;

	if (used)
		*used = ML_KS_ASYMP;
	if (!n1 || !n2 || isnan(d) || n1 > INT64_MAX / 4 || n2 > INT64_MAX / 4)
		return NAN;
	g = gcd64(n1, n2);
	if (mode == ML_KS_AUTO)
		mode = (n1 > n2 ? n1 : n2) <= 10000 ? ML_KS_EXACT : ML_KS_ASYMP;
	else if (mode == ML_KS_EXACT &&
		 (double)(n1 / g) >= (double)INT32_MAX / (double)(n2 / g))
		mode = ML_KS_ASYMP;
	if (mode == ML_KS_EXACT) {
		double p;
		int r = ks_exact(n1, n2, d, &p);

		if (r < 0)
			return NAN;
		if (r > 0) {
			if (used)
				*used = ML_KS_EXACT;
			return clip01(p);
		}
	}
	m = (double)(n1 > n2 ? n1 : n2);
	n = (double)(n1 > n2 ? n2 : n1);
	en = m * n / (m + n);
	/* round half to even, as np.round; SciPy's N = 0 (n1 = n2 = 1) gives
	 * NaN, the nearest meaningful law is N = 1 */
	N = (uint64_t)nearbyint(en);
	if (N == 0)
		N = 1;
	return clip01(ml_kstwo_sf(N, d));
}

/* ---- Chi-square ------------------------------------------------------- */

/* log Gamma(a) - ((a - 1/2) log a - a + log sqrt(2 pi)): the error of
 * Stirling's formula, small and smooth, so that the gamma prefactor below
 * never subtracts large logarithms. */
static double stirlerr(double a)
{
	const double S0 = 1.0 / 12, S1 = 1.0 / 360, S2 = 1.0 / 1260, S3 = 1.0 / 1680,
		     S4 = 1.0 / 1188;
	double nn = a * a;

	if (a <= 15.0)
		return log(tgamma(a)) - (a - 0.5) * log(a) + a - LOG_SQRT_2PI;
	if (a > 500)
		return (S0 - S1 / nn) / a;
	if (a > 80)
		return (S0 - (S1 - S2 / nn) / nn) / a;
	if (a > 35)
		return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / a;
	return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / a;
}

/* x log(x/np) + np - x without cancellation when x is near np (Loader's
 * bd0). */
static double bd0(double x, double np)
{
	if (fabs(x - np) < 0.1 * (x + np)) {
		double v = (x - np) / (x + np), s = (x - np) * v, ej, s1;
		int j;

		if (fabs(s) < DBL_MIN)
			return s;
		ej = 2 * x * v;
		v = v * v;
		for (j = 1; j < 1000; j++) {
			ej *= v;
			s1 = s + ej / (2 * j + 1);
			if (s1 == s)
				return s1;
			s = s1;
		}
	}
	return x * log(x / np) + np - x;
}

/* Q(a, x), the regularized upper incomplete gamma function, a > 0, x > 0:
 * the power series of P when x < a + 1 (Q = 1 - P is then >= 0.08), the
 * continued fraction of Q (modified Lentz) otherwise; both scaled by
 * x^a e^-x / Gamma(a) taken in logs through bd0 and stirlerr. */
static double igamc(double a, double x)
{
	double lpf = -bd0(a, x) + 0.5 * log(a / (2 * PI)) - stirlerr(a);
	const double tiny = DBL_MIN / DBL_EPSILON;
	long i;

	if (x < a + 1) {
		double sum = 1.0 / a, term = sum;

		for (i = 1; i < 100000000; i++) {
			term *= x / (a + i);
			sum += term;
			if (term < sum * DBL_EPSILON / 4)
				break;
		}
		return clip01(1.0 - exp(lpf) * sum);
	} else {
		double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;

		for (i = 1; i < 100000000; i++) {
			double an = -i * (i - a), del;

			b += 2;
			d = an * d + b;
			if (fabs(d) < tiny)
				d = tiny;
			c = b + an / c;
			if (fabs(c) < tiny)
				c = tiny;
			d = 1 / d;
			del = d * c;
			h *= del;
			if (fabs(del - 1) < DBL_EPSILON / 2)
				break;
		}
		return clip01(exp(lpf + log(h)));
	}
}

double ml_chi2_sf(double x, double dof)
{
	if (isnan(x) || isnan(dof) || !(dof > 0))
		return NAN;
	if (x <= 0)
		return 1.0;
	if (isinf(x))
		return 0.0;
	if (isinf(dof))
		return 1.0;
	return igamc(dof / 2, x / 2);
}

int ml_chi2_homogeneity(const double *a, const double *b, size_t m, struct ml_chi2 *out)
{
	double ra = 0, rb = 0, total, stat = 0;
	size_t i, kept = 0;
	int row;

	for (i = 0; i < m; i++) {
		if (!(a[i] >= 0 && b[i] >= 0) || isinf(a[i]) || isinf(b[i]))
			return -1;
		ra += a[i];
		rb += b[i];
		kept += a[i] > 0 || b[i] > 0;
	}
	if (!(ra > 0 && rb > 0) || isinf(ra + rb))
		return -1;
	total = ra + rb;
	out->kept = kept;
	out->dof = kept - 1;
	if (out->dof == 0) {
		out->stat = 0.0;
		out->p = 1.0;
		return 0;
	}
	for (row = 0; row < 2; row++) {
		const double *o = row ? b : a;
		double r = row ? rb : ra;

		for (i = 0; i < m; i++) {
			double e, obs = o[i];

			if (a[i] == 0 && b[i] == 0)
				continue;
			e = r * (a[i] + b[i]) / total;
			if (out->dof == 1) {
				/* Yates: move toward e by at most 1/2 */
				double diff = e - obs, mag = fmin(0.5, fabs(diff));

				obs += diff > 0 ? mag : diff < 0 ? -mag : 0;
			}
			stat += (obs - e) * (obs - e) / e;
		}
	}
	out->stat = stat;
	out->p = ml_chi2_sf(stat, (double)out->dof);
	return 0;
}

/* ---- Distances between distributions ----------------------------------- */

static double vsum(const double *p, size_t m)
{
	double s = 0;
	size_t i;

	for (i = 0; i < m; i++)
		s += p[i];
	return s;
}

double ml_psi(const double *ref, const double *cur, size_t m)
{
	double R = vsum(ref, m), C = vsum(cur, m), psi = 0;
	size_t i;

	if (!m || !(R > 0 && C > 0))
		return NAN;
	R += 0.5 * (double)m;
	C += 0.5 * (double)m;
	for (i = 0; i < m; i++) {
		double r = (ref[i] + 0.5) / R, c = (cur[i] + 0.5) / C;

		psi += (c - r) * log(c / r);
	}
	return psi;
}

/* scipy.special.rel_entr */
static double rel_entr(double x, double y)
{
	if (x > 0 && y > 0)
		return x * log(x / y);
	if (x == 0 && y >= 0)
		return 0;
	return INFINITY;
}

double ml_js_distance(const double *p, const double *q, size_t m)
{
	double P = vsum(p, m), Q = vsum(q, m), left = 0, right = 0, js;
	size_t i;

	if (!(P > 0 && Q > 0))
		return NAN;
	for (i = 0; i < m; i++) {
		double pi = p[i] / P, qi = q[i] / Q, mi = (pi + qi) / 2.0;

		left += rel_entr(pi, mi);
		right += rel_entr(qi, mi);
	}
	js = (left + right) / log(2.0);
	/* each bin's pair of terms is >= 0; rounding must not make a NaN */
	return js > 0 ? sqrt(js / 2.0) : 0.0;
}

double ml_linf_distance(const double *p, const double *q, size_t m)
{
	double P = vsum(p, m), Q = vsum(q, m), d = 0;
	size_t i;

	if (!(P > 0 && Q > 0))
		return NAN;
	for (i = 0; i < m; i++) {
		double t = fabs(p[i] / P - q[i] / Q);

		if (t > d)
			d = t;
	}
	return d;
}

double ml_wasserstein1(const double *u, const double *uw, size_t nu,
		       const double *v, const double *vw, size_t nv)
{
	double U = uw ? vsum(uw, nu) : (double)nu, V = vw ? vsum(vw, nv) : (double)nv;
	double cu = 0, cv = 0, prev, sum = 0;
	size_t i = 0, j = 0;

	if (!nu || !nv || !(U > 0 && V > 0))
		return NAN;
	prev = u[0] < v[0] ? u[0] : v[0];
	while (i < nu || j < nv) {
		double x = (j == nv || (i < nu && u[i] <= v[j])) ? u[i] : v[j];

		/* between prev and x both CDFs are flat at their value at prev */
		sum += fabs(cu / U - cv / V) * (x - prev);
		for (; i < nu && u[i] <= x; i++)
			cu += uw ? uw[i] : 1.0;
		for (; j < nv && v[j] <= x; j++)
			cv += vw ? vw[j] : 1.0;
		prev = x;
	}
	return sum;
}

/* ---- Multiple testing --------------------------------------------------- */

struct bh_item {
	double p;
	size_t at;
};

static int bh_cmp(const void *x, const void *y)
{
	const struct bh_item *a = x, *b = y;

	if (a->p != b->p)
		return a->p < b->p ? -1 : 1;
	return a->at < b->at ? -1 : a->at > b->at;
}

int ml_bh_adjust(const double *p, size_t n, double *q)
{
	struct bh_item *it;
	double run = 1.0;
	size_t k;

	for (k = 0; k < n; k++)
		if (!(p[k] >= 0 && p[k] <= 1))
			return -1;
	if (n == 0)
		return 0;
	it = malloc(sizeof *it * n);
	if (!it)
		return -1;
	for (k = 0; k < n; k++) {
		it[k].p = p[k];
		it[k].at = k;
	}
	qsort(it, n, sizeof *it, bh_cmp);
	for (k = n; k-- > 0;) {
		/* p / ecdf, the ecdf as statsmodels forms it: rank / n */
		double adj = it[k].p / ((double)(k + 1) / (double)n);

		if (adj < run)
			run = adj;
		q[it[k].at] = run;
	}
	free(it);
	return 0;
}

double ml_kolmogorov_sf(double x)
{
	double sum = 0, sign = 1;

	if (!(x > 0))
		return 1;
	if (x < 0.2)
		return 1;	/* the series converges slowly here; the value is 1 to 1e-16 */
	for (int k = 1; k <= 100; k++) {
		double term = exp(-2.0 * k * k * x * x);
		sum += sign * term;
		if (term < 1e-17 * sum)
			break;
		sign = -sign;
	}
	sum *= 2;
	return sum < 0 ? 0 : sum > 1 ? 1 : sum;
}

double ml_ks_pvalue_stephens(double d, uint64_t n1, uint64_t n2)
{
	if (!n1 || !n2 || !(d >= 0))
		return NAN;
	double en = sqrt((double)n1 * (double)n2 / ((double)n1 + (double)n2));
	return ml_kolmogorov_sf((en + 0.12 + 0.11 / en) * d);
}
