/* Fuzzes jq gate and expectation compilation (ml_jq_compile, with the
 * field scan ml_jq_fields_of), and runs what compiles on a record.
 *
 * Input: the expression, then optionally a NUL byte and one NDJSON record.
 * Every expression is compiled.  When it compiles and the record parses,
 * and the expression is "safe to run" (short, only builtins that end fast
 * and stay small: see safe_to_run), it is run with ml_jq_test and
 * ml_jq_value, and differentially against libjq given the whole record:
 * ml_jq hands an expression that reads only named fields an object of just
 * those fields (ml_jq.h), and promises the same result.  A different test
 * outcome or a different first value is a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jq.h>
#include <jv.h>

#include "fuzz_util.h"
#include "ml_buf.h"
#include "ml_err.h"
#include "ml_jq.h"
#include "ml_rec.h"

static struct ml_rec *rec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (!(rec = ml_rec_new()))
		abort();
	return 0;
}

/* Builtins that end quickly on a small input and keep it small; anything
 * else (recursion, ranges, regexes, input, now, env, paths of huge
 * structures, libjq 1.6's assertion-prone implode) is compiled only. */
static const char *const allowed_words[] = {
	"if", "then", "elif", "else", "end", "and", "or", "not", "true", "false", "null",
	"empty", "try", "catch", "error", "length", "utf8bytelength", "keys", "keys_unsorted",
	"has", "in", "map", "map_values", "select", "type", "tostring", "tonumber",
	"ascii_downcase", "ascii_upcase", "startswith", "endswith", "ltrimstr", "rtrimstr",
	"add", "any", "all", "floor", "sqrt", "fabs", "min", "max", "sort", "unique", "reverse",
	"to_entries", "from_entries", "with_entries", "tojson", "first", "last", "values",
	"nulls", "numbers", "strings", "booleans", "arrays", "objects", "iterables", "scalars",
	"isnan", "isinfinite", "isnormal", "as", "getpath", "del", "contains", "inside",
	"join", "abs", "round", "ceil", "has", "index", "rindex", "indices", "infinite", "nan",
};

static int allowed(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof allowed_words / sizeof *allowed_words; i++)
		if (strlen(allowed_words[i]) == n && memcmp(allowed_words[i], w, n) == 0)
			return 1;
	return 0;
}

static int safe_to_run(const char *e)
{
	size_t n = strlen(e);

	if (n > 48)
		return 0;	/* (.+.) chained: growth bounded by the length */
	for (const char *p = e; *p;) {
		if (*p == '"') {
			/* a string literal: its words are data (escapes refused below) */
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\')
					return 0;
			if (*p)
				p++;
			continue;
		}
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_') {
			const char *w = p;
			while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
			       (*p >= '0' && *p <= '9'))
				p++;
			/* a field name after a dot is data, not a builtin */
			if (w > e && w[-1] == '.')
				continue;
			if (!allowed(w, (size_t)(p - w)))
				return 0;
			continue;
		}
		if (*p == '*' || *p == '$' || *p == '@' || *p == '\\' || *p == '#')
			return 0;	/* repetition; $ENV/$__loc__; formats; string escapes */
		if (*p >= '0' && *p <= '9') {
			const char *d = p;
			while (*p >= '0' && *p <= '9')
				p++;
			if (p - d > 2)
				return 0;	/* no big indices: .[99] at most */
			continue;
		}
		p++;
	}
	return 1;
}

static void quiet(void *data, jv msg)
{
	(void)data;
	jv_free(msg);
}

/* The reference: the expression on the whole record, through libjq. */
static int reference(const char *expr, const char *line, size_t len, int *test, struct ml_buf *first)
{
	jq_state *jq = jq_init();
	int rc = -1;

	if (!jq)
		abort();
	jq_set_error_cb(jq, quiet, NULL);
	if (!jq_compile(jq, expr))
		goto out;
	jq_start(jq, jv_parse_sized(line, (int)len), 0);
	int got = 0, n = 0;
	*test = 1;
	for (;;) {
		jv v = jq_next(jq);
		if (!jv_is_valid(v)) {
			if (jv_invalid_has_msg(jv_copy(v))) {
				*test = 0;
				if (n == 0)
					ml_buf_adds(first, "<error>");
			}
			jv_free(v);
			break;
		}
		if (n++ == 0) {
			jv s = jv_dump_string(jv_copy(v), 0);
			ml_buf_adds(first, jv_string_value(s));
			jv_free(s);
		}
		jv_kind k = jv_get_kind(v);
		jv_free(v);
		got = 1;
		if (k == JV_KIND_FALSE || k == JV_KIND_NULL) {
			*test = 0;
			break;
		}
	}
	if (!got)
		*test = 0;
	rc = 0;
out:
	jq_teardown(&jq);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t elen = nul ? (size_t)(nul - data) : size;
	char *expr = fuzz_strndup(data, elen);
	struct ml_err err;

	/* the field scan alone, on text that need not compile */
	char **names;
	size_t n;
	int whole = ml_jq_fields_of(expr, &names, &n);
	FUZZ_CHECK(whole >= 0, "ml_jq_fields_of: out of memory");
	if (whole == 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}

	/* libjq 1.6 leaks on some compile errors: not ours to report */
	if (__lsan_disable)
		__lsan_disable();
	struct ml_jq *q = ml_jq_compile(expr, &err);
	if (__lsan_enable)
		__lsan_enable();
	if (!q) {
		FUZZ_CHECK(err.msg[0], "ml_jq_compile failed with no message");
		free(expr);
		return 0;
	}
	FUZZ_CHECK(strcmp(ml_jq_text(q), expr) == 0, "ml_jq_text is not the expression");
	FUZZ_CHECK(ml_jq_whole(q) == (whole == 1), "ml_jq_whole disagrees with ml_jq_fields_of");
	for (size_t i = 0; i < ml_jq_nfields(q); i++)
		(void)strlen(ml_jq_field(q, i));

	if (nul && safe_to_run(expr)) {
		size_t len = size - elen - 1;
		char *line = malloc(len ? len : 1);
		memcpy(line, nul + 1, len);
		if (ml_rec_parse(rec, line, len, &err) == 0) {
			struct ml_buf why = {0}, value = {0}, first = {0};
			int ours = ml_jq_test(q, rec, line, len, &why, &err);
			FUZZ_CHECK(ours >= 0, "ml_jq_test: %s", err.msg);
			int got = ml_jq_value(q, rec, line, len, &value, &why, &err);
			FUZZ_CHECK(got >= 0, "ml_jq_value: %s", err.msg);
			int theirs;
			/* a whole-record expression runs the reference's own path */
			if (!ml_jq_whole(q) && reference(expr, line, len, &theirs, &first) == 0) {
				FUZZ_CHECK(ours == theirs,
					   "ml_jq_test says %d, jq on the whole record %d: expr %s on %.*s",
					   ours, theirs, expr, (int)(len > 500 ? 500 : len), line);
				if (got == 1)
					FUZZ_CHECK(first.len == value.len &&
						   memcmp(first.data, value.data, value.len) == 0,
						   "ml_jq_value gives %.*s, jq on the whole record %.*s: expr %s on %.*s",
						   (int)value.len, value.data, (int)first.len,
						   first.data ? first.data : "", expr,
						   (int)(len > 500 ? 500 : len), line);
			}
			ml_buf_free(&why);
			ml_buf_free(&value);
			ml_buf_free(&first);
		}
		free(line);
	}
	ml_jq_free(q);
	free(expr);
	return 0;
}
