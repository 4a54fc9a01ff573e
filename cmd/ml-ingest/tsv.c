/* TSV as the IANA type and most tools write it: fields split on tabs, no
 * quoting, and the escapes \t \n \r \\ for the bytes that cannot appear. */
#include <errno.h>
#include <string.h>

#include "ingest.h"

/* Decodes the escapes of one field into out; 0, or -1 when memory is out. */
static int unescape_tsv(struct ml_buf *out, const char *s, size_t n)
{
	ml_buf_reset(out);
	if (ml_buf_reserve(out, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < n) {
			switch (s[i + 1]) {
			case 't': c = '\t'; i++; break;
			case 'n': c = '\n'; i++; break;
			case 'r': c = '\r'; i++; break;
			case '\\': c = '\\'; i++; break;
			}
		}
		out->data[out->len++] = c;
	}
	return 0;
}

/* Memory ran out in a row: an error with its place, never a row cut short. */
static int row_too_big(struct ingest *g, uint64_t line, size_t len, struct ml_err *err)
{
	return ml_err_sys(err, ENOMEM, "%s:%llu: cannot hold a row of %zu bytes", g->place,
			  (unsigned long long)line, len);
}

int read_tsv(struct ingest *g, struct stream *s, struct ml_err *err)
{
	struct ml_lines *lines = ml_lines_new(stream_cr_lines(s) ? stream_read_cr : stream_read, s);
	struct row row = {0};
	struct ml_buf field = {0};
	const char *line;
	size_t len;
	int got, rc = 0;

	if (lines)	/* a line too long for memory is named by its place */
		ml_lines_set_name(lines, g->place);
	if (!lines)
		return ml_err_sys(err, ENOMEM, "%s", g->place);
	while ((got = ml_lines_next(lines, &line, &len, err)) > 0) {
		uint64_t number = ml_lines_number(lines);
		if (len == 0)
			continue;
		const char *p = line, *end = line + len;
		for (;;) {
			const char *tab = memchr(p, '\t', (size_t)(end - p));
			const char *fe = tab ? tab : end;
			const char *v = p;
			size_t n = (size_t)(fe - p);
			if (memchr(p, '\\', n)) {
				if (unescape_tsv(&field, p, n) < 0) {
					rc = row_too_big(g, number, len, err);
					goto out;
				}
				v = field.data;
				n = field.len;
			}
			if (row_field(g, &row, v ? v : "", n, 0) < 0) {
				rc = row_too_big(g, number, len, err);
				goto out;
			}
			if (!tab)
				break;
			p = tab + 1;
		}
		if (row_end(g, &row, number, line, len, err) < 0) {
			rc = -1;
			goto out;
		}
	}
	if (got < 0)
		rc = -1;
out:
	row_free(&row);
	ml_buf_free(&field);
	ml_lines_free(lines);
	return rc;
}
