#include "ml_bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jv.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ml_buf.h"
#include "ml_in.h"
#include "ml_json.h"
#include "ml_out.h"
#include "ml_rec.h"
#include "ml_sha256.h"

/* The end of a tar: two zero blocks. */
#define TAR_BLOCK 512
#define TAR_END (2 * TAR_BLOCK)
/* The largest mtime a ustar header holds in its 11 octal digits; beyond it
 * libarchive would switch to a base-256 field some readers reject. */
#define USTAR_MTIME_MAX 077777777777LL

struct member {
	char *name;
	unsigned char *data;	/* len bytes and a NUL */
	size_t len;
	int type;		/* archive_entry_filetype, when read */
	char sha256[ML_SHA256_ID_SIZE];
};

struct ml_bundle {
	struct member *m;
	size_t n, cap;
	struct ml_buf manifest;
	int has_manifest;
	char sha256[ML_SHA256_ID_SIZE];
	int has_sha256;
};

struct ml_bundle *ml_bundle_new(void)
{
	return calloc(1, sizeof(struct ml_bundle));
}

void ml_bundle_free(struct ml_bundle *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free(b->m[i].name);
		free(b->m[i].data);
	}
	free(b->m);
	ml_buf_free(&b->manifest);
	free(b);
}

static struct member *find(const struct ml_bundle *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->m[i].name, name) == 0)
			return &b->m[i];
	return NULL;
}

static int hash_bytes(const void *p, size_t n, char id[ML_SHA256_ID_SIZE], struct ml_err *err)
{
	struct ml_sha256 *h = ml_sha256_new(err);

	if (!h)
		return -1;
	ml_sha256_update(h, p, n);
	ml_sha256_final_id(h, id);
	ml_sha256_free(h);
	return 0;
}

/* Appends a member; takes name and data (len bytes and a NUL) over. */
static struct member *push(struct ml_bundle *b, char *name, unsigned char *data, size_t len)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct member *m = realloc(b->m, cap * sizeof *m);
		if (!m)
			return NULL;
		b->m = m;
		b->cap = cap;
	}
	memset(&b->m[b->n], 0, sizeof b->m[b->n]);
	b->m[b->n].name = name;
	b->m[b->n].data = data;
	b->m[b->n].len = len;
	return &b->m[b->n++];
}

/* Names become tar paths someone may extract and JSON strings in the
 * manifest: the POSIX portable file name characters keep both trivial,
 * and no leading '.' keeps out "..", "." and hidden files. */
static const char *bad_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return "empty";
	if (n > ML_BUNDLE_NAME_MAX)
		return "longer than 100 bytes";
	if (name[0] == '.')
		return "starts with '.'";
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return "has a character other than letters, digits, '.', '_' and '-'";
	if (strcmp(name, ML_BUNDLE_MANIFEST) == 0)
		return "is reserved for the manifest";
	return NULL;
}

int ml_bundle_add(struct ml_bundle *b, const char *name, const void *data, size_t len,
		  struct ml_err *err)
{
	const char *why = bad_name(name);
	char *copy;
	unsigned char *bytes;

	if (why)
		return ml_err_set(err, ML_ERR_USAGE, "bad bundle member name '%s': %s", name, why);
	if (find(b, name))
		return ml_err_set(err, ML_ERR_USAGE, "bundle member '%s' added twice", name);
	copy = strdup(name);
	bytes = malloc(len + 1);
	if (!copy || !bytes || !push(b, copy, bytes, len)) {
		free(copy);
		free(bytes);
		return ml_err_sys(err, ENOMEM, "cannot add bundle member '%s'", name);
	}
	if (len)
		memcpy(bytes, data, len);
	bytes[len] = '\0';
	return 0;
}

/* --- writing --- */

/* Reproducible builds' convention: SOURCE_DATE_EPOCH, when set, is the
 * time to stamp; anything but plain decimal seconds is refused rather than
 * guessed at, since a wrong guess would silently change the bytes. */
static int source_date_epoch(long long *t, struct ml_err *err)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	long long v = 0;

	*t = 0;
	if (!s)
		return 0;
	if (!*s)
		return ml_err_set(err, ML_ERR_USAGE, "SOURCE_DATE_EPOCH is empty (expected decimal seconds)");
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return ml_err_set(err, ML_ERR_USAGE,
					  "SOURCE_DATE_EPOCH '%s' is not decimal seconds", s);
		v = v * 10 + (*p - '0');
		if (v > USTAR_MTIME_MAX)
			return ml_err_set(err, ML_ERR_USAGE,
					  "SOURCE_DATE_EPOCH '%s' is beyond what a tar header holds", s);
	}
	*t = v;
	return 0;
}

static int is_reserved_key(const char *raw, size_t len, int escaped)
{
	static const char *const keys[] = { "format", "version", "members" };

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (ml_json_string_equals(raw, len, escaped, keys[i], strlen(keys[i])))
			return 1;
	return 0;
}

/* The manifest: our "format" and "version" first, the caller's fields as
 * given (minified, so the manifest is one line), "members" last. */
static int build_manifest(struct ml_bundle *b, const char *text, size_t len, struct ml_err *err)
{
	struct ml_rec *r = ml_rec_new();
	struct ml_buf *m = &b->manifest;
	int rc = -1;

	if (!r)
		return ml_err_sys(err, ENOMEM, "cannot build the bundle manifest");
	const char *p = ml_json_skip_ws(text, text + len);
	if (p == text + len || *p != '{') {
		ml_err_set(err, ML_ERR_USAGE, "bundle manifest: not a JSON object");
		goto out;
	}
	if (ml_rec_parse(r, text, len, err) < 0) {
		ml_err_prefix(err, "bundle manifest");
		err->kind = ML_ERR_USAGE;
		goto out;
	}
	ml_buf_reset(m);
	b->has_manifest = 0;
	if (ml_buf_adds(m, "{\"format\":\"" ML_BUNDLE_FORMAT "\",\"version\":") < 0 ||
	    ml_buf_printf(m, "%d", ML_BUNDLE_VERSION) < 0)
		goto nomem;
	for (size_t i = 0; i < ml_rec_count(r); i++) {
		size_t klen, vlen;
		int escaped;
		const char *k = ml_rec_key_raw(r, i, &klen, &escaped);
		const char *v = ml_rec_value_raw(r, i, &vlen);

		if (is_reserved_key(k, klen, escaped)) {
			ml_err_set(err, ML_ERR_USAGE,
				   "bundle manifest: key \"%.*s\" is written by the bundle itself",
				   (int)klen, k);
			goto out;
		}
		if (ml_buf_adds(m, ",\"") < 0 || ml_buf_add(m, k, klen) < 0 ||
		    ml_buf_adds(m, "\":") < 0 || ml_json_minify(m, v, vlen) < 0)
			goto nomem;
	}
	if (ml_buf_adds(m, ",\"members\":[") < 0)
		goto nomem;
	for (size_t i = 0; i < b->n; i++) {
		struct member *e = &b->m[i];

		if (hash_bytes(e->data, e->len, e->sha256, err) < 0)
			goto out;
		/* names are plain ASCII (bad_name): no quoting needed */
		if (ml_buf_printf(m, "%s{\"name\":\"%s\",\"bytes\":%zu,\"sha256\":\"%s\"}",
				  i ? "," : "", e->name, e->len, e->sha256) < 0)
			goto nomem;
	}
	if (ml_buf_adds(m, "]}\n") < 0 || ml_buf_terminate(m) < 0)
		goto nomem;
	b->has_manifest = 1;
	rc = 0;
	goto out;
nomem:
	ml_err_sys(err, ENOMEM, "cannot build the bundle manifest");
out:
	ml_rec_free(r);
	return rc;
}

static la_ssize_t write_cb(struct archive *a, void *ctx, const void *buf, size_t n)
{
	if (ml_out_write(ctx, buf, n) < 0) {
		archive_set_error(a, EIO, "write failed");
		return -1;
	}
	return (la_ssize_t)n;
}

static int put_member(struct archive *a, const char *name, const void *data, size_t len,
		      long long mtime)
{
	struct archive_entry *e = archive_entry_new();
	int rc = -1;

	if (!e)
		return -1;
	/* Every field a ustar header holds is set here, so nothing of the
	 * writer's machine or clock leaks into the bytes; uname and gname
	 * stay unset and are written empty. */
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	if (archive_write_header(a, e) == ARCHIVE_OK &&
	    (len == 0 || archive_write_data(a, data, len) == (la_ssize_t)len))
		rc = 0;
	archive_entry_free(e);
	return rc;
}

int ml_bundle_write(struct ml_bundle *b, const char *manifest_json, size_t manifest_len,
		    struct ml_out *out, struct ml_err *err)
{
	struct archive *a;
	long long mtime;
	int ok;

	if (source_date_epoch(&mtime, err) < 0 ||
	    build_manifest(b, manifest_json, manifest_len, err) < 0)
		return -1;
	if (!(a = archive_write_new()))
		return ml_err_sys(err, ENOMEM, "cannot write bundle '%s'", ml_out_name(out));
	/* ustar, not pax: pax headers may carry times and names; and no
	 * padding to a 10240-byte block, so the file ends with the end marker
	 * and any truncation cuts something ml_bundle_read notices */
	ok = archive_write_set_format_ustar(a) == ARCHIVE_OK &&
	     archive_write_set_bytes_in_last_block(a, 1) == ARCHIVE_OK &&
	     archive_write_open(a, out, NULL, write_cb, NULL) == ARCHIVE_OK &&
	     put_member(a, ML_BUNDLE_MANIFEST, b->manifest.data, b->manifest.len, mtime) == 0;
	for (size_t i = 0; ok && i < b->n; i++)
		ok = put_member(a, b->m[i].name, b->m[i].data, b->m[i].len, mtime) == 0;
	if (ok)
		ok = archive_write_close(a) == ARCHIVE_OK;
	if (!ok) {
		if (ml_out_errno(out))
			ml_out_error(out, err);
		else
			ml_err_set(err, ML_ERR_IO, "cannot write bundle '%s': %s", ml_out_name(out),
				   archive_error_string(a) ? archive_error_string(a) : "libarchive failed");
	}
	archive_write_free(a);
	return ok ? 0 : -1;
}

/* --- reading --- */

/* Slurps the whole input: a bundle is verified before anything in it is
 * used, and the file's hash must cover every byte. */
static int slurp(struct ml_in *in, struct ml_buf *data, struct ml_err *err)
{
	ssize_t got;

	do {
		if (ml_buf_reserve(data, 65536) < 0)
			return ml_err_sys(err, ENOMEM, "cannot read '%s'", ml_in_name(in));
		got = ml_in_read(in, data->data + data->len, 65536, err);
		if (got < 0)
			return -1;
		data->len += (size_t)got;
	} while (got > 0);
	return 0;
}

/* Classifies a libarchive failure: libarchive says "Truncated ..." for
 * every kind of early end, and that is the one users can act on. */
static int archive_fail(struct archive *a, const char *name, const char *member,
			struct ml_err *err)
{
	const char *why = archive_error_string(a);

	if (!why)
		why = "unreadable tar data";
	if (strstr(why, "runcated"))
		return member ? ml_err_set(err, ML_ERR_DATA, "%s: truncated: the file ends inside member %s",
					   name, member)
			      : ml_err_set(err, ML_ERR_DATA, "%s: truncated: the file ends inside a tar header",
					   name);
	return ml_err_set(err, ML_ERR_DATA, "%s: corrupt bundle: %s", name, why);
}

static int read_entry(struct archive *a, struct archive_entry *e, struct ml_bundle *b,
		      const char *name, size_t total, struct ml_err *err)
{
	const char *path = archive_entry_pathname(e);
	la_int64_t size = archive_entry_size(e);
	unsigned char *data;
	char *copy;
	size_t have = 0;

	if (!path)
		return ml_err_set(err, ML_ERR_DATA, "%s: corrupt bundle: a member without a name", name);
	/* a corrupt size field must not become a huge allocation */
	if (size < 0 || (uint64_t)size > total)
		return ml_err_set(err, ML_ERR_DATA,
				  "%s: truncated: member %s claims %lld bytes, more than the file holds",
				  name, path, (long long)size);
	copy = strdup(path);
	data = malloc((size_t)size + 1);
	if (!copy || !data || !push(b, copy, data, (size_t)size)) {
		free(copy);
		free(data);
		return ml_err_sys(err, ENOMEM, "cannot read '%s'", name);
	}
	b->m[b->n - 1].type = (int)archive_entry_filetype(e);
	while (have < (size_t)size) {
		la_ssize_t got = archive_read_data(a, data + have, (size_t)size - have);
		if (got < 0)
			return archive_fail(a, name, path, err);
		if (got == 0)
			return ml_err_set(err, ML_ERR_DATA, "%s: truncated: the file ends inside member %s",
					  name, path);
		have += (size_t)got;
	}
	data[have] = '\0';
	return 0;
}

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Whether the block padding before end (a member's data of size bytes
 * ends there, rounded up to a block) is zeros: no hash covers it, and a
 * bundle must not differ from what its writer wrote in bytes that go
 * unchecked. */
static int zero_padding(const unsigned char *buf, size_t len, la_int64_t end, size_t size)
{
	size_t pad = (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;

	if (end < 0 || (uint64_t)end > len || (size_t)end < pad)
		return 0;
	return all_zero(buf + (size_t)end - pad, pad);
}

/* Reads every tar member into b.  A tar reader stops quietly where the
 * data stops, even between members, so the end marker is checked here:
 * without it a bundle cut at a block boundary would pass as shorter. */
static int read_tar(struct ml_bundle *b, const unsigned char *buf, size_t len,
		    const char *name, struct ml_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	la_int64_t end = 0;	/* where the last member's data ended */
	int r, rc = -1;

	if (!a)
		return ml_err_sys(err, ENOMEM, "cannot read '%s'", name);
	if (archive_read_support_format_tar(a) != ARCHIVE_OK)
		goto fail;
	if (len == 0) {
		ml_err_set(err, ML_ERR_DATA, "%s: not a model bundle: the file is empty", name);
		goto out;
	}
	/* a cut inside the first header leaves too little for libarchive to
	 * call it a tar, but its start still names the manifest */
	if (len < 512 && len >= sizeof ML_BUNDLE_MANIFEST &&
	    !memcmp(buf, ML_BUNDLE_MANIFEST, sizeof ML_BUNDLE_MANIFEST)) {
		ml_err_set(err, ML_ERR_DATA, "%s: truncated: the file ends inside a tar header", name);
		goto out;
	}
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
		ml_err_set(err, ML_ERR_DATA, "%s: not a model bundle: not a tar archive", name);
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		/* ARCHIVE_RETRY is how a damaged header is reported: an error
		 * here, where nothing may be skipped */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			const char *why = archive_error_string(a) ? archive_error_string(a) : "no reason given";
			if (b->n == 0 && !strstr(why, "runcated"))
				ml_err_set(err, ML_ERR_DATA, "%s: not a model bundle: not a tar archive (%s)",
					   name, why);
			else
				archive_fail(a, name, NULL, err);
			goto out;
		}
		if (read_entry(a, e, b, name, len, err) < 0)
			goto out;
		if (archive_read_data_skip(a) != ARCHIVE_OK) {
			archive_fail(a, name, b->m[b->n - 1].name, err);
			goto out;
		}
		end = archive_filter_bytes(a, 0);
		if (!zero_padding(buf, len, end, b->m[b->n - 1].len)) {
			ml_err_set(err, ML_ERR_DATA, "%s: corrupt bundle: the padding after member %s is not zeros",
				   name, b->m[b->n - 1].name);
			goto out;
		}
	}
	la_int64_t stop = archive_filter_bytes(a, 0);
	if (b->n == 0) {
		ml_err_set(err, ML_ERR_DATA, "%s: not a model bundle: an empty tar archive", name);
		goto out;
	}
	if (stop != end + TAR_END || stop < 0 || (uint64_t)stop > len) {
		if ((uint64_t)end + TAR_END <= len)
			ml_err_set(err, ML_ERR_DATA, "%s: corrupt bundle: the tar end marker after member %s is damaged",
				   name, b->m[b->n - 1].name);
		else
			ml_err_set(err, ML_ERR_DATA, "%s: truncated: the tar end marker is missing after member %s",
				   name, b->m[b->n - 1].name);
		goto out;
	}
	/* zeros after the marker are another tar's block padding; anything
	 * else is data a tar reader never shows, so refuse it */
	if (!all_zero(buf + stop, len - (size_t)stop)) {
		ml_err_set(err, ML_ERR_DATA, "%s: corrupt bundle: data after the end of the tar archive",
			   name);
		goto out;
	}
	rc = 0;
	goto out;
fail:
	ml_err_set(err, ML_ERR_IO, "%s: libarchive: %s", name,
		   archive_error_string(a) ? archive_error_string(a) : "failed");
out:
	archive_read_free(a);
	return rc;
}

static jv get(jv o, const char *key)
{
	return jv_object_get(jv_copy(o), jv_string(key));
}

/* A non-negative integer number, as bytes and version must be. */
static int whole_number(jv v, double *out)
{
	double x;

	if (jv_get_kind(v) != JV_KIND_NUMBER)
		return 0;
	x = jv_number_value(v);
	if (!(x >= 0) || x != floor(x) || x > 9007199254740992.0)
		return 0;
	*out = x;
	return 1;
}

/* Format and version come first: a newer version may lay out the rest
 * differently, and "too new" is then the useful message. */
static int check_header(jv doc, const char *name, struct ml_err *err)
{
	jv f = get(doc, "format"), v = get(doc, "version");
	double version;
	int rc = -1;

	if (jv_get_kind(f) != JV_KIND_STRING)
		ml_err_set(err, ML_ERR_DATA, "%s: not a model bundle: manifest.json has no \"format\"", name);
	else if (strcmp(jv_string_value(f), ML_BUNDLE_FORMAT) != 0)
		ml_err_set(err, ML_ERR_DATA,
			   "%s: not a model bundle: manifest.json has format \"%s\", not \"%s\"",
			   name, jv_string_value(f), ML_BUNDLE_FORMAT);
	else if (!whole_number(v, &version) || version < 1)
		ml_err_set(err, ML_ERR_DATA,
			   "%s: corrupt bundle: manifest.json has no \"version\" (a positive integer)", name);
	else if (version > ML_BUNDLE_VERSION)
		ml_err_set(err, ML_ERR_DATA,
			   "%s: bundle format version %.0f is newer than this program reads (%d)",
			   name, version, ML_BUNDLE_VERSION);
	else
		rc = 0;
	jv_free(f);
	jv_free(v);
	return rc;
}

static const char *type_name(int type)
{
	switch (type) {
	case AE_IFDIR: return "a directory";
	case AE_IFLNK: return "a symbolic link";
	default: return "not a regular file";
	}
}

/* One listed member against the member in the tar. */
static int check_listed(const struct ml_bundle *b, jv item, size_t k, const char *name,
			struct ml_err *err)
{
	jv n = get(item, "name"), bytes = get(item, "bytes"), sha = get(item, "sha256");
	const struct member *m;
	double size;
	int rc = -1;

	if (jv_get_kind(n) != JV_KIND_STRING || !whole_number(bytes, &size) ||
	    jv_get_kind(sha) != JV_KIND_STRING) {
		ml_err_set(err, ML_ERR_DATA,
			   "%s: corrupt bundle: manifest.json members[%zu] lacks a name, bytes or sha256",
			   name, k);
		goto out;
	}
	m = find(b, jv_string_value(n));
	if (!m || m == &b->m[0])
		ml_err_set(err, ML_ERR_DATA,
			   "%s: member %s listed in the manifest is missing: the bundle is corrupt",
			   name, jv_string_value(n));
	else if ((double)m->len != size)
		ml_err_set(err, ML_ERR_DATA,
			   "%s: member %s has %zu bytes, the manifest says %.0f: the bundle is corrupt",
			   name, m->name, m->len, size);
	else if (strcmp(m->sha256, jv_string_value(sha)) != 0)
		ml_err_set(err, ML_ERR_DATA,
			   "%s: member %s does not match its SHA-256 in the manifest: the bundle is corrupt",
			   name, m->name);
	else
		rc = 0;
out:
	jv_free(n);
	jv_free(bytes);
	jv_free(sha);
	return rc;
}

static int check_members(const struct ml_bundle *b, jv doc, const char *name, struct ml_err *err)
{
	jv list = get(doc, "members");
	int rc = -1, n;

	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		ml_err_set(err, ML_ERR_DATA, "%s: corrupt bundle: manifest.json has no \"members\" list", name);
		goto out;
	}
	n = jv_array_length(jv_copy(list));
	/* the tar's own shape first: its members are what a reader extracts */
	for (size_t i = 1; i < b->n; i++) {
		const struct member *m = &b->m[i];
		if (m->type != AE_IFREG) {
			ml_err_set(err, ML_ERR_DATA, "%s: not a model bundle: member %s is %s",
				   name, m->name, type_name(m->type));
			goto out;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(b->m[j].name, m->name) == 0) {
				ml_err_set(err, ML_ERR_DATA, "%s: corrupt bundle: member %s occurs twice",
					   name, m->name);
				goto out;
			}
	}
	for (size_t i = 1; i < b->n; i++) {
		int listed = 0;
		for (int k = 0; k < n && !listed; k++) {
			jv item = jv_array_get(jv_copy(list), k);
			jv nm = jv_get_kind(item) == JV_KIND_OBJECT ? get(item, "name") : jv_null();
			listed = jv_get_kind(nm) == JV_KIND_STRING && strcmp(jv_string_value(nm), b->m[i].name) == 0;
			jv_free(nm);
			jv_free(item);
		}
		if (!listed) {
			ml_err_set(err, ML_ERR_DATA,
				   "%s: member %s is not listed in the manifest: the bundle is corrupt",
				   name, b->m[i].name);
			goto out;
		}
	}
	/* every member is listed and occurs once, so n listed entries that all
	 * match and n == b->n - 1 means a one-to-one match */
	for (int k = 0; k < n; k++) {
		jv item = jv_array_get(jv_copy(list), k);
		int bad = jv_get_kind(item) != JV_KIND_OBJECT
			? ml_err_set(err, ML_ERR_DATA,
				     "%s: corrupt bundle: manifest.json members[%d] is not an object", name, k)
			: check_listed(b, item, (size_t)k, name, err);
		jv_free(item);
		if (bad < 0)
			goto out;
	}
	if ((size_t)n != b->n - 1) {
		ml_err_set(err, ML_ERR_DATA, "%s: corrupt bundle: manifest.json lists a member twice", name);
		goto out;
	}
	rc = 0;
out:
	jv_free(list);
	return rc;
}

/* The manifest, then every member against it.  Member hashes are computed
 * here, once, for the comparison. */
static int verify(struct ml_bundle *b, const char *name, struct ml_err *err)
{
	const struct member *man = &b->m[0];
	jv doc;
	int rc = -1;

	if (strcmp(man->name, ML_BUNDLE_MANIFEST) != 0 || man->type != AE_IFREG)
		return ml_err_set(err, ML_ERR_DATA,
				  "%s: not a model bundle: the first member is %s, not manifest.json",
				  name, man->name);
	if (man->len > INT32_MAX)
		return ml_err_set(err, ML_ERR_DATA, "%s: corrupt bundle: manifest.json is too large", name);
	/* strict JSON first: libjq lets a raw NUL or control character through
	 * inside a string, and a manifest read later as a C string would then
	 * be cut short (found by fuzzing) */
	const char *text = (const char *)man->data, *end = text + man->len, *after;
	struct ml_json_fail fail = {0};
	enum ml_json_type type;
	after = ml_json_scan_value(ml_json_skip_ws(text, end), end, 0, &type, &fail);
	if (!after || ml_json_skip_ws(after, end) != end)
		return ml_err_set(err, ML_ERR_DATA, "%s: corrupt bundle: manifest.json is not JSON "
				  "(%s at byte %zu)", name, after ? "text after the value" : fail.why,
				  (size_t)((after ? after : fail.at ? fail.at : text) - text));
	doc = jv_parse_sized(text, (int)man->len);
	if (!jv_is_valid(doc)) {
		jv msg = jv_invalid_get_msg(doc);
		const char *why = jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "no text";
		/* libjq quotes the whole document after its reason: keep the reason */
		const char *cut = strstr(why, " (while parsing");
		ml_err_set(err, ML_ERR_DATA, "%s: corrupt bundle: manifest.json is not JSON: %.*s",
			   name, cut ? (int)(cut - why) : (int)strlen(why), why);
		jv_free(msg);
		return -1;
	}
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		ml_err_set(err, ML_ERR_DATA, "%s: corrupt bundle: manifest.json is not a JSON object", name);
		goto out;
	}
	for (size_t i = 1; i < b->n; i++)
		if (hash_bytes(b->m[i].data, b->m[i].len, b->m[i].sha256, err) < 0)
			goto out;
	if (check_header(doc, name, err) < 0 || check_members(b, doc, name, err) < 0)
		goto out;
	rc = 0;
out:
	jv_free(doc);
	return rc;
}

/* After verification the manifest moves from the member list to its own
 * field: callers ask for members by their own names only. */
static int take_manifest(struct ml_bundle *b, struct ml_err *err)
{
	struct member man = b->m[0];

	ml_buf_reset(&b->manifest);
	if (ml_buf_add(&b->manifest, man.data, man.len) < 0 || ml_buf_terminate(&b->manifest) < 0)
		return ml_err_sys(err, ENOMEM, "cannot keep the bundle manifest");
	free(man.name);
	free(man.data);
	memmove(&b->m[0], &b->m[1], (b->n - 1) * sizeof b->m[0]);
	b->n--;
	b->has_manifest = 1;
	return 0;
}

struct ml_bundle *ml_bundle_read_in(struct ml_in *in, struct ml_err *err)
{
	struct ml_bundle *b = ml_bundle_new();
	struct ml_buf data = {0};
	const char *name = ml_in_name(in);
	int ok = 0;

	if (!b) {
		ml_err_sys(err, ENOMEM, "cannot read '%s'", name);
		return NULL;
	}
	if (slurp(in, &data, err) < 0)
		goto out;
	if (ml_in_sha256(in)) {
		memcpy(b->sha256, ml_in_sha256(in), ML_SHA256_ID_SIZE);
		b->has_sha256 = 1;
	}
	ok = read_tar(b, (const unsigned char *)data.data, data.len, name, err) == 0 &&
	     verify(b, name, err) == 0 && take_manifest(b, err) == 0;
out:
	ml_buf_free(&data);
	if (!ok) {
		ml_bundle_free(b);
		return NULL;
	}
	return b;
}

struct ml_bundle *ml_bundle_read(const char *path, struct ml_err *err)
{
	struct ml_in *in = ml_in_open(path, err);
	struct ml_bundle *b;

	if (!in)
		return NULL;
	b = ml_bundle_read_in(in, err);
	ml_in_close(in);
	return b;
}

const void *ml_bundle_member(const struct ml_bundle *b, const char *name, size_t *len)
{
	const struct member *m = find(b, name);

	if (!m)
		return NULL;
	if (len)
		*len = m->len;
	return m->data;
}

size_t ml_bundle_count(const struct ml_bundle *b)
{
	return b->n;
}

const char *ml_bundle_name(const struct ml_bundle *b, size_t i)
{
	return i < b->n ? b->m[i].name : NULL;
}

const char *ml_bundle_manifest(const struct ml_bundle *b, size_t *len)
{
	if (!b->has_manifest)
		return NULL;
	if (len)
		*len = b->manifest.len;
	return b->manifest.data;
}

const char *ml_bundle_sha256(const struct ml_bundle *b)
{
	return b->has_sha256 ? b->sha256 : NULL;
}

/* --- sniffing --- */

int ml_bundle_is_bundle_head(const void *head, size_t n)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r, yes = 0;

	if (!a)
		return 0;
	/* only the header is parsed: the data after it may be cut off */
	if (archive_read_support_format_tar(a) == ARCHIVE_OK &&
	    archive_read_open_memory(a, head, n) == ARCHIVE_OK &&
	    ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)) {
		const char *p = archive_entry_pathname(e);
		yes = p && strcmp(p, ML_BUNDLE_MANIFEST) == 0;
	}
	archive_read_free(a);
	return yes;
}

int ml_bundle_is_bundle_in(struct ml_in *in, struct ml_err *err)
{
	const void *head;
	ssize_t n = ml_in_peek(in, ML_BUNDLE_HEAD, &head, err);

	return n < 0 ? -1 : ml_bundle_is_bundle_head(head, (size_t)n);
}

int ml_bundle_is_bundle(const char *path)
{
	unsigned char head[ML_BUNDLE_HEAD];
	size_t n = 0;
	struct stat st;
	int fd;

	/* only a file can be looked at and read again: the head of a pipe or
	 * FIFO would be lost to whoever reads it next (stat, not open, which
	 * would block or make the writer's next write fail) */
	if (!path || strcmp(path, "-") == 0 || stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	while (n < sizeof head) {
		ssize_t got = read(fd, head + n, sizeof head - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	return ml_bundle_is_bundle_head(head, n);
}
