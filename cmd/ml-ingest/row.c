/* Delimited text, row by row: the header makes the plan, each data row is
 * typed field by field and written in the plan's order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "ingest.h"
#include "ml_json.h"

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		if (n)
			memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* The column names taken so far, by hash: a header of many thousand
 * columns, or one name repeated thousands of times, must not cost a scan
 * of all the names before each one (found by fuzzing: a 6 KB header took
 * over a minute). */
struct name_set {
	size_t *slot;		/* index + 1 into names; 0 empty */
	size_t mask;
	char **names;
	int *next;		/* per name: the suffix its next repeat tries first */
};

static size_t name_slot(const struct name_set *t, const char *name)
{
	size_t h = (size_t)XXH3_64bits(name, strlen(name)) & t->mask;

	while (t->slot[h] && strcmp(t->names[t->slot[h] - 1], name) != 0)
		h = (h + 1) & t->mask;
	return h;
}

/* --rename and --add-source must not give two fields one name: a JSON
 * reader would keep one of them.  The keys go through a hash set: a scan
 * of the earlier keys for each would be quadratic in the columns (found
 * by fuzz_archive: a header of 50,000 columns took 30 seconds here). */
static int keys_unique(struct ingest *g, const struct plan *p, uint64_t line, struct ml_err *err)
{
	struct ml_buf src = {0};
	size_t mask, *slot;

	if (g->add_source && (ml_json_quote(&src, g->add_source, strlen(g->add_source)) < 0 ||
			      ml_buf_addc(&src, ':') < 0)) {
		ml_buf_free(&src);
		return ml_err_sys(err, ENOMEM, "%s: header", g->place);
	}
	for (mask = 15; mask < 2 * p->nout; mask = mask * 2 + 1)
		;
	slot = calloc(mask + 1, sizeof *slot);	/* index + 1 into p->keys; 0 empty */
	if (!slot) {
		ml_buf_free(&src);
		return ml_err_sys(err, ENOMEM, "%s: header", g->place);
	}
	int rc = 0;
	for (size_t k = 0; k < p->nout && rc == 0; k++) {
		const struct ml_buf *a = &p->keys[k];
		if (src.len && a->len == src.len && memcmp(a->data, src.data, a->len) == 0) {
			rc = ml_err_set(err, ML_ERR_DATA, "%s:%llu: --add-source %s: the records have "
					"a field '%s' already", g->place, (unsigned long long)line,
					g->add_source, g->add_source);
			break;
		}
		size_t h = (size_t)XXH3_64bits(a->data, a->len) & mask;
		for (; slot[h]; h = (h + 1) & mask) {
			size_t j = slot[h] - 1;
			const struct ml_buf *b = &p->keys[j];
			if (a->len == b->len && memcmp(a->data, b->data, a->len) == 0) {
				const char *x = p->names[p->out_col[j]], *y = p->names[p->out_col[k]];
				rc = ml_err_set(err, ML_ERR_DATA, "%s:%llu: columns '%s' and '%s' would both "
						"be named %.*s (check --rename)", g->place,
						(unsigned long long)line, x, y, (int)a->len - 1, a->data);
				break;
			}
		}
		slot[h] = k + 1;
	}
	free(slot);
	ml_buf_free(&src);
	return rc;
}

/* Whether the header has a column named name, after --rename when renamed. */
static int has_column(const struct ingest *g, const struct plan *p, const char *name, int renamed_name)
{
	for (size_t i = 0; i < p->ncols; i++) {
		size_t len;
		const char *c = renamed_name ? renamed(g, p->names[i], strlen(p->names[i]), &len)
					     : p->names[i];
		if (strcmp(c, name) == 0)
			return 1;
	}
	return 0;
}

/* The fields --string and --rename name are columns of the header, as those
 * of --fields are: a misspelt name would otherwise do nothing, unseen.  0,
 * or -1 with err. */
static int options_found(struct ingest *g, const struct plan *p, uint64_t line, struct ml_err *err)
{
	for (size_t k = 0; k < g->strings.n; k++)
		if (!has_column(g, p, g->strings.v[k], 1))
			return ml_err_set(err, ML_ERR_DATA, "%s:%llu: no column '%s' (from --string) in the "
					  "header%s", g->place, (unsigned long long)line, g->strings.v[k],
					  g->nrenames ? " (--string names a column after --rename)" : "");
	for (size_t k = 0; k < g->nrenames; k++)
		if (!has_column(g, p, g->renames[k].from, 0))
			return ml_err_set(err, ML_ERR_DATA, "%s:%llu: no column '%s' (from --rename) in the header",
					  g->place, (unsigned long long)line, g->renames[k].from);
	return 0;
}

int plan_build(struct ingest *g, struct plan *p, char **names, const size_t *lens, size_t n,
	       uint64_t line, struct ml_err *err)
{
	memset(p, 0, sizeof *p);
	p->ncols = n;
	p->names = calloc(n + 1, sizeof *p->names);
	p->slot = calloc(n + 1, sizeof *p->slot);
	p->types = calloc(n + 1, sizeof *p->types);
	size_t nout = g->fields.n ? g->fields.n : n;
	p->out_col = calloc(nout + 1, sizeof *p->out_col);
	p->keys = calloc(nout + 1, sizeof *p->keys);
	if (!p->names || !p->slot || !p->types || !p->out_col || !p->keys)
		return ml_err_sys(err, ENOMEM, "%s: header", g->place);
	struct name_set taken = {.names = p->names};
	for (taken.mask = 15; taken.mask < 2 * n; taken.mask = taken.mask * 2 + 1)
		;
	taken.slot = calloc(taken.mask + 1, sizeof *taken.slot);
	taken.next = calloc(n + 1, sizeof *taken.next);
	if (!taken.slot || !taken.next) {
		free(taken.slot);
		free(taken.next);
		return ml_err_sys(err, ENOMEM, "%s: header", g->place);
	}
	for (size_t i = 0; i < n; i++) {
		char made[64];
		const char *name = names ? names[i] : NULL;
		if (!name || !*name) {
			snprintf(made, sizeof made, "c%zu", i + 1);
			name = made;
		}
		/* the name as read, before an empty one is made up: a NUL then one
		 * byte is as long as "c1" */
		if (names && names[i] && strlen(names[i]) != lens[i]) {
			free(taken.slot);
			free(taken.next);
			return ml_err_set(err, ML_ERR_DATA, "%s:%llu: a NUL byte in the name of column %zu",
					  g->place, (unsigned long long)line, i + 1);
		}
		if (ml_utf8_valid_prefix(name, strlen(name)) != strlen(name)) {
			free(taken.slot);
			free(taken.next);
			return ml_err_set(err, ML_ERR_DATA, "%s:%llu: invalid UTF-8 in the name of column %zu",
					  g->place, (unsigned long long)line, i + 1);
		}
		/* a name seen before gets _2, _3, ...: keys stay unique, nothing lost */
		char *unique = strdup(name);
		size_t h = unique ? name_slot(&taken, unique) : 0, base = 0;
		int k = 2;
		if (unique && taken.slot[h]) {
			/* the repeats of one name go on from where the last stopped */
			base = taken.slot[h] - 1;
			k = taken.next[base] ? taken.next[base] : 2;
		}
		for (; unique && taken.slot[h]; k++) {
			free(unique);
			size_t m = strlen(name) + 24;
			if ((unique = malloc(m))) {
				snprintf(unique, m, "%s_%d", name, k);
				h = name_slot(&taken, unique);
				if (!taken.slot[h])
					taken.next[base] = k + 1;
			}
		}
		if (!unique) {
			free(taken.slot);
			free(taken.next);
			return ml_err_sys(err, ENOMEM, "%s: header", g->place);
		}
		p->names[i] = unique;
		taken.slot[h] = i + 1;
		p->slot[i] = -1;
	}
	free(taken.slot);
	free(taken.next);
	if (g->fields.n) {
		for (size_t k = 0; k < g->fields.n; k++) {
			size_t i;
			for (i = 0; i < n && strcmp(p->names[i], g->fields.v[k]) != 0; i++)
				;
			if (i == n)
				return ml_err_set(err, ML_ERR_DATA, "%s:%llu: no column '%s' (from --fields) in the header",
						  g->place, (unsigned long long)line, g->fields.v[k]);
			p->out_col[p->nout++] = i;
		}
	} else {
		for (size_t i = 0; i < n; i++)
			p->out_col[p->nout++] = i;
	}
	for (size_t k = 0; k < p->nout; k++) {
		size_t i = p->out_col[k], len;
		const char *name = renamed(g, p->names[i], strlen(p->names[i]), &len);
		p->slot[i] = (ssize_t)k;
		p->types[i] = forced_type(g, name, len);
		if (ml_json_quote(&p->keys[k], name, len) < 0 || ml_buf_addc(&p->keys[k], ':') < 0)
			return ml_err_sys(err, ENOMEM, "%s: header", g->place);
		p->keys_len += p->keys[k].len;
	}
	if (options_found(g, p, line, err) < 0)
		return -1;
	return keys_unique(g, p, line, err);
}

void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->ncols; i++)
		free(p->names[i]);
	for (size_t k = 0; k < p->nout; k++)
		ml_buf_free(&p->keys[k]);
	free(p->names);
	free(p->slot);
	free(p->types);
	free(p->out_col);
	free(p->keys);
	memset(p, 0, sizeof *p);
}

static int grow(struct row *r)
{
	size_t cap = r->cap ? r->cap * 2 : 32;
	size_t *off = realloc(r->off, cap * sizeof *off);
	if (!off)
		return -1;
	r->off = off;
	size_t *len = realloc(r->len, cap * sizeof *len);
	if (!len)
		return -1;
	r->len = len;
	r->cap = cap;
	return 0;
}

static void set_bad(struct row *r, size_t col, const char *why)
{
	static char reason[512];

	snprintf(reason, sizeof reason, "column '%s': %s", r->plan.names[col], why);
	r->bad = reason;
}

int row_field(struct ingest *g, struct row *r, const char *s, size_t n, int is_null)
{
	if (!r->planned) {
		/* the first row: keep it raw until the plan exists */
		if (r->nfirst == r->capfirst) {
			size_t cap = r->capfirst ? r->capfirst * 2 : 32;
			char **v = realloc(r->first, cap * sizeof *v);
			if (!v)
				return -1;
			r->first = v;
			size_t *l = realloc(r->firstlen, cap * sizeof *l);
			if (!l)
				return -1;
			r->firstlen = l;
			r->capfirst = cap;
		}
		/* NULL marks an unquoted empty field */
		if (!is_null && !(r->first[r->nfirst] = dup_n(s, n)))
			return -1;
		if (is_null)
			r->first[r->nfirst] = NULL;
		r->firstlen[r->nfirst++] = n;
		return 0;
	}
	size_t i = r->n++;
	if (i >= r->plan.ncols || r->plan.slot[i] < 0)
		return 0;
	if (r->direct) {
		struct ml_buf *b = &r->line;
		const struct ml_buf *key = &r->plan.keys[i];
		if (i == 0)
			ml_buf_reset(b);
		if (ml_buf_reserve(b, key->len + 1) < 0)
			return -1;
		b->data[b->len++] = i ? ',' : '{';
		memcpy(b->data + b->len, key->data, key->len);
		b->len += key->len;
		const char *why = type_value(b, s, n, is_null, r->plan.types[i], &g->nulls);
		if (why == type_no_memory)
			return -1;
		if (why && !r->bad)
			set_bad(r, i, why);
		return 0;
	}
	if (i >= r->cap && grow(r) < 0)
		return -1;
	r->off[i] = r->vals.len;
	const char *why = type_value(&r->vals, s, n, is_null, r->plan.types[i], &g->nulls);
	if (why == type_no_memory)
		return -1;
	r->len[i] = r->vals.len - r->off[i];
	if (why && !r->bad)
		set_bad(r, i, why);
	return 0;
}

/* Whether s[0..n) is a number in JSON's grammar (ml_json_is_number, inlined
 * for the hot loop). */
static inline int is_number(const unsigned char *s, size_t n)
{
	const unsigned char *p = s, *e = s + n;

	if (p < e && *p == '-')
		p++;
	if (p == e)
		return 0;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (++p < e && *p >= '0' && *p <= '9')
			;
	else
		return 0;
	if (p < e && *p == '.') {
		if (++p == e || *p < '0' || *p > '9')
			return 0;
		while (++p < e && *p >= '0' && *p <= '9')
			;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		if (++p < e && (*p == '+' || *p == '-'))
			p++;
		if (p == e || *p < '0' || *p > '9')
			return 0;
		while (++p < e && *p >= '0' && *p <= '9')
			;
	}
	return p == e;
}

/* Printable ASCII with nothing to escape: copied between quotes as it is. */
static inline int is_plain_text(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] >= 0x80 || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

int row_plain_line(struct ingest *g, struct row *r, const char *line, size_t len, int delim)
{
	const struct plan *p = &r->plan;
	struct ml_buf *b = &r->line;
	const unsigned char *q = (const unsigned char *)line, *end = q + len;
	size_t i;

	if (!r->planned || !r->direct)
		return 0;
	/* room for the worst case (every byte escaped as \u00XX), so the loop
	 * writes without checking */
	if (ml_buf_reserve(b, 6 * len + p->keys_len + 2 * p->ncols + 8) < 0)
		return -1;
	b->len = 0;
	for (i = 0;; i++) {
		const unsigned char *d = memchr(q, delim, (size_t)(end - q));
		const unsigned char *fe = d ? d : end;
		size_t n = (size_t)(fe - q);
		if (i < p->ncols) {
			char *o = b->data + b->len;
			const struct ml_buf *key = &p->keys[i];
			*o++ = i ? ',' : '{';
			memcpy(o, key->data, key->len);
			o += key->len;
			unsigned char c = n ? q[0] : 0;
			if (p->types[i] == VT_AUTO && n &&
			    !(g->nulls.first[c] && g->nulls.n) &&
			    (((c >= '0' && c <= '9') || c == '-') ? is_number(q, n)
			     : c != 't' && c != 'f' && c != 'T' && c != 'F' && is_plain_text(q, n))) {
				/* the common cases: a number as written, or plain text */
				int quoted = !((c >= '0' && c <= '9') || c == '-');
				if (quoted)
					*o++ = '"';
				memcpy(o, q, n);
				o += n;
				if (quoted)
					*o++ = '"';
				b->len = (size_t)(o - b->data);
			} else {
				b->len = (size_t)(o - b->data);
				const char *why = type_value(b, (const char *)q, n, n == 0,
							     p->types[i], &g->nulls);
				if (why == type_no_memory)
					return -1;
				if (why && !r->bad)
					set_bad(r, i, why);
			}
		}
		if (!d)
			break;
		q = d + 1;
	}
	r->n = i + 1;
	return 1;
}

/* Writes the row's record; line is where it starts, for a message. */
static int write_row(struct ingest *g, struct row *r, uint64_t line, struct ml_err *err)
{
	struct ml_buf *b = &r->line;
	const struct plan *p = &r->plan;
	int nomem = 0;		/* any append failed: the record would lack bytes */

	if (r->direct) {
		if (p->ncols == 0) {
			ml_buf_reset(b);
			nomem |= ml_buf_addc(b, '{');
		}
		goto tail;
	}
	ml_buf_reset(b);
	nomem |= ml_buf_addc(b, '{');
	for (size_t k = 0; k < p->nout; k++) {
		size_t i = p->out_col[k];
		if (k)
			nomem |= ml_buf_addc(b, ',');
		nomem |= ml_buf_add(b, p->keys[k].data, p->keys[k].len);
		nomem |= ml_buf_add(b, r->vals.data + r->off[i], r->len[i]);
	}
tail:
	if (g->add_source) {
		if (p->nout)
			nomem |= ml_buf_addc(b, ',');
		nomem |= ml_json_quote(b, g->add_source, strlen(g->add_source));
		nomem |= ml_buf_addc(b, ':');
		nomem |= ml_buf_add(b, g->source_json.data, g->source_json.len);
	}
	if ((nomem | ml_buf_addc(b, '}')) < 0)
		return ml_err_sys(err, ENOMEM, "%s:%llu: cannot hold a record of %zu bytes or more",
				  g->place, (unsigned long long)line, b->len);
	if (ml_out_write(g->out, b->data, b->len) < 0 || ml_out_end_record(g->out) < 0)
		return emit_write_error(g->out, err);
	g->written++;
	return 0;
}

static int replay_first(struct ingest *g, struct row *r)
{
	for (size_t i = 0; i < r->nfirst; i++) {
		const char *s = r->first[i];
		if (row_field(g, r, s ? s : "", s ? r->firstlen[i] : 0, s == NULL) < 0)
			return -1;
	}
	return 0;
}

static void free_first(struct row *r)
{
	for (size_t i = 0; i < r->nfirst; i++)
		free(r->first[i]);
	r->nfirst = 0;
}

int row_end(struct ingest *g, struct row *r, uint64_t line, const char *raw,
	    size_t rawlen, struct ml_err *err)
{
	int rc = 0;

	if (!r->planned) {
		rc = plan_build(g, &r->plan, g->no_header ? NULL : r->first, r->firstlen, r->nfirst,
				line, err);
		r->planned = 1;
		r->direct = rc == 0 && !g->fields.n;
		if (rc == 0 && g->no_header) {
			if (replay_first(g, r) < 0)
				rc = ml_err_sys(err, ENOMEM, "%s", g->place);
		}
		free_first(r);
		if (rc < 0 || !g->no_header) {
			row_discard(r);
			return rc;
		}
	}
	g->read++;
	ingest_progress(g);
	if (r->n != r->plan.ncols) {
		char reason[128];
		snprintf(reason, sizeof reason, "row has %zu field%s, the header has %zu",
			 r->n, r->n == 1 ? "" : "s", r->plan.ncols);
		rc = emit_reject(g, line, reason, raw, rawlen, err);
	} else if (r->bad) {
		rc = emit_reject(g, line, r->bad, raw, rawlen, err);
	} else {
		rc = write_row(g, r, line, err);
	}
	row_discard(r);
	return rc;
}

void row_discard(struct row *r)
{
	ml_buf_reset(&r->vals);
	r->n = 0;
	r->bad = NULL;
}

void row_free(struct row *r)
{
	free_first(r);
	free(r->first);
	free(r->firstlen);
	if (r->planned)
		plan_free(&r->plan);
	ml_buf_free(&r->vals);
	ml_buf_free(&r->line);
	free(r->off);
	free(r->len);
	memset(r, 0, sizeof *r);
}
