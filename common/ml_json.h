/* ml_json: strict JSON (RFC 8259) scanning primitives and output escaping.
 *
 * The scanners validate without building anything: they return where a
 * value ends, and the caller keeps spans into its own buffer.  Input must
 * be UTF-8; invalid UTF-8, bare control characters, lone surrogate escapes
 * and non-RFC numbers (01, 1., .5, +1, NaN) are errors.  Nesting is
 * limited as libjq limits it (see ML_JSON_MAX_DEPTH and docs/JSON-READER.md). */
#ifndef ML_JSON_H
#define ML_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ml_buf.h"

enum ml_json_type {
	ML_JSON_NULL,
	ML_JSON_FALSE,
	ML_JSON_TRUE,
	ML_JSON_NUMBER,
	ML_JSON_STRING,
	ML_JSON_ARRAY,
	ML_JSON_OBJECT,
};

/* libjq's parser stack holds 256 entries, an array taking one and an object
 * two (itself and its pending key): 256 arrays or 128 objects deep.  The
 * scanner counts the same way, so both refuse the same lines. */
#define ML_JSON_MAX_DEPTH 256

/* Why a scan failed and where: a static reason and a pointer into the text. */
struct ml_json_fail {
	const char *why;
	const char *at;
};

/* Skips JSON whitespace (space, tab, CR, LF); returns the first other byte. */
const char *ml_json_skip_ws(const char *p, const char *end);
/* Scans the string whose opening quote is at p; returns the byte after the
 * closing quote, or NULL with fail set.  *escaped tells whether the string
 * holds backslash escapes (and so needs decoding). */
const char *ml_json_scan_string(const char *p, const char *end, int *escaped,
				struct ml_json_fail *fail);
/* Scans the value starting at p (no leading whitespace) at nesting depth
 * depth (1 inside a top-level object); returns its end and its type, or NULL
 * with fail set. */
const char *ml_json_scan_value(const char *p, const char *end, int depth,
			       enum ml_json_type *type, struct ml_json_fail *fail);
/* The value of a hexadecimal digit (either case), or -1. */
int ml_json_hex_digit(int c);
/* Whether s[0..n) is exactly one JSON number in the RFC 8259 grammar. */
int ml_json_is_number(const char *s, size_t n);
/* Reads the string s, whole, as a finite decimal number as options and
 * parameters are written: a sign, digits with a point or not (5, 0.5,
 * .5, 5.), an exponent; not hexadecimal, inf, nan or blanks, which strtod
 * would take, nor a number out of a double's range.  0 with *out set, or
 * -1. */
int ml_decimal(const char *s, double *out);
/* Reads the JSON number at p (up to end) when one IEEE operation gives its
 * value exactly as strtod would (Clinger's fast path: at most 19 digits
 * making an integer m <= 2^53, and a decimal exponent, point included, of
 * at most 22 either way); returns the byte after it with *out set, or NULL
 * (nothing read) for the caller to use strtod.  What follows the number is
 * the caller's to check. */
static inline const char *ml_json_fast_number(const char *p, const char *end, double *out);
/* Length of the longest valid UTF-8 prefix of s[0..n) (n when all valid). */
size_t ml_utf8_valid_prefix(const char *s, size_t n);
/* Characters (code points) of valid UTF-8 s[0..n). */
size_t ml_utf8_chars(const char *s, size_t n);
/* Appends the decoded contents of a scanned string (the bytes between its
 * quotes) to out; returns 0, or -1 when memory is out. */
int ml_json_unescape(const char *s, size_t n, struct ml_buf *out);
/* ml_json_string_equals for a string with escapes: unescapes it first. */
int ml_json_escaped_string_equals(const char *raw, size_t rawlen, const char *key, size_t keylen);
/* Compares a scanned string's contents (between its quotes, possibly with
 * escapes) with the plain UTF-8 bytes key[0..keylen); 1 when equal.
 * Inline, as the record's key lookups call it for every field they pass:
 * most differ in length or first byte, and cost no call. */
static inline int ml_json_string_equals(const char *raw, size_t rawlen, int escaped,
					const char *key, size_t keylen)
{
	if (escaped)
		return ml_json_escaped_string_equals(raw, rawlen, key, keylen);
	return rawlen == keylen &&
	       (keylen == 0 || (raw[0] == key[0] && memcmp(raw, key, keylen) == 0));
}
/* Appends s[0..n) (valid UTF-8) as a quoted JSON string; 0, or -1 (memory). */
int ml_json_quote(struct ml_buf *out, const char *s, size_t n);
/* Appends s[0..n) as a quoted JSON string, turning each invalid UTF-8 byte
 * into U+FFFD, for quoting raw bytes that may be broken; 0 or -1. */
int ml_json_quote_lossy(struct ml_buf *out, const char *s, size_t n);
/* Appends the scanned value s[0..n) with whitespace between tokens removed,
 * so a pretty-printed value fits on one line; 0 or -1. */
int ml_json_minify(struct ml_buf *out, const char *s, size_t n);
/* Appends x as the shortest decimal that reads back as the same double, or
 * null when x is not finite (JSON has no infinities); 0 or -1 (memory). */
int ml_json_put_double(struct ml_buf *out, double x);
/* Name of a type ("null", "boolean", "number", "string", "array", "object"). */
const char *ml_json_type_name(enum ml_json_type t);

/* Most data is like this, and then m / 10^f or m * 10^e is one correctly
 * rounded operation on exact numbers.  Inline, in the header: it is on the
 * path of every number read (the records, the profile, the sketches), and a
 * call cost ml-stats 2.5% more instructions.  Digits are counted from
 * pointers, not one by one: a per-digit count took twice the time on the
 * benchmark's data (six of its ten fields are numbers). */
static inline const char *ml_json_fast_number(const char *p, const char *end, double *out)
{
	static const double pow10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
	};
	const char *first, *point;
	uint64_t m = 0;
	size_t digits, frac = 0;
	int neg = p < end && *p == '-', scale;

	first = p += neg;
	for (; p < end && (unsigned char)(*p - '0') <= 9; p++)
		m = m * 10 + (uint64_t)(*p - '0');
	digits = (size_t)(p - first);
	/* JSON: an integer part, without leading zeros */
	if (digits == 0 || (*first == '0' && digits > 1))
		return NULL;
	if (p < end && *p == '.') {
		point = ++p;
		for (; p < end && (unsigned char)(*p - '0') <= 9; p++)
			m = m * 10 + (uint64_t)(*p - '0');
		frac = (size_t)(p - point);
		if (frac == 0)
			return NULL;
		digits += frac;
	}
	/* 19 digits cannot overflow m */
	if (digits > 19 || m > (uint64_t)1 << 53)
		return NULL;
	scale = -(int)frac;
	if (p < end && (*p == 'e' || *p == 'E')) {
		const char *first_e;
		int e = 0, eneg = 0;
		if (++p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		for (first_e = p; p < end && (unsigned char)(*p - '0') <= 9; p++)
			if ((e = e * 10 + (*p - '0')) > 400)
				return NULL;
		if (p == first_e)
			return NULL;
		scale += eneg ? -e : e;
	}
	if (scale < -22 || scale > 22)
		return NULL;
	double x = (double)m;
	x = scale < 0 ? x / pow10[-scale] : x * pow10[scale];
	*out = neg ? -x : x;
	return p;
}

#endif
