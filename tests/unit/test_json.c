/* Unit tests of common/ml_json: the strict scanners and the escaping. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_buf.h"
#include "ml_json.h"
#include "tap.h"

#define S(lit) lit, sizeof(lit) - 1

/* Scans the string literal s[0..n) (quote at s[0]); returns its length as
 * scanned, or -1 with why set. */
static long scan_str(const char *s, size_t n, int *escaped, const char **why)
{
	struct ml_json_fail fail = {0};
	const char *end = ml_json_scan_string(s, s + n, escaped, &fail);

	*why = fail.why;
	return end ? end - s : -1;
}

static int str_ok(const char *s, size_t n)
{
	int escaped;
	const char *why;

	return scan_str(s, n, &escaped, &why) == (long)n;
}

static int str_bad(const char *s, size_t n)
{
	int escaped;
	const char *why;

	return scan_str(s, n, &escaped, &why) < 0 && why != NULL;
}

/* Scans a whole value s[0..n) at depth; 1 when it is exactly one value of
 * type want. */
static int value_is(const char *s, size_t n, int depth, enum ml_json_type want)
{
	struct ml_json_fail fail;
	enum ml_json_type t;
	const char *end = ml_json_scan_value(s, s + n, depth, &t, &fail);

	return end == s + n && t == want;
}

static int value_bad(const char *s, size_t n, int depth)
{
	struct ml_json_fail fail = {0};
	enum ml_json_type t;
	const char *end = ml_json_scan_value(s, s + n, depth, &t, &fail);

	return end != s + n;
}

/* The decoded contents of the string literal s[0..n) (quotes included). */
static int unescapes_to(const char *s, size_t n, const char *want, size_t wn)
{
	struct ml_buf b = {0};
	int eq;

	if (ml_json_unescape(s + 1, n - 2, &b) < 0)
		return 0;
	eq = b.len == wn && (wn == 0 || memcmp(b.data, want, wn) == 0);
	ml_buf_free(&b);
	return eq;
}

static int quotes_to(int lossy, const char *s, size_t n, const char *want)
{
	struct ml_buf b = {0};
	int eq;

	if ((lossy ? ml_json_quote_lossy(&b, s, n) : ml_json_quote(&b, s, n)) < 0)
		return 0;
	eq = b.len == strlen(want) && memcmp(b.data, want, b.len) == 0;
	ml_buf_free(&b);
	return eq;
}

static int minifies_to(const char *s, size_t n, const char *want)
{
	struct ml_buf b = {0};
	int eq;

	if (ml_json_minify(&b, s, n) < 0)
		return 0;
	eq = b.len == strlen(want) && memcmp(b.data, want, b.len) == 0;
	ml_buf_free(&b);
	return eq;
}

/* n nested arrays around 1, as a document. */
static char *nested(char open, int n, size_t *len)
{
	struct ml_buf b = {0};

	for (int i = 0; i < n; i++)
		ml_buf_adds(&b, open == '[' ? "[" : "{\"k\":");
	ml_buf_addc(&b, '1');
	for (int i = 0; i < n; i++)
		ml_buf_addc(&b, open == '[' ? ']' : '}');
	*len = b.len;
	return b.data;
}

static void test_skip_ws(void)
{
	const char s[] = " \t\r\n x";
	const char f[] = "\f\v";

	ok(ml_json_skip_ws(s, s + sizeof s - 1) == s + 5, "skip_ws skips space, tab, CR and LF");
	ok(ml_json_skip_ws(f, f + 2) == f, "skip_ws does not skip form feed or vertical tab (not JSON whitespace)");
	ok(ml_json_skip_ws(s, s + 3) == s + 3, "skip_ws stops at the end of the text");
}

static void test_scan_string(void)
{
	int escaped = -1;
	const char *why;
	const char all_escapes[] = "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\uFFFF\"";

	ok(scan_str(S("\"abc\" tail"), &escaped, &why) == 5 && escaped == 0,
	   "scan_string returns the byte after the closing quote and reports no escapes");
	ok(scan_str(S("\"a\\nb\""), &escaped, &why) == 6 && escaped == 1,
	   "scan_string reports that a string holds escapes");
	ok(str_ok(all_escapes, sizeof all_escapes - 1), "scan_string accepts every JSON escape");
	ok(str_ok(S("\"\"")), "scan_string accepts the empty string");
	ok(str_ok(S("\"\\ud83d\\ude00\"")), "scan_string accepts a surrogate pair escape");
	ok(str_ok(S("\"\\uDBFF\\uDFFF\"")), "scan_string accepts the highest surrogate pair (U+10FFFF)");
	ok(str_bad(S("\"\\ud83d\"")), "scan_string rejects a lone high surrogate at the end");
	ok(str_bad(S("\"\\ud83dx\"")), "scan_string rejects a high surrogate followed by a plain character");
	ok(str_bad(S("\"\\ud83d\\u0041\"")), "scan_string rejects a high surrogate followed by a non-surrogate escape");
	ok(str_bad(S("\"\\ud83d\\ud83d\"")), "scan_string rejects two high surrogates");
	ok(str_bad(S("\"\\ude00\"")), "scan_string rejects a lone low surrogate");
	ok(str_bad(S("\"\\u12\"")), "scan_string rejects a \\u escape with fewer than 4 hex digits");
	ok(str_bad(S("\"\\u12G4\"")), "scan_string rejects a \\u escape with a non-hex digit");
	ok(str_bad(S("\"\\x41\"")) && str_bad(S("\"\\a\"")) && str_bad(S("\"\\U0041\"")) &&
	   str_bad(S("\"\\'\"")) && str_bad(S("\"\\0\"")),
	   "scan_string rejects escapes JSON does not have (\\x \\a \\U \\' \\0)");
	ok(str_bad(S("\"abc")) && str_bad(S("\"abc\\\"")) && str_bad(S("\"\\")) && str_bad(S("\"")),
	   "scan_string rejects an unterminated string");
	ok(str_bad(S("\"a\x01z\"")) && str_bad(S("\"a\tz\"")) && str_bad(S("\"a\nz\"")) &&
	   str_bad(S("\"a\x1Fz\"")) && str_bad("\"a\0z\"", 5),
	   "scan_string rejects raw control characters U+0000..U+001F");
	ok(str_ok(S("\"a\x7Fz\"")), "scan_string accepts a raw DEL (U+007F is not a control character in JSON)");
	ok(str_ok(S("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\"")),
	   "scan_string accepts raw UTF-8 of 2, 3 and 4 bytes");
	ok(str_bad(S("\"\xC0\xAF\"")) && str_bad(S("\"\xE0\x80\xAF\"")) && str_bad(S("\"\xF0\x80\x80\xAF\"")),
	   "scan_string rejects overlong UTF-8");
	ok(str_bad(S("\"\xED\xA0\x80\"")) && str_bad(S("\"\xED\xBF\xBF\"")),
	   "scan_string rejects UTF-8-encoded surrogates (ED A0 80)");
	ok(str_bad(S("\"\xF4\x90\x80\x80\"")) && str_bad(S("\"\xF5\x80\x80\x80\"")) && str_bad(S("\"\xFF\"")),
	   "scan_string rejects UTF-8 above U+10FFFF and bytes that never occur");
	ok(str_bad(S("\"\xE2\x82\"")) && str_bad(S("\"\xF0\x9F\x98\"")) && str_bad(S("\"\xC3")),
	   "scan_string rejects truncated UTF-8 sequences");
	ok(str_bad(S("\"\x80\"")) && str_bad(S("\"a\xBF\"")), "scan_string rejects stray continuation bytes");
}

static void test_scan_value(void)
{
	char *deep;
	size_t n;

	ok(value_is(S("null"), 0, ML_JSON_NULL) && value_is(S("true"), 0, ML_JSON_TRUE) &&
	   value_is(S("false"), 0, ML_JSON_FALSE), "scan_value types null, true and false");
	ok(value_is(S("-1.5e3"), 0, ML_JSON_NUMBER) && value_is(S("\"s\""), 0, ML_JSON_STRING),
	   "scan_value types numbers and strings");
	ok(value_is(S("[1, [2], {\"a\": [ ]}]"), 0, ML_JSON_ARRAY) &&
	   value_is(S("{ \"a\" : { \"b\" : [ null , true ] } , \"c\" : \"d\" }"), 0, ML_JSON_OBJECT),
	   "scan_value scans nested arrays and objects with whitespace between tokens");
	ok(value_is(S("[]"), 0, ML_JSON_ARRAY) && value_is(S("{}"), 0, ML_JSON_OBJECT) &&
	   value_is(S("[ ]"), 0, ML_JSON_ARRAY) && value_is(S("{ }"), 0, ML_JSON_OBJECT),
	   "scan_value accepts empty arrays and objects");
	{
		struct ml_json_fail fail;
		enum ml_json_type t;
		const char s[] = "[1,2] , 3";
		ok(ml_json_scan_value(s, s + sizeof s - 1, 0, &t, &fail) == s + 5,
		   "scan_value stops at the end of the value, leaving what follows");
	}
	ok(value_bad(S("[1,]"), 0) && value_bad(S("[,1]"), 0) && value_bad(S("{\"a\":1,}"), 0) &&
	   value_bad(S("[1 2]"), 0), "scan_value rejects trailing, leading and missing commas");
	ok(value_bad(S("{\"a\"}"), 0) && value_bad(S("{\"a\":}"), 0) && value_bad(S("{1:2}"), 0) &&
	   value_bad(S("{\"a\" 1}"), 0), "scan_value rejects objects without key, colon or value");
	ok(value_bad(S("[1"), 0) && value_bad(S("{\"a\":[}"), 0) && value_bad(S("[}"), 0),
	   "scan_value rejects unclosed and mismatched brackets");
	ok(value_bad(S("tru"), 0) && value_bad(S("nul"), 0) && value_bad(S("True"), 0) &&
	   value_bad(S("nan"), 0) && value_bad(S(""), 0), "scan_value rejects misspelt literals and nothing at all");
	{
		struct ml_json_fail fail;
		enum ml_json_type t;
		const char s[] = "truex";
		ok(ml_json_scan_value(s, s + 5, 0, &t, &fail) == s + 4,
		   "scan_value leaves a byte after a literal to the caller");
	}

	deep = nested('[', 256, &n);
	ok(value_is(deep, n, 0, ML_JSON_ARRAY), "scan_value accepts 256 nested arrays (libjq's limit)");
	free(deep);
	deep = nested('[', 257, &n);
	ok(value_bad(deep, n, 0), "scan_value rejects 257 nested arrays, as libjq does");
	free(deep);
	deep = nested('{', 128, &n);
	ok(value_is(deep, n, 0, ML_JSON_OBJECT), "scan_value accepts 128 nested objects");
	free(deep);
	deep = nested('{', 129, &n);
	ok(value_bad(deep, n, 0), "scan_value rejects 129 nested objects (each takes two of libjq's 256 stack entries)");
	free(deep);
	deep = nested('[', 254, &n);
	ok(value_is(deep, n, 1, ML_JSON_ARRAY), "scan_value at depth 1 (a record's field) accepts 254 nested arrays");
	free(deep);
	deep = nested('[', 255, &n);
	ok(value_bad(deep, n, 1), "scan_value at depth 1 rejects 255 nested arrays, as libjq does inside an object");
	free(deep);
	deep = nested('[', 1000000, &n);
	ok(value_bad(deep, n, 0), "scan_value rejects a million nested arrays without recursing");
	free(deep);
}

/* ml_decimal: options' numbers, decimal only. */
static void test_decimal(void)
{
	static const char *const good[] = {"5", "-0", "+0.5", ".5", "5.", "1e-3", "1E+2", "0.05"};
	static const double value[] = {5, -0.0, 0.5, 0.5, 5, 1e-3, 100, 0.05};
	static const char *const bad[] = {"", "+", ".", "-.", "e5", "1e", "1e+", "0x1", "0X1p0", "inf",
					  "-infinity", "nan", " 1", "1 ", "1,5", "1e400", "1e-400", "5%"};
	double x;
	int all = 1;

	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		all &= ml_decimal(good[i], &x) == 0 && x == value[i];
	ok(all, "ml_decimal reads signs, points on either side, and exponents");
	all = 1;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		all &= ml_decimal(bad[i], &x) < 0;
	ok(all, "ml_decimal refuses hexadecimal, inf, nan, blanks, a bare sign or point, and overflow");
}

static void test_is_number(void)
{
	static const char *const good[] = {
		"0", "-0", "1", "-1", "10", "0.5", "-0.5", "1e5", "1E5", "1e+5", "1e-5",
		"1.5e+10", "1e400", "12345678901234567890", "0e0", "-0.0e-0",
	};
	static const char *const bad[] = {
		"", "-", "01", "-01", "00", "1.", ".5", "+1", "1e", "1e+", "1E-", "1.e5",
		"nan", "NaN", "inf", "infinity", "-infinity", "0x10", "1 ", " 1", "1e5.0",
		"--1", "1-", "1.5.3",
	};
	int all = 1;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!ml_json_is_number(good[i], strlen(good[i]))) {
			printf("# wrongly rejected: %s\n", good[i]);
			all = 0;
		}
	ok(all, "is_number accepts the RFC 8259 numbers (%zu cases: -0, exponents, 1e400, 20 digits)",
	   sizeof good / sizeof good[0]);
	all = 1;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (ml_json_is_number(bad[i], strlen(bad[i]))) {
			printf("# wrongly accepted: '%s'\n", bad[i]);
			all = 0;
		}
	ok(all, "is_number rejects what RFC 8259 does not allow (%zu cases: 01, 1., .5, +1, nan, infinity, ...)",
	   sizeof bad / sizeof bad[0]);
	ok(ml_json_is_number("12", 1) && ml_json_is_number("12x", 2),
	   "is_number looks only at the n bytes it is given");
}

/* Whether fast_number read all of s and gave strtod's double, bit for bit. */
static int fast_reads_as_strtod(const char *s)
{
	double x, want = strtod(s, NULL);
	const char *after = ml_json_fast_number(s, s + strlen(s), &x);

	return after == s + strlen(s) && memcmp(&x, &want, sizeof x) == 0;
}

/* Whether each of v[0..n) is read as strtod reads it (read 1) or is left
 * to strtod, untouched (read 0); names the ones that are not. */
static int all_fast(const char *const *v, size_t n, int read)
{
	int all = 1;
	double x;

	for (size_t i = 0; i < n; i++)
		if (read ? !fast_reads_as_strtod(v[i]) : ml_json_fast_number(v[i], v[i] + strlen(v[i]), &x) != NULL) {
			printf("# %s: '%s'\n", read ? "not read as strtod reads it" : "wrongly read", v[i]);
			all = 0;
		}
	return all;
}

static void test_fast_number(void)
{
	static const char *const fast[] = {
		"0", "-0", "7", "-12.5", "0.1", "3.14159", "1e5", "1E-5", "2.5e+3", "-0.0e-0",
		"9007199254740992", "0.000000000000000001", "12345678.0123456", "1e22",
		"4.35", "1e-22", "-97.61",
	};
	static const char *const slow[] = {
		"9007199254740993", "12345678901234567890", "1e23", "1e-23", "1e400",
		"0.00000000000000000000001", "100000000000000000000", "123456789.0123456789",
		"0.0000000000000000001",
	};
	static const char *const bad[] = {"", "-", "01", "1.", ".5", "+1", "1e", "1e+", "1.e5", "x"};
	double x;

	ok(all_fast(fast, sizeof fast / sizeof fast[0], 1),
	   "fast_number reads plain decimals and small exponents as strtod does, -0 included (%zu cases)",
	   sizeof fast / sizeof fast[0]);
	ok(all_fast(slow, sizeof slow / sizeof slow[0], 0),
	   "fast_number leaves to strtod what one operation cannot give exactly: above 2^53, 20 digits, 1e23 (%zu cases)",
	   sizeof slow / sizeof slow[0]);
	ok(all_fast(bad, sizeof bad / sizeof bad[0], 0),
	   "fast_number reads no text that is not a JSON number (%zu cases: 01, 1., .5, +1, 1e, ...)",
	   sizeof bad / sizeof bad[0]);
	const char *text = "-2.5,3";
	ok(ml_json_fast_number(text, text + 6, &x) == text + 4 && x == -2.5,
	   "fast_number stops after the number and returns where it ended");
	ok(ml_json_fast_number(text, text + 2, &x) == text + 2 && x == -2,
	   "fast_number reads no further than the end it is given");

	/* random decimals of up to 17 significant digits and exponents up to
	 * 30 either way: whatever it reads, it reads as strtod */
	uint64_t seed = 0x9e3779b97f4a7c15u;
	size_t read = 0, wrong = 0;
	char buf[64];
	for (int i = 0; i < 200000; i++) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		int ndig = 1 + (int)(seed % 17), point = (int)((seed >> 8) % (uint64_t)(ndig + 1));
		int ex = (int)((seed >> 16) % 61) - 30, len = 0;
		uint64_t d = seed >> 24;
		if (seed & (1u << 5))
			buf[len++] = '-';
		for (int k = 0; k < ndig; k++, d /= 10) {
			if (k == point && k)
				buf[len++] = '.';
			buf[len++] = (char)('0' + (k == 0 && ndig > 1 && point != 1 ? 1 + d % 9 : d % 10));
		}
		if (seed & (1u << 6))
			len += snprintf(buf + len, sizeof buf - (size_t)len, "e%d", ex);
		buf[len] = '\0';
		if (!ml_json_is_number(buf, (size_t)len))
			continue;
		if (ml_json_fast_number(buf, buf + len, &x)) {
			read++;
			wrong += !fast_reads_as_strtod(buf);
		}
	}
	ok(wrong == 0 && read > 50000, "fast_number agrees with strtod on every one of %zu random numbers it reads",
	   read);
}

static void test_utf8(void)
{
	ok(ml_utf8_valid_prefix(S("plain ascii")) == 11, "utf8_valid_prefix returns n for ASCII");
	ok(ml_utf8_valid_prefix(S("\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF")) == 18,
	   "utf8_valid_prefix accepts the first and last code point of each length");
	ok(ml_utf8_valid_prefix(S("\xED\x9F\xBF\xEE\x80\x80")) == 6,
	   "utf8_valid_prefix accepts U+D7FF and U+E000 around the surrogates");
	ok(ml_utf8_valid_prefix(S("ab\xED\xA0\x80")) == 2, "utf8_valid_prefix stops at an encoded surrogate");
	ok(ml_utf8_valid_prefix(S("ab\xC0\xAF")) == 2 && ml_utf8_valid_prefix(S("\xC1\xBF")) == 0 &&
	   ml_utf8_valid_prefix(S("\xE0\x9F\xBF")) == 0 && ml_utf8_valid_prefix(S("\xF0\x8F\xBF\xBF")) == 0,
	   "utf8_valid_prefix stops at overlong forms");
	ok(ml_utf8_valid_prefix(S("a\xF4\x90\x80\x80")) == 1 && ml_utf8_valid_prefix(S("\xF5\x80\x80\x80")) == 0,
	   "utf8_valid_prefix stops above U+10FFFF");
	ok(ml_utf8_valid_prefix(S("\xC3\xA9\xE2\x82")) == 2 && ml_utf8_valid_prefix(S("\xF0\x9F\x98")) == 0,
	   "utf8_valid_prefix stops at a truncated sequence");
	ok(ml_utf8_valid_prefix(S("a\x80")) == 1 && ml_utf8_valid_prefix(S("\xFF")) == 0 &&
	   ml_utf8_valid_prefix(S("\xC3(")) == 0, "utf8_valid_prefix stops at stray and broken continuation bytes");
	ok(ml_utf8_valid_prefix("a\0b", 3) == 3, "utf8_valid_prefix counts NUL as valid UTF-8");
	ok(ml_utf8_valid_prefix("", 0) == 0, "utf8_valid_prefix of nothing is 0");
}

static void test_unescape(void)
{
	ok(unescapes_to(S("\"plain\""), S("plain")), "unescape copies a string without escapes");
	ok(unescapes_to(S("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""), S("\"\\/\b\f\n\r\t")),
	   "unescape decodes the one-letter escapes");
	ok(unescapes_to(S("\"\\u0041\\u00e9\\u20AC\""), S("A\xC3\xA9\xE2\x82\xAC")),
	   "unescape decodes \\u escapes of 1, 2 and 3 UTF-8 bytes");
	ok(unescapes_to(S("\"\\ud83d\\ude00\""), S("\xF0\x9F\x98\x80")),
	   "unescape joins a surrogate pair into one 4-byte character");
	ok(unescapes_to(S("\"a\\u0000b\""), "a\0b", 3), "unescape decodes \\u0000 to a NUL byte");
	ok(unescapes_to(S("\"\""), "", 0), "unescape of the empty string appends nothing");
	{
		struct ml_buf b = {0};
		ml_buf_adds(&b, "keep:");
		ml_json_unescape(S("a\\tb"), &b);
		ok(b.len == 8 && memcmp(b.data, "keep:a\tb", 8) == 0, "unescape appends to what the buffer holds");
		ml_buf_free(&b);
	}
}

static void test_quote(void)
{
	ok(quotes_to(0, S("plain"), "\"plain\""), "quote wraps plain text in quotes");
	ok(quotes_to(0, S("a\"b\\c"), "\"a\\\"b\\\\c\""), "quote escapes the quote and the backslash");
	ok(quotes_to(0, S("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\""), "quote uses the short escapes");
	ok(quotes_to(0, "\x01\x1F\0", 3, "\"\\u0001\\u001f\\u0000\""), "quote escapes other control characters as \\u00XX");
	ok(quotes_to(0, S("\xC3\xA9/\x7F"), "\"\xC3\xA9/\x7F\""), "quote keeps UTF-8, the slash and DEL as they are");
	ok(quotes_to(0, "", 0, "\"\""), "quote of nothing is \"\"");
	{
		/* every byte 0..127 and some UTF-8 survive quote, scan and unescape */
		char in[160];
		struct ml_buf q = {0}, back = {0};
		struct ml_json_fail fail;
		int escaped;
		for (int i = 0; i < 128; i++)
			in[i] = (char)i;
		memcpy(in + 128, "\xC3\xA9\xF0\x9F\x98\x80", 6);
		ml_json_quote(&q, in, 134);
		const char *end = ml_json_scan_string(q.data, q.data + q.len, &escaped, &fail);
		ml_json_unescape(q.data + 1, q.len - 2, &back);
		ok(end == q.data + q.len && back.len == 134 && memcmp(back.data, in, 134) == 0,
		   "quote, scan_string and unescape round-trip every ASCII byte and UTF-8");
		ml_buf_free(&q);
		ml_buf_free(&back);
	}
	{
		/* a long string that needs growth in the middle */
		struct ml_buf q = {0};
		char *big = malloc(100000);
		for (size_t i = 0; i < 100000; i++)
			big[i] = i % 7 == 0 ? '\n' : 'x';
		ml_json_quote(&q, big, 100000);
		int escaped;
		struct ml_json_fail fail;
		ok(ml_json_scan_string(q.data, q.data + q.len, &escaped, &fail) == q.data + q.len &&
		   q.len == 100000 + 2 + 100000 / 7 + 1, "quote grows its buffer for long text with many escapes");
		free(big);
		ml_buf_free(&q);
	}
	ok(quotes_to(1, S("ok\xC3\xA9"), "\"ok\xC3\xA9\""), "quote_lossy keeps valid UTF-8");
	ok(quotes_to(1, S("a\xFF" "b"), "\"a\xEF\xBF\xBD" "b\""), "quote_lossy turns an invalid byte into U+FFFD");
	ok(quotes_to(1, S("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""),
	   "quote_lossy replaces each byte of an encoded surrogate");
	ok(quotes_to(1, S("\xE2\x82\"\n"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\\\"\\n\""),
	   "quote_lossy replaces a truncated sequence and still escapes");
	{
		struct ml_buf q = {0};
		struct ml_json_fail fail;
		int escaped;
		char junk[256];
		for (int i = 0; i < 256; i++)
			junk[i] = (char)(255 - i);
		ml_json_quote_lossy(&q, junk, sizeof junk);
		ok(ml_json_scan_string(q.data, q.data + q.len, &escaped, &fail) == q.data + q.len,
		   "quote_lossy of all 256 byte values is a valid JSON string");
		ml_buf_free(&q);
	}
}

static void test_minify(void)
{
	ok(minifies_to(S("{ \"a\" : [ 1 , 2 ] ,\n\t\"b\" : { } }"), "{\"a\":[1,2],\"b\":{}}"),
	   "minify removes whitespace between tokens");
	ok(minifies_to(S("[ \"a b\" , \"c\\\" d\" ]"), "[\"a b\",\"c\\\" d\"]"),
	   "minify keeps whitespace inside strings, escaped quotes included");
	ok(minifies_to(S("\r\n  17  "), "17"), "minify of a padded scalar is the scalar");
}

static void test_string_equals(void)
{
	struct ml_buf big = {0}, raw = {0};

	ok(ml_json_string_equals(S("abc"), 0, S("abc")), "string_equals matches an unescaped key");
	ok(!ml_json_string_equals(S("abc"), 0, S("abd")) && !ml_json_string_equals(S("abc"), 0, S("ab")),
	   "string_equals tells different and shorter keys apart");
	ok(ml_json_string_equals(S("\\u0061b\\u0063"), 1, S("abc")), "string_equals decodes escapes before comparing");
	ok(ml_json_string_equals(S("\\ud83d\\ude00"), 1, S("\xF0\x9F\x98\x80")),
	   "string_equals matches a surrogate pair with its UTF-8");
	ok(ml_json_string_equals(S("a\\u0000"), 1, "a\0", 2), "string_equals compares NUL bytes too");
	ok(!ml_json_string_equals(S("a\\n"), 1, S("a\\n")), "string_equals does not match the escape's spelling");
	ok(ml_json_string_equals("", 0, 0, "", 0), "string_equals matches two empty keys");
	for (int i = 0; i < 400; i++) {
		ml_buf_adds(&raw, "\\u0078");
		ml_buf_addc(&big, 'x');
	}
	ok(ml_json_string_equals(raw.data, raw.len, 1, big.data, big.len),
	   "string_equals decodes escaped keys longer than its stack buffer");
	big.data[399] = 'y';
	ok(!ml_json_string_equals(raw.data, raw.len, 1, big.data, big.len),
	   "string_equals finds a difference in the last byte of a long key");
	ml_buf_free(&big);
	ml_buf_free(&raw);
}

static void test_type_name(void)
{
	ok(strcmp(ml_json_type_name(ML_JSON_NULL), "null") == 0 &&
	   strcmp(ml_json_type_name(ML_JSON_TRUE), "boolean") == 0 &&
	   strcmp(ml_json_type_name(ML_JSON_FALSE), "boolean") == 0 &&
	   strcmp(ml_json_type_name(ML_JSON_NUMBER), "number") == 0 &&
	   strcmp(ml_json_type_name(ML_JSON_STRING), "string") == 0 &&
	   strcmp(ml_json_type_name(ML_JSON_ARRAY), "array") == 0 &&
	   strcmp(ml_json_type_name(ML_JSON_OBJECT), "object") == 0,
	   "type_name names each type as jq's type function does");
}

/* %g at the shortest of 15, 16, 17 digits that reads back: the reference
 * ml_json_put_double must equal byte for byte where a double's neighbours
 * are as far on both sides (a normal number, not a power of two) */
static void shortest_g(double x, char *s, size_t n)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(s, n, "%.*g", prec, x);
		if (strtod(s, NULL) == x)
			break;
	}
}

/* The significant digits of a number as written: the sign, the point, the
 * exponent and the zeros before the first digit and after the last left
 * out. */
static int sig_digits(const char *s)
{
	int n = 0, zeros = 0, seen = 0;

	for (; *s && *s != 'e'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (*s == '0') {
			zeros += seen;
			continue;
		}
		n += zeros + 1;
		zeros = 0;
		seen = 1;
	}
	return n;
}

/* Whether a decimal of n significant digits reads back as x: the nearest
 * one, or its neighbour on either side (the nearest can miss where x is a
 * power of two, its lower neighbour twice as near as its upper one). */
static int digits_read_back(double x, int n)
{
	char s[64], *e;
	unsigned long long m = 0;

	snprintf(s, sizeof s, "%.*e", n - 1, fabs(x));
	if (strtod(s, NULL) == fabs(x))
		return 1;
	for (e = s; *e != 'e'; e++)
		if (*e >= '0' && *e <= '9')
			m = m * 10 + (unsigned long long)(*e - '0');
	int x10 = atoi(e + 1) - (n - 1);
	for (int side = -1; side <= 1; side += 2) {
		snprintf(s, sizeof s, "%llue%d", m + (unsigned long long)side, x10);
		if (strtod(s, NULL) == fabs(x))
			return 1;
	}
	return 0;
}

/* Checks what ml_json_put_double wrote for x: it reads back, no decimal of
 * fewer digits does, and it is %g's shortest (normal numbers but powers of
 * two) or no longer.  0, or 1 with the trouble in *why. */
static int put_double_wrong(double x, const char *got, const char **why)
{
	char want[40];
	int mant_zero = frexp(fabs(x), &(int){0}) == 0.5;
	int n = sig_digits(got);

	shortest_g(x, want, sizeof want);
	if (strtod(got, NULL) != x || signbit(strtod(got, NULL)) != signbit(x))
		*why = "does not read back";
	else if (n > 1 && digits_read_back(x, n - 1))
		*why = "is not the shortest";
	else if (isnormal(x) && !mant_zero && strcmp(got, want))
		*why = "is not %g's shortest";
	else if (n > sig_digits(want))
		*why = "is longer than %g's shortest";
	else
		return 0;
	return 1;
}

static void test_put_double(void)
{
	static const double fixed[] = {0, -0.0, 1, -1, 0.1, 0.5, 1e-5, 1e-4, 123456789012345678.0, 1e21, 1e22,
				       1e23, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.3,
				       2.0 / 3, 100, 1e15, 1e16, 1e17, 9007199254740993.0, 0.078595223467755715,
				       1234567890123456.25, 1234567890123456.75, -1234567890123457.25};
	struct ml_buf b = {0};
	uint64_t st = 88172645463325252ULL;
	long bad = 0, n = 0, pow2 = 0, pow2_bad = 0, shorter = 0;
	const char *why;
	char want[40];

	for (long i = 0; i < 400000 + (long)(sizeof fixed / sizeof *fixed); i++) {
		double x;
		if (i < (long)(sizeof fixed / sizeof *fixed)) {
			x = fixed[i];
		} else {
			st ^= st << 13;
			st ^= st >> 7;
			st ^= st << 17;
			switch (i % 5) {
			case 0: memcpy(&x, &st, sizeof x); break;
			case 1: x = (double)(st >> 11) / 9007199254740992.0; break;
			case 2: x = (double)(st % 100000000) / 100.0; break;
			case 3: x = (double)(int64_t)(st % 2000001) - 1000000; break;
			default: x = ldexp((double)(st >> 11), (int)(st % 200) - 100); break;
			}
		}
		if (!isfinite(x))
			continue;
		n++;
		ml_buf_reset(&b);
		ml_json_put_double(&b, x);
		ml_buf_terminate(&b);
		if (put_double_wrong(x, b.data, &why) && bad++ < 5)
			printf("# %.17g: %s %s\n", x, b.data, why);
	}
	ok(bad == 0, "numbers are written as the shortest %%g that reads back, on %ld values (%ld wrong)", n, bad);
	/* every power of two, and the subnormals' first powers and tenths */
	for (int k = -1074; k <= 1023; k++) {
		for (int t = 0; t < 2; t++) {
			double x = t ? ldexp(1, k) : ldexp(1, k) * 0.1;
			if (x == 0 || !isfinite(x))
				continue;
			pow2++;
			ml_buf_reset(&b);
			ml_json_put_double(&b, x);
			ml_buf_terminate(&b);
			shortest_g(x, want, sizeof want);
			shorter += sig_digits(b.data) < sig_digits(want);
			if (put_double_wrong(x, b.data, &why) && pow2_bad++ < 5)
				printf("# %.17g: %s %s\n", x, b.data, why);
		}
	}
	ok(pow2_bad == 0 && shorter > 0,
	   "powers of two and subnormals are written in the fewest digits that read back, "
	   "%ld of %ld shorter than %%g's (%ld wrong)", shorter, pow2, pow2_bad);
	ml_buf_reset(&b);
	ml_json_put_double(&b, INFINITY);
	ml_json_put_double(&b, NAN);
	ml_buf_terminate(&b);
	ok(strcmp(b.data, "nullnull") == 0, "infinities and NaN are written as null");
	ml_buf_free(&b);
}

int main(void)
{
	test_skip_ws();
	test_scan_string();
	test_put_double();
	test_scan_value();
	test_is_number();
	test_decimal();
	test_fast_number();
	test_utf8();
	test_unescape();
	test_quote();
	test_minify();
	test_string_equals();
	test_type_name();
	return tap_done();
}
