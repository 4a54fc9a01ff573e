/* The history: scanning it for the states it gives the stages, and
 * appending an event in the two steps of ml_registry.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ml_host.h"
#include "ml_json.h"
#include "ml_rec.h"
#include "ml_registry_impl.h"

/* ---- reading it line by line ---- */

int ml_registry_each_line(struct ml_registry *reg, ml_registry_line_fn fn, void *ctx,
			  size_t *nlines, struct ml_err *err)
{
	char path[PATH_ROOM];
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;
	FILE *f;

	ml_registry_path(reg, path, NULL, HISTORY);
	if (!(f = fopen(path, "re"))) {
		if (errno == ENOENT)
			goto done;
		return ml_registry_fail_sys(reg, err, errno, "cannot open " HISTORY);
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n')
			break;
		lineno++;
		if ((rc = fn(ctx, lineno, line, (size_t)n - 1, err)) != 0)
			break;
	}
	if (rc == 0 && n < 0 && ferror(f))
		rc = ml_registry_fail_sys(reg, err, errno, "cannot read " HISTORY);
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
	int rc = ml_registry_each_line(reg, relay_line, &r, NULL, err);

	return rc < 0 ? -1 : 0;
}

/* ---- what a line says ---- */

int ml_registry_reader_init(struct ml_registry_reader *lr)
{
	memset(lr, 0, sizeof *lr);
	lr->event = ml_rec_new();
	lr->state = ml_rec_new();
	return lr->event && lr->state ? 0 : -1;
}

void ml_registry_reader_free(struct ml_registry_reader *lr)
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

int ml_registry_view_event(struct ml_registry_reader *lr, const char *line, size_t len,
			   struct ml_registry_event_view *v, struct ml_err *err)
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

/* ---- the stages' states, by name ---- */

static size_t hash_name(const char *s)
{
	uint64_t h = 14695981039346656037u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (size_t)h;
}

static int map_grow(struct ml_registry_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	struct ml_registry_slot **slot = calloc(cap, sizeof *slot);

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

struct ml_registry_slot *ml_registry_map_get(struct ml_registry_map *m, const char *name,
					     int add)
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

void ml_registry_map_free(struct ml_registry_map *m)
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

int ml_registry_map_note(struct ml_registry_map *m, const struct ml_registry_event_view *v,
			 size_t lineno)
{
	struct ml_registry_slot *s = ml_registry_map_get(m, v->stage, 1);

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

static int collect_line(void *ctx, size_t lineno, const char *line, size_t len,
			struct ml_err *err)
{
	struct ml_registry_collect *c = ctx;
	struct ml_registry_event_view v;

	if (ml_registry_view_event(&c->lr, line, len, &v, err) < 0)
		return ml_err_prefix(err, "registry %s: " HISTORY ":%zu", c->reg->dir, lineno);
	c->last_seq = v.seq;
	if (!v.state || (c->only && strcmp(v.stage, c->only) != 0))
		return 0;
	if (ml_registry_map_note(&c->map, &v, lineno) < 0)
		return ml_registry_fail_sys(c->reg, err, ENOMEM, "cannot read " HISTORY);
	return 0;
}

int ml_registry_collect(struct ml_registry *reg, struct ml_registry_collect *c, const char *only,
			struct ml_err *err)
{
	memset(c, 0, sizeof *c);
	c->reg = reg;
	c->only = only;
	if (ml_registry_reader_init(&c->lr) < 0)
		return ml_registry_fail_sys(reg, err, ENOMEM, "cannot read " HISTORY);
	return ml_registry_each_line(reg, collect_line, c, &c->lines, err) < 0 ? -1 : 0;
}

void ml_registry_collect_free(struct ml_registry_collect *c)
{
	ml_registry_reader_free(&c->lr);
	ml_registry_map_free(&c->map);
}

/* ---- events ---- */

static int check_state(const struct ml_stage *st, struct ml_err *err)
{
	if (!ml_stage_name_valid(st->name))
		return ml_registry_bad_stage_name(err, st->name);
	if (!ml_registry_id_valid(st->now.model))
		return ml_registry_bad_id(err, st->now.model);
	if (st->now.metrics[0] && !ml_registry_id_valid(st->now.metrics))
		return ml_registry_bad_id(err, st->now.metrics);
	for (size_t i = 0; i < st->nprev; i++) {
		if (!ml_registry_id_valid(st->prev[i].model))
			return ml_registry_bad_id(err, st->prev[i].model);
		if (st->prev[i].metrics[0] && !ml_registry_id_valid(st->prev[i].metrics))
			return ml_registry_bad_id(err, st->prev[i].metrics);
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

	if (ml_registry_need_lock(reg, "writing an event", err) < 0 ||
	    caller_keys(event_json, event_len, &keys, err) < 0 || (st && check_state(st, err) < 0))
		goto out;
	ml_host_now_iso(NULL, now);
	if (st) {
		st->seq = seq;
		snprintf(st->time, sizeof st->time, "%s", now);
		mem |= ml_stage_json(st, &state) | ml_buf_addc(&state, '\n');
	}
	mem |= ml_buf_printf(&line, "{\"format\":\"" ML_EVENT_FORMAT "\",\"version\":1,\"seq\":%llu,"
			     "\"time\":", (unsigned long long)seq);
	mem |= ml_json_quote_lossy(&line, now, strlen(now));
	mem |= ml_buf_adds(&line, ",\"user\":");
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
		ml_registry_fail_sys(reg, err, ENOMEM, "cannot write the event");
		goto out;
	}

	/* step one: the event, whole or not at all */
	ml_registry_path(reg, path, NULL, HISTORY);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666)) < 0 ||
	    fstat(fd, &sb) < 0) {
		ml_registry_fail_sys(reg, err, errno, "cannot append to " HISTORY);
		goto out;
	}
	if (ml_registry_write_all(fd, line.data, line.len) < 0 || fsync(fd) < 0) {
		int e = errno;
		truncate_history(fd, sb.st_size);
		ml_registry_fail_sys(reg, err, e, "cannot append to " HISTORY);
		goto out;
	}
	/* step two: the stage file; the event stands only if it follows */
	if (st && ml_registry_replace_file(reg, "stages", st->name, state.data, state.len,
					   reg->file_mode, 0, err) < 0) {
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
