/* Delimited text through libcsv (RFC 4180: quotes, embedded delimiters and
 * newlines, doubled quotes).  libcsv does not count lines, so it is fed one
 * physical line at a time: then every row knows the line it started on, and
 * a row that goes wrong can be rejected with its raw text. */
#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ingest.h"

struct csv_state {
	struct ingest *g;
	struct row row;
	struct ml_err *err;
	int failed;
	uint64_t line;		/* physical line being fed */
	uint64_t row_line;	/* line the current row started on (0: none yet) */
	const char *cur;	/* the physical line being fed */
	size_t cur_len;
	struct ml_buf raw;	/* earlier lines of a row that spans lines */
	struct ml_buf whole;	/* raw text of the row, for --reject */
};

/* RFC 4180: spaces are part of a field; libcsv would trim them. */
static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

/* Rows end at '\n' only: the parser is fed one line at a time, each with its
 * '\n' (a CR before it is taken off by the line reader).  A CR anywhere else
 * is data; taken as a line end it would split the row in two, and the row
 * would lose its line number.  (Text whose lines end with bare CRs is
 * recognized as such before it gets here: see stream_cr_lines.) */
static int only_lf(unsigned char c)
{
	return c == '\n';
}

static void on_field(void *data, size_t n, void *ctx)
{
	struct csv_state *st = ctx;

	if (st->failed)
		return;
	if (row_field(st->g, &st->row, data ? data : "", n, data == NULL) < 0) {
		st->failed = 1;
		ml_err_sys(st->err, ENOMEM, "%s", st->g->place);
	}
}

/* The raw text of the current row: earlier lines and the current one. */
static void raw_text(struct csv_state *st, const char **raw, size_t *len)
{
	if (!st->raw.len) {
		*raw = st->cur;
		*len = st->cur_len;
		return;
	}
	ml_buf_reset(&st->whole);
	ml_buf_add(&st->whole, st->raw.data, st->raw.len);
	ml_buf_add(&st->whole, st->cur, st->cur_len);
	*raw = st->whole.data;
	*len = st->whole.len;
}

static void on_row(int c, void *ctx)
{
	struct csv_state *st = ctx;
	const char *raw;
	size_t len;

	(void)c;
	if (st->failed)
		return;
	raw_text(st, &raw, &len);
	if (row_end(st->g, &st->row, st->row_line, raw, len, st->err) < 0)
		st->failed = 1;
	ml_buf_reset(&st->raw);
	st->row_line = 0;
}

/* A line with no quote that starts a row is a whole row, and splitting it
 * at the delimiter gives exactly what libcsv would.  Measured: libcsv's
 * byte-by-byte state machine was half of ml-ingest's time, so the common
 * case skips it; quoted rows still go through libcsv. */
static int split_plain(struct csv_state *st, const char *line, size_t len, int delimiter)
{
	const char *q = line, *end = line + len;
	int done = row_plain_line(st->g, &st->row, line, len, delimiter);

	if (done < 0)
		return ml_err_sys(st->err, ENOMEM, "%s", st->g->place);
	for (; !done;) {
		const char *d = memchr(q, delimiter, (size_t)(end - q));
		const char *fe = d ? d : end;
		if (row_field(st->g, &st->row, q, (size_t)(fe - q), fe == q) < 0)
			return ml_err_sys(st->err, ENOMEM, "%s", st->g->place);
		if (!d)
			break;
		q = d + 1;
	}
	if (row_end(st->g, &st->row, st->line, line, len, st->err) < 0)
		return -1;
	st->row_line = 0;
	return 0;
}

static int init_parser(struct csv_parser *p, int delimiter)
{
	if (csv_init(p, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) != 0)
		return -1;
	csv_set_delim(p, (unsigned char)delimiter);
	csv_set_space_func(p, no_space);
	return 0;
}

/* A parse error: the row so far is rejected, the parser starts afresh on
 * the next line. */
static int parse_error(struct csv_state *st, struct csv_parser *p, int delimiter,
		       const char *why)
{
	const char *raw;
	size_t len;

	raw_text(st, &raw, &len);
	st->g->read++;
	if (emit_reject(st->g, st->row_line ? st->row_line : st->line, why, raw, len, st->err) < 0)
		return -1;
	csv_free(p);
	row_discard(&st->row);
	ml_buf_reset(&st->raw);
	st->row_line = 0;
	if (init_parser(p, delimiter) < 0)
		return ml_err_sys(st->err, ENOMEM, "%s", st->g->place);
	return 0;
}

int read_delimited(struct ingest *g, struct stream *s, int delimiter, struct ml_err *err)
{
	struct csv_state st = {.g = g, .err = err};
	struct csv_parser p;
	struct ml_lines *lines = ml_lines_new(stream_cr_lines(s) ? stream_read_cr : stream_read, s);
	const char *line;
	size_t len;
	int got, rc = 0;

	if (!lines || init_parser(&p, delimiter) < 0) {
		ml_lines_free(lines);
		return ml_err_sys(err, ENOMEM, "%s", g->place);
	}
	while ((got = ml_lines_next(lines, &line, &len, err)) > 0) {
		st.line = ml_lines_number(lines);
		st.cur = line;
		st.cur_len = len;
		if (!st.row_line && len)
			st.row_line = st.line;
		if (p.pstate == 0 && len && !memchr(line, '"', len)) {
			if (split_plain(&st, line, len, delimiter) < 0) {
				rc = -1;
				break;
			}
			continue;
		}
		/* libcsv's own test for a line end is faster than a callback:
		 * only a line that holds a CR needs one */
		csv_set_term_func(&p, memchr(line, '\r', len) ? only_lf : NULL);
		if (csv_parse(&p, line, len, on_field, on_row, &st) != len ||
		    csv_parse(&p, "\n", 1, on_field, on_row, &st) != 1) {
			if (st.failed) {
				rc = -1;
				break;
			}
			if (parse_error(&st, &p, delimiter, "malformed CSV: a quote inside an unquoted field, or text after a closing quote") < 0) {
				rc = -1;
				break;
			}
			continue;
		}
		if (st.failed) {
			rc = -1;
			break;
		}
		/* still inside the row (a quoted newline): keep the line for --reject */
		if (p.pstate != 0 && (ml_buf_add(&st.raw, line, len) < 0 || ml_buf_addc(&st.raw, '\n') < 0)) {
			rc = ml_err_sys(err, ENOMEM, "%s", g->place);
			break;
		}
	}
	if (got < 0)
		rc = -1;
	if (rc == 0) {
		st.cur = "";
		st.cur_len = 0;
		if (csv_fini(&p, on_field, on_row, &st) != 0) {
			if (st.raw.len && st.raw.data[st.raw.len - 1] == '\n')
				st.raw.len--;
			char why[128];
			snprintf(why, sizeof why, "unterminated quoted field (the row starts on line %llu)",
				 (unsigned long long)st.row_line);
			if (parse_error(&st, &p, delimiter, why) < 0)
				rc = -1;
		} else if (st.failed) {
			rc = -1;
		}
	}
	csv_free(&p);
	row_free(&st.row);
	ml_buf_free(&st.raw);
	ml_buf_free(&st.whole);
	ml_lines_free(lines);
	return rc;
}
