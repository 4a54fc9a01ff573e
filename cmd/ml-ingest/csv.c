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
	uint64_t row_bytes;	/* bytes of the current row so far, for messages */
	const char *cur;	/* the physical line being fed */
	size_t cur_len;
	int keep_raw;		/* --reject wants the raw text of a bad row */
	struct ml_buf raw;	/* earlier lines of a row that spans lines */
};

/* Memory ran out while the current row was read: an error with the row's
 * place and size, never a row cut short or read as something else. */
static int row_too_big(struct csv_state *st)
{
	return ml_err_sys(st->err, ENOMEM, "%s:%llu: cannot hold a row of %llu bytes", st->g->place,
			  (unsigned long long)(st->row_line ? st->row_line : st->line),
			  (unsigned long long)st->row_bytes);
}

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
		row_too_big(st);
	}
}

/* The raw text of the row that ends on the current line: earlier lines and
 * this one (only this one when --reject is not given: nothing else reads
 * it); 0, or -1 with err when memory is out.  The row ends here, so its
 * earlier lines are completed in place. */
static int raw_text(struct csv_state *st, const char **raw, size_t *len)
{
	if (!st->raw.len) {
		*raw = st->cur;
		*len = st->cur_len;
		return 0;
	}
	if (ml_buf_add(&st->raw, st->cur, st->cur_len) < 0)
		return row_too_big(st);
	*raw = st->raw.data;
	*len = st->raw.len;
	return 0;
}

/* Forgets the raw text of the row just ended (the buffer stays for the
 * next, unless a huge row made it huge). */
static void raw_reset(struct csv_state *st)
{
	if (st->raw.cap > (1u << 20))
		ml_buf_free(&st->raw);
	ml_buf_reset(&st->raw);
	st->row_line = 0;
	st->row_bytes = 0;
}

static void on_row(int c, void *ctx)
{
	struct csv_state *st = ctx;
	const char *raw = NULL;
	size_t len = 0;

	(void)c;
	if (st->failed)
		return;
	if (raw_text(st, &raw, &len) < 0 ||
	    row_end(st->g, &st->row, st->row_line, raw, len, st->err) < 0)
		st->failed = 1;
	raw_reset(st);
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
		return row_too_big(st);
	for (; !done;) {
		const char *d = memchr(q, delimiter, (size_t)(end - q));
		const char *fe = d ? d : end;
		if (row_field(st->g, &st->row, q, (size_t)(fe - q), fe == q) < 0)
			return row_too_big(st);
		if (!d)
			break;
		q = d + 1;
	}
	if (row_end(st->g, &st->row, st->line, line, len, st->err) < 0)
		return -1;
	st->row_line = 0;
	st->row_bytes = 0;
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
	const char *raw = NULL;
	size_t len = 0;

	if (raw_text(st, &raw, &len) < 0)
		return -1;
	st->g->read++;
	if (emit_reject(st->g, st->row_line ? st->row_line : st->line, why, raw, len, st->err) < 0)
		return -1;
	csv_free(p);
	row_discard(&st->row);
	raw_reset(st);
	if (init_parser(p, delimiter) < 0)
		return ml_err_sys(st->err, ENOMEM, "%s", st->g->place);
	return 0;
}

/* libcsv grows its field buffer by blk_size bytes at a time, 128 by
 * default: a quoted field of many lines then costs a realloc (a copy, under
 * AddressSanitizer) per 128 bytes, quadratic in the field.  Before each line
 * the step is set to the buffer's size, and to at least the line: the buffer
 * doubles, at most once per line.  (When memory is short libcsv halves the
 * step and tries again, down to one byte.) */
static void set_growth(struct csv_parser *p, size_t line_len)
{
	size_t have = csv_get_buffer_size(p), step = have > line_len ? have : line_len + 1;

	csv_set_blk_size(p, step < 128 ? 128 : step);
}

/* libcsv keeps its field buffer as large as the largest field so far: after
 * a huge field it starts afresh, so that memory is held by the longest row
 * only while that row is read.  0, or -1 with err. */
static int shrink_parser(struct csv_state *st, struct csv_parser *p, int delimiter)
{
	if (csv_get_buffer_size(p) <= (1u << 20))
		return 0;
	csv_free(p);
	if (init_parser(p, delimiter) < 0)
		return ml_err_sys(st->err, ENOMEM, "%s", st->g->place);
	return 0;
}

/* Why csv_parse stopped, when no callback failed: memory, or the text. */
static int parse_failed(struct csv_state *st, struct csv_parser *p, int delimiter)
{
	if (csv_error(p) == CSV_ENOMEM || csv_error(p) == CSV_ETOOBIG)
		return row_too_big(st);
	return parse_error(st, p, delimiter, "malformed CSV: a quote inside an unquoted field, "
			   "or text after a closing quote");
}

int read_delimited(struct ingest *g, struct stream *s, int delimiter, struct ml_err *err)
{
	struct csv_state st = {.g = g, .err = err, .keep_raw = g->reject != NULL};
	struct csv_parser p;
	struct ml_lines *lines = ml_lines_new(stream_cr_lines(s) ? stream_read_cr : stream_read, s);
	const char *line;
	size_t len;
	int got, rc = 0;

	if (lines)	/* a line too long for memory is named by its place */
		ml_lines_set_name(lines, g->place);
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
		if (st.row_line)
			st.row_bytes += len + 1;
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
		set_growth(&p, len);
		if (csv_parse(&p, line, len, on_field, on_row, &st) != len ||
		    csv_parse(&p, "\n", 1, on_field, on_row, &st) != 1) {
			if (st.failed || parse_failed(&st, &p, delimiter) < 0) {
				rc = -1;
				break;
			}
			continue;
		}
		if (st.failed) {
			rc = -1;
			break;
		}
		if (p.pstate == 0 && shrink_parser(&st, &p, delimiter) < 0) {
			rc = -1;
			break;
		}
		/* still inside the row (a quoted newline): keep the line for --reject */
		if (p.pstate != 0 && st.keep_raw &&
		    (ml_buf_add(&st.raw, line, len) < 0 || ml_buf_addc(&st.raw, '\n') < 0)) {
			rc = row_too_big(&st);
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
	ml_lines_free(lines);
	return rc;
}
