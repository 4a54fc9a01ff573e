/* Unit tests of common/ml_rec: the record index, decoding, and writing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ml_buf.h"
#include "ml_out.h"
#include "ml_rec.h"
#include "tap.h"
#include "testfiles.h"

#define S(lit) lit, sizeof(lit) - 1

static struct ml_rec *r;
static struct ml_err err;
static char dir[] = "/tmp/test_rec.XXXXXX";

static int parse(const char *line, size_t n)
{
	return ml_rec_parse(r, line, n, &err);
}

static ssize_t find(const char *key)
{
	return ml_rec_find(r, key, strlen(key));
}

/* Field i's raw value equals want. */
static int raw_is(ssize_t i, const char *want)
{
	size_t n;
	const char *v;

	if (i < 0)
		return 0;
	v = ml_rec_value_raw(r, (size_t)i, &n);
	return n == strlen(want) && memcmp(v, want, n) == 0;
}

static int string_is(ssize_t i, const char *want, size_t wn)
{
	struct ml_buf b = {0};
	int eq;

	if (i < 0 || ml_rec_string(r, (size_t)i, &b) < 0)
		return 0;
	eq = b.len == wn && (wn == 0 || memcmp(b.data, want, wn) == 0);
	ml_buf_free(&b);
	return eq;
}

static double number(const char *key)
{
	double d = NAN;
	ssize_t i = find(key);

	if (i < 0 || ml_rec_number(r, (size_t)i, &d) < 0)
		return NAN;
	return d;
}

/* Runs write(out) into a fresh file and returns what landed there. */
static char *written(int (*write)(struct ml_out *, void *), void *ctx, int *rc)
{
	char path[256];
	struct ml_out *o;
	char *text;

	snprintf(path, sizeof path, "%s/out.ndjson", dir);
	if (!(o = ml_out_open(path, &err)))
		return NULL;
	*rc = write(o, ctx);
	if (ml_out_commit(o, &err) < 0)
		*rc = -1;
	ml_out_free(o);
	text = slurp(path, NULL);
	unlink(path);
	return text;
}

struct with {
	const char *line, *key, *val;
};

static int write_with(struct ml_out *o, void *ctx)
{
	struct with *w = ctx;

	if (parse(w->line, strlen(w->line)) < 0)
		return -1;
	return ml_rec_write_with(o, r, w->key, strlen(w->key), w->val, strlen(w->val));
}

/* The line written by ml_rec_write_with(line, key, val). */
static int with_gives(const char *line, const char *key, const char *val, const char *want)
{
	struct with w = {line, key, val};
	int rc = 0;
	char *got = written(write_with, &w, &rc);
	int eq = got && rc == 0 && strcmp(got, want) == 0;

	if (!eq)
		printf("# got: %s", got ? got : "(nothing)\n");
	free(got);
	return eq;
}

static void test_parse(void)
{
	const char line[] = "{\"n\":1.5,\"s\":\"x\\ty\",\"t\":true,\"f\":false,\"z\":null,\"a\":[1,{\"b\":2}],\"o\":{\"c\":[]}}";

	ok(parse(S(line)) == 0, "parse accepts an object with every kind of value");
	ok(ml_rec_count(r) == 7, "count is the number of top-level fields (nested ones not counted)");
	ok(ml_rec_type(r, 0) == ML_JSON_NUMBER && ml_rec_type(r, 1) == ML_JSON_STRING &&
	   ml_rec_type(r, 2) == ML_JSON_TRUE && ml_rec_type(r, 3) == ML_JSON_FALSE &&
	   ml_rec_type(r, 4) == ML_JSON_NULL && ml_rec_type(r, 5) == ML_JSON_ARRAY &&
	   ml_rec_type(r, 6) == ML_JSON_OBJECT, "type tells each field's JSON type");
	ok(raw_is(find("a"), "[1,{\"b\":2}]") && raw_is(find("o"), "{\"c\":[]}") && raw_is(find("s"), "\"x\\ty\""),
	   "value_raw is the value's exact bytes (strings with their quotes)");
	ok(find("b") < 0 && find("c") < 0, "find does not see nested keys");
	ok(find("missing") < 0 && find("") < 0, "find returns -1 for an absent key");

	ok(parse(S("{}")) == 0 && ml_rec_count(r) == 0, "parse accepts the empty object");
	ok(parse(S(" \t{ \r }\t ")) == 0 && ml_rec_count(r) == 0, "parse accepts whitespace around and inside the braces");
	ok(parse(S("{ \"a\" : 1 , \"b\" :\t\"x\" }")) == 0 && raw_is(find("a"), "1") && raw_is(find("b"), "\"x\""),
	   "value spans leave out the whitespace around values");
}

static void test_duplicates_and_keys(void)
{
	size_t n;
	int escaped;
	const char *k;
	struct ml_buf b = {0};

	ok(parse(S("{\"a\":1,\"b\":2,\"a\":3}")) == 0 && ml_rec_count(r) == 3,
	   "parse keeps every occurrence of a duplicate key");
	ok(find("a") == 2 && raw_is(find("a"), "3"), "find returns the last occurrence of a duplicate key, as jq does");
	ok(parse(S("{\"a\":1,\"\\u0061\":2}")) == 0 && raw_is(find("a"), "2"),
	   "find treats differently escaped spellings of a key as the same key");
	ok(parse(S("{\"x\\u0000y\":1,\"\\ud83d\\ude00\":2}")) == 0 &&
	   ml_rec_find(r, "x\0y", 3) == 0 && find("\xF0\x9F\x98\x80") == 1,
	   "find decodes \\u0000 and surrogate pairs in keys");
	k = ml_rec_key_raw(r, 1, &n, &escaped);
	ok(n == 12 && memcmp(k, "\\ud83d\\ude00", 12) == 0 && escaped == 1,
	   "key_raw gives the key's bytes between the quotes and says it has escapes");
	k = ml_rec_key_raw(r, 0, &n, NULL);
	ok(n == 8 && memcmp(k, "x\\u0000y", 8) == 0, "key_raw takes a NULL escaped pointer");
	ml_rec_key(r, 1, &b);
	ok(b.len == 4 && memcmp(b.data, "\xF0\x9F\x98\x80", 4) == 0, "key decodes the key");
	ml_buf_free(&b);
	ok(parse(S("{\"plain\":1}")) == 0 && (ml_rec_key_raw(r, 0, &n, &escaped), escaped == 0),
	   "key_raw says a key without backslashes has no escapes");
	ok(ml_rec_key_text(r, 0, &n, &b) == ml_rec_key_raw(r, 0, &n, NULL) && n == 5 && b.len == 0,
	   "key_text gives a key without escapes as its bytes in the line, scratch untouched");
	ok(parse(S("{\"a\\u0062\":1,\"\\\\\":2,\"\\u00e9t\\u00e9\":3}")) == 0, "parse takes escaped keys");
	k = ml_rec_key_text(r, 0, &n, &b);
	ok(k == b.data && n == 2 && memcmp(k, "ab", 2) == 0, "key_text decodes an escaped key into scratch");
	k = ml_rec_key_text(r, 1, &n, &b);
	ok(n == 1 && k[0] == '\\', "key_text resets scratch first (an escaped backslash alone)");
	k = ml_rec_key_text(r, 2, &n, &b);
	ok(n == 5 && memcmp(k, "\xC3\xA9t\xC3\xA9", 5) == 0, "key_text decodes \\u escapes to UTF-8");
	ml_buf_free(&b);
}

static void test_numbers(void)
{
	double d;
	char longnum[200];

	ok(parse(S("{\"a\":1.5,\"z\":-0,\"big\":1e400,\"nbig\":-1e400,\"tiny\":1e-400,\"i\":12345678901234567890,"
		   "\"e\":1.5e+10,\"E\":1E5,\"s\":\"1\"}")) == 0, "parse accepts the number forms of RFC 8259");
	ok(number("a") == 1.5 && number("e") == 1.5e10 && number("E") == 1e5, "number decodes decimals and exponents");
	ok(number("z") == 0 && signbit(number("z")), "number keeps the sign of -0");
	ok(isinf(number("big")) && number("big") > 0 && isinf(number("nbig")) && number("nbig") < 0,
	   "number turns 1e400 into +inf and -1e400 into -inf");
	ok(number("tiny") == 0 && !signbit(number("tiny")), "number turns 1e-400 into 0");
	ok(number("i") == 12345678901234567890.0, "number rounds a 20-digit integer to the nearest double");
	ok(ml_rec_number(r, (size_t)find("s"), &d) < 0, "number refuses a string, even one holding digits");
	memset(longnum, '0', sizeof longnum);
	memcpy(longnum, "{\"l\":0.", 7);
	memcpy(longnum + 150, "1e150}", 6);
	ok(parse(longnum, 156) == 0 && number("l") == 1e6, "number decodes a number longer than its stack buffer");
	ok(parse(S("{\"p\":0.1,\"q\":2.2250738585072011e-308,\"h\":9007199254740993}")) == 0 &&
	   number("p") == 0.1 && number("q") == 2.2250738585072011e-308 && number("h") == 9007199254740992.0,
	   "number is correctly rounded (0.1, a subnormal boundary, 2^53+1)");
}

static void test_strings(void)
{
	ok(parse(S("{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\",\"e\":\"\",\"n\":1}")) == 0,
	   "parse accepts strings with every escape");
	ok(string_is(find("s"), S("a\"b\\c/d\b\f\n\r\t\xC3\xA9\xF0\x9F\x98\x80")),
	   "string decodes every escape, surrogate pairs to 4-byte UTF-8");
	ok(string_is(find("e"), "", 0), "string decodes the empty string");
	{
		struct ml_buf b = {0};
		ok(ml_rec_string(r, (size_t)find("n"), &b) < 0 && b.len == 0,
		   "string refuses a number and appends nothing");
		ml_buf_free(&b);
	}
	ok(parse(S("{\"raw\":\"\xC3\xA9\xE2\x82\xAC\"}")) == 0 && string_is(0, S("\xC3\xA9\xE2\x82\xAC")),
	   "string copies raw UTF-8 as it is");
}

static int has(const char *msg, const char *part)
{
	return strstr(msg, part) != NULL;
}

static void test_errors(void)
{
	ok(parse(S("")) < 0 && err.kind == ML_ERR_DATA && has(err.msg, "empty line"),
	   "parse rejects an empty line, saying so");
	ok(parse(S("[1,2]")) < 0 && has(err.msg, "record is a JSON array, not an object"),
	   "parse rejects a top-level array, naming its type");
	ok(parse(S("\"x\"")) < 0 && has(err.msg, "JSON string") && parse(S("3")) < 0 && has(err.msg, "JSON number") &&
	   parse(S("null")) < 0 && has(err.msg, "JSON null"), "parse rejects top-level scalars, naming their type");
	ok(parse(S("{\"a\":1}x")) < 0 && has(err.msg, "malformed JSON: trailing text after the object (column 8)"),
	   "parse rejects trailing garbage with its column");
	ok(parse(S("{\"a\":1} {\"b\":2}")) < 0 && has(err.msg, "(column 9)"), "parse rejects two objects on a line");
	ok(parse(S("{\"a\":1,}")) < 0 && has(err.msg, "expected a string key (column 8)"),
	   "parse rejects a trailing comma");
	ok(parse(S("{\"a\":}")) < 0 && has(err.msg, "(column 6)"), "parse rejects a missing value");
	ok(parse(S("{\"a\" 1}")) < 0 && has(err.msg, "expected ':' after key"), "parse rejects a missing colon");
	ok(parse(S("{\"a\":1 \"b\":2}")) < 0 && has(err.msg, "expected ',' or '}' in object"),
	   "parse rejects a missing comma");
	ok(parse(S("{\"a\":1")) < 0 && parse(S("{")) < 0 && parse(S("{\"a")) < 0, "parse rejects a cut-off object");
	ok(parse(S("{\"a\":01}")) < 0 && has(err.msg, "leading zero"), "parse rejects a leading zero");
	ok(parse(S("{\"a\":\"\xFF\"}")) < 0 && has(err.msg, "invalid UTF-8 in string (column 7)"),
	   "parse rejects invalid UTF-8 and points at the byte");
	ok(parse(S("{\"a\":\"\\udc00\"}")) < 0 && has(err.msg, "lone low surrogate"),
	   "parse rejects a lone low surrogate escape");
	ok(parse(S("\xEF\xBB\xBF{}")) < 0 && has(err.msg, "(column 1)"), "parse rejects a byte order mark");
	ok(parse(S("{\"a\":1}")) == 0, "parse works again after errors");
}

static void test_wide_and_reuse(void)
{
	struct ml_buf line = {0};
	int all = 1;

	for (int round = 0; round < 3; round++) {
		int n = round == 1 ? 5 : 1000;
		ml_buf_reset(&line);
		ml_buf_addc(&line, '{');
		for (int i = 0; i < n; i++)
			ml_buf_printf(&line, "%s\"k%d\":%d", i ? "," : "", i, i);
		ml_buf_addc(&line, '}');
		if (parse(line.data, line.len) < 0 || ml_rec_count(r) != (size_t)n)
			all = 0;
		char key[16];
		snprintf(key, sizeof key, "k%d", n - 1);
		double d = number(key);
		if (d != n - 1)
			all = 0;
	}
	ok(all, "the index grows to 1000 fields and is reused for narrower and wider records");
	ml_buf_free(&line);
}

static void test_body(void)
{
	size_t n;
	const char *b;

	parse(S("{\"a\":1, \"b\":[2] }  "));
	b = ml_rec_body(r, &n);
	ok(n == 16 && memcmp(b, "{\"a\":1, \"b\":[2] ", n) == 0,
	   "body is the line up to (not including) the closing brace");
	parse(S("  {}"));
	b = ml_rec_body(r, &n);
	ok(n == 3 && memcmp(b, "  {", 3) == 0, "body of an empty object ends after its opening brace");
}

static void test_write_with(void)
{
	ok(with_gives("{\"a\":1,\"b\":2}", "a", "\"x\"", "{\"a\":\"x\",\"b\":2}\n"),
	   "write_with replaces a field's value in place");
	ok(with_gives("{ \"a\" : 1 ,\"b\":  [2, 3]  }", "b", "null", "{ \"a\" : 1 ,\"b\":  null  }\n"),
	   "write_with keeps every other byte, whitespace included");
	ok(with_gives("{\"a\":1,\"a\":2}", "a", "3", "{\"a\":3}\n"),
	   "write_with replaces the last occurrence of a duplicate key and leaves the earlier one out");
	ok(with_gives("{ \"a\" : 1 , \"b\":2, \"\\u0061\":0,\"c\":[1],\"a\":2 }", "a", "3",
		      "{ \"b\":2, \"c\":[1],\"a\":3 }\n"),
	   "write_with leaves out every earlier occurrence of the key, escaped spellings too, from its quote to the next field's");
	ok(with_gives("{\"\\u0061\":1}", "a", "2", "{\"\\u0061\":2}\n"),
	   "write_with finds a key spelled with escapes and keeps its spelling");
	ok(with_gives("{\"a\":1}", "part", "\"train\"", "{\"a\":1,\"part\":\"train\"}\n"),
	   "write_with appends a field that is not there");
	ok(with_gives("{\"a\":1 , \"b\":2 } ", "c", "true", "{\"a\":1 , \"b\":2 ,\"c\":true}\n"),
	   "write_with appends after the last field, before the closing brace");
	ok(with_gives("{}", "k", "1", "{\"k\":1}\n") && with_gives(" { } ", "k", "1", "{\"k\":1}\n"),
	   "write_with appends to an empty object");
	ok(with_gives("{\"a\":1}", "q\"uote\\back\nslash", "1",
		      "{\"a\":1,\"q\\\"uote\\\\back\\nslash\":1}\n"),
	   "write_with quotes an appended key that needs escapes");
	ok(with_gives("{\"a\":1}", "\x01", "1", "{\"a\":1,\"\\u0001\":1}\n"),
	   "write_with escapes a control character in an appended key");
	ok(with_gives("{\"q\\\"k\":1}", "q\"k", "2", "{\"q\\\"k\":2}\n"),
	   "write_with replaces (not appends) a key that holds a quote");
}

static int write_recw(struct ml_out *o, void *ctx)
{
	struct ml_recw *w = ctx;
	int rc = 0;

	parse(S("{\"id\" : 7, \"name\":\"\\u00e9\"}"));
	ml_recw_begin(w);
	rc |= ml_recw_add(w, S("n"), S("1.50"));
	rc |= ml_recw_copy(w, r, 1);
	rc |= ml_recw_add_string(w, S("s"), S("a\"b\n"));
	rc |= ml_recw_add(w, S("k\"ey"), S("[1, 2]"));
	rc |= ml_recw_end(w, o);
	ml_recw_begin(w);
	rc |= ml_recw_end(w, o);
	ml_recw_begin(w);
	rc |= ml_recw_copy(w, r, 0);
	rc |= ml_recw_end(w, o);
	return rc;
}

static void test_recw(void)
{
	struct ml_recw w = {0};
	int rc = 0;
	char *got = written(write_recw, &w, &rc);

	ok(got && rc == 0, "recw writes records to an ml_out");
	const char first[] = "{\"n\":1.50,\"name\":\"\\u00e9\",\"s\":\"a\\\"b\\n\",\"k\\\"ey\":[1, 2]}\n";
	ok(got && strncmp(got, first, sizeof first - 1) == 0,
	   "recw adds raw values as given, copies fields as their original bytes and quotes keys and strings");
	ok(got && strstr(got, "\n{}\n") != NULL, "recw writes an empty record as {}");
	ok(got && strstr(got, "\n{\"id\":7}\n") != NULL && got[strlen(got) - 1] == '\n',
	   "recw starts over after begin (nothing left from the last record)");
	free(got);
	ml_recw_free(&w);
}

static void test_has_duplicates(void)
{
	char wide[4096];
	size_t o = 0;

	ok(parse(S("{}")) == 0 && ml_rec_has_duplicates(r) == 0 &&
	   parse(S("{\"a\":1}")) == 0 && ml_rec_has_duplicates(r) == 0,
	   "has_duplicates: no key twice in {} and one field");
	ok(parse(S("{\"f1\":1,\"f2\":2,\"g1\":3,\"f11\":4,\"\":5}")) == 0 && ml_rec_has_duplicates(r) == 0,
	   "has_duplicates: keys alike in length and first and last bytes are not duplicates");
	ok(parse(S("{\"a\":1,\"b\":2,\"a\":3}")) == 0 && ml_rec_has_duplicates(r) == 1,
	   "has_duplicates finds a key twice");
	ok(parse(S("{\"\":1,\"b\":2,\"\":3}")) == 0 && ml_rec_has_duplicates(r) == 1,
	   "has_duplicates finds the empty key twice");
	ok(parse(S("{\"a\":1,\"\\u0061\":2}")) == 0 && ml_rec_has_duplicates(r) == 1,
	   "has_duplicates finds a key spelled with an escape the second time");
	ok(parse(S("{\"a\\u0062\":1,\"ab\":2,\"c\":3}")) == 0 && ml_rec_has_duplicates(r) == 1,
	   "has_duplicates finds a key spelled with an escape the first time");
	/* 200 fields: the hash set; k0..k199, then k7 again */
	o += (size_t)snprintf(wide + o, sizeof wide - o, "{");
	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(wide + o, sizeof wide - o, "%s\"k%d\":%d", i ? "," : "", i, i);
	size_t open_len = o;
	o += (size_t)snprintf(wide + o, sizeof wide - o, "}");
	ok(parse(wide, o) == 0 && ml_rec_has_duplicates(r) == 0, "has_duplicates: 200 keys, none twice");
	o = open_len + (size_t)snprintf(wide + open_len, sizeof wide - open_len, ",\"k7\":0}");
	ok(parse(wide, o) == 0 && ml_rec_has_duplicates(r) == 1, "has_duplicates: 201 keys, one twice");
	o = open_len + (size_t)snprintf(wide + open_len, sizeof wide - open_len, ",\"k\\u0037\":0}");
	ok(parse(wide, o) == 0 && ml_rec_has_duplicates(r) == 1,
	   "has_duplicates: 201 keys, one twice with an escape");
}

int main(void)
{
	if (!mkdtemp(dir) || !(r = ml_rec_new())) {
		printf("Bail out! no temporary directory or memory\n");
		return 1;
	}
	test_parse();
	test_duplicates_and_keys();
	test_has_duplicates();
	test_numbers();
	test_strings();
	test_errors();
	test_wide_and_reuse();
	test_body();
	test_write_with();
	test_recw();
	ml_rec_free(r);
	rmdir(dir);
	return tap_done();
}
