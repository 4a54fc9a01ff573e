/* A side of the comparison: a profile as it was written, or raw records
 * profiled here with their numbers kept for the exact tests. */
#include <errno.h>
#include <jv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "drift.h"
#include "ml_bundle.h"
#include "ml_cli.h"
#include "ml_in.h"
#include "ml_json.h"
#include "ml_rec.h"

static size_t slot_of(const struct side *s, const char *name, size_t n)
{
	return (size_t)XXH64(name, n, 0) & (s->icap - 1);
}

static struct raw_values *find_vals(struct side *s, const char *name, size_t n, int create)
{
	if (s->icap) {
		for (size_t h = slot_of(s, name, n);; h = (h + 1) & (s->icap - 1)) {
			size_t k = s->index[h];
			if (!k)
				break;
			struct raw_values *v = &s->vals[k - 1];
			if (strlen(v->name) == n && memcmp(v->name, name, n) == 0)
				return v;
		}
	}
	if (!create)
		return NULL;
	if ((s->nvals + 1) * 2 > s->icap) {
		size_t cap = s->icap ? s->icap * 2 : 64;
		size_t *idx = calloc(cap, sizeof *idx);
		if (!idx)
			return NULL;
		free(s->index);
		s->index = idx;
		s->icap = cap;
		for (size_t i = 0; i < s->nvals; i++) {
			size_t h = slot_of(s, s->vals[i].name, strlen(s->vals[i].name));
			while (s->index[h])
				h = (h + 1) & (s->icap - 1);
			s->index[h] = i + 1;
		}
	}
	if (s->nvals == s->capvals) {
		size_t cap = s->capvals ? s->capvals * 2 : 16;
		struct raw_values *v = realloc(s->vals, cap * sizeof *v);
		if (!v)
			return NULL;
		s->vals = v;
		s->capvals = cap;
	}
	struct raw_values *v = &s->vals[s->nvals];
	memset(v, 0, sizeof *v);
	if (!(v->name = strndup(name, n)))
		return NULL;
	/* looked up once a column, not once a value */
	const struct ml_column *c = ml_profile_find(s->p, v->name);
	v->skip = c && c->name_len == n && c->skip;
	size_t h = slot_of(s, name, n);
	while (s->index[h])
		h = (h + 1) & (s->icap - 1);
	s->index[h] = ++s->nvals;
	return v;
}

/* Keeps the finite numbers of a record (just profiled), column by column:
 * of a key given twice only the last value, as the profile counts it, and
 * none of a column the options leave out. */
static int keep_numbers(struct side *s, struct ml_rec *r, struct ml_buf *key)
{
	int dup = ml_rec_has_duplicates(r);

	if (dup < 0)
		return -1;
	for (size_t i = 0; i < ml_rec_count(r); i++) {
		double x;
		if (ml_rec_type(r, i) != ML_JSON_NUMBER || ml_rec_number(r, i, &x) < 0 || !isfinite(x))
			continue;
		ml_buf_reset(key);
		if (ml_rec_key(r, i, key) < 0 || ml_buf_terminate(key) < 0)
			return -1;
		if (dup && ml_rec_find(r, key->data, key->len) != (ssize_t)i)
			continue;
		struct raw_values *v = find_vals(s, key->data, key->len, 1);
		if (!v)
			return -1;
		if (v->skip)
			continue;
		if (v->n == v->cap) {
			size_t cap = v->cap ? v->cap * 2 : 1024;
			double *nv = realloc(v->v, cap * sizeof *nv);
			if (!nv)
				return -1;
			v->v = nv;
			v->cap = cap;
		}
		v->v[v->n++] = x;
	}
	return 0;
}

/* A model bundle's side is the profile of its training data. */
static int load_bundle(struct side *s, struct ml_in *in, const char *path,
		       const struct ml_profile_opts *opts, struct ml_cli *cli, struct ml_err *err)
{
	struct ml_bundle *b = ml_bundle_read_in(in, err);
	struct ml_profile_reader *rd = NULL;
	size_t len;
	const char *text, *end, *line;
	uint64_t profiles = 0;
	int rc = 0;

	if (!b)
		return -1;
	s->path = path;
	if (!(text = ml_bundle_member(b, "profile.ndjson", &len))) {
		ml_bundle_free(b);
		return ml_err_set(err, ML_ERR_DATA, "%s: the bundle holds no training profile", path);
	}
	if (!(s->p = ml_profile_new(opts)) || !(rd = ml_profile_reader_new(opts)))
		rc = ml_err_sys(err, ENOMEM, "%s", path);
	for (line = text, end = text + len; rc == 0 && line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		int done = n ? ml_profile_reader_merge_line(rd, line, n, s->p, err) : 0;
		if (done < 0)
			rc = ml_err_prefix(err, "%s(profile.ndjson)", path);
		profiles += done > 0;
		line += n + 1;
	}
	if (rc == 0 && ml_profile_reader_end(rd, err) < 0)
		rc = ml_err_prefix(err, "%s(profile.ndjson)", path);
	size_t mlen;
	const char *m = ml_bundle_manifest(b, &mlen);
	jv manifest = jv_parse_sized(m, (int)mlen), target = jv_object_get(manifest, jv_string("target"));
	if (rc == 0 && jv_get_kind(target) == JV_KIND_STRING && !(s->target = strdup(jv_string_value(target))))
		rc = ml_err_sys(err, ENOMEM, "%s", path);
	jv_free(target);
	ml_run_input(cli->run, path, 0, (int64_t)profiles, ml_bundle_sha256(b));
	ml_profile_reader_free(rd);
	ml_bundle_free(b);
	return rc;
}

int side_load(struct side *s, const char *path, const struct ml_profile_opts *opts,
	      struct ml_cli *cli, struct ml_err *err)
{
	struct ml_run *run = cli->run;
	struct ml_in *in = ml_in_open(path, err);
	struct ml_lines *lines = NULL;
	struct ml_rec *r = ml_rec_new();
	struct ml_profile_reader *rd = NULL;
	struct ml_buf tmp = {0};
	const char *line;
	size_t len;
	int got, rc = 0, decided = 0, bundle;
	uint64_t records = 0;

	s->path = path;
	if (!in) {
		rc = -1;
		goto out;
	}
	if (!ml_run_log_path(run))
		ml_in_no_hash(in);
	/* a bundle or not, the input is read once: a pipe or FIFO cannot be
	 * opened again */
	if ((bundle = ml_bundle_is_bundle_in(in, err)) != 0) {
		rc = bundle > 0 ? load_bundle(s, in, path, opts, cli, err) : -1;
		goto out;
	}
	if (!r || !(lines = ml_lines_of(in)) || !(s->p = ml_profile_new(opts))) {
		rc = ml_err_sys(err, ENOMEM, "%s", path);
		goto out;
	}
	while ((got = ml_lines_next(lines, &line, &len, err)) > 0) {
		if (ml_json_skip_ws(line, line + len) == line + len)
			continue;
		if (!decided) {
			decided = 1;
			s->raw = !ml_profile_is_first_line(r, line, len, &tmp);
			if (!s->raw && !(rd = ml_profile_reader_new(opts))) {
				rc = ml_err_sys(err, ENOMEM, "%s", path);
				break;
			}
		}
		if (s->raw) {
			records++;
			ml_cli_progress(cli, records);
			if (ml_rec_parse(r, line, len, err) < 0 || ml_profile_add(s->p, r, err) < 0) {
				rc = -1;
			} else if (keep_numbers(s, r, &tmp) < 0) {
				rc = ml_err_sys(err, ENOMEM, "cannot hold the numbers");
			}
		} else {
			/* profiles of shards, one after another, count as one */
			int done = ml_profile_reader_merge_line(rd, line, len, s->p, err);
			records += done > 0;
			rc = done < 0 ? -1 : 0;
		}
		if (rc < 0) {
			ml_err_prefix(err, "%s:%llu", ml_in_name(in), (unsigned long long)ml_lines_number(lines));
			break;
		}
	}
	if (got < 0)
		rc = -1;
	if (rc == 0 && rd && ml_profile_reader_end(rd, err) < 0)
		rc = ml_err_prefix(err, "%s", ml_in_name(in));
	if (rc == 0 && s->raw) {
		ml_profile_add_source(s->p, ml_in_bytes(in), ml_in_sha256(in));
		rc = ml_profile_finish(s->p, err);
	}
	ml_run_input(run, ml_in_path(in), ml_in_bytes(in), (int64_t)records, ml_in_sha256(in));
out:
	ml_buf_free(&tmp);
	ml_profile_reader_free(rd);
	ml_rec_free(r);
	ml_lines_free(lines);
	ml_in_close(in);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct raw_values *side_values(struct side *s, const char *name)
{
	struct raw_values *v;

	if (!s->raw || !(v = find_vals(s, name, strlen(name), 0)) || !v->n)
		return NULL;
	if (!v->sorted) {
		qsort(v->v, v->n, sizeof *v->v, cmp_double);
		v->sorted = 1;
	}
	return v;
}

void side_free(struct side *s)
{
	for (size_t i = 0; i < s->nvals; i++) {
		free(s->vals[i].name);
		free(s->vals[i].v);
	}
	free(s->vals);
	free(s->index);
	free(s->target);
	ml_profile_free(s->p);
	memset(s, 0, sizeof *s);
}
