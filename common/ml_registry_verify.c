/* ml_registry_verify: the whole registry checked, objects, history and
 * stage files, every problem reported (see ml_registry.h). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_registry_impl.h"

struct verify {
	struct ml_registry *reg;
	void (*problem)(void *ctx, const char *text);
	void *ctx;
	long problems;
	struct ml_registry_reader lr;
	struct ml_registry_map map;
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
	struct ml_registry_event_view ev;
	struct ml_stage st;
	char why[256];
	double seq;
	jv doc = ml_registry_parse_json(line, len, why, sizeof why), s;

	/* libjq for the checks (the reference reader), the scanner for the
	 * state's bytes */
	if (!jv_is_valid(doc)) {
		report(v, HISTORY ":%zu: not JSON (%s)", lineno, why);
		v->seq_unknown = 1;
		return 0;
	}
	if (jv_get_kind(doc) != JV_KIND_OBJECT ||
	    ml_registry_check_format(doc, ML_EVENT_FORMAT, why, sizeof why) < 0) {
		if (jv_get_kind(doc) != JV_KIND_OBJECT)
			snprintf(why, sizeof why, "not a JSON object");
		report(v, HISTORY ":%zu: not a registry event (%s)", lineno, why);
		jv_free(doc);
		v->seq_unknown = 1;
		return 0;
	}
	s = ml_registry_jv_get(doc, "seq");
	if (!ml_registry_whole_number(s, 1, &seq)) {
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
	if (ml_registry_view_event(&v->lr, line, len, &ev, err) < 0) {
		report(v, HISTORY ":%zu: %s", lineno, err->msg);
		ml_err_clear(err);
		return 0;
	}
	if (!ev.state)
		return 0;
	if (ml_registry_parse_stage(ev.state, ev.state_len, &st, why, sizeof why) < 0) {
		report(v, HISTORY ":%zu: the state is not a stage's (%s)", lineno, why);
		return 0;
	}
	if (st.seq != ev.seq)
		report(v, HISTORY ":%zu: the state's seq is %llu, the event's %llu", lineno,
		       (unsigned long long)st.seq, (unsigned long long)ev.seq);
	ml_stage_free(&st);
	if (ml_registry_map_note(&v->map, &ev, lineno) < 0)
		return ml_registry_fail_sys(v->reg, err, ENOMEM, "cannot verify");
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

	ml_registry_path(v->reg, dir, "stages", NULL);
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : ml_registry_fail_sys(v->reg, err, errno,
								  "cannot read stages/");
	while (rc == 0 && (de = readdir(d)) != NULL) {
		struct ml_registry_slot *s;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    ml_registry_is_temp_name(de->d_name))
			continue;
		if (!ml_stage_name_valid(de->d_name)) {
			report(v, "stages/%s: not a stage name", de->d_name);
			continue;
		}
		if (!(s = ml_registry_map_get(&v->map, de->d_name, 1))) {
			rc = ml_registry_fail_sys(v->reg, err, ENOMEM, "cannot verify");
			break;
		}
		/* a valid stage name is short: the path fits */
		ml_registry_path(v->reg, path, "stages", de->d_name);
		int r = ml_registry_read_file(path, &s->file);
		if (r < 0)
			rc = ml_registry_fail_sys(v->reg, err, errno, "cannot read stages/%s",
						  de->d_name);
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

	ml_registry_path(v->reg, dir, "objects", NULL);
	if (!(d = opendir(dir))) {
		if (errno != ENOENT) {
			ml_registry_fail_sys(v->reg, err, errno, "cannot read objects/");
			report_text(v, err->msg);
		}
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    ml_registry_is_temp_name(de->d_name))
			continue;
		if (!ml_registry_object_name_valid(de->d_name)) {
			report(v, "objects/%s: not named by a SHA-256", de->d_name);
			continue;
		}
		++*count;
		ml_registry_id_of_object(id, de->d_name);
		int r = ml_registry_hash_object(v->reg, id, got, NULL, err);
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
		return ml_registry_fail_sys(v->reg, err, ENOMEM, "cannot verify");
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
	return strcmp((*(struct ml_registry_slot *const *)a)->name,
		      (*(struct ml_registry_slot *const *)b)->name);
}

static int same_text(const struct ml_buf *file, const struct ml_buf *state)
{
	return file->len == state->len + 1 && memcmp(file->data, state->data, state->len) == 0 &&
	       file->data[state->len] == '\n';
}

/* A stage file against the last state the history gives its stage. */
static void verify_stage(struct verify *v, struct ml_registry_slot *s, size_t lines,
			 struct ml_err *err)
{
	/* a writer that died between its two steps (or one still between
	 * them) leaves the file one event behind: readers and the next writer
	 * take the history's state, so that is no problem */
	int between_steps = s->line == lines;
	int file_ok = 0;
	struct ml_stage st;
	char why[256];

	if (s->has_file) {
		if (ml_registry_parse_stage_file(&s->file, s->name, &st, why, sizeof why) < 0) {
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
	if (s->line ? ml_registry_parse_stage(s->state.data, s->state.len, &st, why, sizeof why) == 0
		    : file_ok && ml_registry_parse_stage_file(&s->file, s->name, &st, why,
							      sizeof why) == 0) {
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
	struct ml_registry_slot **slots = NULL;
	size_t lines = 0, objects = 0, n = 0;
	long rc = -1;

	if (ml_registry_reader_init(&v.lr) < 0) {
		ml_registry_fail_sys(reg, err, ENOMEM, "cannot verify");
		goto out;
	}
	if (verify_read_stage_files(&v, err) < 0 ||
	    ml_registry_each_line(reg, verify_line, &v, &lines, err) < 0)
		goto out;
	verify_objects(&v, &objects, err);
	if (v.map.n && !(slots = malloc(v.map.n * sizeof *slots))) {
		ml_registry_fail_sys(reg, err, ENOMEM, "cannot verify");
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
	ml_registry_reader_free(&v.lr);
	ml_registry_map_free(&v.map);
	return rc;
}

long ml_registry_verify(struct ml_registry *reg, void (*problem)(void *ctx, const char *text),
			void *ctx, struct ml_err *err)
{
	return ml_registry_verify_tally(reg, problem, ctx, NULL, err);
}
