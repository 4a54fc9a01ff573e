/* Drift of a string or boolean column: chi-square, Jensen-Shannon,
 * L-infinity and PSI over the categories, with the categories that are new
 * or gone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "ml_dist.h"
#include "ml_json.h"

#define MAX_LISTED 50	/* new or vanished categories named in the output */

/* The category of the values a sketched counter no longer tracks. */
static const char OTHER[] = "(other)";

struct cats {
	const char **name;
	size_t *len;
	double *ref, *cur;
	size_t n, cap;
};

static int cats_add(struct cats *c, const char *name, size_t len, double ref, double cur)
{
	for (size_t i = 0; i < c->n; i++)
		if ((c->name[i] == OTHER) == (name == OTHER) && c->len[i] == len &&
		    memcmp(c->name[i], name, len) == 0) {
			c->ref[i] += ref;
			c->cur[i] += cur;
			return 0;
		}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		const char **nm = realloc(c->name, cap * sizeof *nm);
		if (!nm)
			return -1;
		c->name = nm;
		size_t *ln = realloc(c->len, cap * sizeof *ln);
		if (!ln)
			return -1;
		c->len = ln;
		double *r = realloc(c->ref, cap * sizeof *r);
		if (!r)
			return -1;
		c->ref = r;
		double *u = realloc(c->cur, cap * sizeof *u);
		if (!u)
			return -1;
		c->cur = u;
		c->cap = cap;
	}
	c->name[c->n] = name;
	c->len[c->n] = len;
	c->ref[c->n] = ref;
	c->cur[c->n] = cur;
	c->n++;
	return 0;
}

static void cats_free(struct cats *c)
{
	free(c->name);
	free(c->len);
	free(c->ref);
	free(c->cur);
}

/* The values a counter holds, most frequent first, and whether its counts
 * are exact.  A missing counter holds nothing and is exact. */
struct held {
	struct ml_cat_item *item;
	size_t n;
	int exact;
	uint64_t total;
};

static int held_of(const struct ml_cat *cat, struct held *h)
{
	memset(h, 0, sizeof *h);
	h->exact = 1;
	if (!cat)
		return 0;
	uint64_t distinct = ml_cat_distinct(cat, &h->exact);
	size_t want = h->exact ? (size_t)distinct : ML_CAT_CAPACITY;
	if (!(h->item = calloc(want ? want : 1, sizeof *h->item)))
		return -1;
	h->n = ml_cat_top(cat, want, h->item);
	h->total = ml_cat_total(cat);
	return 0;
}

/* The count of value v on a side: exact (0 when never seen) on an exact
 * side; on a summary the least it occurred (count minus error, so that the
 * named counts of a side never exceed what it saw), or -1 when the summary
 * does not hold it (its count is then unknown, anywhere up to the error). */
static double held_count(const struct ml_cat *cat, const struct held *h, const char *v, size_t len)
{
	uint64_t err = 0, c = cat ? ml_cat_count(cat, v, len, &err) : 0;

	if (h->exact)
		return (double)c;
	return c ? (double)(c - err) : -1;
}

/* The categories of both sides with their counts.  Where both counters
 * are exact, every value.  Where one is a summary (more distinct values
 * than it counts exactly), only the values whose count is known on both
 * sides are named; the rest of each side goes to one "other" category, so
 * that a value held by one summary and not the other is neither new, nor
 * gone, nor a difference. */
static int gather(struct cats *c, const struct ml_cat *rcat, const struct ml_cat *ccat)
{
	struct held hr, hc;
	double nr = 0, nc = 0;
	int rc = 0;

	if (held_of(rcat, &hr) < 0)
		return -1;
	if (held_of(ccat, &hc) < 0) {
		free(hr.item);
		return -1;
	}
	for (int side = 0; side < 2 && rc == 0; side++) {
		const struct held *h = side ? &hc : &hr;
		for (size_t i = 0; i < h->n && rc == 0; i++) {
			const char *v = h->item[i].value;
			size_t len = h->item[i].len;
			double r = held_count(rcat, &hr, v, len), k = held_count(ccat, &hc, v, len);
			if (r < 0 || k < 0)
				continue;	/* unknown on a side: "other" */
			if (side && r > 0)
				continue;	/* named from the reference already */
			nr += r;
			nc += k;
			rc = cats_add(c, v, len, r, k);
		}
	}
	if (rc == 0 && ((double)hr.total > nr || (double)hc.total > nc))
		rc = cats_add(c, OTHER, sizeof OTHER - 1, (double)hr.total - nr, (double)hc.total - nc);
	free(hr.item);
	free(hc.item);
	return rc;
}

static void put_names(struct ml_buf *b, const char *key, const struct cats *c, int want_new)
{
	size_t listed = 0, total = 0;

	ml_buf_printf(b, ",\"%s\":[", key);
	for (size_t i = 0; i < c->n; i++) {
		int is = want_new ? c->ref[i] == 0 && c->cur[i] > 0 : c->ref[i] > 0 && c->cur[i] == 0;
		if (!is || c->name[i] == OTHER)
			continue;
		total++;
		if (listed++ >= MAX_LISTED)
			continue;
		if (listed > 1)
			ml_buf_addc(b, ',');
		ml_json_quote(b, c->name[i], c->len[i]);
	}
	ml_buf_printf(b, "],\"%s_count\":%zu", key, total);
}

int drift_categorical(struct side *ref, struct side *cur, const struct ml_column *rc,
		      const struct ml_column *cc, const struct drift_opts *o, struct column_result *r)
{
	struct cats c = {0};
	struct ml_chi2 chi;
	int rc_ok = 0;
	int boolean = !rc->cat && (rc->types[1] + rc->types[2]);

	(void)ref;
	(void)cur;
	r->type = boolean ? "boolean" : "string";
	if (boolean || (!rc->cat && !cc->cat)) {
		if (cats_add(&c, "true", 4, (double)rc->types[2], (double)cc->types[2]) < 0 ||
		    cats_add(&c, "false", 5, (double)rc->types[1], (double)cc->types[1]) < 0)
			rc_ok = -1;
	} else if (gather(&c, rc->cat, cc->cat) < 0) {
		rc_ok = -1;
	}
	if (rc_ok < 0) {
		cats_free(&c);
		return -1;
	}
	double nref = 0, ncur = 0;
	for (size_t i = 0; i < c.n; i++) {
		nref += c.ref[i];
		ncur += c.cur[i];
	}
	if (nref == 0 || ncur == 0) {
		r->method = M_AUTO;	/* nothing measured: no method, no threshold */
		r->threshold = NAN;
		r->statistic = NAN;
		r->p_value = NAN;
		r->drifted = 1;
		ml_buf_printf(&r->detail, ",\"note\":\"no %s values in the %s\"", r->type,
			      nref ? "current data" : "reference");
		cats_free(&c);
		return 0;
	}
	int have_chi = ml_chi2_homogeneity(c.ref, c.cur, c.n, &chi) == 0;
	double js = ml_js_distance(c.ref, c.cur, c.n);
	double linf = ml_linf_distance(c.ref, c.cur, c.n);
	double psi = ml_psi(c.ref, c.cur, c.n);

	/* a distance over m categories needs about 10 values per category to
	 * rise above sampling noise (3000 equally likely values, 20,000 rows a
	 * side: JS 0.24 between two samples of one distribution); below that,
	 * or below --small values, the chi-square test decides */
	if (r->method == M_AUTO)
		r->method = nref < (double)o->small || ncur < (double)o->small ||
				    nref < 10.0 * (double)c.n || ncur < 10.0 * (double)c.n
			    ? M_CHI2 : M_JS;
	switch (r->method) {
	case M_CHI2: r->statistic = have_chi ? chi.stat : NAN; r->p_value = have_chi ? chi.p : NAN; break;
	case M_LINF: r->statistic = linf; r->p_value = NAN; break;
	case M_PSI: r->statistic = psi; r->p_value = NAN; break;
	case M_JS:
	default:
		r->method = M_JS;
		r->statistic = js;
		r->p_value = NAN;
		break;
	}
	decide(r);

	struct ml_buf *b = &r->detail;
	ml_buf_printf(b, ",\"n\":{\"reference\":%.0f,\"current\":%.0f},\"statistics\":{\"chi2\":", nref, ncur);
	put_num(b, have_chi ? chi.stat : NAN);
	ml_buf_adds(b, ",\"chi2_p_value\":");
	put_num(b, have_chi ? chi.p : NAN);
	ml_buf_printf(b, ",\"chi2_dof\":%zu,\"js\":", have_chi ? chi.dof : 0);
	put_num(b, js);
	ml_buf_adds(b, ",\"linf\":");
	put_num(b, linf);
	ml_buf_adds(b, ",\"psi\":");
	put_num(b, psi);
	ml_buf_adds(b, "}");
	put_names(b, "new", &c, 1);
	put_names(b, "vanished", &c, 0);
	/* the categories compared, so a statistic can be recomputed */
	ml_buf_adds(b, ",\"categories\":{\"values\":[");
	for (size_t i = 0; i < c.n; i++) {
		if (i)
			ml_buf_addc(b, ',');
		if (c.name[i] == OTHER)
			ml_buf_adds(b, "null");	/* the untracked rest of a sketch */
		else
			ml_json_quote(b, c.name[i], c.len[i]);
	}
	ml_buf_adds(b, "],\"reference\":[");
	for (size_t i = 0; i < c.n; i++)
		ml_buf_printf(b, "%s%.0f", i ? "," : "", c.ref[i]);
	ml_buf_adds(b, "],\"current\":[");
	for (size_t i = 0; i < c.n; i++)
		ml_buf_printf(b, "%s%.0f", i ? "," : "", c.cur[i]);
	ml_buf_adds(b, "]}");
	cats_free(&c);
	return 0;
}
