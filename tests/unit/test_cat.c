/* Unit tests of common/ml_cat: exact counts, the space-saving and
 * HyperLogLog bounds, merges, and the JSON form. */
#include <inttypes.h>
#include <jv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_buf.h"
#include "ml_cat.h"
#include "ml_err.h"
#include "tap.h"

#define S(lit) lit, sizeof(lit) - 1

#define ZIPF_N 1000000
#define ZIPF_D 100000

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* A stream of ZIPF_N ranks in [0, ZIPF_D) drawn from Zipf(1), and the
 * true count of each rank.  Value of rank r: "z<r>". */
static uint32_t *zipf_stream(uint32_t *truth)
{
	double *cdf = malloc(ZIPF_D * sizeof *cdf), sum = 0;
	uint32_t *s = malloc(ZIPF_N * sizeof *s);

	for (uint32_t r = 0; r < ZIPF_D; r++)
		cdf[r] = sum += 1.0 / (r + 1);
	rng_state = 42;
	memset(truth, 0, ZIPF_D * sizeof *truth);
	for (size_t i = 0; i < ZIPF_N; i++) {
		double u = (double)(rng() >> 11) / 9007199254740992.0 * sum;
		uint32_t lo = 0, hi = ZIPF_D - 1;
		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;
			if (cdf[mid] > u)
				hi = mid;
			else
				lo = mid + 1;
		}
		s[i] = lo;
		truth[lo]++;
	}
	free(cdf);
	return s;
}

static int add_rank(struct ml_cat *c, uint32_t r)
{
	char v[16];

	return ml_cat_add(c, v, (size_t)snprintf(v, sizeof v, "z%" PRIu32, r));
}

static int add_str(struct ml_cat *c, const char *s, unsigned times)
{
	for (unsigned i = 0; i < times; i++)
		if (ml_cat_add(c, s, strlen(s)) < 0)
			return -1;
	return 0;
}

/* The rank of a "z<r>" value, or -1. */
static long rank_of(const char *v, size_t n)
{
	char b[16];

	if (n < 2 || n >= sizeof b || v[0] != 'z')
		return -1;
	memcpy(b, v, n);
	b[n] = '\0';
	return strtol(b + 1, NULL, 10);
}

/* Checks the space-saving guarantees of c against the true counts:
 * every held value has true <= count <= true + error and error <=
 * n / capacity, and every value with true count above n / capacity is
 * held.  Says why on failure. */
static int bounds_hold(const struct ml_cat *c, const uint32_t *truth, size_t capacity)
{
	uint64_t n = ml_cat_total(c), bound = n / capacity;
	struct ml_cat_item *top = malloc(capacity * sizeof *top);
	size_t k = ml_cat_top(c, capacity, top);
	int good = 1;

	for (size_t i = 0; i < k && good; i++) {
		long r = rank_of(top[i].value, top[i].len);
		uint64_t t = r >= 0 ? truth[r] : 0;
		if (r < 0 || t > top[i].count || top[i].count > t + top[i].error || top[i].error > bound) {
			printf("# %.*s: true %" PRIu64 ", count %" PRIu64 ", error %" PRIu64 ", n/capacity %" PRIu64 "\n",
			       (int)top[i].len, top[i].value, t, top[i].count, top[i].error, bound);
			good = 0;
		}
	}
	for (uint32_t r = 0; r < ZIPF_D && good; r++) {
		char v[16];
		uint64_t err;
		int n1 = snprintf(v, sizeof v, "z%" PRIu32, r);
		uint64_t cnt = ml_cat_count(c, v, (size_t)n1, &err);
		if (truth[r] > bound && cnt == 0) {
			printf("# %s: true %" PRIu32 " > n/capacity %" PRIu64 " but not held\n", v, truth[r], bound);
			good = 0;
		}
		if (cnt == 0 && truth[r] > err) {
			printf("# %s: not held, true %" PRIu32 " above the bound %" PRIu64 "\n", v, truth[r], err);
			good = 0;
		}
	}
	free(top);
	return good;
}

static int json_of(const struct ml_cat *c, struct ml_buf *b)
{
	ml_buf_reset(b);
	return ml_cat_to_json(c, b);
}

/* A copy of c through its JSON. */
static struct ml_cat *clone(const struct ml_cat *c, size_t exact_limit)
{
	struct ml_buf b = {0};
	struct ml_err err;
	struct ml_cat *d;

	json_of(c, &b);
	d = ml_cat_from_json(b.data, b.len, exact_limit, &err);
	if (!d)
		printf("# clone: %s\n", err.msg);
	ml_buf_free(&b);
	return d;
}

static int same_json(const struct ml_cat *a, const struct ml_cat *b)
{
	struct ml_buf x = {0}, y = {0};
	int same;

	json_of(a, &x);
	json_of(b, &y);
	same = x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
	ml_buf_free(&x);
	ml_buf_free(&y);
	return same;
}

/* Same total, distinct count, top list and errors. */
static int same_answers(const struct ml_cat *a, const struct ml_cat *b)
{
	struct ml_cat_item x[2000], y[2000];
	int ea, eb;
	size_t na = ml_cat_top(a, 2000, x), nb = ml_cat_top(b, 2000, y);

	if (ml_cat_total(a) != ml_cat_total(b) || ml_cat_distinct(a, &ea) != ml_cat_distinct(b, &eb) ||
	    ea != eb || na != nb)
		return 0;
	for (size_t i = 0; i < na; i++) {
		uint64_t e1, e2;
		if (x[i].len != y[i].len || memcmp(x[i].value, y[i].value, x[i].len) != 0 ||
		    x[i].count != y[i].count || x[i].error != y[i].error ||
		    ml_cat_count(a, x[i].value, x[i].len, &e1) != ml_cat_count(b, x[i].value, x[i].len, &e2) ||
		    e1 != e2)
			return 0;
	}
	return 1;
}

static double rel_err(uint64_t est, uint64_t truth)
{
	return fabs((double)est - (double)truth) / (double)truth;
}

static int item_is(const struct ml_cat_item *it, const char *v, uint64_t count, uint64_t error)
{
	return it->len == strlen(v) && memcmp(it->value, v, it->len) == 0 && it->count == count &&
	       it->error == error;
}

static void test_exact(void)
{
	struct ml_cat *c = ml_cat_new(ML_CAT_EXACT_LIMIT, ML_CAT_CAPACITY);
	struct ml_cat_item top[8];
	uint64_t err = 99;
	int exact = 0;

	add_str(c, "b", 1);
	add_str(c, "a", 3);
	add_str(c, "y", 2);
	add_str(c, "x", 2);
	ok(ml_cat_total(c) == 8 && ml_cat_distinct(c, &exact) == 4 && exact == 1,
	   "exact counting of a few values gives the total and the exact distinct count");
	ok(ml_cat_top(c, 8, top) == 4 && item_is(&top[0], "a", 3, 0) && item_is(&top[1], "x", 2, 0) &&
	   item_is(&top[2], "y", 2, 0) && item_is(&top[3], "b", 1, 0),
	   "top orders by count descending, then by value ascending, with error 0");
	ok(ml_cat_top(c, 2, top) == 2 && item_is(&top[0], "a", 3, 0) && item_is(&top[1], "x", 2, 0) &&
	   ml_cat_top(c, 0, top) == 0, "top with k below the number of values gives the k first");
	ok(ml_cat_count(c, S("y"), &err) == 2 && err == 0, "count of a value held is exact");
	err = 99;
	ok(ml_cat_count(c, S("nope"), &err) == 0 && err == 0, "count of a value never seen is 0 with error 0");
	ok(ml_cat_distinct(c, NULL) == 4 && ml_cat_count(c, S("a"), NULL) == 3,
	   "distinct and count take NULL for what the caller does not want");
	ml_cat_free(c);
	ok(ml_cat_new(10, 0) == NULL, "a counter with capacity 0 is refused");
	ml_cat_free(NULL);
	c = ml_cat_new(10, 5);
	ok(ml_cat_total(c) == 0 && ml_cat_distinct(c, &exact) == 0 && exact && ml_cat_top(c, 8, top) == 0,
	   "an empty counter has no values, total 0 and distinct 0");
	ml_cat_free(c);
}

static void test_switch(void)
{
	struct ml_cat *c = ml_cat_new(5, 3);
	struct ml_cat_item top[8];
	uint64_t err;
	int exact;

	add_str(c, "a", 5);
	add_str(c, "b", 4);
	add_str(c, "c", 3);
	add_str(c, "d", 2);
	add_str(c, "e", 1);
	ok(ml_cat_distinct(c, &exact) == 5 && exact, "exact_limit distinct values are still counted exactly");
	add_str(c, "f", 1);
	ok(ml_cat_distinct(c, &exact) == 6 && !exact,
	   "one more distinct value switches to the sketch (and HyperLogLog says 6)");
	ok(ml_cat_top(c, 8, top) == 3 && item_is(&top[0], "a", 5, 0) && item_is(&top[1], "b", 4, 0) &&
	   item_is(&top[2], "c", 3, 0), "the switch keeps the capacity largest exact counts, errors 0");
	ok(ml_cat_total(c) == 16, "the total stays exact through the switch");
	add_str(c, "g", 1);
	ok(ml_cat_top(c, 8, top) == 3 && item_is(&top[0], "a", 5, 0) && item_is(&top[1], "b", 4, 0) &&
	   item_is(&top[2], "g", 4, 3), "a new value replaces the minimum counter: count min + 1, error min");
	ok(ml_cat_count(c, S("c"), &err) == 0 && err == 4,
	   "count of a value not held is 0, and error bounds its true count by the minimum counter");
	add_str(c, "a", 2);
	ok(ml_cat_count(c, S("a"), &err) == 7 && err == 0, "a value held keeps counting exactly");
	ml_cat_free(c);

	c = ml_cat_new(2, 10);
	add_str(c, "p", 2);
	add_str(c, "q", 1);
	add_str(c, "r", 1);
	add_str(c, "s", 1);
	ok(ml_cat_top(c, 8, top) == 4 && item_is(&top[0], "p", 2, 0) && item_is(&top[3], "s", 1, 0) &&
	   ml_cat_distinct(c, &exact) == 4 && !exact,
	   "with capacity above exact_limit the summary fills its free counters with error 0");
	ml_cat_free(c);
}

static void test_space_saving(const uint32_t *stream, const uint32_t *truth)
{
	struct ml_cat *c = ml_cat_new(ML_CAT_EXACT_LIMIT, ML_CAT_CAPACITY);
	size_t heavy = 0, truly_distinct = 0;
	struct ml_cat_item top[10];
	int exact, fails = 0;

	for (size_t i = 0; i < ZIPF_N; i++)
		fails += add_rank(c, stream[i]) < 0;
	for (uint32_t r = 0; r < ZIPF_D; r++) {
		heavy += truth[r] > ZIPF_N / ML_CAT_CAPACITY;
		truly_distinct += truth[r] > 0;
	}
	ok(fails == 0 && ml_cat_total(c) == ZIPF_N, "a Zipf stream of 10^6 values over 10^5 counts every value");
	ok(bounds_hold(c, truth, ML_CAT_CAPACITY),
	   "space saving on Zipf(1): true <= count <= true + error <= true + n/capacity for every value held, "
	   "and all %zu values above n/capacity are held", heavy);
	ok(ml_cat_top(c, 10, top) == 10 && rank_of(top[0].value, top[0].len) == 0 &&
	   rank_of(top[9].value, top[9].len) == 9, "the ten most frequent Zipf values come first, in order");
	uint64_t d = ml_cat_distinct(c, &exact);
	printf("# distinct: %zu true, %" PRIu64 " estimated (%.2f%%)\n", truly_distinct, d,
	       100 * rel_err(d, truly_distinct));
	ok(!exact && rel_err(d, truly_distinct) < 0.02, "the distinct estimate of the Zipf stream is within 2%%");
	ml_cat_free(c);
}

static uint64_t distinct_of(size_t d, size_t exact_limit, size_t capacity, unsigned salt, int *exact)
{
	struct ml_cat *c = ml_cat_new(exact_limit, capacity);
	uint64_t r;

	/* each value twice, so that the clamp to n hides no overestimate */
	for (int twice = 0; twice < 2; twice++)
		for (size_t i = 0; i < d; i++) {
			char v[32];
			ml_cat_add(c, v, (size_t)snprintf(v, sizeof v, "k%u-%zu", salt, i));
		}
	r = ml_cat_distinct(c, exact);
	ml_cat_free(c);
	return r;
}

static void test_hll(void)
{
	int exact;
	uint64_t e5 = distinct_of(100000, ML_CAT_EXACT_LIMIT, ML_CAT_CAPACITY, 0, &exact);
	uint64_t e6 = distinct_of(1000000, ML_CAT_EXACT_LIMIT, ML_CAT_CAPACITY, 0, &exact);
	double worst = 0, sum = 0;
	int all = 1;

	printf("# HyperLogLog: 10^5 -> %" PRIu64 " (%.2f%%), 10^6 -> %" PRIu64 " (%.2f%%)\n", e5,
	       100 * rel_err(e5, 100000), e6, 100 * rel_err(e6, 1000000));
	ok(rel_err(e5, 100000) < 0.02 && !exact, "HyperLogLog estimates 10^5 distinct values within 2%%");
	ok(rel_err(e6, 1000000) < 0.02 && !exact, "HyperLogLog estimates 10^6 distinct values within 2%%");
	ok(distinct_of(ML_CAT_EXACT_LIMIT, ML_CAT_EXACT_LIMIT, ML_CAT_CAPACITY, 0, &exact) == ML_CAT_EXACT_LIMIT && exact,
	   "below the limit the distinct count is exact");
	/* every range with the estimator alone: exact_limit 0 and 4 counters,
	 * so that the clamp to [values held, n] says little */
	static const size_t sizes[] = {5, 10, 30, 100, 300, 1000, 3000, 10000, 20000, 50000, 200000};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint64_t e = distinct_of(sizes[i], 0, 4, 7, &exact);
		double r = rel_err(e, sizes[i]);
		if (r > worst)
			worst = r;
		if (exact || (r >= 0.02 && (e > sizes[i] + 1 || e + 1 < sizes[i]))) {
			printf("# %zu distinct estimated as %" PRIu64 "\n", sizes[i], e);
			all = 0;
		}
	}
	ok(all, "with exact_limit 0 the estimate is within 2%% (or 1) from 5 to 2*10^5 distinct values (worst %.2f%%)",
	   100 * worst);
	/* the spread over 20 independent sets: the standard error is 0.81% */
	for (unsigned s = 0; s < 20; s++)
		sum += pow(rel_err(distinct_of(30000, 0, 4, 100 + s, &exact), 30000), 2);
	printf("# rms relative error over 20 sets of 30000: %.2f%%\n", 100 * sqrt(sum / 20));
	ok(sqrt(sum / 20) < 0.0125, "the root-mean-square error over 20 sets is near the 0.81%% standard error");
}

static void test_merge_exact(void)
{
	struct ml_cat *a = ml_cat_new(4, 2), *b = ml_cat_new(4, 2);
	struct ml_cat_item top[8];
	int exact;

	add_str(a, "a", 2);
	add_str(a, "b", 1);
	add_str(b, "b", 3);
	add_str(b, "c", 1);
	ok(ml_cat_merge(a, b) == 0 && ml_cat_total(a) == 7 && ml_cat_distinct(a, &exact) == 3 && exact &&
	   ml_cat_top(a, 8, top) == 3 && item_is(&top[0], "b", 4, 0) && item_is(&top[1], "a", 2, 0) &&
	   item_is(&top[2], "c", 1, 0), "merging exact counts whose union fits stays exact and adds counts");
	ok(ml_cat_total(b) == 4 && ml_cat_distinct(b, NULL) == 2, "merging leaves its source as it was");
	ok(ml_cat_merge(a, a) == 0 && ml_cat_total(a) == 14 && ml_cat_count(a, S("b"), NULL) == 8,
	   "merging a counter into itself doubles it");
	ml_cat_free(b);
	b = ml_cat_new(4, 2);
	add_str(b, "d", 1);
	add_str(b, "e", 5);
	ok(ml_cat_merge(a, b) == 0 && ml_cat_total(a) == 20 && ml_cat_distinct(a, &exact) == 5 && !exact &&
	   ml_cat_top(a, 8, top) == 2 && item_is(&top[0], "b", 8, 0) && item_is(&top[1], "e", 5, 0),
	   "merging exact counts whose union passes exact_limit switches to the sketch, errors 0");
	ml_cat_free(a);
	ml_cat_free(b);
}

static void test_merge_sketch(const uint32_t *stream, const uint32_t *truth)
{
	enum { SHARDS = 4 };
	struct ml_cat *s[SHARDS], *a, *b, *ab, *ba;
	size_t per = ZIPF_N / SHARDS, truly_distinct = 0;
	int exact;

	for (uint32_t r = 0; r < ZIPF_D; r++)
		truly_distinct += truth[r] > 0;
	for (int k = 0; k < SHARDS; k++) {
		s[k] = ml_cat_new(ML_CAT_EXACT_LIMIT, ML_CAT_CAPACITY);
		for (size_t i = k * per; i < (k + 1) * per; i++)
			add_rank(s[k], stream[i]);
	}
	{
		struct ml_cat *x = clone(s[0], ML_CAT_EXACT_LIMIT), *y = clone(s[1], ML_CAT_EXACT_LIMIT);
		struct ml_cat *e = ml_cat_new(ML_CAT_EXACT_LIMIT, 5);
		ok(x && y && ml_cat_merge(x, s[1]) == 0 && ml_cat_merge(y, s[0]) == 0 && same_json(x, y),
		   "merging sketches is symmetric: a + b and b + a give the same bytes");
		ok(ml_cat_merge(e, s[0]) == 0 && same_json(e, s[0]),
		   "merging a sketch into an empty counter copies the sketch");
		ml_cat_free(x);
		ml_cat_free(y);
		ml_cat_free(e);
	}
	/* ((s0 + s1) + (s2 + s3)): merged summaries merged again */
	ok(ml_cat_merge(s[0], s[1]) == 0 && ml_cat_merge(s[2], s[3]) == 0 && ml_cat_merge(s[0], s[2]) == 0 &&
	   ml_cat_total(s[0]) == ZIPF_N, "merging four sketches of shards of a stream gives the exact total");
	ok(bounds_hold(s[0], truth, ML_CAT_CAPACITY),
	   "the merged sketch keeps the space-saving bounds for the whole stream");
	uint64_t d = ml_cat_distinct(s[0], &exact);
	printf("# merged distinct: %zu true, %" PRIu64 " estimated (%.2f%%)\n", truly_distinct, d,
	       100 * rel_err(d, truly_distinct));
	ok(!exact && rel_err(d, truly_distinct) < 0.02, "the merged distinct estimate is within 2%%");
	for (int k = 0; k < SHARDS; k++)
		ml_cat_free(s[k]);

	/* an exact side: the first 30000 values, counted exactly */
	a = ml_cat_new(ZIPF_N, ML_CAT_CAPACITY);
	b = ml_cat_new(ML_CAT_EXACT_LIMIT, ML_CAT_CAPACITY);
	for (size_t i = 0; i < ZIPF_N; i++)
		add_rank(i < 30000 ? a : b, stream[i]);
	ml_cat_distinct(a, &exact);
	ab = clone(a, ZIPF_N);
	ba = clone(b, ML_CAT_EXACT_LIMIT);
	ok(exact && ab && ba && ml_cat_merge(ab, b) == 0 && ml_cat_merge(ba, a) == 0,
	   "exact counts merge with a sketch, in either order");
	ok(ml_cat_total(ab) == ZIPF_N && bounds_hold(ab, truth, ML_CAT_CAPACITY),
	   "exact + sketch gives the exact total and keeps the bounds");
	ok(same_json(ab, ba), "exact + sketch and sketch + exact give the same bytes");
	d = ml_cat_distinct(ab, &exact);
	ok(!exact && rel_err(d, truly_distinct) < 0.02, "exact + sketch estimates the distinct count within 2%%");
	ml_cat_free(a);
	ml_cat_free(b);
	ml_cat_free(ab);
	ml_cat_free(ba);

	/* a small capacity, where merges must drop many counters */
	a = ml_cat_new(100, 50);
	b = ml_cat_new(100, 80);
	for (size_t i = 0; i < ZIPF_N; i++)
		add_rank(i % 3 ? a : b, stream[i]);
	ok(ml_cat_merge(b, a) == 0 && ml_cat_total(b) == ZIPF_N && bounds_hold(b, truth, 50),
	   "merging sketches of capacities 50 and 80 keeps the bounds of capacity 50");
	ml_cat_free(a);
	ml_cat_free(b);
}

static void test_json(const uint32_t *stream)
{
	struct ml_cat *c = ml_cat_new(ML_CAT_EXACT_LIMIT, ML_CAT_CAPACITY), *d, *e;
	struct ml_buf b = {0};

	add_str(c, "x", 3);
	add_str(c, "y", 1);
	json_of(c, &b);
	ml_buf_terminate(&b);
	ok(strcmp(b.data, "{\"exact\":true,\"n\":4,\"values\":[[\"x\",3],[\"y\",1]]}") == 0,
	   "exact counts are written as {\"exact\":true,\"n\":..,\"values\":[[value,count],...]}");
	d = clone(c, ML_CAT_EXACT_LIMIT);
	ok(d && same_json(c, d) && same_answers(c, d), "exact counts round-trip through JSON");
	ml_cat_free(d);
	d = clone(c, 1);
	ok(d && ml_cat_distinct(d, NULL) == 2 && !same_json(c, d) && ml_cat_count(d, S("x"), NULL) == 3,
	   "exact counts read back with a smaller exact_limit become a sketch");
	ml_cat_free(d);
	ml_cat_free(c);

	c = ml_cat_new(ML_CAT_EXACT_LIMIT, ML_CAT_CAPACITY);
	for (size_t i = 0; i < 300000; i++)
		add_rank(c, stream[i]);
	json_of(c, &b);
	static const char head[] = "{\"exact\":false,\"n\":300000,\"capacity\":1000,\"values\":[[\"z0\",";
	ok(b.len > 21860 + sizeof head && memcmp(b.data, head, sizeof head - 1) == 0 &&
	   memcmp(b.data + b.len - 21860, "]],\"hll\":\"", 10) == 0 && memcmp(b.data + b.len - 4, "==\"}", 4) == 0,
	   "a sketch is written with n, capacity, [value,count,error] triples and 21848 base64 characters");
	d = clone(c, ML_CAT_EXACT_LIMIT);
	ok(d && same_json(c, d) && same_answers(c, d),
	   "a sketch round-trips through JSON: identical bytes and identical answers");
	e = clone(c, 0);
	ok(e && same_json(c, e), "a sketch read back with any exact_limit is the same sketch");
	for (size_t i = 300000; i < 600000; i++) {
		add_rank(c, stream[i]);
		add_rank(d, stream[i]);
	}
	ok(d && same_json(c, d), "a sketch read back goes on exactly as the original (same replacements)");
	ml_cat_free(d);
	ml_cat_free(e);
	ml_cat_free(c);
	ml_buf_free(&b);
}

static void test_bad_json(void)
{
	struct ml_cat *c = ml_cat_new(0, 4);
	struct ml_buf good = {0}, t = {0};
	struct ml_err err;
	struct ml_cat *d;
	size_t h;
	int all = 1;

	add_str(c, "a", 3);
	add_str(c, "b", 1);
	json_of(c, &good);
	ml_buf_terminate(&good);
	h = (size_t)(strstr(good.data, "\"hll\":\"") - good.data) + 7;
	d = ml_cat_from_json(good.data, good.len, 10, &err);
	ok(d != NULL, "the sketch to be broken reads back");
	ml_cat_free(d);
	static const char *const bad[] = {
		"", "   ", "[]", "{", "{}", "null", "{\"exact\":true}", "{\"n\":0,\"values\":[]}",
		"{\"exact\":true,\"n\":3,\"values\":[[\"a\",2]]}",
		"{\"exact\":true,\"n\":1,\"values\":[[\"a\",-1]]}",
		"{\"exact\":true,\"n\":1,\"values\":[[\"a\",1.0]]}",
		"{\"exact\":true,\"n\":1000,\"values\":[[\"a\",1e3]]}",
		"{\"exact\":true,\"n\":1,\"values\":[[\"a\",01]]}",
		"{\"exact\":true,\"n\":0,\"values\":[[\"a\",0]]}",
		"{\"exact\":true,\"n\":2,\"values\":[[\"a\",1],[\"a\",1]]}",
		"{\"exact\":true,\"n\":2,\"values\":[[\"a\",1],[\"\\u0061\",1]]}",
		"{\"exact\":true,\"n\":1,\"values\":[[\"a\",1,0]]}",
		"{\"exact\":true,\"n\":1,\"values\":[[1,1]]}",
		"{\"exact\":true,\"n\":1,\"values\":[\"a\",1]}",
		"{\"exact\":true,\"n\":1,\"values\":[[\"a\"]]}",
		"{\"exact\":true,\"n\":1,\"values\":[[\"a\",1],]}",
		"{\"exact\":true,\"n\":1,\"values\":[[\"a\",1]],\"extra\":1}",
		"{\"exact\":true,\"n\":1,\"n\":1,\"values\":[[\"a\",1]]}",
		"{\"exact\":true,\"n\":1,\"capacity\":5,\"values\":[[\"a\",1]]}",
		"{\"exact\":1,\"n\":1,\"values\":[[\"a\",1]]}",
		"{\"exact\":true,\"n\":\"1\",\"values\":[[\"a\",1]]}",
		"{\"exact\":true,\"n\":18446744073709551616,\"values\":[]}",
		"{\"exact\":true,\"n\":2,\"values\":[[\"a\",18446744073709551615],[\"b\",3]]}",
		"{\"exact\":true,\"n\":1,\"values\":[[\"a\\ud800\",1]]}",
		"{\"exact\":true,\"n\":1,\"values\":[[\"a\xff\",1]]}",
		"{\"exact\":true,\"n\":1,\"values\":[[\"a\",1]]} x",
		"{\"exact\":true,\"n\":1,\"values\":[[\"a\",1]]}{}",
		"{\"exact\":false,\"n\":1,\"capacity\":4,\"values\":[[\"a\",1,0]]}",
		"{\"exact\":false,\"n\":1,\"capacity\":0,\"values\":[],\"hll\":\"\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ml_err_clear(&err);
		d = ml_cat_from_json(bad[i], strlen(bad[i]), 10, &err);
		if (d || err.kind != ML_ERR_DATA || !err.msg[0]) {
			printf("# wrongly accepted: %s\n", bad[i]);
			all = 0;
		}
		ml_cat_free(d);
	}
	ok(all, "from_json rejects %zu malformed or inconsistent exact texts with a message",
	   sizeof bad / sizeof bad[0]);
	d = ml_cat_from_json(S("{\"exact\":true,\"n\":3,\"values\":[[\"a\",2]]}"), 10, &err);
	printf("# for example: %s\n", err.msg);
	ok(!d && strstr(err.msg, "sum") != NULL, "the message says what is inconsistent");

	/* breaking the sketch one piece at a time */
	struct {
		const char *from, *to, *why;
	} edits[] = {
		{"\"capacity\":4", "\"capacity\":1", "more values than capacity"},
		{"\"capacity\":4", "\"capacity\":0", "capacity 0"},
		{"\"n\":4", "\"n\":3", "counts summing above n"},
		{"[\"a\",3,0]", "[\"a\",3,3]", "an error as large as its count"},
		{"[\"a\",3,0]", "[\"a\",3]", "a pair in a sketch"},
		{"\"exact\":false", "\"exact\":true", "exact with capacity and hll"},
		{",\"hll\":\"", ",\"hl\":\"", "a misspelt key"},
	};
	all = 1;
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		char *at = strstr(good.data, edits[i].from);
		ml_buf_reset(&t);
		ml_buf_add(&t, good.data, (size_t)(at - good.data));
		ml_buf_adds(&t, edits[i].to);
		ml_buf_adds(&t, at + strlen(edits[i].from));
		if ((d = ml_cat_from_json(t.data, t.len, 10, &err)) != NULL) {
			printf("# accepted %s\n", edits[i].why);
			all = 0;
		}
		ml_cat_free(d);
	}
	ok(all, "from_json rejects a sketch with too many values, capacity 0, counts above n, error >= count, "
	   "pairs, or a misnamed key");

	ml_buf_reset(&t);
	ml_buf_add(&t, good.data, good.len);
	t.data[h + 5] = '!';
	d = ml_cat_from_json(t.data, t.len, 10, &err);
	ok(!d && strstr(err.msg, "base64"), "from_json rejects a register string with a character outside base64");
	ml_cat_free(d);
	ml_buf_reset(&t);
	ml_buf_add(&t, good.data, h + 100);
	ml_buf_add(&t, good.data + h + 104, good.len - h - 104);
	d = ml_cat_from_json(t.data, t.len, 10, &err);
	ok(!d && strstr(err.msg, "21848"), "from_json rejects a register string of the wrong length");
	ml_cat_free(d);
	ml_buf_reset(&t);
	ml_buf_add(&t, good.data, good.len);
	memcpy(t.data + h, "0000", 4);	/* 0xD3 0x4D 0x34: a register of 211 */
	d = ml_cat_from_json(t.data, t.len, 10, &err);
	printf("# for example: %s\n", err.msg);
	ok(!d && strstr(err.msg, "register"), "from_json rejects a register above the largest rank (51)");
	ml_cat_free(d);
	ml_buf_reset(&t);
	ml_buf_add(&t, good.data, good.len);
	memcpy(t.data + good.len - 6, "AB", 2);	/* last byte 0x00 but a padding bit set */
	d = ml_cat_from_json(t.data, t.len, 10, &err);
	ok(!d, "from_json rejects base64 with bits set in the padding");
	ml_cat_free(d);
	ml_buf_free(&t);
	ml_buf_free(&good);
	ml_cat_free(c);
}

static void test_odd_values(void)
{
	static const struct {
		const char *s;
		size_t n;
	} v[] = {
		{"", 0}, {S("say \"hi\"")}, {S("back\\slash")}, {S("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80")},
		{S("\x01\t\n\r\x1F\x7F")}, {"a\0b", 3}, {S("\xE2\x80\xA8 / </script>")},
	};
	size_t nv = sizeof v / sizeof v[0];
	int all = 1;

	for (int mode = 0; mode < 2; mode++) {
		/* exact, then a sketch that holds them all (exact_limit 0) */
		struct ml_cat *c = ml_cat_new(mode ? 0 : 100, 100), *d;
		struct ml_buf b = {0};
		for (size_t i = 0; i < nv; i++)
			for (size_t k = 0; k <= i; k++)
				ml_cat_add(c, v[i].s, v[i].n);
		d = clone(c, mode ? 0 : 100);
		json_of(c, &b);
		jv j = jv_parse_sized(b.data, (int)b.len);
		int jq_ok = jv_get_kind(j) == JV_KIND_OBJECT;
		jv vals = jq_ok ? jv_object_get(jv_copy(j), jv_string("values")) : jv_invalid();
		jq_ok = jq_ok && jv_get_kind(vals) == JV_KIND_ARRAY && (size_t)jv_array_length(jv_copy(vals)) == nv;
		for (size_t i = 0; jq_ok && i < nv; i++) {
			/* the listing is by count descending: v[nv - 1 - i] has count nv - i */
			jv pair = jv_array_get(jv_copy(vals), (int)i);
			jv s = jv_array_get(jv_copy(pair), 0);
			jq_ok = jv_get_kind(s) == JV_KIND_STRING &&
				(size_t)jv_string_length_bytes(jv_copy(s)) == v[nv - 1 - i].n &&
				memcmp(jv_string_value(s), v[nv - 1 - i].s, v[nv - 1 - i].n) == 0;
			jv_free(s);
			jv_free(pair);
		}
		jv_free(vals);
		jv_free(j);
		ok(jq_ok, "%s: jq parses the JSON and reads back every odd value's bytes",
		   mode ? "sketch" : "exact");
		for (size_t i = 0; i < nv; i++) {
			uint64_t e1, e2;
			if (!d || ml_cat_count(d, v[i].s, v[i].n, &e1) != i + 1 ||
			    ml_cat_count(c, v[i].s, v[i].n, &e2) != i + 1 || e1 != 0)
				all = 0;
		}
		ok(all && d && same_json(c, d),
		   "%s: the empty string, quotes, backslashes, UTF-8, control characters and NUL survive a round trip",
		   mode ? "sketch" : "exact");
		ml_buf_free(&b);
		ml_cat_free(c);
		ml_cat_free(d);
	}
}

static void test_determinism(const uint32_t *stream)
{
	struct ml_cat *a = ml_cat_new(ML_CAT_EXACT_LIMIT, ML_CAT_CAPACITY);
	struct ml_cat *b = ml_cat_new(ML_CAT_EXACT_LIMIT, ML_CAT_CAPACITY);

	for (size_t i = 0; i < ZIPF_N / 2; i++)
		add_rank(a, stream[i]);
	for (size_t i = 0; i < ZIPF_N / 2; i++)
		add_rank(b, stream[i]);
	ok(same_json(a, b), "the same values in the same order give the same bytes");
	ml_cat_free(a);
	ml_cat_free(b);
}

int main(void)
{
	uint32_t *truth = malloc(ZIPF_D * sizeof *truth);
	uint32_t *stream = zipf_stream(truth);

	test_exact();
	test_switch();
	test_space_saving(stream, truth);
	test_hll();
	test_merge_exact();
	test_merge_sketch(stream, truth);
	test_json(stream);
	test_bad_json();
	test_odd_values();
	test_determinism(stream);
	free(stream);
	free(truth);
	return tap_done();
}
