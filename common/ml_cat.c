/* ml_cat: exact counts in a hash table, then a space-saving summary and a
 * HyperLogLog.  See ml_cat.h for the guarantees.
 *
 * One layout serves both modes: entries (value span in an arena, hash,
 * count, error, heap position), an open-addressing table of entry indices
 * (linear probing, load <= 1/2, backward-shift deletion so no tombstones),
 * and, once a summary, a binary min-heap over the entries whose root is the
 * counter to replace.  Heap order is total (count, then hash, then value),
 * so which counter goes depends only on the (value, count) set and never
 * on history: a summary read back from JSON replaces the same counters as
 * the one that wrote it.
 *
 * Every value is hashed with XXH3 to find it in the table (the low bits
 * pick the slot, the high 32 bits are a tag that settles most mismatches
 * without touching the arena): for short values XXH3 is a few
 * multiplications, and each value is looked up.  A value the counter takes
 * in is hashed once more with XXH64 (seed 0), the hash of the format: it
 * breaks ties in the heap, and its top 14 bits pick the HyperLogLog
 * register. */
#include "ml_cat.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
/* inline: a call into the shared library cost as much as hashing a short
 * value (the functions are the same, and so are the hashes) */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "ml_bytes.h"
#include "ml_json.h"

#define HLL_P 14
#define HLL_M (1u << HLL_P)
#define HLL_Q (64 - HLL_P)		/* registers hold 0 .. HLL_Q + 1 */
#define HLL_B64 ((HLL_M + 2) / 3 * 4)	/* base64 length of the registers */
#define MAX_ENTRIES ((size_t)1 << 30)	/* entry indices fit a uint32_t */

struct ent {
	uint64_t hash, count, error;	/* hash: XXH64, the format's */
	uint64_t th;		/* table_hash */
	size_t off, len;	/* value bytes in the arena */
	uint32_t hpos;		/* place in the heap (summary only) */
};

/* A heap node carries its sort key, so sifting reads no entries. */
struct hnode {
	uint64_t count, hash;	/* copies of the entry's */
	uint32_t idx;
};

struct slot {
	uint32_t tag;		/* table_hash >> 32 */
	uint32_t idx;		/* entry index + 1; 0 is an empty slot */
};

struct ml_cat {
	size_t exact_limit, capacity;
	uint64_t n;
	int sketch;
	struct ent *ent;
	struct hnode *heap;
	size_t size, ent_cap;
	struct slot *slot;
	size_t mask;		/* slots - 1; slot is NULL until the first value */
	uint8_t *hll;		/* HLL_M registers, summary only */
	struct ml_buf arena, spare;
	size_t live;		/* arena bytes still referenced */
};

/* A value with its counts, pointing into some counter's arena: what a
 * summary is rebuilt from, and what JSON output is sorted by. */
struct cand {
	const char *s;
	size_t len;
	uint64_t hash, count, error;
};

static const char *val(const struct ml_cat *c, const struct ent *e)
{
	return e->len ? c->arena.data + e->off : "";
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn;
	int r = n ? memcmp(a, b, n) : 0;

	if (r)
		return r;
	return an < bn ? -1 : an > bn;
}

/* ml_cat_top order: count descending, then value bytewise ascending. */
static int order(uint64_t ca, const char *a, size_t an, uint64_t cb, const char *b, size_t bn)
{
	if (ca != cb)
		return ca > cb ? -1 : 1;
	return bytes_cmp(a, an, b, bn);
}

static int ent_cmp(const struct ml_cat *c, uint32_t a, uint32_t b)
{
	const struct ent *x = &c->ent[a], *y = &c->ent[b];

	return order(x->count, val(c, x), x->len, y->count, val(c, y), y->len);
}

static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;

	return order(a->count, a->s, a->len, b->count, b->s, b->len);
}

static int item_cmp(const struct ml_cat_item *a, const struct ml_cat_item *b)
{
	return order(a->count, a->value, a->len, b->count, b->value, b->len);
}

/* ---- table, entries, arena ---- */

/* Where a value goes in the table: any good hash would do, and nothing
 * outside the table depends on it. */
static inline uint64_t table_hash(const char *s, size_t n)
{
	return XXH3_64bits(s, n);
}

/* The entry holding s[0..n), whose table_hash is h, or -1. */
static long find(const struct ml_cat *c, const char *s, size_t n, uint64_t h)
{
	uint32_t tag = (uint32_t)(h >> 32);

	if (!c->slot)
		return -1;
	for (size_t i = h & c->mask;; i = (i + 1) & c->mask) {
		struct slot sl = c->slot[i];
		if (!sl.idx)
			return -1;
		if (sl.tag == tag) {
			const struct ent *e = &c->ent[sl.idx - 1];
			if (e->len == n && ml_bytes_equal(val(c, e), s, n))
				return (long)sl.idx - 1;
		}
	}
}

static void slot_put(struct ml_cat *c, size_t idx)
{
	uint64_t h = c->ent[idx].th;
	size_t i = h & c->mask;

	while (c->slot[i].idx)
		i = (i + 1) & c->mask;
	c->slot[i].tag = (uint32_t)(h >> 32);
	c->slot[i].idx = (uint32_t)idx + 1;
}

/* Removes entry idx from the table, shifting later members of its probe
 * run back so that lookups never need tombstones. */
static void slot_del(struct ml_cat *c, size_t idx)
{
	size_t i = c->ent[idx].th & c->mask, j;

	while (c->slot[i].idx != idx + 1)
		i = (i + 1) & c->mask;
	for (j = i;;) {
		j = (j + 1) & c->mask;
		if (!c->slot[j].idx)
			break;
		size_t home = c->ent[c->slot[j].idx - 1].th & c->mask;
		if (((j - home) & c->mask) >= ((j - i) & c->mask)) {
			c->slot[i] = c->slot[j];
			i = j;
		}
	}
	c->slot[i].tag = 0;
	c->slot[i].idx = 0;
}

/* Makes the table big enough for `need` entries at load <= 1/2. */
static int table_reserve(struct ml_cat *c, size_t need)
{
	size_t slots = c->slot ? c->mask + 1 : 0, want = 16;
	struct slot *t;

	if (need <= slots / 2)
		return 0;
	while (want / 2 < need)
		want *= 2;
	if (!(t = calloc(want, sizeof *t)))
		return -1;
	free(c->slot);
	c->slot = t;
	c->mask = want - 1;
	for (size_t i = 0; i < c->size; i++)
		slot_put(c, i);
	return 0;
}

static int ensure_ent(struct ml_cat *c, size_t need)
{
	size_t cap = c->ent_cap ? c->ent_cap * 2 : 16;
	struct ent *e;
	struct hnode *h;

	if (need <= c->ent_cap)
		return 0;
	if (need > MAX_ENTRIES)
		return -1;
	if (c->sketch && cap > c->capacity)
		cap = c->capacity;	/* a summary never holds more */
	if (cap < need)
		cap = need;
	if (!(e = realloc(c->ent, cap * sizeof *e)))
		return -1;
	c->ent = e;
	if (!(h = realloc(c->heap, cap * sizeof *h)))
		return -1;
	c->heap = h;
	c->ent_cap = cap;
	return 0;
}

/* Appends an entry (not yet in the heap); its index, or -1 (memory) with
 * nothing changed.  s must not point into c's arena. */
static long new_ent(struct ml_cat *c, const char *s, size_t n, uint64_t h,
		    uint64_t count, uint64_t error)
{
	struct ent *e;

	if (ensure_ent(c, c->size + 1) < 0 || table_reserve(c, c->size + 1) < 0 ||
	    ml_buf_reserve(&c->arena, n) < 0)
		return -1;
	e = &c->ent[c->size];
	e->hash = h;
	e->th = table_hash(s, n);
	e->count = count;
	e->error = error;
	e->off = c->arena.len;
	e->len = n;
	e->hpos = 0;
	ml_buf_add(&c->arena, s, n);
	c->live += n;
	slot_put(c, c->size);
	return (long)c->size++;
}

/* Copies the live values to the spare arena and swaps the two, once
 * replaced values are most of the arena: memory stays O(live bytes). */
static int compact(struct ml_cat *c)
{
	struct ml_buf t;

	ml_buf_reset(&c->spare);
	if (ml_buf_reserve(&c->spare, c->live) < 0)
		return -1;
	for (size_t i = 0; i < c->size; i++) {
		struct ent *e = &c->ent[i];
		size_t off = c->spare.len;
		ml_buf_add(&c->spare, c->arena.data + e->off, e->len);
		e->off = off;
	}
	t = c->arena;
	c->arena = c->spare;
	c->spare = t;
	return 0;
}

/* ---- the min-heap of a summary: root = the counter to replace ---- */

/* Whether x is to be replaced before y: smaller count first, ties broken
 * by hash (cheap) and, were two hashes equal, by value. */
static inline int before(const struct ml_cat *c, const struct hnode *x, const struct hnode *y)
{
	/* no branch on data: ties between counts are common and random */
	int ceq = x->count == y->count;

	if (__builtin_expect(ceq & (x->hash == y->hash), 0))
		return ent_cmp(c, x->idx, y->idx) > 0;
	return (x->count < y->count) | (ceq & (x->hash < y->hash));
}

/* Bottom-up (Wegener): the hole goes down to a leaf along the smaller
 * children, then x climbs back to its place.  A replaced counter (count
 * min + 1 among many at min) belongs near the leaves, and this way no
 * branch depends on how a tie of counts falls. */
static void sift_down(struct ml_cat *c, size_t i)
{
	struct hnode x = c->heap[i], *h = c->heap;
	size_t top = i;

	for (;;) {
		size_t l = 2 * i + 1, m = l;
		if (l >= c->size)
			break;
		if (l + 1 < c->size)
			m += (size_t)before(c, &h[l + 1], &h[l]);
		h[i] = h[m];
		c->ent[h[i].idx].hpos = (uint32_t)i;
		i = m;
	}
	while (i > top) {
		size_t p = (i - 1) / 2;
		if (!before(c, &x, &h[p]))
			break;
		h[i] = h[p];
		c->ent[h[i].idx].hpos = (uint32_t)i;
		i = p;
	}
	h[i] = x;
	c->ent[x.idx].hpos = (uint32_t)i;
}

static void sift_up(struct ml_cat *c, size_t i)
{
	struct hnode x = c->heap[i], *h = c->heap;

	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(c, &x, &h[p]))
			break;
		h[i] = h[p];
		c->ent[h[i].idx].hpos = (uint32_t)i;
		i = p;
	}
	h[i] = x;
	c->ent[x.idx].hpos = (uint32_t)i;
}

static void set_node(struct ml_cat *c, size_t pos, uint32_t idx)
{
	c->heap[pos].count = c->ent[idx].count;
	c->heap[pos].hash = c->ent[idx].hash;
	c->heap[pos].idx = idx;
}

/* The most any value the summary does not hold can have occurred: the
 * smallest count once all counters are in use, else 0 (then every value
 * seen is held). */
static uint64_t floor_count(const struct ml_cat *c)
{
	if (!c->sketch || c->size == 0 || c->size < c->capacity)
		return 0;
	return c->heap[0].count;
}

/* ---- HyperLogLog ---- */

static void hll_add(uint8_t *reg, uint64_t h)
{
	uint64_t w = (h << HLL_P) | ((uint64_t)1 << (HLL_P - 1));
	uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);
	uint8_t *r = &reg[h >> HLL_Q];

	if (*r < rank)
		*r = rank;
}

/* Ertl, "New cardinality estimation algorithms for HyperLogLog sketches"
 * (2017), section 4: sigma and tau fold the registers at 0 and at the top
 * value into the harmonic mean, so one formula holds from 0 to 2^64
 * without the linear-counting switch or bias tables. */
static double hll_sigma(double x)
{
	double y = 1, z = x, zp;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (z != zp);
	return z;
}

static double hll_tau(double x)
{
	double y = 1, z = 1 - x, zp;

	if (x == 0 || x == 1)
		return 0;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != zp);
	return z / 3;
}

static double hll_estimate(const uint8_t *reg)
{
	uint32_t hist[HLL_Q + 2] = {0};
	double m = HLL_M, z;

	for (size_t i = 0; i < HLL_M; i++)
		hist[reg[i]]++;
	z = m * hll_tau(1 - hist[HLL_Q + 1] / m);
	for (int k = HLL_Q; k >= 1; k--)
		z = 0.5 * (z + hist[k]);
	z += m * hll_sigma(hist[0] / m);
	return m * m / (2 * log(2)) / z;
}

/* ---- switching to a summary ---- */

static void free_parts(struct ml_cat *c)
{
	free(c->ent);
	free(c->heap);
	free(c->slot);
	free(c->hll);
	ml_buf_free(&c->arena);
	ml_buf_free(&c->spare);
}

/* Makes c a summary of `cap` counters holding the first cap of
 * cands[0..m) in ml_cat_top order, with registers hll (which c takes over
 * on success).  cands may point into c's own arena.  -1 (memory) leaves c
 * as it was. */
static int become_sketch(struct ml_cat *c, struct cand *cands, size_t m, size_t cap, uint8_t *hll)
{
	struct ml_cat t = {0};
	size_t keep = m < cap ? m : cap, bytes = 0;

	qsort(cands, m, sizeof *cands, cand_cmp);
	for (size_t i = 0; i < keep; i++)
		bytes += cands[i].len;
	if (ensure_ent(&t, keep) < 0 || table_reserve(&t, keep) < 0 ||
	    ml_buf_reserve(&t.arena, bytes) < 0) {
		free_parts(&t);
		return -1;
	}
	for (size_t i = 0; i < keep; i++)
		new_ent(&t, cands[i].s, cands[i].len, cands[i].hash, cands[i].count, cands[i].error);
	for (size_t j = 0; j < keep; j++)
		set_node(&t, j, (uint32_t)j);
	for (size_t j = keep / 2; j-- > 0;)
		sift_down(&t, j);
	for (size_t j = 0; j < keep; j++)
		t.ent[t.heap[j].idx].hpos = (uint32_t)j;
	if (c->hll == hll)
		c->hll = NULL;
	free_parts(c);
	c->ent = t.ent;
	c->heap = t.heap;
	c->size = t.size;
	c->ent_cap = t.ent_cap;
	c->slot = t.slot;
	c->mask = t.mask;
	c->arena = t.arena;
	c->live = t.live;
	c->hll = hll;
	c->capacity = cap;
	c->sketch = 1;
	return 0;
}

/* From exact counts to a summary seeded with the largest of them and a
 * HyperLogLog of every value known. */
static int to_sketch(struct ml_cat *c)
{
	uint8_t *hll = calloc(HLL_M, 1);
	struct cand *cd = malloc(c->size * sizeof *cd);
	int r = -1;

	if (hll && cd) {
		for (size_t i = 0; i < c->size; i++) {
			const struct ent *e = &c->ent[i];
			cd[i] = (struct cand){val(c, e), e->len, e->hash, e->count, 0};
			hll_add(hll, e->hash);
		}
		r = become_sketch(c, cd, c->size, c->capacity, hll);
	}
	if (r < 0)
		free(hll);
	free(cd);
	return r;
}

/* ---- the API ---- */

struct ml_cat *ml_cat_new(size_t exact_limit, size_t capacity)
{
	struct ml_cat *c;

	if (capacity == 0 || capacity > MAX_ENTRIES)
		return NULL;
	if (!(c = calloc(1, sizeof *c)))
		return NULL;
	c->exact_limit = exact_limit < MAX_ENTRIES - 1 ? exact_limit : MAX_ENTRIES - 1;
	c->capacity = capacity;
	return c;
}

void ml_cat_free(struct ml_cat *c)
{
	if (!c)
		return;
	free_parts(c);
	free(c);
}

/* A value the summary does not hold takes the place of the smallest
 * counter, inheriting its count as error (Metwally et al.). */
static int replace_min(struct ml_cat *c, const char *s, size_t n, uint64_t h)
{
	uint32_t idx;
	struct ent *e;

	if (c->arena.len > 2 * c->live + 65536 && compact(c) < 0)
		return -1;
	if (ml_buf_reserve(&c->arena, n) < 0)
		return -1;
	idx = c->heap[0].idx;
	e = &c->ent[idx];
	slot_del(c, idx);
	c->live -= e->len;
	e->off = c->arena.len;
	e->len = n;
	ml_buf_add(&c->arena, s, n);
	c->live += n;
	e->hash = h;
	e->th = table_hash(s, n);
	e->error = e->count;
	e->count++;
	slot_put(c, idx);
	set_node(c, 0, idx);
	sift_down(c, 0);
	return 0;
}

int ml_cat_add(struct ml_cat *c, const char *s, size_t n)
{
	long i = find(c, s, n, table_hash(s, n));
	uint64_t h;

	if (i >= 0) {
		c->ent[i].count++;
		if (c->sketch) {
			c->heap[c->ent[i].hpos].count++;
			sift_down(c, c->ent[i].hpos);
			hll_add(c->hll, c->ent[i].hash);
		}
		c->n++;
		return 0;
	}
	h = XXH64(s, n, 0);
	if (!c->sketch) {
		if (new_ent(c, s, n, h, 1, 0) < 0)
			return -1;
		c->n++;
		return c->size > c->exact_limit ? to_sketch(c) : 0;
	}
	if (c->size < c->capacity) {
		long j = new_ent(c, s, n, h, 1, 0);
		if (j < 0)
			return -1;
		set_node(c, (size_t)j, (uint32_t)j);
		sift_up(c, (size_t)j);
	} else if (replace_min(c, s, n, h) < 0) {
		return -1;
	}
	hll_add(c->hll, h);
	c->n++;
	return 0;
}

static int merge_exact(struct ml_cat *into, const struct ml_cat *from)
{
	size_t more = 0, bytes = 0, size = from->size;

	for (size_t i = 0; i < size; i++) {
		const struct ent *e = &from->ent[i];
		if (find(into, val(from, e), e->len, e->th) < 0) {
			more++;
			bytes += e->len;
		}
	}
	if (ensure_ent(into, into->size + more) < 0 || table_reserve(into, into->size + more) < 0 ||
	    ml_buf_reserve(&into->arena, bytes) < 0)
		return -1;
	for (size_t i = 0; i < size; i++) {
		const struct ent *e = &from->ent[i];
		long j = find(into, val(from, e), e->len, e->th);
		if (j >= 0)
			into->ent[j].count += e->count;
		else
			new_ent(into, val(from, e), e->len, e->hash, e->count, 0);
	}
	into->n += from->n;
	return into->size > into->exact_limit ? to_sketch(into) : 0;
}

/* Agarwal et al. (and Cafaro et al.'s parallel space saving): a value
 * missing from one side may have occurred there up to that side's floor,
 * so it gets the floor added to count and error alike; then the `cap`
 * largest stay. */
static int merge_sketch(struct ml_cat *into, const struct ml_cat *from)
{
	const struct ml_cat *a = into, *b = from;
	uint64_t fa = floor_count(a), fb = floor_count(b);
	size_t cap, m = 0;
	uint8_t *hll = malloc(HLL_M);
	struct cand *cd = malloc((a->size + b->size + 1) * sizeof *cd);
	int r = -1;

	if (a->sketch && b->sketch)
		cap = a->capacity < b->capacity ? a->capacity : b->capacity;
	else
		cap = a->sketch ? a->capacity : b->capacity;
	if (!hll || !cd)
		goto out;
	if (a->sketch) {
		memcpy(hll, a->hll, HLL_M);
	} else {
		memset(hll, 0, HLL_M);
		for (size_t i = 0; i < a->size; i++)
			hll_add(hll, a->ent[i].hash);
	}
	if (b->sketch) {
		for (size_t i = 0; i < HLL_M; i++)
			if (hll[i] < b->hll[i])
				hll[i] = b->hll[i];
	} else {
		for (size_t i = 0; i < b->size; i++)
			hll_add(hll, b->ent[i].hash);
	}
	for (size_t i = 0; i < a->size; i++) {
		const struct ent *e = &a->ent[i];
		long j = find(b, val(a, e), e->len, e->th);
		struct cand *x = &cd[m++];
		*x = (struct cand){val(a, e), e->len, e->hash, e->count + fb, e->error + fb};
		if (j >= 0) {
			x->count = e->count + b->ent[j].count;
			x->error = e->error + b->ent[j].error;
		}
	}
	for (size_t i = 0; i < b->size; i++) {
		const struct ent *e = &b->ent[i];
		if (find(a, val(b, e), e->len, e->th) < 0)
			cd[m++] = (struct cand){val(b, e), e->len, e->hash, e->count + fa, e->error + fa};
	}
	uint64_t n = a->n + b->n;
	r = become_sketch(into, cd, m, cap, hll);
	if (r == 0)
		into->n = n;
out:
	if (r < 0)
		free(hll);
	free(cd);
	return r;
}

int ml_cat_merge(struct ml_cat *into, const struct ml_cat *from)
{
	if (!into->sketch && !from->sketch)
		return merge_exact(into, from);
	return merge_sketch(into, from);
}

uint64_t ml_cat_total(const struct ml_cat *c)
{
	return c->n;
}

uint64_t ml_cat_distinct(const struct ml_cat *c, int *exact)
{
	double est;

	if (exact)
		*exact = !c->sketch;
	if (!c->sketch)
		return c->size;
	/* the values held are distinct, and there cannot be more than n */
	est = floor(hll_estimate(c->hll) + 0.5);
	if (est < (double)c->size)
		return c->size;
	if (est > (double)c->n)
		return c->n;
	return (uint64_t)est;
}

static void item_sift_down(struct ml_cat_item *h, size_t n, size_t i)
{
	struct ml_cat_item x = h[i];

	for (;;) {
		size_t l = 2 * i + 1, m = l;
		if (l >= n)
			break;
		if (l + 1 < n && item_cmp(&h[l + 1], &h[l]) > 0)
			m = l + 1;
		if (item_cmp(&h[m], &x) <= 0)
			break;
		h[i] = h[m];
		i = m;
	}
	h[i] = x;
}

size_t ml_cat_top(const struct ml_cat *c, size_t k, struct ml_cat_item *out)
{
	size_t m = 0;

	if (k == 0)
		return 0;
	/* a heap of the best k so far, the worst of them at the root */
	for (size_t i = 0; i < c->size; i++) {
		const struct ent *e = &c->ent[i];
		struct ml_cat_item it = {val(c, e), e->len, e->count, e->error};
		if (m < k) {
			size_t j = m++;
			while (j > 0 && item_cmp(&it, &out[(j - 1) / 2]) > 0) {
				out[j] = out[(j - 1) / 2];
				j = (j - 1) / 2;
			}
			out[j] = it;
		} else if (item_cmp(&it, &out[0]) < 0) {
			out[0] = it;
			item_sift_down(out, m, 0);
		}
	}
	for (size_t end = m; end > 1; end--) {
		struct ml_cat_item t = out[0];
		out[0] = out[end - 1];
		out[end - 1] = t;
		item_sift_down(out, end - 1, 0);
	}
	return m;
}

uint64_t ml_cat_count(const struct ml_cat *c, const char *s, size_t n, uint64_t *error)
{
	long i = find(c, s, n, table_hash(s, n));

	if (error)
		*error = i >= 0 ? c->ent[i].error : floor_count(c);
	return i >= 0 ? c->ent[i].count : 0;
}

/* ---- JSON ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_encode(struct ml_buf *out, const uint8_t *p, size_t n)
{
	char *o;

	if (ml_buf_reserve(out, (n + 2) / 3 * 4) < 0)
		return -1;
	o = out->data + out->len;
	for (; n >= 3; p += 3, n -= 3) {
		uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
		*o++ = b64[v >> 18];
		*o++ = b64[v >> 12 & 63];
		*o++ = b64[v >> 6 & 63];
		*o++ = b64[v & 63];
	}
	if (n) {
		uint32_t v = (uint32_t)p[0] << 16 | (n == 2 ? (uint32_t)p[1] << 8 : 0);
		*o++ = b64[v >> 18];
		*o++ = b64[v >> 12 & 63];
		*o++ = n == 2 ? b64[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	out->len = (size_t)(o - out->data);
	return 0;
}

static int b64_value(unsigned char ch)
{
	const char *q = ch ? strchr(b64, ch) : NULL;

	return q ? (int)(q - b64) : -1;
}

/* Decodes canonical padded base64 s[0..n) into exactly `want` bytes at
 * out; 0, or -1 when s is anything else. */
static int b64_decode(const char *s, size_t n, uint8_t *out, size_t want)
{
	size_t o = 0;

	if (n != (want + 2) / 3 * 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int pad = (s[i + 3] == '=') + (s[i + 2] == '=' && s[i + 3] == '=');
		int d[4];
		uint32_t v = 0;
		if (pad && i + 4 != n)
			return -1;
		for (int k = 0; k < 4 - pad; k++) {
			if ((d[k] = b64_value((unsigned char)s[i + (size_t)k])) < 0)
				return -1;
			v |= (uint32_t)d[k] << (18 - 6 * k);
		}
		if (v & ((1u << (8 * pad)) - 1))
			return -1;	/* bits beyond the data: not canonical */
		for (int k = 0; k < 3 - pad; k++)
			out[o++] = (uint8_t)(v >> (16 - 8 * k));
	}
	return o == want ? 0 : -1;
}

/* The entries as candidates sorted in ml_cat_top order (NULL only when
 * memory is out and there are entries). */
static struct cand *sorted(const struct ml_cat *c)
{
	struct cand *cd = malloc((c->size + 1) * sizeof *cd);

	if (!cd)
		return NULL;
	for (size_t i = 0; i < c->size; i++) {
		const struct ent *e = &c->ent[i];
		cd[i] = (struct cand){val(c, e), e->len, e->hash, e->count, e->error};
	}
	qsort(cd, c->size, sizeof *cd, cand_cmp);
	return cd;
}

int ml_cat_to_json(const struct ml_cat *c, struct ml_buf *out)
{
	struct cand *cd = sorted(c);
	int r = -1;

	if (!cd)
		return -1;
	if (ml_buf_printf(out, "{\"exact\":%s,\"n\":%" PRIu64, c->sketch ? "false" : "true", c->n) < 0)
		goto out;
	if (c->sketch && ml_buf_printf(out, ",\"capacity\":%zu", c->capacity) < 0)
		goto out;
	if (ml_buf_adds(out, ",\"values\":[") < 0)
		goto out;
	for (size_t i = 0; i < c->size; i++) {
		if ((i && ml_buf_addc(out, ',') < 0) || ml_buf_addc(out, '[') < 0 ||
		    ml_json_quote(out, cd[i].s, cd[i].len) < 0 ||
		    ml_buf_printf(out, ",%" PRIu64, cd[i].count) < 0 ||
		    (c->sketch && ml_buf_printf(out, ",%" PRIu64, cd[i].error) < 0) ||
		    ml_buf_addc(out, ']') < 0)
			goto out;
	}
	if (ml_buf_addc(out, ']') < 0)
		goto out;
	if (c->sketch && (ml_buf_adds(out, ",\"hll\":\"") < 0 || b64_encode(out, c->hll, HLL_M) < 0 ||
			  ml_buf_addc(out, '"') < 0))
		goto out;
	r = ml_buf_addc(out, '}');
out:
	free(cd);
	return r;
}

/* One element of "values" as read: the value's bytes in the parser's
 * buffer, its count and, for a summary, its error. */
struct rec {
	size_t off, len;
	uint64_t count, error;
	int fields;
};

struct parse {
	const char *p, *end, *text;
	struct ml_err *err;
	struct ml_buf strs;	/* the decoded values, back to back */
	struct rec *rec;
	size_t nrec, rec_cap;
};

static int bad(struct parse *ps, const char *what)
{
	return ml_err_set(ps->err, ML_ERR_DATA, "categorical counts: %s at byte %zu", what,
			  (size_t)(ps->p - ps->text));
}

static void ws(struct parse *ps)
{
	ps->p = ml_json_skip_ws(ps->p, ps->end);
}

static int expect(struct parse *ps, char ch, const char *what)
{
	ws(ps);
	if (ps->p == ps->end || *ps->p != ch)
		return bad(ps, what);
	ps->p++;
	ws(ps);
	return 0;
}

/* A JSON string at p: its raw contents (between the quotes). */
static int raw_string(struct parse *ps, const char **s, size_t *n, int *escaped, const char *what)
{
	struct ml_json_fail fail;
	const char *e;

	if (ps->p == ps->end || *ps->p != '"')
		return bad(ps, what);
	if (!(e = ml_json_scan_string(ps->p, ps->end, escaped, &fail))) {
		ps->p = fail.at;
		return bad(ps, fail.why);
	}
	*s = ps->p + 1;
	*n = (size_t)(e - ps->p) - 2;
	ps->p = e;
	return 0;
}

/* A non-negative integer (at most 2^64 - 1) written without fraction or
 * exponent: counts are exact. */
static int uint_value(struct parse *ps, uint64_t *v, const char *what)
{
	const char *p = ps->p;
	uint64_t x = 0;

	if (p == ps->end || *p < '0' || *p > '9' || (*p == '0' && p + 1 < ps->end && p[1] >= '0' && p[1] <= '9'))
		return bad(ps, what);
	for (; p < ps->end && *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return bad(ps, "number too large (counts are below 2^64)");
		x = x * 10 + d;
	}
	if (p < ps->end && (*p == '.' || *p == 'e' || *p == 'E'))
		return bad(ps, what);
	ps->p = p;
	*v = x;
	return 0;
}

static int values_array(struct parse *ps)
{
	if (expect(ps, '[', "expected '[' opening \"values\"") < 0)
		return -1;
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return 0;
	}
	for (;;) {
		struct rec r = {0};
		const char *s;
		size_t n;
		int escaped;

		if (expect(ps, '[', "expected a [value, count] array in \"values\"") < 0 ||
		    raw_string(ps, &s, &n, &escaped, "expected a string value first in a \"values\" element") < 0)
			return -1;
		r.off = ps->strs.len;
		if (escaped ? ml_json_unescape(s, n, &ps->strs) < 0 : ml_buf_add(&ps->strs, s, n) < 0)
			return ml_err_set(ps->err, ML_ERR_IO, "categorical counts: out of memory");
		r.len = ps->strs.len - r.off;
		if (expect(ps, ',', "expected ',' and a count after a value") < 0 ||
		    uint_value(ps, &r.count, "expected a non-negative integer count") < 0)
			return -1;
		r.fields = 2;
		ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			ws(ps);
			if (uint_value(ps, &r.error, "expected a non-negative integer error") < 0)
				return -1;
			r.fields = 3;
		}
		if (expect(ps, ']', "expected ']' closing a \"values\" element") < 0)
			return -1;
		if (ps->nrec == ps->rec_cap) {
			size_t cap = ps->rec_cap ? 2 * ps->rec_cap : 64;
			struct rec *t = realloc(ps->rec, cap * sizeof *t);
			if (!t)
				return ml_err_set(ps->err, ML_ERR_IO, "categorical counts: out of memory");
			ps->rec = t;
			ps->rec_cap = cap;
		}
		ps->rec[ps->nrec++] = r;
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return 0;
		}
		if (expect(ps, ',', "expected ',' or ']' after a \"values\" element") < 0)
			return -1;
	}
}

static int hll_string(struct parse *ps, uint8_t *reg)
{
	const char *s, *at = ps->p;
	size_t n;
	int escaped, r;
	struct ml_buf plain = {0};

	if (raw_string(ps, &s, &n, &escaped, "expected a base64 string for \"hll\"") < 0)
		return -1;
	if (escaped) {
		if (ml_json_unescape(s, n, &plain) < 0)
			return ml_err_set(ps->err, ML_ERR_IO, "categorical counts: out of memory");
		s = plain.data;
		n = plain.len;
	}
	r = b64_decode(s, n, reg, HLL_M);
	ml_buf_free(&plain);
	if (r < 0)
		return ml_err_set(ps->err, ML_ERR_DATA,
				  "categorical counts: \"hll\" is not %u characters of padded base64 "
				  "(%u one-byte registers) at byte %zu", HLL_B64, HLL_M, (size_t)(at - ps->text));
	for (size_t i = 0; i < HLL_M; i++)
		if (reg[i] > HLL_Q + 1)
			return ml_err_set(ps->err, ML_ERR_DATA,
					  "categorical counts: \"hll\" register %zu is %u, above the largest rank %d",
					  i, reg[i], HLL_Q + 1);
	return 0;
}

enum { K_EXACT, K_N, K_CAPACITY, K_VALUES, K_HLL, K_COUNT };
static const char *const key_name[K_COUNT] = {"exact", "n", "capacity", "values", "hll"};

struct parsed {
	int seen[K_COUNT];
	int exact;
	uint64_t n, capacity;
	uint8_t *hll;
};

static int object(struct parse *ps, struct parsed *o)
{
	if (expect(ps, '{', "expected a JSON object") < 0)
		return -1;
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return 0;
	}
	for (;;) {
		const char *k;
		size_t kn;
		int escaped, key = -1, r;
		uint64_t v;

		if (raw_string(ps, &k, &kn, &escaped, "expected a key") < 0)
			return -1;
		for (int i = 0; i < K_COUNT; i++)
			if (ml_json_string_equals(k, kn, escaped, key_name[i], strlen(key_name[i])))
				key = i;
		if (key < 0)
			return ml_err_set(ps->err, ML_ERR_DATA, "categorical counts: unknown key \"%.*s\" at byte %zu",
					  kn > 40 ? 40 : (int)kn, k, (size_t)(k - 1 - ps->text));
		if (o->seen[key])
			return ml_err_set(ps->err, ML_ERR_DATA, "categorical counts: key \"%s\" twice at byte %zu",
					  key_name[key], (size_t)(k - 1 - ps->text));
		o->seen[key] = 1;
		if (expect(ps, ':', "expected ':' after a key") < 0)
			return -1;
		switch (key) {
		case K_EXACT:
			if ((size_t)(ps->end - ps->p) >= 4 && memcmp(ps->p, "true", 4) == 0) {
				o->exact = 1;
				ps->p += 4;
			} else if ((size_t)(ps->end - ps->p) >= 5 && memcmp(ps->p, "false", 5) == 0) {
				o->exact = 0;
				ps->p += 5;
			} else {
				return bad(ps, "expected true or false for \"exact\"");
			}
			r = 0;
			break;
		case K_N:
			r = uint_value(ps, &o->n, "expected a non-negative integer for \"n\"");
			break;
		case K_CAPACITY:
			r = uint_value(ps, &v, "expected a positive integer for \"capacity\"");
			if (r == 0 && (v == 0 || v > MAX_ENTRIES))
				r = bad(ps, "\"capacity\" out of range (1 to 2^30)");
			o->capacity = v;
			break;
		case K_VALUES:
			r = values_array(ps);
			break;
		default:
			if (!(o->hll = malloc(HLL_M)))
				return ml_err_set(ps->err, ML_ERR_IO, "categorical counts: out of memory");
			r = hll_string(ps, o->hll);
			break;
		}
		if (r < 0)
			return -1;
		ws(ps);
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return 0;
		}
		if (expect(ps, ',', "expected ',' or '}' after a member") < 0)
			return -1;
	}
}

static int cand_bytes_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;

	return bytes_cmp(a->s, a->len, b->s, b->len);
}

/* Checks what object() read against the format; 0 or -1 with err. */
static int check(struct parse *ps, struct parsed *o, struct cand *cd)
{
	struct ml_err *err = ps->err;
	uint64_t sum = 0;
	int want = o->exact ? 2 : 3;

	for (int i = 0; i < K_COUNT; i++) {
		int needed = i != K_CAPACITY && i != K_HLL ? 1 : !o->exact;
		if (needed && !o->seen[i])
			return ml_err_set(err, ML_ERR_DATA, "categorical counts: missing key \"%s\"", key_name[i]);
		if (!needed && o->seen[i])
			return ml_err_set(err, ML_ERR_DATA,
					  "categorical counts: key \"%s\" belongs to a summary (\"exact\":false) only",
					  key_name[i]);
	}
	if (!o->exact && ps->nrec > o->capacity)
		return ml_err_set(err, ML_ERR_DATA, "categorical counts: %zu values for capacity %" PRIu64,
				  ps->nrec, o->capacity);
	for (size_t i = 0; i < ps->nrec; i++) {
		struct rec *r = &ps->rec[i];
		if (r->fields != want)
			return ml_err_set(err, ML_ERR_DATA,
					  "categorical counts: values[%zu] has %d elements, not %d (%s)", i,
					  r->fields, want, o->exact ? "value, count" : "value, count, error");
		if (r->count == 0)
			return ml_err_set(err, ML_ERR_DATA, "categorical counts: values[%zu] has count 0", i);
		if (r->error >= r->count)
			return ml_err_set(err, ML_ERR_DATA,
					  "categorical counts: values[%zu] has error %" PRIu64 " not below its count %" PRIu64,
					  i, r->error, r->count);
		if (sum + r->count < sum)
			return ml_err_set(err, ML_ERR_DATA, "categorical counts: counts overflow 2^64");
		sum += r->count;
		cd[i] = (struct cand){r->len ? ps->strs.data + r->off : "", r->len, 0, r->count, r->error};
	}
	if (o->exact && sum != o->n)
		return ml_err_set(err, ML_ERR_DATA,
				  "categorical counts: exact counts sum to %" PRIu64 ", not \"n\" %" PRIu64, sum, o->n);
	if (!o->exact && sum > o->n)
		return ml_err_set(err, ML_ERR_DATA,
				  "categorical counts: counts sum to %" PRIu64 ", more than \"n\" %" PRIu64, sum, o->n);
	qsort(cd, ps->nrec, sizeof *cd, cand_bytes_cmp);
	for (size_t i = 1; i < ps->nrec; i++)
		if (cand_bytes_cmp(&cd[i - 1], &cd[i]) == 0)
			return ml_err_set(err, ML_ERR_DATA, "categorical counts: a value appears twice in \"values\"");
	for (size_t i = 0; i < ps->nrec; i++)
		cd[i].hash = XXH64(cd[i].s, cd[i].len, 0);
	return 0;
}

struct ml_cat *ml_cat_from_json(const char *text, size_t len, size_t exact_limit, struct ml_err *err)
{
	struct parse ps = {text, text + len, text, err, {0}, NULL, 0, 0};
	struct parsed o = {{0}, 0, 0, 0, NULL};
	struct ml_cat *c = NULL;
	struct cand *cd = NULL;

	if (object(&ps, &o) < 0)
		goto fail;
	ws(&ps);
	if (ps.p != ps.end) {
		bad(&ps, "unexpected text after the object");
		goto fail;
	}
	if (!o.seen[K_EXACT]) {
		ml_err_set(err, ML_ERR_DATA, "categorical counts: missing key \"exact\"");
		goto fail;
	}
	if (!(cd = malloc((ps.nrec + 1) * sizeof *cd)))
		goto oom;
	if (check(&ps, &o, cd) < 0)
		goto fail;
	if (!(c = ml_cat_new(exact_limit, o.exact ? ML_CAT_CAPACITY : o.capacity)))
		goto oom;
	c->n = o.n;
	if (o.exact) {
		if (ensure_ent(c, ps.nrec) < 0)
			goto oom;
		for (size_t i = 0; i < ps.nrec; i++)
			if (new_ent(c, cd[i].s, cd[i].len, cd[i].hash, cd[i].count, 0) < 0)
				goto oom;
		if (c->size > c->exact_limit && to_sketch(c) < 0)
			goto oom;
	} else {
		if (become_sketch(c, cd, ps.nrec, o.capacity, o.hll) < 0)
			goto oom;
		o.hll = NULL;
	}
	free(cd);
	free(o.hll);
	free(ps.rec);
	ml_buf_free(&ps.strs);
	return c;
oom:
	ml_err_set(err, ML_ERR_IO, "categorical counts: out of memory");
fail:
	ml_cat_free(c);
	free(cd);
	free(o.hll);
	free(ps.rec);
	ml_buf_free(&ps.strs);
	return NULL;
}
