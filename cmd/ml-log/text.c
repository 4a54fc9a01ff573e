/* The readable forms: the runs as a table, a lineage as a tree drawn with
 * box characters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mllog.h"
#include "ml_json.h"
#include "ml_rec.h"

#define PARAMS_WIDTH 70		/* characters of k=v params on a run's line */

/* s[0..n) with control characters (a newline would start a row) as '?'. */
static int put_plain(struct ml_buf *b, const char *s, size_t n)
{
	if (ml_buf_reserve(b, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		b->data[b->len++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	return 0;
}

/* Characters of s (as put_plain writes it, the width it takes). */
static size_t width_of(const char *s)
{
	size_t n = strlen(s);

	return ml_utf8_valid_prefix(s, n) == n ? ml_utf8_chars(s, n) : n;
}

static int put_padded(struct ml_buf *b, const char *s, size_t width, int right)
{
	size_t w = width_of(s);
	int rc = 0;

	for (; right && w < width; w++)
		rc |= ml_buf_addc(b, ' ');
	rc |= put_plain(b, s, strlen(s));
	for (; !right && w < width; w++)
		rc |= ml_buf_addc(b, ' ');
	return rc;
}

/* 2026-11-26T09:30:00Z: to the second, as people read the log. */
static void format_start(const struct log_run *r, char out[64])
{
	if (!r->has_start) {
		snprintf(out, 64, "%.63s", r->start_text ? r->start_text : "-");
		return;
	}
	int64_t secs = r->start_ns / 1000000000;
	if (r->start_ns < 0 && r->start_ns % 1000000000)
		secs--;
	time_t t = (time_t)secs;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, 64, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 64, "%.63s", r->start_text);
}

/* The run table's cells of one run. */
struct row {
	char start[64], exit[16], seconds[32], run[9];
};

static void fill_row(const struct log_run *r, struct row *row)
{
	format_start(r, row->start);
	if (r->exit_status >= 0)
		snprintf(row->exit, sizeof row->exit, "%d", r->exit_status);
	else
		strcpy(row->exit, "-");
	if (r->seconds >= 0)
		snprintf(row->seconds, sizeof row->seconds, "%.3f", r->seconds);
	else
		strcpy(row->seconds, "-");
	snprintf(row->run, sizeof row->run, "%.8s", r->run_id ? r->run_id : "-");
}

int runs_text(const struct runlog *log, const size_t *sel, size_t n, struct ml_buf *out)
{
	size_t w_start = 5, w_tool = 4, w_exit = 4, w_secs = 7, w_run = 3;
	struct row row;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		const struct log_run *r = &log->runs[sel[i]];
		fill_row(r, &row);
		size_t w;
#define WIDEN(var, s) if ((w = width_of(s)) > var) var = w
		WIDEN(w_start, row.start);
		WIDEN(w_tool, r->tool ? r->tool : "?");
		WIDEN(w_exit, row.exit);
		WIDEN(w_secs, row.seconds);
		WIDEN(w_run, row.run);
#undef WIDEN
	}
	rc |= put_padded(out, "START", w_start, 0);
	rc |= ml_buf_adds(out, "  ");
	rc |= put_padded(out, "TOOL", w_tool, 0);
	rc |= ml_buf_adds(out, "  ");
	rc |= put_padded(out, "EXIT", w_exit, 1);
	rc |= ml_buf_adds(out, "  ");
	rc |= put_padded(out, "SECONDS", w_secs, 1);
	rc |= ml_buf_adds(out, "  ");
	rc |= put_padded(out, "RUN", w_run, 0);
	rc |= ml_buf_adds(out, "  OUTPUTS\n");
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct log_run *r = &log->runs[sel[i]];
		fill_row(r, &row);
		rc |= put_padded(out, row.start, w_start, 0);
		rc |= ml_buf_adds(out, "  ");
		rc |= put_padded(out, r->tool ? r->tool : "?", w_tool, 0);
		rc |= ml_buf_adds(out, "  ");
		rc |= put_padded(out, row.exit, w_exit, 1);
		rc |= ml_buf_adds(out, "  ");
		rc |= put_padded(out, row.seconds, w_secs, 1);
		rc |= ml_buf_adds(out, "  ");
		rc |= put_padded(out, row.run, r->noutputs ? w_run : 0, 0);
		for (uint32_t k = 0; k < r->noutputs; k++) {
			const char *p = r->outputs[k].path ? r->outputs[k].path : "?";
			rc |= ml_buf_adds(out, k ? "," : "  ");
			rc |= put_plain(out, p, strlen(p));
		}
		rc |= ml_buf_addc(out, '\n');
	}
	return rc;
}

/* "  1593 records" or "  238592 bytes", or nothing when the log has neither. */
static int put_size(struct ml_buf *b, const struct log_io *io)
{
	if (!io)
		return 0;
	/* a bundle or a schema counts no records: its size says more */
	if (io->records > 0)
		return ml_buf_printf(b, "  %lld record%s", (long long)io->records, io->records == 1 ? "" : "s");
	if (io->has_bytes)
		return ml_buf_printf(b, "  %llu byte%s", (unsigned long long)io->bytes, io->bytes == 1 ? "" : "s");
	return 0;
}

/* An artifact's line: short id, what the log calls it, its size. */
static int put_artifact(struct ml_buf *b, const unsigned char sha[SHA_BYTES], const char *path,
			const char *param, const struct log_io *io, int source, int seen)
{
	char id[ML_SHA256_ID_SIZE];
	int rc;

	sha_format(sha, SHORT_HEX, id);
	rc = ml_buf_adds(b, id);
	rc |= ml_buf_adds(b, "  ");
	if (param) {
		rc |= ml_buf_adds(b, "param ");
		rc |= put_plain(b, param, strlen(param));
	} else {
		path = path ? path : "?";
		rc |= put_plain(b, path, strlen(path));
	}
	rc |= put_size(b, io);
	if (source)
		rc |= ml_buf_adds(b, "  (source)");
	if (seen)
		rc |= ml_buf_adds(b, "  (see above)");
	return rc | ml_buf_addc(b, '\n');
}

/* Whether a string shows as is in k=v: no space, quote or '=', not empty. */
static int plain_word(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '"' || s[i] == '=' || s[i] == 0x7f)
			return 0;
	return 1;
}

/* The scalar params as k=v, ids short, cut to PARAMS_WIDTH characters. */
static int put_params(struct ml_buf *b, const struct log_run *r)
{
	struct ml_buf json = {0}, kv = {0}, s = {0};
	struct ml_rec *rec = ml_rec_new();
	struct ml_err err;
	int rc = 0;

	if (!rec || runlog_field_json(r, "params", &json) < 0) {
		rc = -1;
		goto out;
	}
	if (ml_rec_parse(rec, json.data, json.len, &err) < 0)
		goto out;	/* null, or not an object: no params to show */
	for (size_t i = 0; i < ml_rec_count(rec); i++) {
		enum ml_json_type t = ml_rec_type(rec, i);
		unsigned char sha[SHA_BYTES];
		size_t n;
		if (t == ML_JSON_ARRAY || t == ML_JSON_OBJECT)
			continue;
		if (kv.len)
			rc |= ml_buf_addc(&kv, ' ');
		rc |= ml_rec_key(rec, i, &kv);
		rc |= ml_buf_addc(&kv, '=');
		if (t != ML_JSON_STRING) {
			const char *raw = ml_rec_value_raw(rec, i, &n);
			rc |= ml_buf_add(&kv, raw, n);
			continue;
		}
		ml_buf_reset(&s);
		rc |= ml_rec_string(rec, i, &s);
		if (sha_parse(s.data ? s.data : "", s.len, sha) == 0) {
			char id[ML_SHA256_ID_SIZE];
			sha_format(sha, SHORT_HEX, id);
			rc |= ml_buf_adds(&kv, id);
		} else if (plain_word(s.data, s.len)) {
			rc |= ml_buf_add(&kv, s.data, s.len);
		} else {
			const char *raw = ml_rec_value_raw(rec, i, &n);
			rc |= ml_buf_add(&kv, raw, n);
		}
	}
	if (rc || !kv.len)
		goto out;
	/* cut at a character, never inside one */
	size_t end = 0, chars = 0, cut = 0;
	while (end < kv.len) {
		if (chars == PARAMS_WIDTH - 1)
			cut = end;
		end++;
		while (end < kv.len && ((unsigned char)kv.data[end] & 0xC0) == 0x80)
			end++;
		chars++;
	}
	rc |= ml_buf_adds(b, "  ");
	if (chars > PARAMS_WIDTH) {
		rc |= put_plain(b, kv.data, cut);
		rc |= ml_buf_adds(b, "…");
	} else {
		rc |= put_plain(b, kv.data, kv.len);
	}
out:
	ml_rec_free(rec);
	ml_buf_free(&json);
	ml_buf_free(&kv);
	ml_buf_free(&s);
	return rc;
}

/* A run's line: tool, start, exit, run id, params. */
static int put_run(struct ml_buf *b, const struct log_run *r, int seen)
{
	char start[64];
	const char *tool = r->tool ? r->tool : "?";
	int rc;

	format_start(r, start);
	rc = put_plain(b, tool, strlen(tool));
	rc |= ml_buf_adds(b, "  ");
	rc |= put_plain(b, start, strlen(start));
	if (r->exit_status >= 0)
		rc |= ml_buf_printf(b, "  exit %d", r->exit_status);
	rc |= ml_buf_adds(b, "  run ");
	rc |= put_plain(b, r->run_id ? r->run_id : "-", r->run_id ? strnlen(r->run_id, 8) : 1);
	rc |= put_params(b, r);
	if (seen)
		rc |= ml_buf_adds(b, "  (see above)");
	return rc | ml_buf_addc(b, '\n');
}

int tree_emit(void *ctx, const struct lin_node *node, struct ml_err *err)
{
	struct tree *t = ctx;
	struct ml_buf *b = &t->line;
	int rc = 0;

	ml_buf_reset(b);
	if (node->kind == LIN_ROOT) {
		const char *param = NULL;
		const struct log_io *io = lin_root_io(t->ix, t->sha, &param);
		const char *path = t->root_path ? t->root_path : io ? io->path : NULL;
		rc = put_artifact(b, t->sha, path, t->root_path || io ? NULL : param, io, node->source, 0);
		goto write;
	}
	if (node->level >= t->cap) {
		size_t ncap = 2 * node->level + 16;
		unsigned char *v = realloc(t->last_at, ncap);
		if (!v)
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		t->last_at = v;
		t->cap = ncap;
	}
	t->last_at[node->level] = (unsigned char)node->last;
	/* the ancestors' branches go on below them unless they were last */
	for (unsigned l = 1; l < node->level; l++)
		rc |= ml_buf_adds(b, t->last_at[l] ? "   " : "│  ");
	rc |= ml_buf_adds(b, node->last ? "└─ " : "├─ ");
	const struct log_run *r = &t->log->runs[node->run];
	if (node->kind == LIN_RUN) {
		rc |= put_run(b, r, node->seen);
	} else if (node->in.via_param) {
		const struct log_param_id *p = &r->ids[node->in.index];
		rc |= put_artifact(b, p->sha, NULL, p->name, NULL, node->source, node->seen);
	} else {
		const struct log_io *in = &r->inputs[node->in.index];
		rc |= put_artifact(b, in->sha, in->path, NULL, in, node->source, node->seen);
	}
write:
	if (rc < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (ml_out_write(t->out, b->data, b->len) < 0)
		return ml_out_error(t->out, err);
	return 0;
}

void tree_free(struct tree *t)
{
	ml_buf_free(&t->line);
	free(t->last_at);
	t->last_at = NULL;
	t->cap = 0;
}
