/* ml_jq: which fields an expression reads, and that giving it only those
 * fields never changes its verdict.  The reference is libjq itself run on
 * the whole record parsed by libjq's own parser, as `jq` would run it. */
#include <jq.h>
#include <jv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_jq.h"
#include "ml_rec.h"
#include "tap.h"

/* names: the expected fields joined by commas, or NULL for the whole record */
static void expect_fields(const char *expr, const char *names)
{
	char **v = NULL;
	size_t n = 0;
	int rc = ml_jq_fields_of(expr, &v, &n);
	struct ml_buf got = {0};

	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (i)
			ml_buf_addc(&got, ',');
		ml_buf_adds(&got, v[i]);
		free(v[i]);
	}
	free(rc == 0 ? v : NULL);
	ml_buf_terminate(&got);
	char shown[200];
	snprintf(shown, sizeof shown, "%s", expr);
	for (char *p = shown; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (!names)
		ok(rc == 1, "%s needs the whole record", shown);
	else
		ok(rc == 0 && strcmp(got.data ? got.data : "", names) == 0,
		   "%s reads just %s (got %s)", shown, names, rc ? "the whole record" : got.data);
	ml_buf_free(&got);
}

/* The verdict of libjq on the whole record: 1 holds, 0 not. */
static int reference(const char *expr, const char *line)
{
	jq_state *jq = jq_init();
	int verdict = 1, got = 0;

	if (!jq_compile(jq, expr)) {
		jq_teardown(&jq);
		return -1;
	}
	jq_start(jq, jv_parse(line), 0);
	for (;;) {
		jv v = jq_next(jq);
		jv_kind k = jv_get_kind(v);
		jv_free(v);
		if (k == JV_KIND_INVALID) {
			/* an error message ends it as a failure; plain end does not */
			break;
		}
		got = 1;
		if (k == JV_KIND_FALSE || k == JV_KIND_NULL) {
			verdict = 0;
			break;
		}
	}
	jq_teardown(&jq);
	return got ? verdict : 0;
}

static int reference_errors(const char *expr, const char *line)
{
	jq_state *jq = jq_init();
	int error = 0;

	jq_compile(jq, expr);
	jq_start(jq, jv_parse(line), 0);
	for (;;) {
		jv v = jq_next(jq);
		if (!jv_is_valid(v)) {
			error = jv_invalid_has_msg(v);
			break;
		}
		if (jv_get_kind(v) == JV_KIND_FALSE || jv_get_kind(v) == JV_KIND_NULL) {
			jv_free(v);
			break;
		}
		jv_free(v);
	}
	jq_teardown(&jq);
	return error;
}

static void quiet(void *data, jv msg)
{
	(void)data;
	jv_free(msg);
}

int main(void)
{
	expect_fields(".age >= 18", "age");
	expect_fields(".age >= .years_employed", "age,years_employed");
	expect_fields(".a.b == 1 and .c[0] > 2", "a,b,c");
	expect_fields("(.income // 0) < 1e7", "income");
	expect_fields(".\"a b\" == \"x\"", "a b");
	expect_fields(".\"caf\\u00e9\" != null", "caf\xc3\xa9");
	expect_fields(".name | test(\"^A\")", "name");
	expect_fields(".name | length > 2", "name");
	expect_fields("if .a then .b else .c end", "a,b,c");
	expect_fields("\"\\(.first) \\(.last)\" != \" \"", "first,last");
	expect_fields(".x | not", "x");
	expect_fields(".x > 0.5 and .y < .5", "x,y");
	expect_fields("# a comment with .hidden\n.shown > 0", "shown");
	/* a name after a variable is taken too: a field more costs nothing */
	expect_fields("$__loc__.line > 0 and .a", "line,a");
	expect_fields("length > 3", NULL);
	expect_fields("keys | length > 3", NULL);
	expect_fields(". != null", NULL);
	expect_fields(".[\"a\"] > 1", NULL);
	expect_fields("[.[]] | length > 0", NULL);
	expect_fields(".. | numbers", NULL);
	expect_fields("has(\"a\")", NULL);
	expect_fields("{a} | .a > 1", NULL);
	/* shorthand keys read fields too: {"b"} is {"b": .b} (found by fuzzing) */
	expect_fields("{\"b\"} | .b > 1", NULL);
	expect_fields("{\"\\(.x)\"} | length > 0", NULL);
	expect_fields(".a as $x | length > $x", NULL);
	expect_fields("def f: .a; f > 1", NULL);
	expect_fields("reduce .a as $x (0; . + $x)", NULL);
	expect_fields(".a, length", NULL);
	expect_fields(".a |= length", NULL);
	expect_fields("tojson | length > 2", NULL);
	expect_fields("@base64 | length > 0", NULL);
	expect_fields("select(.a > 1) | keys | length > 0", NULL);
	expect_fields("\"\\(.)\" | length > 0", NULL);

	/* the verdicts: subset and whole agree on every record */
	static const char *const exprs[] = {
		".age >= 18", ".age >= .years", ".a.b == 1", "(.income // 0) < 1e7",
		".name | test(\"^A\")", ".name | length > 2", "if .a then .b else .c end",
		"\"\\(.a)-\\(.b)\" != \"null-null\"", ".x | not", ".tags[0] == \"t\"",
		".age + .name", ".missing", "empty", ".a, .b", "length > 3", "keys == [\"a\",\"b\"]",
		".\"a b\" == 2", ".a | tostring | length == 1", ".a == 1.0", "[.a, .b] | add > 1",
		".obj.k == [1,2]", ".a // .b", "error(\"boom\")", ".a | error",
	};
	static const char *const records[] = {
		"{\"age\":30,\"years\":10,\"name\":\"Ann\",\"a\":1,\"b\":2}",
		"{\"age\":17,\"years\":20,\"name\":\"Bob\",\"a\":null,\"b\":false,\"c\":\"c\"}",
		"{\"age\":\"x\",\"name\":3,\"income\":2e7,\"x\":false,\"tags\":[\"t\",\"u\"]}",
		"{\"a\":{\"b\":1},\"a b\":2,\"obj\":{\"k\":[1,2]},\"tags\":[]}",
		"{}",
		"{\"a\":1,\"a\":2,\"b\":0.5}",
		"{\"name\":\"A\\u00e9\\n\",\"age\":1e400,\"x\":true}",
	};
	struct ml_rec *r = ml_rec_new();
	struct ml_buf why = {0};
	struct ml_err err;
	for (size_t e = 0; e < sizeof exprs / sizeof *exprs; e++) {
		struct ml_jq *q = ml_jq_compile(exprs[e], &err);
		ok(q != NULL, "%s compiles", exprs[e]);
		if (!q)
			continue;
		int agree = 1;
		for (size_t i = 0; i < sizeof records / sizeof *records; i++) {
			const char *line = records[i];
			if (ml_rec_parse(r, line, strlen(line), &err) < 0)
				continue;
			int got = ml_jq_test(q, r, line, strlen(line), &why, &err);
			int want = reference(exprs[e], line);
			if (got != want) {
				printf("# %s on %s: got %d (%s), want %d\n", exprs[e], line, got,
				       why.data ? why.data : "", want);
				agree = 0;
			}
			if (got == 0 && reference_errors(exprs[e], line) &&
			    strncmp(why.data, "jq error: ", 10) != 0) {
				printf("# %s on %s: an error reads as '%s'\n", exprs[e], line, why.data);
				agree = 0;
			}
		}
		ok(agree, "%s gives libjq's verdict on every record (%s)", exprs[e],
		   ml_jq_whole(q) ? "whole record" : "fields only");
		ml_jq_free(q);
	}

	struct ml_jq *bad = ml_jq_compile(".a >", &err);
	ok(!bad && strstr(err.msg, "jq: error") && strstr(err.msg, "compile") && !strchr(err.msg, '\n'),
	   "an expression that does not compile is refused with libjq's message (%s)", err.msg);
	(void)quiet;
	ml_rec_free(r);
	ml_buf_free(&why);
	return tap_done();
}
