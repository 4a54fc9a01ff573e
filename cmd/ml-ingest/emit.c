/* Where records and rejects go. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ingest.h"
#include "ml_json.h"

void emit_set_place(struct ingest *g)
{
	if (g->member)
		snprintf(g->place, sizeof g->place, "%s(%s)", g->file, g->member);
	else
		snprintf(g->place, sizeof g->place, "%s", g->file);
	ml_buf_reset(&g->source_json);
	if (g->add_source) {
		char src[sizeof g->place];
		if (g->member)
			snprintf(src, sizeof src, "%s(%s)", g->path, g->member);
		else
			snprintf(src, sizeof src, "%s", g->path);
		ml_json_quote_lossy(&g->source_json, src, strlen(src));
	}
}

int emit_write_error(struct ml_out *o, struct ml_err *err)
{
	return ml_out_error(o, err);
}

const char *renamed(const struct ingest *g, const char *name, size_t n, size_t *outlen)
{
	for (size_t i = 0; i < g->nrenames; i++)
		if (strlen(g->renames[i].from) == n && memcmp(g->renames[i].from, name, n) == 0) {
			*outlen = strlen(g->renames[i].to);
			return g->renames[i].to;
		}
	*outlen = n;
	return name;
}

static int add_source(struct ingest *g)
{
	if (!g->add_source)
		return 0;
	return ml_recw_add(&g->w, g->add_source, strlen(g->add_source),
			   g->source_json.data, g->source_json.len);
}

/* Whether --rename gives field name a new name. */
static int renamed_away(const struct ingest *g, const char *name)
{
	for (size_t i = 0; i < g->nrenames; i++)
		if (strcmp(g->renames[i].from, name) == 0)
			return 1;
	return 0;
}

/* The field name that --rename or --add-source would give twice in r (with
 * no --fields: main() rules out clashes among the fields of --fields), or
 * NULL. */
static const char *clash(const struct ingest *g, const struct ml_rec *r)
{
	if (g->add_source && !renamed_away(g, g->add_source) &&
	    ml_rec_find(r, g->add_source, strlen(g->add_source)) >= 0)
		return g->add_source;
	for (size_t i = 0; i < g->nrenames; i++) {
		const char *from = g->renames[i].from, *to = g->renames[i].to;
		if (!renamed_away(g, to) && ml_rec_find(r, to, strlen(to)) >= 0 &&
		    ml_rec_find(r, from, strlen(from)) >= 0)
			return to;
	}
	return NULL;
}

int emit_keyed(struct ingest *g, struct ml_rec *r, const char *line, size_t len,
	       uint64_t number, const char *raw, size_t rawlen, struct ml_err *err)
{
	/* a key the record has twice is written once, where it last was: the
	 * value a JSON reader keeps (mlpipe(7)) */
	int dup = ml_rec_has_duplicates(r);

	ingest_progress(g);
	if (dup < 0)
		return ml_err_sys(err, ENOMEM, "%s:%llu: cannot index the record", g->place,
				  (unsigned long long)number);
	if (g->keyed_plain && !dup) {
		if (ml_out_write(g->out, line, len) < 0 || ml_out_end_record(g->out) < 0)
			return emit_write_error(g->out, err);
		g->written++;
		return 0;
	}
	const char *twice = g->fields.n ? NULL : clash(g, r);
	if (twice) {
		char why[256];
		snprintf(why, sizeof why, "the record would have two fields '%.100s' "
			 "(it has one already; check --rename and --add-source)", twice);
		return emit_reject(g, number, why, raw, rawlen, err);
	}
	ml_recw_begin(&g->w);
	if (g->fields.n) {
		for (size_t k = 0; k < g->fields.n; k++) {
			const char *f = g->fields.v[k];
			ssize_t i = ml_rec_find(r, f, strlen(f));
			size_t vlen, nlen;
			if (i < 0)
				continue;
			const char *v = ml_rec_value_raw(r, (size_t)i, &vlen);
			const char *name = renamed(g, f, strlen(f), &nlen);
			ml_recw_add(&g->w, name, nlen, v, vlen);
		}
	} else {
		for (size_t i = 0; i < ml_rec_count(r); i++) {
			size_t klen, vlen, nlen;
			int escaped;
			const char *k = ml_rec_key_raw(r, i, &klen, &escaped);
			if (escaped && !(k = ml_rec_key_text(r, i, &klen, &g->scratch)))
				return ml_err_set(err, ML_ERR_IO, "out of memory");
			if (dup && ml_rec_find(r, k, klen) != (ssize_t)i)
				continue;	/* an earlier occurrence */
			const char *name = renamed(g, k, klen, &nlen);
			if (name == k && !escaped) {
				ml_recw_copy(&g->w, r, i);
			} else {
				const char *v = ml_rec_value_raw(r, i, &vlen);
				ml_recw_add(&g->w, name, nlen, v, vlen);
			}
		}
	}
	if (add_source(g) < 0 || ml_recw_end(&g->w, g->out) < 0)
		return emit_write_error(g->out, err);
	g->written++;
	return 0;
}

int emit_reject(struct ingest *g, uint64_t line, const char *reason,
		const char *raw, size_t rawlen, struct ml_err *err)
{
	if (!g->reject)
		return ml_err_set(err, ML_ERR_DATA, "%s:%llu: %s", g->place,
				  (unsigned long long)line, reason);
	struct ml_buf *b = &g->scratch;
	int nomem = 0;		/* any append failed: the reject would lack bytes */
	ml_buf_reset(b);
	nomem |= ml_buf_adds(b, "{\"source\":");
	nomem |= ml_json_quote_lossy(b, g->path, strlen(g->path));
	nomem |= ml_buf_adds(b, ",\"member\":");
	if (g->member)
		nomem |= ml_json_quote_lossy(b, g->member, strlen(g->member));
	else
		nomem |= ml_buf_adds(b, "null");
	nomem |= ml_buf_printf(b, ",\"line\":%llu,\"reason\":", (unsigned long long)line);
	nomem |= ml_json_quote_lossy(b, reason, strlen(reason));
	nomem |= ml_buf_adds(b, ",\"raw\":");
	nomem |= ml_json_quote_lossy(b, raw, rawlen);
	if ((nomem | ml_buf_addc(b, '}')) < 0)
		return ml_err_sys(err, ENOMEM, "%s:%llu: cannot hold the rejected row of %zu bytes",
				  g->place, (unsigned long long)line, rawlen);
	if (ml_out_write(g->reject, b->data, b->len) < 0 || ml_out_end_record(g->reject) < 0)
		return emit_write_error(g->reject, err);
	g->rejected++;
	return 0;
}
