/* Stages: the JSON of a stage's state (in its file and in the history's
 * events), stage files, and reading a stage's state or the stages' names
 * (see ml_registry.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "ml_registry_impl.h"

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

int ml_registry_bad_stage_name(struct ml_err *err, const char *name)
{
	return ml_err_set(err, ML_ERR_USAGE,
			  "'%s' is not a stage name (1 to %d of A-Z a-z 0-9 . _ -, not starting with . or -)",
			  name, ML_STAGE_NAME_MAX);
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

jv ml_registry_parse_json(const char *text, size_t len, char *why, size_t size)
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

jv ml_registry_jv_get(jv o, const char *key)
{
	return jv_object_get(jv_copy(o), jv_string(key));
}

int ml_registry_whole_number(jv v, double min, double *out)
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

int ml_registry_check_format(jv doc, const char *format, char *why, size_t size)
{
	jv f = ml_registry_jv_get(doc, "format"), v = ml_registry_jv_get(doc, "version");
	double version;
	int rc = -2;

	if (jv_get_kind(f) != JV_KIND_STRING || strcmp(jv_string_value(f), format) != 0) {
		snprintf(why, size, "\"format\" is not \"%s\"", format);
		rc = -1;
	} else if (!ml_registry_whole_number(v, 1, &version)) {
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

/* ---- a stage's state ---- */

int ml_registry_parse_stage(const char *text, size_t len, struct ml_stage *st, char *why,
			    size_t size)
{
	jv doc = ml_registry_parse_json(text, len, why, size), v, prev = jv_invalid();
	double seq;
	int rc = -1;

	memset(st, 0, sizeof *st);
	if (!jv_is_valid(doc))
		return -1;
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		snprintf(why, size, "not a JSON object");
		goto out;
	}
	if (ml_registry_check_format(doc, ML_STAGE_FORMAT, why, size) < 0)
		goto out;
	v = ml_registry_jv_get(doc, "stage");
	if (jv_get_kind(v) != JV_KIND_STRING || !ml_stage_name_valid(jv_string_value(v))) {
		jv_free(v);
		snprintf(why, size, "\"stage\" is not a stage name");
		goto out;
	}
	snprintf(st->name, sizeof st->name, "%s", jv_string_value(v));
	jv_free(v);
	if (take_id(ml_registry_jv_get(doc, "model"), st->now.model, 0) < 0) {
		snprintf(why, size, "\"model\" is not a sha256: id");
		goto out;
	}
	if (take_id(ml_registry_jv_get(doc, "metrics"), st->now.metrics, 1) < 0) {
		snprintf(why, size, "\"metrics\" is neither a sha256: id nor null");
		goto out;
	}
	v = ml_registry_jv_get(doc, "seq");
	if (!ml_registry_whole_number(v, 1, &seq)) {
		jv_free(v);
		snprintf(why, size, "\"seq\" is not a whole number from 1");
		goto out;
	}
	jv_free(v);
	st->seq = (uint64_t)seq;
	v = ml_registry_jv_get(doc, "time");
	if (jv_get_kind(v) != JV_KIND_STRING || strlen(jv_string_value(v)) >= sizeof st->time) {
		jv_free(v);
		snprintf(why, size, "\"time\" is not a time");
		goto out;
	}
	snprintf(st->time, sizeof st->time, "%s", jv_string_value(v));
	jv_free(v);
	prev = ml_registry_jv_get(doc, "previous");
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
			   take_id(ml_registry_jv_get(e, "model"), st->prev[i].model, 0) == 0 &&
			   take_id(ml_registry_jv_get(e, "metrics"), st->prev[i].metrics, 1) == 0;
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

/* ---- stage files ---- */

int ml_registry_parse_stage_file(const struct ml_buf *text, const char *name,
				 struct ml_stage *st, char *why, size_t size)
{
	size_t n = text->len;

	memset(st, 0, sizeof *st);
	if (n == 0 || text->data[n - 1] != '\n' || memchr(text->data, '\n', n - 1)) {
		snprintf(why, size, "not one line ending with a newline");
		return -1;
	}
	if (ml_registry_parse_stage(text->data, n - 1, st, why, size) < 0)
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
	ml_registry_path(reg, path, "stages", name);
	r = ml_registry_read_file(path, &text);
	if (r == 1)
		rc = 0;
	else if (r < 0)
		rc = ml_registry_fail_sys(reg, err, errno, "cannot read stages/%s", name);
	else if (ml_registry_parse_stage_file(&text, name, st, why, sizeof why) < 0)
		rc = ml_registry_fail(reg, err, ML_ERR_DATA, "stages/%s is not a stage file (%s)", name,
				      why);
	else
		rc = 1;
	ml_buf_free(&text);
	return rc;
}

/* ---- reading stages ---- */

int ml_registry_stage(struct ml_registry *reg, const char *name, struct ml_stage *st,
		      struct ml_err *err)
{
	struct ml_stage file, hist;
	struct ml_registry_slot *slot;
	struct ml_registry_collect c;
	char why[256];
	int has_file, rc;

	memset(st, 0, sizeof *st);
	if (!ml_stage_name_valid(name))
		return ml_registry_bad_stage_name(err, name);
	/* the file first: whatever a writer does between the two reads, the
	 * history then holds at least what the file did */
	if ((has_file = read_stage_file(reg, name, &file, err)) < 0)
		return -1;
	if (ml_registry_collect(reg, &c, name, err) < 0) {
		rc = -1;
		goto out;
	}
	slot = ml_registry_map_get(&c.map, name, 0);
	if (slot && ml_registry_parse_stage(slot->state.data, slot->state.len, &hist, why,
					    sizeof why) < 0) {
		rc = ml_registry_fail(reg, err, ML_ERR_DATA,
				      HISTORY ":%zu: the state is not a stage's (%s)", slot->line, why);
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
	ml_registry_collect_free(&c);
	return rc;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ml_registry_stages(struct ml_registry *reg, char ***names, size_t *n, struct ml_err *err)
{
	char dir[PATH_ROOM];
	struct ml_registry_collect c;
	struct dirent *de;
	char **v = NULL;
	size_t k = 0, cap = 0;
	DIR *d = NULL;
	int rc = -1;

	*names = NULL;
	*n = 0;
	if (ml_registry_collect(reg, &c, NULL, err) < 0)
		goto out;
	/* the history's stages, and those of the files (the same, unless a
	 * file was made by hand or its history lost) */
	ml_registry_path(reg, dir, "stages", NULL);
	if (!(d = opendir(dir)) && errno != ENOENT) {
		ml_registry_fail_sys(reg, err, errno, "cannot read stages/");
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
			if (!ml_stage_name_valid(name) || ml_registry_map_get(&c.map, name, 0))
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
	ml_registry_fail_sys(reg, err, ENOMEM, "cannot list the stages");
out:
	for (size_t i = 0; i < k; i++)
		free(v[i]);
	free(v);
	if (d)
		closedir(d);
	ml_registry_collect_free(&c);
	return rc;
}
