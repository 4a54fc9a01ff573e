/* The training data in memory: a 4-byte cell per record and column. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "train.h"

#define MISSING_CODE UINT32_MAX

static int listed(char **v, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i]) == len && !memcmp(v[i], s, len))
			return 1;
	return 0;
}

static size_t name_hash(const char *s, size_t n)
{
	return (size_t)XXH3_64bits(s, n);
}

static struct tcol *lookup(const struct table *t, const char *name, size_t n)
{
	if (!t->nlookup)
		return NULL;
	for (size_t h = name_hash(name, n) & (t->nlookup - 1);; h = (h + 1) & (t->nlookup - 1)) {
		size_t s = t->lookup[h];
		if (!s)
			return NULL;
		struct tcol *c = t->cols[s - 1];
		if (c->name_len == n && !memcmp(c->name, name, n))
			return c;
	}
}

struct tcol *table_find(const struct table *t, const char *name)
{
	return lookup(t, name, strlen(name));
}

static int rehash(struct table *t)
{
	size_t cap = t->nlookup ? t->nlookup * 2 : 64;
	size_t *v = calloc(cap, sizeof *v);

	if (!v)
		return -1;
	free(t->lookup);
	t->lookup = v;
	t->nlookup = cap;
	for (size_t i = 0; i < t->ncols; i++) {
		size_t h = name_hash(t->cols[i]->name, t->cols[i]->name_len) & (cap - 1);
		while (v[h])
			h = (h + 1) & (cap - 1);
		v[h] = i + 1;
	}
	return 0;
}

static struct tcol *add_column(struct table *t, const char *name, size_t n)
{
	struct tcol *c = calloc(1, sizeof *c);

	if (!c || !(c->name = malloc(n + 1)) || (t->rowcap && !(c->cell = malloc(t->rowcap * sizeof *c->cell)))) {
		if (c)
			free(c->name);
		free(c);
		return NULL;
	}
	memcpy(c->name, name, n);
	c->name[n] = '\0';
	c->name_len = n;
	/* rows before this column appeared are missing in it: NaN bits and the
	 * missing code are told apart once the kind is known */
	for (size_t i = 0; i < t->nrows; i++)
		c->cell[i] = MISSING_CODE;
	c->is_target = n == strlen(t->target) && !memcmp(name, t->target, n);
	c->is_weight = t->weight && n == strlen(t->weight) && !memcmp(name, t->weight, n);
	c->used = c->is_target || c->is_weight ||
		  ((!t->nonly || listed(t->only, t->nonly, name, n)) &&
		   !listed(t->exclude, t->nexclude, name, n));
	if (t->ncols == t->colcap) {
		size_t cap = t->colcap ? t->colcap * 2 : 16;
		struct tcol **v = realloc(t->cols, cap * sizeof *v);
		if (!v)
			goto fail;
		t->cols = v;
		t->colcap = cap;
	}
	t->cols[t->ncols++] = c;
	if ((t->ncols * 2 > t->nlookup && rehash(t) < 0))
		return NULL;
	if (t->ncols * 2 <= t->nlookup) {
		size_t h = name_hash(name, n) & (t->nlookup - 1);
		while (t->lookup[h] && t->lookup[h] != t->ncols)
			h = (h + 1) & (t->nlookup - 1);
		t->lookup[h] = t->ncols;
	}
	return c;
fail:
	free(c->cell);
	free(c->name);
	free(c);
	return NULL;
}

static int grow_rows(struct table *t)
{
	size_t cap = t->rowcap ? t->rowcap * 2 : 4096;

	for (size_t i = 0; i < t->ncols; i++) {
		uint32_t *v = realloc(t->cols[i]->cell, cap * sizeof *v);
		if (!v)
			return -1;
		t->cols[i]->cell = v;
	}
	double *y = realloc(t->y, cap * sizeof *y);
	if (!y)
		return -1;
	t->y = y;
	if (t->weight) {
		double *w = realloc(t->w, cap * sizeof *w);
		if (!w)
			return -1;
		t->w = w;
	}
	t->rowcap = cap;
	return 0;
}

static uint32_t float_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

/* The code of a string in the column's dictionary, added when new. */
static int string_code(struct tcol *c, const char *s, size_t n, uint32_t *code)
{
	if ((size_t)(c->nstrs + 1) * 2 > c->nslots) {
		size_t cap = c->nslots ? c->nslots * 2 : 64;
		uint32_t *v = calloc(cap, sizeof *v);
		if (!v)
			return -1;
		for (uint32_t k = 0; k < c->nstrs; k++) {
			size_t h = name_hash(c->strs[k], c->lens[k]) & (cap - 1);
			while (v[h])
				h = (h + 1) & (cap - 1);
			v[h] = k + 1;
		}
		free(c->slots);
		c->slots = v;
		c->nslots = cap;
	}
	size_t h = name_hash(s, n) & (c->nslots - 1);
	for (; c->slots[h]; h = (h + 1) & (c->nslots - 1)) {
		uint32_t k = c->slots[h] - 1;
		if (c->lens[k] == n && !memcmp(c->strs[k], s, n)) {
			*code = k;
			return 0;
		}
	}
	if (c->nstrs == c->strcap) {
		uint32_t cap = c->strcap ? c->strcap * 2 : 64;
		char **v = realloc(c->strs, cap * sizeof *v);
		size_t *l;
		if (!v)
			return -1;
		c->strs = v;
		if (!(l = realloc(c->lens, cap * sizeof *l)))
			return -1;
		c->lens = l;
		c->strcap = cap;
	}
	if (!(c->strs[c->nstrs] = malloc(n + 1)))
		return -1;
	memcpy(c->strs[c->nstrs], s, n);
	c->strs[c->nstrs][n] = '\0';
	c->lens[c->nstrs] = n;
	c->slots[h] = c->nstrs + 1;
	*code = c->nstrs++;
	return 0;
}

static const char *kind_name(enum tcol_kind k)
{
	static const char *const names[] = {"nothing", "number", "boolean", "string"};
	return names[k];
}

/* Sets the kind of c at its first value; earlier cells become missing. */
static int settle_kind(struct tcol *c, enum tcol_kind k, size_t nrows, struct ml_err *err)
{
	if (c->kind == k)
		return 0;
	if (c->kind != TCOL_UNKNOWN)
		return ml_err_set(err, ML_ERR_DATA, "field '%s' is a %s here, a %s in earlier records "
				  "(a column must have one type: cast or --exclude it)",
				  c->name, kind_name(k), kind_name(c->kind));
	c->kind = k;
	if (k != TCOL_STRING)
		for (size_t i = 0; i < nrows; i++)
			c->cell[i] = float_bits(NAN);
	return 0;
}

/* The column of field i of r, added when new, and then t->at[i].  Records
 * mostly have their fields in the same order, so the column field i had
 * in the last record is tried before the names are hashed. */
static struct tcol *column_of(struct table *t, const struct ml_rec *r, size_t i, struct ml_err *err)
{
	size_t klen;
	int escaped;
	const char *key = ml_rec_key_raw(r, i, &klen, &escaped);
	struct tcol *c = i < t->nat ? t->at[i] : NULL;

	if (c && !escaped && c->name_len == klen && !memcmp(c->name, key, klen))
		return c;
	if (escaped && !(key = ml_rec_key_text(r, i, &klen, &t->scratch))) {
		ml_err_set(err, ML_ERR_IO, "out of memory");
		return NULL;
	}
	if (!(c = lookup(t, key, klen)) && !(c = add_column(t, key, klen))) {
		ml_err_set(err, ML_ERR_IO, "out of memory");
		return NULL;
	}
	if (i >= t->nat) {
		size_t cap = i + 1 > 2 * t->nat ? i + 1 : 2 * t->nat;
		struct tcol **v = realloc(t->at, cap * sizeof *v);
		if (!v) {
			ml_err_set(err, ML_ERR_IO, "out of memory");
			return NULL;
		}
		memset(v + t->nat, 0, (cap - t->nat) * sizeof *v);
		t->at = v;
		t->nat = cap;
	}
	t->at[i] = c;
	return c;
}

/* Field i of r, a string, decoded: its bytes in the line when it has no
 * escapes (most have none), else unescaped into the table's scratch. */
static int string_of(struct table *t, const struct ml_rec *r, size_t i, const char **s, size_t *n)
{
	size_t len;
	const char *raw = ml_rec_value_raw(r, i, &len);

	if (!memchr(raw + 1, '\\', len - 2)) {
		*s = raw + 1;
		*n = len - 2;
		return 0;
	}
	ml_buf_reset(&t->scratch);
	if (ml_rec_string(r, i, &t->scratch) < 0)
		return -1;
	*s = t->scratch.data ? t->scratch.data : "";
	*n = t->scratch.len;
	return 0;
}

int table_add(struct table *t, const struct ml_rec *r, struct ml_err *err)
{
	size_t nf = ml_rec_count(r), row = t->nrows;
	int have_target = 0, noted = 0;

	if (row == t->rowcap && grow_rows(t) < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	for (size_t i = 0; i < t->ncols; i++)
		t->cols[i]->cell[row] = t->cols[i]->kind == TCOL_STRING || t->cols[i]->kind == TCOL_UNKNOWN
			? MISSING_CODE : float_bits(NAN);
	if (t->w)
		t->w[row] = 1;
	/* a key given twice counts once, by its last value, as jq, ml-predict
	 * and the profile read it: the earlier ones are not even checked */
	for (size_t i = 0; i < nf; i++) {
		struct tcol *c = column_of(t, r, i, err);
		if (!c)
			return -1;
		c->last = i;
	}
	for (size_t i = 0; i < nf; i++) {
		struct tcol *c = t->at[i];
		if (!c->used || c->last != i)
			continue;
		int is_target = c->is_target, is_weight = c->is_weight;
		enum ml_json_type type = ml_rec_type(r, i);
		double x;
		switch (type) {
		case ML_JSON_NULL:
			c->cell[row] = c->kind == TCOL_STRING || c->kind == TCOL_UNKNOWN ? MISSING_CODE
											 : float_bits(NAN);
			break;
		case ML_JSON_NUMBER:
			if (settle_kind(c, TCOL_NUMBER, row, err) < 0)
				return -1;
			ml_rec_number(r, i, &x);
			if (!isfinite(x))
				return ml_err_set(err, ML_ERR_DATA, "field '%s': %s does not fit a double",
						  c->name, "a number");
			/* the table holds 32-bit floats: 1e39 is finite as a
			 * double and infinite here (XGBoost then refused the
			 * whole matrix, or its labels, with no place) */
			if (!isfinite((float)x)) {
				if (!is_target && (!is_weight || t->float_labels))
					return ml_err_set(err, ML_ERR_DATA, "field '%s': %g does not fit "
							  "the model's 32-bit floats", c->name, x);
				if (is_target && t->float_labels && t->wide_target.kind == ML_ERR_NONE) {
					ml_err_set(&t->wide_target, ML_ERR_DATA, "field '%s': %g does not fit "
						   "the model's 32-bit floats", c->name, x);
					noted = 1;
				}
			}
			c->cell[row] = float_bits((float)x);
			if (is_target)
				t->y[row] = x, have_target = 1;
			if (is_weight) {
				if (x < 0)
					return ml_err_set(err, ML_ERR_DATA, "weight '%s' is negative", c->name);
				t->w[row] = x;
			}
			break;
		case ML_JSON_TRUE:
		case ML_JSON_FALSE:
			if (settle_kind(c, TCOL_BOOLEAN, row, err) < 0)
				return -1;
			c->cell[row] = float_bits(type == ML_JSON_TRUE ? 1.0f : 0.0f);
			if (is_target)
				t->y[row] = type == ML_JSON_TRUE, have_target = 1;
			break;
		case ML_JSON_STRING: {
			uint32_t code;
			const char *str;
			size_t len;
			if (settle_kind(c, TCOL_STRING, row, err) < 0)
				return -1;
			if (string_of(t, r, i, &str, &len) < 0 || string_code(c, str, len, &code) < 0)
				return ml_err_set(err, ML_ERR_IO, "out of memory");
			c->cell[row] = code;
			if (is_target)
				t->y[row] = code, have_target = 1;
			break;
		}
		default:
			return ml_err_set(err, ML_ERR_DATA, "field '%s' is an %s: features are numbers, "
					  "strings and booleans (--exclude it)", c->name, ml_json_type_name(type));
		}
		if (is_weight && type != ML_JSON_NUMBER && type != ML_JSON_NULL)
			return ml_err_set(err, ML_ERR_DATA, "weight '%s' is not a number", c->name);
	}
	if (!have_target)
		return ml_err_set(err, ML_ERR_DATA, "no value for the target '%s'", t->target);
	t->nrows++;
	return noted;
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->ncols; i++) {
		struct tcol *c = t->cols[i];
		for (uint32_t k = 0; k < c->nstrs; k++)
			free(c->strs[k]);
		free(c->strs);
		free(c->lens);
		free(c->slots);
		free(c->cell);
		free(c->name);
		free(c);
	}
	free(t->cols);
	free(t->lookup);
	free(t->at);
	free(t->y);
	free(t->w);
	ml_buf_free(&t->scratch);
}
