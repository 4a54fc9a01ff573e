#include "ml_rec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "ml_out.h"

struct field {
	size_t key_off, key_len;	/* between the quotes */
	size_t val_off, val_len;
	unsigned char type;
	unsigned char key_escaped;
};

struct ml_rec {
	const char *line;
	size_t len;
	size_t close_off;	/* offset of the closing brace */
	struct field *f;
	size_t n, cap;
	size_t *seen, seen_cap;	/* ml_rec_has_duplicates' hash set: field + 1, 0 empty */
	struct ml_buf key;	/* an escaped key, decoded */
};

struct ml_rec *ml_rec_new(void)
{
	return calloc(1, sizeof(struct ml_rec));
}

void ml_rec_free(struct ml_rec *r)
{
	if (!r)
		return;
	free(r->f);
	free(r->seen);
	ml_buf_free(&r->key);
	free(r);
}

static int malformed(struct ml_err *err, const char *line, const struct ml_json_fail *fail)
{
	return ml_err_set(err, ML_ERR_DATA, "malformed JSON: %s (column %zu)",
			  fail->why, (size_t)(fail->at - line) + 1);
}

static struct field *next_field(struct ml_rec *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct field *f = realloc(r->f, cap * sizeof *f);
		if (!f)
			return NULL;
		r->f = f;
		r->cap = cap;
	}
	return &r->f[r->n++];
}

/* ml_json_skip_ws, with the common case (no whitespace between tokens, as
 * in every record a program writes) decided here without a call: measured,
 * the calls were 3% of ml-train's instructions, five per field. */
static inline const char *skip_ws(const char *p, const char *end)
{
	if (p < end && (unsigned char)*p > ' ')
		return p;
	return ml_json_skip_ws(p, end);
}

int ml_rec_parse(struct ml_rec *r, const char *line, size_t len, struct ml_err *err)
{
	const char *p, *end = line + len;
	struct ml_json_fail fail;
	enum ml_json_type type;
	int escaped;

	r->line = line;
	r->len = len;
	r->n = 0;
	p = skip_ws(line, end);
	if (p == end)
		return ml_err_set(err, ML_ERR_DATA, "empty line (expected a JSON object)");
	if (*p != '{') {
		if (ml_json_scan_value(p, end, 0, &type, &fail))
			return ml_err_set(err, ML_ERR_DATA,
					  "record is a JSON %s, not an object",
					  ml_json_type_name(type));
		return malformed(err, line, &fail);
	}
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		goto closed;
	for (;;) {
		struct field *f;
		const char *k = p, *v;

		if (p == end || *p != '"') {
			fail.at = p;
			fail.why = "expected a string key";
			return malformed(err, line, &fail);
		}
		if (!(p = ml_json_scan_string(p, end, &escaped, &fail)))
			return malformed(err, line, &fail);
		if (!(f = next_field(r)))
			return ml_err_sys(err, ENOMEM, "cannot index record");
		f->key_off = (size_t)(k + 1 - line);
		f->key_len = (size_t)(p - k - 2);
		f->key_escaped = (unsigned char)escaped;
		p = skip_ws(p, end);
		if (p == end || *p != ':') {
			fail.at = p;
			fail.why = "expected ':' after key";
			return malformed(err, line, &fail);
		}
		v = p = skip_ws(p + 1, end);
		if (!(p = ml_json_scan_value(p, end, 1, &type, &fail)))
			return malformed(err, line, &fail);
		f->val_off = (size_t)(v - line);
		f->val_len = (size_t)(p - v);
		f->type = (unsigned char)type;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}')
			break;
		fail.at = p;
		fail.why = "expected ',' or '}' in object";
		return malformed(err, line, &fail);
	}
closed:
	r->close_off = (size_t)(p - line);
	p = skip_ws(p + 1, end);
	if (p != end) {
		fail.at = p;
		fail.why = "trailing text after the object";
		return malformed(err, line, &fail);
	}
	return 0;
}

size_t ml_rec_count(const struct ml_rec *r)
{
	return r->n;
}

ssize_t ml_rec_find(const struct ml_rec *r, const char *key, size_t keylen)
{
	for (size_t i = r->n; i-- > 0;) {
		const struct field *f = &r->f[i];
		if (ml_json_string_equals(r->line + f->key_off, f->key_len,
					  f->key_escaped, key, keylen))
			return (ssize_t)i;
	}
	return -1;
}

/* Keys without escapes are equal when their bytes are.  For a few fields a
 * set of 256 bits, indexed by the length and the first and last bytes, says
 * which keys may have been seen before, and only those are compared with
 * the earlier ones (measured on ten-field records, of ml-ingest's
 * pass-through instructions: hashing every key 17%, comparing every pair
 * more, this 12%).  1 or 0, or -1 when a key has escapes. */
static int few_duplicates(const struct ml_rec *r)
{
	uint64_t bits[4] = {0};

	for (size_t i = 0; i < r->n; i++) {
		const struct field *f = &r->f[i];
		const unsigned char *k = (const unsigned char *)r->line + f->key_off;
		if (f->key_escaped)
			return -1;
		uint32_t x = (uint32_t)f->key_len;
		if (f->key_len)
			x |= (uint32_t)k[0] << 8 | (uint32_t)k[f->key_len - 1] << 16;
		x = (x * 0x9E3779B1u) >> 24;
		uint64_t bit = (uint64_t)1 << (x & 63);
		if (bits[x >> 6] & bit)
			for (size_t j = 0; j < i; j++)
				if (r->f[j].key_len == f->key_len &&
				    memcmp(r->line + r->f[j].key_off, k, f->key_len) == 0)
					return 1;
		bits[x >> 6] |= bit;
	}
	return 0;
}

/* Many keys go through a hash set: comparing each with the earlier ones
 * would be quadratic in the fields. */
int ml_rec_has_duplicates(struct ml_rec *r)
{
	size_t mask;
	int few;

	if (r->n < 2)
		return 0;
	if (r->n <= 32 && (few = few_duplicates(r)) >= 0)
		return few;
	for (mask = 15; mask < 2 * r->n; mask = mask * 2 + 1)
		;
	if (mask + 1 > r->seen_cap) {
		size_t *seen = realloc(r->seen, (mask + 1) * sizeof *seen);
		if (!seen)
			return -1;
		r->seen = seen;
		r->seen_cap = mask + 1;
	}
	memset(r->seen, 0, (mask + 1) * sizeof *r->seen);
	for (size_t i = 0; i < r->n; i++) {
		size_t klen;
		const char *k = ml_rec_key_text(r, i, &klen, &r->key);
		if (!k)
			return -1;
		size_t h = (size_t)XXH3_64bits(k, klen) & mask;
		for (; r->seen[h]; h = (h + 1) & mask) {
			const struct field *d = &r->f[r->seen[h] - 1];
			if (ml_json_string_equals(r->line + d->key_off, d->key_len, d->key_escaped, k, klen))
				return 1;
		}
		r->seen[h] = i + 1;
	}
	return 0;
}

enum ml_json_type ml_rec_type(const struct ml_rec *r, size_t i)
{
	return (enum ml_json_type)r->f[i].type;
}

const char *ml_rec_key_raw(const struct ml_rec *r, size_t i, size_t *len, int *escaped)
{
	*len = r->f[i].key_len;
	if (escaped)
		*escaped = r->f[i].key_escaped;
	return r->line + r->f[i].key_off;
}

const char *ml_rec_value_raw(const struct ml_rec *r, size_t i, size_t *len)
{
	*len = r->f[i].val_len;
	return r->line + r->f[i].val_off;
}

int ml_rec_key(const struct ml_rec *r, size_t i, struct ml_buf *out)
{
	return ml_json_unescape(r->line + r->f[i].key_off, r->f[i].key_len, out);
}

const char *ml_rec_key_text(const struct ml_rec *r, size_t i, size_t *len, struct ml_buf *scratch)
{
	const struct field *f = &r->f[i];

	if (!f->key_escaped) {
		*len = f->key_len;
		return r->line + f->key_off;
	}
	ml_buf_reset(scratch);
	if (ml_json_unescape(r->line + f->key_off, f->key_len, scratch) < 0)
		return NULL;
	*len = scratch->len;
	return scratch->data ? scratch->data : "";
}

int ml_rec_number(const struct ml_rec *r, size_t i, double *out)
{
	const struct field *f = &r->f[i];
	char small[64], *end;
	struct ml_buf big = {0};
	const char *text = small;

	if (f->type != ML_JSON_NUMBER)
		return -1;
	if (ml_json_fast_number(r->line + f->val_off, r->line + f->val_off + f->val_len, out) ==
	    r->line + f->val_off + f->val_len)
		return 0;
	if (f->val_len < sizeof small) {
		memcpy(small, r->line + f->val_off, f->val_len);
		small[f->val_len] = '\0';
	} else {
		if (ml_buf_add(&big, r->line + f->val_off, f->val_len) < 0 ||
		    ml_buf_terminate(&big) < 0) {
			ml_buf_free(&big);
			return -1;
		}
		text = big.data;
	}
	*out = strtod(text, &end);
	ml_buf_free(&big);
	return 0;
}

int ml_rec_string(const struct ml_rec *r, size_t i, struct ml_buf *out)
{
	const struct field *f = &r->f[i];

	if (f->type != ML_JSON_STRING)
		return -1;
	return ml_json_unescape(r->line + f->val_off + 1, f->val_len - 2, out);
}

int ml_rec_value_json(const struct ml_rec *r, size_t i, struct ml_buf *out, struct ml_buf *tmp)
{
	enum ml_json_type t = ml_rec_type(r, i);
	double x;
	size_t n;

	if (t == ML_JSON_STRING) {
		ml_buf_reset(tmp);
		if (ml_rec_string(r, i, tmp) < 0)
			return -1;
		return ml_json_quote(out, tmp->data ? tmp->data : "", tmp->len);
	}
	if (t == ML_JSON_NUMBER) {
		ml_rec_number(r, i, &x);
		return ml_json_put_double(out, x);
	}
	const char *raw = ml_rec_value_raw(r, i, &n);
	return ml_buf_add(out, raw, n);
}

const char *ml_rec_body(const struct ml_rec *r, size_t *len)
{
	*len = r->close_off;
	return r->line;
}

/* Writes the plain UTF-8 bytes s[0..n) to out as a quoted JSON string, as
 * ml_json_quote would, without a buffer in between; 0 or -1. */
static int write_quoted(struct ml_out *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	if (ml_out_putc(out, '"') < 0)
		return -1;
	while (p < end) {
		const unsigned char *q = p;
		while (q < end && *q >= 0x20 && *q != '"' && *q != '\\')
			q++;
		if (q > p && ml_out_write(out, p, (size_t)(q - p)) < 0)
			return -1;
		if (q == end)
			break;
		char esc[6] = {'\\', 'u', '0', '0', hex[*q >> 4], hex[*q & 15]};
		size_t k = 2;
		switch (*q) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default: k = 6; break;
		}
		if (ml_out_write(out, esc, k) < 0)
			return -1;
		p = q + 1;
	}
	return ml_out_putc(out, '"');
}

int ml_rec_write_with(struct ml_out *out, const struct ml_rec *r,
		      const char *key, size_t keylen, const char *val, size_t vallen)
{
	ssize_t i = ml_rec_find(r, key, keylen);
	char sep = r->n ? ',' : '{';

	if (i >= 0) {
		/* the field is the key's last occurrence (as jq reads it); an
		 * earlier one is left out, from its key's opening quote to the
		 * next field's, so that the key is written once */
		const struct field *f = &r->f[i];
		const char *rest = r->line + f->val_off + f->val_len;
		size_t from = 0;
		for (size_t j = 0; j < (size_t)i; j++) {
			const struct field *d = &r->f[j];
			if (!ml_json_string_equals(r->line + d->key_off, d->key_len, d->key_escaped, key, keylen))
				continue;
			if (ml_out_write(out, r->line + from, d->key_off - 1 - from) < 0)
				return -1;
			from = r->f[j + 1].key_off - 1;
		}
		if (ml_out_write(out, r->line + from, f->val_off - from) < 0 ||
		    ml_out_write(out, val, vallen) < 0 ||
		    ml_out_write(out, rest, (size_t)(r->line + r->len - rest)) < 0)
			return -1;
		return ml_out_end_record(out);
	}
	/* everything before the closing brace, then the new field */
	if (r->n) {
		if (ml_out_write(out, r->line, r->close_off) < 0)
			return -1;
	}
	/* the key is plain UTF-8 (as ml_rec_find takes it): quote it */
	if (ml_out_putc(out, sep) < 0 || write_quoted(out, key, keylen) < 0 ||
	    ml_out_putc(out, ':') < 0 ||
	    ml_out_write(out, val, vallen) < 0 ||
	    ml_out_putc(out, '}') < 0)
		return -1;
	return ml_out_end_record(out);
}

void ml_recw_begin(struct ml_recw *w)
{
	ml_buf_reset(&w->line);
	w->nfields = 0;
}

static int recw_sep(struct ml_recw *w)
{
	return ml_buf_addc(&w->line, w->nfields++ ? ',' : '{');
}

int ml_recw_add(struct ml_recw *w, const char *key, size_t keylen,
		const char *val, size_t vallen)
{
	if (recw_sep(w) < 0 || ml_json_quote(&w->line, key, keylen) < 0 ||
	    ml_buf_addc(&w->line, ':') < 0)
		return -1;
	return ml_buf_add(&w->line, val, vallen);
}

int ml_recw_add_string(struct ml_recw *w, const char *key, size_t keylen,
		       const char *s, size_t n)
{
	if (recw_sep(w) < 0 || ml_json_quote(&w->line, key, keylen) < 0 ||
	    ml_buf_addc(&w->line, ':') < 0)
		return -1;
	return ml_json_quote(&w->line, s, n);
}

int ml_recw_copy(struct ml_recw *w, const struct ml_rec *r, size_t i)
{
	const struct field *f = &r->f[i];

	if (recw_sep(w) < 0 ||
	    ml_buf_add(&w->line, r->line + f->key_off - 1, f->key_len + 2) < 0 ||
	    ml_buf_addc(&w->line, ':') < 0)
		return -1;
	return ml_buf_add(&w->line, r->line + f->val_off, f->val_len);
}

int ml_recw_end(struct ml_recw *w, struct ml_out *out)
{
	if (!w->nfields && ml_buf_addc(&w->line, '{') < 0)
		return -1;
	if (ml_buf_addc(&w->line, '}') < 0)
		return -1;
	if (ml_out_write(out, w->line.data, w->line.len) < 0)
		return -1;
	return ml_out_end_record(out);
}

void ml_recw_free(struct ml_recw *w)
{
	ml_buf_free(&w->line);
}
