#include "ml_json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ml_dtoa.h"

/* Byte classes inside a string: what the fast loop must stop for. */
enum { C_PLAIN, C_QUOTE, C_ESC, C_CTRL, C_HIGH };

static const unsigned char string_class[256] = {
#define R16(c) c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c
	R16(C_CTRL), R16(C_CTRL),
	C_PLAIN, C_PLAIN, C_QUOTE, C_PLAIN, C_PLAIN, C_PLAIN, C_PLAIN, C_PLAIN,
	C_PLAIN, C_PLAIN, C_PLAIN, C_PLAIN, C_PLAIN, C_PLAIN, C_PLAIN, C_PLAIN,
	R16(C_PLAIN), R16(C_PLAIN),
	C_PLAIN, C_PLAIN, C_PLAIN, C_PLAIN, C_PLAIN, C_PLAIN, C_PLAIN, C_PLAIN,
	C_PLAIN, C_PLAIN, C_PLAIN, C_PLAIN, C_ESC, C_PLAIN, C_PLAIN, C_PLAIN,
	R16(C_PLAIN), R16(C_PLAIN),
	R16(C_HIGH), R16(C_HIGH), R16(C_HIGH), R16(C_HIGH),
	R16(C_HIGH), R16(C_HIGH), R16(C_HIGH), R16(C_HIGH),
#undef R16
};

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

const char *ml_json_skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws((unsigned char)*p))
		p++;
	return p;
}

/* Length of the valid UTF-8 sequence at p (2..4), or 0 when invalid
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t avail = (size_t)(end - p);

	if (c >= 0xC2 && c <= 0xDF)
		return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
		unsigned char hi = c == 0xED ? 0x9F : 0xBF;
		return avail >= 3 && p[1] >= lo && p[1] <= hi &&
		       (p[2] & 0xC0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
		unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
		return avail >= 4 && p[1] >= lo && p[1] <= hi &&
		       (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80 ? 4 : 0;
	}
	return 0;
}

size_t ml_utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		size_t k = utf8_seq(p, end);
		if (!k)
			break;
		p += k;
	}
	return (size_t)(p - (const unsigned char *)s);
}

/* The first byte at or after p that a string scan must look at: a quote, a
 * backslash, a control byte or a non-ASCII byte.  Sixteen bytes at a time
 * where SSE2 is there (every x86-64): a signed "less than 0x20" catches both
 * control bytes and bytes >= 0x80. */
static const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(0x20);

	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
							_mm_cmpeq_epi8(v, backslash)),
					   _mm_cmplt_epi8(v, space));
		int mask = _mm_movemask_epi8(hit);
		if (mask)
			return p + __builtin_ctz((unsigned)mask);
		p += 16;
	}
#endif
	while (p < end && string_class[*p] == C_PLAIN)
		p++;
	return p;
}

int ml_json_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads 4 hex digits at p (bounds checked by the caller); -1 if not hex. */
static long hex4(const unsigned char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int h = ml_json_hex_digit((unsigned char)p[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static const char *fail_at(struct ml_json_fail *fail, const void *at, const char *why)
{
	fail->at = at;
	fail->why = why;
	return NULL;
}

const char *ml_json_scan_string(const char *s, const char *e, int *escaped,
				struct ml_json_fail *fail)
{
	const unsigned char *p = (const unsigned char *)s + 1;
	const unsigned char *end = (const unsigned char *)e;

	*escaped = 0;
	for (;;) {
		p = skip_plain(p, end);
		if (p == end)
			return fail_at(fail, s, "unterminated string");
		switch (string_class[*p]) {
		case C_QUOTE:
			return (const char *)p + 1;
		case C_CTRL:
			return fail_at(fail, p, "control character in string (must be escaped)");
		case C_HIGH: {
			size_t k = utf8_seq(p, end);
			if (!k)
				return fail_at(fail, p, "invalid UTF-8 in string");
			p += k;
			break;
		}
		case C_ESC:
			*escaped = 1;
			if (end - p < 2)
				return fail_at(fail, p, "unterminated string");
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b':
			case 'f': case 'n': case 'r': case 't':
				p += 2;
				break;
			case 'u': {
				long u = end - p >= 6 ? hex4(p + 2) : -1;
				if (u < 0)
					return fail_at(fail, p, "invalid \\u escape (needs 4 hex digits)");
				if (u >= 0xDC00 && u <= 0xDFFF)
					return fail_at(fail, p, "lone low surrogate in \\u escape");
				if (u >= 0xD800 && u <= 0xDBFF) {
					long lo = end - p >= 12 && p[6] == '\\' && p[7] == 'u'
						  ? hex4(p + 8) : -1;
					if (lo < 0xDC00 || lo > 0xDFFF)
						return fail_at(fail, p, "high surrogate \\u escape without its low half");
					p += 12;
				} else {
					p += 6;
				}
				break;
			}
			default:
				return fail_at(fail, p, "invalid escape in string");
			}
			break;
		}
	}
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Scans a number in the RFC 8259 grammar; returns its end or NULL. */
static const char *scan_number(const char *s, const char *e, struct ml_json_fail *fail)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = (const unsigned char *)e;

	if (p < end && *p == '-')
		p++;
	if (p == end || !is_digit(*p))
		return fail_at(fail, s, "invalid number");
	if (*p == '0') {
		p++;
		if (p < end && is_digit(*p))
			return fail_at(fail, s, "invalid number (leading zero)");
	} else {
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && *p == '.') {
		p++;
		if (p == end || !is_digit(*p))
			return fail_at(fail, s, "invalid number (no digit after '.')");
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !is_digit(*p))
			return fail_at(fail, s, "invalid number (no digit in exponent)");
		while (p < end && is_digit(*p))
			p++;
	}
	return (const char *)p;
}

int ml_decimal(const char *s, double *out)
{
	const char *p = s + (*s == '+' || *s == '-');
	size_t digits = 0;
	char *end;

	for (; *p >= '0' && *p <= '9'; p++)
		digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (!digits)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p += 1 + (p[1] == '+' || p[1] == '-');
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return -1;
	/* the grammar checked, strtod rounds; out of a double's range
	 * (1e400, 1e-400) is refused */
	errno = 0;
	*out = strtod(s, &end);
	return end == p && !errno && isfinite(*out) ? 0 : -1;
}

int ml_json_is_number(const char *s, size_t n)
{
	struct ml_json_fail fail;
	const char *end = s + n;

	return n > 0 && scan_number(s, end, &fail) == end;
}

static const char *scan_literal(const char *p, const char *end, const char *word,
				size_t n, struct ml_json_fail *fail)
{
	if ((size_t)(end - p) < n || memcmp(p, word, n) != 0)
		return fail_at(fail, p, "invalid literal (expected a JSON value)");
	return p + n;
}

/* Scans a scalar at p; sets its type. */
static const char *scan_scalar(const char *p, const char *end,
			       enum ml_json_type *type, struct ml_json_fail *fail)
{
	int escaped;

	if (p == end)
		return fail_at(fail, p, "expected a value");
	switch (*p) {
	case '"':
		*type = ML_JSON_STRING;
		return ml_json_scan_string(p, end, &escaped, fail);
	case 't':
		*type = ML_JSON_TRUE;
		return scan_literal(p, end, "true", 4, fail);
	case 'f':
		*type = ML_JSON_FALSE;
		return scan_literal(p, end, "false", 5, fail);
	case 'n':
		*type = ML_JSON_NULL;
		return scan_literal(p, end, "null", 4, fail);
	default:
		*type = ML_JSON_NUMBER;
		if (*p == '-' || is_digit((unsigned char)*p))
			return scan_number(p, end, fail);
		return fail_at(fail, p, "expected a value");
	}
}

/* Entries of libjq's parser stack that an open container takes while a
 * value inside it is being read: an array one, an object two (the object
 * and the key whose value comes next). */
static int jq_slots(char bracket)
{
	return bracket == '{' ? 2 : 1;
}

/* Scans an array or object at p without recursion: a stack of the open
 * brackets is all the state needed.
 *
 * The depth limit is libjq 1.6's, exactly: it refuses to open a container
 * when its parser stack already holds ML_JSON_MAX_DEPTH entries, and an
 * open object holds two of them (see jq_slots).  So 256 nested arrays pass
 * and a 257th fails, while objects fail at the 129th.  The caller's depth
 * enclosing containers are taken to be objects (a record's fields sit in
 * its top-level object), two entries each. */
static const char *scan_composite(const char *p, const char *end, int depth,
				  struct ml_json_fail *fail)
{
	char stack[ML_JSON_MAX_DEPTH + 1];
	int sp = 0, escaped;
	int slots = depth <= 0 ? 0 : depth >= ML_JSON_MAX_DEPTH ? ML_JSON_MAX_DEPTH : 2 * depth;
	enum ml_json_type t;

	for (;;) {
		/* p is at an opening bracket */
		if (slots >= ML_JSON_MAX_DEPTH)
			return fail_at(fail, p, "nested too deeply");
		slots += jq_slots(*p);
		stack[sp++] = *p++;
		p = ml_json_skip_ws(p, end);
		if (p < end && *p == (stack[sp - 1] == '{' ? '}' : ']')) {
			p++;
			goto closed;
		}
member:
		if (stack[sp - 1] == '{') {
			if (p == end || *p != '"')
				return fail_at(fail, p, "expected a string key");
			if (!(p = ml_json_scan_string(p, end, &escaped, fail)))
				return NULL;
			p = ml_json_skip_ws(p, end);
			if (p == end || *p != ':')
				return fail_at(fail, p, "expected ':' after key");
			p = ml_json_skip_ws(p + 1, end);
		}
		if (p < end && (*p == '{' || *p == '['))
			continue;
		if (!(p = scan_scalar(p, end, &t, fail)))
			return NULL;
after_value:
		p = ml_json_skip_ws(p, end);
		if (p < end && *p == ',') {
			p = ml_json_skip_ws(p + 1, end);
			goto member;
		}
		if (p < end && *p == (stack[sp - 1] == '{' ? '}' : ']')) {
			p++;
			goto closed;
		}
		return fail_at(fail, p, stack[sp - 1] == '{'
			       ? "expected ',' or '}' in object"
			       : "expected ',' or ']' in array");
closed:
		slots -= jq_slots(stack[--sp]);
		if (sp == 0)
			return p;
		goto after_value;
	}
}

const char *ml_json_scan_value(const char *p, const char *end, int depth,
			       enum ml_json_type *type, struct ml_json_fail *fail)
{
	if (p < end && (*p == '{' || *p == '[')) {
		*type = *p == '{' ? ML_JSON_OBJECT : ML_JSON_ARRAY;
		return scan_composite(p, end, depth, fail);
	}
	return scan_scalar(p, end, type, fail);
}

static void put_utf8(struct ml_buf *out, unsigned long u)
{
	char *q = out->data + out->len;

	if (u < 0x80) {
		q[0] = (char)u;
		out->len += 1;
	} else if (u < 0x800) {
		q[0] = (char)(0xC0 | (u >> 6));
		q[1] = (char)(0x80 | (u & 0x3F));
		out->len += 2;
	} else if (u < 0x10000) {
		q[0] = (char)(0xE0 | (u >> 12));
		q[1] = (char)(0x80 | ((u >> 6) & 0x3F));
		q[2] = (char)(0x80 | (u & 0x3F));
		out->len += 3;
	} else {
		q[0] = (char)(0xF0 | (u >> 18));
		q[1] = (char)(0x80 | ((u >> 12) & 0x3F));
		q[2] = (char)(0x80 | ((u >> 6) & 0x3F));
		q[3] = (char)(0x80 | (u & 0x3F));
		out->len += 4;
	}
}

int ml_json_unescape(const char *s, size_t n, struct ml_buf *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	/* decoding never grows the text */
	if (n == 0)
		return 0;
	if (ml_buf_reserve(out, n) < 0)
		return -1;
	while (p < end) {
		const unsigned char *q = p;
		while (q < end && *q != '\\')
			q++;
		memcpy(out->data + out->len, p, (size_t)(q - p));
		out->len += (size_t)(q - p);
		if (q == end)
			break;
		p = q + 2;
		switch (q[1]) {
		case 'b': out->data[out->len++] = '\b'; break;
		case 'f': out->data[out->len++] = '\f'; break;
		case 'n': out->data[out->len++] = '\n'; break;
		case 'r': out->data[out->len++] = '\r'; break;
		case 't': out->data[out->len++] = '\t'; break;
		case 'u': {
			unsigned long u = (unsigned long)hex4(q + 2);
			p = q + 6;
			if (u >= 0xD800 && u <= 0xDBFF) {
				unsigned long lo = (unsigned long)hex4(q + 8);
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				p = q + 12;
			}
			put_utf8(out, u);
			break;
		}
		default: out->data[out->len++] = (char)q[1]; break;
		}
	}
	return 0;
}

int ml_json_escaped_string_equals(const char *raw, size_t rawlen, const char *key, size_t keylen)
{
	char small[256];
	struct ml_buf b = {0};
	int eq;

	if (rawlen < keylen)	/* escapes only ever shorten */
		return 0;
	if (rawlen <= sizeof small) {
		b.data = small;
		b.cap = sizeof small;
		ml_json_unescape(raw, rawlen, &b);
		return b.len == keylen && memcmp(small, key, keylen) == 0;
	}
	if (ml_json_unescape(raw, rawlen, &b) < 0)
		return 0;
	eq = b.len == keylen && memcmp(b.data, key, keylen) == 0;
	ml_buf_free(&b);
	return eq;
}

static const char hexdigits[] = "0123456789abcdef";

/* Bytes that may be copied into a JSON string as they are. */
static int plain_out(unsigned char c)
{
	return c >= 0x20 && c != '"' && c != '\\';
}

static void put_escape(struct ml_buf *out, unsigned char c)
{
	char *q = out->data + out->len;

	q[0] = '\\';
	switch (c) {
	case '"': q[1] = '"'; out->len += 2; return;
	case '\\': q[1] = '\\'; out->len += 2; return;
	case '\n': q[1] = 'n'; out->len += 2; return;
	case '\r': q[1] = 'r'; out->len += 2; return;
	case '\t': q[1] = 't'; out->len += 2; return;
	case '\b': q[1] = 'b'; out->len += 2; return;
	case '\f': q[1] = 'f'; out->len += 2; return;
	default:
		q[1] = 'u'; q[2] = '0'; q[3] = '0';
		q[4] = hexdigits[c >> 4];
		q[5] = hexdigits[c & 15];
		out->len += 6;
	}
}

int ml_json_quote(struct ml_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	if (ml_buf_reserve(out, n + 2) < 0)
		return -1;
	out->data[out->len++] = '"';
	while (p < end) {
		const unsigned char *q = p;
		while (q < end && plain_out(*q))
			q++;
		if (ml_buf_reserve(out, (size_t)(q - p) + 7) < 0)
			return -1;
		memcpy(out->data + out->len, p, (size_t)(q - p));
		out->len += (size_t)(q - p);
		if (q == end)
			break;
		put_escape(out, *q);
		p = q + 1;
	}
	if (ml_buf_reserve(out, 1) < 0)
		return -1;
	out->data[out->len++] = '"';
	return 0;
}

int ml_json_quote_lossy(struct ml_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	if (ml_buf_addc(out, '"') < 0)
		return -1;
	while (p < end) {
		if (ml_buf_reserve(out, 7) < 0)
			return -1;
		if (*p < 0x80) {
			if (plain_out(*p))
				out->data[out->len++] = (char)*p;
			else
				put_escape(out, *p);
			p++;
			continue;
		}
		size_t k = utf8_seq(p, end);
		if (k) {
			memcpy(out->data + out->len, p, k);
			out->len += k;
			p += k;
		} else {
			memcpy(out->data + out->len, "\xEF\xBF\xBD", 3);
			out->len += 3;
			p++;
		}
	}
	return ml_buf_addc(out, '"');
}

int ml_json_minify(struct ml_buf *out, const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	struct ml_json_fail fail;
	int escaped;

	if (ml_buf_reserve(out, n) < 0)
		return -1;
	while (p < end) {
		if (*p == '"') {
			const char *q = ml_json_scan_string(p, end, &escaped, &fail);
			if (!q)
				q = end;
			memcpy(out->data + out->len, p, (size_t)(q - p));
			out->len += (size_t)(q - p);
			p = q;
		} else if (is_ws((unsigned char)*p)) {
			p++;
		} else {
			out->data[out->len++] = *p++;
		}
	}
	return 0;
}

const char *ml_json_type_name(enum ml_json_type t)
{
	switch (t) {
	case ML_JSON_NULL: return "null";
	case ML_JSON_FALSE:
	case ML_JSON_TRUE: return "boolean";
	case ML_JSON_NUMBER: return "number";
	case ML_JSON_STRING: return "string";
	case ML_JSON_ARRAY: return "array";
	case ML_JSON_OBJECT: return "object";
	}
	return "unknown";
}

/* Writes the digits d[0..prec) of a number whose first digit has decimal
 * exponent x as printf's %.<prec>g would: trailing zeros dropped, and an
 * exponent when x < -4 or x >= prec. */
static int put_g(struct ml_buf *out, int neg, const char *d, int prec, int x)
{
	char s[48], *p = s;
	int n = prec;

	while (n > 1 && d[n - 1] == '0')
		n--;
	if (neg)
		*p++ = '-';
	if (x < -4 || x >= prec) {
		*p++ = d[0];
		if (n > 1) {
			*p++ = '.';
			memcpy(p, d + 1, (size_t)n - 1);
			p += n - 1;
		}
		p += snprintf(p, 8, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
	} else if (x < 0) {
		*p++ = '0';
		*p++ = '.';
		for (int i = 0; i < -x - 1; i++)
			*p++ = '0';
		memcpy(p, d, (size_t)n);
		p += n;
	} else {
		for (int i = 0; i <= x; i++)
			*p++ = i < n ? d[i] : '0';
		if (n > x + 1) {
			*p++ = '.';
			memcpy(p, d + x + 1, (size_t)(n - x - 1));
			p += n - x - 1;
		}
	}
	return ml_buf_add(out, s, (size_t)(p - s));
}

size_t ml_utf8_chars(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xC0) != 0x80;
	return k;
}

/* The shortest digits that read back as x (ml_dtoa), written as printf's
 * %g writes them at 15, 16 or 17 digits of precision, the fewest that hold
 * them: so the output is the shortest of %.15g, %.16g and %.17g that reads
 * back, byte for byte, but where a power of two has a shorter decimal on
 * the wider side of it, which %g does not look for.  (printf converted
 * each number with multi-precision arithmetic: a fifth of ml-predict's
 * instructions.) */
int ml_json_put_double(struct ml_buf *out, double x)
{
	char d[ML_DTOA_DIGITS];
	int n, prec, x10;

	if (!isfinite(x))
		return ml_buf_adds(out, "null");
	if (x == 0)
		return ml_buf_adds(out, signbit(x) ? "-0" : "0");
	n = ml_dtoa_shortest(x, d, &x10);
	prec = n < 15 ? 15 : n;
	memset(d + n, '0', (size_t)(prec - n));
	return put_g(out, signbit(x) != 0, d, prec, x10);
}
