/* Unit tests of the profile reader (common/ml_profile_json.c): a profile
 * reads back to the same bytes, the lines the reader accepted when it was
 * built on libjq are still accepted, and bad lines are refused in the same
 * words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_profile.h"
#include "ml_rec.h"
#include "tap.h"

static const struct ml_profile_opts opts = {.top = 10, .bins = 20};
static struct ml_err err;

/* The profile of n made-up records: numbers (plain, with exponents, -0,
 * large), a few strings, more distinct strings than are counted exactly
 * when wide, booleans and nulls. */
static int profile_text(size_t n, int wide, struct ml_buf *out)
{
	struct ml_profile *p = ml_profile_new(&opts);
	struct ml_rec *r = ml_rec_new();
	struct ml_buf line = {0};
	int rc = p && r ? 0 : -1;

	for (size_t i = 0; i < n && rc == 0; i++) {
		ml_buf_reset(&line);
		ml_buf_printf(&line, "{\"id\":%zu,\"x\":%.3f,\"e\":%ge%d,\"z\":%s,\"s\":\"%s\",\"b\":%s,\"w\":\"v%zu\",\"nul\":null}",
			      i, (double)(i % 97) / 7.0 - 3, (double)(i % 13) + 0.5, (int)(i % 40) - 20,
			      i % 5 ? "0" : "-0", i % 3 ? "a\\u00e9" : "b\\\"q", i % 4 ? "true" : "false",
			      wide ? i : i % 7);
		rc = ml_rec_parse(r, line.data, line.len, &err);
		if (rc == 0)
			rc = ml_profile_add(p, r, &err);
	}
	if (rc == 0)
		rc = ml_profile_to_ndjson(p, out);
	ml_buf_free(&line);
	ml_rec_free(r);
	ml_profile_free(p);
	return rc;
}

/* Reads the profile text[0..n) and writes it back into out: 0, or -1 with
 * err (the line number in front, as the programs print it). */
static int read_back(const char *text, size_t n, struct ml_buf *out)
{
	struct ml_profile_reader *rd = ml_profile_reader_new(&opts);
	struct ml_profile *p = NULL;
	const char *line = text, *end = text + n;
	int rc = rd ? 0 : -1;

	for (size_t no = 1; line < end && rc >= 0; no++) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
		rc = ml_profile_reader_line(rd, line, len, &err);
		if (rc < 0)
			ml_err_prefix(&err, "%zu", no);
		else if (rc == 1 && !p)
			p = ml_profile_reader_take(rd);
		line += len + 1;
	}
	if (rc >= 0)
		rc = ml_profile_reader_end(rd, &err);
	if (rc >= 0)
		rc = p ? ml_profile_to_ndjson(p, out) : -1;
	ml_profile_free(p);
	ml_profile_reader_free(rd);
	return rc < 0 ? -1 : 0;
}

/* text with the first occurrence of from (after the start of the line that
 * begins with line_start) replaced by to, into out; 0, or -1 if absent. */
static int edit(const struct ml_buf *text, const char *line_start, const char *from, const char *to,
		struct ml_buf *out)
{
	const char *at = strstr(text->data, line_start);
	const char *hit = at ? strstr(at, from) : NULL;

	if (!hit)
		return -1;
	ml_buf_reset(out);
	ml_buf_add(out, text->data, (size_t)(hit - text->data));
	ml_buf_adds(out, to);
	ml_buf_adds(out, hit + strlen(from));
	return ml_buf_terminate(out);
}

/* The profile, edited, reads back to the bytes of the profile unedited. */
static int edit_reads_the_same(const struct ml_buf *text, const char *line_start, const char *from,
			       const char *to)
{
	struct ml_buf edited = {0}, back = {0}, want = {0};
	int same = edit(text, line_start, from, to, &edited) == 0 &&
		   read_back(edited.data, edited.len, &back) == 0 &&
		   read_back(text->data, text->len, &want) == 0 &&
		   back.len == want.len && memcmp(back.data, want.data, back.len) == 0;

	if (!same)
		printf("# %s\n", err.msg);
	ml_buf_free(&edited);
	ml_buf_free(&back);
	ml_buf_free(&want);
	return same;
}

/* The profile, edited, is refused with exactly the message want. */
static int edit_refused(const struct ml_buf *text, const char *line_start, const char *from, const char *to,
			const char *want)
{
	struct ml_buf edited = {0}, back = {0};
	int refused = edit(text, line_start, from, to, &edited) == 0 &&
		      read_back(edited.data, edited.len, &back) < 0 && strcmp(err.msg, want) == 0;

	if (!refused)
		printf("# got: %s\n", err.msg);
	ml_buf_free(&edited);
	ml_buf_free(&back);
	return refused;
}

static void test_round_trip(void)
{
	struct ml_buf text = {0}, back = {0};

	ok(profile_text(3000, 0, &text) == 0 && read_back(text.data, text.len, &back) == 0 &&
	   back.len == text.len && memcmp(back.data, text.data, text.len) == 0,
	   "a profile reads back to the same bytes");
	ml_buf_reset(&text);
	ml_buf_reset(&back);
	ok(profile_text(12000, 1, &text) == 0 && strstr(text.data, "\"exact\":false") &&
	   read_back(text.data, text.len, &back) == 0 &&
	   back.len == text.len && memcmp(back.data, text.data, text.len) == 0,
	   "a profile with a summary of many distinct strings reads back to the same bytes");
	ml_buf_free(&text);
	ml_buf_free(&back);
}

/* The sketch and the string counts are read from the line's own text; they
 * were read from the text libjq printed back, which merged a key given
 * twice, wrote 800.0 as 800 and took out spaces and escapes. */
/* One edit of a profile's text: in the line that starts with line, the
 * first from becomes to; what it must read as (message: the refusal, or
 * NULL when it reads as the unedited text) and what that says. */
struct edit {
	const char *line, *from, *to, *message, *says;
};

static const struct edit read_the_same[] = {
	{"{\"column\":\"x\"", "\"sketch\":{\"k\":800", "\"sketch\":{\"k\":800.0", NULL,
	 "a sketch's k written 800.0 reads as 800"},
	{"{\"column\":\"x\"", "\"sketch\":{\"k\":800", "\"sketch\":{\"k\":8e2", NULL,
	 "a sketch's k written 8e2 reads as 800"},
	{"{\"column\":\"x\"", "\"sketch\":{\"k\":800", "\"sketch\":{\"k\":5,\"k\":800", NULL,
	 "a key twice in a sketch reads as its last value"},
	{"{\"column\":\"x\"", "\"sketch\":{\"k\":800,", "\"sketch\": { \"\\u006b\" : 800 , ", NULL,
	 "spaces and an escaped key in a sketch read as plain ones"},
	{"{\"column\":\"s\"", "\"counts\":{\"exact\":true", "\"counts\":{\"exact\":false,\"exact\":true", NULL,
	 "a key twice in string counts reads as its last value"},
	{"{\"column\":\"s\"", "\"values\":[[\"a", "\"values\":[[\"\\u0061", NULL,
	 "an escaped string value in the counts reads as the plain one"},
	{"{\"format\"", "\"version\":1", "\"version\":1.0", NULL, "version 1.0 is version 1"},
	{"{\"column\":\"x\"", "\"types\":{", "\"types\":7,\"types\":{", NULL,
	 "a key twice in a line reads as its last value"},
};

static const struct edit refused[] = {
	{"{\"column\":\"x\"", "{\"column\":\"x\"", "{} {\"column\":\"x\"",
	 "3: malformed profile line: text after the value at byte 2",
	 "a line that is not one JSON value is refused where it goes wrong"},
	{"{\"column\":\"x\"", "\"zeros\":0", "\"zeros\":0.",
	 "4: malformed profile line: invalid number (no digit after '.') at byte 310",
	 "a number libjq reads but JSON does not (0.) is refused"},
	{"{\"column\":\"x\"", "{\"column\":\"x\"", "[{\"column\":\"x\"",
	 "3: malformed profile line: expected ',' or ']' in array at byte 9345",
	 "a line cut or spliced inside is refused as malformed"},
	{"{\"format\"", "\"version\":1", "\"version\":\"1\"",
	 "1: profile \"version\" is not a number (this reads version 1)",
	 "a version that is not a number is refused"},
	{"{\"column\":\"x\"", "\"sketch\":{\"k\":800", "\"sketch\":{\"k\":800,\"k\":\"x\"",
	 "3: column 'x': sketch: expected a number at byte 5",
	 "a bad sketch is refused in the words (and at the byte) of the text libjq printed"},
	{"{\"column\":\"x\"", "\"sketch\":{\"k\":800", "\"sketch\":{\"k\":800,\"j\":1",
	 "3: column 'x': sketch: unknown key \"j\"", "a sketch with an unknown key is refused"},
	{"{\"column\":\"s\"", "\"counts\":{\"exact\":true", "\"counts\":{\"exact\":1",
	 "6: column 's': counts: categorical counts: expected true or false for \"exact\" at byte 9",
	 "bad string counts are refused"},
	{"{\"column\":\"x\"", "\"mean\":", "\"average\":",
	 "3: column 'x': \"number\" lacks a count or a moment", "numbers without their mean are refused"},
};

/* The sketch and the string counts are read from the line's own text; they
 * were read from the text libjq printed back, which merged a key given
 * twice, wrote 800.0 as 800 and took out spaces and escapes. */
static void test_what_libjq_accepted(const struct ml_buf *text)
{
	for (size_t i = 0; i < sizeof read_the_same / sizeof read_the_same[0]; i++) {
		const struct edit *e = &read_the_same[i];
		ok(edit_reads_the_same(text, e->line, e->from, e->to), "%s", e->says);
	}
}

static void test_refusals(const struct ml_buf *text)
{
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		const struct edit *e = &refused[i];
		ok(edit_refused(text, e->line, e->from, e->to, e->message), "%s", e->says);
	}
	struct ml_buf arr = {0}, back = {0};
	ml_buf_add(&arr, text->data, (size_t)(strchr(text->data, '\n') + 1 - text->data));
	ml_buf_adds(&arr, "[1,2]\n");
	ok(read_back(arr.data, arr.len, &back) < 0 && strcmp(err.msg, "2: a profile line must be a JSON object") == 0,
	   "a line that is JSON but not an object is refused as such");
	ml_buf_free(&arr);
	ml_buf_free(&back);
}

/* The one difference: a number beyond a double's range in a sketch was read
 * as the largest double (libjq printed it so); now it is infinite, as
 * strtod reads it and as the line's other numbers always were. */
static void test_overflow_is_infinite(const struct ml_buf *text)
{
	struct ml_buf edited = {0}, back = {0};
	const char *x = strstr(text->data, "{\"column\":\"x\"");
	const char *min = x ? strstr(strstr(x, "\"sketch\":"), "\"min\":") + 6 : NULL;
	const char *after;

	if (!min)
		return;
	ml_buf_add(&edited, text->data, (size_t)(min - text->data));
	ml_buf_adds(&edited, "-1e400");
	ml_buf_adds(&edited, strchr(min, ','));
	ok(read_back(edited.data, edited.len, &back) == 0 &&
	   (min = strstr(strstr(strstr(back.data, "{\"column\":\"x\""), "\"sketch\":"), "\"min\":")) &&
	   (after = strchr(min, ',')) && after - min == 12 && strncmp(min, "\"min\":\"-inf\"", 12) == 0,
	   "a sketch's min of -1e400 reads as -inf");
	ml_buf_free(&edited);
	ml_buf_free(&back);
}

static void test_truncated(const struct ml_buf *text)
{
	struct ml_buf back = {0};
	const char *last = text->data + text->len - 1;

	while (last > text->data && last[-1] != '\n')
		last--;
	ok(read_back(text->data, (size_t)(last - text->data), &back) < 0 &&
	   strcmp(err.msg, "the profile ends 1 column line early (truncated?)") == 0,
	   "a profile without its last line is refused as truncated");
	ml_buf_free(&back);
}

int main(void)
{
	struct ml_buf text = {0};

	test_round_trip();
	if (profile_text(3000, 0, &text) < 0)
		return 1;
	test_what_libjq_accepted(&text);
	test_refusals(&text);
	test_overflow_is_infinite(&text);
	test_truncated(&text);
	ml_buf_free(&text);
	return tap_done();
}
