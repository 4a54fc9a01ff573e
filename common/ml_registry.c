#include "ml_registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jv.h>

#include "ml_host.h"
#include "ml_json.h"
#include "ml_rec.h"

#define HISTORY "history.ndjson"
#define REGISTRY_JSON "registry.json"
#define TMP_PREFIX ".tmp."
/* Every path here is the directory plus at most this much: the longest is
 * "/objects/.tmp." + 64 hex digits + ".XXXXXX". */
#define PATH_TAIL 128
#define PATH_ROOM (PATH_MAX + PATH_TAIL)
/* A JSON integer libjq's doubles still hold exactly. */
#define SEQ_MAX 9007199254740992.0

struct ml_registry {
	char *dir;		/* as given: messages name it so */
	char *abs;
	mode_t file_mode;	/* 0666 less the umask, for stage files */
	int lock_fd;		/* -1 unless locked */
	uint64_t last_seq;	/* the history's last event, known under the lock */
	struct ml_buf last_event;	/* the line the last commit wrote */
	int has_last_event;
};

/* ---- messages ---- */

static int vfail(const char *dir, struct ml_err *err, enum ml_err_kind kind, int errnum,
		 const char *fmt, va_list ap)
{
	char text[768];

	vsnprintf(text, sizeof text, fmt, ap);
	if (errnum)
		return ml_err_sys(err, errnum, "registry %s: %s", dir, text);
	return ml_err_set(err, kind, "registry %s: %s", dir, text);
}

/* Fills err with "registry DIR: <text>"; returns -1. */
__attribute__((format(printf, 4, 5)))
static int fail(const struct ml_registry *reg, struct ml_err *err, enum ml_err_kind kind,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(reg->dir, err, kind, 0, fmt, ap);
	va_end(ap);
	return -1;
}

/* The same with ": strerror(errnum)" after it (ML_ERR_IO). */
__attribute__((format(printf, 4, 5)))
static int fail_sys(const struct ml_registry *reg, struct ml_err *err, int errnum,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(reg->dir, err, ML_ERR_IO, errnum ? errnum : EIO, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- names ---- */

int ml_stage_name_valid(const char *name)
{
	size_t n = 0;

	if (!name || name[0] == '.' || name[0] == '-')
		return 0;
	for (; name[n]; n++) {
		char c = name[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return n >= 1 && n <= ML_STAGE_NAME_MAX;
}

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int ml_registry_id_valid(const char *id)
{
	return id && strncmp(id, "sha256:", 7) == 0 && strlen(id + 7) == ML_SHA256_HEX_LEN &&
	       is_hex(id + 7, ML_SHA256_HEX_LEN);
}

static int object_name_valid(const char *name)
{
	return strlen(name) == ML_SHA256_HEX_LEN && is_hex(name, ML_SHA256_HEX_LEN);
}

/* The id of objects/NAME, NAME being 64 hex digits. */
static void id_of_object(char id[ML_SHA256_ID_SIZE], const char *name)
{
	memcpy(id, "sha256:", 7);
	memcpy(id + 7, name, ML_SHA256_HEX_LEN + 1);
}

static int is_temp_name(const char *name)
{
	return strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0;
}

static int bad_stage_name(struct ml_err *err, const char *name)
{
	return ml_err_set(err, ML_ERR_USAGE,
			  "'%s' is not a stage name (1 to %d of A-Z a-z 0-9 . _ -, not starting with . or -)",
			  name, ML_STAGE_NAME_MAX);
}

/* sub and name may each be NULL. */
static void path_in(const struct ml_registry *reg, char out[PATH_ROOM], const char *sub,
		    const char *name)
{
	snprintf(out, PATH_ROOM, "%s%s%s%s%s", reg->dir, sub ? "/" : "", sub ? sub : "",
		 name ? "/" : "", name ? name : "");
}

static void object_path(const struct ml_registry *reg, char out[PATH_ROOM], const char *id)
{
	path_in(reg, out, "objects", id + 7);
}

/* ---- files ---- */

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Appends the rest of fd to out; 0, or -1 with errno. */
static int read_all(int fd, struct ml_buf *out)
{
	for (;;) {
		if (ml_buf_reserve(out, 65536) < 0) {
			errno = ENOMEM;
			return -1;
		}
		ssize_t n = read(fd, out->data + out->len, out->cap - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		out->len += (size_t)n;
	}
}

/* Reads the file at path into out (replacing it); 0, 1 when it does not
 * exist, -1 with errno. */
static int read_file(const char *path, struct ml_buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ml_buf_reset(out);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	int rc = read_all(fd, out);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* Makes a rename or a new name in dir durable.  File systems that cannot
 * fsync a directory (EINVAL) order their metadata anyway. */
static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -1;
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = -1;
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* Replaces sub/name by data through a temporary file in the same
 * directory: written, fsynced, given its mode, renamed over the old one,
 * the directory fsynced.  When the directory's fsync fails after the
 * rename, the error counts only with dir_sync_required: a stage file's
 * lost rename is redone from the history by the next writer, and undoing
 * the event then would leave the file ahead of the history.  0, or -1 with
 * err (the old file then stays, unless only the directory's fsync failed). */
static int replace_file(struct ml_registry *reg, const char *sub, const char *name,
			const void *data, size_t len, mode_t mode, int dir_sync_required,
			struct ml_err *err)
{
	char dir[PATH_ROOM], tmp[PATH_ROOM], path[PATH_ROOM], what[PATH_ROOM];
	int fd;

	path_in(reg, dir, sub, NULL);
	path_in(reg, path, sub, name);
	snprintf(what, sizeof what, "%s%s%s", sub ? sub : "", sub ? "/" : "", name);
	if (snprintf(tmp, sizeof tmp, "%s/" TMP_PREFIX "%s.XXXXXX", dir, name) >= (int)sizeof tmp)
		return fail_sys(reg, err, ENAMETOOLONG, "cannot write %s", what);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return fail_sys(reg, err, errno, "cannot write %s", what);
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0 || fchmod(fd, mode) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return fail_sys(reg, err, e, "cannot write %s", what);
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return fail_sys(reg, err, e, "cannot write %s", what);
	}
	if (fsync_dir(dir) < 0 && dir_sync_required)
		return fail_sys(reg, err, errno, "cannot sync %s", sub ? sub : "the registry directory");
	return 0;
}

/* Removes what writers that died left half-written: the caller holds the
 * lock, so no temporary file is anyone's work in progress. */
static int remove_temps(struct ml_registry *reg, const char *sub, struct ml_err *err)
{
	char dir[PATH_ROOM], path[PATH_ROOM];
	struct dirent *de;
	DIR *d;

	path_in(reg, dir, sub, NULL);
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : fail_sys(reg, err, errno, "cannot read %s", sub ? sub : ".");
	while ((de = readdir(d)) != NULL) {
		if (!is_temp_name(de->d_name))
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path)
			continue;
		if (unlink(path) < 0 && errno != ENOENT) {
			int e = errno;
			closedir(d);
			return fail_sys(reg, err, e, "cannot remove %s/%s", sub ? sub : ".", de->d_name);
		}
	}
	closedir(d);
	return 0;
}

/* ---- JSON helpers ---- */

/* libjq's parse message without the document it quotes after it. */
static void jv_reason(jv invalid, char *why, size_t size)
{
	jv msg = jv_invalid_get_msg(invalid);
	const char *text = jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "no reason given";
	const char *cut = strstr(text, " (while parsing");

	snprintf(why, size, "%.*s", cut ? (int)(cut - text) : (int)strlen(text), text);
	jv_free(msg);
}

/* Parses text as one JSON value; invalid with why filled when it is not. */
static jv parse_json(const char *text, size_t len, char *why, size_t size)
{
	jv v;

	if (len > INT_MAX) {
		snprintf(why, size, "too long");
		return jv_invalid();
	}
	v = jv_parse_sized(text, (int)len);
	if (!jv_is_valid(v)) {
		jv_reason(v, why, size);
		return jv_invalid();
	}
	return v;
}

/* Field key of object o (o is kept); invalid when absent. */
static jv get(jv o, const char *key)
{
	return jv_object_get(jv_copy(o), jv_string(key));
}

/* Whether v (kept) is a whole number in [min, SEQ_MAX]. */
static int whole_number(jv v, double min, double *out)
{
	double x;

	if (jv_get_kind(v) != JV_KIND_NUMBER)
		return 0;
	x = jv_number_value(v);
	if (!(x >= min && x <= SEQ_MAX) || x != (double)(uint64_t)x)
		return 0;
	*out = x;
	return 1;
}

/* Copies v (consumed), a string id or null, into id ("" for null); 0, or
 * -1 when it is neither. */
static int take_id(jv v, char id[ML_SHA256_ID_SIZE], int nullable)
{
	int rc = -1;

	if (jv_get_kind(v) == JV_KIND_NULL && nullable) {
		id[0] = '\0';
		rc = 0;
	} else if (jv_get_kind(v) == JV_KIND_STRING && ml_registry_id_valid(jv_string_value(v))) {
		memcpy(id, jv_string_value(v), ML_SHA256_ID_SIZE);
		rc = 0;
	}
	jv_free(v);
	return rc;
}

/* Checks a format/version pair: 0, -1 (another format) or -2 (a version
 * this program does not read) with why. */
static int check_format(jv doc, const char *format, char *why, size_t size)
{
	jv f = get(doc, "format"), v = get(doc, "version");
	double version;
	int rc = -2;

	if (jv_get_kind(f) != JV_KIND_STRING || strcmp(jv_string_value(f), format) != 0) {
		snprintf(why, size, "\"format\" is not \"%s\"", format);
		rc = -1;
	} else if (!whole_number(v, 1, &version)) {
		snprintf(why, size, "\"version\" is not a whole number");
	} else if (version > 1) {
		snprintf(why, size, "version %.0f is newer than this program reads (1)", version);
	} else {
		rc = 0;
	}
	jv_free(f);
	jv_free(v);
	return rc;
}

/* Parses a stage's state (a stage file's line, or an event's "state") into
 * st; 0, or -1 with why. */
static int parse_stage(const char *text, size_t len, struct ml_stage *st, char *why, size_t size)
{
	jv doc = parse_json(text, len, why, size), v, prev = jv_invalid();
	double seq;
	int rc = -1;

	memset(st, 0, sizeof *st);
	if (!jv_is_valid(doc))
		return -1;
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		snprintf(why, size, "not a JSON object");
		goto out;
	}
	if (check_format(doc, ML_STAGE_FORMAT, why, size) < 0)
		goto out;
	v = get(doc, "stage");
	if (jv_get_kind(v) != JV_KIND_STRING || !ml_stage_name_valid(jv_string_value(v))) {
		jv_free(v);
		snprintf(why, size, "\"stage\" is not a stage name");
		goto out;
	}
	snprintf(st->name, sizeof st->name, "%s", jv_string_value(v));
	jv_free(v);
	if (take_id(get(doc, "model"), st->now.model, 0) < 0) {
		snprintf(why, size, "\"model\" is not a sha256: id");
		goto out;
	}
	if (take_id(get(doc, "metrics"), st->now.metrics, 1) < 0) {
		snprintf(why, size, "\"metrics\" is neither a sha256: id nor null");
		goto out;
	}
	v = get(doc, "seq");
	if (!whole_number(v, 1, &seq)) {
		jv_free(v);
		snprintf(why, size, "\"seq\" is not a whole number from 1");
		goto out;
	}
	jv_free(v);
	st->seq = (uint64_t)seq;
	v = get(doc, "time");
	if (jv_get_kind(v) != JV_KIND_STRING || strlen(jv_string_value(v)) >= sizeof st->time) {
		jv_free(v);
		snprintf(why, size, "\"time\" is not a time");
		goto out;
	}
	snprintf(st->time, sizeof st->time, "%s", jv_string_value(v));
	jv_free(v);
	prev = get(doc, "previous");
	if (jv_get_kind(prev) != JV_KIND_ARRAY) {
		snprintf(why, size, "\"previous\" is not an array");
		goto out;
	}
	size_t n = (size_t)jv_array_length(jv_copy(prev));
	if (n && !(st->prev = calloc(n, sizeof *st->prev))) {
		snprintf(why, size, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(prev), (int)i);
		int good = jv_get_kind(e) == JV_KIND_OBJECT &&
			   take_id(get(e, "model"), st->prev[i].model, 0) == 0 &&
			   take_id(get(e, "metrics"), st->prev[i].metrics, 1) == 0;
		jv_free(e);
		if (!good) {
			snprintf(why, size, "\"previous\"[%zu] is not {\"model\":ID,\"metrics\":ID|null}", i);
			goto out;
		}
	}
	st->nprev = n;
	rc = 0;
out:
	jv_free(prev);
	jv_free(doc);
	if (rc < 0)
		ml_stage_free(st);
	return rc;
}

void ml_stage_free(struct ml_stage *st)
{
	if (!st)
		return;
	free(st->prev);
	memset(st, 0, sizeof *st);
}

static int add_id(struct ml_buf *out, const char *id)
{
	if (!id[0])
		return ml_buf_adds(out, "null");
	return ml_json_quote_lossy(out, id, strlen(id));
}

int ml_stage_json(const struct ml_stage *st, struct ml_buf *out)
{
	int rc = 0;

	rc |= ml_buf_adds(out, "{\"format\":\"" ML_STAGE_FORMAT "\",\"version\":1,\"stage\":");
	rc |= ml_json_quote_lossy(out, st->name, strlen(st->name));
	rc |= ml_buf_adds(out, ",\"model\":");
	rc |= add_id(out, st->now.model);
	rc |= ml_buf_adds(out, ",\"metrics\":");
	rc |= add_id(out, st->now.metrics);
	rc |= ml_buf_printf(out, ",\"seq\":%llu,\"time\":", (unsigned long long)st->seq);
	rc |= ml_json_quote_lossy(out, st->time, strlen(st->time));
	rc |= ml_buf_adds(out, ",\"previous\":[");
	for (size_t i = 0; i < st->nprev; i++) {
		rc |= ml_buf_adds(out, i ? ",{\"model\":" : "{\"model\":");
		rc |= add_id(out, st->prev[i].model);
		rc |= ml_buf_adds(out, ",\"metrics\":");
		rc |= add_id(out, st->prev[i].metrics);
		rc |= ml_buf_addc(out, '}');
	}
	rc |= ml_buf_adds(out, "]}");
	return rc ? -1 : 0;
}

/* ---- the history ---- */

typedef int (*line_fn)(void *ctx, size_t lineno, const char *line, size_t len,
		       struct ml_err *err);

/* Calls fn for every whole line of the history, oldest first; a last line
 * without its newline (an append that died, or one still being written)
 * is not an event and is skipped.  A missing history has no lines.  0, 1
 * when fn stopped, -1 with err. */
static int each_line(struct ml_registry *reg, line_fn fn, void *ctx, size_t *nlines,
		     struct ml_err *err)
{
	char path[PATH_ROOM];
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;
	FILE *f;

	path_in(reg, path, NULL, HISTORY);
	if (!(f = fopen(path, "re"))) {
		if (errno == ENOENT)
			goto done;
		return fail_sys(reg, err, errno, "cannot open " HISTORY);
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n')
			break;
		lineno++;
		if ((rc = fn(ctx, lineno, line, (size_t)n - 1, err)) != 0)
			break;
	}
	if (rc == 0 && n < 0 && ferror(f))
		rc = fail_sys(reg, err, errno, "cannot read " HISTORY);
	free(line);
	fclose(f);
done:
	if (nlines)
		*nlines = lineno;
	return rc;
}

struct relay {
	ml_registry_event_fn fn;
	void *ctx;
};

static int relay_line(void *ctx, size_t lineno, const char *line, size_t len, struct ml_err *err)
{
	struct relay *r = ctx;

	(void)lineno;
	return r->fn(r->ctx, line, len, err);
}

int ml_registry_history(struct ml_registry *reg, ml_registry_event_fn fn, void *ctx,
			struct ml_err *err)
{
	struct relay r = {fn, ctx};
	int rc = each_line(reg, relay_line, &r, NULL, err);

	return rc < 0 ? -1 : 0;
}

/* What one history line says: its seq, and the state it gives a stage. */
struct event_view {
	uint64_t seq;
	const char *state;	/* the raw "state" value, or NULL */
	size_t state_len;
	char stage[ML_STAGE_NAME_MAX + 1];	/* the state's stage */
	uint64_t state_seq;
};

struct line_reader {
	struct ml_rec *event, *state;
	struct ml_buf tmp;
};

static int reader_init(struct line_reader *lr)
{
	memset(lr, 0, sizeof *lr);
	lr->event = ml_rec_new();
	lr->state = ml_rec_new();
	return lr->event && lr->state ? 0 : -1;
}

static void reader_free(struct line_reader *lr)
{
	ml_rec_free(lr->event);
	ml_rec_free(lr->state);
	ml_buf_free(&lr->tmp);
}

/* A whole number from 1 in field key of r; 0 when there is none. */
static uint64_t rec_seq(const struct ml_rec *r, const char *key)
{
	ssize_t i = ml_rec_find(r, key, strlen(key));
	double x;

	if (i < 0 || ml_rec_number(r, (size_t)i, &x) < 0 || !(x >= 1 && x <= SEQ_MAX) ||
	    x != (double)(uint64_t)x)
		return 0;
	return (uint64_t)x;
}

/* Indexes one history line (the fast scanner: history scans read every
 * line); 0, or -1 with err saying what is wrong with it. */
static int view_event(struct line_reader *lr, const char *line, size_t len,
		      struct event_view *v, struct ml_err *err)
{
	ssize_t i;

	memset(v, 0, sizeof *v);
	if (ml_rec_parse(lr->event, line, len, err) < 0)
		return -1;
	if (!(v->seq = rec_seq(lr->event, "seq")))
		return ml_err_set(err, ML_ERR_DATA, "no \"seq\" (a whole number from 1)");
	if ((i = ml_rec_find(lr->event, "state", 5)) < 0)
		return 0;
	if (ml_rec_type(lr->event, (size_t)i) != ML_JSON_OBJECT)
		return ml_err_set(err, ML_ERR_DATA, "\"state\" is not an object");
	v->state = ml_rec_value_raw(lr->event, (size_t)i, &v->state_len);
	if (ml_rec_parse(lr->state, v->state, v->state_len, err) < 0)
		return -1;
	i = ml_rec_find(lr->state, "stage", 5);
	ml_buf_reset(&lr->tmp);
	if (i < 0 || ml_rec_string(lr->state, (size_t)i, &lr->tmp) < 0 ||
	    ml_buf_terminate(&lr->tmp) < 0 || strlen(lr->tmp.data) != lr->tmp.len ||
	    !ml_stage_name_valid(lr->tmp.data))
		return ml_err_set(err, ML_ERR_DATA, "the state's \"stage\" is not a stage name");
	memcpy(v->stage, lr->tmp.data, lr->tmp.len + 1);
	if (!(v->state_seq = rec_seq(lr->state, "seq")))
		return ml_err_set(err, ML_ERR_DATA, "the state's \"seq\" is not a whole number from 1");
	return 0;
}

/* The last state the history gives each stage (and the one before it,
 * which a stage file may still hold when its writer died between the
 * steps), in a hash table by name so one scan stays linear. */
struct stage_slot {
	char name[ML_STAGE_NAME_MAX + 1];
	uint64_t seq;
	size_t line;
	struct ml_buf state, before;
	int has_before;
	struct ml_buf file;	/* verify: the stage file's text */
	int has_file;
};

struct stage_map {
	struct stage_slot **slot;
	size_t cap, n;
};

static size_t hash_name(const char *s)
{
	uint64_t h = 14695981039346656037u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (size_t)h;
}

static int map_grow(struct stage_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	struct stage_slot **slot = calloc(cap, sizeof *slot);

	if (!slot)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slot[i])
			continue;
		size_t j = hash_name(m->slot[i]->name) & (cap - 1);
		while (slot[j])
			j = (j + 1) & (cap - 1);
		slot[j] = m->slot[i];
	}
	free(m->slot);
	m->slot = slot;
	m->cap = cap;
	return 0;
}

/* The slot of name; a new one when add is set (NULL: memory is out). */
static struct stage_slot *map_get(struct stage_map *m, const char *name, int add)
{
	size_t i;

	if (add && (m->n + 1) * 2 > m->cap && map_grow(m) < 0)
		return NULL;
	if (!m->cap)
		return NULL;
	for (i = hash_name(name) & (m->cap - 1); m->slot[i]; i = (i + 1) & (m->cap - 1))
		if (strcmp(m->slot[i]->name, name) == 0)
			return m->slot[i];
	if (!add || !(m->slot[i] = calloc(1, sizeof *m->slot[i])))
		return NULL;
	snprintf(m->slot[i]->name, sizeof m->slot[i]->name, "%s", name);
	m->n++;
	return m->slot[i];
}

static void map_free(struct stage_map *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slot[i])
			continue;
		ml_buf_free(&m->slot[i]->state);
		ml_buf_free(&m->slot[i]->before);
		ml_buf_free(&m->slot[i]->file);
		free(m->slot[i]);
	}
	free(m->slot);
	memset(m, 0, sizeof *m);
}

/* Records state (of the history's line lineno) as the stage's latest. */
static int map_note(struct stage_map *m, const struct event_view *v, size_t lineno)
{
	struct stage_slot *s = map_get(m, v->stage, 1);

	if (!s)
		return -1;
	if (s->line) {
		struct ml_buf t = s->before;
		s->before = s->state;
		s->state = t;
		s->has_before = 1;
	}
	ml_buf_reset(&s->state);
	if (ml_buf_add(&s->state, v->state, v->state_len) < 0)
		return -1;
	s->seq = v->state_seq;
	s->line = lineno;
	return 0;
}

struct collect {
	struct ml_registry *reg;
	struct line_reader lr;
	struct stage_map map;
	const char *only;	/* one stage's states, or NULL for all */
	uint64_t last_seq;
	size_t lines;
};

static int collect_line(void *ctx, size_t lineno, const char *line, size_t len,
			struct ml_err *err)
{
	struct collect *c = ctx;
	struct event_view v;

	if (view_event(&c->lr, line, len, &v, err) < 0)
		return ml_err_prefix(err, "registry %s: " HISTORY ":%zu", c->reg->dir, lineno);
	c->last_seq = v.seq;
	if (!v.state || (c->only && strcmp(v.stage, c->only) != 0))
		return 0;
	if (map_note(&c->map, &v, lineno) < 0)
		return fail_sys(c->reg, err, ENOMEM, "cannot read " HISTORY);
	return 0;
}

/* Scans the whole history into c (free it with collect_free, whatever
 * this returns): a line that is not an event is an error. */
static int collect(struct ml_registry *reg, struct collect *c, const char *only,
		   struct ml_err *err)
{
	memset(c, 0, sizeof *c);
	c->reg = reg;
	c->only = only;
	if (reader_init(&c->lr) < 0)
		return fail_sys(reg, err, ENOMEM, "cannot read " HISTORY);
	return each_line(reg, collect_line, c, &c->lines, err) < 0 ? -1 : 0;
}

static void collect_free(struct collect *c)
{
	reader_free(&c->lr);
	map_free(&c->map);
}

/* ---- stage files ---- */

/* Parses a stage file's text, one line with its newline, into st; 0, or
 * -1 with why. */
static int parse_stage_file(const struct ml_buf *text, const char *name, struct ml_stage *st,
			    char *why, size_t size)
{
	size_t n = text->len;

	memset(st, 0, sizeof *st);
	if (n == 0 || text->data[n - 1] != '\n' || memchr(text->data, '\n', n - 1)) {
		snprintf(why, size, "not one line ending with a newline");
		return -1;
	}
	if (parse_stage(text->data, n - 1, st, why, size) < 0)
		return -1;
	if (strcmp(st->name, name) != 0) {
		snprintf(why, size, "it holds stage '%s'", st->name);
		ml_stage_free(st);
		return -1;
	}
	return 0;
}

/* Reads stages/NAME: 1 with st filled, 0 when there is no such file, -1
 * with err (a malformed file is ML_ERR_DATA naming it). */
static int read_stage_file(struct ml_registry *reg, const char *name, struct ml_stage *st,
			   struct ml_err *err)
{
	char path[PATH_ROOM], why[256];
	struct ml_buf text = {0};
	int r, rc;

	memset(st, 0, sizeof *st);
	path_in(reg, path, "stages", name);
	r = read_file(path, &text);
	if (r == 1)
		rc = 0;
	else if (r < 0)
		rc = fail_sys(reg, err, errno, "cannot read stages/%s", name);
	else if (parse_stage_file(&text, name, st, why, sizeof why) < 0)
		rc = fail(reg, err, ML_ERR_DATA, "stages/%s is not a stage file (%s)", name, why);
	else
		rc = 1;
	ml_buf_free(&text);
	return rc;
}

/* Rewrites every stage file that is missing, malformed or behind the last
 * state the history gives its stage; the caller holds the lock. */
static int roll_forward(struct ml_registry *reg, struct stage_map *map, struct ml_err *err)
{
	struct ml_buf text = {0};
	char path[PATH_ROOM], why[256];
	int rc = 0;

	for (size_t i = 0; i < map->cap && rc == 0; i++) {
		struct stage_slot *s = map->slot[i];
		struct ml_stage st;
		int r, behind = 1;

		if (!s)
			continue;
		path_in(reg, path, "stages", s->name);
		r = read_file(path, &text);
		if (r < 0) {
			rc = fail_sys(reg, err, errno, "cannot read stages/%s", s->name);
			break;
		}
		if (r == 0 && parse_stage_file(&text, s->name, &st, why, sizeof why) == 0) {
			behind = st.seq < s->seq;
			ml_stage_free(&st);
		}
		if (!behind)
			continue;
		ml_buf_reset(&text);
		if (ml_buf_add(&text, s->state.data, s->state.len) < 0 || ml_buf_addc(&text, '\n') < 0)
			rc = fail_sys(reg, err, ENOMEM, "cannot write stages/%s", s->name);
		else
			rc = replace_file(reg, "stages", s->name, text.data, text.len, reg->file_mode, 0, err);
	}
	ml_buf_free(&text);
	return rc;
}

/* ---- opening ---- */

char *ml_registry_choose_dir(const char *given)
{
	const char *env = getenv("ML_REGISTRY"), *home = getenv("ML_HOME");
	struct ml_buf b = {0};

	if (given)
		return strdup(given);
	if (env && *env)
		return strdup(env);
	if (ml_buf_printf(&b, "%s/registry", home && *home ? home : ".ml") < 0 ||
	    ml_buf_terminate(&b) < 0) {
		ml_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* Reads and checks registry.json: 0, 1 when there is none, -1 with err. */
static int check_registry_json(struct ml_registry *reg, struct ml_err *err)
{
	char path[PATH_ROOM], why[256];
	struct ml_buf text = {0};
	jv doc;
	int r, rc = -1;

	path_in(reg, path, NULL, REGISTRY_JSON);
	r = read_file(path, &text);
	if (r != 0) {
		ml_buf_free(&text);
		return r == 1 ? 1 : fail_sys(reg, err, errno, "cannot read " REGISTRY_JSON);
	}
	doc = parse_json(text.data, text.len, why, sizeof why);
	if (!jv_is_valid(doc))
		fail(reg, err, ML_ERR_DATA, "not a registry: " REGISTRY_JSON " is not JSON (%s)", why);
	else if (jv_get_kind(doc) != JV_KIND_OBJECT)
		fail(reg, err, ML_ERR_DATA, "not a registry: " REGISTRY_JSON " is not a JSON object");
	else if ((r = check_format(doc, ML_REGISTRY_FORMAT, why, sizeof why)) == -1)
		fail(reg, err, ML_ERR_DATA, "not a registry: " REGISTRY_JSON "'s %s", why);
	else if (r < 0)
		fail(reg, err, ML_ERR_DATA, REGISTRY_JSON ": %s", why);
	else
		rc = 0;
	jv_free(doc);
	ml_buf_free(&text);
	return rc;
}

/* A directory without registry.json becomes a registry only when it holds
 * nothing but what making one leaves on the way: the lock and temporary
 * files.  Anything else is someone's data. */
static int check_empty(struct ml_registry *reg, struct ml_err *err)
{
	struct dirent *de;
	DIR *d = opendir(reg->dir);

	if (!d)
		return fail_sys(reg, err, errno, "cannot read the directory");
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, "lock") == 0 ||
		    is_temp_name(n))
			continue;
		fail(reg, err, ML_ERR_DATA,
		     "not a registry: the directory holds '%s' and no " REGISTRY_JSON, n);
		closedir(d);
		return -1;
	}
	closedir(d);
	return 0;
}

/* Makes what a writer needs, under the lock: registry.json, objects/,
 * stages/ and the history, each name made durable in the directory. */
static int ensure_layout(struct ml_registry *reg, struct ml_err *err)
{
	static const char json[] = "{\"format\":\"" ML_REGISTRY_FORMAT "\",\"version\":1}\n";
	static const char *const subdirs[] = {"objects", "stages"};
	char path[PATH_ROOM];
	int r, made = 0, fd;

	if ((r = check_registry_json(reg, err)) < 0)
		return -1;
	if (r == 1 && (check_empty(reg, err) < 0 ||
		       replace_file(reg, NULL, REGISTRY_JSON, json, sizeof json - 1, reg->file_mode, 1,
				    err) < 0))
		return -1;
	for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
		path_in(reg, path, subdirs[i], NULL);
		if (mkdir(path, 0777) == 0)
			made = 1;
		else if (errno != EEXIST)
			return fail_sys(reg, err, errno, "cannot create %s/", subdirs[i]);
	}
	path_in(reg, path, NULL, HISTORY);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)) >= 0) {
		close(fd);
		made = 1;
	} else if (errno != EEXIST) {
		return fail_sys(reg, err, errno, "cannot create " HISTORY);
	}
	if (made && fsync_dir(reg->dir) < 0)
		return fail_sys(reg, err, errno, "cannot sync the directory");
	return 0;
}

/* mkdir, and its parent first when that is what is missing, so that the
 * default .ml/registry needs no preparation. */
static int make_dir(const char *dir)
{
	char *copy;
	int rc, e;

	if (mkdir(dir, 0777) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || !(copy = strdup(dir)))
		return -1;
	rc = mkdir(dirname(copy), 0777);
	e = errno;
	free(copy);
	if (rc < 0 && e != EEXIST) {
		errno = e;
		return -1;
	}
	return mkdir(dir, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

struct ml_registry *ml_registry_open(const char *dir, int create, struct ml_err *err)
{
	struct ml_registry *reg;
	struct stat sb;
	mode_t mask;
	int r;

	if (!dir || !*dir) {
		ml_err_set(err, ML_ERR_USAGE, "no registry directory given");
		return NULL;
	}
	if (strlen(dir) >= PATH_MAX) {
		ml_err_set(err, ML_ERR_USAGE, "registry '%.64s...': the name is too long", dir);
		return NULL;
	}
	if (stat(dir, &sb) < 0) {
		if (errno != ENOENT) {
			ml_err_sys(err, errno, "registry %s", dir);
			return NULL;
		}
		if (!create) {
			ml_err_set(err, ML_ERR_USAGE, "registry '%s' does not exist", dir);
			return NULL;
		}
		if (make_dir(dir) < 0) {
			ml_err_sys(err, errno, "cannot create registry '%s'", dir);
			return NULL;
		}
	} else if (!S_ISDIR(sb.st_mode)) {
		ml_err_set(err, ML_ERR_DATA, "registry %s: not a registry: not a directory", dir);
		return NULL;
	}
	if (!(reg = calloc(1, sizeof *reg)) || !(reg->dir = strdup(dir))) {
		free(reg);
		ml_err_sys(err, ENOMEM, "registry %s", dir);
		return NULL;
	}
	reg->lock_fd = -1;
	mask = umask(0);
	umask(mask);
	reg->file_mode = 0666 & ~mask;
	if (!(reg->abs = realpath(dir, NULL))) {
		ml_err_sys(err, errno, "registry %s", dir);
		goto fail;
	}
	if (strlen(reg->abs) >= PATH_MAX) {
		ml_err_set(err, ML_ERR_USAGE, "registry %s: its absolute name is too long", dir);
		goto fail;
	}
	if ((r = check_registry_json(reg, err)) < 0)
		goto fail;
	/* an empty directory: made a registry under the lock, which
	 * serialises two processes that make it at once */
	if (r == 1 && check_empty(reg, err) < 0)
		goto fail;
	if (r == 1 && create) {
		if (ml_registry_lock(reg, err) < 0)
			goto fail;
		ml_registry_unlock(reg);
	}
	return reg;
fail:
	ml_registry_close(reg);
	return NULL;
}

void ml_registry_close(struct ml_registry *reg)
{
	if (!reg)
		return;
	ml_registry_unlock(reg);
	ml_buf_free(&reg->last_event);
	free(reg->dir);
	free(reg->abs);
	free(reg);
}

const char *ml_registry_dir(const struct ml_registry *reg)
{
	return reg->dir;
}

const char *ml_registry_abs_dir(const struct ml_registry *reg)
{
	return reg->abs;
}

/* ---- the lock and the repairs it makes ---- */

/* Cuts a last line without its newline off the history: an append that
 * died, whose event never happened since its stage file was not touched. */
static int cut_torn_line(struct ml_registry *reg, struct ml_err *err)
{
	char path[PATH_ROOM], buf[65536];
	struct stat sb;
	off_t off, keep = 0;
	int fd;

	path_in(reg, path, NULL, HISTORY);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : fail_sys(reg, err, errno, "cannot open " HISTORY);
	if (fstat(fd, &sb) < 0)
		goto fail;
	for (off = sb.st_size; off > 0;) {
		size_t n = off > (off_t)sizeof buf ? sizeof buf : (size_t)off;
		ssize_t got = pread(fd, buf, n, off - (off_t)n);
		if (got != (ssize_t)n)
			goto fail;
		char *nl = memrchr(buf, '\n', n);
		if (nl) {
			keep = off - (off_t)n + (nl - buf) + 1;
			break;
		}
		off -= (off_t)n;
	}
	if (keep != sb.st_size && (ftruncate(fd, keep) < 0 || fsync(fd) < 0))
		goto fail;
	close(fd);
	return 0;
fail:;
	int e = errno ? errno : EIO;
	close(fd);
	return fail_sys(reg, err, e, "cannot repair " HISTORY);
}

int ml_registry_lock(struct ml_registry *reg, struct ml_err *err)
{
	static const char *const temp_dirs[] = {NULL, "objects", "stages"};
	char path[PATH_ROOM];
	struct collect c;
	int fd, rc = 0;

	if (reg->lock_fd >= 0)
		return ml_err_set(err, ML_ERR_USAGE, "registry %s: already locked", reg->dir);
	path_in(reg, path, NULL, "lock");
	/* read-only: flock needs no more, and the lock file's owner does not matter */
	if ((fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0666)) < 0)
		return fail_sys(reg, err, errno, "cannot open the lock");
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return fail_sys(reg, err, e, "cannot lock");
		}
	}
	reg->lock_fd = fd;
	if (ensure_layout(reg, err) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof temp_dirs / sizeof temp_dirs[0]; i++)
		if (remove_temps(reg, temp_dirs[i], err) < 0)
			goto fail;
	if (cut_torn_line(reg, err) < 0)
		goto fail;
	rc = collect(reg, &c, NULL, err);
	if (rc == 0)
		rc = roll_forward(reg, &c.map, err);
	reg->last_seq = c.last_seq;
	collect_free(&c);
	if (rc == 0)
		return 0;
fail:
	ml_registry_unlock(reg);
	return -1;
}

void ml_registry_unlock(struct ml_registry *reg)
{
	if (reg->lock_fd < 0)
		return;
	flock(reg->lock_fd, LOCK_UN);
	close(reg->lock_fd);
	reg->lock_fd = -1;
}

static int need_lock(const struct ml_registry *reg, const char *what, struct ml_err *err)
{
	if (reg->lock_fd >= 0)
		return 0;
	return ml_err_set(err, ML_ERR_USAGE, "registry %s: %s without the lock", reg->dir, what);
}

/* ---- objects ---- */

static int bad_id(struct ml_err *err, const char *id)
{
	return ml_err_set(err, ML_ERR_USAGE, "'%s' is not an id (sha256: and 64 hex digits)", id);
}

/* Hashes object id into got, keeping its bytes in out when out is not
 * NULL; 0, 1 when it is missing, -1 with err. */
static int hash_object(struct ml_registry *reg, const char *id, char got[ML_SHA256_ID_SIZE],
		       struct ml_buf *out, struct ml_err *err)
{
	char path[PATH_ROOM], chunk[65536];
	struct ml_sha256 *h;
	struct stat sb;
	int fd;

	object_path(reg, path, id);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 1 : fail_sys(reg, err, errno, "cannot read object %s", id);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return fail(reg, err, ML_ERR_DATA, "object %s is not a file", id);
	}
	if (!(h = ml_sha256_new(err))) {
		close(fd);
		return -1;
	}
	for (;;) {
		char *p = chunk;
		size_t room = sizeof chunk;
		if (out) {
			if (ml_buf_reserve(out, sizeof chunk) < 0) {
				errno = ENOMEM;
				goto fail;
			}
			p = out->data + out->len;
			room = out->cap - out->len;
		}
		ssize_t n = read(fd, p, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		ml_sha256_update(h, p, (size_t)n);
		if (out)
			out->len += (size_t)n;
	}
	close(fd);
	ml_sha256_final_id(h, got);
	ml_sha256_free(h);
	return 0;
fail:;
	int e = errno;
	close(fd);
	ml_sha256_free(h);
	return fail_sys(reg, err, e, "cannot read object %s", id);
}

/* Hashes object id and refuses it unless it is there and whole. */
static int check_object(struct ml_registry *reg, const char *id, struct ml_buf *out,
			struct ml_err *err)
{
	char got[ML_SHA256_ID_SIZE];
	int r;

	if (!ml_registry_id_valid(id))
		return bad_id(err, id);
	if ((r = hash_object(reg, id, got, out, err)) < 0)
		return -1;
	if (r == 1)
		return fail(reg, err, ML_ERR_DATA, "object %s is missing", id);
	if (strcmp(got, id) != 0)
		return fail(reg, err, ML_ERR_DATA, "object %s is corrupt (its bytes hash to %s)", id, got);
	return 0;
}

int ml_registry_put(struct ml_registry *reg, const void *data, size_t len,
		    char id[ML_SHA256_ID_SIZE], int *created, struct ml_err *err)
{
	char got[ML_SHA256_ID_SIZE];
	struct ml_sha256 *h;
	int r;

	if (need_lock(reg, "storing an object", err) < 0 || !(h = ml_sha256_new(err)))
		return -1;
	ml_sha256_update(h, data, len);
	ml_sha256_final_id(h, id);
	ml_sha256_free(h);
	if ((r = hash_object(reg, id, got, NULL, err)) < 0)
		return -1;
	if (r == 0 && strcmp(got, id) == 0) {
		*created = 0;
		return 0;
	}
	/* missing, or corrupt: the good bytes go in its place */
	if (replace_file(reg, "objects", id + 7, data, len, 0444, 1, err) < 0)
		return -1;
	*created = 1;
	return 0;
}

int ml_registry_has(struct ml_registry *reg, const char *id, struct ml_err *err)
{
	char path[PATH_ROOM];
	struct stat sb;

	if (!ml_registry_id_valid(id))
		return bad_id(err, id);
	object_path(reg, path, id);
	if (stat(path, &sb) == 0)
		return 1;
	return errno == ENOENT ? 0 : fail_sys(reg, err, errno, "cannot look at object %s", id);
}

int ml_registry_get(struct ml_registry *reg, const char *id, struct ml_buf *out,
		    struct ml_err *err)
{
	ml_buf_reset(out);
	if (check_object(reg, id, out, err) < 0) {
		ml_buf_reset(out);
		return -1;
	}
	return 0;
}

char *ml_registry_object_path(struct ml_registry *reg, const char *id, struct ml_err *err)
{
	struct ml_buf b = {0};

	if (check_object(reg, id, NULL, err) < 0)
		return NULL;
	if (ml_buf_printf(&b, "%s/objects/%s", reg->abs, id + 7) < 0 || ml_buf_terminate(&b) < 0) {
		ml_buf_free(&b);
		fail_sys(reg, err, ENOMEM, "object %s", id);
		return NULL;
	}
	return b.data;
}

int ml_registry_resolve(struct ml_registry *reg, const char *text, char id[ML_SHA256_ID_SIZE],
			struct ml_err *err)
{
	char dir[PATH_ROOM];
	struct dirent *de;
	size_t n, found = 0;
	DIR *d;

	if (strncmp(text, "sha256:", 7) != 0 || (n = strlen(text + 7)) < 8 ||
	    n > ML_SHA256_HEX_LEN || !is_hex(text + 7, n))
		return ml_err_set(err, ML_ERR_USAGE,
				  "'%s' is not an id (sha256: and 8 to 64 hex digits)", text);
	if (n == ML_SHA256_HEX_LEN) {
		memcpy(id, text, ML_SHA256_ID_SIZE);
		return 0;
	}
	path_in(reg, dir, "objects", NULL);
	if (!(d = opendir(dir))) {
		if (errno != ENOENT)
			return fail_sys(reg, err, errno, "cannot read objects/");
	} else {
		while ((de = readdir(d)) != NULL) {
			if (!object_name_valid(de->d_name) || strncmp(de->d_name, text + 7, n) != 0)
				continue;
			if (found++ == 0)
				id_of_object(id, de->d_name);
		}
		closedir(d);
	}
	if (found == 0)
		return fail(reg, err, ML_ERR_DATA, "no object's id starts with %s", text);
	if (found > 1)
		return fail(reg, err, ML_ERR_DATA, "%s is ambiguous: %zu objects' ids start with it",
			    text, found);
	return 0;
}

/* ---- stages ---- */

int ml_registry_stage(struct ml_registry *reg, const char *name, struct ml_stage *st,
		      struct ml_err *err)
{
	struct ml_stage file, hist;
	struct stage_slot *slot;
	struct collect c;
	char why[256];
	int has_file, rc;

	memset(st, 0, sizeof *st);
	if (!ml_stage_name_valid(name))
		return bad_stage_name(err, name);
	/* the file first: whatever a writer does between the two reads, the
	 * history then holds at least what the file did */
	if ((has_file = read_stage_file(reg, name, &file, err)) < 0)
		return -1;
	if (collect(reg, &c, name, err) < 0) {
		rc = -1;
		goto out;
	}
	slot = map_get(&c.map, name, 0);
	if (slot && parse_stage(slot->state.data, slot->state.len, &hist, why, sizeof why) < 0) {
		rc = fail(reg, err, ML_ERR_DATA, HISTORY ":%zu: the state is not a stage's (%s)",
			  slot->line, why);
		goto out;
	}
	if (slot && (!has_file || hist.seq > file.seq)) {
		*st = hist;
		rc = 1;
	} else if (has_file) {
		*st = file;
		file.prev = NULL;
		rc = 1;
		if (slot)
			ml_stage_free(&hist);
	} else {
		rc = 0;
	}
out:
	if (has_file)
		ml_stage_free(&file);
	collect_free(&c);
	return rc;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ml_registry_stages(struct ml_registry *reg, char ***names, size_t *n, struct ml_err *err)
{
	char dir[PATH_ROOM];
	struct collect c;
	struct dirent *de;
	char **v = NULL;
	size_t k = 0, cap = 0;
	DIR *d = NULL;
	int rc = -1;

	*names = NULL;
	*n = 0;
	if (collect(reg, &c, NULL, err) < 0)
		goto out;
	/* the history's stages, and those of the files (the same, unless a
	 * file was made by hand or its history lost) */
	path_in(reg, dir, "stages", NULL);
	if (!(d = opendir(dir)) && errno != ENOENT) {
		fail_sys(reg, err, errno, "cannot read stages/");
		goto out;
	}
	for (size_t i = 0;; i++) {
		const char *name;
		if (i < c.map.cap) {
			if (!c.map.slot[i])
				continue;
			name = c.map.slot[i]->name;
		} else {
			if (!d || !(de = readdir(d)))
				break;
			name = de->d_name;
			if (!ml_stage_name_valid(name) || map_get(&c.map, name, 0))
				continue;
		}
		if (k == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nv = realloc(v, ncap * sizeof *nv);
			if (!nv)
				goto nomem;
			v = nv;
			cap = ncap;
		}
		if (!(v[k] = strdup(name)))
			goto nomem;
		k++;
	}
	if (k)
		qsort(v, k, sizeof *v, compare_names);
	*names = v;
	*n = k;
	v = NULL;
	k = 0;
	rc = 0;
	goto out;
nomem:
	fail_sys(reg, err, ENOMEM, "cannot list the stages");
out:
	for (size_t i = 0; i < k; i++)
		free(v[i]);
	free(v);
	if (d)
		closedir(d);
	collect_free(&c);
	return rc;
}

/* ---- events ---- */

static int check_state(const struct ml_stage *st, struct ml_err *err)
{
	if (!ml_stage_name_valid(st->name))
		return bad_stage_name(err, st->name);
	if (!ml_registry_id_valid(st->now.model))
		return bad_id(err, st->now.model);
	if (st->now.metrics[0] && !ml_registry_id_valid(st->now.metrics))
		return bad_id(err, st->now.metrics);
	for (size_t i = 0; i < st->nprev; i++) {
		if (!ml_registry_id_valid(st->prev[i].model))
			return bad_id(err, st->prev[i].model);
		if (st->prev[i].metrics[0] && !ml_registry_id_valid(st->prev[i].metrics))
			return bad_id(err, st->prev[i].metrics);
	}
	return 0;
}

/* The caller's keys, checked, as compact JSON text without the braces. */
static int caller_keys(const char *json, size_t len, struct ml_buf *out, struct ml_err *err)
{
	static const char *const ours[] = {"format", "version", "seq", "time", "user", "host", "state"};
	struct ml_rec *r = ml_rec_new();
	const char *end = json + len;
	int rc = -1;

	if (!r)
		return ml_err_sys(err, ENOMEM, "cannot write the event");
	json = ml_json_skip_ws(json, end);
	while (end > json && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if (ml_rec_parse(r, json, (size_t)(end - json), err) < 0) {
		ml_err_prefix(err, "the event's keys");
		goto out;
	}
	for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
		if (ml_rec_find(r, ours[i], strlen(ours[i])) >= 0) {
			ml_err_set(err, ML_ERR_USAGE, "the event's keys may not include \"%s\"", ours[i]);
			goto out;
		}
	ml_buf_reset(out);
	if (ml_json_minify(out, json, (size_t)(end - json)) < 0) {
		ml_err_sys(err, ENOMEM, "cannot write the event");
		goto out;
	}
	/* drop the braces */
	memmove(out->data, out->data + 1, out->len - 2);
	out->len -= 2;
	rc = 0;
out:
	ml_rec_free(r);
	return rc;
}

/* Undoes an append the stage file could not follow. */
static int truncate_history(int fd, off_t size)
{
	return ftruncate(fd, size) < 0 || fsync(fd) < 0 ? -1 : 0;
}

int ml_registry_commit(struct ml_registry *reg, const char *event_json, size_t event_len,
		       struct ml_stage *st, struct ml_err *err)
{
	char user[ML_HOST_NAME_SIZE], host[ML_HOST_NAME_SIZE], now[ML_HOST_TIME_SIZE];
	char path[PATH_ROOM];
	struct ml_buf keys = {0}, state = {0}, line = {0};
	uint64_t seq = reg->last_seq + 1;
	struct stat sb;
	int fd = -1, rc = -1, mem = 0;

	if (need_lock(reg, "writing an event", err) < 0 ||
	    caller_keys(event_json, event_len, &keys, err) < 0 || (st && check_state(st, err) < 0))
		goto out;
	ml_host_now_iso(NULL, now);
	if (st) {
		st->seq = seq;
		snprintf(st->time, sizeof st->time, "%s", now);
		mem |= ml_stage_json(st, &state) | ml_buf_addc(&state, '\n');
	}
	mem |= ml_buf_printf(&line, "{\"format\":\"" ML_EVENT_FORMAT "\",\"version\":1,\"seq\":%llu,"
			     "\"time\":\"%s\",\"user\":", (unsigned long long)seq, now);
	mem |= ml_host_user(user) == 0 ? ml_json_quote_lossy(&line, user, strlen(user))
				       : ml_buf_adds(&line, "null");
	ml_host_name(host);
	mem |= ml_buf_adds(&line, ",\"host\":");
	mem |= ml_json_quote_lossy(&line, host, strlen(host));
	if (keys.len) {
		mem |= ml_buf_addc(&line, ',');
		mem |= ml_buf_add(&line, keys.data, keys.len);
	}
	if (st) {
		mem |= ml_buf_adds(&line, ",\"state\":");
		mem |= ml_buf_add(&line, state.data, state.len - 1);
	}
	mem |= ml_buf_adds(&line, "}\n");
	if (mem) {
		fail_sys(reg, err, ENOMEM, "cannot write the event");
		goto out;
	}

	/* step one: the event, whole or not at all */
	path_in(reg, path, NULL, HISTORY);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666)) < 0 ||
	    fstat(fd, &sb) < 0) {
		fail_sys(reg, err, errno, "cannot append to " HISTORY);
		goto out;
	}
	if (write_all(fd, line.data, line.len) < 0 || fsync(fd) < 0) {
		int e = errno;
		truncate_history(fd, sb.st_size);
		fail_sys(reg, err, e, "cannot append to " HISTORY);
		goto out;
	}
	/* step two: the stage file; the event stands only if it follows */
	if (st && replace_file(reg, "stages", st->name, state.data, state.len, reg->file_mode, 0,
			       err) < 0) {
		if (truncate_history(fd, sb.st_size) < 0) {
			char msg[sizeof err->msg];
			memcpy(msg, err->msg, sizeof msg);
			ml_err_set(err, err->kind, "%.700s (the event stays in " HISTORY
				   " for the next writer to complete)", msg);
		}
		goto out;
	}
	reg->last_seq = seq;
	ml_buf_reset(&reg->last_event);
	if (ml_buf_add(&reg->last_event, line.data, line.len - 1) == 0 &&
	    ml_buf_terminate(&reg->last_event) == 0)
		reg->has_last_event = 1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	ml_buf_free(&keys);
	ml_buf_free(&state);
	ml_buf_free(&line);
	return rc;
}

const char *ml_registry_last_event(const struct ml_registry *reg, size_t *len)
{
	if (!reg->has_last_event)
		return NULL;
	if (len)
		*len = reg->last_event.len;
	return reg->last_event.data;
}

/* ---- verify ---- */

struct verify {
	struct ml_registry *reg;
	void (*problem)(void *ctx, const char *text);
	void *ctx;
	long problems;
	struct line_reader lr;
	struct stage_map map;
	uint64_t last_seq;
	int seq_unknown;	/* the line before had no seq to follow */
};

static void report_text(struct verify *v, const char *text)
{
	if (v->problem)
		v->problem(v->ctx, text);
	v->problems++;
}

/* Reports "registry DIR: <text>". */
__attribute__((format(printf, 2, 3)))
static void report(struct verify *v, const char *fmt, ...)
{
	char text[768], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof msg, "registry %s: %s", v->reg->dir, text);
	report_text(v, msg);
}

static int verify_line(void *ctx, size_t lineno, const char *line, size_t len, struct ml_err *err)
{
	struct verify *v = ctx;
	struct event_view ev;
	struct ml_stage st;
	char why[256];
	double seq;
	jv doc = parse_json(line, len, why, sizeof why), s;

	/* libjq for the checks (the reference reader), the scanner for the
	 * state's bytes */
	if (!jv_is_valid(doc)) {
		report(v, HISTORY ":%zu: not JSON (%s)", lineno, why);
		v->seq_unknown = 1;
		return 0;
	}
	if (jv_get_kind(doc) != JV_KIND_OBJECT || check_format(doc, ML_EVENT_FORMAT, why, sizeof why) < 0) {
		if (jv_get_kind(doc) != JV_KIND_OBJECT)
			snprintf(why, sizeof why, "not a JSON object");
		report(v, HISTORY ":%zu: not a registry event (%s)", lineno, why);
		jv_free(doc);
		v->seq_unknown = 1;
		return 0;
	}
	s = get(doc, "seq");
	if (!whole_number(s, 1, &seq)) {
		report(v, HISTORY ":%zu: no \"seq\" (a whole number from 1)", lineno);
		v->seq_unknown = 1;
	} else {
		/* after a line that is not an event, any seq may follow: one
		 * problem is reported once */
		if (!v->seq_unknown && (uint64_t)seq != v->last_seq + 1)
			report(v, HISTORY ":%zu: seq %llu where %llu was due", lineno,
			       (unsigned long long)seq, (unsigned long long)v->last_seq + 1);
		v->last_seq = (uint64_t)seq;
		v->seq_unknown = 0;
	}
	jv_free(s);
	jv_free(doc);
	if (view_event(&v->lr, line, len, &ev, err) < 0) {
		report(v, HISTORY ":%zu: %s", lineno, err->msg);
		ml_err_clear(err);
		return 0;
	}
	if (!ev.state)
		return 0;
	if (parse_stage(ev.state, ev.state_len, &st, why, sizeof why) < 0) {
		report(v, HISTORY ":%zu: the state is not a stage's (%s)", lineno, why);
		return 0;
	}
	if (st.seq != ev.seq)
		report(v, HISTORY ":%zu: the state's seq is %llu, the event's %llu", lineno,
		       (unsigned long long)st.seq, (unsigned long long)ev.seq);
	ml_stage_free(&st);
	if (map_note(&v->map, &ev, lineno) < 0)
		return fail_sys(v->reg, err, ENOMEM, "cannot verify");
	return 0;
}

/* Reads every stage file into the map, before the history: a writer that
 * runs meanwhile can then only put the history ahead of a file. */
static int verify_read_stage_files(struct verify *v, struct ml_err *err)
{
	char dir[PATH_ROOM], path[PATH_ROOM];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	path_in(v->reg, dir, "stages", NULL);
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : fail_sys(v->reg, err, errno, "cannot read stages/");
	while (rc == 0 && (de = readdir(d)) != NULL) {
		struct stage_slot *s;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    is_temp_name(de->d_name))
			continue;
		if (!ml_stage_name_valid(de->d_name)) {
			report(v, "stages/%s: not a stage name", de->d_name);
			continue;
		}
		if (!(s = map_get(&v->map, de->d_name, 1))) {
			rc = fail_sys(v->reg, err, ENOMEM, "cannot verify");
			break;
		}
		/* a valid stage name is short: the path fits */
		path_in(v->reg, path, "stages", de->d_name);
		int r = read_file(path, &s->file);
		if (r < 0)
			rc = fail_sys(v->reg, err, errno, "cannot read stages/%s", de->d_name);
		s->has_file = r == 0;
	}
	closedir(d);
	return rc;
}

static void verify_objects(struct verify *v, size_t *count, struct ml_err *err)
{
	char dir[PATH_ROOM], id[ML_SHA256_ID_SIZE], got[ML_SHA256_ID_SIZE];
	struct dirent *de;
	DIR *d;

	path_in(v->reg, dir, "objects", NULL);
	if (!(d = opendir(dir))) {
		if (errno != ENOENT) {
			fail_sys(v->reg, err, errno, "cannot read objects/");
			report_text(v, err->msg);
		}
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    is_temp_name(de->d_name))
			continue;
		if (!object_name_valid(de->d_name)) {
			report(v, "objects/%s: not named by a SHA-256", de->d_name);
			continue;
		}
		++*count;
		id_of_object(id, de->d_name);
		int r = hash_object(v->reg, id, got, NULL, err);
		if (r < 0)
			report_text(v, err->msg);
		else if (r == 0 && strcmp(got, id) != 0)
			report(v, "object %s is corrupt (its bytes hash to %s)", id, got);
	}
	closedir(d);
}

static int compare_ids(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every object the state names must be there (whole: verify_objects). */
static int verify_ids(struct verify *v, const struct ml_stage *st, struct ml_err *err)
{
	const char **ids;
	size_t n = 0;

	if (ml_registry_has(v->reg, st->now.model, err) == 0)
		report(v, "stage '%s' holds model %s, which is not in the registry", st->name,
		       st->now.model);
	if (st->now.metrics[0] && ml_registry_has(v->reg, st->now.metrics, err) == 0)
		report(v, "stage '%s' holds metrics %s, which are not in the registry", st->name,
		       st->now.metrics);
	if (!st->nprev)
		return 0;
	/* a model promoted many times is named many times: report it once */
	if (!(ids = malloc(2 * st->nprev * sizeof *ids)))
		return fail_sys(v->reg, err, ENOMEM, "cannot verify");
	for (size_t i = 0; i < st->nprev; i++) {
		ids[n++] = st->prev[i].model;
		if (st->prev[i].metrics[0])
			ids[n++] = st->prev[i].metrics;
	}
	qsort(ids, n, sizeof *ids, compare_ids);
	for (size_t i = 0; i < n; i++)
		if ((i == 0 || strcmp(ids[i], ids[i - 1]) != 0) && ml_registry_has(v->reg, ids[i], err) == 0)
			report(v, "stage '%s' can roll back to %s, which is not in the registry", st->name,
			       ids[i]);
	free(ids);
	return 0;
}

static int compare_slots(const void *a, const void *b)
{
	return strcmp((*(struct stage_slot *const *)a)->name, (*(struct stage_slot *const *)b)->name);
}

static int same_text(const struct ml_buf *file, const struct ml_buf *state)
{
	return file->len == state->len + 1 && memcmp(file->data, state->data, state->len) == 0 &&
	       file->data[state->len] == '\n';
}

/* A stage file against the last state the history gives its stage. */
static void verify_stage(struct verify *v, struct stage_slot *s, size_t lines, struct ml_err *err)
{
	/* a writer that died between its two steps (or one still between
	 * them) leaves the file one event behind: readers and the next writer
	 * take the history's state, so that is no problem */
	int between_steps = s->line == lines;
	int file_ok = 0;
	struct ml_stage st;
	char why[256];

	if (s->has_file) {
		if (parse_stage_file(&s->file, s->name, &st, why, sizeof why) < 0) {
			report(v, "stages/%s is not a stage file (%s)", s->name, why);
		} else {
			file_ok = 1;
			ml_stage_free(&st);
		}
	}
	if (!s->line) {
		if (s->has_file)
			report(v, "stages/%s: the history never gave stage '%s' a state", s->name, s->name);
	} else if (!s->has_file) {
		if (!(between_steps && !s->has_before))
			report(v, "stage '%s' has no file stages/%s (its last state is at " HISTORY ":%zu)",
			       s->name, s->name, s->line);
	} else if (file_ok && !same_text(&s->file, &s->state) &&
		   !(between_steps && s->has_before && same_text(&s->file, &s->before))) {
		report(v, "stages/%s is not the last state the history gives it (" HISTORY ":%zu, seq %llu)",
		       s->name, s->line, (unsigned long long)s->seq);
	}
	/* the objects of the state that counts: the history's, else the file's */
	if (s->line ? parse_stage(s->state.data, s->state.len, &st, why, sizeof why) == 0
		    : file_ok && parse_stage_file(&s->file, s->name, &st, why, sizeof why) == 0) {
		if (verify_ids(v, &st, err) < 0) {
			report_text(v, err->msg);
			ml_err_clear(err);
		}
		ml_stage_free(&st);
	}
}

long ml_registry_verify_tally(struct ml_registry *reg, void (*problem)(void *ctx, const char *text),
			      void *ctx, struct ml_registry_tally *tally, struct ml_err *err)
{
	struct verify v = {.reg = reg, .problem = problem, .ctx = ctx};
	struct stage_slot **slots = NULL;
	size_t lines = 0, objects = 0, n = 0;
	long rc = -1;

	if (reader_init(&v.lr) < 0) {
		fail_sys(reg, err, ENOMEM, "cannot verify");
		goto out;
	}
	if (verify_read_stage_files(&v, err) < 0 || each_line(reg, verify_line, &v, &lines, err) < 0)
		goto out;
	verify_objects(&v, &objects, err);
	if (v.map.n && !(slots = malloc(v.map.n * sizeof *slots))) {
		fail_sys(reg, err, ENOMEM, "cannot verify");
		goto out;
	}
	for (size_t i = 0; i < v.map.cap; i++)
		if (v.map.slot[i])
			slots[n++] = v.map.slot[i];
	if (n)
		qsort(slots, n, sizeof *slots, compare_slots);
	for (size_t i = 0; i < n; i++)
		verify_stage(&v, slots[i], lines, err);
	if (tally) {
		tally->objects = objects;
		tally->stages = n;
		tally->events = lines;
	}
	rc = v.problems;
out:
	free(slots);
	reader_free(&v.lr);
	map_free(&v.map);
	return rc;
}

long ml_registry_verify(struct ml_registry *reg, void (*problem)(void *ctx, const char *text),
			void *ctx, struct ml_err *err)
{
	return ml_registry_verify_tally(reg, problem, ctx, NULL, err);
}
