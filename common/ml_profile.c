#include "ml_profile.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "ml_bytes.h"
#include "ml_json.h"
#include "ml_profile_impl.h"

/* Numbers wait in blocks of this many (at most ML_KLL_K) before folding in. */
#define PENDING 512

static int listed(char **list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

struct ml_profile *ml_profile_new(const struct ml_profile_opts *opts)
{
	struct ml_profile *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	if (opts)
		p->opts = *opts;
	if (!p->opts.top)
		p->opts.top = 10;
	if (!p->opts.bins)
		p->opts.bins = 20;
	return p;
}

static void free_column(struct ml_column *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->pending);
	ml_kll_free(c->num.sketch);
	ml_cat_free(c->cat);
	free(c);
}

void ml_profile_free(struct ml_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free_column(p->cols[i]);
	free(p->cols);
	free(p->table);
	free(p->by_pos);
	free(p->row);
	for (size_t i = 0; i < p->nsources; i++)
		free(p->sources[i]);
	free(p->sources);
	ml_buf_free(&p->scratch);
	free(p);
}

static uint64_t hash_name(const char *s, size_t n)
{
	return XXH64(s, n, 0);
}

/* The column called name[0..n), or -1. */
static ssize_t lookup(const struct ml_profile *p, const char *name, size_t n)
{
	if (!p->tcap)
		return -1;
	for (size_t h = hash_name(name, n) & (p->tcap - 1);; h = (h + 1) & (p->tcap - 1)) {
		size_t slot = p->table[h];
		if (slot == 0)
			return -1;
		const struct ml_column *c = p->cols[slot - 1];
		if (c->name_len == n && memcmp(c->name, name, n) == 0)
			return (ssize_t)(slot - 1);
	}
}

static int table_put(struct ml_profile *p, size_t idx)
{
	const char *name = p->cols[idx]->name;

	if ((p->n + 1) * 2 > p->tcap) {
		size_t cap = p->tcap ? p->tcap * 2 : 64;
		size_t *t = calloc(cap, sizeof *t);
		if (!t)
			return -1;
		free(p->table);
		p->table = t;
		p->tcap = cap;
		for (size_t i = 0; i < p->n; i++)
			if (i != idx)
				table_put(p, i);
	}
	size_t h = hash_name(name, strlen(name)) & (p->tcap - 1);
	while (p->table[h])
		h = (h + 1) & (p->tcap - 1);
	p->table[h] = idx + 1;
	return 0;
}

struct ml_column *ml_profile_add_column(struct ml_profile *p, const char *name, size_t n)
{
	ssize_t found = lookup(p, name, n);
	struct ml_column *c;

	if (found >= 0)
		return p->cols[found];
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct ml_column **v = realloc(p->cols, cap * sizeof *v);
		if (!v)
			return NULL;
		p->cols = v;
		p->cap = cap;
	}
	if (!(c = calloc(1, sizeof *c)) || !(c->name = malloc(n + 1))) {
		free(c);
		return NULL;
	}
	memcpy(c->name, name, n);
	c->name[n] = '\0';
	c->name_len = n;
	c->num.min = INFINITY;
	c->num.max = -INFINITY;
	c->len_min = UINT64_MAX;
	c->skip = (p->opts.ncolumns && !listed(p->opts.columns, p->opts.ncolumns, c->name)) ||
		  listed(p->opts.exclude, p->opts.nexclude, c->name);
	p->cols[p->n++] = c;
	if (table_put(p, p->n - 1) < 0) {
		p->n--;
		free_column(c);
		return NULL;
	}
	return c;
}

/* The column of field i, through a cache by field position: records of one
 * dataset mostly list their fields in the same order. */
static struct ml_column *column_of(struct ml_profile *p, const struct ml_rec *r, size_t i)
{
	size_t klen;
	int escaped;
	const char *key = ml_rec_key_raw(r, i, &klen, &escaped);

	if (i < p->npos && p->by_pos[i]) {
		struct ml_column *c = p->by_pos[i];
		if (!escaped && c->name_len == klen && ml_bytes_equal(c->name, key, klen))
			return c;
	}
	if (escaped && !(key = ml_rec_key_text(r, i, &klen, &p->scratch)))
		return NULL;
	struct ml_column *c = ml_profile_add_column(p, key, klen);
	if (!c)
		return NULL;
	if (i >= p->npos) {
		size_t npos = i + 16;
		struct ml_column **v = realloc(p->by_pos, npos * sizeof *v);
		if (!v)
			return c;
		memset(v + p->npos, 0, (npos - p->npos) * sizeof *v);
		p->by_pos = v;
		p->npos = npos;
	}
	p->by_pos[i] = escaped ? NULL : c;
	return c;
}

/* The characters of the UTF-8 text s[0..n) (the bytes that do not continue
 * a character), or SIZE_MAX when it holds a backslash (an escape, to be
 * decoded first): one pass, eight bytes at a time while they are ASCII. */
static size_t plain_chars(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	size_t chars = 0, i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, q;
		memcpy(&x, s + i, 8);
		q = x ^ (ones * '\\');
		if ((q - ones) & ~q & high)
			return SIZE_MAX;        /* a byte of q is 0: a backslash */
		if (!(x & high)) {
			chars += 8;
			continue;
		}
		for (size_t j = i; j < i + 8; j++)
			chars += ((unsigned char)s[j] & 0xC0) != 0x80;
	}
	for (; i < n; i++) {
		if (s[i] == '\\')
			return SIZE_MAX;
		chars += ((unsigned char)s[i] & 0xC0) != 0x80;
	}
	return chars;
}

/* Field i of r, the string raw[0..n) with its quotes, into column c. */
static int add_string(struct ml_profile *p, struct ml_column *c, const struct ml_rec *r, size_t i,
		      const char *raw, size_t n)
{
	const char *s = raw + 1;
	uint64_t len;

	n -= 2;
	if ((len = plain_chars(s, n)) == SIZE_MAX) {
		ml_buf_reset(&p->scratch);
		if (ml_rec_string(r, i, &p->scratch) < 0)
			return -1;
		s = p->scratch.data ? p->scratch.data : "";
		n = p->scratch.len;
		len = ml_utf8_chars(s, n);
	}
	if (!c->cat && !(c->cat = ml_cat_new(ML_CAT_EXACT_LIMIT, ML_CAT_CAPACITY)))
		return -1;
	if (ml_cat_add(c->cat, s, n) < 0)
		return -1;
	if (len < c->len_min)
		c->len_min = len;
	if (len > c->len_max)
		c->len_max = len;
	c->len_sum += len;
	return 0;
}

/* Whether finite x is a whole number: floor is a call on x86-64's
 * baseline, and a conversion to an integer and back waited on itself.
 * Below 2^52, adding 2^52 rounds to a whole number (the spacing of doubles
 * is 1 there) and taking it away again is exact; from 2^52 every double is
 * whole. */
static int is_whole(double x)
{
	double ax = fabs(x), whole = (ax + 0x1p52) - 0x1p52;

	return (ax >= 0x1p52) | (whole == ax);
}

/* Folds a block of pending numbers in: its moments by two passes (no
 * division per value), merged by Chan's update; its values into the
 * column's KLL sketch as one block (ml_kll_add_block: a block of at most k
 * values is one sorted run, compacted up only as far as levels fill).
 * Measured: a third of ml-stats' time went to per-value Welford divisions
 * and per-value sketch compactions, and later a quarter to merging a new
 * sketch of each block, copying every level each time. */
static int fold_numbers(struct ml_column *c, const double *v, size_t n)
{
	struct ml_numstats blk = {0};

	if (!n)
		return 0;
	if (!c->num.sketch && !(c->num.sketch = ml_kll_new(ML_KLL_K)))
		return -1;
	if (ml_kll_add_block(c->num.sketch, v, n) < 0)
		return -1;
	/* moments about a shift, the column's first value: deviations from it
	 * are small where the values are large (1e9 + noise), so the block
	 * means merged below carry no rounding error of the magnitude */
	double shift = c->num.count ? c->num.shift : v[0], dev = 0;
	blk.min = INFINITY;
	blk.max = -INFINITY;
	/* one loop for the sum and the deviations: two chains of additions
	 * that wait on themselves run side by side */
	for (size_t i = 0; i < n; i++) {
		double x = v[i];
		double t = blk.sum + x;
		if (fabs(blk.sum) >= fabs(x))
			blk.sum_c += (blk.sum - t) + x;
		else
			blk.sum_c += (x - t) + blk.sum;
		blk.sum = t;
		dev += x - shift;
		if (x < blk.min)
			blk.min = x;
		if (x > blk.max)
			blk.max = x;
		blk.zeros += x == 0;
		blk.negatives += x < 0;
		blk.integers += is_whole(x);
	}
	blk.count = n;
	blk.shift = shift;
	blk.mean_s = dev / (double)n;
	for (size_t i = 0; i < n; i++) {
		double d = (v[i] - shift) - blk.mean_s;
		blk.m2 += d * d;
	}
	blk.mean = blk.shift + blk.mean_s;
	ml_numstats_merge(&c->num, &blk);
	return 0;
}

/* A full block folds in at once: blocks fold in the order they fill. */
static int flush_numbers(struct ml_column *c)
{
	size_t n = c->npending;

	c->npending = 0;
	return fold_numbers(c, c->pending, n);
}

/* Field i of r, the number raw[0..n), into column c: pending until a block
 * is full.  Its raw text is at hand, so the fast path is tried on it first
 * (ml_rec_number would look the field up again). */
static int add_number(struct ml_column *c, const struct ml_rec *r, size_t i, const char *raw, size_t n)
{
	double x;

	if (ml_json_fast_number(raw, raw + n, &x) != raw + n)
		ml_rec_number(r, i, &x);
	if (!isfinite(x)) {
		c->num.nonfinite++;
		return 0;
	}
	if (!c->pending && !(c->pending = malloc(PENDING * sizeof *c->pending)))
		return -1;
	c->pending[c->npending++] = x;
	return c->npending == PENDING ? flush_numbers(c) : 0;
}

int ml_profile_finish(struct ml_profile *p, struct ml_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < p->n && rc == 0; i++) {
		struct ml_column *c = p->cols[i];
		rc = fold_numbers(c, c->pending, c->npending);
		c->npending = 0;
	}
	return rc ? ml_err_sys(err, ENOMEM, "cannot profile the numbers") : 0;
}

int ml_profile_add(struct ml_profile *p, const struct ml_rec *r, struct ml_err *err)
{
	size_t nf = ml_rec_count(r);

	p->records++;
	if (nf > p->nrow) {
		struct ml_column **v = realloc(p->row, nf * sizeof *v);
		if (!v)
			return ml_err_sys(err, ENOMEM, "cannot profile a record");
		p->row = v;
		p->nrow = nf;
	}
	/* first the columns, in field order (so new ones are made in it) */
	for (size_t i = 0; i < nf; i++) {
		struct ml_column *c = column_of(p, r, i);
		if (!c)
			return ml_err_sys(err, ENOMEM, "cannot profile a column");
		c->last = i;
		p->row[i] = c;
	}
	for (size_t i = 0; i < nf; i++) {
		struct ml_column *c = p->row[i];
		/* a key given twice in a record counts once, by its last value,
		 * as jq reads it */
		if (c->skip || c->last != i)
			continue;
		enum ml_json_type t = ml_rec_type(r, i);
		c->types[t]++;
		if (t != ML_JSON_NUMBER && t != ML_JSON_STRING)
			continue;
		size_t n;
		const char *raw = ml_rec_value_raw(r, i, &n);
		if ((t == ML_JSON_NUMBER ? add_number(c, r, i, raw, n) : add_string(p, c, r, i, raw, n)) < 0)
			return ml_err_sys(err, ENOMEM, "cannot profile column '%s'", c->name);
	}
	return 0;
}

int ml_profile_add_source(struct ml_profile *p, uint64_t bytes, const char *sha256)
{
	char **v;

	p->bytes += bytes;
	if (!sha256)
		return 0;
	if (!(v = realloc(p->sources, (p->nsources + 1) * sizeof *v)))
		return -1;
	p->sources = v;
	if (!(v[p->nsources] = strdup(sha256)))
		return -1;
	p->nsources++;
	return 0;
}

/* Chan, Golub and LeVeque's pairwise update: the mean and m2 of the union. */
void ml_numstats_merge(struct ml_numstats *a, const struct ml_numstats *b)
{
	if (b->count) {
		if (!a->count) {
			a->shift = b->shift;
			a->mean_s = b->mean_s;
			a->m2 = b->m2;
		} else {
			/* both means about a's shift; shifts of one column are close,
			 * so their difference is exact (Sterbenz) */
			double n = (double)(a->count + b->count);
			double d = (b->mean_s + (b->shift - a->shift)) - a->mean_s;
			a->mean_s += d * (double)b->count / n;
			a->m2 += b->m2 + d * d * (double)a->count * (double)b->count / n;
		}
		a->mean = a->shift + a->mean_s;
		double t = a->sum + b->sum;
		if (fabs(a->sum) >= fabs(b->sum))
			a->sum_c += (a->sum - t) + b->sum;
		else
			a->sum_c += (b->sum - t) + a->sum;
		a->sum = t;
		a->sum_c += b->sum_c;
		a->count += b->count;
		if (b->min < a->min)
			a->min = b->min;
		if (b->max > a->max)
			a->max = b->max;
	}
	a->zeros += b->zeros;
	a->negatives += b->negatives;
	a->integers += b->integers;
	a->integers_unknown |= b->integers_unknown;
	a->nonfinite += b->nonfinite;
}

int ml_profile_merge(struct ml_profile *into, const struct ml_profile *from, struct ml_err *err)
{
	if (ml_profile_finish(into, err) < 0)
		return -1;
	/* a column the earlier records lacked was absent from them: its missing
	 * count follows from the record totals, so nothing needs filling in */
	into->records += from->records;
	for (size_t i = 0; i < from->nsources; i++)
		if (ml_profile_add_source(into, 0, from->sources[i]) < 0)
			return ml_err_sys(err, ENOMEM, "cannot merge profiles");
	into->bytes += from->bytes;
	for (size_t i = 0; i < from->n; i++) {
		const struct ml_column *b = from->cols[i];
		struct ml_column *a = ml_profile_add_column(into, b->name, b->name_len);
		if (!a)
			return ml_err_sys(err, ENOMEM, "cannot merge profiles");
		if (a->skip || b->skip)
			continue;
		for (int t = 0; t < 7; t++)
			a->types[t] += b->types[t];
		ml_numstats_merge(&a->num, &b->num);
		if (b->num.sketch) {
			if (!a->num.sketch && !(a->num.sketch = ml_kll_new(ML_KLL_K)))
				return ml_err_sys(err, ENOMEM, "cannot merge profiles");
			if (ml_kll_merge(a->num.sketch, b->num.sketch) < 0)
				return ml_err_sys(err, ENOMEM, "cannot merge profiles");
		}
		if (b->cat) {
			if (!a->cat && !(a->cat = ml_cat_new(ML_CAT_EXACT_LIMIT, ML_CAT_CAPACITY)))
				return ml_err_sys(err, ENOMEM, "cannot merge profiles");
			if (ml_cat_merge(a->cat, b->cat) < 0)
				return ml_err_sys(err, ENOMEM, "cannot merge profiles");
		}
		if (b->len_min < a->len_min)
			a->len_min = b->len_min;
		if (b->len_max > a->len_max)
			a->len_max = b->len_max;
		a->len_sum += b->len_sum;
	}
	return 0;
}

uint64_t ml_profile_records(const struct ml_profile *p) { return p->records; }
size_t ml_profile_ncolumns(const struct ml_profile *p) { return p->n; }
struct ml_column *ml_profile_column(const struct ml_profile *p, size_t i) { return p->cols[i]; }

struct ml_column *ml_profile_find(const struct ml_profile *p, const char *name)
{
	ssize_t i = lookup(p, name, strlen(name));
	return i < 0 ? NULL : p->cols[i];
}

uint64_t ml_column_missing(const struct ml_profile *p, const struct ml_column *c)
{
	uint64_t present = 0;

	for (int t = 1; t < 7; t++)
		present += c->types[t];
	return p->records - present;
}

double ml_numstats_std(const struct ml_numstats *s)
{
	return s->count < 2 ? NAN : sqrt(s->m2 / (double)(s->count - 1));
}
