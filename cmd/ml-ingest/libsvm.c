/* libsvm / svmlight sparse lines: "LABEL [qid:N] IDX:VAL ... [# comment]"
 * become {"label":LABEL,"qid":N,"fIDX":VAL,...}. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "ml_json.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The feature indices of a line, to find one given twice (which would give
 * the record two fields of one name). */
struct indices {
	unsigned long long *v;
	size_t n, cap;
	int unsorted;
};

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
	return x < y ? -1 : x > y;
}

static const char *add_index(struct indices *ix, unsigned long long i)
{
	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 64;
		unsigned long long *v = realloc(ix->v, cap * sizeof *v);
		if (!v)
			return type_no_memory;
		ix->v = v;
		ix->cap = cap;
	}
	if (ix->n && i <= ix->v[ix->n - 1]) {
		if (i == ix->v[ix->n - 1])
			return "a feature index is given twice";
		ix->unsorted = 1;
	}
	ix->v[ix->n++] = i;
	return NULL;
}

/* Indices in ascending order, as LIBSVM writes them, are checked as they
 * come; others are sorted here. */
static const char *check_indices(struct indices *ix)
{
	if (!ix->unsorted)
		return NULL;
	qsort(ix->v, ix->n, sizeof *ix->v, cmp_ull);
	for (size_t i = 1; i < ix->n; i++)
		if (ix->v[i] == ix->v[i - 1])
			return "a feature index is given twice";
	return NULL;
}

/* Builds the record of one line in out; NULL or why it cannot. */
static const char *convert(struct ml_buf *out, struct indices *ix, const char *p, const char *end)
{
	const char *hash = memchr(p, '#', (size_t)(end - p));
	int first = 1, qid = 0;
	const char *why;

	if (hash)
		end = hash;
	ix->n = 0;
	ix->unsorted = 0;
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
			if (n > 1 && t[0] == '+' && t[1] != '-') {
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
			if (qid++)
				return "qid is given twice";
			ml_buf_adds(out, ",\"qid\":");
		} else {
			unsigned long long index = 0;
			for (size_t i = 0; i < kn; i++) {
				if (t[i] < '0' || t[i] > '9')
					return "a feature index is not a number";
				index = index * 10 + (unsigned)(t[i] - '0');
			}
			if (kn > 19)	/* 19 digits fit in 64 bits */
				return "a feature index is too large";
			if ((why = add_index(ix, index)))
				return why;
			/* as a number: 007 and 7 are one feature */
			char digits[24], *d = digits + sizeof digits;
			if (kn > 1 && t[0] == '0') {
				do
					*--d = (char)('0' + index % 10);
				while (index /= 10);
				t = d;
				kn = (size_t)(digits + sizeof digits - d);
			}
			ml_buf_adds(out, ",\"f");
			ml_buf_add(out, t, kn);
			ml_buf_adds(out, "\":");
		}
		ml_buf_add(out, colon + 1, vn);
	}
	if (first)
		return "no label";
	if ((why = check_indices(ix)))
		return why;
	if (ml_buf_addc(out, '}') < 0)
		return type_no_memory;
	return NULL;
}

int read_libsvm(struct ingest *g, struct stream *s, struct ml_err *err)
{
	struct ml_lines *lines = ml_lines_new(stream_cr_lines(s) ? stream_read_cr : stream_read, s);
	struct ml_rec *r = ml_rec_new();
	struct ml_buf rec = {0};
	struct indices ix = {0};
	struct ml_err why;
	const char *line;
	size_t len;
	int got, rc = 0;

	if (lines)	/* a line too long for memory is named by its place */
		ml_lines_set_name(lines, g->place);
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
		const char *bad = convert(&rec, &ix, p, end);
		if (bad == type_no_memory)
			rc = ml_err_sys(err, ENOMEM, "%s:%llu: cannot hold a record of %zu bytes",
					g->place, (unsigned long long)number, len);
		else if (bad)
			rc = emit_reject(g, number, bad, line, len, err);
		else if (ml_rec_parse(r, rec.data, rec.len, &why) < 0)
			rc = emit_reject(g, number, why.msg, line, len, err);
		else
			rc = emit_keyed(g, r, rec.data, rec.len, number, line, len, err);
		if (rc < 0)
			break;
	}
	if (got < 0)
		rc = -1;
	ml_buf_free(&rec);
	free(ix.v);
	ml_rec_free(r);
	ml_lines_free(lines);
	return rc;
}
