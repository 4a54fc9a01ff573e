/* ml_kll: the KLL quantile sketch, laid out as Apache DataSketches lays it
 * out: one buffer holding free space, then level 0 (unsorted, growing down
 * into the free space), then levels 1.. (each sorted; an item of level h
 * stands for 2^h values).  Level h of L has capacity
 * max(8, round(k * (2/3)^(L-1-h))), so the top level holds k and the whole
 * buffer about 3k.  When the buffer is full, the lowest level at or over its
 * capacity is compacted: sorted, every other item kept (odd or even offset
 * by a coin) and merged into the level above; a compaction of the top level
 * first adds a level.  A merge concatenates the levels of both sketches and
 * compacts bottom up (the paper's merge).
 *
 * The coin is not a stored generator state (the JSON form has none): it is a
 * splitmix64 hash of a fixed seed, the count, the level and the compacted
 * items.  A sketch read back from JSON therefore flips the same coins as the
 * one written, and shards of one column, which compact at the same counts,
 * still flip independent coins. */
#include "ml_kll.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"

enum {
	KLL_M = 8,              /* smallest level capacity */
	KLL_MAX_K = 65535,
	KLL_MAX_LEVELS = 64,    /* an item of level 63 weighs 2^63 */
};

#define KLL_SEED 0x6d6c6b6c6c736b31ULL  /* "mlkllsk1" */

struct ml_kll {
	uint32_t k;
	uint32_t nlev;
	uint64_t n;
	double min, max;                /* +inf and -inf while empty */
	double *items;                  /* lev[nlev] slots */
	uint32_t lev[KLL_MAX_LEVELS + 2];
	uint32_t cap[KLL_MAX_LEVELS];   /* level_cap(k, nlev, h) */
	/* the sorted view: one block, valid until the next change */
	void *view;
	double *vval;
	uint64_t *vweight, *vcum;
	size_t vn;
};

/* ---- capacities ---- */

/* round(k * (2/3)^depth), floored at KLL_M, in integers (as DataSketches). */
static uint32_t depth_cap(uint32_t k, uint32_t depth)
{
	uint64_t p3 = 1, c;

	if (depth > 30)         /* 65535 * (2/3)^31 < 1 */
		return KLL_M;
	for (uint32_t i = 0; i < depth; i++)
		p3 *= 3;
	c = (((uint64_t)k << 1 << depth) / p3 + 1) >> 1;
	return c < KLL_M ? KLL_M : (uint32_t)c;
}

static uint32_t level_cap(uint32_t k, uint32_t nlev, uint32_t h)
{
	return depth_cap(k, nlev - h - 1);
}

static uint64_t total_cap(uint32_t k, uint32_t nlev)
{
	uint64_t t = 0;

	for (uint32_t d = 0; d < nlev; d++)
		t += depth_cap(k, d);
	return t;
}

static void set_levels(struct ml_kll *s, uint32_t nlev)
{
	s->nlev = nlev;
	for (uint32_t h = 0; h < nlev; h++)
		s->cap[h] = level_cap(s->k, nlev, h);
}

static uint32_t retained(const struct ml_kll *s)
{
	return s->lev[s->nlev] - s->lev[0];
}

/* ---- sorting doubles in a total order (-0 before +0), by radix ---- */

static uint64_t to_key(double x)
{
	uint64_t u;

	memcpy(&u, &x, sizeof u);
	return u ^ ((uint64_t)((int64_t)u >> 63) | 0x8000000000000000ULL);
}

static double from_key(uint64_t k)
{
	uint64_t u = k ^ ((uint64_t)((int64_t)~k >> 63) | 0x8000000000000000ULL);
	double x;

	memcpy(&x, &u, sizeof x);
	return x;
}

/* Sorts a[0..n) by to_key; t1 and t2 hold n keys each.  The order is total
 * on bit patterns, so the result depends only on the multiset: a level 0
 * sorts the same whatever order its values came in.
 *
 * LSD radix by bytes, over the bytes that differ between the keys only
 * (found from the OR and the AND of all keys): a column's values mostly
 * share their sign and exponent, and whole numbers their low mantissa
 * bytes.  Each pass counts the byte of the next while it moves the keys,
 * the first count comes with the keys and the last pass writes the
 * doubles: counting all eight bytes first, as this did, and separate
 * passes for the keys cost as much as the passes. */
static void sort_doubles(double *a, size_t n, uint64_t *t1, uint64_t *t2)
{
	uint32_t count[2][256], *cur = count[0], *next = count[1], *swap;
	uint64_t *src = t1, *dst = t2, *tmp, any = 0, all = ~(uint64_t)0;
	int shift[8], passes = 0;

	if (n < 48) {
		for (size_t i = 0; i < n; i++)
			t1[i] = to_key(a[i]);
		for (size_t i = 1; i < n; i++) {
			uint64_t key = t1[i];
			size_t j = i;
			for (; j > 0 && t1[j - 1] > key; j--)
				t1[j] = t1[j - 1];
			t1[j] = key;
		}
		for (size_t i = 0; i < n; i++)
			a[i] = from_key(t1[i]);
		return;
	}
	memset(cur, 0, sizeof count[0]);
	for (size_t i = 0; i < n; i++) {
		uint64_t key = to_key(a[i]);
		t1[i] = key;
		any |= key;
		all &= key;
		cur[key & 255]++;       /* the low byte mostly differs */
	}
	for (int sh = 0; sh < 64; sh += 8)
		if (((any ^ all) >> sh) & 255)
			shift[passes++] = sh;   /* a byte not every key shares */
	if (passes && shift[0] != 0) {
		memset(cur, 0, sizeof count[0]);
		for (size_t i = 0; i < n; i++)
			cur[(src[i] >> shift[0]) & 255]++;
	}
	for (int p = 0; p < passes; p++) {
		int sh = shift[p];
		uint32_t sum = 0;

		for (int b = 0; b < 256; b++) {
			uint32_t t = cur[b];
			cur[b] = sum;
			sum += t;
		}
		if (p == passes - 1) {
			for (size_t i = 0; i < n; i++)
				a[cur[(src[i] >> sh) & 255]++] = from_key(src[i]);
			return;
		}
		memset(next, 0, sizeof count[0]);
		for (size_t i = 0; i < n; i++) {
			uint64_t key = src[i];
			dst[cur[(key >> sh) & 255]++] = key;
			next[(key >> shift[p + 1]) & 255]++;
		}
		tmp = src, src = dst, dst = tmp;
		swap = cur, cur = next, next = swap;
	}
	/* no pass: every key is the same, and a is in order */
}

/* Sorts a[0..n) with scratch of its own; 0, or -1 when memory is out. */
static int sort_alloc(double *a, size_t n)
{
	uint64_t *t = malloc(2 * (n ? n : 1) * sizeof *t);

	if (!t)
		return -1;
	sort_doubles(a, n, t, t + n);
	free(t);
	return 0;
}

/* ---- the coin ---- */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* 0 or 1: which of each pair a compaction of block b[0..len) (sorted) at
 * level h keeps, when the sketch counts n values. */
static uint32_t coin(uint64_t n, uint32_t h, const double *b, uint32_t len)
{
	uint64_t sum = 0, x = 0;

	for (uint32_t i = 0; i < len; i++) {
		uint64_t u;
		memcpy(&u, &b[i], sizeof u);
		sum += u;
		x ^= u;
	}
	return (uint32_t)(mix64(KLL_SEED ^ mix64(n + h) ^ mix64(sum) ^ mix64(x ^ len)) >> 63);
}

/* ---- the sorted view ---- */

static void drop_view(struct ml_kll *s)
{
	free(s->view);
	s->view = NULL;
	s->vval = NULL;
	s->vweight = s->vcum = NULL;
	s->vn = 0;
}

static int build_view(struct ml_kll *s)
{
	size_t m = retained(s), len;
	char *blk;

	if (s->view)
		return 0;
	if (!(blk = malloc(3 * (m ? m : 1) * sizeof(double))))
		return -1;
	s->view = blk;
	s->vval = (double *)blk;
	s->vweight = (uint64_t *)(blk + m * sizeof(double));
	s->vcum = s->vweight + m;
	s->vn = m;

	len = s->lev[1] - s->lev[0];
	memcpy(s->vval, s->items + s->lev[0], len * sizeof(double));
	sort_doubles(s->vval, len, s->vweight, s->vcum);
	for (size_t i = 0; i < len; i++)
		s->vweight[i] = 1;
	/* merge each sorted level in from the back */
	for (uint32_t h = 1; h < s->nlev; h++) {
		const double *l = s->items + s->lev[h];
		size_t ln = s->lev[h + 1] - s->lev[h], i = len, j = ln, o = len + ln;
		uint64_t w = (uint64_t)1 << h;

		while (j > 0) {
			o--;
			if (i > 0 && s->vval[i - 1] > l[j - 1]) {
				i--;
				s->vval[o] = s->vval[i];
				s->vweight[o] = s->vweight[i];
			} else {
				j--;
				s->vval[o] = l[j];
				s->vweight[o] = w;
			}
		}
		len += ln;
	}
	for (size_t i = 0, c = 0; i < m; i++)
		s->vcum[i] = c += s->vweight[i];
	return 0;
}

/* ---- life ---- */

static struct ml_kll *alloc_sketch(uint32_t k, uint32_t nlev, uint32_t cap)
{
	struct ml_kll *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	if (!(s->items = malloc((cap ? cap : 1) * sizeof(double)))) {
		free(s);
		return NULL;
	}
	s->k = k;
	set_levels(s, nlev);
	s->min = INFINITY;
	s->max = -INFINITY;
	return s;
}

struct ml_kll *ml_kll_new(uint32_t k)
{
	struct ml_kll *s;

	if (k < KLL_M || k > KLL_MAX_K)
		return NULL;
	if (!(s = alloc_sketch(k, 1, k)))
		return NULL;
	s->lev[0] = s->lev[1] = k;
	return s;
}

void ml_kll_free(struct ml_kll *s)
{
	if (!s)
		return;
	free(s->items);
	free(s->view);
	free(s);
}

/* ---- adding ---- */

/* Grows the full buffer by the capacity of a new bottom depth and makes
 * room for a new, empty top level; 0 or -1. */
static int add_top_level(struct ml_kll *s)
{
	uint32_t cap = s->lev[s->nlev], delta;
	double *p;

	if (s->nlev >= KLL_MAX_LEVELS)
		return -1;
	delta = level_cap(s->k, s->nlev + 1, 0);
	if (!(p = malloc(((size_t)cap + delta) * sizeof *p)))
		return -1;
	memcpy(p + delta, s->items, (size_t)cap * sizeof *p);
	free(s->items);
	s->items = p;
	for (uint32_t i = 0; i <= s->nlev; i++)
		s->lev[i] += delta;
	set_levels(s, s->nlev + 1);
	s->lev[s->nlev] = cap + delta;
	return 0;
}

/* Makes room in a full buffer: compacts the lowest level at or over its
 * capacity into the level above, in place; 0 or -1 (memory). */
static int compress(struct ml_kll *s)
{
	uint32_t h = 0, beg, lim, above, pop, odd, half, a, c;
	uint64_t small[2 * 256], *scratch = NULL;      /* for sorting level 0 */

	while (h < s->nlev - 1 && s->lev[h + 1] - s->lev[h] < s->cap[h])
		h++;
	pop = s->lev[h + 1] - s->lev[h];
	if (h == 0)
		scratch = pop <= 256 ? small : malloc(2 * (size_t)pop * sizeof *scratch);
	if (h == 0 && !scratch)
		return -1;
	if (h == s->nlev - 1 && add_top_level(s) < 0) {
		if (scratch != small)
			free(scratch);
		return -1;
	}
	beg = s->lev[h];
	lim = s->lev[h + 1];
	above = s->lev[h + 2] - lim;
	if (h == 0) {
		sort_doubles(s->items + beg, pop, scratch, scratch + pop);
		if (scratch != small)
			free(scratch);
	}
	odd = pop & 1;
	half = pop / 2;
	a = beg + odd;          /* the odd one out, the smallest, stays */
	c = coin(s->n, h, s->items + a, 2 * half);
	if (above == 0) {
		for (uint32_t i = half; i-- > 0;)
			s->items[a + half + i] = s->items[a + c + 2 * i];
	} else {
		double *d = s->items, *x, *xe, *y, *ye, *o;
		for (uint32_t i = 0; i < half; i++)
			d[a + i] = d[a + c + 2 * i];
		/* merge d[a, a+half) with the level above into d[a+half, ...):
		 * the output never overtakes the unread part of either input */
		x = d + a, xe = d + a + half;
		y = d + lim, ye = d + lim + above;
		o = d + a + half;
		while (x < xe && y < ye)
			*o++ = *y < *x ? *y++ : *x++;
		while (x < xe)
			*o++ = *x++;
	}
	s->lev[h + 1] = lim - half;
	if (odd)
		s->items[beg + half] = s->items[beg];
	s->lev[h] = beg + half;
	if (h > 0) {
		uint32_t below = beg - s->lev[0];
		memmove(s->items + s->lev[0] + half, s->items + s->lev[0], (size_t)below * sizeof(double));
		for (uint32_t i = 0; i < h; i++)
			s->lev[i] += half;
	}
	return 0;
}

int ml_kll_add(struct ml_kll *s, double x)
{
	if (x != x)
		return 0;
	if (s->lev[0] == 0 && compress(s) < 0)
		return -1;
	s->items[--s->lev[0]] = x;
	if (x < s->min)
		s->min = x;
	if (x > s->max)
		s->max = x;
	s->n++;
	if (s->view)
		drop_view(s);
	return 0;
}

/* ---- merging ---- */

/* Merges sorted x[0..xn) and y[0..yn) into o (x's first on ties).  No
 * branch on the values: which side goes next is a coin toss to a branch
 * predictor. */
static void merge_into(double *o, const double *x, size_t xn, const double *y, size_t yn)
{
	size_t i = 0, j = 0;

	while (i < xn && j < yn) {
		double a = x[i], b = y[j];
		int take_y = b < a;
		*o++ = take_y ? b : a;
		j += (size_t)take_y;
		i += (size_t)!take_y;
	}
	memcpy(o, x + i, (xn - i) * sizeof *o);
	memcpy(o + (xn - i), y + j, (yn - j) * sizeof *o);
}

/* Compacts the sorted level d[0..len) of a sketch of n values at level h:
 * when len is odd the smallest item stays, and of each pair after it the
 * one the coin picks goes up, into carry[0..*half).  Returns the items that
 * stay (0 or 1). */
static uint32_t compact_level(uint64_t n, uint32_t h, const double *d, size_t len, double *carry,
			      uint32_t *half)
{
	uint32_t odd = len & 1, c;

	*half = (uint32_t)(len / 2);
	c = coin(n, h, d + odd, 2 * *half);
	for (uint32_t i = 0; i < *half; i++)
		carry[i] = d[odd + c + 2 * i];
	return odd;
}

/* One bottom-up pass of the KLL merge over levels in[il[h]..il[h+1]), h <
 * *nlev, into out/ol: level h is compacted when the items are at or over
 * the total capacity and the level (with what came up from below) is at or
 * over its own.  carry holds half the items, scratch twice them.  Returns
 * the items left. */
static uint64_t merge_pass(uint32_t k, uint64_t n, const double *in, const uint32_t *il,
			   uint32_t *nlev, double *out, uint32_t *ol, double *carry, uint64_t *scratch)
{
	uint32_t L = *nlev, nin = *nlev, clen = 0;
	uint64_t count = il[nin] - il[0], target = total_cap(k, L);

	ol[0] = 0;
	for (uint32_t h = 0; h < L; h++) {
		double *d = out + ol[h];
		size_t slen = h < nin ? il[h + 1] - il[h] : 0, len = slen + clen;

		if (h < nin)
			merge_into(d, in + il[h], slen, carry, clen);
		else
			memcpy(d, carry, clen * sizeof *d);
		clen = 0;
		if (count >= target && len >= level_cap(k, L, h)) {
			if (h == 0)
				sort_doubles(d, len, scratch, scratch + len);
			len = compact_level(n, h, d, len, carry, &clen);
			count -= clen;
			if (h == L - 1) {
				L++;
				target += level_cap(k, L, 0);
			}
		}
		ol[h + 1] = ol[h] + (uint32_t)len;
	}
	*nlev = L;
	return count;
}

/* Copies from into the empty into (same k): the same state exactly. */
static int copy_into(struct ml_kll *into, const struct ml_kll *from)
{
	uint32_t cap = from->lev[from->nlev];
	double *p = malloc((size_t)cap * sizeof *p);

	if (!p)
		return -1;
	memcpy(p, from->items, (size_t)cap * sizeof *p);
	free(into->items);
	into->items = p;
	set_levels(into, from->nlev);
	memcpy(into->lev, from->lev, sizeof into->lev);
	return 0;
}

int ml_kll_merge(struct ml_kll *into, const struct ml_kll *from)
{
	uint32_t a = retained(into), b = retained(from), total = a + b;
	uint32_t nlev = into->nlev > from->nlev ? into->nlev : from->nlev;
	uint32_t wl[KLL_MAX_LEVELS + 2], ol[KLL_MAX_LEVELS + 2], *il = wl, *xl = ol, *tl;
	uint64_t n, count;
	double *w, *o, *carry, *in, *xo, *t;
	uint64_t *scratch;
	size_t cap;

	if (from->n == 0)
		return 0;
	if (into->n > UINT64_MAX - from->n)
		return -1;
	n = into->n + from->n;
	if (into->n == 0 && into->k == from->k) {
		if (copy_into(into, from) < 0)
			return -1;
	} else {
		w = malloc((size_t)total * sizeof *w);
		o = malloc((size_t)total * sizeof *o);
		carry = malloc(((size_t)total / 2 + 1) * sizeof *carry);
		scratch = malloc(2 * (size_t)total * sizeof *scratch);
		if (!w || !o || !carry || !scratch) {
			free(w), free(o), free(carry), free(scratch);
			return -1;
		}
		/* concatenate: level 0 end to end, the sorted levels merged */
		wl[0] = 0;
		for (uint32_t h = 0; h < nlev; h++) {
			const double *x = h < into->nlev ? into->items + into->lev[h] : w;
			const double *y = h < from->nlev ? from->items + from->lev[h] : w;
			uint32_t xn = h < into->nlev ? into->lev[h + 1] - into->lev[h] : 0;
			uint32_t yn = h < from->nlev ? from->lev[h + 1] - from->lev[h] : 0;
			if (h == 0) {
				memcpy(w, x, (size_t)xn * sizeof *w);
				memcpy(w + xn, y, (size_t)yn * sizeof *w);
			} else {
				merge_into(w + wl[h], x, xn, y, yn);
			}
			wl[h + 1] = wl[h] + xn + yn;
		}
		/* a pass ends under capacity but for rare cases: pass again */
		in = w, xo = o;
		do {
			count = merge_pass(into->k, n, in, il, &nlev, xo, xl, carry, scratch);
			t = in, in = xo, xo = t;
			tl = il, il = xl, xl = tl;
		} while (count > total_cap(into->k, nlev));
		free(xo), free(carry), free(scratch);
		/* in/il hold the result; put it at the top of a full-size buffer */
		cap = (size_t)total_cap(into->k, nlev);
		t = malloc(cap * sizeof *t);
		if (!t) {
			free(in);
			return -1;
		}
		memcpy(t + cap - count, in, (size_t)count * sizeof *t);
		free(in);
		free(into->items);
		into->items = t;
		set_levels(into, nlev);
		for (uint32_t h = 0; h <= nlev; h++)
			into->lev[h] = (uint32_t)(cap - count) + il[h];
	}
	into->n = n;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
	drop_view(into);
	return 0;
}

/* ---- adding a block ---- */

/* The generic way: a sketch of the block, merged in. */
static int add_block_by_merge(struct ml_kll *s, const double *v, size_t n)
{
	struct ml_kll *b = ml_kll_new(s->k);
	int rc = b ? 0 : -1;

	for (size_t i = 0; i < n && rc == 0; i++)
		rc = ml_kll_add(b, v[i]);
	if (rc == 0)
		rc = ml_kll_merge(s, b);
	ml_kll_free(b);
	return rc;
}

/* The quick way: merge_pass's pass over the levels of s and a level 0 of
 * s's items and the block's (NaN left out), as ml_kll_merge would make it,
 * but only up to the last level that changes; those levels are built in
 * scratch and copied back under the levels that stay, which keep their
 * places (the buffer holds total_cap(k, nlev), full at the top, before and
 * after).  Level 0 comes out sorted where the merge leaves it in input
 * order when it does not compact it: nothing reads level 0 in its order (a
 * compaction or a query sorts it, the coin adds and xors).  0 when done;
 * 1, s unchanged, when the pass would add a level or need a second pass
 * (rare: then the generic way); -1 when memory is out (s unchanged). */
static int add_block_in_place(struct ml_kll *s, const double *v, uint32_t nv)
{
	uint32_t k = s->k, L = s->nlev, a0 = s->lev[1] - s->lev[0], m = 0;
	uint32_t ol[KLL_MAX_LEVELS + 1], clen = 0, h, base;
	uint64_t count, target = total_cap(k, L), n;
	size_t most = retained(s) + (size_t)nv;
	char *blk = malloc(most * sizeof(double) + (most / 2 + 1) * sizeof(double) +
			   2 * ((size_t)a0 + nv) * sizeof(uint64_t));
	double *out = (double *)blk, *carry = out + most, mn = s->min, mx = s->max;
	uint64_t *keys = (uint64_t *)(carry + most / 2 + 1);

	if (!blk)
		return -1;
	memcpy(out, s->items + s->lev[0], (size_t)a0 * sizeof *out);
	for (uint32_t i = 0; i < nv; i++) {
		double x = v[i];
		if (x != x)
			continue;
		out[a0 + m++] = x;
		mn = x < mn ? x : mn;
		mx = x > mx ? x : mx;
	}
	if (m == 0 || s->n > UINT64_MAX - m) {
		free(blk);
		return m == 0 ? 0 : -1;
	}
	n = s->n + m;
	count = retained(s) + m;
	sort_doubles(out, a0 + m, keys, keys + a0 + m);
	ol[0] = 0;
	for (h = 0; h < L; h++) {
		double *d = out + ol[h];
		uint32_t slen = s->lev[h + 1] - s->lev[h], len = a0 + m;

		if (h > 0) {
			merge_into(d, s->items + s->lev[h], slen, carry, clen);
			len = slen + clen;
		}
		clen = 0;
		if (count >= target && len >= s->cap[h]) {
			if (h == L - 1) {       /* a new level: the generic way */
				free(blk);
				return 1;
			}
			len = compact_level(n, h, d, len, carry, &clen);
			count -= clen;
		}
		ol[h + 1] = ol[h] + len;
		if (clen == 0 && count < target) {
			h++;
			break;          /* nothing goes up and no level is full */
		}
	}
	if (count > target) {           /* a second pass: the generic way */
		free(blk);
		return 1;
	}
	/* levels 0..h-1 rebuilt; h.. stay where they are */
	base = s->lev[h] - ol[h];
	memcpy(s->items + base, out, (size_t)ol[h] * sizeof *out);
	for (uint32_t i = 0; i <= h; i++)
		s->lev[i] = base + ol[i];
	s->n = n;
	s->min = mn;
	s->max = mx;
	drop_view(s);
	free(blk);
	return 0;
}

int ml_kll_add_block(struct ml_kll *s, const double *v, size_t n)
{
	int rc = 1;

	/* an empty sketch takes a copy, a block over k compacts within itself,
	 * and the quick way counts on the buffer's usual size */
	if (s->n > 0 && n <= s->k && s->lev[s->nlev] == total_cap(s->k, s->nlev))
		rc = add_block_in_place(s, v, (uint32_t)n);
	return rc > 0 ? add_block_by_merge(s, v, n) : rc;
}

/* ---- queries ---- */

uint64_t ml_kll_count(const struct ml_kll *s)
{
	return s->n;
}

double ml_kll_min(const struct ml_kll *s)
{
	return s->n ? s->min : NAN;
}

double ml_kll_max(const struct ml_kll *s)
{
	return s->n ? s->max : NAN;
}

double ml_kll_quantile(const struct ml_kll *s, double q)
{
	struct ml_kll *m = (struct ml_kll *)s;  /* the view is a cache */
	double target;
	size_t lo = 0, hi;

	if (s->n == 0 || q != q)
		return NAN;
	if (q <= 0)
		return s->min;
	if (q >= 1)
		return s->max;
	if (build_view(m) < 0)
		return NAN;
	target = q * (double)s->n;
	hi = m->vn - 1;
	while (lo < hi) {       /* the first cumulative weight >= target */
		size_t mid = lo + (hi - lo) / 2;
		if ((double)m->vcum[mid] >= target)
			hi = mid;
		else
			lo = mid + 1;
	}
	return m->vval[lo];
}

double ml_kll_rank(const struct ml_kll *s, double x)
{
	struct ml_kll *m = (struct ml_kll *)s;
	size_t lo = 0, hi;
	uint64_t w = 0;

	if (s->n == 0 || x != x || x < s->min)
		return 0;
	if (x >= s->max)
		return 1;
	if (build_view(m) < 0) {        /* no memory: count level by level */
		for (uint32_t h = 0; h < s->nlev; h++)
			for (uint32_t i = s->lev[h]; i < s->lev[h + 1]; i++)
				if (s->items[i] <= x)
					w += (uint64_t)1 << h;
		return (double)w / (double)s->n;
	}
	hi = m->vn;
	while (lo < hi) {       /* the number of values <= x */
		size_t mid = lo + (hi - lo) / 2;
		if (m->vval[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? (double)m->vcum[lo - 1] / (double)s->n : 0;
}

int ml_kll_sorted(struct ml_kll *s, const double **values, const uint64_t **weights, size_t *n)
{
	if (build_view(s) < 0)
		return -1;
	*values = s->vval;
	*weights = s->vweight;
	*n = s->vn;
	return 0;
}

/* ---- JSON ---- */

/* x as %.15g writes it, into s (its length returned), when x is the double
 * of a decimal m / 10^d of at most 15 digits that %.15g writes without an
 * exponent (10^-4 <= |x| < 10^15); else 0.  Such a decimal reads back to
 * x, and %.15g gives it back (DBL_DIG is 15), its trailing zeros dropped:
 * with the least d, m ends in no 0.  Data is mostly such decimals, and
 * snprintf and strtod took most of the time of writing a profile. */
static size_t short_decimal(double x, char *s)
{
	static const double pow10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	};
	double ax = fabs(x);
	char digit[16];

	if (!(ax >= 1e-4 && ax < 1e15))
		return 0;
	for (int d = 0; d <= 15; d++) {
		double y = ax * pow10[d];
		uint64_t m;
		int nd = 0;
		char *o = s;

		if (y >= 1e15)
			return 0;       /* 16 digits and more */
		/* y is within 0.2 of the m sought; m and 10^d are exact, so the
		 * quotient is rounded once, as strtod rounds */
		m = (uint64_t)(y + 0.5);
		if ((double)m / pow10[d] != ax)
			continue;
		for (; m; m /= 10)
			digit[nd++] = (char)('0' + m % 10);     /* lowest first */
		if (nd - 1 - d < -4)
			return 0;       /* %.15g writes an exponent */
		if (x < 0)
			*o++ = '-';
		if (nd <= d) {
			*o++ = '0';
			*o++ = '.';
			for (int i = nd; i < d; i++)
				*o++ = '0';
		}
		for (int i = nd; i-- > 0;) {
			*o++ = digit[i];
			if (i == d && d > 0 && nd > d)
				*o++ = '.';
		}
		return (size_t)(o - s);
	}
	return 0;
}

/* The shortest of %.15g, %.16g, %.17g that reads back to the same bits;
 * infinities as the strings "inf" and "-inf". */
static int put_double(struct ml_buf *b, double x)
{
	char s[40];
	size_t n;

	if (isinf(x))
		return ml_buf_adds(b, x > 0 ? "\"inf\"" : "\"-inf\"");
	if ((n = short_decimal(x, s)) > 0)
		return ml_buf_add(b, s, n);
	for (int prec = 15; prec <= 17; prec++) {
		double y;
		snprintf(s, sizeof s, "%.*g", prec, x);
		y = strtod(s, NULL);
		if (memcmp(&x, &y, sizeof x) == 0)
			break;
	}
	return ml_buf_adds(b, s);
}

int ml_kll_to_json(const struct ml_kll *s, struct ml_buf *out)
{
	uint32_t l0 = s->lev[1] - s->lev[0];
	double *zero = malloc((l0 ? l0 : 1) * sizeof *zero);
	int rc = 0;

	if (!zero)
		return -1;
	memcpy(zero, s->items + s->lev[0], (size_t)l0 * sizeof *zero);
	if (sort_alloc(zero, l0) < 0) {
		free(zero);
		return -1;
	}
	rc |= ml_buf_printf(out, "{\"k\":%u,\"n\":%llu,\"min\":", (unsigned)s->k, (unsigned long long)s->n);
	rc |= s->n ? put_double(out, s->min) : ml_buf_adds(out, "null");
	rc |= ml_buf_adds(out, ",\"max\":");
	rc |= s->n ? put_double(out, s->max) : ml_buf_adds(out, "null");
	rc |= ml_buf_adds(out, ",\"levels\":[");
	for (uint32_t h = 0; h < s->nlev; h++) {
		const double *l = h ? s->items + s->lev[h] : zero;
		uint32_t len = s->lev[h + 1] - s->lev[h];
		rc |= ml_buf_adds(out, h ? ",[" : "[");
		for (uint32_t i = 0; i < len; i++) {
			if (i)
				rc |= ml_buf_addc(out, ',');
			rc |= put_double(out, l[i]);
		}
		rc |= ml_buf_addc(out, ']');
	}
	rc |= ml_buf_adds(out, "]}");
	free(zero);
	return rc ? -1 : 0;
}

/* A reader over text[0..len): where it is, and the first error. */
struct rd {
	const char *p, *start, *end;
	struct ml_err *err;
	int failed;
};

__attribute__((format(printf, 2, 3)))
static int rd_fail(struct rd *r, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	if (r->failed++)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (r->err)
		ml_err_set(r->err, ML_ERR_DATA, "%s", msg);
	return -1;
}

/* Expects byte c after optional whitespace. */
static int rd_expect(struct rd *r, char c)
{
	r->p = ml_json_skip_ws(r->p, r->end);
	if (r->p == r->end || *r->p != c)
		return rd_fail(r, "expected '%c' at byte %td", c, r->p - r->start);
	r->p++;
	return 0;
}

/* Whether the next byte (after whitespace) is c; consumes it if so. */
static int rd_take(struct rd *r, char c)
{
	r->p = ml_json_skip_ws(r->p, r->end);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return 1;
	}
	return 0;
}

/* Reads a string; *raw and *rawlen its contents between the quotes. */
static int rd_string(struct rd *r, const char **raw, size_t *rawlen, int *escaped)
{
	struct ml_json_fail fail = {0};
	const char *e;

	r->p = ml_json_skip_ws(r->p, r->end);
	if (r->p == r->end || *r->p != '"')
		return rd_fail(r, "expected a string at byte %td", r->p - r->start);
	if (!(e = ml_json_scan_string(r->p, r->end, escaped, &fail)))
		return rd_fail(r, "bad string at byte %td: %s", (fail.at ? fail.at : r->p) - r->start,
			       fail.why ? fail.why : "malformed");
	*raw = r->p + 1;
	*rawlen = (size_t)(e - r->p - 2);
	r->p = e;
	return 0;
}

/* Whether c can be part of a JSON number. */
static int number_byte(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* The JSON number at r->p as the span *s, *n; r->p after it. */
static int rd_number_span(struct rd *r, const char **s, size_t *n)
{
	const char *b = r->p, *e = b;

	while (e < r->end && number_byte(*e))
		e++;
	if (e == b || !ml_json_is_number(b, (size_t)(e - b)))
		return rd_fail(r, "expected a number at byte %td", b - r->start);
	*s = b;
	*n = (size_t)(e - b);
	r->p = e;
	return 0;
}

/* The number s[0..n) copied NUL-terminated into buf. */
static int rd_number_copy(struct rd *r, const char *s, size_t n, char *buf, size_t size)
{
	if (n >= size)
		return rd_fail(r, "number too long at byte %td", s - r->start);
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

/* Reads the number at r->p when ml_json_fast_number can: 1 with *x and r->p
 * past it, or 0 (nothing read) for the general reader.  A sketch is written
 * mostly so (short_decimal); checking the text, copying it and strtod took
 * most of the time of reading one back. */
static int rd_fast(struct rd *r, double *x)
{
	const char *after = ml_json_fast_number(r->p, r->end, x);

	if (!after || (after < r->end && number_byte(*after)))
		return 0;
	r->p = after;
	return 1;
}

/* A value of the sketch: a number, or "inf" or "-inf". */
static int rd_double(struct rd *r, double *x)
{
	char buf[512];
	const char *s;
	size_t n;

	r->p = ml_json_skip_ws(r->p, r->end);
	if (r->p < r->end && *r->p == '"') {
		const char *raw;
		int esc;
		if (rd_string(r, &raw, &n, &esc) < 0)
			return -1;
		if (ml_json_string_equals(raw, n, esc, "inf", 3))
			*x = INFINITY;
		else if (ml_json_string_equals(raw, n, esc, "-inf", 4))
			*x = -INFINITY;
		else
			return rd_fail(r, "expected a number, \"inf\" or \"-inf\" at byte %td",
				       raw - 1 - r->start);
		return 0;
	}
	if (rd_fast(r, x))
		return 0;
	if (rd_number_span(r, &s, &n) < 0 || rd_number_copy(r, s, n, buf, sizeof buf) < 0)
		return -1;
	*x = strtod(buf, NULL);         /* correctly rounded; 1e400 is inf */
	return 0;
}

/* A non-negative integer below 2^64. */
static int rd_u64(struct rd *r, const char *key, uint64_t *v)
{
	char buf[64], *end;
	const char *at;
	size_t n;

	r->p = ml_json_skip_ws(r->p, r->end);
	if (rd_number_span(r, &at, &n) < 0 || rd_number_copy(r, at, n, buf, sizeof buf) < 0)
		return -1;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (buf[0] == '-' || *end || errno)
		return rd_fail(r, "\"%s\" is not a count at byte %td", key, at - r->start);
	return 0;
}

/* Levels as read: every value in one array, lev[] their boundaries. */
struct levels {
	double *v;
	size_t n, cap;
	uint32_t nlev;
	size_t lev[KLL_MAX_LEVELS + 1];
};

static int push(struct rd *r, struct levels *l, double x)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1024;
		double *p;
		if (l->n >= total_cap(KLL_MAX_K, KLL_MAX_LEVELS))
			return rd_fail(r, "too many values");
		if (!(p = realloc(l->v, cap * sizeof *p))) {
			if (r->err && !r->failed++)
				ml_err_sys(r->err, ENOMEM, "cannot read the sketch");
			return -1;
		}
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = x;
	return 0;
}

static int rd_levels(struct rd *r, struct levels *l)
{
	if (rd_expect(r, '[') < 0)
		return -1;
	l->lev[0] = 0;
	if (rd_take(r, ']'))
		return rd_fail(r, "\"levels\" is empty");
	do {
		if (l->nlev == KLL_MAX_LEVELS)
			return rd_fail(r, "more than %d levels", KLL_MAX_LEVELS);
		if (rd_expect(r, '[') < 0)
			return -1;
		if (!rd_take(r, ']')) {
			do {
				double x;
				if (rd_double(r, &x) < 0 || push(r, l, x) < 0)
					return -1;
			} while (rd_take(r, ','));
			if (rd_expect(r, ']') < 0)
				return -1;
		}
		l->lev[++l->nlev] = l->n;
	} while (rd_take(r, ','));
	return rd_expect(r, ']');
}

/* Checks what the values must satisfy; 0 or -1 with the reason. */
static int check(struct rd *r, uint32_t k, uint64_t n, double mn, double mx, const struct levels *l)
{
	uint64_t sum = 0;

	if (n == 0) {
		if (l->n || l->nlev != 1)
			return rd_fail(r, "\"n\" is 0 but the levels are not one empty level");
		if (!isnan(mn) || !isnan(mx))
			return rd_fail(r, "\"n\" is 0 but \"min\" or \"max\" is not null");
		return 0;
	}
	if (isnan(mn) || isnan(mx))
		return rd_fail(r, "\"min\" and \"max\" must be numbers when \"n\" is not 0");
	if (mn > mx)
		return rd_fail(r, "\"min\" is above \"max\"");
	if (l->nlev > 1 && l->lev[l->nlev] == l->lev[l->nlev - 1])
		return rd_fail(r, "the top level is empty");
	if (l->n > total_cap(k, l->nlev))
		return rd_fail(r, "%zu values are more than k %u holds in %u levels (%llu)",
			       l->n, (unsigned)k, (unsigned)l->nlev,
			       (unsigned long long)total_cap(k, l->nlev));
	for (uint32_t h = 0; h < l->nlev; h++) {
		uint64_t len = l->lev[h + 1] - l->lev[h];
		for (size_t i = l->lev[h]; i < l->lev[h + 1]; i++) {
			if (l->v[i] < mn || l->v[i] > mx)
				return rd_fail(r, "level %u holds %g, outside [min, max]", (unsigned)h, l->v[i]);
			if (h > 0 && i > l->lev[h] && l->v[i] < l->v[i - 1])
				return rd_fail(r, "level %u is not in ascending order", (unsigned)h);
		}
		if (len > (UINT64_MAX - sum) >> h)
			return rd_fail(r, "the weights overflow");
		sum += len << h;
	}
	if (sum != n)
		return rd_fail(r, "\"n\" is %llu but the weights of the levels sum to %llu",
			       (unsigned long long)n, (unsigned long long)sum);
	return 0;
}

struct ml_kll *ml_kll_from_json(const char *text, size_t len, struct ml_err *err)
{
	struct rd r = {text, text, text + len, err, 0};
	struct levels l = {0};
	enum { K, N, MIN, MAX, LEVELS, NKEYS };
	static const char *const names[NKEYS] = {"k", "n", "min", "max", "levels"};
	int seen[NKEYS] = {0};
	uint64_t k = 0, n = 0;
	double mn = NAN, mx = NAN;
	struct ml_kll *s = NULL;
	uint64_t cap;

	if (rd_expect(&r, '{') < 0)
		goto out;
	if (!rd_take(&r, '}')) {
		do {
			const char *raw;
			size_t rawlen;
			int esc, key = 0, rc;

			if (rd_string(&r, &raw, &rawlen, &esc) < 0 || rd_expect(&r, ':') < 0)
				goto out;
			while (key < NKEYS && !ml_json_string_equals(raw, rawlen, esc, names[key], strlen(names[key])))
				key++;
			if (key == NKEYS) {
				rd_fail(&r, "unknown key \"%.*s\"", (int)(rawlen < 40 ? rawlen : 40), raw);
				goto out;
			}
			if (seen[key]++) {
				rd_fail(&r, "\"%s\" twice", names[key]);
				goto out;
			}
			switch (key) {
			case K:
				rc = rd_u64(&r, "k", &k);
				break;
			case N:
				rc = rd_u64(&r, "n", &n);
				break;
			case MIN:
			case MAX:
				r.p = ml_json_skip_ws(r.p, r.end);
				if ((size_t)(r.end - r.p) >= 4 && memcmp(r.p, "null", 4) == 0) {
					r.p += 4;
					rc = 0;
				} else {
					rc = rd_double(&r, key == MIN ? &mn : &mx);
				}
				break;
			default:
				rc = rd_levels(&r, &l);
				break;
			}
			if (rc < 0)
				goto out;
		} while (rd_take(&r, ','));
		if (rd_expect(&r, '}') < 0)
			goto out;
	}
	if (ml_json_skip_ws(r.p, r.end) != r.end) {
		rd_fail(&r, "text after the sketch at byte %td", ml_json_skip_ws(r.p, r.end) - text);
		goto out;
	}
	for (int i = 0; i < NKEYS; i++)
		if (!seen[i]) {
			rd_fail(&r, "no \"%s\"", names[i]);
			goto out;
		}
	if (k < KLL_M || k > KLL_MAX_K) {
		rd_fail(&r, "k %llu is outside %d..%d", (unsigned long long)k, KLL_M, KLL_MAX_K);
		goto out;
	}
	if (check(&r, (uint32_t)k, n, mn, mx, &l) < 0)
		goto out;
	cap = total_cap((uint32_t)k, l.nlev);
	if (!(s = alloc_sketch((uint32_t)k, l.nlev, (uint32_t)cap))) {
		if (err)
			ml_err_sys(err, ENOMEM, "cannot read the sketch");
		goto out;
	}
	if (l.n)
		memcpy(s->items + cap - l.n, l.v, l.n * sizeof(double));
	for (uint32_t h = 0; h <= l.nlev; h++)
		s->lev[h] = (uint32_t)(cap - l.n + l.lev[h]);
	s->n = n;
	if (n) {
		s->min = mn;
		s->max = mx;
	}
out:
	free(l.v);
	return s;
}
