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
	struct ml_lines *lines = ml_lines_new(stream_cr_lines(s) ? stream_read_cr : stream_read, s);
	struct ml_rec *r = ml_rec_new();
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
		if (ml_json_skip_ws(line, line + len) == line + len)
			continue;
		g->read++;
		if (ml_rec_parse(r, line, len, &why) < 0)
			rc = emit_reject(g, number, why.msg, line, len, err);
		else
			rc = emit_keyed(g, r, line, len, number, line, len, err);
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
	enum { BEFORE_ARRAY, BEFORE_ELEMENT, IN_ELEMENT, IN_SCALAR, AFTER_ELEMENT,
	       AFTER_ARRAY } where;
};

/* One element, as read (it may span lines), starting on line: checked as
 * JSON first (whitespace between tokens must not vanish unseen: "1 2" is not
 * 12), then written on one line. */
static int element_done(struct ingest *g, struct ml_rec *r, struct ml_buf *elem,
			struct ml_buf *flat, uint64_t line, struct ml_err *err)
{
	const char *p = elem->data, *end = p + elem->len, *q;
	struct ml_json_fail fail;
	enum ml_json_type type;
	struct ml_err why;
	char reason[256];

	g->read++;
	q = ml_json_scan_value(p, end, 0, &type, &fail);
	if (q && ml_json_skip_ws(q, end) != end) {
		fail.at = q;
		fail.why = "text after the value";
		q = NULL;
	}
	if (!q) {
		uint64_t at_line = line;
		for (const char *c = p; c < fail.at; c++)
			at_line += *c == '\n';
		if (at_line != line)
			snprintf(reason, sizeof reason, "malformed JSON: %s (on line %llu)", fail.why,
				 (unsigned long long)at_line);
		else
			snprintf(reason, sizeof reason, "malformed JSON: %s", fail.why);
		return emit_reject(g, line, reason, p, elem->len, err);
	}
	if (type != ML_JSON_OBJECT) {
		snprintf(reason, sizeof reason, "array element is a JSON %s, not an object",
			 ml_json_type_name(type));
		return emit_reject(g, line, reason, p, elem->len, err);
	}
	ml_buf_reset(flat);
	if (ml_json_minify(flat, p, elem->len) < 0)
		return ml_err_sys(err, ENOMEM, "%s", g->place);
	if (ml_rec_parse(r, flat->data, flat->len, &why) < 0)
		return emit_reject(g, line, why.msg, p, elem->len, err);
	return emit_keyed(g, r, flat->data, flat->len, line, p, elem->len, err);
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int read_json_array(struct ingest *g, struct stream *s, struct ml_err *err)
{
	struct splitter sp = {0};
	struct ml_rec *r = ml_rec_new();
	struct ml_buf elem = {0}, flat = {0};
	char buf[1 << 16];
	uint64_t line = 1, elem_line = 0;
	ssize_t got;
	int rc = 0;

	if (!r)
		return ml_err_sys(err, ENOMEM, "%s", g->place);
	while (rc == 0 && (got = stream_read(s, buf, sizeof buf, err)) > 0) {
		const char *p = buf, *end = buf + got;
		for (; p < end && rc == 0; p++) {
			char c = *p;
			if (sp.where == IN_ELEMENT || sp.where == IN_SCALAR) {
				const char *start = p;
				int done = 0;
				/* copy a run of the element in one go */
				for (; p < end; p++) {
					c = *p;
					if (sp.in_string) {
						if (c == '\n')
							line++;
						if (sp.escape)
							sp.escape = 0;
						else if (c == '\\')
							sp.escape = 1;
						else if (c == '"')
							sp.in_string = 0;
					} else if (c == '"') {
						sp.in_string = 1;
					} else if (sp.where == IN_SCALAR) {
						/* a scalar ends before what follows it */
						if (c == ',' || c == ']' || is_ws(c)) {
							done = 1;
							break;
						}
					} else if (c == '\n') {
						line++;
					} else if (c == '{' || c == '[') {
						sp.depth++;
					} else if (c == '}' || c == ']') {
						if (--sp.depth == 0) {
							done = 1;
							p++;
							break;
						}
					}
				}
				if (ml_buf_add(&elem, start, (size_t)(p - start)) < 0) {
					rc = ml_err_sys(err, ENOMEM, "%s", g->place);
					break;
				}
				if (!done)
					break;
				rc = element_done(g, r, &elem, &flat, elem_line, err);
				sp.where = AFTER_ELEMENT;
				p--;	/* the loop's p++ comes next: look at what follows */
				continue;
			}
			if (c == '\n')
				line++;
			if (is_ws(c))
				continue;
			switch (sp.where) {
			case BEFORE_ARRAY:
				if (c != '[') {
					rc = ml_err_set(err, ML_ERR_DATA, "%s:%llu: expected a JSON array of objects",
							g->place, (unsigned long long)line);
					break;
				}
				sp.where = BEFORE_ELEMENT;
				sp.depth = -1;	/* no element yet: ']' may close the array */
				break;
			case BEFORE_ELEMENT:
				if (c == ']' && sp.depth == -1) {
					sp.where = AFTER_ARRAY;
					break;
				}
				if (c == ']' || c == ',') {
					rc = ml_err_set(err, ML_ERR_DATA, "%s:%llu: expected an array element, not '%c'",
							g->place, (unsigned long long)line, c);
					break;
				}
				ml_buf_reset(&elem);
				elem_line = line;
				sp.depth = 0;
				sp.in_string = sp.escape = 0;
				sp.where = c == '{' || c == '[' ? IN_ELEMENT : IN_SCALAR;
				p--;	/* the element loop takes this byte */
				break;
			case AFTER_ELEMENT:
				if (c == ',') {
					sp.where = BEFORE_ELEMENT;
					break;
				}
				if (c == ']') {
					sp.where = AFTER_ARRAY;
					break;
				}
				rc = ml_err_set(err, ML_ERR_DATA, "%s:%llu: expected ',' or ']' after an array element",
						g->place, (unsigned long long)line);
				break;
			case AFTER_ARRAY:
				rc = ml_err_set(err, ML_ERR_DATA, "%s:%llu: text after the end of the array",
						g->place, (unsigned long long)line);
				break;
			case IN_ELEMENT:
			case IN_SCALAR:
				break;
			}
		}
	}
	if (rc == 0 && got < 0)
		rc = -1;
	if (rc == 0 && sp.where != AFTER_ARRAY)
		rc = ml_err_set(err, ML_ERR_DATA, "%s:%llu: %s", g->place, (unsigned long long)line,
				sp.where == BEFORE_ARRAY ? "no JSON array in the input"
				: sp.where == IN_ELEMENT || sp.where == IN_SCALAR
				? "the input ends inside an array element (truncated?)"
				: "the array is not closed (truncated input?)");
	ml_rec_free(r);
	ml_buf_free(&elem);
	ml_buf_free(&flat);
	return rc;
}
