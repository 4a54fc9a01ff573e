/* JSON inputs: NDJSON (checked by the record reader and passed through) and
 * a JSON array of objects (split into elements as the bytes arrive, so a
 * large array streams in bounded memory, then each element minified onto
 * one line). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ingest.h"
#include "ml_json.h"

int read_ndjson(struct ingest *g, struct stream *s, struct ml_err *err)
{
	struct ml_lines *lines = ml_lines_new(stream_read, s);
	struct ml_rec *r = ml_rec_new();
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
		if (number == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
			line += 3;
			len -= 3;
		}
		if (ml_json_skip_ws(line, line + len) == line + len)
			continue;
		g->read++;
		if (ml_rec_parse(r, line, len, &why) < 0)
			rc = emit_reject(g, number, why.msg, line, len, err);
		else
			rc = emit_keyed(g, r, line, len, err);
		if (rc < 0)
			break;
	}
	if (got < 0)
		rc = -1;
	ml_rec_free(r);
	ml_lines_free(lines);
	return rc;
}

/* The array splitter's state, carried across reads. */
struct splitter {
	int in_string, escape, depth;
	enum { BEFORE_ARRAY, BEFORE_ELEMENT, IN_ELEMENT, AFTER_ELEMENT, AFTER_ARRAY } where;
};

static int element_done(struct ingest *g, struct ml_rec *r, struct ml_buf *elem,
			struct ml_buf *flat, uint64_t line, struct ml_err *err)
{
	struct ml_err why;

	g->read++;
	ml_buf_reset(flat);
	if (ml_json_minify(flat, elem->data, elem->len) < 0)
		return ml_err_sys(err, ENOMEM, "%s", g->place);
	if (ml_rec_parse(r, flat->data, flat->len, &why) < 0)
		return emit_reject(g, line, why.msg, flat->data, flat->len, err);
	return emit_keyed(g, r, flat->data, flat->len, err);
}

int read_json_array(struct ingest *g, struct stream *s, struct ml_err *err)
{
	struct splitter sp = {0};
	struct ml_rec *r = ml_rec_new();
	struct ml_buf elem = {0}, flat = {0};
	char buf[1 << 16];
	uint64_t line = 1, elem_line = 0;
	ssize_t got;
	int rc = 0, first = 1;
	uint64_t elements = 0;

	if (!r)
		return ml_err_sys(err, ENOMEM, "%s", g->place);
	while (rc == 0 && (got = stream_read(s, buf, sizeof buf, err)) > 0) {
		const char *p = buf, *end = buf + got;
		if (first && got >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
			p += 3;
		first = 0;
		for (; p < end && rc == 0; p++) {
			char c = *p;
			if (sp.where == IN_ELEMENT) {
				const char *start = p;
				/* copy a run of the element in one go */
				for (; p < end; p++) {
					c = *p;
					if (c == '\n')
						line++;
					if (sp.in_string) {
						if (sp.escape)
							sp.escape = 0;
						else if (c == '\\')
							sp.escape = 1;
						else if (c == '"')
							sp.in_string = 0;
					} else if (c == '"') {
						sp.in_string = 1;
					} else if (c == '{' || c == '[') {
						sp.depth++;
					} else if (c == '}' || c == ']') {
						if (--sp.depth == 0)
							break;
					}
				}
				if (ml_buf_add(&elem, start, (size_t)(p - start) + (p < end)) < 0) {
					rc = ml_err_sys(err, ENOMEM, "%s", g->place);
					break;
				}
				if (p == end)
					break;
				rc = element_done(g, r, &elem, &flat, elem_line, err);
				elements++;
				sp.where = AFTER_ELEMENT;
				continue;
			}
			if (c == '\n')
				line++;
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			switch (sp.where) {
			case BEFORE_ARRAY:
				if (c != '[')
					return ml_err_set(err, ML_ERR_DATA, "%s:%llu: expected a JSON array of objects",
							  g->place, (unsigned long long)line);
				sp.where = BEFORE_ELEMENT;
				break;
			case BEFORE_ELEMENT:
			case AFTER_ELEMENT:
				if (sp.where == AFTER_ELEMENT && c == ',') {
					sp.where = BEFORE_ELEMENT;
					break;
				}
				if (c == ']' && (sp.where == AFTER_ELEMENT || elements == 0)) {
					sp.where = AFTER_ARRAY;
					break;
				}
				if (sp.where == BEFORE_ELEMENT && c == '{') {
					ml_buf_reset(&elem);
					elem_line = line;
					sp.where = IN_ELEMENT;
					sp.depth = 0;
					p--;	/* the element loop takes the brace */
					break;
				}
				rc = ml_err_set(err, ML_ERR_DATA, "%s:%llu: %s", g->place,
						(unsigned long long)line,
						sp.where == AFTER_ELEMENT ? "expected ',' or ']' after an array element"
									  : "array element is not an object");
				break;
			case AFTER_ARRAY:
				rc = ml_err_set(err, ML_ERR_DATA, "%s:%llu: text after the end of the array",
						g->place, (unsigned long long)line);
				break;
			case IN_ELEMENT:
				break;
			}
		}
	}
	if (rc == 0 && got < 0)
		rc = -1;
	if (rc == 0 && sp.where != AFTER_ARRAY)
		rc = ml_err_set(err, ML_ERR_DATA, "%s:%llu: %s", g->place, (unsigned long long)line,
				sp.where == BEFORE_ARRAY ? "no JSON array in the input"
							 : "the array is not closed (truncated input?)");
	ml_rec_free(r);
	ml_buf_free(&elem);
	ml_buf_free(&flat);
	return rc;
}
