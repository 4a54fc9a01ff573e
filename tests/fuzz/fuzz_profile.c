/* Fuzzes the profile reader (ml_profile_json.c): NDJSON lines fed to
 * ml_profile_reader_line, and in a second reader merged line by line
 * (ml_profile_reader_merge_line), as ml-stats --merge and ml-drift read
 * profiles.  Every profile read is finished, written back
 * (ml_profile_to_ndjson), read again (a profile the reader accepted and the
 * writer wrote must be accepted again), and given to ml_schema_infer, whose
 * schema must parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "ml_buf.h"
#include "ml_err.h"
#include "ml_profile.h"
#include "ml_rec.h"
#include "ml_schema.h"

static struct ml_rec *rec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (!(rec = ml_rec_new()))
		abort();
	return 0;
}

/* Feeds text[0..n) line by line; calls got() with each whole profile. */
static int feed(struct ml_profile_reader *rd, const char *text, size_t n, int check,
		void (*got)(struct ml_profile *))
{
	const char *p = text, *end = text + n;
	struct ml_err err;
	struct ml_buf tmp = {0};
	int failed = 0;

	while (p < end && !failed) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = malloc(len ? len : 1);
		memcpy(line, p, len);
		(void)ml_profile_is_first_line(rec, line, len, &tmp);
		int r = ml_profile_reader_line(rd, line, len, &err);
		if (r < 0) {
			FUZZ_CHECK(!check, "a profile written by ml_profile_to_ndjson is refused: %s", err.msg);
			FUZZ_CHECK(err.msg[0], "reader failed with no message");
			failed = 1;
		} else if (r == 1) {
			struct ml_profile *pr = ml_profile_reader_take(rd);
			FUZZ_CHECK(pr, "reader said complete, take gave NULL");
			if (got)
				got(pr);
			ml_profile_free(pr);
		}
		free(line);
		p += len + 1;
	}
	if (!failed && ml_profile_reader_end(rd, &err) < 0) {
		FUZZ_CHECK(!check, "a profile written by ml_profile_to_ndjson is truncated: %s", err.msg);
		failed = 1;
	}
	ml_buf_free(&tmp);
	return failed ? -1 : 0;
}

static const struct ml_profile_opts opts = {.top = 10, .bins = 10};

static void roundtrip(struct ml_profile *p)
{
	struct ml_err err;
	struct ml_buf text = {0}, schema = {0};

	if (ml_profile_finish(p, &err) < 0)
		FUZZ_FAIL("ml_profile_finish: %s", err.msg);
	for (size_t i = 0; i < ml_profile_ncolumns(p); i++) {
		struct ml_column *c = ml_profile_column(p, i);
		(void)ml_column_missing(p, c);
		(void)ml_numstats_std(&c->num);
	}
	if (ml_profile_to_ndjson(p, &text) < 0)
		abort();
	struct ml_profile_reader *rd = ml_profile_reader_new(&opts);
	feed(rd, text.data ? text.data : "", text.len, 1, NULL);
	ml_profile_reader_free(rd);

	struct ml_infer_opts io = {.margin = 0.1, .max_domain = 10, .by = "fuzz"};
	if (ml_schema_infer(p, &io, &schema) < 0)
		abort();
	struct ml_schema *s = ml_schema_parse(schema.data ? schema.data : "", schema.len, &err);
	FUZZ_CHECK(s, "the schema inferred from a profile does not parse: %s\n%.*s", err.msg,
		   (int)(schema.len > 2000 ? 2000 : schema.len), schema.data ? schema.data : "");
	ml_schema_free(s);
	ml_buf_free(&text);
	ml_buf_free(&schema);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ml_err err;
	char *text = malloc(size ? size : 1);

	memcpy(text, data, size);
	struct ml_profile_reader *rd = ml_profile_reader_new(&opts);
	if (!rd)
		abort();
	feed(rd, text, size, 0, roundtrip);
	ml_profile_reader_free(rd);

	/* merging, as ml-stats --merge does */
	struct ml_profile *into = ml_profile_new(&opts);
	rd = ml_profile_reader_new(&opts);
	const char *p = text, *end = text + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (ml_profile_reader_merge_line(rd, p, len, into, &err) < 0)
			break;
		p += len + 1;
	}
	if (ml_profile_finish(into, &err) == 0) {
		struct ml_buf out = {0};
		ml_profile_to_ndjson(into, &out);
		ml_buf_free(&out);
	}
	ml_profile_reader_free(rd);
	ml_profile_free(into);
	free(text);
	return 0;
}
