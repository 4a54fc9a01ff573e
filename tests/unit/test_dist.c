/* Unit tests of common/ml_dist against SciPy.
 *
 * The Python script below runs at test time (so its numbers cannot go
 * stale): it draws the cases with a fixed seed and prints, one line each,
 * a tag, the inputs and SciPy's answers (repr floats round-trip exactly).
 * Each tag is one TAP line here, with the worst deviation seen; the first
 * few failing cases of a group are printed as diagnostics.  Without scipy
 * the comparison is skipped and only the self-contained checks run.
 * ML_PYTHON overrides the interpreter (default /usr/bin/python3). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ml_dist.h"
#include "reference.h"
#include "tap.h"

static const char *const script[] = {
	"import sys, warnings\n",
	"warnings.simplefilter('ignore')\n",
	"try:\n",
	"    import numpy as np\n",
	"    from scipy import stats\n",
	"    from scipy.spatial import distance\n",
	"except Exception as e:\n",
	"    print('skip', 'numpy/scipy not importable:', e)\n",
	"    sys.exit(0)\n",
	"\n",
	"rng = np.random.default_rng(20240611)\n",
	"\n",
	"def out(tag, *parts):\n",
	"    vals = []\n",
	"    for p in parts:\n",
	"        for v in np.ravel(p):\n",
	"            vals.append(repr(float(v)))\n",
	"    print(tag, ' '.join(vals))\n",
	"\n",
	"def ks_case(a, b):\n",
	"    a = np.sort(np.asarray(a, dtype=float))\n",
	"    b = np.sort(np.asarray(b, dtype=float))\n",
	"    d = stats.ks_2samp(a, b, method='asymp').statistic\n",
	"    pe = stats.ks_2samp(a, b, method='exact').pvalue\n",
	"    pa = stats.ks_2samp(a, b, method='asymp').pvalue\n",
	"    pu = stats.ks_2samp(a, b, method='auto').pvalue\n",
	"    out('ks', len(a), len(b), a, b, d, pe, pa, pu)\n",
	"\n",
	"# every pair of tiny sizes, with ties (small integers) and without\n",
	"for n1 in range(1, 11):\n",
	"    for n2 in range(1, 11):\n",
	"        if n1 == 1 and n2 == 1:\n",
	"            continue  # scipy asymp gives nan there (N rounds to 0)\n",
	"        if (n1 + n2) % 2:\n",
	"            ks_case(rng.integers(0, 4, n1), rng.integers(0, 4, n2))\n",
	"        else:\n",
	"            ks_case(rng.normal(0, 1, n1), rng.normal(0.7, 1, n2))\n",
	"# equal sizes, several shifts (small to huge D), and ties\n",
	"for n in [11, 20, 64, 100, 257, 1000, 3000]:\n",
	"    for shift in [0.0, 0.15, 0.5, 3.0]:\n",
	"        ks_case(rng.normal(0, 1, n), rng.normal(shift, 1, n))\n",
	"ks_case(rng.integers(0, 10, 500), rng.integers(0, 11, 500))\n",
	"# unequal sizes, some with a large lcm\n",
	"for n1, n2, shift in [(30, 47, 0.4), (100, 1000, 0.2), (999, 1000, 0.1), (1234, 2345, 0.05),\n",
	"                      (3000, 4000, 0.08), (2000, 5000, 0.02), (97, 3001, 0.3), (4096, 1024, 0.1),\n",
	"                      (200, 300, 0.0), (7, 2000, 1.0), (50, 60, 10.0)]:\n",
	"    ks_case(rng.normal(0, 1, n1), rng.normal(shift, 1, n2))\n",
	"ks_case(rng.integers(0, 20, 700), rng.integers(1, 20, 1300))\n",
	"ks_case(rng.exponential(1, 10001), rng.exponential(1.05, 9000))  # auto takes asymp\n",
	"\n",
	"# weighted samples, as a quantile sketch yields: values may repeat\n",
	"for n1, n2, wmax, shift in [(5, 8, 3, 0.5), (40, 60, 20, 0.3), (200, 150, 400, 0.05), (800, 800, 3000, 0.01)]:\n",
	"    a = np.sort(np.round(rng.normal(0, 1, n1), 1)); wa = rng.integers(1, wmax + 1, n1)\n",
	"    b = np.sort(np.round(rng.normal(shift, 1, n2), 1)); wb = rng.integers(1, wmax + 1, n2)\n",
	"    ra, rb = np.repeat(a, wa), np.repeat(b, wb)\n",
	"    r = stats.ks_2samp(ra, rb, method='asymp')\n",
	"    out('ksw', n1, n2, a, wa, b, wb, r.statistic, stats.ks_2samp(ra, rb).pvalue)\n",
	"\n",
	"# the one-sample law kstwo, which asymp evaluates, over every regime\n",
	"# (scipy's double-double Smirnov sum takes seconds at n near 1e6: few such x)\n",
	"for n in [1, 2, 3, 5, 10, 37, 100, 140, 141, 500, 5000, 99999, 150000, 1000000, 2500000]:\n",
	"    xs = [0.3 / n, 0.7 / n, 1.0 / n, 1.5 / n, 0.05, 0.3, 0.5, 0.7, 0.99]\n",
	"    if n < 50000:\n",
	"        xs += [c / np.sqrt(n) for c in [0.2, 0.5, 0.8, 1.2, 1.8, 2.5, 4.0, 9.0]]\n",
	"    elif n < 10**6:\n",
	"        xs += [c / np.sqrt(n) for c in [0.5, 1.2, 2.5]]\n",
	"    else:\n",
	"        xs += [c / np.sqrt(n) for c in [0.5, 0.8, 1.2]]\n",
	"    for x in xs:\n",
	"        if 0 < x < 1:\n",
	"            out('kstwo', n, x, stats.kstwo.sf(x, n))\n",
	"# asymp at sketch-sized samples: scipy's formula, kstwo.sf(d, round(n1 n2 / (n1 + n2)))\n",
	"for n1, n2, cs in [(10**6, 2 * 10**6, [0.5, 1.0, 30.0]), (3 * 10**6, 4 * 10**6, [0.5, 1.0, 2.0, 6.0]),\n",
	"                  (123457, 98765, [0.5, 1.0, 2.0]), (5 * 10**7, 10**5, [0.7]), (20000, 20000, [0.5, 1.5, 3.0, 6.0])]:\n",
	"    m, n = max(n1, n2), min(n1, n2)\n",
	"    en = np.round(m * n / (m + n))\n",
	"    for c in cs:\n",
	"        d = c / np.sqrt(en)\n",
	"        out('ksasymp', n1, n2, d, stats.kstwo.sf(d, en))\n",
	"\n",
	"# chi-square survival on a grid, including the far tail\n",
	"for dof in [1, 2, 3, 4, 5, 7, 10, 30, 31, 100, 201, 1000, 9999, 100000]:\n",
	"    xs = [dof * f for f in [1e-6, 0.01, 0.3, 0.9, 1.0, 1.1, 2.0, 5.0, 30.0]]\n",
	"    xs += [1e-300, 1e-8, 0.5, 1.0, 3.0, 50.0, 700.0, 1300.0]\n",
	"    xs += [float(stats.chi2.isf(t, dof)) for t in [0.5, 0.05, 1e-10, 1e-100, 1e-250, 1e-300]]\n",
	"    for x in xs:\n",
	"        out('chi2sf', x, dof, stats.chi2.sf(x, dof))\n",
	"\n",
	"# chi-square homogeneity: columns empty in both rows are dropped first\n",
	"def chi2_case(a, b):\n",
	"    a = np.asarray(a, dtype=float); b = np.asarray(b, dtype=float)\n",
	"    keep = (a > 0) | (b > 0)\n",
	"    t = np.vstack([a[keep], b[keep]])\n",
	"    if t.shape[1] == 1:\n",
	"        stat, p, dof = 0.0, 1.0, 0\n",
	"    else:\n",
	"        stat, p, dof, _ = stats.chi2_contingency(t)\n",
	"    out('chi2c', len(a), a, b, stat, p, dof)\n",
	"\n",
	"chi2_case([10, 20], [30, 40])\n",
	"chi2_case([5, 5], [5, 6])\n",
	"chi2_case([0, 12, 0, 3], [0, 7, 0, 9])\n",
	"chi2_case([1, 0], [0, 1])\n",
	"chi2_case([1000, 0, 2000], [1100, 0, 1900])\n",
	"chi2_case([3, 4, 5], [0, 0, 0.0001])\n",
	"chi2_case([7, 0, 0], [9, 0, 0])\n",
	"chi2_case([10, 20, 30], [20, 40, 60])\n",
	"for m in [2, 3, 5, 20, 100]:\n",
	"    for scale in [5, 100, 10**4, 10**7, 10**9]:\n",
	"        pa = rng.dirichlet(np.ones(m)); pb = 0.9 * pa + 0.1 * rng.dirichlet(np.ones(m))\n",
	"        a = rng.multinomial(scale, pa); b = rng.multinomial(int(scale * 1.3), pb)\n",
	"        a[rng.random(m) < 0.2] = 0\n",
	"        chi2_case(a, b)\n",
	"chi2_case(rng.multinomial(10**9, [0.3, 0.3, 0.4]), rng.multinomial(10**9, [0.31, 0.29, 0.4]))\n",
	"\n",
	"# distances between frequency vectors\n",
	"def freq_pair(m, zeros):\n",
	"    p = rng.integers(0, 50, m).astype(float); q = rng.integers(0, 50, m).astype(float) * 3.5\n",
	"    if zeros:\n",
	"        p[rng.random(m) < 0.3] = 0; q[rng.random(m) < 0.3] = 0\n",
	"    p[0] += 1; q[-1] += 1\n",
	"    return p, q\n",
	"\n",
	"for m, zeros in [(1, False), (2, False), (3, True), (10, False), (10, True), (64, True), (1000, True)]:\n",
	"    p, q = freq_pair(m, zeros)\n",
	"    out('js', m, p, q, distance.jensenshannon(p, q, base=2))\n",
	"    out('linf', m, p, q, np.max(np.abs(p / p.sum() - q / q.sum())))\n",
	"    r = (p + 0.5) / (p.sum() + 0.5 * m); c = (q + 0.5) / (q.sum() + 0.5 * m)\n",
	"    out('psi', m, p, q, np.sum((c - r) * np.log(c / r)))\n",
	"out('js', 3, [1, 2, 3], [2, 4, 6], distance.jensenshannon([1, 2, 3], [2, 4, 6], base=2))\n",
	"out('js', 2, [1, 0], [0, 1], distance.jensenshannon([1, 0], [0, 1], base=2))\n",
	"\n",
	"# Wasserstein-1, unweighted and weighted, with ties\n",
	"for nu, nv, ties in [(1, 1, False), (1, 5, False), (10, 7, True), (100, 300, False), (1000, 999, True), (3000, 2000, False)]:\n",
	"    if ties:\n",
	"        u = rng.integers(0, 8, nu).astype(float); v = rng.integers(1, 9, nv).astype(float)\n",
	"    else:\n",
	"        u = rng.normal(0, 1, nu); v = rng.normal(0.3, 2, nv)\n",
	"    uw = rng.random(nu) * 5; vw = rng.integers(0, 4, nv).astype(float); vw[0] += 1\n",
	"    su, sv = np.argsort(u, kind='stable'), np.argsort(v, kind='stable')\n",
	"    out('w', nu, nv, u[su], v[sv], stats.wasserstein_distance(u, v))\n",
	"    out('ww', nu, nv, u[su], uw[su], v[sv], vw[sv], stats.wasserstein_distance(u, v, uw, vw))\n",
	"\n",
	"# Benjamini-Hochberg as statsmodels' fdr_bh: p / (rank / n), running minimum from the top, capped at 1\n",
	"def bh(p):\n",
	"    p = np.asarray(p, dtype=float); n = len(p)\n",
	"    o = np.argsort(p)\n",
	"    raw = p[o] / (np.arange(1, n + 1) / n)\n",
	"    adj = np.minimum.accumulate(raw[::-1])[::-1]\n",
	"    adj[adj > 1] = 1\n",
	"    q = np.empty(n); q[o] = adj\n",
	"    return q\n",
	"\n",
	"for p in [[0.01], [0.5, 0.01], [0.01, 0.02, 0.03, 0.04, 0.05], [1.0, 0.0, 0.5, 0.5, 0.2],\n",
	"          list(rng.random(50) ** 3), list(np.round(rng.random(200), 2))]:\n",
	"    out('bh', len(p), p, bh(p))\n",
	"print('end')\n",
	NULL,
};

static void report(const struct ref_group *g)
{
	ok(g->cases > 0 && g->bad == 0, "%s: %d cases match scipy (worst %.3g)",
	   g->what, g->cases, g->worst);
}

static double absdiff(double got, double want)
{
	if (isnan(got) || isnan(want))
		return isnan(got) && isnan(want) ? 0 : INFINITY;
	if (got == want)
		return 0;
	return fabs(got - want);
}

/* Relative error with a floor, for values that may be 0. */
static double relerr(double got, double want, double floor)
{
	double d = absdiff(got, want);

	return d == 0 ? 0 : d / fmax(fabs(want), floor);
}

/* A p-value within 1e-9 relative where want is a normal number, within
 * 1e-12 absolute below that (scipy flushes its subnormal tail to 0). */
static int pval_close(double got, double want, double *err)
{
	if (want >= 1e-300) {
		*err = relerr(got, want, 1e-300);
		return *err <= 1e-9;
	}
	*err = absdiff(got, want);
	return *err <= 1e-12;
}

enum { G_KS_D, G_KS_EXACT, G_KS_ASYMP, G_KS_AUTO, G_KSW, G_KSTWO, G_KSASYMP,
       G_CHI2SF, G_CHI2C, G_JS, G_LINF, G_PSI, G_W, G_WW, G_BH, G_N };

static struct ref_group groups[G_N] = {
	[G_KS_D] = {"KS statistic D (1e-12)", 0, 0, 0},
	[G_KS_EXACT] = {"KS exact p-value, ks_2samp(method='exact') (1e-6 abs)", 0, 0, 0},
	[G_KS_ASYMP] = {"KS asymp p-value, ks_2samp(method='asymp') (1e-6 abs)", 0, 0, 0},
	[G_KS_AUTO] = {"KS auto p-value, ks_2samp() (1e-6 abs)", 0, 0, 0},
	[G_KSW] = {"weighted KS D and p on repeated values (1e-6 abs)", 0, 0, 0},
	[G_KSTWO] = {"kstwo.sf over n and x, every regime (1e-6 abs)", 0, 0, 0},
	[G_KSASYMP] = {"KS asymp at sketch sizes, kstwo.sf(d, round(en)) (1e-6 abs)", 0, 0, 0},
	[G_CHI2SF] = {"chi2.sf grid to the 1e-300 tail (1e-9 rel)", 0, 0, 0},
	[G_CHI2C] = {"chi2_contingency stat, dof, p (1e-9 rel)", 0, 0, 0},
	[G_JS] = {"jensenshannon(base=2) (1e-9 rel)", 0, 0, 0},
	[G_LINF] = {"L-infinity on normalized vectors (1e-9 rel)", 0, 0, 0},
	[G_PSI] = {"PSI with half-count smoothing (1e-9 rel)", 0, 0, 0},
	[G_W] = {"wasserstein_distance unweighted (1e-9 rel)", 0, 0, 0},
	[G_WW] = {"wasserstein_distance weighted (1e-9 rel)", 0, 0, 0},
	[G_BH] = {"Benjamini-Hochberg as fdr_bh (1e-9 rel)", 0, 0, 0},
};

static void ks_line(const double *v, size_t n)
{
	size_t n1, n2;
	const double *a, *b, *r;
	double d, p, e;
	enum ml_ks_method used;

	if (n < 2 || n != 2 + (size_t)v[0] + (size_t)v[1] + 4)
		{
			ref_record(&groups[G_KS_D], 0, INFINITY, "malformed ks line");
			return;
		}
	n1 = (size_t)v[0];
	n2 = (size_t)v[1];
	a = v + 2;
	b = a + n1;
	r = b + n2;
	d = ml_ks_stat(a, n1, b, n2);
	e = absdiff(d, r[0]);
	ref_record(&groups[G_KS_D], e <= 1e-12, e, "n1=%zu n2=%zu: D %.17g, want %.17g",
	       n1, n2, d, r[0]);
	p = ml_ks_pvalue(d, n1, n2, ML_KS_EXACT, &used);
	e = absdiff(p, r[1]);
	ref_record(&groups[G_KS_EXACT], e <= 1e-6 && used == ML_KS_EXACT, e,
	       "n1=%zu n2=%zu D=%.17g: p %.17g, want %.17g (method %d)", n1, n2, d, p, r[1], used);
	p = ml_ks_pvalue(d, n1, n2, ML_KS_ASYMP, &used);
	e = absdiff(p, r[2]);
	ref_record(&groups[G_KS_ASYMP], e <= 1e-6 && used == ML_KS_ASYMP, e,
	       "n1=%zu n2=%zu D=%.17g: p %.17g, want %.17g", n1, n2, d, p, r[2]);
	p = ml_ks_pvalue(d, n1, n2, ML_KS_AUTO, &used);
	e = absdiff(p, r[3]);
	ref_record(&groups[G_KS_AUTO], e <= 1e-6 && used == (n1 > 10000 || n2 > 10000 ? ML_KS_ASYMP : ML_KS_EXACT), e,
	       "n1=%zu n2=%zu D=%.17g: p %.17g, want %.17g (method %d)", n1, n2, d, p, r[3], used);
}

static void ksw_line(const double *v, size_t n)
{
	size_t n1, n2, i;
	uint64_t *wa, *wb, t1 = 0, t2 = 0;
	const double *a, *b, *r;
	double d, p, e;

	if (n < 2 || n != 2 + 2 * (size_t)v[0] + 2 * (size_t)v[1] + 2)
		{
			ref_record(&groups[G_KSW], 0, INFINITY, "malformed ksw line");
			return;
		}
	n1 = (size_t)v[0];
	n2 = (size_t)v[1];
	a = v + 2;
	b = a + 2 * n1;
	r = b + 2 * n2;
	wa = malloc(sizeof *wa * n1);
	wb = malloc(sizeof *wb * n2);
	if (!wa || !wb)
		abort();
	for (i = 0; i < n1; i++)
		t1 += wa[i] = (uint64_t)a[n1 + i];
	for (i = 0; i < n2; i++)
		t2 += wb[i] = (uint64_t)b[n2 + i];
	d = ml_ks_stat_weighted(a, wa, n1, b, wb, n2);
	p = ml_ks_pvalue(d, t1, t2, ML_KS_AUTO, NULL);
	e = fmax(absdiff(d, r[0]), absdiff(p, r[1]));
	ref_record(&groups[G_KSW], e <= 1e-6, e, "n1=%zu (%llu) n2=%zu (%llu): D %.17g p %.17g, want %.17g %.17g",
	       n1, (unsigned long long)t1, n2, (unsigned long long)t2, d, p, r[0], r[1]);
	free(wa);
	free(wb);
}

static void chi2c_line(const double *v, size_t n)
{
	struct ml_chi2 c;
	size_t m;
	double es, ep;
	int good;

	if (n < 1 || n != 1 + 2 * (size_t)v[0] + 3)
		{
			ref_record(&groups[G_CHI2C], 0, INFINITY, "malformed chi2c line");
			return;
		}
	m = (size_t)v[0];
	if (ml_chi2_homogeneity(v + 1, v + 1 + m, m, &c) < 0)
		{
			ref_record(&groups[G_CHI2C], 0, INFINITY, "m=%zu: refused", m);
			return;
		}
	es = relerr(c.stat, v[1 + 2 * m], 1e-12);
	good = pval_close(c.p, v[2 + 2 * m], &ep) && es <= 1e-9 && c.dof == (size_t)v[3 + 2 * m];
	ref_record(&groups[G_CHI2C], good, fmax(es, ep),
	       "m=%zu: stat %.17g p %.17g dof %zu, want %.17g %.17g %g", m, c.stat, c.p, c.dof,
	       v[1 + 2 * m], v[2 + 2 * m], v[3 + 2 * m]);
}

/* Lines "tag m p[m] q[m] want" for the frequency-vector distances. */
static void vec_line(int gi, double (*f)(const double *, const double *, size_t),
		     const double *v, size_t n)
{
	size_t m;
	double got, e;

	if (n < 1 || n != 2 + 2 * (size_t)v[0])
		{
			ref_record(&groups[gi], 0, INFINITY, "malformed line");
			return;
		}
	m = (size_t)v[0];
	got = f(v + 1, v + 1 + m, m);
	e = relerr(got, v[1 + 2 * m], 1e-3);
	ref_record(&groups[gi], e <= 1e-9, e, "m=%zu: %.17g, want %.17g", m, got, v[1 + 2 * m]);
}

static void w_line(int weighted, const double *v, size_t n)
{
	int gi = weighted ? G_WW : G_W;
	size_t nu, nv, k = weighted ? 2 : 1;
	const double *u, *uw = NULL, *x, *xw = NULL;
	double got, e;

	if (n < 2 || n != 2 + k * ((size_t)v[0] + (size_t)v[1]) + 1)
		{
			ref_record(&groups[gi], 0, INFINITY, "malformed line");
			return;
		}
	nu = (size_t)v[0];
	nv = (size_t)v[1];
	u = v + 2;
	if (weighted)
		uw = u + nu;
	x = u + k * nu;
	if (weighted)
		xw = x + nv;
	got = ml_wasserstein1(u, uw, nu, x, xw, nv);
	e = relerr(got, v[n - 1], 1e-3);
	ref_record(&groups[gi], e <= 1e-9, e, "nu=%zu nv=%zu: %.17g, want %.17g", nu, nv, got, v[n - 1]);
}

static void bh_line(const double *v, size_t n)
{
	size_t m, i;
	double *q, e = 0;

	if (n < 1 || n != 1 + 2 * (size_t)v[0])
		{
			ref_record(&groups[G_BH], 0, INFINITY, "malformed bh line");
			return;
		}
	m = (size_t)v[0];
	q = malloc(sizeof *q * m);
	if (!q)
		abort();
	if (ml_bh_adjust(v + 1, m, q) < 0)
		e = INFINITY;
	for (i = 0; i < m && e < INFINITY; i++)
		e = fmax(e, relerr(q[i], v[1 + m + i], 1e-3));
	ref_record(&groups[G_BH], e <= 1e-9, e, "n=%zu: worst %.3g", m, e);
	free(q);
}

static void dispatch(const char *tag, const double *v, size_t n)
{
	double got, e;
	int good;

	if (!strcmp(tag, "ks")) {
		ks_line(v, n);
	} else if (!strcmp(tag, "ksw")) {
		ksw_line(v, n);
	} else if (!strcmp(tag, "kstwo") && n == 3) {
		got = ml_kstwo_sf((uint64_t)v[0], v[1]);
		e = absdiff(got, v[2]);
		ref_record(&groups[G_KSTWO], e <= 1e-6, e, "n=%.0f x=%.17g: %.17g, want %.17g",
		       v[0], v[1], got, v[2]);
	} else if (!strcmp(tag, "ksasymp") && n == 4) {
		enum ml_ks_method used;

		got = ml_ks_pvalue(v[2], (uint64_t)v[0], (uint64_t)v[1], ML_KS_ASYMP, &used);
		e = absdiff(got, v[3]);
		ref_record(&groups[G_KSASYMP], e <= 1e-6, e, "n1=%.0f n2=%.0f d=%.17g: %.17g, want %.17g",
		       v[0], v[1], v[2], got, v[3]);
	} else if (!strcmp(tag, "chi2sf") && n == 3) {
		got = ml_chi2_sf(v[0], v[1]);
		good = pval_close(got, v[2], &e);
		ref_record(&groups[G_CHI2SF], good, e, "x=%.17g dof=%g: %.17g, want %.17g",
		       v[0], v[1], got, v[2]);
	} else if (!strcmp(tag, "chi2c")) {
		chi2c_line(v, n);
	} else if (!strcmp(tag, "js")) {
		vec_line(G_JS, ml_js_distance, v, n);
	} else if (!strcmp(tag, "linf")) {
		vec_line(G_LINF, ml_linf_distance, v, n);
	} else if (!strcmp(tag, "psi")) {
		vec_line(G_PSI, ml_psi, v, n);
	} else if (!strcmp(tag, "w")) {
		w_line(0, v, n);
	} else if (!strcmp(tag, "ww")) {
		w_line(1, v, n);
	} else if (!strcmp(tag, "bh")) {
		bh_line(v, n);
	} else {
		printf("# unknown reference line '%s' (%zu numbers)\n", tag, n);
		tap_failed++;
	}
}

/* Runs the reference script and checks every line it prints. */
static void against_scipy(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[4096], cmd[8300];
	int fd, i;

	snprintf(path, sizeof path, "%s/ml_dist_refXXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	for (i = 0; fd >= 0 && script[i]; i++) {
		size_t len = strlen(script[i]);

		if (write(fd, script[i], len) != (ssize_t)len)
			break;
	}
	if (fd < 0 || script[i]) {
		ok(0, "the reference script is written to a temporary file");
		if (fd >= 0)
			close(fd), unlink(path);
		return;
	}
	close(fd);
	snprintf(cmd, sizeof cmd, "'%s' '%s'", ref_python(), path);
	if (ref_run(cmd, path, "scipy", dispatch) < 0)
		return;
	for (i = 0; i < G_N; i++)
		report(&groups[i]);
}

/* ---- checks that need no reference ---------------------------------- */

static void ks_self(void)
{
	const double a[] = {1, 2, 2, 3}, b[] = {1, 2, 2, 3}, c[] = {4, 5};
	const uint64_t wa[] = {1, 2, 1}, wc[] = {3, 1};
	const double av[] = {1, 2, 3}, cv[] = {2, 9};
	const double ex[] = {1, 2, 2, 3}, ey[] = {2, 2, 2, 9};
	enum ml_ks_method used;
	double p;

	ok(isnan(ml_ks_stat(a, 0, b, 4)) && isnan(ml_ks_stat(a, 4, b, 0)),
	   "KS D of an empty sample is NaN");
	ok(ml_ks_stat(a, 4, b, 4) == 0, "KS D of equal samples is 0");
	ok(ml_ks_stat(a, 4, c, 2) == 1 && ml_ks_stat(c, 2, a, 4) == 1,
	   "KS D of disjoint samples is 1 either way round");
	ok(ml_ks_stat_weighted(av, wa, 3, cv, wc, 2) == ml_ks_stat(ex, 4, ey, 4),
	   "weighted KS D equals D on the expanded samples");
	ok(ml_ks_pvalue(0, 5, 7, ML_KS_EXACT, NULL) == 1 && ml_ks_pvalue(0, 5, 7, ML_KS_ASYMP, NULL) == 1,
	   "KS p-value of D = 0 is 1");
	ok(isnan(ml_ks_pvalue(0.5, 0, 7, ML_KS_AUTO, NULL)) && isnan(ml_kstwo_sf(0, 0.5)),
	   "KS p-value with an empty sample is NaN");
	p = ml_ks_pvalue(1.0, 1, 1, ML_KS_ASYMP, &used);
	ok(p == 0 && used == ML_KS_ASYMP, "asymp for n1 = n2 = 1 uses N = 1 where scipy gives NaN");
	p = ml_ks_pvalue(0.001, 65537, 65539, ML_KS_EXACT, &used);
	ok(used == ML_KS_ASYMP && p > 0.9, "exact falls back to asymp when lcm(n1, n2) is too fine (p %g)", p);
	p = ml_ks_pvalue(0.01, 20000, 20000, ML_KS_AUTO, &used);
	ok(used == ML_KS_ASYMP, "auto takes asymp above 10000 (p %g)", p);
}

static void chi2_self(void)
{
	const double a[] = {3, 0, 4}, neg[] = {3, -1, 4}, z[] = {0, 0, 0}, nan_[] = {1, NAN, 2};
	struct ml_chi2 c;

	ok(ml_chi2_sf(0, 3) == 1 && ml_chi2_sf(-1, 3) == 1 && ml_chi2_sf(INFINITY, 3) == 0,
	   "chi2 sf is 1 at x <= 0 and 0 at infinity");
	ok(isnan(ml_chi2_sf(1, 0)) && isnan(ml_chi2_sf(1, -2)) && isnan(ml_chi2_sf(NAN, 2)),
	   "chi2 sf refuses dof <= 0 and NaN");
	ok(fabs(ml_chi2_sf(2, 2) - exp(-1)) < 1e-15 && fabs(ml_chi2_sf(1, 1) - erfc(sqrt(0.5))) < 1e-15,
	   "chi2 sf has the closed forms for dof 1 and 2");
	ok(ml_chi2_homogeneity(a, neg, 3, &c) < 0, "chi2 refuses a negative count");
	ok(ml_chi2_homogeneity(a, z, 3, &c) < 0, "chi2 refuses an empty row");
	ok(ml_chi2_homogeneity(a, nan_, 3, &c) < 0, "chi2 refuses a NaN count");
	ok(ml_chi2_homogeneity(a, a, 0, &c) < 0, "chi2 refuses no columns");
	ok(ml_chi2_homogeneity(a, a, 3, &c) == 0 && c.kept == 2 && c.dof == 1 && c.stat == 0 && c.p == 1,
	   "chi2 of equal rows drops the empty column and finds nothing");
}

static void dist_self(void)
{
	const double p[] = {1, 0, 3}, q[] = {2, 0, 6}, r[] = {0, 5, 0}, z[] = {0, 0, 0};
	const double u[] = {-1, 0, 0, 2.5}, v[] = {1, 2, 2, 4.5};
	double pp[] = {0.04, 0.01, 0.03, 1.0}, bad[] = {0.1, 1.5};

	ok(ml_js_distance(p, q, 3) == 0 && ml_js_distance(p, r, 3) == 1,
	   "JS distance is 0 on proportional and 1 on disjoint vectors");
	ok(ml_linf_distance(p, q, 3) == 0 && ml_linf_distance(p, r, 3) == 1,
	   "L-infinity is 0 on proportional and 1 on disjoint vectors");
	ok(isnan(ml_js_distance(p, z, 3)) && isnan(ml_linf_distance(z, q, 3)) && isnan(ml_psi(p, z, 3)),
	   "distances of an all-zero vector are NaN");
	ok(fabs(ml_psi(p, q, 3) - ml_psi(q, p, 3)) < 1e-15 && isfinite(ml_psi(p, r, 3)) && ml_psi(p, r, 3) > 0,
	   "PSI is symmetric and finite with empty bins");
	ok(ml_psi(p, p, 3) == 0, "PSI of a vector with itself is 0");
	ok(fabs(ml_wasserstein1(u, NULL, 4, v, NULL, 4) - 2) < 1e-15,
	   "Wasserstein-1 of a sample and its shift by 2 is 2");
	ok(isnan(ml_wasserstein1(u, NULL, 0, v, NULL, 4)) && isnan(ml_wasserstein1(u, z, 3, v, NULL, 4)),
	   "Wasserstein-1 of an empty or weightless sample is NaN");
	/* ranks 1..4 give 0.04, 0.06, 0.04 * 4/3, 1; the step-up takes the
	 * running minimum from the top, so rank 2 inherits rank 3's value */
	ok(ml_bh_adjust(pp, 4, pp) == 0 && pp[1] == 0.04 && fabs(pp[0] - 0.16 / 3) < 1e-16 &&
	   pp[2] == pp[0] && pp[3] == 1, "BH adjusts in place, monotone step-up");
	ok(ml_bh_adjust(bad, 2, bad) < 0 && ml_bh_adjust(NULL, 0, NULL) == 0,
	   "BH refuses p outside [0, 1] and takes an empty list");
}

/* Kolmogorov's limit law against scipy.special.kolmogorov (values printed
 * by /usr/bin/python3 -c 'from scipy.special import kolmogorov;
 * print(kolmogorov(0.5), kolmogorov(1.0), kolmogorov(2.0), kolmogorov(0.3))'
 * with scipy 1.10), and Stephens' form at a size where it must be close to
 * the exact asymptotic law. */
static void kolmogorov_self(void)
{
	static const double x[] = {0.5, 1.0, 2.0, 0.3};
	static const double want[] = {0.9639452436648751, 0.26999967167735456,
				      0.0006709252557796953, 0.9999906941986655};
	double worst = 0;

	for (int i = 0; i < 4; i++) {
		double e = fabs(ml_kolmogorov_sf(x[i]) - want[i]);
		if (e > worst)
			worst = e;
	}
	ok(worst < 1e-14, "Kolmogorov's limit law matches scipy.special.kolmogorov (worst %.2g)", worst);
	double a = ml_ks_pvalue_stephens(0.01, 100000, 100000);
	double b = ml_ks_pvalue(0.01, 100000, 100000, ML_KS_ASYMP, NULL);
	ok(fabs(a - b) < 1e-3, "Stephens' p-value is within 1e-3 of kstwo at n = 10^5 (%.6g vs %.6g)", a, b);
	ok(ml_kolmogorov_sf(0) == 1 && ml_kolmogorov_sf(10) < 1e-80,
	   "Kolmogorov's law is 1 at 0 and vanishes far out");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	kolmogorov_self();
	ks_self();
	chi2_self();
	dist_self();
	fflush(stdout);
	against_scipy();
	return tap_done();
}
