/* Unit tests of common/ml_kll: the rank-error bound on many shapes of data
 * (checked against the exact ranks of the sorted data), merging, the JSON
 * form, determinism and memory. */
#include <float.h>
#include <jv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_kll.h"
#include "tap.h"

#define EPS 0.005       /* the documented bound: 0.5% of n */
#define N 1000000

static const double probes[] = {0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99};

/* ---- data ---- */

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint64_t next64(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Uniform on (0, 1). */
static double unif(void)
{
	return ((double)(next64() >> 11) + 0.5) * 0x1.0p-53;
}

static double normal(void)
{
	return sqrt(-2 * log(unif())) * cos(2 * M_PI * unif());
}

enum shape { UNIFORM, LOGNORMAL, PARETO, CAUCHY, SORTED, REVERSED, FEW_VALUES };

static const char *const shape_name[] = {
	"uniform", "lognormal (sigma 2)", "Pareto (alpha 1.1)", "Cauchy",
	"sorted", "reverse-sorted", "few distinct values",
};

static double *make(enum shape sh, size_t n)
{
	double *x = malloc(n * sizeof *x);

	for (size_t i = 0; i < n; i++) {
		switch (sh) {
		case UNIFORM: x[i] = unif(); break;
		case LOGNORMAL: x[i] = exp(2 * normal()); break;
		case PARETO: x[i] = pow(unif(), -1 / 1.1); break;
		case CAUCHY: x[i] = tan(M_PI * (unif() - 0.5)); break;
		case SORTED: x[i] = (double)i / 7; break;
		case REVERSED: x[i] = (double)(n - i) * 3.25; break;
		case FEW_VALUES: x[i] = (double)(next64() % 5) - 2; break;
		}
	}
	return x;
}

/* An ascending copy (by an LSD radix sort: qsort would take most of the
 * test's time). */
static double *sorted_copy(const double *x, size_t n)
{
	uint64_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *t;
	double *s = malloc(n * sizeof *s);

	for (size_t i = 0; i < n; i++) {
		uint64_t u;
		memcpy(&u, &x[i], sizeof u);
		a[i] = u >> 63 ? ~u : u | 1ULL << 63;
	}
	for (int shift = 0; shift < 64; shift += 16) {
		size_t *count = calloc(65537, sizeof *count);
		for (size_t i = 0; i < n; i++)
			count[((a[i] >> shift) & 0xFFFF) + 1]++;
		for (size_t d = 1; d <= 65536; d++)
			count[d] += count[d - 1];
		for (size_t i = 0; i < n; i++)
			b[count[(a[i] >> shift) & 0xFFFF]++] = a[i];
		free(count);
		t = a, a = b, b = t;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t u = a[i] >> 63 ? a[i] & ~(1ULL << 63) : ~a[i];
		memcpy(&s[i], &u, sizeof u);
	}
	free(a);
	free(b);
	return s;
}

/* How many of sorted[0..n) are < v (strict) or <= v. */
static size_t count_below(const double *sorted, size_t n, double v, int or_equal)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sorted[mid] < v || (or_equal && sorted[mid] == v))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct ml_kll *sketch_of(const double *x, size_t n)
{
	struct ml_kll *s = ml_kll_new(ML_KLL_K);

	for (size_t i = 0; i < n; i++)
		ml_kll_add(s, x[i]);
	return s;
}

/* ---- the bound ---- */

/* The worst distance, as a fraction of n, between a requested rank q*n and
 * the true ranks of the value the sketch returns for q (a value repeated in
 * the data holds every rank from its first to its last place). */
static double quantile_error(const struct ml_kll *s, const double *sorted, size_t n)
{
	double worst = 0;

	for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
		double v = ml_kll_quantile(s, probes[i]), want = probes[i] * (double)n, d = 0;
		double first = (double)count_below(sorted, n, v, 0) + 1;
		double last = (double)count_below(sorted, n, v, 1);

		if (last < first)       /* not a value of the data at all */
			return INFINITY;
		if (want < first)
			d = first - want;
		else if (want > last)
			d = want - last;
		if (d / (double)n > worst)
			worst = d / (double)n;
	}
	return worst;
}

/* The worst |ml_kll_rank(x) - true fraction <= x| over the data's
 * permilles, the midpoints between them and points outside the range. */
static double rank_error(const struct ml_kll *s, const double *sorted, size_t n)
{
	double worst = 0;

	for (size_t i = 0; i <= 2000; i++) {
		size_t j = (size_t)((double)(n - 1) * (double)(i / 2) / 1000);
		double x = sorted[j], truth, e;

		if (i % 2 && j + 1 < n)
			x = x / 2 + sorted[j + (n - 1) / 1000] / 2;
		if (i == 0)
			x = sorted[0] - 1;
		truth = (double)count_below(sorted, n, x, 1) / (double)n;
		e = fabs(ml_kll_rank(s, x) - truth);
		if (e > worst)
			worst = e;
	}
	return worst;
}

static void test_shape(enum shape sh)
{
	double *x = make(sh, N), *sorted = sorted_copy(x, N);
	struct ml_kll *s = sketch_of(x, N);
	double qe = quantile_error(s, sorted, N), re = rank_error(s, sorted, N);

	ok(qe <= EPS, "on 10^6 %s values p1..p99 are within 0.5%% of n of their rank (worst %.3f%%)",
	   shape_name[sh], 100 * qe);
	ok(re <= EPS, "on 10^6 %s values ml_kll_rank is within 0.005 of the true fraction (worst %.4f)",
	   shape_name[sh], re);
	ok(ml_kll_min(s) == sorted[0] && ml_kll_max(s) == sorted[N - 1] && ml_kll_count(s) == N,
	   "on %s values min, max and count are exact", shape_name[sh]);
	ml_kll_free(s);
	free(x);
	free(sorted);
}

/* ---- JSON helpers ---- */

static char *json_of(const struct ml_kll *s)
{
	struct ml_buf b = {0};

	if (ml_kll_to_json(s, &b) < 0 || ml_buf_terminate(&b) < 0) {
		ml_buf_free(&b);
		return strdup("(to_json failed)");
	}
	return b.data;
}

static struct ml_kll *from_text(const char *text, struct ml_err *err)
{
	return ml_kll_from_json(text, strlen(text), err);
}

static struct ml_kll *reread(const struct ml_kll *s)
{
	char *j = json_of(s);
	struct ml_err err = {0};
	struct ml_kll *r = from_text(j, &err);

	if (!r)
		printf("# from_json: %s\n", err.msg);
	free(j);
	return r;
}

static int same_json(const struct ml_kll *a, const struct ml_kll *b)
{
	char *ja = json_of(a), *jb = json_of(b);
	int eq = strcmp(ja, jb) == 0;

	free(ja);
	free(jb);
	return eq;
}

/* The text as libjq parses and prints it again, as ml_profile_json does. */
static char *through_jq(const char *text)
{
	jv v = jv_parse_sized(text, (int)strlen(text));
	jv d;
	char *out;

	if (!jv_is_valid(v)) {
		jv_free(v);
		return strdup("(jq refused)");
	}
	d = jv_dump_string(v, 0);
	out = strdup(jv_string_value(d));
	jv_free(d);
	return out;
}

/* ---- tests ---- */

static void test_empty(void)
{
	struct ml_kll *s = ml_kll_new(ML_KLL_K);
	const double *v;
	const uint64_t *w;
	size_t n = 99;
	char *j = json_of(s);

	ok(ml_kll_count(s) == 0 && isnan(ml_kll_min(s)) && isnan(ml_kll_max(s)),
	   "an empty sketch counts 0 and has NAN for min and max");
	ok(isnan(ml_kll_quantile(s, 0)) && isnan(ml_kll_quantile(s, 0.5)) && isnan(ml_kll_quantile(s, 1)),
	   "an empty sketch gives NAN for every quantile");
	ok(ml_kll_rank(s, 0) == 0 && ml_kll_rank(s, INFINITY) == 0, "an empty sketch gives rank 0");
	ok(ml_kll_sorted(s, &v, &w, &n) == 0 && n == 0, "an empty sketch has no retained values");
	ok(strcmp(j, "{\"k\":800,\"n\":0,\"min\":null,\"max\":null,\"levels\":[[]]}") == 0,
	   "an empty sketch writes min and max as null and one empty level");
	ml_kll_free(s);
	s = from_text(j, NULL);
	ok(s && ml_kll_count(s) == 0 && isnan(ml_kll_quantile(s, 0.5)), "an empty sketch reads back empty");
	ml_kll_free(s);
	free(j);
	ok(!ml_kll_new(7) && !ml_kll_new(65536), "ml_kll_new refuses k below 8 or above 65535");
	ml_kll_free(NULL);
}

static void test_single(void)
{
	struct ml_kll *s = ml_kll_new(ML_KLL_K);
	char *j;

	ml_kll_add(s, 2.5);
	ok(ml_kll_quantile(s, 0) == 2.5 && ml_kll_quantile(s, 0.01) == 2.5 &&
	   ml_kll_quantile(s, 0.5) == 2.5 && ml_kll_quantile(s, 1) == 2.5,
	   "a single value is every quantile");
	ok(ml_kll_rank(s, 2.4) == 0 && ml_kll_rank(s, 2.5) == 1 && ml_kll_rank(s, 3) == 1,
	   "a single value has rank 0 below it and 1 from it on");
	j = json_of(s);
	ok(strcmp(j, "{\"k\":800,\"n\":1,\"min\":2.5,\"max\":2.5,\"levels\":[[2.5]]}") == 0,
	   "a single value writes as one level of one value");
	free(j);
	ok(ml_kll_add(s, NAN) == 0 && ml_kll_count(s) == 1, "NaN is ignored, not counted");
	ok(isnan(ml_kll_quantile(s, NAN)) && ml_kll_quantile(s, -1) == 2.5 && ml_kll_quantile(s, 2) == 2.5 &&
	   ml_kll_rank(s, NAN) == 0,
	   "a NaN q gives NAN, a q outside [0, 1] is clamped, and NaN has rank 0");
	ml_kll_free(s);
}

static void test_constant(void)
{
	struct ml_kll *s = ml_kll_new(ML_KLL_K);
	int all = 1;

	for (int i = 0; i < N; i++)
		ml_kll_add(s, 7.25);
	for (size_t i = 0; i < sizeof probes / sizeof *probes; i++)
		all &= ml_kll_quantile(s, probes[i]) == 7.25;
	ok(all, "a constant column gives the constant for every quantile");
	ok(ml_kll_rank(s, 7.25) == 1 && ml_kll_rank(s, 7.2) == 0 && ml_kll_count(s) == N,
	   "a constant column has rank 0 below the constant and 1 at it");
	ml_kll_free(s);
}

static void test_sorted_view(void)
{
	double *x = make(LOGNORMAL, 200000);
	struct ml_kll *s = sketch_of(x, 200000);
	const double *v;
	const uint64_t *w;
	size_t n;
	uint64_t sum = 0;
	int ascending = 1, powers = 1;

	ok(ml_kll_sorted(s, &v, &w, &n) == 0 && n > 0, "ml_kll_sorted gives the retained values");
	for (size_t i = 0; i < n; i++) {
		sum += w[i];
		powers &= w[i] && (w[i] & (w[i] - 1)) == 0;
		if (i)
			ascending &= v[i - 1] <= v[i];
	}
	ok(ascending && powers && sum == 200000,
	   "the sorted view ascends, weighs each value a power of 2 and sums to the count");
	ok(v[0] >= ml_kll_min(s) && v[n - 1] <= ml_kll_max(s), "the sorted view lies within min and max");
	ml_kll_free(s);
	free(x);
}

/* 8 shards: of the shuffled data, or of the sorted data (each shard a
 * separate range, the hard case for a merge). */
static void test_merge(void)
{
	double *x = make(LOGNORMAL, N), *sorted = sorted_copy(x, N);
	struct ml_kll *whole = ml_kll_new(ML_KLL_K), *ranged = ml_kll_new(ML_KLL_K);
	struct ml_kll *tree[8];
	double qe, re;

	for (int j = 0; j < 8; j++) {
		struct ml_kll *a = ml_kll_new(ML_KLL_K), *b = ml_kll_new(ML_KLL_K);
		for (size_t i = j; i < N; i += 8)
			ml_kll_add(a, x[i]);
		for (size_t i = (size_t)j * N / 8; i < (size_t)(j + 1) * N / 8; i++)
			ml_kll_add(b, sorted[i]);
		ok(ml_kll_merge(whole, a) == 0 && ml_kll_merge(ranged, b) == 0, "shard %d merges", j);
		ml_kll_free(a);
		tree[j] = b;
	}
	qe = quantile_error(whole, sorted, N);
	re = rank_error(whole, sorted, N);
	ok(ml_kll_count(whole) == N && qe <= EPS && re <= EPS,
	   "8 interleaved shards merged keep the bound against the whole data (worst %.3f%%, %.4f)",
	   100 * qe, re);
	qe = quantile_error(ranged, sorted, N);
	re = rank_error(ranged, sorted, N);
	ok(ml_kll_count(ranged) == N && qe <= EPS && re <= EPS,
	   "8 shards of separate ranges merged keep the bound (worst %.3f%%, %.4f)", 100 * qe, re);
	ok(ml_kll_min(ranged) == sorted[0] && ml_kll_max(ranged) == sorted[N - 1],
	   "merged min and max are exact");
	/* the same shards as a tree: ((0+1)+(2+3))+((4+5)+(6+7)) */
	for (int step = 1; step < 8; step *= 2)
		for (int j = 0; j + step < 8; j += 2 * step)
			ml_kll_merge(tree[j], tree[j + step]);
	qe = quantile_error(tree[0], sorted, N);
	re = rank_error(tree[0], sorted, N);
	ok(ml_kll_count(tree[0]) == N && qe <= EPS && re <= EPS,
	   "the same shards merged as a tree keep the bound (worst %.3f%%, %.4f)", 100 * qe, re);
	for (int j = 0; j < 8; j++)
		ml_kll_free(tree[j]);
	ml_kll_free(whole);
	ml_kll_free(ranged);
	free(x);
	free(sorted);
}

static void test_merge_empty(void)
{
	double *x = make(UNIFORM, 50000);
	struct ml_kll *s = sketch_of(x, 50000), *e = ml_kll_new(ML_KLL_K), *r;
	char *before = json_of(s), *after;

	ok(ml_kll_merge(s, e) == 0 && ml_kll_count(s) == 50000, "merging an empty sketch succeeds");
	after = json_of(s);
	ok(strcmp(before, after) == 0, "merging an empty sketch changes nothing");
	free(after);
	ok(ml_kll_merge(e, s) == 0 && same_json(e, s), "merging into an empty sketch gives a copy");
	r = ml_kll_new(ML_KLL_K);
	ok(ml_kll_merge(r, e) == 0 && ml_kll_merge(r, e) == 0 && ml_kll_count(r) == 100000 &&
	   ml_kll_min(r) == ml_kll_min(s),
	   "a sketch merged twice counts twice");
	ok(ml_kll_merge(r, r) == 0 && ml_kll_count(r) == 200000, "a sketch merges with itself");
	ml_kll_free(r);
	r = ml_kll_new(200);
	for (int i = 0; i < 50000; i++)
		ml_kll_add(r, x[i]);
	ml_kll_merge(e, r);
	after = json_of(e);
	ok(ml_kll_count(e) == 100000 && strncmp(after, "{\"k\":800,", 9) == 0,
	   "a sketch of another k merges in, and the sketch keeps its own k");
	free(after);
	ml_kll_free(r);
	ml_kll_free(e);
	ml_kll_free(s);
	free(before);
	free(x);
}

/* Random merge trees of shards of random sizes, some tiny: every result
 * keeps its invariants, so it reads back from its JSON. */
static void test_merge_trees(void)
{
	int good = 1;

	for (int trial = 0; trial < 8 && good; trial++) {
		struct ml_kll *sh[16];
		int live = 16;
		for (int j = 0; j < 16; j++) {
			size_t n = next64() % 4 == 0 ? next64() % 20 : next64() % 60000;
			sh[j] = ml_kll_new(ML_KLL_K);
			for (size_t i = 0; i < n; i++)
				ml_kll_add(sh[j], unif());
		}
		while (live > 1) {
			int a = (int)(next64() % (uint64_t)live), b = (int)(next64() % (uint64_t)live);
			struct ml_kll *r;
			if (a == b)
				continue;
			ml_kll_merge(sh[a], sh[b]);
			ml_kll_free(sh[b]);
			sh[b] = sh[--live];
			r = reread(sh[a]);
			good &= r && same_json(r, sh[a]);
			ml_kll_free(r);
		}
		ml_kll_free(sh[0]);
	}
	ok(good, "sketches merged in random trees always read back from their JSON");
}

static void test_roundtrip(void)
{
	double *x = make(PARETO, 600000);
	struct ml_kll *s = sketch_of(x, 300000), *r = reread(s), *more;
	char *a = json_of(s), *b, *jq;
	int same = 1;

	b = r ? json_of(r) : strdup("");
	ok(r && strcmp(a, b) == 0, "to_json, from_json and to_json again give the same bytes");
	jq = through_jq(a);
	ml_kll_free(r);
	r = from_text(jq, NULL);
	ok(r && same_json(r, s), "the JSON as libjq prints it reads back to the same sketch");
	for (int i = 300000; i < 600000; i++) {
		ml_kll_add(s, x[i]);
		ml_kll_add(r, x[i]);
	}
	more = sketch_of(x, 100000);
	ml_kll_merge(s, more);
	ml_kll_merge(r, more);
	for (size_t i = 0; i < sizeof probes / sizeof *probes; i++)
		same &= ml_kll_quantile(s, probes[i]) == ml_kll_quantile(r, probes[i]);
	ok(same && same_json(s, r), "a sketch read back behaves as the one written under adds and merges");
	ml_kll_free(more);
	ml_kll_free(r);
	ml_kll_free(s);
	free(a);
	free(b);
	free(jq);
	free(x);
}

static void test_special_values(void)
{
	static const double vals[] = {
		-0.0, 0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, DBL_MAX, -DBL_MAX,
		0.1, 1.0 / 3, 123456789012345680.0, -2.5e-17, INFINITY, -INFINITY,
	};
	size_t nv = sizeof vals / sizeof *vals;
	struct ml_kll *s = ml_kll_new(ML_KLL_K), *r, *q;
	const double *v;
	const uint64_t *w;
	size_t n;
	int found = 1;
	char *j, *jq;

	for (size_t i = 0; i < nv; i++)
		ml_kll_add(s, vals[i]);
	r = reread(s);
	j = json_of(s);
	jq = through_jq(j);
	q = from_text(jq, NULL);
	ok(strstr(j, "\"inf\"") && strstr(j, "\"-inf\"") && strstr(j, "-0,") && strstr(j, "0.1,"),
	   "infinities write as \"inf\" and \"-inf\", -0 as -0, 0.1 as 0.1");
	ok(r && q && ml_kll_sorted(r, &v, &w, &n) == 0 && n == nv, "special values read back");
	for (size_t i = 0; r && i < nv; i++) {
		int hit = 0;
		for (size_t k = 0; k < n; k++)
			hit |= memcmp(&v[k], &vals[i], sizeof(double)) == 0;
		found &= hit;
	}
	ok(found, "-0, subnormals, DBL_MAX and infinities read back bit for bit");
	ok(q && same_json(q, s), "special values read back through libjq's printing too");
	ok(ml_kll_min(s) == -INFINITY && ml_kll_max(s) == INFINITY && ml_kll_quantile(s, 0) == -INFINITY,
	   "infinities are values like others: min -inf, max inf");
	ml_kll_free(s);
	ml_kll_free(r);
	ml_kll_free(q);
	free(j);
	free(jq);
}

/* from_json refuses text with a message naming what is wrong. */
static int refuses(const char *text, const char *says)
{
	struct ml_err err = {0};
	struct ml_kll *s = from_text(text, &err);

	if (s) {
		ml_kll_free(s);
		return 0;
	}
	if (!strstr(err.msg, says) || err.kind != ML_ERR_DATA) {
		printf("# message was: %s\n", err.msg);
		return 0;
	}
	return 1;
}

static void test_refusals(void)
{
	struct ml_kll *s;

	ok(refuses("", "expected '{'") && refuses("[1]", "expected '{'"),
	   "from_json refuses text that is not an object");
	ok(refuses("{\"k\":800,\"n\":1,\"min\":1", "expected"), "from_json refuses truncated text");
	ok(refuses("{\"k\":800,\"n\":1,\"min\":1,\"max\":1,\"levels\":[[1]]} x", "text after"),
	   "from_json refuses text after the object");
	ok(refuses("{\"k\":800,\"n\":1,\"min\":1,\"max\":1}", "no \"levels\""),
	   "from_json refuses a missing key");
	ok(refuses("{\"k\":800,\"n\":1,\"min\":1,\"max\":1,\"levels\":[[1]],\"x\":0}", "unknown key \"x\""),
	   "from_json refuses an unknown key");
	ok(refuses("{\"k\":800,\"k\":800,\"n\":1,\"min\":1,\"max\":1,\"levels\":[[1]]}", "twice"),
	   "from_json refuses a repeated key");
	ok(refuses("{\"k\":5,\"n\":1,\"min\":1,\"max\":1,\"levels\":[[1]]}", "outside 8..65535") &&
	   refuses("{\"k\":800.5,\"n\":1,\"min\":1,\"max\":1,\"levels\":[[1]]}", "not a count"),
	   "from_json refuses a k out of range or not an integer");
	ok(refuses("{\"k\":800,\"n\":-1,\"min\":1,\"max\":1,\"levels\":[[1]]}", "not a count") &&
	   refuses("{\"k\":800,\"n\":99999999999999999999,\"min\":1,\"max\":1,\"levels\":[[1]]}", "not a count"),
	   "from_json refuses a negative or oversized n");
	ok(refuses("{\"k\":800,\"n\":3,\"min\":1,\"max\":1,\"levels\":[[1]]}", "weights of the levels sum to 1"),
	   "from_json refuses an n that is not the sum of the weights");
	ok(refuses("{\"k\":800,\"n\":5,\"min\":1,\"max\":3,\"levels\":[[1],[3,2]]}", "level 1 is not in ascending order"),
	   "from_json refuses a level above 0 out of order");
	ok(refuses("{\"k\":800,\"n\":1,\"min\":1,\"max\":2,\"levels\":[[5]]}", "outside [min, max]") &&
	   refuses("{\"k\":800,\"n\":1,\"min\":3,\"max\":2,\"levels\":[[2.5]]}", "above"),
	   "from_json refuses values outside [min, max] and min above max");
	ok(refuses("{\"k\":800,\"n\":1,\"min\":1,\"max\":1,\"levels\":[[1],[]]}", "top level is empty"),
	   "from_json refuses an empty top level");
	ok(refuses("{\"k\":800,\"n\":0,\"min\":null,\"max\":null,\"levels\":[[1]]}", "\"n\" is 0") &&
	   refuses("{\"k\":800,\"n\":1,\"min\":null,\"max\":null,\"levels\":[[1]]}", "must be numbers"),
	   "from_json refuses min and max that disagree with n");
	ok(refuses("{\"k\":800,\"n\":1,\"min\":1,\"max\":1,\"levels\":[[\"nan\"]]}", "expected a number") &&
	   refuses("{\"k\":800,\"n\":1,\"min\":1,\"max\":1,\"levels\":[[NaN]]}", "expected a number") &&
	   refuses("{\"k\":800,\"n\":1,\"min\":1,\"max\":1,\"levels\":[[01]]}", "expected a number"),
	   "from_json refuses NaN and numbers outside JSON's grammar");
	ok(refuses("{\"k\":8,\"n\":9,\"min\":1,\"max\":1,\"levels\":[[1,1,1,1,1,1,1,1,1]]}", "more than k 8 holds"),
	   "from_json refuses more values than k allows");
	ok(refuses("{\"k\":800,\"n\":1,\"min\":1,\"max\":1,\"levels\":[1]}", "expected '['") &&
	   refuses("{\"k\":800,\"n\":1,\"min\":1,\"max\":1,\"levels\":[]}", "\"levels\" is empty"),
	   "from_json refuses levels that are not arrays of arrays");
	s = from_text(" {\"levels\" : [ [ 2 , 1 ] ] , \"max\":2,\"min\":1,\"n\":2,\"k\":800 } ", NULL);
	ok(s && ml_kll_quantile(s, 0.5) == 1,
	   "from_json takes the keys in any order, with whitespace, and level 0 unsorted");
	ml_kll_free(s);
}

/* A block merged the long way: a new sketch of it, merged in. */
static void merge_block(struct ml_kll *s, const double *v, size_t n)
{
	struct ml_kll *b = sketch_of(v, n);

	ml_kll_merge(s, b);
	ml_kll_free(b);
}

/* Feeds x[0..n) in blocks of m to one sketch by ml_kll_add_block and to
 * another by merge_block, then single values to both (which finds any
 * difference in the buffer's layout); whether both write the same bytes
 * after every block. */
static int blocks_agree(const double *x, size_t n, size_t m)
{
	struct ml_kll *a = ml_kll_new(ML_KLL_K), *b = ml_kll_new(ML_KLL_K);
	int same = 1;

	for (size_t i = 0, blocks = 0; i < n && same; i += m, blocks++) {
		size_t len = n - i < m ? n - i : m;
		same = ml_kll_add_block(a, x + i, len) == 0;
		merge_block(b, x + i, len);
		if (blocks % 64 == 0)
			same = same && same_json(a, b);
	}
	for (size_t i = 0; i < 5000 && same; i++) {
		ml_kll_add(a, x[i % n] * 0.5);
		ml_kll_add(b, x[i % n] * 0.5);
		if (i % 97 == 0)
			same = same_json(a, b);
	}
	same = same && same_json(a, b);
	ml_kll_free(a);
	ml_kll_free(b);
	return same;
}

static void test_add_block(void)
{
	static const size_t sizes[] = {512, 1, 37, 799, 800, 801, 3000};
	double *x;

	for (enum shape sh = UNIFORM; sh <= FEW_VALUES; sh++) {
		x = make(sh, 300000);
		int same = 1;
		/* small blocks copy the whole sketch each time the long way */
		for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
			same &= blocks_agree(x, sizes[i] < 37 ? 20000 : 300000, sizes[i]);
		ok(same, "blocks added at once give the bytes of a sketch of each block merged in (%s; "
		   "blocks of 1 to 3000 values)", shape_name[sh]);
		free(x);
	}
	/* NaN left out; -0 and +0, infinities and ties in every block */
	x = make(FEW_VALUES, 200000);
	for (size_t i = 0; i < 200000; i += 7)
		x[i] = i % 21 == 0 ? NAN : i % 5 == 0 ? -0.0 : i % 3 == 0 ? 0.0 : i % 2 ? INFINITY : -INFINITY;
	ok(blocks_agree(x, 200000, 512) && blocks_agree(x, 200000, 100),
	   "blocks with NaN, -0 and +0, infinities and ties give the same bytes as merging them");
	free(x);
	/* a sketch read back from JSON goes on as the one written */
	x = make(LOGNORMAL, 100000);
	struct ml_kll *a = ml_kll_new(ML_KLL_K), *b;
	for (size_t i = 0; i < 50000; i += 512)
		ml_kll_add_block(a, x + i, 50000 - i < 512 ? 50000 - i : 512);
	b = reread(a);
	for (size_t i = 50000; b && i < 100000; i += 512) {
		size_t len = 100000 - i < 512 ? 100000 - i : 512;
		ml_kll_add_block(a, x + i, len);
		merge_block(b, x + i, len);
	}
	ok(b && same_json(a, b), "a sketch read back from JSON takes blocks as the one written");
	ml_kll_free(a);
	ml_kll_free(b);
	free(x);
}

/* The number as the JSON form always wrote it: the shortest of %.15g,
 * %.16g and %.17g that reads back. */
static void reference_number(double x, char *s, size_t size)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(s, size, "%.*g", prec, x);
		if (strtod(s, NULL) == x)
			return;
	}
}

/* Whether each number of levels[] in the sketch's JSON is written as
 * reference_number writes it, and there are n of them. */
static int numbers_as_before(const struct ml_kll *s, size_t n)
{
	char *j = json_of(s), *p = strstr(j, "\"levels\":"), *end, want[40];
	size_t seen = 0;
	int same = p != NULL;

	for (p = p ? p + 9 : j; same && *p; p = end) {
		if (!strchr("-0123456789", *p)) {
			end = p + 1;
			continue;
		}
		double x = strtod(p, &end);
		reference_number(x, want, sizeof want);
		same = (size_t)(end - p) == strlen(want) && memcmp(p, want, strlen(want)) == 0;
		if (!same)
			printf("# wrote %.*s, before %s\n", (int)(end - p), p, want);
		seen++;
	}
	free(j);
	return same && seen == n;
}

static void test_number_text(void)
{
	static const double edges[] = {
		1e-4, 9.99e-5, 0.00012, 1e-5, 0.5, 1, 10, 100, 1000, 1e14, 99999999999999.9,
		999999999999999, 1e15, 1e16, 123456789012345, 1234567890123456, 0.1, 0.2, 0.3,
		1.0 / 3, 2.0 / 3, 1e300, 5e-324, 2.2250738585072014e-308, 4503599627370496.5,
		9007199254740993, 0.000123456789012345, 1.5e-4, 65536, 0.1 + 0.2,
	};
	int same = 1;

	for (int sign = 0; sign < 2; sign++) {
		struct ml_kll *s = ml_kll_new(ML_KLL_K);
		size_t n = sizeof edges / sizeof *edges;
		for (size_t i = 0; i < n; i++)
			ml_kll_add(s, sign ? -edges[i] : edges[i]);
		same &= numbers_as_before(s, n);
		ml_kll_free(s);
	}
	/* decimals of 1 to 17 digits with 0 to 12 after the point, and any bits */
	for (int round = 0; round < 400 && same; round++) {
		struct ml_kll *s = ml_kll_new(ML_KLL_K);
		for (int i = 0; i < 700; i++) {
			double x;
			if (i % 7 == 0) {
				uint64_t u = next64();
				memcpy(&x, &u, sizeof x);
				if (!isfinite(x))
					x = 1;
			} else {
				uint64_t digits = next64() % 17 + 1, m = next64() % 10000000000000000ULL;
				for (uint64_t d = digits; d < 17; d++)
					m /= 10;
				x = (double)m / pow(10, (double)(next64() % 13));
				x = i % 2 ? -x : x;
			}
			ml_kll_add(s, x);
		}
		same &= numbers_as_before(s, 700);
		ml_kll_free(s);
	}
	ok(same, "values are written as the shortest of %%.15g, %%.16g and %%.17g that reads back, "
	   "as before the quick way for short decimals");
}

static void test_determinism(void)
{
	double *x = make(CAUCHY, 500000);
	struct ml_kll *a = sketch_of(x, 500000), *b = sketch_of(x, 500000);

	ok(same_json(a, b), "two sketches fed the same values write the same bytes");
	ml_kll_free(a);
	ml_kll_free(b);
	free(x);
}

static void test_memory(void)
{
	struct ml_kll *s = ml_kll_new(ML_KLL_K);
	const double *v;
	const uint64_t *w;
	size_t n = 0, most = 0;

	for (uint64_t i = 0; i < 10000000; i++) {
		ml_kll_add(s, (double)(next64() >> 11));
		if ((i & 0xFFFFF) == 0 && ml_kll_sorted(s, &v, &w, &n) == 0 && n > most)
			most = n;
	}
	ml_kll_sorted(s, &v, &w, &n);
	if (n > most)
		most = n;
	ok(ml_kll_count(s) == 10000000 && most <= 3 * ML_KLL_K + 8 * 64,
	   "10^7 values keep at most 3k + 512 retained (most %zu, at the end %zu)", most, n);
	ml_kll_free(s);
}

int main(void)
{
	test_empty();
	test_single();
	test_constant();
	for (enum shape sh = UNIFORM; sh <= FEW_VALUES; sh++)
		test_shape(sh);
	test_sorted_view();
	test_merge();
	test_merge_empty();
	test_merge_trees();
	test_roundtrip();
	test_special_values();
	test_refusals();
	test_add_block();
	test_number_text();
	test_determinism();
	test_memory();
	return tap_done();
}
