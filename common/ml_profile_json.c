/* Profiles as NDJSON: a dataset line, then one line per column. */
#include <errno.h>
#include <jv.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "ml_profile_impl.h"

static const double quantile_at[] = {0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99};
static const char *const quantile_name[] = {"p1", "p5", "p25", "p50", "p75", "p95", "p99"};

/* v in decimal, as %llu writes it, without printf reading a format for
 * each of the many counts of a profile */
static void put_u64(struct ml_buf *b, uint64_t v)
{
	char s[20], *p = s + sizeof s;

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	ml_buf_add(b, p, (size_t)(s + sizeof s - p));
}

static void put_key(struct ml_buf *b, const char *key)
{
	ml_json_quote(b, key, strlen(key));
	ml_buf_addc(b, ':');
}

static void put_histogram(struct ml_buf *b, const struct ml_numstats *s, size_t bins)
{
	uint64_t prev = 0;

	if (s->min == s->max)
		bins = 1;
	ml_buf_adds(b, "{\"edges\":[");
	for (size_t j = 0; j <= bins; j++) {
		if (j)
			ml_buf_addc(b, ',');
		ml_json_put_double(b, j == bins ? s->max : s->min + (s->max - s->min) * (double)j / (double)bins);
	}
	ml_buf_adds(b, "],\"counts\":[");
	for (size_t j = 1; j <= bins; j++) {
		double edge = s->min + (s->max - s->min) * (double)j / (double)bins;
		uint64_t upto = j == bins ? s->count
				: (uint64_t)llround(ml_kll_rank(s->sketch, edge) * (double)s->count);
		if (upto < prev)
			upto = prev;
		if (j > 1)
			ml_buf_addc(b, ',');
		put_u64(b, upto - prev);
		prev = upto;
	}
	ml_buf_adds(b, "]}");
}

static void put_numbers(struct ml_buf *b, const struct ml_numstats *s, size_t bins)
{
	ml_buf_adds(b, ",\"number\":{\"count\":");
	put_u64(b, s->count);
	ml_buf_adds(b, ",\"mean\":");
	ml_json_put_double(b, s->count ? s->mean : NAN);
	ml_buf_adds(b, ",\"std\":");
	ml_json_put_double(b, ml_numstats_std(s));
	ml_buf_adds(b, ",\"variance\":");
	ml_json_put_double(b, s->count > 1 ? s->m2 / (double)(s->count - 1) : NAN);
	ml_buf_adds(b, ",\"min\":");
	ml_json_put_double(b, s->count ? s->min : NAN);
	ml_buf_adds(b, ",\"max\":");
	ml_json_put_double(b, s->count ? s->max : NAN);
	ml_buf_adds(b, ",\"sum\":");
	ml_json_put_double(b, s->sum + s->sum_c);
	ml_buf_adds(b, ",\"zeros\":");
	put_u64(b, s->zeros);
	ml_buf_adds(b, ",\"negatives\":");
	put_u64(b, s->negatives);
	ml_buf_adds(b, ",\"nonfinite\":");
	put_u64(b, s->nonfinite);
	if (!s->integers_unknown) {
		ml_buf_adds(b, ",\"integers\":");
		put_u64(b, s->integers);
	}
	if (s->count && s->sketch) {
		ml_buf_adds(b, ",\"quantiles\":{");
		for (size_t q = 0; q < sizeof quantile_at / sizeof *quantile_at; q++) {
			if (q)
				ml_buf_addc(b, ',');
			put_key(b, quantile_name[q]);
			ml_json_put_double(b, ml_kll_quantile(s->sketch, quantile_at[q]));
		}
		ml_buf_adds(b, "},\"histogram\":");
		put_histogram(b, s, bins);
	}
	/* what a merge needs to be exact */
	ml_buf_adds(b, ",\"m2\":");
	ml_json_put_double(b, s->m2);
	ml_buf_adds(b, ",\"shift\":");
	ml_json_put_double(b, s->count ? s->shift : NAN);
	ml_buf_adds(b, ",\"mean_shifted\":");
	ml_json_put_double(b, s->count ? s->mean_s : NAN);
	ml_buf_adds(b, ",\"sum_c\":");
	ml_json_put_double(b, s->sum_c);
	if (s->sketch) {
		ml_buf_adds(b, ",\"sketch\":");
		ml_kll_to_json(s->sketch, b);
	}
	ml_buf_addc(b, '}');
}

static void put_strings(struct ml_buf *b, const struct ml_column *c, size_t top)
{
	struct ml_cat_item *items = calloc(top ? top : 1, sizeof *items);
	int exact;
	uint64_t total = ml_cat_total(c->cat);
	uint64_t distinct = ml_cat_distinct(c->cat, &exact);
	size_t k = items ? ml_cat_top(c->cat, top, items) : 0;

	ml_buf_adds(b, ",\"string\":{\"count\":");
	put_u64(b, total);
	ml_buf_adds(b, ",\"distinct\":");
	put_u64(b, distinct);
	ml_buf_adds(b, exact ? ",\"distinct_exact\":true" : ",\"distinct_exact\":false");
	ml_buf_adds(b, ",\"top\":[");
	for (size_t i = 0; i < k; i++) {
		ml_buf_adds(b, i ? ",{\"value\":" : "{\"value\":");
		ml_json_quote(b, items[i].value, items[i].len);
		ml_buf_adds(b, ",\"count\":");
		put_u64(b, items[i].count);
		ml_buf_adds(b, ",\"error\":");
		put_u64(b, items[i].error);
		ml_buf_addc(b, '}');
	}
	ml_buf_adds(b, "],\"length\":{\"min\":");
	put_u64(b, total ? c->len_min : 0);
	ml_buf_adds(b, ",\"mean\":");
	ml_json_put_double(b, total ? (double)c->len_sum / (double)total : NAN);
	ml_buf_adds(b, ",\"max\":");
	put_u64(b, c->len_max);
	ml_buf_adds(b, ",\"sum\":");
	put_u64(b, c->len_sum);
	ml_buf_adds(b, "},\"counts\":");
	ml_cat_to_json(c->cat, b);
	ml_buf_addc(b, '}');
	free(items);
}

static void put_column(struct ml_buf *b, const struct ml_profile *p, const struct ml_column *c)
{
	uint64_t missing = ml_column_missing(p, c);

	ml_buf_adds(b, "{\"column\":");
	ml_json_quote(b, c->name, c->name_len);
	ml_buf_adds(b, ",\"records\":");
	put_u64(b, p->records);
	ml_buf_adds(b, ",\"present\":");
	put_u64(b, p->records - missing);
	ml_buf_adds(b, ",\"missing\":");
	put_u64(b, missing);
	ml_buf_printf(b, ",\"types\":{\"null\":%llu,\"boolean\":%llu,\"number\":%llu,"
		      "\"string\":%llu,\"array\":%llu,\"object\":%llu}",
		      (unsigned long long)c->types[ML_JSON_NULL],
		      (unsigned long long)(c->types[ML_JSON_FALSE] + c->types[ML_JSON_TRUE]),
		      (unsigned long long)c->types[ML_JSON_NUMBER],
		      (unsigned long long)c->types[ML_JSON_STRING],
		      (unsigned long long)c->types[ML_JSON_ARRAY],
		      (unsigned long long)c->types[ML_JSON_OBJECT]);
	if (c->types[ML_JSON_NUMBER])
		put_numbers(b, &c->num, p->opts.bins);
	if (c->cat)
		put_strings(b, c, p->opts.top);
	if (c->types[ML_JSON_FALSE] + c->types[ML_JSON_TRUE])
		ml_buf_printf(b, ",\"boolean\":{\"true\":%llu,\"false\":%llu}",
			      (unsigned long long)c->types[ML_JSON_TRUE],
			      (unsigned long long)c->types[ML_JSON_FALSE]);
	ml_buf_adds(b, "}\n");
}

int ml_profile_to_ndjson(struct ml_profile *p, struct ml_buf *out)
{
	size_t ncols = 0;
	struct ml_err err;

	if (ml_profile_finish(p, &err) < 0)
		return -1;
	for (size_t i = 0; i < p->n; i++)
		ncols += !p->cols[i]->skip;
	ml_buf_printf(out, "{\"format\":\"%s\",\"version\":%d,\"records\":", ML_PROFILE_FORMAT,
		      ML_PROFILE_VERSION);
	put_u64(out, p->records);
	ml_buf_adds(out, ",\"columns\":");
	put_u64(out, ncols);
	ml_buf_adds(out, ",\"bytes\":");
	put_u64(out, p->bytes);
	ml_buf_adds(out, ",\"source\":");
	if (p->nsources == 1)
		ml_json_quote(out, p->sources[0], strlen(p->sources[0]));
	else
		ml_buf_adds(out, "null");
	ml_buf_adds(out, ",\"sources\":[");
	for (size_t i = 0; i < p->nsources; i++) {
		if (i)
			ml_buf_addc(out, ',');
		ml_json_quote(out, p->sources[i], strlen(p->sources[i]));
	}
	ml_buf_adds(out, "]}\n");
	for (size_t i = 0; i < p->n; i++)
		if (!p->cols[i]->skip)
			put_column(out, p, p->cols[i]);
	return ml_buf_terminate(out);
}

/* Reading.
 *
 * A profile line is indexed once by ml_rec (strict JSON, nothing copied),
 * its objects ("types", "number", "string", ...) are indexed the same way
 * from their raw text, and the raw text of a sketch and of string counts
 * goes straight to their own readers.  The reader was built on libjq; what
 * it accepted and the messages it gave are kept (see read_raw_or_as_jq). */

struct ml_profile_reader {
	struct ml_profile_opts opts;
	struct ml_profile *p;	/* the profile being read, or NULL between profiles */
	uint64_t expect;	/* column lines still to come */
	uint64_t line;
	struct ml_rec *doc;	/* the line */
	struct ml_rec *obj;	/* an object of the line */
	struct ml_rec *inner;	/* an object inside that one ("length" in "string") */
	struct ml_buf text;	/* a decoded string; a value as libjq prints it */
};

struct ml_profile_reader *ml_profile_reader_new(const struct ml_profile_opts *opts)
{
	struct ml_profile_reader *rd = calloc(1, sizeof *rd);

	if (!rd)
		return NULL;
	if (opts)
		rd->opts = *opts;
	if (!(rd->doc = ml_rec_new()) || !(rd->obj = ml_rec_new()) || !(rd->inner = ml_rec_new())) {
		ml_profile_reader_free(rd);
		return NULL;
	}
	return rd;
}

void ml_profile_reader_free(struct ml_profile_reader *rd)
{
	if (!rd)
		return;
	ml_profile_free(rd->p);
	ml_rec_free(rd->doc);
	ml_rec_free(rd->obj);
	ml_rec_free(rd->inner);
	ml_buf_free(&rd->text);
	free(rd);
}

static int bad(struct ml_err *err, const char *fmt, const char *what)
{
	return ml_err_set(err, ML_ERR_DATA, fmt, what);
}

/* Index of field key of r, -1 when absent or when r is NULL (the object
 * was not one). */
static ssize_t field(const struct ml_rec *r, const char *key)
{
	return r ? ml_rec_find(r, key, strlen(key)) : -1;
}

static int field_is(const struct ml_rec *r, const char *key, enum ml_json_type type)
{
	ssize_t i = field(r, key);

	return i >= 0 && ml_rec_type(r, (size_t)i) == type;
}

/* Field key of r indexed into sub when it is an object; sub, or NULL when
 * it is absent or of another type. */
static struct ml_rec *object_field(const struct ml_rec *r, const char *key, struct ml_rec *sub)
{
	ssize_t i = field(r, key);
	struct ml_err ignored;
	const char *raw;
	size_t len;

	if (i < 0 || ml_rec_type(r, (size_t)i) != ML_JSON_OBJECT)
		return NULL;
	raw = ml_rec_value_raw(r, (size_t)i, &len);
	/* cannot fail but for memory: the line was checked whole */
	return ml_rec_parse(sub, raw, len, &ignored) == 0 ? sub : NULL;
}

/* Field key of r decoded into buf (NUL-terminated); -1 when absent, not a
 * string, or memory is out. */
static int string_field(const struct ml_rec *r, const char *key, struct ml_buf *buf)
{
	ssize_t i = field(r, key);

	ml_buf_reset(buf);
	if (i < 0 || ml_rec_type(r, (size_t)i) != ML_JSON_STRING)
		return -1;
	return ml_rec_string(r, (size_t)i, buf) < 0 || ml_buf_terminate(buf) < 0 ? -1 : 0;
}

/* field of r as a non-negative integer; -1 when absent or not one */
static int get_u64(const struct ml_rec *r, const char *key, uint64_t *out)
{
	ssize_t i = field(r, key);
	double x;

	if (i < 0 || ml_rec_number(r, (size_t)i, &x) < 0)
		return -1;
	/* below 2^64: converting a larger double to uint64_t is undefined
	 * (found by fuzz_profile: a count of 3.3e96) */
	if (!(x >= 0 && x < 18446744073709551616.0 && x == floor(x)))
		return -1;
	*out = (uint64_t)x;
	return 0;
}

/* field of r as a double; null reads as def; -1 when absent or of another type */
static int get_double(const struct ml_rec *r, const char *key, double def, double *out)
{
	ssize_t i = field(r, key);

	if (i < 0)
		return -1;
	if (ml_rec_type(r, (size_t)i) == ML_JSON_NULL) {
		*out = def;
		return 0;
	}
	return ml_rec_number(r, (size_t)i, out);
}

/* The value raw[0..len) as libjq prints it (compact) into out; -1 when it
 * cannot be had. */
static int as_jq_prints(const char *raw, size_t len, struct ml_buf *out)
{
	if (len > INT_MAX)
		return -1;
	jv v = jv_parse_sized(raw, (int)len);
	if (!jv_is_valid(v)) {
		jv_free(v);
		return -1;
	}
	jv text = jv_dump_string(v, 0);
	ml_buf_reset(out);
	int rc = ml_buf_add(out, jv_string_value(text), (size_t)jv_string_length_bytes(jv_copy(text)));
	jv_free(text);
	return rc;
}

/* A sketch or string counts read from their raw text by parse (ml_kll or
 * ml_cat), NULL with err when refused.  Those readers were once given the
 * text as libjq printed it back, which merges a key given twice and writes
 * 200.0 as 200; a text refused raw is read again that way, so that what was
 * accepted still is, and what was refused is refused in the same words.
 * Profiles as written are read raw, once. */
static void *read_raw_or_as_jq(void *(*parse)(const char *, size_t, struct ml_err *),
			       const char *raw, size_t len, struct ml_buf *tmp, struct ml_err *err)
{
	void *got = parse(raw, len, err);

	if (got || as_jq_prints(raw, len, tmp) < 0)
		return got;
	return parse(tmp->data, tmp->len, err);
}

static void *read_sketch(const char *text, size_t len, struct ml_err *err)
{
	return ml_kll_from_json(text, len, err);
}

static void *read_counts(const char *text, size_t len, struct ml_err *err)
{
	return ml_cat_from_json(text, len, ML_CAT_EXACT_LIMIT, err);
}

/* The strings of the array field key of r added as sources; others skipped. */
static void read_sources(struct ml_profile *p, const struct ml_rec *r, const char *key, struct ml_buf *buf)
{
	ssize_t i = field(r, key);
	const char *q, *end;
	size_t len;

	if (i < 0 || ml_rec_type(r, (size_t)i) != ML_JSON_ARRAY)
		return;
	q = ml_rec_value_raw(r, (size_t)i, &len);
	end = q + len;
	/* the array was checked with the line: it scans without fail */
	for (q = ml_json_skip_ws(q + 1, end); q < end && *q != ']'; q = ml_json_skip_ws(q, end)) {
		struct ml_json_fail fail;
		enum ml_json_type type;
		const char *after = ml_json_scan_value(q, end, 1, &type, &fail);
		if (!after)
			return;
		ml_buf_reset(buf);
		if (type == ML_JSON_STRING && ml_json_unescape(q + 1, (size_t)(after - q - 2), buf) == 0 &&
		    ml_buf_terminate(buf) == 0)
			ml_profile_add_source(p, 0, buf->data);
		q = ml_json_skip_ws(after, end);
		if (q < end && *q == ',')
			q++;
	}
}

static int read_dataset(struct ml_profile_reader *rd, const struct ml_rec *doc, struct ml_err *err)
{
	ssize_t version = field(doc, "version");
	double v;

	if (string_field(doc, "format", &rd->text) < 0 || strcmp(rd->text.data, ML_PROFILE_FORMAT) != 0)
		return ml_err_set(err, ML_ERR_DATA, "not an mlpipe profile (\"format\" is not \"%s\")",
				  ML_PROFILE_FORMAT);
	if (version < 0 || ml_rec_number(doc, (size_t)version, &v) < 0)
		return ml_err_set(err, ML_ERR_DATA, "profile \"version\" is not a number (this reads version %d)",
				  ML_PROFILE_VERSION);
	if (v != ML_PROFILE_VERSION)
		return ml_err_set(err, ML_ERR_DATA, "profile version %g is not the version read here (%d)",
				  v, ML_PROFILE_VERSION);
	if (!(rd->p = ml_profile_new(&rd->opts)))
		return ml_err_sys(err, ENOMEM, "cannot read a profile");
	if (get_u64(doc, "records", &rd->p->records) < 0 || get_u64(doc, "columns", &rd->expect) < 0 ||
	    get_u64(doc, "bytes", &rd->p->bytes) < 0)
		return bad(err, "profile dataset line: %s", "\"records\", \"columns\" and \"bytes\" must be counts");
	read_sources(rd->p, doc, "sources", &rd->text);
	return 0;
}

static int read_numbers(struct ml_profile_reader *rd, struct ml_column *c, const struct ml_rec *num,
			struct ml_err *err)
{
	struct ml_numstats *s = &c->num;
	ssize_t sketch = field(num, "sketch");

	if (get_u64(num, "count", &s->count) < 0 || get_u64(num, "zeros", &s->zeros) < 0 ||
	    get_u64(num, "negatives", &s->negatives) < 0 || get_u64(num, "nonfinite", &s->nonfinite) < 0 ||
	    get_double(num, "mean", 0, &s->mean) < 0 || get_double(num, "m2", 0, &s->m2) < 0 ||
	    get_double(num, "min", INFINITY, &s->min) < 0 || get_double(num, "max", -INFINITY, &s->max) < 0 ||
	    get_double(num, "sum", 0, &s->sum) < 0 || get_double(num, "sum_c", 0, &s->sum_c) < 0)
		return bad(err, "column '%s': \"number\" lacks a count or a moment", c->name);
	/* profiles written before integers were counted do not say */
	s->integers_unknown = field(num, "integers") < 0;
	if (!s->integers_unknown && get_u64(num, "integers", &s->integers) < 0)
		return bad(err, "column '%s': \"integers\" is not a count", c->name);
	/* sum was written with its compensation added in */
	s->sum -= s->sum_c;
	/* the mean about the shift keeps merges exact for large values */
	if (get_double(num, "shift", NAN, &s->shift) < 0 || get_double(num, "mean_shifted", NAN, &s->mean_s) < 0)
		return bad(err, "column '%s': \"shift\" and \"mean_shifted\" must be numbers", c->name);
	if (isnan(s->shift) || isnan(s->mean_s)) {
		s->shift = s->mean;
		s->mean_s = 0;
	}
	if (sketch >= 0 && ml_rec_type(num, (size_t)sketch) == ML_JSON_OBJECT) {
		size_t len;
		const char *raw = ml_rec_value_raw(num, (size_t)sketch, &len);
		if (!(s->sketch = read_raw_or_as_jq(read_sketch, raw, len, &rd->text, err)))
			return ml_err_prefix(err, "column '%s': sketch", c->name);
		if (ml_kll_count(s->sketch) != s->count)
			return bad(err, "column '%s': the sketch does not hold \"count\" values", c->name);
	} else if (s->count) {
		return bad(err, "column '%s': numbers without their sketch", c->name);
	}
	return 0;
}

static int read_strings(struct ml_profile_reader *rd, struct ml_column *c, const struct ml_rec *str,
			struct ml_err *err)
{
	const struct ml_rec *length = object_field(str, "length", rd->inner);
	ssize_t counts = field(str, "counts");
	size_t len;

	if (counts < 0 || ml_rec_type(str, (size_t)counts) != ML_JSON_OBJECT || !length)
		return bad(err, "column '%s': \"string\" lacks \"counts\" or \"length\"", c->name);
	const char *raw = ml_rec_value_raw(str, (size_t)counts, &len);
	if (!(c->cat = read_raw_or_as_jq(read_counts, raw, len, &rd->text, err)))
		return ml_err_prefix(err, "column '%s': counts", c->name);
	if (get_u64(length, "min", &c->len_min) < 0 || get_u64(length, "max", &c->len_max) < 0 ||
	    get_u64(length, "sum", &c->len_sum) < 0)
		return bad(err, "column '%s': \"length\" lacks min, max or sum", c->name);
	if (ml_cat_total(c->cat) == 0)
		c->len_min = UINT64_MAX;
	return 0;
}

/* The counts of a column read back agree with each other and with the
 * records of its profile (the missing count is records minus present). */
static int check_column(const struct ml_profile *p, const struct ml_column *c, struct ml_err *err)
{
	uint64_t present = 0;

	/* one value per record at most, null included */
	for (int t = 0; t < 7; t++)
		present += c->types[t];
	if (present > p->records)
		return ml_err_set(err, ML_ERR_DATA, "column '%s': %llu values in %llu records", c->name,
				  (unsigned long long)present, (unsigned long long)p->records);
	if (c->types[ML_JSON_NUMBER] != c->num.count + c->num.nonfinite)
		return ml_err_set(err, ML_ERR_DATA, "column '%s': \"types\" counts %llu numbers, \"number\" %llu",
				  c->name, (unsigned long long)c->types[ML_JSON_NUMBER],
				  (unsigned long long)(c->num.count + c->num.nonfinite));
	if (c->types[ML_JSON_STRING] != (c->cat ? ml_cat_total(c->cat) : 0))
		return ml_err_set(err, ML_ERR_DATA, "column '%s': \"types\" counts %llu strings, \"string\" %llu",
				  c->name, (unsigned long long)c->types[ML_JSON_STRING],
				  (unsigned long long)(c->cat ? ml_cat_total(c->cat) : 0));
	/* a schema inferred from min > max would be refused by its own parser */
	if (c->num.count && !(c->num.min <= c->num.max))
		return ml_err_set(err, ML_ERR_DATA, "column '%s': min %.17g is greater than max %.17g",
				  c->name, c->num.min, c->num.max);
	return 0;
}

/* The "types" and "boolean" counts of a column line. */
static int read_types(struct ml_profile_reader *rd, struct ml_column *c, const struct ml_rec *doc,
		      struct ml_err *err)
{
	static const char *const type_names[] = {"null", "boolean", "number", "string", "array", "object"};
	const struct ml_rec *types = object_field(doc, "types", rd->obj);
	uint64_t t[6] = {0};

	for (int i = 0; i < 6; i++)
		if (get_u64(types, type_names[i], &t[i]) < 0)
			return bad(err, "column '%s': \"types\" must count null, boolean, number, string, array and object", c->name);
	c->types[ML_JSON_NULL] = t[0];
	c->types[ML_JSON_NUMBER] = t[2];
	c->types[ML_JSON_STRING] = t[3];
	c->types[ML_JSON_ARRAY] = t[4];
	c->types[ML_JSON_OBJECT] = t[5];
	if (t[1]) {
		const struct ml_rec *boolean = object_field(doc, "boolean", rd->obj);
		if (get_u64(boolean, "true", &c->types[ML_JSON_TRUE]) < 0 ||
		    get_u64(boolean, "false", &c->types[ML_JSON_FALSE]) < 0 ||
		    c->types[ML_JSON_TRUE] + c->types[ML_JSON_FALSE] != t[1])
			return bad(err, "column '%s': \"boolean\" does not add up to the boolean count", c->name);
	}
	return 0;
}

static int read_column(struct ml_profile_reader *rd, const struct ml_rec *doc, struct ml_err *err)
{
	const struct ml_rec *obj;
	struct ml_column *c;

	if (string_field(doc, "column", &rd->text) < 0)
		return bad(err, "profile column line without a %s name", "\"column\"");
	size_t before = ml_profile_ncolumns(rd->p);
	if (!(c = ml_profile_add_column(rd->p, rd->text.data, rd->text.len)))
		return ml_err_sys(err, ENOMEM, "cannot read a profile");
	if (ml_profile_ncolumns(rd->p) == before)
		return ml_err_set(err, ML_ERR_DATA, "column '%s' twice in one profile", c->name);
	if (c->skip)
		return 0;
	if (read_types(rd, c, doc, err) < 0)
		return -1;
	if ((obj = object_field(doc, "number", rd->obj)) && read_numbers(rd, c, obj, err) < 0)
		return -1;
	if ((obj = object_field(doc, "string", rd->obj)) && read_strings(rd, c, obj, err) < 0)
		return -1;
	return check_column(rd->p, c, err);
}

/* Why ml_rec refused a line, in the words this reader has always used:
 * it checked strict JSON first, then that the value is an object. */
static int refuse_line(const char *line, size_t len, struct ml_err *err)
{
	const char *end = line + len, *after;
	struct ml_json_fail fail = {0};
	enum ml_json_type type;

	after = ml_json_scan_value(ml_json_skip_ws(line, end), end, 0, &type, &fail);
	if (!after || ml_json_skip_ws(after, end) != end)
		return ml_err_set(err, ML_ERR_DATA, "malformed profile line: %s at byte %zu",
				  after ? "text after the value" : fail.why,
				  (size_t)((after ? after : fail.at ? fail.at : line) - line));
	if (type != ML_JSON_OBJECT)
		return ml_err_set(err, ML_ERR_DATA, "a profile line must be a JSON object");
	return -1;	/* memory: ml_rec said so in err */
}

int ml_profile_reader_line(struct ml_profile_reader *rd, const char *line, size_t len,
			   struct ml_err *err)
{
	int rc;

	rd->line++;
	/* strict JSON: libjq, which read profiles before, reads "0.00<NUL>1"
	 * as 0 and "0." as a number (found by fuzzing); a profile is written
	 * strict */
	if (ml_rec_parse(rd->doc, line, len, err) < 0)
		return refuse_line(line, len, err);
	if (!rd->p) {
		rc = read_dataset(rd, rd->doc, err);
	} else if (field_is(rd->doc, "format", ML_JSON_STRING)) {
		rc = ml_err_set(err, ML_ERR_DATA, "a new profile starts before %llu more column lines "
				"of the last one (truncated profile?)", (unsigned long long)rd->expect);
	} else {
		rc = read_column(rd, rd->doc, err);
		if (rc == 0)
			rd->expect--;
	}
	if (rc < 0)
		return -1;
	return rd->expect == 0 ? 1 : 0;
}

struct ml_profile *ml_profile_reader_take(struct ml_profile_reader *rd)
{
	struct ml_profile *p = rd->p;

	rd->p = NULL;
	return p;
}

int ml_profile_reader_merge_line(struct ml_profile_reader *rd, const char *line, size_t len,
				 struct ml_profile *into, struct ml_err *err)
{
	int done = ml_profile_reader_line(rd, line, len, err);

	if (done <= 0)
		return done;
	struct ml_profile *one = ml_profile_reader_take(rd);
	int rc = ml_profile_merge(into, one, err);
	ml_profile_free(one);
	return rc < 0 ? -1 : 1;
}

int ml_profile_reader_end(struct ml_profile_reader *rd, struct ml_err *err)
{
	if (rd->p)
		return ml_err_set(err, ML_ERR_DATA, "the profile ends %llu column line%s early (truncated?)",
				  (unsigned long long)rd->expect, rd->expect == 1 ? "" : "s");
	return 0;
}

/* Whether a line is the first line of a profile. */
int ml_profile_is_first_line(struct ml_rec *r, const char *line, size_t len, struct ml_buf *tmp)
{
	struct ml_err ignored;
	ssize_t i;

	if (ml_rec_parse(r, line, len, &ignored) < 0 || (i = ml_rec_find(r, "format", 6)) < 0 ||
	    ml_rec_type(r, (size_t)i) != ML_JSON_STRING)
		return 0;
	ml_buf_reset(tmp);
	return ml_rec_string(r, (size_t)i, tmp) == 0 && tmp->len == strlen(ML_PROFILE_FORMAT) &&
	       memcmp(tmp->data, ML_PROFILE_FORMAT, tmp->len) == 0;
}
