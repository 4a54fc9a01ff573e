/* The differential test of the record reader: ml_rec_parse against libjq's
 * parser (the reference) on a deterministic corpus of candidate NDJSON lines.
 *
 * For every line both parsers decide whether it is one JSON object.  Where
 * both accept, every top-level field must decode to the same thing: the same
 * type, numbers with the same bits, strings with the same bytes, nested
 * values equal (jv_equal) once our raw span is parsed by jq.  Where they
 * disagree, the only allowed case is jq accepting what RFC 8259 forbids, and
 * then our parser must have stopped exactly at one of libjq 1.6's known
 * leniencies (see docs/JSON-READER.md); anything else is a failure, printed
 * with the line escaped.
 *
 * The generator labels each line with what it put in: valid, invalid (both
 * must reject), a nesting depth around the limit (both must agree), one of
 * jq's leniencies (jq must accept, we must reject there), or a random
 * mutation of a valid line (anything but an unexplained disagreement). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jv.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_json.h"
#include "ml_rec.h"
#include "tap.h"
#include "../fuzz/rec_vs_jq_ref.h"

/* ---- the corpus ------------------------------------------------------- */

enum cat {
	CAT_VALID,	/* both accept, values equal */
	CAT_INVALID,	/* both reject */
	CAT_DEPTH,	/* nesting around the limit: both agree */
	CAT_LEN_NUMBER,	/* non-RFC number token: jq accepts, we reject */
	CAT_LEN_NUL,	/* NUL byte inside a number token */
	CAT_LEN_UTF8,	/* invalid UTF-8 inside a string */
	CAT_LEN_CTRL,	/* raw U+0000 or U+001F inside a string */
	CAT_LEN_SURR,	/* lone low surrogate \uDC00..\uDFFF */
	CAT_LEN_BOM,	/* a byte order mark before the object */
	CAT_LEN_RS,	/* ASCII RS (0x1E) around the object */
	CAT_MUTANT,	/* a random mutation of a valid line */
	NCAT
};

static const char *const cat_name[NCAT] = {
	"valid", "invalid", "depth", "a non-RFC number", "a NUL in a number token",
	"invalid UTF-8 in a string", "a raw U+0000/U+001F in a string",
	"a lone low surrogate escape", "a byte order mark", "a record separator (RS)",
	"mutant",
};

/* splitmix64 with a fixed seed: the same corpus on every run */
static uint64_t rng_state = 0x6d6c706970650001ull;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t rn(size_t n)
{
	return (size_t)(rnd() % n);
}

#define PICK(a) ((a)[rn(sizeof(a) / sizeof((a)[0]))])

static void adds(struct ml_buf *b, const char *s) { ml_buf_adds(b, s); }
static void addn(struct ml_buf *b, const char *s, size_t n) { ml_buf_add(b, s, n); }
static void addc(struct ml_buf *b, char c) { ml_buf_addc(b, c); }

/* whitespace between tokens, mostly none */
static void ws(struct ml_buf *b)
{
	static const char *const w[] = {
		"", "", "", "", "", "", " ", " ", "  ", "\t", " \t ", "\r", " \r\n ", "\n",
	};
	adds(b, PICK(w));
}

static void put_utf8(struct ml_buf *b, uint32_t u)
{
	if (u < 0x80) {
		addc(b, (char)u);
	} else if (u < 0x800) {
		addc(b, (char)(0xC0 | (u >> 6)));
		addc(b, (char)(0x80 | (u & 0x3F)));
	} else if (u < 0x10000) {
		addc(b, (char)(0xE0 | (u >> 12)));
		addc(b, (char)(0x80 | ((u >> 6) & 0x3F)));
		addc(b, (char)(0x80 | (u & 0x3F)));
	} else {
		addc(b, (char)(0xF0 | (u >> 18)));
		addc(b, (char)(0x80 | ((u >> 12) & 0x3F)));
		addc(b, (char)(0x80 | ((u >> 6) & 0x3F)));
		addc(b, (char)(0x80 | (u & 0x3F)));
	}
}

static void put_u_escape(struct ml_buf *b, unsigned v)
{
	ml_buf_printf(b, rn(2) ? "\\u%04x" : "\\u%04X", v);
}

/* a Unicode scalar value whose UTF-8 form has len bytes */
static uint32_t scalar_of_len(int len)
{
	uint32_t u;

	switch (len) {
	case 1:	/* printable ASCII, but not the quote or the backslash */
		do
			u = 0x20 + (uint32_t)rn(0x5F);
		while (u == '"' || u == '\\');
		return u;
	case 2: return 0x80 + (uint32_t)rn(0x800 - 0x80);
	case 3:
		do
			u = 0x800 + (uint32_t)rn(0x10000 - 0x800);
		while (u >= 0xD800 && u <= 0xDFFF);
		return u;
	default: return 0x10000 + (uint32_t)rn(0x110000 - 0x10000);
	}
}

/* one valid piece of string contents */
static void valid_piece(struct ml_buf *b)
{
	static const char *const simple[] = {
		"\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t",
	};
	static const uint32_t edges[] = {
		0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFEFF, 0xFFFD, 0xFFFF,
		0x10000, 0x1F600, 0x10FFFF,
	};
	unsigned v;

	switch (rn(9)) {
	case 0:
	case 1:
		for (size_t n = 1 + rn(8); n--;) {
			char c = (char)(0x20 + rn(0x5F));
			addc(b, c == '"' || c == '\\' ? 'q' : c);
		}
		break;
	case 2:
		adds(b, PICK(simple));
		break;
	case 3:
		do
			v = (unsigned)rn(0x10000);
		while (v >= 0xD800 && v <= 0xDFFF);
		put_u_escape(b, v);
		break;
	case 4:
		put_u_escape(b, (unsigned)rn(0x20));
		break;
	case 5:
		put_u_escape(b, 0xD800 + (unsigned)rn(0x400));
		put_u_escape(b, 0xDC00 + (unsigned)rn(0x400));
		break;
	case 6:
	case 7:
		put_utf8(b, scalar_of_len(1 + (int)rn(4)));
		break;
	default:
		put_utf8(b, PICK(edges));
		break;
	}
}

static void valid_string(struct ml_buf *b)
{
	size_t n = rn(20) == 0 ? 200 + rn(400) : rn(6);

	addc(b, '"');
	while (n--)
		valid_piece(b);
	addc(b, '"');
}

/* keys: a few names, several spellings each, so duplicates are frequent and
 * sometimes spelled differently (jq keeps the last, and so must find) */
static void key(struct ml_buf *b)
{
	static const char *const spellings[][3] = {
		{"a", "\\u0061", "a"},
		{"id", "\\u0069d", "i\\u0064"},
		{"\xC3\xA9", "\\u00e9", "\\u00E9"},
		{"\xF0\x9F\x98\x80", "\\ud83d\\ude00", "\\uD83D\\uDE00"},
		{"a/b", "a\\/b", "a\\u002fb"},
		{"\\\"q\\\"", "\\u0022q\\u0022", "\\\"q\\u0022"},
		{"", "", ""},
		{"tab\\t", "tab\\u0009", "tab\\t"},
		{"x\\u0000y", "x\\u0000y", "x\\u0000y"},
		{"price", "price", "pric\\u0065"},
	};

	if (rn(4) == 0) {
		valid_string(b);
		return;
	}
	addc(b, '"');
	adds(b, PICK(spellings)[rn(3)]);
	addc(b, '"');
}

static void valid_number(struct ml_buf *b)
{
	static const char *const fixed[] = {
		"0", "-0", "1", "-1", "0.0", "-0.0", "0e0", "0E-0", "-0e+0",
		"1e400", "-1e400", "1e-400", "-1e-400", "1E400", "1e999999999999",
		"12345678901234567890", "-12345678901234567890", "1.5e+10", "1E5",
		"1e5", "1E+5", "1e-5", "0.5", "123.456e-7", "9007199254740993",
		"0.1", "1e23", "4.9406564584124654e-324", "2.4703282292062327e-324",
		"2.4703282292062328e-324", "1.7976931348623157e308",
		"1.7976931348623158e308", "1.7976931348623159e308",
		"2.2250738585072011e-308", "2.2250738585072012e-308",
		"8.98846567431158e307", "18446744073709551616",
		"0.30000000000000004", "1.00000000000000011102230246251565404236316680908203125",
		"2.00000000000000011102230246251565404236316680908203125",
		"1.00000000000000011102230246251565404236316680908203124",
		"7.2057594037927933e16", "1e-7", "100000000000000000000000",
	};

	switch (rn(4)) {
	case 0:
		adds(b, PICK(fixed));
		return;
	case 1: {
		/* a random finite double, printed shortest-ish and exactly */
		uint64_t bits;
		double d;
		do {
			bits = rnd();
			memcpy(&d, &bits, sizeof d);
		} while (!isfinite(d));
		ml_buf_printf(b, "%.*g", rn(2) ? 17 : 1 + (int)rn(17), d);
		return;
	}
	default:
		/* random digits in the RFC grammar, often long */
		if (rn(2))
			addc(b, '-');
		if (rn(4) == 0) {
			addc(b, '0');
		} else {
			addc(b, (char)('1' + rn(9)));
			for (size_t n = rn(rn(5) ? 8 : 40); n--;)
				addc(b, (char)('0' + rn(10)));
		}
		if (rn(2)) {
			addc(b, '.');
			for (size_t n = 1 + rn(rn(5) ? 6 : 60); n--;)
				addc(b, (char)('0' + rn(10)));
		}
		if (rn(2)) {
			addc(b, rn(2) ? 'e' : 'E');
			if (rn(2))
				addc(b, rn(2) ? '+' : '-');
			for (size_t n = 1 + rn(3); n--;)
				addc(b, (char)('0' + rn(10)));
		}
	}
}

static void valid_value(struct ml_buf *b, int depth);

static void valid_array(struct ml_buf *b, int depth)
{
	size_t n = rn(5);

	addc(b, '[');
	ws(b);
	for (size_t i = 0; i < n; i++) {
		if (i) {
			ws(b);
			addc(b, ',');
			ws(b);
		}
		valid_value(b, depth + 1);
	}
	ws(b);
	addc(b, ']');
}

static void valid_members(struct ml_buf *b, size_t n, int depth)
{
	for (size_t i = 0; i < n; i++) {
		if (i) {
			ws(b);
			addc(b, ',');
		}
		ws(b);
		key(b);
		ws(b);
		addc(b, ':');
		ws(b);
		valid_value(b, depth + 1);
	}
	ws(b);
}

static void valid_object(struct ml_buf *b, int depth)
{
	addc(b, '{');
	valid_members(b, rn(5), depth);
	addc(b, '}');
}

static void valid_value(struct ml_buf *b, int depth)
{
	static const char *const lit[] = {"null", "true", "false"};

	switch (depth < 5 ? rn(12) : 2 + rn(10)) {
	case 0: valid_array(b, depth); break;
	case 1: valid_object(b, depth); break;
	case 2:
	case 3: adds(b, PICK(lit)); break;
	case 4:
	case 5:
	case 6:
	case 7: valid_number(b); break;
	default: valid_string(b); break;
	}
}

/* a valid record: 0..8 fields (sometimes 40), whitespace around */
static void valid_line(struct ml_buf *b)
{
	ws(b);
	addc(b, '{');
	valid_members(b, rn(10) == 0 ? 40 : rn(9), 0);
	addc(b, '}');
	ws(b);
}

/* Starts "{ valid fields, KEY: " so that the caller writes the value in
 * question next; close_record adds more valid fields and the brace. */
static void open_record(struct ml_buf *b)
{
	ws(b);
	addc(b, '{');
	valid_members(b, rn(3), 0);
	if (b->data[b->len - 1] != '{' && memchr(b->data, ':', b->len)) {
		ws(b);
		addc(b, ',');
	}
	ws(b);
	key(b);
	ws(b);
	addc(b, ':');
	ws(b);
}

static void close_record(struct ml_buf *b)
{
	size_t n = rn(3);

	if (n) {
		ws(b);
		addc(b, ',');
		valid_members(b, n, 0);
	}
	ws(b);
	addc(b, '}');
	ws(b);
}

/* the hole, sometimes inside an array or an object */
static void hole_open(struct ml_buf *b, int *wrap)
{
	*wrap = (int)rn(3);
	if (*wrap == 1) {
		adds(b, "[1, ");
	} else if (*wrap == 2) {
		adds(b, "{\"in\": ");
	}
}

static void hole_close(struct ml_buf *b, int wrap)
{
	if (wrap == 1)
		adds(b, rn(2) ? ", 2]" : "]");
	else if (wrap == 2)
		adds(b, "}");
}

/* ---- invalid lines, rejected by both ---------------------------------- */

static void invalid_line(struct ml_buf *b)
{
	static const char *const whole[] = {
		"", " ", "\t \r", "[1]", "[]", "\"x\"", "1", "true", "null", "-0",
		"{", "}", "{\"a\":1", "{\"a\":1,}", "{,\"a\":1}", "{\"a\":}",
		"{\"a\"}", "{\"a\":1,\"b\"}", "{:1}", "{\"a\" 1}", "{\"a\":1 \"b\":2}",
		"{a:1}", "{'a':1}", "{\"a\":1}x", "{\"a\":1}1", "{\"a\":1}]",
		"{\"a\":1}}", "{\"a\":1}{}", "{\"a\":1} {\"b\":2}", "{} {}", "{}[]",
		"{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\":[1 2]}", "{\"a\":[1,,2]}",
		"{\"a\":{\"b\":1,}}", "{\"a\":{\"b\"}}", "{\"a\":[}", "{\"a\":{]}",
		"{1:2}", "{null:1}", "{\"a\"::1}", "{\"a\":1:2}", "{\"a\",1}",
		"{\"a\":True}", "{\"a\":NULL}", "{\"a\":nul}", "{\"a\":truee}",
		"{\"a\":t}", "{\"a\":fals}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":1.5.3}",
		"{\"a\":0x10}", "{\"a\":1e5e5}", "{\"a\":--1}", "{\"a\":1-}",
		"{\"a\":.}", "{\"a\":e5}", "{\"a\":1ee5}", "{\"a\":1e+}", "{\"a\":-e1}",
		"{\"a\":\"x}", "{\"a\":\"x\\\"}", "{\"a\":\"\\x41\"}", "{\"a\":\"\\a\"}",
		"{\"a\":\"\\U0041\"}", "{\"a\":\"\\'\"}", "{\"a\":\"\\u12\"}",
		"{\"a\":\"\\u12G4\"}", "{\"a\":\"\\uD800\"}", "{\"a\":\"\\uD800x\"}",
		"{\"a\":\"\\uD800\\u0041\"}", "{\"a\":\"\\uDBFF\\uDBFF\"}",
		"{\"a\":\"\\uD83D\\\\uDE00\"}", "{\"a\":\"\\uD83D\"}", "{\"a\":\"\\",
		"{\"a\":\xC3\xA9}", "{\xC3\xA9:1}", "{\"a\":1}\xEF\xBB\xBF",
		"{\"a\":1}\x7F", "{\"a\":\x7F}", "\x7F{}", "{\"a\":1\x0B}",
		"{\"a\":1\x0C}", "\x0C{}", "{}\x0B", "{\"a\":[1]\x1E}",
		"{\"a\":\"x\x1E\"}", "\xEF\xBB{}", "\xEF{}", "{\"a\":1}\x1E{\"b\":2}",
		"{\"a\":tru\x1E}",
	};
	static const char *const bad_in_string[] = {
		"\x01", "\x02", "\x08", "\t", "\n", "\r", "\x1B", "\x1D",
		"\\uD800", "\\uDBFF", "\\uD800\\u0041", "\\uD800\\n", "\\uD800x",
		"\\uDC00\\uD800" /* the first is lenient, the second kills it */,
		"\\x", "\\a", "\\U0041", "\\0", "\\u", "\\u1", "\\u123", "\\uGGGG",
		"\\u-123", "\\ ",
	};
	int wrap;

	switch (rn(4)) {
	case 0:
	case 1:
		/* a template, whitespace around or whole */
		if (rn(2)) {
			adds(b, PICK(whole));
		} else {
			const char *t = PICK(whole);
			ws(b);
			addn(b, t, strlen(t));
			ws(b);
		}
		break;
	case 2:
		/* a bad piece inside a string of an otherwise valid record */
		open_record(b);
		hole_open(b, &wrap);
		addc(b, '"');
		for (size_t n = rn(3); n--;)
			valid_piece(b);
		adds(b, PICK(bad_in_string));
		addc(b, 'z');	/* so no hex digit completes a short \u escape */
		for (size_t n = rn(3); n--;)
			valid_piece(b);
		addc(b, '"');
		hole_close(b, wrap);
		close_record(b);
		break;
	default:
		/* a valid record cut short; a cut in the whitespace after
		 * the closing brace would leave it whole, so a line that
		 * still ends with '}' gets a second object */
		valid_line(b);
		b->len = b->len > 1 ? rn(b->len - 1) : 0;
		while (b->len && strchr(" \t\r\n", b->data[b->len - 1]))
			b->len--;
		if (b->len && b->data[b->len - 1] == '}')
			adds(b, "{}");
		break;
	}
}

/* templates with embedded NULs: C string literals stop at the NUL */
static const struct { const char *s; size_t n; } invalid_nul[] = {
	{"{\"a\":1}\0", 8},
	{"{\"a\":true\0}", 11},
	{"{\"a\":null\0}", 11},
	{"{\"a\"\0:1}", 8},
	{"\0{}", 3},
	{"{\0\"a\":1}", 8},
	{"{\"a\":nan\0}", 10},
	{"{\"a\":1 \0}", 9},
};

/* ---- lenient lines: jq 1.6 accepts, RFC 8259 (and we) reject ------------ */

static void lenient_line(struct ml_buf *b, enum cat c)
{
	static const char *const numbers[] = {
		"01", "-01", "00", "0001", "-00.5", "1.", "-1.", "1.e5", ".5",
		"-.5", ".5e3", "+1", "+0.5", "+1e5", "+0", "nan", "NaN", "NAN",
		"-nan", "inf", "-inf", "Inf", "INF", "infinity", "-infinity",
		"Infinity", "-Infinity", "INFINITY", "+inf", "+nan", "+Infinity",
	};
	static const struct { const char *s; size_t n; } nul_tokens[] = {
		{"1\0", 2}, {"\0", 1}, {"-5\0abc", 6}, {"1e5\0\0", 5},
		{"0\0x", 3}, {"12.5\0""99", 7}, {"\0\0", 2}, {"01\0", 3},
	};
	static const char *const bad_utf8[] = {
		"\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xE0\x9F\xBF",
		"\xF0\x80\x80\xAF", "\xF0\x8F\xBF\xBF", "\xED\xA0\x80",
		"\xED\xBF\xBF", "\xED\xAF\xBF\xED\xBF\xBF", "\xF4\x90\x80\x80",
		"\xF5\x80\x80\x80", "\xF7\xBF\xBF\xBF", "\xF8\x88\x80\x80\x80",
		"\xFC\x84\x80\x80\x80\x80", "\xFE", "\xFF", "\xE2\x82",
		"\xF0\x9F\x98", "\xF0\x9F", "\xC3", "\x80", "\xBF", "\x80\x80",
		"\xC3\xA9\xA9", "\xE2\x28\xA1", "\xC3\x28",
	};
	int wrap, in_key;

	switch (c) {
	case CAT_LEN_NUMBER:
	case CAT_LEN_NUL:
		open_record(b);
		hole_open(b, &wrap);
		if (c == CAT_LEN_NUMBER) {
			adds(b, PICK(numbers));
		} else {
			size_t i = rn(sizeof nul_tokens / sizeof nul_tokens[0]);
			addn(b, nul_tokens[i].s, nul_tokens[i].n);
		}
		hole_close(b, wrap);
		close_record(b);
		break;
	case CAT_LEN_UTF8:
	case CAT_LEN_CTRL:
	case CAT_LEN_SURR:
		open_record(b);
		hole_open(b, &wrap);
		in_key = rn(4) == 0;	/* in a key instead of a value */
		if (in_key)
			adds(b, "{");
		addc(b, '"');
		for (size_t n = rn(3); n--;)
			valid_piece(b);
		if (c == CAT_LEN_UTF8)
			adds(b, PICK(bad_utf8));
		else if (c == CAT_LEN_CTRL)
			addc(b, rn(2) ? '\x1F' : '\0');
		else
			put_u_escape(b, 0xDC00 + (unsigned)rn(0x400));
		for (size_t n = rn(3); n--;)
			valid_piece(b);
		addc(b, '"');
		if (in_key)
			adds(b, ":1}");
		hole_close(b, wrap);
		close_record(b);
		break;
	case CAT_LEN_BOM:
		adds(b, "\xEF\xBB\xBF");
		valid_line(b);
		break;
	default: /* CAT_LEN_RS */
		switch (rn(4)) {
		case 0:
			addc(b, '\x1E');
			valid_line(b);
			break;
		case 1:
			valid_line(b);
			addc(b, '\x1E');
			break;
		case 2:
			adds(b, "\x1E\x1E");
			valid_line(b);
			adds(b, "\x1E");
			break;
		default:
			addc(b, '\x1E');
			ws(b);
			valid_line(b);
			ws(b);
			addc(b, '\x1E');
			ws(b);
			break;
		}
		break;
	}
}

/* ---- depth ------------------------------------------------------------ */

/* A record nesting n containers inside its top-level object, following the
 * pattern ('a' array, 'o' object) cyclically; inner is what sits in the
 * middle. */
static void nested_line(struct ml_buf *b, const char *pattern, int n, const char *inner)
{
	size_t plen = strlen(pattern);

	adds(b, "{\"k\":");
	for (int i = 0; i < n; i++)
		adds(b, pattern[(size_t)i % plen] == 'a' ? "[" : "{\"k\":");
	adds(b, inner);
	for (int i = n; i-- > 0;)
		addc(b, pattern[(size_t)i % plen] == 'a' ? ']' : '}');
	addc(b, '}');
}

/* The same nesting as a whole document (no record around it). */
static void nested_doc(struct ml_buf *b, char kind, int n)
{
	for (int i = 0; i < n; i++)
		adds(b, kind == 'a' ? "[" : "{\"k\":");
	addc(b, '1');
	for (int i = 0; i < n; i++)
		addc(b, kind == 'a' ? ']' : '}');
}

/* ---- mutation ---------------------------------------------------------- */

static void mutate(struct ml_buf *b)
{
	static const char interesting[] = {
		'{', '}', '[', ']', ':', ',', '"', '\\', ' ', '\t', '\r', '\n',
		'0', '1', '-', '+', '.', 'e', 'E', 'u', 'n', 't', 'f', 'a', 'x',
		'\0', '\x01', '\x1E', '\x1F', '\x7F', '\x80', '\xBF', '\xC3',
		'\xED', '\xEF', '\xF4', '\xFF',
	};
	size_t ops = 1 + rn(3);

	while (ops--) {
		size_t at = b->len ? rn(b->len) : 0;
		switch (rn(6)) {
		case 0: /* flip a bit */
			if (b->len)
				b->data[at] ^= (char)(1u << rn(8));
			break;
		case 1: /* replace a byte */
			if (b->len)
				b->data[at] = rn(3) ? PICK(interesting) : (char)rn(256);
			break;
		case 2: /* insert a byte */
			ml_buf_reserve(b, 1);
			memmove(b->data + at + 1, b->data + at, b->len - at);
			b->data[at] = rn(3) ? PICK(interesting) : (char)rn(256);
			b->len++;
			break;
		case 3: /* delete a byte */
			if (b->len) {
				memmove(b->data + at, b->data + at + 1, b->len - at - 1);
				b->len--;
			}
			break;
		case 4: { /* duplicate a span */
			size_t n = b->len - at < 8 ? b->len - at : 1 + rn(8);
			ml_buf_reserve(b, n);
			memmove(b->data + at + n, b->data + at, b->len - at);
			b->len += n;
			break;
		}
		default: /* cut */
			b->len = at;
			break;
		}
	}
}

/* ---- comparison -------------------------------------------------------- */

static int failures;

static const char *show(const char *s, size_t n)
{
	static char out[1200];
	size_t k = 0;

	for (size_t i = 0; i < n && k < sizeof out - 16; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\')
			k += (size_t)sprintf(out + k, "\\\\");
		else if (c >= 0x20 && c < 0x7F)
			out[k++] = (char)c;
		else
			k += (size_t)sprintf(out + k, "\\x%02X", c);
		if (k >= 400 && i + 1 < n) {
			k += (size_t)sprintf(out + k, "...(%zu bytes)", n);
			break;
		}
	}
	out[k] = '\0';
	return out;
}

static void fail_line(const char *s, size_t n, enum cat c, const char *why)
{
	if (++failures <= 20)
		printf("# [%s] %s: %s\n", cat_name[c], why, show(s, n));
}

/* The corpus category of a leniency the reference found. */
static enum cat cat_of(enum ref_leniency k)
{
	static const enum cat map[] = {
		[REF_NONE] = CAT_VALID, [REF_NUMBER] = CAT_LEN_NUMBER, [REF_NUL] = CAT_LEN_NUL,
		[REF_UTF8] = CAT_LEN_UTF8, [REF_CTRL] = CAT_LEN_CTRL, [REF_SURR] = CAT_LEN_SURR,
		[REF_BOM] = CAT_LEN_BOM, [REF_RS] = CAT_LEN_RS,
	};
	return map[k];
}

/* ---- the run ------------------------------------------------------------ */

struct tally {
	size_t lines, both_ok, both_bad, lenient[NCAT], failed;
};

static struct tally tally[NCAT];
static struct ml_rec *rec;
static size_t utf8_disagreements;

static void check(const char *s, size_t n, enum cat c)
{
	struct ml_err err;
	struct tally *t = &tally[c];
	jv obj;
	int ours = ml_rec_parse(rec, s, n, &err) == 0;
	int theirs = ref_jq_object(s, n, &obj);
	const char *why = NULL;

	t->lines++;
	if (ml_utf8_valid_prefix(s, n) != ref_utf8_prefix(s, n))
		utf8_disagreements++;
	if (ours && theirs) {
		why = ref_compare(rec, obj);
		jv_free(obj);
		if (!why && (c == CAT_VALID || c == CAT_DEPTH || c == CAT_MUTANT))
			t->both_ok++;
		else if (!why)
			why = "both accept a line labelled otherwise";
	} else if (!ours && !theirs) {
		if (c == CAT_INVALID || c == CAT_DEPTH || c == CAT_MUTANT) {
			t->both_bad++;
		} else {
			static char buf[1200];
			snprintf(buf, sizeof buf, "both reject a line labelled otherwise (%s)", err.msg);
			why = buf;
		}
	} else if (ours) {
		why = "we accept, jq rejects";
	} else {
		jv_free(obj);
		enum cat k = cat_of(ref_explain(s, n, &err));
		if (k == CAT_VALID) {
			static char buf[1200];
			snprintf(buf, sizeof buf, "jq accepts, we reject (%s) at no known leniency", err.msg);
			why = buf;
		} else if (c == CAT_MUTANT || c == k) {
			t->lenient[k]++;
		} else {
			static char buf[1200];
			snprintf(buf, sizeof buf, "jq accepts, we reject at %s, not the labelled leniency (%s)",
				 cat_name[k], err.msg);
			why = buf;
		}
	}
	if (why) {
		t->failed++;
		fail_line(s, n, c, why);
	}
}

static void run(enum cat c, size_t count, void (*gen)(struct ml_buf *, enum cat))
{
	struct ml_buf b = {0};

	for (size_t i = 0; i < count; i++) {
		ml_buf_reset(&b);
		gen(&b, c);
		check(b.data ? b.data : "", b.len, c);
	}
	ml_buf_free(&b);
}

static void gen_valid(struct ml_buf *b, enum cat c) { (void)c; valid_line(b); }
static void gen_invalid(struct ml_buf *b, enum cat c) { (void)c; invalid_line(b); }
static void gen_lenient(struct ml_buf *b, enum cat c) { lenient_line(b, c); }

static void gen_mutant(struct ml_buf *b, enum cat c)
{
	(void)c;
	valid_line(b);
	mutate(b);
}

/* Depth: for each pattern, every nesting from 1 to 300 containers inside
 * the record object.  Returns, per pattern, the first n jq refuses, and
 * checks that we flip at the same n. */
static const char *const patterns[] = {"a", "o", "ao", "oa", "aao", "ooa"};
static int jq_first_refused[6], our_first_refused[6];

static void depth_run(void)
{
	static const char *const inners[] = {"1", "[]", "{}", "\"s\"", "[1,[2]]", "{\"x\":{}}"};
	struct ml_buf b = {0};
	struct ml_err err;

	for (size_t p = 0; p < 6; p++) {
		jq_first_refused[p] = our_first_refused[p] = 0;
		for (int n = 1; n <= 300; n++) {
			ml_buf_reset(&b);
			nested_line(&b, patterns[p], n, "1");
			jv obj;
			int theirs = ref_jq_object(b.data, b.len, &obj);
			int ours = ml_rec_parse(rec, b.data, b.len, &err) == 0;
			if (theirs)
				jv_free(obj);
			if (!theirs && !jq_first_refused[p])
				jq_first_refused[p] = n;
			if (!ours && !our_first_refused[p])
				our_first_refused[p] = n;
			check(b.data, b.len, CAT_DEPTH);
		}
		/* other things in the middle, just around the limit */
		for (int n = jq_first_refused[p] - 3; n <= jq_first_refused[p] + 1; n++) {
			for (size_t k = 0; k < sizeof inners / sizeof inners[0]; k++) {
				ml_buf_reset(&b);
				nested_line(&b, patterns[p], n, inners[k]);
				check(b.data, b.len, CAT_DEPTH);
			}
		}
	}
	ml_buf_free(&b);
}

/* Depth of whole documents (ml_json_scan_value at depth 0) against jq. */
static int doc_first_refused[2][2];	/* [array/object][jq/ours] */
static size_t doc_disagreements;

static void doc_depth_run(void)
{
	struct ml_buf b = {0};

	for (int k = 0; k < 2; k++) {
		for (int n = 1; n <= 300; n++) {
			struct ml_json_fail fail;
			enum ml_json_type type;
			ml_buf_reset(&b);
			nested_doc(&b, k ? 'o' : 'a', n);
			jv v = jv_parse_sized(b.data, (int)b.len);
			int theirs = jv_is_valid(v);
			jv_free(v);
			int ours = ml_json_scan_value(b.data, b.data + b.len, 0, &type, &fail) == b.data + b.len;
			if (!theirs && !doc_first_refused[k][0])
				doc_first_refused[k][0] = n;
			if (!ours && !doc_first_refused[k][1])
				doc_first_refused[k][1] = n;
			if (ours != theirs)
				doc_disagreements++;
		}
	}
	ml_buf_free(&b);
}

static size_t sum_lenient(enum cat c)
{
	size_t s = 0;

	for (int k = 0; k < NCAT; k++)
		s += tally[c].lenient[k];
	return s;
}

int main(void)
{
	rec = ml_rec_new();
	if (!rec)
		return 1;

	run(CAT_VALID, 4000, gen_valid);
	run(CAT_INVALID, 2000, gen_invalid);
	for (size_t i = 0; i < sizeof invalid_nul / sizeof invalid_nul[0]; i++)
		check(invalid_nul[i].s, invalid_nul[i].n, CAT_INVALID);
	depth_run();
	doc_depth_run();
	for (enum cat c = CAT_LEN_NUMBER; c <= CAT_LEN_RS; c++)
		run(c, 300, gen_lenient);
	run(CAT_MUTANT, 8000, gen_mutant);

	ok(tally[CAT_VALID].failed == 0 && tally[CAT_VALID].both_ok == tally[CAT_VALID].lines,
	   "jq and ml_rec_parse both accept all %zu valid lines and agree on every field's type, number bits, string bytes and nested value",
	   tally[CAT_VALID].lines);
	ok(tally[CAT_INVALID].failed == 0 && tally[CAT_INVALID].both_bad == tally[CAT_INVALID].lines,
	   "jq and ml_rec_parse both reject all %zu invalid lines (garbage, trailing commas, missing values, two objects, non-objects, bad escapes, lone high surrogates, control characters)",
	   tally[CAT_INVALID].lines);

	int depth_same = 1;
	for (size_t p = 0; p < 6; p++) {
		printf("# nesting inside a record, pattern %-3s: jq refuses %d containers, ml_rec_parse refuses %d\n",
		       patterns[p], jq_first_refused[p], our_first_refused[p]);
		if (jq_first_refused[p] != our_first_refused[p] || !jq_first_refused[p])
			depth_same = 0;
	}
	ok(depth_same && tally[CAT_DEPTH].failed == 0,
	   "ml_rec_parse refuses exactly the nestings jq does (%zu lines; arrays: the record plus %d, objects: the record plus %d)",
	   tally[CAT_DEPTH].lines, jq_first_refused[0] - 1, jq_first_refused[1] - 1);
	printf("# whole documents: jq refuses %d arrays (we %d) and %d objects (we %d)\n",
	       doc_first_refused[0][0], doc_first_refused[0][1],
	       doc_first_refused[1][0], doc_first_refused[1][1]);
	ok(doc_disagreements == 0 && doc_first_refused[0][0] == 257 && doc_first_refused[1][0] == 129,
	   "ml_json_scan_value at depth 0 agrees with jq on 1..300 nested arrays and objects (jq refuses the 257th array and the 129th object)");

	for (enum cat c = CAT_LEN_NUMBER; c <= CAT_LEN_RS; c++)
		ok(tally[c].failed == 0 && tally[c].lenient[c] == tally[c].lines,
		   "jq accepts and ml_rec_parse rejects, at the offending bytes, all %zu lines with %s",
		   tally[c].lines, cat_name[c]);

	struct tally *m = &tally[CAT_MUTANT];
	printf("# mutants: %zu accepted by both and equal, %zu rejected by both, %zu jq leniencies "
	       "(number %zu, NUL %zu, UTF-8 %zu, control %zu, surrogate %zu, BOM %zu, RS %zu)\n",
	       m->both_ok, m->both_bad, sum_lenient(CAT_MUTANT),
	       m->lenient[CAT_LEN_NUMBER], m->lenient[CAT_LEN_NUL], m->lenient[CAT_LEN_UTF8],
	       m->lenient[CAT_LEN_CTRL], m->lenient[CAT_LEN_SURR], m->lenient[CAT_LEN_BOM],
	       m->lenient[CAT_LEN_RS]);
	ok(m->failed == 0 && m->both_ok > 0 && m->both_bad > 0,
	   "on %zu random mutations of valid lines jq and ml_rec_parse agree (%zu accepted, %zu rejected) except %zu known jq leniencies",
	   m->lines, m->both_ok, m->both_bad, sum_lenient(CAT_MUTANT));

	size_t total = 0;
	for (int c = 0; c < NCAT; c++)
		total += tally[c].lines;
	ok(utf8_disagreements == 0,
	   "ml_utf8_valid_prefix agrees with an independent decoder on all %zu corpus lines", total);

	/* 1e400: what each side makes of it */
	{
		struct ml_err err;
		const char line[] = "{\"big\":1e400,\"neg\":-1e400,\"tiny\":-1e-400}";
		double big = 0, neg = 0, tiny = 1;
		jv obj;
		int parsed = ml_rec_parse(rec, line, sizeof line - 1, &err) == 0 &&
			     ml_rec_number(rec, 0, &big) == 0 && ml_rec_number(rec, 1, &neg) == 0 &&
			     ml_rec_number(rec, 2, &tiny) == 0;
		int theirs = ref_jq_object(line, sizeof line - 1, &obj);
		double jbig = theirs ? jv_number_value(jv_object_get(jv_copy(obj), jv_string("big"))) : 0;
		jv dumped = theirs ? jv_dump_string(jv_copy(obj), 0) : jv_string("");
		printf("# jq 1.6 dumps %s\n", jv_string_value(dumped));
		ok(parsed && theirs && isinf(big) && big > 0 && isinf(neg) && neg < 0 &&
		   tiny == 0 && signbit(tiny) && isinf(jbig) && jbig > 0 &&
		   strstr(jv_string_value(dumped), "1.7976931348623157e+308") != NULL,
		   "1e400 decodes to +inf in both (jq 1.6 holds +inf and only prints it as 1.7976931348623157e+308); -1e-400 is -0");
		jv_free(dumped);
		if (theirs)
			jv_free(obj);
	}

	if (failures > 20)
		printf("# ... and %d more failing lines\n", failures - 20);
	ml_rec_free(rec);
	return tap_done();
}
