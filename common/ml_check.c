/* Checking records against a schema (see ml_schema.h). */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "ml_json.h"
#include "ml_schema.h"

/* The values a unique field has had: 128-bit hashes of (type, value) in an
 * open-addressing set.  Two different values share a hash with probability
 * about n^2 / 2^129: never, at any size this runs on. */
struct ml_seen {
	XXH128_hash_t *slot;
	size_t cap, n;
};

#define NO_RULE ((size_t)-1)

/* A violation as kept while the record is checked: texts are offsets into
 * the checker's arena, which may move as it grows. */
struct pending {
	const struct ml_rule *rule;
	size_t field_off, field_len;	/* extra_fields: the field's name */
	const char *value;
	size_t value_len;
	size_t msg_off;
};

struct ml_check {
	const struct ml_schema *s;
	struct ml_rule *rules;
	size_t nrules;
	size_t (*rule_of)[ML_RULE_EXPECTATION];	/* per field, per kind: its rule or NO_RULE */
	size_t extra_rule, first_expectation;
	struct ml_constraint *cons;
	size_t ncons;
	size_t *missing_con, *unique_con;	/* per field: its constraint or NO_RULE */
	uint64_t *gen_of;		/* per field: the record it was last seen in */
	size_t *at;			/* per field: its index in that record */
	uint64_t gen;
	size_t nextra;			/* fields of the record not in the schema */
	char **files;
	size_t nfiles;
	uint64_t records, wellformed, invalid, malformed;
	struct pending *pend;
	size_t npend, pend_cap;
	struct ml_violation *viol;
	size_t viol_cap;
	struct ml_buf arena, str, why, key;
	int oom;
};

const char *ml_rule_name(enum ml_rule_kind k)
{
	static const char *const names[] = {
		"malformed", "required", "nullable", "type", "min", "max", "domain", "pattern",
		"min_length", "max_length", "extra_fields", "expectation",
	};
	return names[k];
}

const char *ml_constraint_name(enum ml_constraint_kind k)
{
	static const char *const names[] = {"records.min", "records.max", "max_missing", "unique"};
	return names[k];
}

static size_t add_rule(struct ml_check *c, enum ml_rule_kind kind, const struct ml_field *f,
		       const struct ml_jq *q)
{
	struct ml_rule *r = &c->rules[c->nrules];

	memset(r, 0, sizeof *r);
	r->kind = kind;
	r->field = f;
	r->expectation = q;
	return c->nrules++;
}

static size_t add_constraint(struct ml_check *c, enum ml_constraint_kind kind,
			     const struct ml_field *f, double limit)
{
	struct ml_constraint *k = &c->cons[c->ncons];

	memset(k, 0, sizeof *k);
	k->kind = kind;
	k->field = f;
	k->limit = limit;
	return c->ncons++;
}

struct ml_check *ml_check_new(const struct ml_schema *s)
{
	struct ml_check *c = calloc(1, sizeof *c);
	size_t nf = s->nfields;

	if (!c)
		return NULL;
	c->s = s;
	/* at most every kind per field, then malformed, extra and expectations */
	c->rules = calloc(nf * ML_RULE_EXPECTATION + 2 + s->nexpectations, sizeof *c->rules);
	c->cons = calloc(2 + 2 * nf, sizeof *c->cons);
	c->rule_of = calloc(nf ? nf : 1, sizeof *c->rule_of);
	c->missing_con = calloc(nf ? nf : 1, sizeof *c->missing_con);
	c->unique_con = calloc(nf ? nf : 1, sizeof *c->unique_con);
	c->gen_of = calloc(nf ? nf : 1, sizeof *c->gen_of);
	c->at = calloc(nf ? nf : 1, sizeof *c->at);
	if (!c->rules || !c->cons || !c->rule_of || !c->missing_con || !c->unique_con ||
	    !c->gen_of || !c->at) {
		ml_check_free(c);
		return NULL;
	}
	add_rule(c, ML_RULE_MALFORMED, NULL, NULL);
	for (size_t i = 0; i < nf; i++) {
		const struct ml_field *f = &s->fields[i];
		for (int k = 0; k < ML_RULE_EXPECTATION; k++)
			c->rule_of[i][k] = NO_RULE;
		if (f->required)
			c->rule_of[i][ML_RULE_REQUIRED] = add_rule(c, ML_RULE_REQUIRED, f, NULL);
		if (!f->nullable)
			c->rule_of[i][ML_RULE_NULLABLE] = add_rule(c, ML_RULE_NULLABLE, f, NULL);
		if (f->type != ML_TYPE_ANY)
			c->rule_of[i][ML_RULE_TYPE] = add_rule(c, ML_RULE_TYPE, f, NULL);
		if (f->has_min)
			c->rule_of[i][ML_RULE_MIN] = add_rule(c, ML_RULE_MIN, f, NULL);
		if (f->has_max)
			c->rule_of[i][ML_RULE_MAX] = add_rule(c, ML_RULE_MAX, f, NULL);
		if (f->ndomain)
			c->rule_of[i][ML_RULE_DOMAIN] = add_rule(c, ML_RULE_DOMAIN, f, NULL);
		if (f->has_pattern)
			c->rule_of[i][ML_RULE_PATTERN] = add_rule(c, ML_RULE_PATTERN, f, NULL);
		if (f->has_min_length)
			c->rule_of[i][ML_RULE_MIN_LENGTH] = add_rule(c, ML_RULE_MIN_LENGTH, f, NULL);
		if (f->has_max_length)
			c->rule_of[i][ML_RULE_MAX_LENGTH] = add_rule(c, ML_RULE_MAX_LENGTH, f, NULL);
	}
	c->extra_rule = s->extra_fields ? NO_RULE : add_rule(c, ML_RULE_EXTRA_FIELDS, NULL, NULL);
	c->first_expectation = c->nrules;
	for (size_t i = 0; i < s->nexpectations; i++)
		add_rule(c, ML_RULE_EXPECTATION, NULL, s->expectations[i]);

	if (s->has_records_min)
		add_constraint(c, ML_CONSTRAINT_RECORDS_MIN, NULL, (double)s->records_min);
	if (s->has_records_max)
		add_constraint(c, ML_CONSTRAINT_RECORDS_MAX, NULL, (double)s->records_max);
	for (size_t i = 0; i < nf; i++) {
		const struct ml_field *f = &s->fields[i];
		c->missing_con[i] = f->has_max_missing
			? add_constraint(c, ML_CONSTRAINT_MAX_MISSING, f, f->max_missing) : NO_RULE;
		c->unique_con[i] = NO_RULE;
		if (f->unique) {
			c->unique_con[i] = add_constraint(c, ML_CONSTRAINT_UNIQUE, f, 0);
			if (!(c->cons[c->unique_con[i]].seen = calloc(1, sizeof(struct ml_seen)))) {
				ml_check_free(c);
				return NULL;
			}
		}
	}
	return c;
}

void ml_check_free(struct ml_check *c)
{
	if (!c)
		return;
	for (size_t i = 0; c->cons && i < c->ncons; i++)
		if (c->cons[i].seen) {
			free(c->cons[i].seen->slot);
			free(c->cons[i].seen);
		}
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->rules);
	free(c->cons);
	free(c->rule_of);
	free(c->missing_con);
	free(c->unique_con);
	free(c->gen_of);
	free(c->at);
	free(c->pend);
	free(c->viol);
	ml_buf_free(&c->arena);
	ml_buf_free(&c->str);
	ml_buf_free(&c->why);
	ml_buf_free(&c->key);
	free(c);
}

/* The index of the file of place at, interned. */
static size_t file_of(struct ml_check *c, const struct ml_place *at)
{
	/* the caller may keep each name in the same buffer: compare texts */
	if (c->nfiles && !strcmp(at->file, c->files[c->nfiles - 1]))
		return c->nfiles - 1;
	char **v = realloc(c->files, (c->nfiles + 1) * sizeof *v);
	char *name = strdup(at->file);
	if (!v || !name) {
		free(name);
		if (v)
			c->files = v;
		c->oom = 1;
		return 0;
	}
	c->files = v;
	c->files[c->nfiles++] = name;
	return c->nfiles - 1;
}

static void note_place(size_t *nfirst, struct ml_check_place *first, struct ml_check *c,
		       const struct ml_place *at)
{
	if (*nfirst < ML_CHECK_FIRST)
		first[(*nfirst)++] = (struct ml_check_place){file_of(c, at), at->line};
}

/* Records a violation of rule; the message is formatted into the arena. */
static void violate(struct ml_check *c, size_t rule, const struct ml_place *at,
		    const char *value, size_t value_len, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static void violate(struct ml_check *c, size_t rule, const struct ml_place *at,
		    const char *value, size_t value_len, const char *fmt, ...)
{
	struct ml_rule *r = &c->rules[rule];
	va_list ap;

	r->violations++;
	note_place(&r->nfirst, r->first, c, at);
	if (c->npend == c->pend_cap) {
		size_t cap = c->pend_cap ? c->pend_cap * 2 : 16;
		struct pending *v = realloc(c->pend, cap * sizeof *v);
		if (!v) {
			c->oom = 1;
			return;
		}
		c->pend = v;
		c->pend_cap = cap;
	}
	struct pending *p = &c->pend[c->npend++];
	*p = (struct pending){.rule = r, .value = value, .value_len = value_len,
			      .msg_off = c->arena.len};
	va_start(ap, fmt);
	if (ml_buf_vprintf(&c->arena, fmt, ap) < 0 || ml_buf_addc(&c->arena, '\0') < 0)
		c->oom = 1;
	va_end(ap);
}

static int in_string_domain(const struct ml_field *f, const char *s, size_t n)
{
	size_t lo = 0, hi = f->ndomain;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		size_t m = f->dom_len[mid];
		int cmp = memcmp(f->dom_str[mid], s, m < n ? m : n);
		if (!cmp)
			cmp = (m > n) - (m < n);
		if (!cmp)
			return 1;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int in_number_domain(const struct ml_field *f, double x)
{
	size_t lo = 0, hi = f->ndomain;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->dom_num[mid] == x)
			return 1;
		if (f->dom_num[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static void put_limit(struct ml_buf *b, double x)
{
	ml_json_put_double(b, x);
	ml_buf_terminate(b);
}

/* Adds the value of field i of r to a unique field's set: 1 when it was
 * there already, 0 when new, -1 when memory is out. */
static int seen_before(struct ml_check *c, struct ml_seen *seen, const struct ml_rec *r, size_t i)
{
	enum ml_json_type t = ml_rec_type(r, i);
	XXH128_hash_t h;

	ml_buf_reset(&c->key);
	ml_buf_addc(&c->key, (char)(t == ML_JSON_TRUE ? ML_JSON_FALSE : t));
	if (t == ML_JSON_NUMBER) {
		double x;
		ml_rec_number(r, i, &x);
		if (x == 0)
			x = 0;	/* -0 is 0, as jq compares */
		ml_buf_add(&c->key, &x, sizeof x);
	} else if (t == ML_JSON_STRING) {
		if (ml_rec_string(r, i, &c->key) < 0)
			return -1;
	} else {
		size_t n;
		const char *raw = ml_rec_value_raw(r, i, &n);
		ml_buf_add(&c->key, raw, n);
	}
	h = XXH3_128bits(c->key.data, c->key.len);
	if ((seen->n + 1) * 2 > seen->cap) {
		size_t cap = seen->cap ? seen->cap * 2 : 1024;
		XXH128_hash_t *v = calloc(cap, sizeof *v);
		if (!v)
			return -1;
		for (size_t j = 0; j < seen->cap; j++) {
			XXH128_hash_t e = seen->slot[j];
			if (!e.low64 && !e.high64)
				continue;
			size_t k = (size_t)e.low64 & (cap - 1);
			while (v[k].low64 || v[k].high64)
				k = (k + 1) & (cap - 1);
			v[k] = e;
		}
		free(seen->slot);
		seen->slot = v;
		seen->cap = cap;
	}
	if (!h.low64 && !h.high64)
		h.low64 = 1;	/* zero marks an empty slot */
	for (size_t k = (size_t)h.low64 & (seen->cap - 1);; k = (k + 1) & (seen->cap - 1)) {
		XXH128_hash_t e = seen->slot[k];
		if (!e.low64 && !e.high64) {
			seen->slot[k] = h;
			seen->n++;
			return 0;
		}
		if (e.low64 == h.low64 && e.high64 == h.high64)
			return 1;
	}
}

/* The field rules of field fi on the record's field i. */
static void check_value(struct ml_check *c, size_t fi, const struct ml_rec *r, size_t i,
			const struct ml_place *at)
{
	const struct ml_field *f = &c->s->fields[fi];
	const size_t *rule = c->rule_of[fi];
	enum ml_json_type t = ml_rec_type(r, i);
	size_t vlen;
	const char *v = ml_rec_value_raw(r, i, &vlen);
	int vl = vlen > 200 ? 200 : (int)vlen;	/* values quoted in messages */
	struct ml_buf lim = {0};

	switch (f->type) {
	case ML_TYPE_ANY:
		return;
	case ML_TYPE_INTEGER:
	case ML_TYPE_NUMBER: {
		double x;
		if (t != ML_JSON_NUMBER) {
			violate(c, rule[ML_RULE_TYPE], at, v, vlen, "expected %s, got %s",
				ml_type_name(f->type), ml_json_type_name(t));
			return;
		}
		ml_rec_number(r, i, &x);
		if (f->type == ML_TYPE_INTEGER && !(isfinite(x) && x == floor(x))) {
			violate(c, rule[ML_RULE_TYPE], at, v, vlen, "%.*s is not an integer", vl, v);
			return;
		}
		if (f->has_min && x < f->min) {
			put_limit(&lim, f->min);
			violate(c, rule[ML_RULE_MIN], at, v, vlen, "%.*s is less than min %s", vl, v, lim.data);
		}
		if (f->has_max && x > f->max) {
			ml_buf_reset(&lim);
			put_limit(&lim, f->max);
			violate(c, rule[ML_RULE_MAX], at, v, vlen, "%.*s is greater than max %s", vl, v,
				lim.data);
		}
		if (f->ndomain && !in_number_domain(f, x))
			violate(c, rule[ML_RULE_DOMAIN], at, v, vlen, "%.*s is not in the domain", vl, v);
		ml_buf_free(&lim);
		return;
	}
	case ML_TYPE_BOOLEAN:
		if (t != ML_JSON_TRUE && t != ML_JSON_FALSE) {
			violate(c, rule[ML_RULE_TYPE], at, v, vlen, "expected boolean, got %s",
				ml_json_type_name(t));
			return;
		}
		if (f->ndomain && !f->dom_bool[t == ML_JSON_TRUE])
			violate(c, rule[ML_RULE_DOMAIN], at, v, vlen, "%.*s is not in the domain", vl, v);
		return;
	case ML_TYPE_STRING:
		break;
	}
	if (t != ML_JSON_STRING) {
		violate(c, rule[ML_RULE_TYPE], at, v, vlen, "expected string, got %s",
			ml_json_type_name(t));
		return;
	}
	ml_buf_reset(&c->str);
	/* terminated too: REG_STARTEND bounds the match, but regexec's
	 * callers (ASan's interceptor among them) may still measure the
	 * string up to its NUL */
	if (ml_rec_string(r, i, &c->str) < 0 || ml_buf_terminate(&c->str) < 0) {
		c->oom = 1;
		return;
	}
	const char *s = c->str.data ? c->str.data : "";
	size_t n = c->str.len;
	if (f->ndomain && !in_string_domain(f, s, n))
		violate(c, rule[ML_RULE_DOMAIN], at, v, vlen, "%.*s is not in the domain", vl, v);
	if (f->has_pattern) {
		regmatch_t m[1] = {{.rm_so = 0, .rm_eo = (regoff_t)n}};
		/* run as compiled: the text as UTF-8 (ml_schema.c) */
		locale_t was = uselocale(c->s->utf8);
		int no = regexec(&f->pattern, s, 1, m, REG_STARTEND);
		uselocale(was);
		if (no)
			violate(c, rule[ML_RULE_PATTERN], at, v, vlen, "%.*s does not match %s", vl, v,
				f->pattern_text);
	}
	if (f->has_min_length || f->has_max_length) {
		uint64_t k = ml_utf8_chars(s, n);
		if (f->has_min_length && k < f->min_length)
			violate(c, rule[ML_RULE_MIN_LENGTH], at, v, vlen,
				"%llu characters, fewer than min_length %llu", (unsigned long long)k,
				(unsigned long long)f->min_length);
		if (f->has_max_length && k > f->max_length)
			violate(c, rule[ML_RULE_MAX_LENGTH], at, v, vlen,
				"%llu characters, more than max_length %llu", (unsigned long long)k,
				(unsigned long long)f->max_length);
	}
}

/* Breaks rule extra_fields when field i of r is not in the schema. */
static int extra_field(struct ml_check *c, const struct ml_rec *r, size_t i,
		       const struct ml_place *at)
{
	size_t klen, vlen, off = c->arena.len;
	const char *key = ml_rec_key_text(r, i, &klen, &c->key);

	if (!key)
		return -1;
	if (ml_schema_find(c->s, key, klen) >= 0)
		return 0;
	const char *v = ml_rec_value_raw(r, i, &vlen);
	if (ml_buf_add(&c->arena, key, klen) < 0 || ml_buf_addc(&c->arena, '\0') < 0)
		return -1;
	violate(c, c->extra_rule, at, v, vlen, "not in the schema");
	if (c->oom)
		return -1;
	c->pend[c->npend - 1].field_off = off;
	c->pend[c->npend - 1].field_len = klen;
	return 0;
}

/* Builds the public violations of the record from the pending ones. */
static ssize_t publish(struct ml_check *c, struct ml_err *err)
{
	if (c->oom)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (c->npend > c->viol_cap) {
		struct ml_violation *v = realloc(c->viol, c->npend * sizeof *v);
		if (!v)
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		c->viol = v;
		c->viol_cap = c->npend;
	}
	for (size_t i = 0; i < c->npend; i++) {
		const struct pending *p = &c->pend[i];
		struct ml_violation *v = &c->viol[i];
		v->rule = p->rule;
		v->field = p->rule->field ? p->rule->field->name : NULL;
		v->field_len = p->rule->field ? p->rule->field->name_len : 0;
		if (p->rule->kind == ML_RULE_EXTRA_FIELDS) {
			v->field = c->arena.data + p->field_off;
			v->field_len = p->field_len;
		}
		v->value = p->value;
		v->value_len = p->value_len;
		v->message = c->arena.data + p->msg_off;
	}
	if (c->npend)
		c->invalid++;
	return (ssize_t)c->npend;
}

ssize_t ml_check_record(struct ml_check *c, const struct ml_rec *r, const char *line,
			size_t len, const struct ml_place *at, struct ml_err *err)
{
	const struct ml_schema *s = c->s;
	size_t nf = ml_rec_count(r);

	c->records++;
	c->wellformed++;
	c->gen++;
	c->npend = 0;
	c->nextra = 0;
	ml_buf_reset(&c->arena);
	for (size_t i = 0; i < nf; i++) {
		size_t klen;
		const char *key = ml_rec_key_text(r, i, &klen, &c->key);
		if (!key)
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		ssize_t fi = s->nfields ? ml_schema_find(s, key, klen) : -1;
		if (fi >= 0) {
			c->gen_of[fi] = c->gen;
			c->at[fi] = i;
		} else if (c->extra_rule != NO_RULE) {
			c->nextra++;
		}
	}
	for (size_t fi = 0; fi < s->nfields; fi++) {
		const struct ml_field *f = &s->fields[fi];
		int present = c->gen_of[fi] == c->gen;
		size_t i = c->at[fi];
		if (!present || ml_rec_type(r, i) == ML_JSON_NULL) {
			if (c->missing_con[fi] != NO_RULE)
				c->cons[c->missing_con[fi]].count++;
			if (!present && f->required)
				violate(c, c->rule_of[fi][ML_RULE_REQUIRED], at, NULL, 0, "missing");
			else if (present && !f->nullable)
				violate(c, c->rule_of[fi][ML_RULE_NULLABLE], at, "null", 4, "null");
			continue;
		}
		if (c->unique_con[fi] != NO_RULE) {
			struct ml_constraint *k = &c->cons[c->unique_con[fi]];
			int rc = seen_before(c, k->seen, r, i);
			if (rc < 0)
				return ml_err_set(err, ML_ERR_IO, "out of memory");
			if (rc) {
				k->count++;
				note_place(&k->nfirst, k->first, c, at);
			}
		}
		check_value(c, fi, r, i, at);
	}
	/* fields the schema does not list, after the listed ones' rules */
	for (size_t i = 0; c->nextra && i < nf; i++)
		if (extra_field(c, r, i, at) < 0)
			return ml_err_set(err, ML_ERR_IO, "out of memory");
	for (size_t e = 0; e < s->nexpectations; e++) {
		int rc = ml_jq_test(s->expectations[e], r, line, len, &c->why, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			violate(c, c->first_expectation + e, at, NULL, 0, "%s", c->why.data);
	}
	return publish(c, err);
}

int ml_check_malformed(struct ml_check *c, const struct ml_place *at, const char *why)
{
	struct ml_err err;

	c->records++;
	c->malformed++;
	c->npend = 0;
	ml_buf_reset(&c->arena);
	violate(c, 0, at, NULL, 0, "%s", why);
	return publish(c, &err) < 0 ? -1 : 0;
}

const struct ml_violation *ml_check_violation(const struct ml_check *c, size_t i)
{
	return &c->viol[i];
}

void ml_check_end(struct ml_check *c)
{
	for (size_t i = 0; i < c->ncons; i++) {
		struct ml_constraint *k = &c->cons[i];
		switch (k->kind) {
		case ML_CONSTRAINT_RECORDS_MIN:
			k->measured = (double)c->records;
			k->passed = k->measured >= k->limit;
			break;
		case ML_CONSTRAINT_RECORDS_MAX:
			k->measured = (double)c->records;
			k->passed = k->measured <= k->limit;
			break;
		case ML_CONSTRAINT_MAX_MISSING:
			k->measured = c->wellformed ? (double)k->count / (double)c->wellformed : 0;
			k->passed = k->measured <= k->limit;
			break;
		case ML_CONSTRAINT_UNIQUE:
			k->measured = (double)k->count;
			k->passed = k->count == 0;
			break;
		}
	}
}

uint64_t ml_check_records(const struct ml_check *c) { return c->records; }
uint64_t ml_check_invalid(const struct ml_check *c) { return c->invalid; }
uint64_t ml_check_malformed_lines(const struct ml_check *c) { return c->malformed; }
size_t ml_check_nrules(const struct ml_check *c) { return c->nrules; }
const struct ml_rule *ml_check_rule(const struct ml_check *c, size_t i) { return &c->rules[i]; }
size_t ml_check_nconstraints(const struct ml_check *c) { return c->ncons; }
const struct ml_constraint *ml_check_constraint(const struct ml_check *c, size_t i) { return &c->cons[i]; }
const char *ml_check_file(const struct ml_check *c, size_t file) { return c->files[file]; }
