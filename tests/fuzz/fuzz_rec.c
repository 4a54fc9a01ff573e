/* Fuzzes the NDJSON record reader (ml_rec_parse and every accessor) and the
 * ml_json scanners it is built on.
 *
 * The input is one line.  Beyond "no crash, no sanitizer report", the
 * harness checks invariants: each field's raw value span rescans to itself
 * with the same type; ml_rec_find of a decoded key finds the last field
 * with that key; a value written as canonical JSON, and a record rebuilt
 * field by field (ml_recw), and a record with one field replaced
 * (ml_rec_write_with), parse again. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "ml_buf.h"
#include "ml_err.h"
#include "ml_json.h"
#include "ml_out.h"
#include "ml_rec.h"

static struct ml_rec *rec, *again;
static struct ml_out *out;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ml_err err;

	(void)argc, (void)argv;
	fuzz_stdout_null();
	rec = ml_rec_new();
	again = ml_rec_new();
	if (!rec || !again || !(out = ml_out_open("-", &err)))
		abort();
	ml_out_no_hash(out);
	return 0;
}

/* s[0..n) must be a record: wraps the check with a message. */
static void must_parse(const char *what, const char *s, size_t n)
{
	struct ml_err err;

	if (ml_rec_parse(again, s, n, &err) < 0)
		FUZZ_FAIL("%s does not parse again: %s: %.*s", what, err.msg, (int)(n > 300 ? 300 : n), s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the line in a buffer of its own size, so a read past it is caught */
	char *line = malloc(size ? size : 1);
	struct ml_err err;
	struct ml_buf k = {0}, v = {0}, tmp = {0}, scratch = {0};
	struct ml_recw w = {0};

	memcpy(line, data, size);

	/* the scanners on their own, on the whole input */
	size_t vp = ml_utf8_valid_prefix(line, size);
	FUZZ_CHECK(vp <= size, "ml_utf8_valid_prefix past the end");
	(void)ml_utf8_chars(line, vp);
	(void)ml_json_is_number(line, size);
	ml_json_quote_lossy(&scratch, line, size);
	ml_buf_reset(&scratch);
	{
		struct ml_json_fail fail;
		enum ml_json_type t;
		const char *p = ml_json_skip_ws(line, line + size);
		if (p < line + size) {
			const char *e = ml_json_scan_value(p, line + size, 0, &t, &fail);
			FUZZ_CHECK(!e || (e > p && e <= line + size), "ml_json_scan_value end out of range");
			if (e)
				ml_json_minify(&scratch, p, (size_t)(e - p));
		}
	}

	if (ml_rec_parse(rec, line, size, &err) < 0) {
		FUZZ_CHECK(strlen(err.msg) > 0, "parse failed with no message");
		goto out;
	}
	size_t n = ml_rec_count(rec);
	ml_recw_begin(&w);
	for (size_t i = 0; i < n; i++) {
		size_t klen, vlen;
		int escaped;
		const char *kraw = ml_rec_key_raw(rec, i, &klen, &escaped);
		const char *vraw = ml_rec_value_raw(rec, i, &vlen);
		enum ml_json_type t = ml_rec_type(rec, i);

		FUZZ_CHECK(kraw >= line && kraw + klen <= line + size, "key span outside the line");
		FUZZ_CHECK(vraw >= line && vraw + vlen <= line + size, "value span outside the line");
		FUZZ_CHECK(vlen > 0, "empty value span");

		/* the value span rescans to exactly itself, with the same type */
		struct ml_json_fail fail;
		enum ml_json_type t2;
		const char *e = ml_json_scan_value(vraw, vraw + vlen, 1, &t2, &fail);
		FUZZ_CHECK(e == vraw + vlen && t2 == t, "value span of field %zu does not rescan", i);

		ml_buf_reset(&k);
		if (ml_rec_key(rec, i, &k) < 0)
			abort();
		FUZZ_CHECK(escaped || (k.len == klen && (!klen || memcmp(k.data, kraw, klen) == 0)),
			   "unescaped key decodes to other bytes");
		FUZZ_CHECK(ml_json_string_equals(kraw, klen, escaped, k.data ? k.data : "", k.len),
			   "ml_json_string_equals disagrees with ml_rec_key");
		ssize_t at = ml_rec_find(rec, k.data ? k.data : "", k.len);
		FUZZ_CHECK(at >= (ssize_t)i, "ml_rec_find of field %zu's key gives %zd", i, at);
		if (at != (ssize_t)i) {
			/* a later duplicate: its key must decode the same */
			struct ml_buf k2 = {0};
			ml_rec_key(rec, (size_t)at, &k2);
			FUZZ_CHECK(k2.len == k.len && (!k.len || memcmp(k2.data, k.data, k.len) == 0),
				   "ml_rec_find found a different key");
			ml_buf_free(&k2);
		}

		double x;
		int isnum = ml_rec_number(rec, i, &x) == 0;
		FUZZ_CHECK(isnum == (t == ML_JSON_NUMBER), "ml_rec_number and the type disagree");
		if (isnum)
			FUZZ_CHECK(!isnan(x), "a JSON number decoded to NaN");
		ml_buf_reset(&v);
		int isstr = ml_rec_string(rec, i, &v) == 0;
		FUZZ_CHECK(isstr == (t == ML_JSON_STRING), "ml_rec_string and the type disagree");
		if (isstr)
			FUZZ_CHECK(ml_utf8_valid_prefix(v.data ? v.data : "", v.len) == v.len,
				   "a decoded string is not valid UTF-8");

		/* canonical JSON text of the value is a valid value */
		ml_buf_reset(&v);
		ml_buf_adds(&v, "{\"k\":");
		if (ml_rec_value_json(rec, i, &v, &tmp) < 0)
			abort();
		ml_buf_addc(&v, '}');
		must_parse("ml_rec_value_json's text", v.data, v.len);

		/* copy the field into a rebuilt record */
		if (ml_recw_copy(&w, rec, i) < 0)
			abort();
	}
	/* the rebuilt record parses and has the same fields */
	{
		struct ml_buf line2 = {0};
		ml_buf_add(&line2, w.line.data ? w.line.data : "", w.line.len);
		if (!w.nfields)
			ml_buf_addc(&line2, '{');
		ml_buf_addc(&line2, '}');
		must_parse("a record rebuilt with ml_recw_copy", line2.data, line2.len);
		FUZZ_CHECK(ml_rec_count(again) == n, "rebuilt record has %zu fields, not %zu",
			   ml_rec_count(again), n);
		ml_buf_free(&line2);
	}
	/* the body is a prefix of the line */
	{
		size_t blen;
		const char *body = ml_rec_body(rec, &blen);
		FUZZ_CHECK(body >= line && body + blen <= line + size, "body outside the line");
	}
	/* a field set (replaced or appended) is written without error */
	if (ml_rec_write_with(out, rec, "k", 1, "1", 1) < 0)
		FUZZ_FAIL("ml_rec_write_with failed on /dev/null");
	if (n) {
		ml_buf_reset(&k);
		ml_rec_key(rec, n - 1, &k);
		ml_buf_terminate(&k);
		/* keys with a NUL cannot be named by a C string: skip those */
		if (memchr(k.data, '\0', k.len) == NULL &&
		    ml_rec_write_with(out, rec, k.data, k.len, "null", 4) < 0)
			FUZZ_FAIL("ml_rec_write_with failed on /dev/null");
	}
out:
	ml_recw_free(&w);
	ml_buf_free(&k);
	ml_buf_free(&v);
	ml_buf_free(&tmp);
	ml_buf_free(&scratch);
	free(line);
	return 0;
}
