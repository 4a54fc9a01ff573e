/* Schemas: parsing the mlpipe.schema document (see ml_schema.h). */
#include <errno.h>
#include <jv.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "ml_bundle.h"
#include "ml_in.h"
#include "ml_json.h"
#include "ml_schema.h"

const char *ml_type_name(enum ml_type t)
{
	static const char *const names[] = {"any", "integer", "number", "string", "boolean"};
	return names[t];
}

/* Fills err with "PLACE: message"; returns -1. */
static int bad(struct ml_err *err, const char *place, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct ml_err *err, const char *place, const char *fmt, ...)
{
	char msg[sizeof err->msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return ml_err_set(err, ML_ERR_DATA, "%s: %s", place, msg);
}

static const char *kind_name(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL: return "null";
	case JV_KIND_TRUE:
	case JV_KIND_FALSE: return "a boolean";
	case JV_KIND_NUMBER: return "a number";
	case JV_KIND_STRING: return "a string";
	case JV_KIND_ARRAY: return "an array";
	case JV_KIND_OBJECT: return "an object";
	default: return "invalid";
	}
}

static int get_bool(jv v, const char *place, int *out, struct ml_err *err)
{
	if (jv_get_kind(v) != JV_KIND_TRUE && jv_get_kind(v) != JV_KIND_FALSE)
		return bad(err, place, "not true or false but %s", kind_name(v));
	*out = jv_get_kind(v) == JV_KIND_TRUE;
	return 0;
}

static int get_number(jv v, const char *place, double *out, struct ml_err *err)
{
	if (jv_get_kind(v) != JV_KIND_NUMBER)
		return bad(err, place, "not a number but %s", kind_name(v));
	*out = jv_number_value(v);
	if (!isfinite(*out))
		return bad(err, place, "not a finite number");
	return 0;
}

static int get_count(jv v, const char *place, uint64_t *out, struct ml_err *err)
{
	double x;

	if (get_number(v, place, &x, err) < 0)
		return -1;
	if (x < 0 || x != floor(x) || x > 9007199254740992.0)
		return bad(err, place, "not a non-negative integer");
	*out = (uint64_t)x;
	return 0;
}

static int parse_type(jv v, const char *place, enum ml_type *out, struct ml_err *err)
{
	static const enum ml_type types[] = {ML_TYPE_INTEGER, ML_TYPE_NUMBER, ML_TYPE_STRING,
					     ML_TYPE_BOOLEAN};

	if (jv_get_kind(v) == JV_KIND_STRING)
		for (size_t i = 0; i < sizeof types / sizeof *types; i++)
			if (strcmp(jv_string_value(v), ml_type_name(types[i])) == 0) {
				*out = types[i];
				return 0;
			}
	return bad(err, place, "not one of \"integer\", \"number\", \"string\", \"boolean\"");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct sized {
	const char *s;
	size_t n;
};

static int cmp_sized(const void *a, const void *b)
{
	const struct sized *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
	return c ? c : (x->n > y->n) - (x->n < y->n);
}

static int parse_domain(struct ml_field *f, jv v, const char *place, struct ml_err *err)
{
	int n;
	struct ml_buf json = {0};

	if (f->type == ML_TYPE_ANY)
		return bad(err, place, "a domain needs a type");
	if (jv_get_kind(v) != JV_KIND_ARRAY)
		return bad(err, place, "not an array but %s", kind_name(v));
	if ((n = jv_array_length(jv_copy(v))) == 0)
		return bad(err, place, "empty: no value would be allowed");
	f->ndomain = (size_t)n;
	if (f->type == ML_TYPE_STRING) {
		struct sized *tmp = calloc((size_t)n, sizeof *tmp);
		f->dom_str = calloc((size_t)n, sizeof *f->dom_str);
		f->dom_len = calloc((size_t)n, sizeof *f->dom_len);
		if (!tmp || !f->dom_str || !f->dom_len) {
			free(tmp);
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		}
		for (int i = 0; i < n; i++) {
			jv e = jv_array_get(jv_copy(v), i);
			if (jv_get_kind(e) != JV_KIND_STRING) {
				int rc = bad(err, place, "value %d is %s, not a string", i + 1, kind_name(e));
				jv_free(e);
				f->ndomain = (size_t)i;
				free(tmp);
				return rc;
			}
			size_t len = (size_t)jv_string_length_bytes(jv_copy(e));
			f->dom_str[i] = malloc(len + 1);
			if (f->dom_str[i])
				memcpy(f->dom_str[i], jv_string_value(e), len + 1);
			jv_free(e);
			if (!f->dom_str[i]) {
				free(tmp);
				return ml_err_set(err, ML_ERR_IO, "out of memory");
			}
			tmp[i] = (struct sized){f->dom_str[i], len};
		}
		/* sorted for the binary search; the strings keep their slots */
		qsort(tmp, (size_t)n, sizeof *tmp, cmp_sized);
		for (int i = 0; i < n; i++) {
			f->dom_str[i] = (char *)tmp[i].s;
			f->dom_len[i] = tmp[i].n;
		}
		free(tmp);
	} else if (f->type == ML_TYPE_BOOLEAN) {
		for (int i = 0; i < n; i++) {
			jv e = jv_array_get(jv_copy(v), i);
			jv_kind k = jv_get_kind(e);
			jv_free(e);
			if (k != JV_KIND_TRUE && k != JV_KIND_FALSE)
				return bad(err, place, "value %d is not a boolean", i + 1);
			f->dom_bool[k == JV_KIND_TRUE] = 1;
		}
	} else {
		if (!(f->dom_num = calloc((size_t)n, sizeof *f->dom_num)))
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		for (int i = 0; i < n; i++) {
			jv e = jv_array_get(jv_copy(v), i);
			jv_kind k = jv_get_kind(e);
			double x = k == JV_KIND_NUMBER ? jv_number_value(e) : 0;
			jv_free(e);
			if (k != JV_KIND_NUMBER)
				return bad(err, place, "value %d is not a number", i + 1);
			if (f->type == ML_TYPE_INTEGER && x != floor(x))
				return bad(err, place, "value %d is not an integer", i + 1);
			f->dom_num[i] = x;
		}
		qsort(f->dom_num, (size_t)n, sizeof *f->dom_num, cmp_double);
	}
	jv s = jv_dump_string(jv_copy(v), 0);
	ml_buf_adds(&json, jv_string_value(s));
	jv_free(s);
	ml_buf_terminate(&json);
	f->dom_json = json.data;
	return 0;
}

/* glibc's regcomp reads the pattern, and regexec the text, as multibyte
 * characters of the thread's LC_CTYPE: under C.UTF-8, whatever LANG says,
 * both are read as the UTF-8 that JSON text is, as grep -E does under a
 * UTF-8 locale.  uselocale is per thread, so checkers in other threads are
 * not disturbed. */
static int parse_pattern(struct ml_schema *s, struct ml_field *f, jv v, const char *place,
			 struct ml_err *err)
{
	locale_t was;
	char why[256];
	int rc;

	if (jv_get_kind(v) != JV_KIND_STRING)
		return bad(err, place, "not a string but %s", kind_name(v));
	if (!(f->pattern_text = strdup(jv_string_value(v))))
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (!s->utf8 && !(s->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)))
		return bad(err, place, "cannot match UTF-8 text: no C.UTF-8 locale (%s)",
			   strerror(errno));
	was = uselocale(s->utf8);
	rc = regcomp(&f->pattern, f->pattern_text, REG_EXTENDED | REG_NOSUB);
	if (rc != 0)
		regerror(rc, &f->pattern, why, sizeof why);
	uselocale(was);
	if (rc != 0)
		return bad(err, place, "not a POSIX extended regular expression: %s", why);
	f->has_pattern = 1;
	return 0;
}

static const char *const field_keys[] = {
	"type", "required", "nullable", "min", "max", "domain", "pattern", "min_length",
	"max_length", "max_missing", "unique", "description",
};

static int known(const char *key, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

/* What a type allows a field spec to say. */
static int key_fits_type(const char *key, enum ml_type t)
{
	if (!strcmp(key, "min") || !strcmp(key, "max"))
		return t == ML_TYPE_INTEGER || t == ML_TYPE_NUMBER;
	if (!strcmp(key, "pattern") || !strcmp(key, "min_length") || !strcmp(key, "max_length"))
		return t == ML_TYPE_STRING;
	return 1;
}

static int parse_field(struct ml_schema *s, struct ml_field *f, jv spec, const char *fplace,
		       struct ml_err *err)
{
	char place[800];
	int rc = 0;

	f->required = 1;
	if (jv_get_kind(spec) != JV_KIND_OBJECT)
		return bad(err, fplace, "not an object but %s", kind_name(spec));
	jv type = jv_object_get(jv_copy(spec), jv_string("type"));
	if (jv_get_kind(type) != JV_KIND_INVALID) {
		snprintf(place, sizeof place, "%.512s.type", fplace);
		rc = parse_type(type, place, &f->type, err);
	}
	jv_free(type);
	if (rc < 0)
		return -1;
	jv_object_foreach(spec, key, v) {
		const char *k = jv_string_value(key);
		snprintf(place, sizeof place, "%.512s.%.200s", fplace, k);
		if (!known(k, field_keys, sizeof field_keys / sizeof *field_keys))
			rc = bad(err, fplace, "unknown key '%s'", k);
		else if (!key_fits_type(k, f->type))
			rc = f->type == ML_TYPE_ANY ? bad(err, place, "needs a type")
				: bad(err, place, "does not apply to a field of type %s",
				      ml_type_name(f->type));
		else if (!strcmp(k, "required"))
			rc = get_bool(v, place, &f->required, err);
		else if (!strcmp(k, "nullable"))
			rc = get_bool(v, place, &f->nullable, err);
		else if (!strcmp(k, "unique"))
			rc = get_bool(v, place, &f->unique, err);
		else if (!strcmp(k, "min"))
			rc = get_number(v, place, &f->min, err), f->has_min = 1;
		else if (!strcmp(k, "max"))
			rc = get_number(v, place, &f->max, err), f->has_max = 1;
		else if (!strcmp(k, "min_length"))
			rc = get_count(v, place, &f->min_length, err), f->has_min_length = 1;
		else if (!strcmp(k, "max_length"))
			rc = get_count(v, place, &f->max_length, err), f->has_max_length = 1;
		else if (!strcmp(k, "max_missing")) {
			rc = get_number(v, place, &f->max_missing, err);
			f->has_max_missing = 1;
			if (rc == 0 && (f->max_missing < 0 || f->max_missing > 1))
				rc = bad(err, place, "not a share between 0 and 1");
		} else if (!strcmp(k, "domain"))
			rc = parse_domain(f, v, place, err);
		else if (!strcmp(k, "pattern"))
			rc = parse_pattern(s, f, v, place, err);
		else if (!strcmp(k, "description") && jv_get_kind(v) != JV_KIND_STRING)
			rc = bad(err, place, "not a string");
		jv_free(key);
		jv_free(v);
		if (rc < 0)
			return -1;
	}
	if (f->has_min && f->has_max && f->min > f->max)
		return bad(err, fplace, "min %.17g is greater than max %.17g", f->min, f->max);
	if (f->has_min_length && f->has_max_length && f->min_length > f->max_length)
		return bad(err, fplace, "min_length %llu is greater than max_length %llu",
			   (unsigned long long)f->min_length, (unsigned long long)f->max_length);
	if (f->type == ML_TYPE_INTEGER && f->has_min && f->has_max && ceil(f->min) > floor(f->max))
		return bad(err, fplace, "no integer lies between min %.17g and max %.17g", f->min, f->max);
	return 0;
}

static int parse_fields(struct ml_schema *s, jv fields, struct ml_err *err)
{
	char place[512];
	int n;

	if (jv_get_kind(fields) != JV_KIND_OBJECT)
		return bad(err, "fields", "not an object but %s", kind_name(fields));
	n = jv_object_length(jv_copy(fields));
	if (n && !(s->fields = calloc((size_t)n, sizeof *s->fields)))
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	jv_object_foreach(fields, key, spec) {
		struct ml_field *f = &s->fields[s->nfields++];
		size_t len = (size_t)jv_string_length_bytes(jv_copy(key));
		int rc = 0;
		if (!(f->name = malloc(len + 1)))
			rc = ml_err_set(err, ML_ERR_IO, "out of memory");
		else {
			memcpy(f->name, jv_string_value(key), len + 1);
			f->name_len = len;
			snprintf(place, sizeof place, "fields.%.400s", f->name);
			rc = parse_field(s, f, spec, place, err);
		}
		jv_free(key);
		jv_free(spec);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int parse_records(struct ml_schema *s, jv rec, struct ml_err *err)
{
	int rc = 0;

	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		return bad(err, "records", "not an object but %s", kind_name(rec));
	jv_object_foreach(rec, key, v) {
		const char *k = jv_string_value(key);
		if (!strcmp(k, "min"))
			rc = get_count(v, "records.min", &s->records_min, err), s->has_records_min = 1;
		else if (!strcmp(k, "max"))
			rc = get_count(v, "records.max", &s->records_max, err), s->has_records_max = 1;
		else
			rc = bad(err, "records", "unknown key '%s'", k);
		jv_free(key);
		jv_free(v);
		if (rc < 0)
			return -1;
	}
	if (s->has_records_min && s->has_records_max && s->records_min > s->records_max)
		return bad(err, "records", "min %llu is greater than max %llu",
			   (unsigned long long)s->records_min, (unsigned long long)s->records_max);
	return 0;
}

static int parse_expectations(struct ml_schema *s, jv list, struct ml_err *err)
{
	char place[64];
	int n;

	if (jv_get_kind(list) != JV_KIND_ARRAY)
		return bad(err, "expectations", "not an array but %s", kind_name(list));
	n = jv_array_length(jv_copy(list));
	if (n && !(s->expectations = calloc((size_t)n, sizeof *s->expectations)))
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	for (int i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(list), i);
		snprintf(place, sizeof place, "expectations[%d]", i);
		if (jv_get_kind(e) != JV_KIND_STRING) {
			int rc = bad(err, place, "not a string (a jq expression) but %s", kind_name(e));
			jv_free(e);
			return rc;
		}
		s->expectations[i] = ml_jq_compile(jv_string_value(e), err);
		jv_free(e);
		if (!s->expectations[i])
			return ml_err_prefix(err, "%s", place);
		s->nexpectations++;
	}
	return 0;
}

static const char *const top_keys[] = {
	"format", "version", "description", "records", "extra_fields", "fields", "expectations",
};

static int parse_top(struct ml_schema *s, jv doc, struct ml_err *err)
{
	int rc = 0;

	if (jv_get_kind(doc) != JV_KIND_OBJECT)
		return bad(err, "top level", "not an object but %s", kind_name(doc));
	jv format = jv_object_get(jv_copy(doc), jv_string("format"));
	jv version = jv_object_get(jv_copy(doc), jv_string("version"));
	jv fields = jv_object_get(jv_copy(doc), jv_string("fields"));
	if (jv_get_kind(format) != JV_KIND_STRING || strcmp(jv_string_value(format), ML_SCHEMA_FORMAT))
		rc = bad(err, "format", "not \"%s\": not an mlpipe schema", ML_SCHEMA_FORMAT);
	else if (jv_get_kind(version) != JV_KIND_NUMBER)
		rc = bad(err, "version", "missing or not a number");
	else if (jv_number_value(version) != ML_SCHEMA_VERSION)
		rc = bad(err, "version", "%g is not a version this program reads (%d)",
			 jv_number_value(version), ML_SCHEMA_VERSION);
	else if (jv_get_kind(fields) == JV_KIND_INVALID)
		rc = bad(err, "fields", "missing (give {} for no field rules)");
	jv_free(format);
	jv_free(version);
	jv_free(fields);
	if (rc < 0)
		return -1;
	s->extra_fields = 1;
	jv_object_foreach(doc, key, v) {
		const char *k = jv_string_value(key);
		if (!known(k, top_keys, sizeof top_keys / sizeof *top_keys))
			rc = bad(err, "top level", "unknown key '%s'", k);
		else if (!strcmp(k, "records"))
			rc = parse_records(s, v, err);
		else if (!strcmp(k, "extra_fields"))
			rc = get_bool(v, "extra_fields", &s->extra_fields, err);
		else if (!strcmp(k, "fields"))
			rc = parse_fields(s, v, err);
		else if (!strcmp(k, "expectations"))
			rc = parse_expectations(s, v, err);
		else if (!strcmp(k, "description") && jv_get_kind(v) != JV_KIND_STRING)
			rc = bad(err, "description", "not a string");
		jv_free(key);
		jv_free(v);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static size_t hash_name(const char *s, size_t n)
{
	return (size_t)XXH64(s, n, 0);
}

static int build_lookup(struct ml_schema *s)
{
	size_t cap = 16;

	while (cap < s->nfields * 2)
		cap *= 2;
	if (!(s->lookup = calloc(cap, sizeof *s->lookup)))
		return -1;
	s->lookup_cap = cap;
	for (size_t i = 0; i < s->nfields; i++) {
		size_t h = hash_name(s->fields[i].name, s->fields[i].name_len) & (cap - 1);
		while (s->lookup[h])
			h = (h + 1) & (cap - 1);
		s->lookup[h] = i + 1;
	}
	return 0;
}

ssize_t ml_schema_find(const struct ml_schema *s, const char *name, size_t n)
{
	for (size_t h = hash_name(name, n) & (s->lookup_cap - 1);; h = (h + 1) & (s->lookup_cap - 1)) {
		size_t slot = s->lookup[h];
		if (!slot)
			return -1;
		const struct ml_field *f = &s->fields[slot - 1];
		if (f->name_len == n && memcmp(f->name, name, n) == 0)
			return (ssize_t)(slot - 1);
	}
}

struct ml_schema *ml_schema_parse(const char *text, size_t len, struct ml_err *err)
{
	struct ml_schema *s = calloc(1, sizeof *s);
	jv doc;

	if (!s) {
		ml_err_set(err, ML_ERR_IO, "out of memory");
		return NULL;
	}
	doc = jv_parse_sized(text, (int)len);
	if (!jv_is_valid(doc)) {
		jv msg = jv_invalid_get_msg(doc);
		const char *why = jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "no text";
		/* libjq quotes the whole document after its reason: keep the reason */
		const char *cut = strstr(why, " (while parsing");
		ml_err_set(err, ML_ERR_DATA, "not JSON: %.*s", cut ? (int)(cut - why) : (int)strlen(why), why);
		jv_free(msg);
		ml_schema_free(s);
		return NULL;
	}
	int rc = parse_top(s, doc, err);
	jv_free(doc);
	if (rc == 0 && build_lookup(s) < 0)
		rc = ml_err_set(err, ML_ERR_IO, "out of memory");
	if (rc < 0) {
		ml_schema_free(s);
		return NULL;
	}
	return s;
}

/* A model bundle stands for the schema of its training data. */
static struct ml_schema *load_from_bundle(struct ml_in *in, struct ml_err *err)
{
	struct ml_bundle *b = ml_bundle_read_in(in, err);
	struct ml_schema *s = NULL;
	const char *text, *name = ml_in_name(in);
	size_t len;

	if (!b)
		return NULL;
	if (!(text = ml_bundle_member(b, "schema.json", &len)))
		ml_err_set(err, ML_ERR_DATA, "%s: the bundle holds no schema", name);
	else if (!(s = ml_schema_parse(text, len, err)))
		ml_err_prefix(err, "%s(schema.json)", name);
	else {
		s->bytes = len;
		if (ml_bundle_sha256(b))
			snprintf(s->sha256, sizeof s->sha256, "%s", ml_bundle_sha256(b));
	}
	ml_bundle_free(b);
	return s;
}

/* The file is opened and read once, its hash taken on the way: a pipe or
 * FIFO (-s <(...), /dev/stdin) cannot be read a second time. */
struct ml_schema *ml_schema_load(const char *path, struct ml_err *err)
{
	struct ml_in *in = ml_in_open(path, err);
	struct ml_buf text = {0};
	struct ml_schema *s = NULL;
	ssize_t got;
	int bundle;

	if (!in)
		return NULL;
	if ((bundle = ml_bundle_is_bundle_in(in, err)) != 0) {
		if (bundle > 0)
			s = load_from_bundle(in, err);
		goto out;
	}
	do {
		if (ml_buf_reserve(&text, 65536) < 0) {
			ml_err_set(err, ML_ERR_IO, "out of memory");
			goto out;
		}
		got = ml_in_read(in, text.data + text.len, 65536, err);
		if (got < 0)
			goto out;
		text.len += (size_t)got;
	} while (got > 0);
	if (text.len > (size_t)INT32_MAX) {
		ml_err_set(err, ML_ERR_DATA, "%s: too large for a schema", ml_in_name(in));
		goto out;
	}
	if (!(s = ml_schema_parse(text.data, text.len, err))) {
		ml_err_prefix(err, "%s", ml_in_name(in));
		goto out;
	}
	s->bytes = ml_in_bytes(in);
	if (ml_in_sha256(in))
		snprintf(s->sha256, sizeof s->sha256, "%s", ml_in_sha256(in));
out:
	ml_buf_free(&text);
	ml_in_close(in);
	return s;
}

void ml_schema_free(struct ml_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nfields; i++) {
		struct ml_field *f = &s->fields[i];
		free(f->name);
		if (f->dom_str)
			for (size_t j = 0; j < f->ndomain; j++)
				free(f->dom_str[j]);
		free(f->dom_str);
		free(f->dom_len);
		free(f->dom_num);
		free(f->dom_json);
		if (f->has_pattern)
			regfree(&f->pattern);
		free(f->pattern_text);
	}
	free(s->fields);
	for (size_t i = 0; i < s->nexpectations; i++)
		ml_jq_free(s->expectations[i]);
	free(s->expectations);
	free(s->lookup);
	if (s->utf8)
		freelocale(s->utf8);
	free(s);
}
