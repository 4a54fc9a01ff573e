/* Bundles: the ones named on the command line, read whole so the bytes
 * stored are the bytes verified, and the ones stored as objects. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_in.h"
#include "ml_json.h"
#include "promote.h"

int read_whole(const char *path, struct ml_buf *out, char id[ML_SHA256_ID_SIZE], struct ml_err *err)
{
	struct ml_in *in = ml_in_open(path, err);
	int rc = 0;

	ml_buf_reset(out);
	if (!in)
		return -1;
	for (;;) {
		if (out->cap - out->len < 65536 && ml_buf_reserve(out, 65536) < 0) {
			rc = ml_err_sys(err, ENOMEM, "cannot read '%s'", ml_in_name(in));
			break;
		}
		ssize_t got = ml_in_read(in, out->data + out->len, out->cap - out->len, err);
		if (got < 0) {
			rc = -1;
			break;
		}
		if (got == 0) {
			memcpy(id, ml_in_sha256(in), ML_SHA256_ID_SIZE);
			break;
		}
		out->len += (size_t)got;
	}
	ml_in_close(in);
	return rc;
}

int json_string_or_null(struct ml_buf *out, int has, const struct ml_buf *text)
{
	if (!has)
		return ml_buf_adds(out, "null");
	return ml_json_quote(out, text->data ? text->data : "", text->len);
}

int string_field(const struct ml_rec *r, const char *key, struct ml_buf *out)
{
	ssize_t i = ml_rec_find(r, key, strlen(key));

	ml_buf_reset(out);
	if (i < 0 || ml_rec_type(r, (size_t)i) != ML_JSON_STRING)
		return 0;
	return ml_rec_string(r, (size_t)i, out) == 0 && ml_buf_terminate(out) == 0;
}

void json_elems_start(struct json_elems *it, const char *raw, size_t n)
{
	it->p = raw + 1;
	it->end = raw + n - 1;
}

int json_elems_next(struct json_elems *it, const char **v, size_t *n, enum ml_json_type *type)
{
	struct ml_json_fail fail;
	const char *after;

	if ((it->p = ml_json_skip_ws(it->p, it->end)) >= it->end ||
	    !(after = ml_json_scan_value(it->p, it->end, 2, type, &fail)))
		return 0;
	*v = it->p;
	*n = (size_t)(after - it->p);
	it->p = ml_json_skip_ws(after, it->end);
	if (it->p < it->end && *it->p == ',')
		it->p++;
	return 1;
}

/* training.sources: the ids of the data the model was trained on. */
static int training_sources(const struct ml_rec *manifest, struct manifest_info *mi)
{
	ssize_t i = ml_rec_find(manifest, "training", 8);
	struct ml_rec *training;
	struct ml_buf one = {0};
	size_t n;
	int rc = 0;

	if (i < 0 || ml_rec_type(manifest, (size_t)i) != ML_JSON_OBJECT)
		return 0;
	const char *raw = ml_rec_value_raw(manifest, (size_t)i, &n);
	struct ml_err err;
	if (!(training = ml_rec_new()))
		return -1;
	if (ml_rec_parse(training, raw, n, &err) < 0 ||
	    (i = ml_rec_find(training, "sources", 7)) < 0 ||
	    ml_rec_type(training, (size_t)i) != ML_JSON_ARRAY)
		goto out;
	raw = ml_rec_value_raw(training, (size_t)i, &n);
	struct json_elems it;
	const char *v;
	size_t vlen;
	enum ml_json_type type;
	json_elems_start(&it, raw, n);
	while (json_elems_next(&it, &v, &vlen, &type)) {
		if (type == ML_JSON_STRING) {
			ml_buf_reset(&one);
			if (ml_json_unescape(v + 1, vlen - 2, &one) < 0 ||
			    ml_buf_terminate(&one) < 0) {
				rc = -1;
				goto out;
			}
			ml_buf_printf(&mi->sources, "%s%s", mi->nsources ? ", " : "", one.data ? one.data : "");
			if (!mi->nsources && one.len == ML_SHA256_ID_SIZE - 1 && !strncmp(one.data, "sha256:", 7))
				memcpy(mi->training_data, one.data, ML_SHA256_ID_SIZE);
			mi->nsources++;
		}
	}
	/* several sources: no one of them is "the" training data */
	if (mi->nsources != 1)
		mi->training_data[0] = '\0';
out:
	ml_rec_free(training);
	ml_buf_free(&one);
	return rc == 0 ? ml_buf_terminate(&mi->sources) : rc;
}

int manifest_read(const char *json, size_t len, struct manifest_info *mi)
{
	struct ml_rec *r = ml_rec_new();
	struct ml_err err;
	int rc = 0;

	memset(mi, 0, sizeof *mi);
	if (!r)
		return -1;
	if (ml_rec_parse(r, json, len, &err) == 0) {
		mi->has_algo = string_field(r, "algorithm", &mi->algo);
		mi->has_task = string_field(r, "task", &mi->task);
		mi->has_target = string_field(r, "target", &mi->target);
		rc = training_sources(r, mi);
	}
	ml_rec_free(r);
	return rc;
}

void manifest_info_free(struct manifest_info *mi)
{
	ml_buf_free(&mi->algo);
	ml_buf_free(&mi->task);
	ml_buf_free(&mi->target);
	ml_buf_free(&mi->sources);
}

int bundle_load(struct bundle_in *bi, const char *path, struct ml_err *err)
{
	char id[ML_SHA256_ID_SIZE];
	size_t mlen;

	memset(bi, 0, sizeof *bi);
	bi->path = path;
	/* what is stored must be what was verified: the file is read twice */
	if (!strcmp(path, "-"))
		return ml_err_set(err, ML_ERR_USAGE,
				  "-: a bundle to store must be a file, not standard input");
	if (!(bi->b = ml_bundle_read(path, err)) || read_whole(path, &bi->bytes, id, err) < 0)
		return -1;
	if (!ml_bundle_sha256(bi->b) || strcmp(id, ml_bundle_sha256(bi->b)))
		return ml_err_set(err, ML_ERR_DATA, "%s: the file changed while it was read", path);
	memcpy(bi->id, id, sizeof id);
	const char *manifest = ml_bundle_manifest(bi->b, &mlen);
	if (manifest && manifest_read(manifest, mlen, &bi->info) < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	return 0;
}

void bundle_in_free(struct bundle_in *bi)
{
	ml_bundle_free(bi->b);
	ml_buf_free(&bi->bytes);
	manifest_info_free(&bi->info);
	memset(bi, 0, sizeof *bi);
}

int object_is_bundle(struct ml_registry *reg, const char *id, const char *path, struct ml_err *err)
{
	if (ml_bundle_is_bundle(path))
		return 0;
	return ml_err_set(err, ML_ERR_DATA, "registry %s: object %s is not a bundle", ml_registry_dir(reg), id);
}

struct ml_bundle *object_bundle(struct ml_registry *reg, const char *id, char **path,
				struct ml_err *err)
{
	struct ml_bundle *b;

	if (!(*path = ml_registry_object_path(reg, id, err)) || object_is_bundle(reg, id, *path, err) < 0)
		return NULL;
	if (!(b = ml_bundle_read(*path, err)))
		return NULL;
	/* it was checked above; this read is the one used, so check it too */
	if (!ml_bundle_sha256(b) || strcmp(ml_bundle_sha256(b), id)) {
		ml_err_set(err, ML_ERR_DATA, "registry %s: object %s is corrupt (its bytes hash to %s)",
			   ml_registry_dir(reg), id, ml_bundle_sha256(b) ? ml_bundle_sha256(b) : "?");
		ml_bundle_free(b);
		return NULL;
	}
	return b;
}

int looks_like_id(const char *arg)
{
	return strncmp(arg, "sha256:", 7) == 0;
}
