/* The reference side of the record reader's differential tests: libjq's
 * parse of a line, the comparison of its values with ml_rec's, and the
 * classification of a disagreement by the libjq 1.6 leniency at the byte
 * where ml_rec stopped.  One copy, used by tests/unit/test_rec_vs_jq.c (a
 * generated corpus) and tests/fuzz/fuzz_rec_vs_jq.c (libFuzzer): what the
 * fuzzer teaches the classification, the unit test learns too. */
#ifndef REC_VS_JQ_REF_H
#define REC_VS_JQ_REF_H

#include <jv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_json.h"
#include "ml_rec.h"

enum ref_leniency {
	REF_NONE,	/* no leniency of jq's explains the disagreement */
	REF_NUMBER,	/* non-RFC number token: jq accepts, we reject */
	REF_NUL,	/* NUL byte inside a number token */
	REF_UTF8,	/* invalid UTF-8 inside a string */
	REF_CTRL,	/* raw U+0000 or U+001F inside a string */
	REF_SURR,	/* lone low surrogate \uDC00..\uDFFF */
	REF_BOM,	/* a byte order mark before the object */
	REF_RS,		/* ASCII RS (0x1E) around the object, or inside a string */
};

/* LeakSanitizer's switch, there only in a sanitized build (weak: NULL else). */
void __lsan_disable(void) __attribute__((weak));
void __lsan_enable(void) __attribute__((weak));

/* Parses s[0..n) with libjq; 1 with *out set when it holds exactly one
 * value, an object, and nothing else (jq treats RS as a separator). */
static int ref_jq_parse(const char *s, size_t n, jv *out)
{
	struct jv_parser *p = jv_parser_new(0);
	jv first = jv_invalid();
	int values = 0, error = 0, idle = 0, ok_;

	jv_parser_set_buf(p, s, (int)n, 0);
	for (int guard = 0; guard < 10000; guard++) {
		jv v = jv_parser_next(p);
		if (jv_is_valid(v)) {
			idle = 0;
			if (values++ == 0)
				first = v;
			else
				jv_free(v);
			continue;
		}
		if (jv_invalid_has_msg(jv_copy(v))) {
			jv_free(v);
			error = 1;
			break;
		}
		jv_free(v);
		/* no value, no error: an RS in the middle, or the end; the end
		 * is when a second call finds nothing left either */
		if (jv_parser_remaining(p) == 0 && idle++)
			break;
	}
	jv_parser_free(p);
	ok_ = !error && values == 1 && jv_get_kind(first) == JV_KIND_OBJECT;
	if (ok_)
		*out = first;
	else
		jv_free(first);
	return ok_;
}


/* ref_jq_parse, but libjq 1.6 leaks a string token when it goes on to report
 * "Expected separator between values" (jv_parse.c: value() drops its
 * argument), and the sanitizer must report only our own leaks.  So a first
 * parse runs with LeakSanitizer looking away, and a line jq accepts is
 * parsed again under its eye: everything kept from jq is still checked. */
static int ref_jq_object(const char *s, size_t n, jv *out)
{
	jv probe;
	int accepted;

	if (__lsan_disable)
		__lsan_disable();
	accepted = ref_jq_parse(s, n, &probe);
	if (accepted)
		jv_free(probe);
	if (__lsan_enable)
		__lsan_enable();
	return accepted && ref_jq_parse(s, n, out);
}

/* An RFC 8259 number, written here independently of ml_json. */
static int rfc_number(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		size_t d = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* What C's strtod reads as a number: [+-] then decimal digits with at most
 * one '.', at least one digit, an optional exponent; or inf, infinity, nan
 * in any case. */
static int strtod_syntax(const char *s, size_t n)
{
	static const char *const words[] = {"inf", "infinity", "nan"};
	size_t i = 0, digits = 0;

	/* found by fuzz_rec_vs_jq (tests/fuzz/regress/rec_vs_jq/): strtod
	 * skips leading isspace(), and of those only \f and \v can sit in a
	 * jq literal token (the others end it), so jq 1.6 reads "\f4300" as
	 * 4300. */
	while (i < n && (s[i] == '\f' || s[i] == '\v'))
		i++;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	for (size_t w = 0; w < 3; w++)
		if (n - i == strlen(words[w]) && strncasecmp(s + i, words[w], n - i) == 0)
			return 1;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (!digits)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0: an independent
 * decoder (the code point, then its range), not ml_json's table. */
static size_t utf8_indep(const unsigned char *s, size_t n)
{
	uint32_t u;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0)
		len = 2, u = s[0] & 0x1F;
	else if ((s[0] & 0xF0) == 0xE0)
		len = 3, u = s[0] & 0x0F;
	else if ((s[0] & 0xF8) == 0xF0)
		len = 4, u = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		u = u << 6 | (s[i] & 0x3F);
	}
	if ((len == 2 && u < 0x80) || (len == 3 && u < 0x800) || (len == 4 && u < 0x10000))
		return 0;	/* overlong */
	if ((u >= 0xD800 && u <= 0xDFFF) || u > 0x10FFFF)
		return 0;
	return len;
}

static size_t ref_utf8_prefix(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n && (k = utf8_indep((const unsigned char *)s + i, n - i)))
		i += k;
	return i;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Which of libjq 1.6's leniencies sits at byte off of the line, where our
 * parser stopped: the lexical context at off is found the way jq's scanner
 * sees the bytes (strings, structure, whitespace, RS, literal tokens).
 * REF_NONE when none does. */
static enum ref_leniency ref_leniency_at(const char *s, size_t n, size_t off)
{
	size_t i = 0;

	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		if (off == 0)
			return REF_BOM;
		i = 3;	/* jq drops the mark before it parses */
	}
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"') {
			/* found by fuzz_rec_vs_jq: an RS right after the opening
			 * quote, before any character of the string, makes jq
			 * reset its parser (no "Truncated value": its token is
			 * empty) and go on as if the quote had never been:
			 * '{}"' RS is the object {} to jq */
			if (i + 1 < n && s[i + 1] == 0x1E) {
				if (off == i || off == i + 1)
					return REF_RS;
				i += 2;
				continue;
			}
			/* a string: find what sits at off inside it */
			for (i++; i < n && s[i] != '"'; i++) {
				if (i == off) {
					unsigned char d = (unsigned char)s[i];
					if (d == 0x00 || d == 0x1F)
						return REF_CTRL;
					/* found by fuzz_rec_vs_jq: jq's scanner sees RS
					 * before anything else, inside a string too, and
					 * starts over after it: '{"' RS '{}' is one
					 * object to jq */
					if (d == 0x1E)
						return REF_RS;
					if (d >= 0x80 && !utf8_indep((const unsigned char *)s + i, n - i))
						return REF_UTF8;
					if (d == '\\' && i + 5 < n && s[i + 1] == 'u') {
						int v = 0;
						for (int k = 2; k < 6; k++)
							v = v << 4 | (hexv(s[i + k]) & 15);
						if (v >= 0xDC00 && v <= 0xDFFF)
							return REF_SURR;
					}
					return REF_NONE;
				}
				if (s[i] == '\\')
					i++;
			}
			if (i == off)
				return REF_NONE;
			i++;
			continue;
		}
		if (c == 0x1E) {
			if (i == off)
				return REF_RS;
			i++;
			continue;
		}
		if (strchr(" \t\r\n[]{}:,", c) && c) {
			if (i == off)
				return REF_NONE;
			i++;
			continue;
		}
		/* a literal token: up to whitespace, structure, quote or RS */
		size_t t = i;
		while (i < n && s[i] != '"' && s[i] != 0x1E &&
		       !(s[i] && strchr(" \t\r\n[]{}:,", s[i])))
			i++;
		if (off >= t && off < i) {
			const char *tok = s + t;
			size_t len = i - t;
			if (memchr(tok, '\0', len))
				return REF_NUL;
			if (!rfc_number(tok, len) && strtod_syntax(tok, len))
				return REF_NUMBER;
			return REF_NONE;
		}
	}
	return REF_NONE;
}

static jv_kind kind_of(enum ml_json_type t)
{
	switch (t) {
	case ML_JSON_NULL: return JV_KIND_NULL;
	case ML_JSON_FALSE: return JV_KIND_FALSE;
	case ML_JSON_TRUE: return JV_KIND_TRUE;
	case ML_JSON_NUMBER: return JV_KIND_NUMBER;
	case ML_JSON_STRING: return JV_KIND_STRING;
	case ML_JSON_ARRAY: return JV_KIND_ARRAY;
	case ML_JSON_OBJECT: return JV_KIND_OBJECT;
	}
	return JV_KIND_INVALID;
}

/* Compares every field of r with jq's object; NULL when all agree, else
 * what differs.  Consumes nothing. */
static const char *ref_compare(const struct ml_rec *r, jv obj)
{
	static char why[200];
	struct ml_buf k = {0}, s = {0};
	size_t distinct = 0;
	const char *res = NULL;

	for (size_t i = 0; i < ml_rec_count(r) && !res; i++) {
		ml_buf_reset(&k);
		if (ml_rec_key(r, i, &k) < 0) {
			res = "cannot decode a key";
			break;
		}
		if (ml_rec_find(r, k.data ? k.data : "", k.len) != (ssize_t)i)
			continue;	/* a duplicate: the last one counts */
		distinct++;
		jv v = jv_object_get(jv_copy(obj), jv_string_sized(k.data ? k.data : "", (int)k.len));
		if (!jv_is_valid(v)) {
			jv_free(v);
			snprintf(why, sizeof why, "field %zu: key not in jq's object", i);
			res = why;
			break;
		}
		enum ml_json_type t = ml_rec_type(r, i);
		if (jv_get_kind(v) != kind_of(t)) {
			snprintf(why, sizeof why, "field %zu: type %s, jq says %s", i,
				 ml_json_type_name(t), jv_kind_name(jv_get_kind(v)));
			res = why;
		} else if (t == ML_JSON_NUMBER) {
			double ours = 0, theirs = jv_number_value(v);
			uint64_t a, b;
			if (ml_rec_number(r, i, &ours) < 0)
				ours = -1;
			memcpy(&a, &ours, 8);
			memcpy(&b, &theirs, 8);
			if (a != b && !(isnan(ours) && isnan(theirs))) {
				snprintf(why, sizeof why, "field %zu: number %.17g (%016llx), jq %.17g (%016llx)",
					 i, ours, (unsigned long long)a, theirs, (unsigned long long)b);
				res = why;
			}
		} else if (t == ML_JSON_STRING) {
			ml_buf_reset(&s);
			if (ml_rec_string(r, i, &s) < 0 ||
			    (size_t)jv_string_length_bytes(jv_copy(v)) != s.len ||
			    (s.len && memcmp(jv_string_value(v), s.data, s.len) != 0)) {
				snprintf(why, sizeof why, "field %zu: string bytes differ", i);
				res = why;
			}
		} else if (t == ML_JSON_ARRAY || t == ML_JSON_OBJECT) {
			size_t len;
			const char *raw = ml_rec_value_raw(r, i, &len);
			jv again = jv_parse_sized(raw, (int)len);
			if (!jv_is_valid(again)) {
				snprintf(why, sizeof why, "field %zu: jq cannot parse our span", i);
				res = why;
				jv_free(again);
			} else if (!jv_equal(jv_copy(v), again)) {
				snprintf(why, sizeof why, "field %zu: nested value differs", i);
				res = why;
			}
		}
		jv_free(v);
	}
	if (!res && distinct != (size_t)jv_object_length(jv_copy(obj))) {
		snprintf(why, sizeof why, "%zu distinct keys, jq has %d", distinct,
			 jv_object_length(jv_copy(obj)));
		res = why;
	}
	ml_buf_free(&k);
	ml_buf_free(&s);
	return res;
}

/* Byte offset where ml_rec_parse stopped, from "(column N)"; -1 if none. */
static long ref_fail_offset(const struct ml_err *err)
{
	const char *c = strstr(err->msg, "(column ");
	return c ? strtol(c + 8, NULL, 10) - 1 : -1;
}

/* The leniency of jq's that explains why it accepts s[0..n) where
 * ml_rec_parse failed with err; REF_NONE when none does. */
static enum ref_leniency ref_explain(const char *s, size_t n, const struct ml_err *err)
{
	long off = ref_fail_offset(err);

	if (off < 0 || (size_t)off > n)
		return REF_NONE;
	/* found by fuzz_rec_vs_jq: jq 1.6 without JV_PARSE_SEQ (as
	 * jv_parser_new(0)) resets its parser at every RS and drops whatever
	 * incomplete value the RS interrupts, wherever it is: '{}[[32 ' RS and
	 * '{22' RS '{"a":1}' are one object to jq.  So when jq does not take
	 * the text up to the first RS at or after our stop as one object, that
	 * text, our stop included, is what jq dropped.  When it does, our stop
	 * is inside the object jq kept, and no RS excuses it. */
	const char *rs = memchr(s + off, 0x1E, n - (size_t)off);
	if (rs) {
		jv kept;
		if (!ref_jq_object(s, (size_t)(rs - s), &kept))
			return REF_RS;
		jv_free(kept);
	}
	return ref_leniency_at(s, n, (size_t)off);
}

#endif
