/* Reading ml-report's inputs and telling their artifacts apart by "format". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ml_bundle.h"
#include "ml_in.h"
#include "ml_registry.h"
#include "report.h"

/* The versions known, by kind: a newer one may mean what this reader
 * would draw wrongly, so it is refused rather than guessed at. */
static const struct {
	const char *name;
	int version;
} formats[ART_KINDS] = {
	[ART_PROFILE] = {"mlpipe.profile", 1},
	[ART_DRIFT] = {"mlpipe.drift", 1},
	[ART_METRICS] = {"mlpipe.metrics", 1},
	[ART_CURVES] = {"mlpipe.curves", 1},
	[ART_BUNDLE] = {"mlpipe.bundle", 1},
	[ART_EVENTS] = {"mlpipe.registry.event", 1},
	[ART_RUNS] = {"mlpipe.run", 1},
	[ART_LINEAGE] = {"mlpipe.lineage", 1},
};

#define KNOWN "mlpipe.profile, mlpipe.drift, mlpipe.metrics, mlpipe.curves, mlpipe.bundle, " \
	      "mlpipe.registry.event, mlpipe.run, mlpipe.lineage"

const char *art_format(enum art_kind k)
{
	return formats[k].name;
}

jv j_get(jv obj, const char *key)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_invalid();
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	/* obj keeps its own reference: v stays valid while obj lives */
	jv_free(v);
	return v;
}

jv j_at(jv arr, int i)
{
	if (jv_get_kind(arr) != JV_KIND_ARRAY || i < 0 || i >= jv_array_length(jv_copy(arr)))
		return jv_invalid();
	jv v = jv_array_get(jv_copy(arr), i);
	jv_free(v);
	return v;
}

int j_len(jv arr)
{
	if (jv_get_kind(arr) == JV_KIND_ARRAY)
		return jv_array_length(jv_copy(arr));
	return 0;
}

int j_kind(jv v)
{
	return jv_get_kind(v);
}

double j_num(jv v, double dflt)
{
	return jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : dflt;
}

const char *j_str(jv v)
{
	return jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;
}

double j_numk(jv obj, const char *key, double dflt)
{
	return j_num(j_get(obj, key), dflt);
}

const char *j_strk(jv obj, const char *key)
{
	return j_str(j_get(obj, key));
}

int j_nkeys(jv obj)
{
	return jv_get_kind(obj) == JV_KIND_OBJECT ? jv_object_length(jv_copy(obj)) : 0;
}

const char *j_key(jv obj, int i, jv *value)
{
	int k = 0;

	*value = jv_invalid();
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return NULL;
	/* libjq iterates an object's slots in the order its keys were added */
	for (int it = jv_object_iter(obj); jv_object_iter_valid(obj, it); it = jv_object_iter_next(obj, it)) {
		if (k++ != i)
			continue;
		jv key = jv_object_iter_key(obj, it);
		jv_free(key);
		*value = j_get(obj, jv_string_value(key));
		return jv_string_value(key);
	}
	return NULL;
}

int report_has(const struct report *r, enum art_kind k)
{
	for (size_t i = 0; i < r->nart; i++)
		if (r->art[i].kind == k)
			return 1;
	return 0;
}

int report_wants_column(const struct report *r, const char *name)
{
	if (!r->ncolumns)
		return 1;
	for (size_t i = 0; i < r->ncolumns; i++)
		if (name && !strcmp(r->columns[i], name))
			return 1;
	return 0;
}

int report_check_columns(const struct report *r, struct ml_err *err)
{
	/* the option is for profiles and drift results: without one, nothing to check */
	if (!report_has(r, ART_PROFILE) && !report_has(r, ART_DRIFT))
		return 0;
	for (size_t c = 0; c < r->ncolumns; c++) {
		int found = 0;
		for (size_t i = 0; i < r->nart && !found; i++) {
			const struct artifact *a = &r->art[i];
			if (a->kind != ART_PROFILE && a->kind != ART_DRIFT)
				continue;
			for (int l = 0; l < j_len(a->lines) && !found; l++) {
				const char *name = j_strk(j_at(a->lines, l), "column");
				found = name && !strcmp(name, r->columns[c]);
			}
		}
		if (!found)
			return ml_err_set(err, ML_ERR_USAGE, "--columns: no column '%s' in any profile or drift result",
					  r->columns[c]);
	}
	return 0;
}

static int add_input(struct report *r, const char *path, const char *name, struct ml_err *err)
{
	struct input *v = realloc(r->in, (r->nin + 1) * sizeof *v);

	if (!v)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	r->in = v;
	memset(&v[r->nin], 0, sizeof *v);
	if (!(v[r->nin].path = strdup(path)) || !(v[r->nin].name = strdup(name))) {
		free(v[r->nin].path);
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	r->nin++;
	return 0;
}

static struct artifact *add_artifact(struct report *r, enum art_kind k, uint64_t line, struct ml_err *err)
{
	struct artifact *v = realloc(r->art, (r->nart + 1) * sizeof *v);

	if (!v) {
		ml_err_set(err, ML_ERR_IO, "out of memory");
		return NULL;
	}
	r->art = v;
	struct artifact *a = &v[r->nart++];
	memset(a, 0, sizeof *a);
	a->kind = k;
	a->line = line;
	a->lines = jv_array();
	a->manifest = jv_null();
	a->metrics = jv_null();
	a->preprocess = jv_null();
	return a;
}

/* A profile line's KLL sketches are for merging, not for looking at: the
 * bulk of a profile, dropped as soon as read. */
static jv drop_sketches(jv line)
{
	static const char *const parts[] = {"number", "string"};

	for (size_t i = 0; i < 2; i++) {
		jv part = jv_object_get(jv_copy(line), jv_string(parts[i]));
		if (jv_get_kind(part) == JV_KIND_OBJECT && jv_object_has(jv_copy(part), jv_string("sketch")))
			line = jv_object_set(line, jv_string(parts[i]), jv_object_delete(part, jv_string("sketch")));
		else
			jv_free(part);
	}
	return line;
}

/* Whether a line with format k starts a new artifact even when the current
 * one has the same format: a profile's dataset line, a metrics file's
 * overall line, a line after a drift summary, the overall ROC curve. */
static int starts_anew(enum art_kind k, jv line, const struct artifact *cur)
{
	const char *s;

	switch (k) {
	case ART_PROFILE:
		return 1;
	case ART_METRICS:
		return (s = j_strk(line, "slice")) && !strcmp(s, "overall");
	case ART_DRIFT: {
		int n = j_len(cur->lines);
		return n && (s = j_strk(j_at(cur->lines, n - 1), "kind")) && !strcmp(s, "summary");
	}
	case ART_CURVES:
		return (s = j_strk(line, "slice")) && !strcmp(s, "overall") && (s = j_strk(line, "curve")) &&
		       !strcmp(s, "roc") && j_len(cur->lines) > 0;
	default:
		return 0;
	}
}

/* Places one parsed line: in the current artifact or a new one. */
static int take_line(struct report *r, jv line, const char *name, uint64_t lineno, struct artifact **cur,
		     struct ml_err *err)
{
	jv fmt = j_get(line, "format");

	if (jv_get_kind(fmt) == JV_KIND_INVALID) {
		if (!*cur) {
			jv_free(line);
			return ml_err_set(err, ML_ERR_DATA,
					  "%s:%llu: not an mlpipe artifact (no \"format\" where one must start)", name,
					  (unsigned long long)lineno);
		}
		(*cur)->lines = jv_array_append((*cur)->lines, drop_sketches(line));
		return 0;
	}
	const char *f = j_str(fmt);
	int k = 0;
	while (k < ART_KINDS && (!f || strcmp(f, formats[k].name)))
		k++;
	if (k == ART_KINDS || k == ART_BUNDLE) {
		char shown[80];
		if (f)
			snprintf(shown, sizeof shown, "%.60s%s", f, strlen(f) > 60 ? "..." : "");
		else
			snprintf(shown, sizeof shown, "(not a string)");
		jv_free(line);
		if (k == ART_BUNDLE)
			return ml_err_set(err, ML_ERR_DATA,
					  "%s:%llu: a bundle's manifest alone: give the bundle file itself", name,
					  (unsigned long long)lineno);
		return ml_err_set(err, ML_ERR_DATA, "%s:%llu: unknown format '%s' (ml-report reads " KNOWN ")", name,
				  (unsigned long long)lineno, shown);
	}
	double version = j_numk(line, "version", 1);
	if (version > formats[k].version) {
		jv_free(line);
		return ml_err_set(err, ML_ERR_DATA,
				  "%s:%llu: %s version %g is newer than ml-report reads (version %d)", name,
				  (unsigned long long)lineno, formats[k].name, version, formats[k].version);
	}
	if (!*cur || (*cur)->kind != (enum art_kind)k || starts_anew((enum art_kind)k, line, *cur)) {
		if (!(*cur = add_artifact(r, (enum art_kind)k, lineno, err))) {
			jv_free(line);
			return -1;
		}
	}
	(*cur)->lines = jv_array_append((*cur)->lines, k == ART_PROFILE ? drop_sketches(line) : line);
	return 0;
}

/* Splits NDJSON text into artifacts. */
static int read_ndjson(struct report *r, const char *data, size_t len, const char *name, int64_t *records,
		       struct ml_err *err)
{
	struct artifact *cur = NULL;
	uint64_t lineno = 0;
	const char *p = data, *end = data + len;

	*records = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *next = nl ? nl + 1 : end;
		lineno++;
		if (n && p[n - 1] == '\r')
			n--;
		size_t blank = 0;
		while (blank < n && (p[blank] == ' ' || p[blank] == '\t'))
			blank++;
		if (blank == n) {	/* an empty line separates nothing and holds nothing */
			p = next;
			continue;
		}
		if (n > (size_t)0x7fffffff)
			return ml_err_set(err, ML_ERR_DATA, "%s:%llu: line too long", name, (unsigned long long)lineno);
		jv v = jv_parse_sized(p, (int)n);
		if (jv_get_kind(v) != JV_KIND_OBJECT) {
			const char *why = "not a JSON object";
			char msg[200] = "";
			if (jv_get_kind(v) == JV_KIND_INVALID && jv_invalid_has_msg(jv_copy(v))) {
				jv m = jv_invalid_get_msg(v);
				snprintf(msg, sizeof msg, "not JSON: %s", jv_string_value(m));
				jv_free(m);
				why = msg;
			} else {
				jv_free(v);
			}
			return ml_err_set(err, ML_ERR_DATA, "%s:%llu: not an mlpipe artifact (%s)", name,
					  (unsigned long long)lineno, why);
		}
		if (take_line(r, v, name, lineno, &cur, err) < 0)
			return -1;
		(*records)++;
		p = next;
	}
	return 0;
}

/* A bundle: its manifest, metrics, preprocessing and training profile. */
static int read_bundle(struct report *r, const char *path, const char *name, struct input *in,
		       struct ml_err *err)
{
	struct ml_bundle *b = ml_bundle_read(path, err);
	struct artifact *a;
	const char *text;
	size_t len;

	if (!b)
		return -1;
	if (!(a = add_artifact(r, ART_BUNDLE, 0, err))) {
		ml_bundle_free(b);
		return -1;
	}
	snprintf(a->sha256, sizeof a->sha256, "%s", ml_bundle_sha256(b));
	snprintf(in->sha256, sizeof in->sha256, "%s", ml_bundle_sha256(b));
	text = ml_bundle_manifest(b, &len);
	a->manifest = jv_parse_sized(text, (int)len);
	if ((text = ml_bundle_member(b, "metrics.json", &len)))
		a->metrics = jv_parse_sized(text, (int)len);
	if ((text = ml_bundle_member(b, "preprocess.json", &len)))
		a->preprocess = jv_parse_sized(text, (int)len);
	/* a member that is not JSON is shown as absent: the bundle was verified */
	if (jv_get_kind(a->metrics) != JV_KIND_OBJECT)
		a->metrics = (jv_free(a->metrics), jv_null());
	if (jv_get_kind(a->preprocess) != JV_KIND_OBJECT)
		a->preprocess = (jv_free(a->preprocess), jv_null());
	if (jv_get_kind(a->manifest) != JV_KIND_OBJECT)
		a->manifest = (jv_free(a->manifest), jv_object());
	if ((text = ml_bundle_member(b, "profile.ndjson", &len))) {
		struct report sub = {0};
		int64_t records;
		char inner[4200];
		snprintf(inner, sizeof inner, "%s:profile.ndjson", name);
		if (read_ndjson(&sub, text, len, inner, &records, err) == 0 && sub.nart &&
		    sub.art[0].kind == ART_PROFILE) {
			jv_free(a->lines);
			a->lines = jv_copy(sub.art[0].lines);
		}
		ml_err_clear(err);
		report_free(&sub);
	}
	ml_bundle_free(b);
	return 0;
}

/* Standard input holding a bundle: ml_bundle_read takes a path. */
static int read_bundle_bytes(struct report *r, const struct ml_buf *data, const char *name, struct input *in,
			     struct ml_err *err)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd, rc;

	snprintf(path, sizeof path, "%s/ml-report.XXXXXX", dir && *dir ? dir : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		return ml_err_sys(err, errno, "cannot hold %s's bundle in '%s'", name, path);
	for (size_t off = 0; off < data->len;) {
		ssize_t w = write(fd, data->data + off, data->len - off);
		if (w < 0) {
			rc = ml_err_sys(err, errno, "cannot write '%s'", path);
			close(fd);
			unlink(path);
			return rc;
		}
		off += (size_t)w;
	}
	close(fd);
	rc = read_bundle(r, path, name, in, err);
	unlink(path);
	return rc;
}

struct history {
	struct report *r;
	struct artifact *cur;
	const char *name;
	uint64_t lineno, bytes;
	struct ml_sha256 *h;
};

static int on_event(void *ctx, const char *line, size_t len, struct ml_err *err)
{
	struct history *hi = ctx;

	hi->lineno++;
	hi->bytes += len + 1;
	ml_sha256_update(hi->h, line, len);
	ml_sha256_update(hi->h, "\n", 1);
	jv v = jv_parse_sized(line, (int)len);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return ml_err_set(err, ML_ERR_DATA, "%s:%llu: not an mlpipe artifact (not a JSON object)", hi->name,
				  (unsigned long long)hi->lineno);
	}
	return take_line(hi->r, v, hi->name, hi->lineno, &hi->cur, err);
}

/* A registry directory: its history, one event a line. */
static int read_registry(struct report *r, const char *dir, struct input *in, struct ml_err *err)
{
	struct ml_registry *reg = ml_registry_open(dir, 0, err);
	char name[4200];
	int rc;

	if (!reg)
		return -1;
	snprintf(name, sizeof name, "%s/history.ndjson", dir);
	struct history hi = {.r = r, .name = name};
	if (!(hi.h = ml_sha256_new(err))) {
		ml_registry_close(reg);
		return -1;
	}
	size_t before = r->nart;
	rc = ml_registry_history(reg, on_event, &hi, err);
	ml_sha256_final_id(hi.h, in->sha256);
	ml_sha256_free(hi.h);
	ml_registry_close(reg);
	if (rc < 0)
		return -1;
	in->bytes = hi.bytes;
	in->records = (int64_t)hi.lineno;
	/* an empty registry still has a (blank) history to show */
	if (r->nart == before && !add_artifact(r, ART_EVENTS, 0, err))
		return -1;
	for (size_t i = before; i < r->nart; i++)
		if (r->art[i].kind != ART_EVENTS)
			return ml_err_set(err, ML_ERR_DATA, "%s: holds a %s line, not only registry events", name,
					  art_format(r->art[i].kind));
	return 0;
}

/* Forgets the input just added, which could not be read at all: it has no
 * artifacts, and the run log lists only what was read.  Returns 1. */
static int drop_input(struct report *r)
{
	r->nin--;
	free(r->in[r->nin].path);
	free(r->in[r->nin].name);
	return 1;
}

int report_read(struct report *r, const char *path, struct ml_err *err)
{
	struct stat st;
	int is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	size_t first = r->nart;
	int rc;

	if (add_input(r, path, name, err) < 0)
		return -1;
	struct input *in = &r->in[r->nin - 1];
	if (!is_stdin && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = read_registry(r, path, in, err);
	} else if (!is_stdin && ml_bundle_is_bundle(path)) {
		in->bytes = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
		in->records = -1;
		rc = read_bundle(r, path, name, in, err);
	} else {
		struct ml_in *f = ml_in_open(path, err);
		struct ml_buf data = {0};
		char chunk[65536];
		ssize_t got = 0;
		if (!f)
			return drop_input(r);
		while ((got = ml_in_read(f, chunk, sizeof chunk, err)) > 0)
			if (ml_buf_add(&data, chunk, (size_t)got) < 0) {
				got = ml_err_set(err, ML_ERR_IO, "out of memory");
				break;
			}
		if (got < 0) {
			/* nothing read (EIO on the first read): as if not opened */
			int none = ml_in_bytes(f) == 0 && data.len == 0;
			ml_in_close(f);
			ml_buf_free(&data);
			return none ? drop_input(r) : -1;
		}
		in->bytes = ml_in_bytes(f);
		snprintf(in->sha256, sizeof in->sha256, "%s", ml_in_sha256(f) ? ml_in_sha256(f) : "");
		ml_in_close(f);
		if (ml_bundle_is_bundle_head(data.data, data.len)) {
			in->records = -1;
			rc = read_bundle_bytes(r, &data, name, in, err);
		} else {
			rc = read_ndjson(r, data.data ? data.data : "", data.len, name, &in->records, err);
			if (rc == 0 && r->nart == first)
				rc = ml_err_set(err, ML_ERR_DATA, "%s: empty: no artifact in it", name);
		}
		ml_buf_free(&data);
	}
	for (size_t i = first; i < r->nart; i++)
		r->art[i].input = r->nin - 1;
	return rc;
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->nart; i++) {
		jv_free(r->art[i].lines);
		jv_free(r->art[i].manifest);
		jv_free(r->art[i].metrics);
		jv_free(r->art[i].preprocess);
	}
	for (size_t i = 0; i < r->nin; i++) {
		free(r->in[i].path);
		free(r->in[i].name);
	}
	free(r->art);
	free(r->in);
	r->art = NULL;
	r->in = NULL;
	r->nart = r->nin = 0;
}

const char *art_source(const struct report *r, const struct artifact *a)
{
	return r->in[a->input].name;
}
