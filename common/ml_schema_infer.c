/* A schema inferred from a profile (see ml_schema.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "ml_profile.h"
#include "ml_schema.h"

static int cmp_item(const void *a, const void *b)
{
	const struct ml_cat_item *x = a, *y = b;
	int c = memcmp(x->value, y->value, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The one type of the column's values other than null, or ANY. */
static enum ml_type type_of(const struct ml_column *c)
{
	const uint64_t *t = c->types;
	int kinds = (t[ML_JSON_FALSE] + t[ML_JSON_TRUE] > 0) + (t[ML_JSON_NUMBER] > 0) +
		    (t[ML_JSON_STRING] > 0) + (t[ML_JSON_ARRAY] > 0) + (t[ML_JSON_OBJECT] > 0);

	if (kinds != 1 || t[ML_JSON_ARRAY] || t[ML_JSON_OBJECT])
		return ML_TYPE_ANY;
	if (t[ML_JSON_STRING])
		return ML_TYPE_STRING;
	if (t[ML_JSON_NUMBER]) {
		const struct ml_numstats *s = &c->num;
		return !s->integers_unknown && !s->nonfinite && s->integers == s->count
			? ML_TYPE_INTEGER : ML_TYPE_NUMBER;
	}
	return ML_TYPE_BOOLEAN;
}

static int put_range(struct ml_buf *b, const struct ml_numstats *s, enum ml_type type, double margin)
{
	double lo = s->min, hi = s->max, w = (hi - lo) * margin;

	/* an infinity has no place in a range (and JSON cannot say it) */
	if (!s->count || s->nonfinite)
		return 0;
	lo -= w;
	hi += w;
	if (s->min >= 0 && lo < 0)
		lo = 0;
	if (type == ML_TYPE_INTEGER) {
		lo = floor(lo);
		hi = ceil(hi);
	}
	ml_buf_adds(b, ", \"min\": ");
	ml_json_put_double(b, lo);
	ml_buf_adds(b, ", \"max\": ");
	return ml_json_put_double(b, hi);
}

static int put_domain(struct ml_buf *b, const struct ml_column *c, size_t max_domain)
{
	int exact;
	uint64_t distinct;
	struct ml_cat_item *items;
	size_t k;

	if (!c->cat || !max_domain || (distinct = ml_cat_distinct(c->cat, &exact)) == 0 || !exact ||
	    distinct > max_domain)
		return 0;
	if (!(items = calloc((size_t)distinct, sizeof *items)))
		return -1;
	k = ml_cat_top(c->cat, (size_t)distinct, items);
	qsort(items, k, sizeof *items, cmp_item);
	ml_buf_adds(b, ", \"domain\": [");
	for (size_t i = 0; i < k; i++) {
		if (i)
			ml_buf_adds(b, ", ");
		ml_json_quote(b, items[i].value, items[i].len);
	}
	free(items);
	return ml_buf_addc(b, ']');
}

int ml_schema_infer(const struct ml_profile *p, const struct ml_infer_opts *o, struct ml_buf *out)
{
	uint64_t records = ml_profile_records(p);
	size_t n = ml_profile_ncolumns(p), listed = 0;

	ml_buf_printf(out, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n", ML_SCHEMA_FORMAT,
		      ML_SCHEMA_VERSION);
	ml_buf_printf(out, "  \"description\": \"inferred by %s from %llu records\",\n",
		      o->by ? o->by : "ml-validate", (unsigned long long)records);
	ml_buf_adds(out, "  \"extra_fields\": true,\n  \"fields\": {");
	for (size_t i = 0; i < n; i++) {
		const struct ml_column *c = ml_profile_column(p, i);
		uint64_t seen = 0;
		int wanted = !o->nonly;
		for (size_t k = 0; k < o->nonly && !wanted; k++)
			wanted = !strcmp(o->only[k], c->name);
		if (c->skip || !wanted)
			continue;
		for (int t = 0; t < 7; t++)
			seen += c->types[t];
		enum ml_type type = type_of(c);
		ml_buf_adds(out, listed++ ? ",\n    " : "\n    ");
		ml_json_quote(out, c->name, c->name_len);
		ml_buf_adds(out, ": {");
		if (type != ML_TYPE_ANY)
			ml_buf_printf(out, "\"type\": \"%s\", ", ml_type_name(type));
		int optional = o->optional && !strcmp(o->optional, c->name);
		ml_buf_printf(out, "\"required\": %s, \"nullable\": %s",
			      seen == records && !optional ? "true" : "false",
			      c->types[ML_JSON_NULL] ? "true" : "false");
		if (type == ML_TYPE_INTEGER || type == ML_TYPE_NUMBER)
			put_range(out, &c->num, type, o->margin);
		if (type == ML_TYPE_STRING && put_domain(out, c, o->max_domain) < 0)
			return -1;
		ml_buf_addc(out, '}');
	}
	ml_buf_adds(out, listed ? "\n  }\n}\n" : "}\n}\n");
	return ml_buf_terminate(out);
}
