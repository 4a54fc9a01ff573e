/* libsvm / svmlight sparse lines: "LABEL [qid:N] IDX:VAL ... [# comment]"
 * become {"label":LABEL,"qid":N,"fIDX":VAL,...}. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ingest.h"
#include "ml_json.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Builds the record of one line in out; NULL or why it cannot. */
static const char *convert(struct ml_buf *out, const char *p, const char *end)
{
	const char *hash = memchr(p, '#', (size_t)(end - p));
	int first = 1;

	if (hash)
		end = hash;
	ml_buf_reset(out);
	ml_buf_addc(out, '{');
	while (p < end) {
		while (p < end && is_space(*p))
			p++;
		if (p == end)
			break;
		const char *t = p;
		while (p < end && !is_space(*p))
			p++;
		size_t n = (size_t)(p - t);
		if (first) {
			/* "+1" is how svmlight writes positive labels */
			if (n > 1 && t[0] == '+') {
				t++;
				n--;
			}
			if (!ml_json_is_number(t, n))
				return "the label is not a number";
			ml_buf_adds(out, "\"label\":");
			ml_buf_add(out, t, n);
			first = 0;
			continue;
		}
		const char *colon = memchr(t, ':', n);
		if (!colon || colon == t)
			return "expected INDEX:VALUE";
		size_t kn = (size_t)(colon - t), vn = n - kn - 1;
		if (!ml_json_is_number(colon + 1, vn))
			return "a feature value is not a number";
		if (kn == 3 && memcmp(t, "qid", 3) == 0) {
			ml_buf_adds(out, ",\"qid\":");
		} else {
			for (size_t i = 0; i < kn; i++)
				if (t[i] < '0' || t[i] > '9')
					return "a feature index is not a number";
			ml_buf_adds(out, ",\"f");
			ml_buf_add(out, t, kn);
			ml_buf_adds(out, "\":");
		}
		ml_buf_add(out, colon + 1, vn);
	}
	if (first)
		return "no label";
	if (ml_buf_addc(out, '}') < 0)
		return "out of memory";
	return NULL;
}

int read_libsvm(struct ingest *g, struct stream *s, struct ml_err *err)
{
	struct ml_lines *lines = ml_lines_new(stream_read, s);
	struct ml_rec *r = ml_rec_new();
	struct ml_buf rec = {0};
	struct ml_err why;
	const char *line;
	size_t len;
	int got, rc = 0;

	if (!lines || !r) {
		ml_lines_free(lines);
		ml_rec_free(r);
		return ml_err_sys(err, ENOMEM, "%s", g->place);
	}
	while ((got = ml_lines_next(lines, &line, &len, err)) > 0) {
		uint64_t number = ml_lines_number(lines);
		const char *p = line, *end = line + len;
		while (p < end && is_space(*p))
			p++;
		if (p == end || *p == '#')
			continue;
		g->read++;
		const char *bad = convert(&rec, p, end);
		if (bad)
			rc = emit_reject(g, number, bad, line, len, err);
		else if (ml_rec_parse(r, rec.data, rec.len, &why) < 0)
			rc = emit_reject(g, number, why.msg, line, len, err);
		else
			rc = emit_keyed(g, r, rec.data, rec.len, err);
		if (rc < 0)
			break;
	}
	if (got < 0)
		rc = -1;
	ml_buf_free(&rec);
	ml_rec_free(r);
	ml_lines_free(lines);
	return rc;
}
