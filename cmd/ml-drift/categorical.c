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

/* Every tracked value of a counter into cats (as the ref or cur side); the
 * untracked rest (a sketched counter) goes to one "other" category. */
static int add_counter(struct cats *c, const struct ml_cat *cat, int is_ref)
{
	uint64_t total = ml_cat_total(cat), seen = 0;
	int exact;
	uint64_t distinct = ml_cat_distinct(cat, &exact);
	size_t want = exact ? (size_t)distinct : ML_CAT_CAPACITY;
	struct ml_cat_item *items = calloc(want ? want : 1, sizeof *items);

	if (!items)
		return -1;
	size_t k = ml_cat_top(cat, want, items);
	for (size_t i = 0; i < k; i++) {
		seen += items[i].count;
		if (cats_add(c, items[i].value, items[i].len, is_ref ? (double)items[i].count : 0,
			     is_ref ? 0 : (double)items[i].count) < 0) {
			free(items);
			return -1;
		}
	}
	free(items);
	if (total > seen)
		return cats_add(c, OTHER, sizeof OTHER - 1, is_ref ? (double)(total - seen) : 0,
				is_ref ? 0 : (double)(total - seen));
	return 0;
}

static void put_num(struct ml_buf *b, double x)
{
	if (isfinite(x))
		ml_buf_printf(b, "%.10g", x);
	else
		ml_buf_adds(b, "null");
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
	} else {
		if ((rc->cat && add_counter(&c, rc->cat, 1) < 0) || (cc->cat && add_counter(&c, cc->cat, 0) < 0))
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

	if (r->method == M_AUTO)
		r->method = nref < (double)o->small || ncur < (double)o->small ? M_CHI2 : M_JS;
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
	if (isnan(r->threshold))
		r->threshold = method_default_threshold(r->method);
	r->drifted = method_is_test(r->method) ? r->p_value < r->threshold
					       : r->statistic >= r->threshold;

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
