/* register: bundles stored by content, each with a register event the first
 * time; and the history helpers the writing commands share. */
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "promote.h"

int last_event(struct ml_registry *reg, struct ml_buf *line, struct ml_err *err)
{
	size_t len;
	const char *ev = ml_registry_last_event(reg, &len);

	ml_buf_reset(line);
	if (!ev)
		return ml_err_set(err, ML_ERR_IO, "registry %s: the event just written is lost",
				  ml_registry_dir(reg));
	if (ml_buf_add(line, ev, len) < 0 || ml_buf_addc(line, '\n') < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	return 0;
}

int event_end(struct ml_buf *ev, int dry_run, struct ml_buf *line, struct ml_err *err)
{
	int rc;

	if (dry_run)
		rc = ml_buf_add(line, ev->data, ev->len) < 0 || ml_buf_adds(line, ",\"dry_run\":true}\n") < 0;
	else
		rc = ml_buf_addc(ev, '}') < 0 || ml_buf_terminate(ev) < 0;
	return rc ? ml_err_set(err, ML_ERR_IO, "out of memory") : 0;
}

struct register_search {
	const char *model;
	struct ml_rec *rec;
	int found;
};

/* Whether a field of r is the string s (plain, no escapes needed). */
static int field_is(const struct ml_rec *r, const char *key, const char *s)
{
	ssize_t i = ml_rec_find(r, key, strlen(key));
	size_t n;

	if (i < 0 || ml_rec_type(r, (size_t)i) != ML_JSON_STRING)
		return 0;
	const char *raw = ml_rec_value_raw(r, (size_t)i, &n);
	return n == strlen(s) + 2 && memcmp(raw + 1, s, n - 2) == 0;
}

static int find_register(void *ctx, const char *line, size_t len, struct ml_err *err)
{
	struct register_search *s = ctx;
	struct ml_err ignored;

	(void)err;
	/* most lines are not it: look for the id before parsing */
	if (!memmem(line, len, s->model, strlen(s->model)) ||
	    ml_rec_parse(s->rec, line, len, &ignored) < 0)
		return 0;
	if (field_is(s->rec, "event", "register") && field_is(s->rec, "model", s->model)) {
		s->found = 1;
		return 1;
	}
	return 0;
}

/* Whether the history holds a register event for model; 1, 0, -1. */
static int history_has_register(struct ml_registry *reg, const char *model, struct ml_err *err)
{
	struct register_search s = {.model = model, .rec = ml_rec_new()};

	if (!s.rec)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	int rc = ml_registry_history(reg, find_register, &s, err);
	ml_rec_free(s.rec);
	return rc < 0 ? -1 : s.found;
}

/* Appends a register event for a bundle just stored (under the lock). */
static int commit_register(struct ml_registry *reg, const struct bundle_in *bi, struct ml_err *err)
{
	const struct manifest_info *mi = &bi->info;
	struct ml_buf ev = {0};
	int rc;

	ml_buf_printf(&ev, "{\"event\":\"register\",\"model\":\"%s\",\"bytes\":%zu,\"path\":", bi->id,
		      bi->bytes.len);
	ml_json_quote_lossy(&ev, bi->path, strlen(bi->path));
	ml_buf_adds(&ev, ",\"bundle\":{\"algo\":");
	json_string_or_null(&ev, mi->has_algo, &mi->algo);
	ml_buf_adds(&ev, ",\"task\":");
	json_string_or_null(&ev, mi->has_task, &mi->task);
	ml_buf_adds(&ev, ",\"target\":");
	json_string_or_null(&ev, mi->has_target, &mi->target);
	if (mi->training_data[0])
		ml_buf_printf(&ev, ",\"training_data\":\"%s\"}}", mi->training_data);
	else
		ml_buf_adds(&ev, ",\"training_data\":null}}");
	if (ml_buf_terminate(&ev) < 0)
		rc = ml_err_set(err, ML_ERR_IO, "out of memory");
	else
		rc = ml_registry_commit(reg, ev.data, ev.len, NULL, err);
	ml_buf_free(&ev);
	return rc;
}

int store_bundle(struct ml_registry *reg, const struct bundle_in *bi, char id[ML_SHA256_ID_SIZE],
		 int *registered, struct ml_err *err)
{
	int created, has;

	if (ml_registry_put(reg, bi->bytes.data, bi->bytes.len, id, &created, err) < 0 ||
	    (has = history_has_register(reg, id, err)) < 0)
		return -1;
	/* a writer that died between storing and recording left the object
	 * without its event: this run records it */
	if (!has && commit_register(reg, bi, err) < 0)
		return -1;
	*registered = created || !has;
	return 0;
}

/* Stores one bundle under the lock; *registered: it was not there before. */
static int store(struct promote *p, const struct bundle_in *bi, int *registered, struct ml_err *err)
{
	char id[ML_SHA256_ID_SIZE];
	int rc;

	if (ml_registry_lock(p->reg, err) < 0)
		return -1;
	rc = store_bundle(p->reg, bi, id, registered, err);
	ml_registry_unlock(p->reg);
	return rc;
}

int cmd_register(struct promote *p)
{
	struct ml_err err;
	struct ml_buf line = {0};
	char sid[ML_SHA256_ID_SIZE];
	int status = ML_EXIT_OK;

	for (size_t i = 0; i < p->nargs; i++) {
		struct bundle_in bi;
		char *path = NULL;
		int registered = 0;

		/* verified before the lock: other writers need not wait for it */
		if (bundle_load(&bi, p->args[i], &err) < 0) {
			ml_cli_report(p->cli, &err);
			status = ML_EXIT_TROUBLE;
			bundle_in_free(&bi);
			continue;
		}
		log_input(p, bi.path, bi.bytes.len, -1, bi.id);
		/* made for the first bundle that is one, not before */
		if (open_registry(p, 1, 0, &err) < 0) {
			status = trouble(p, &err);
			bundle_in_free(&bi);
			break;
		}
		if (store(p, &bi, &registered, &err) < 0 ||
		    !(path = ml_registry_object_path(p->reg, bi.id, &err))) {
			ml_cli_report(p->cli, &err);
			status = ML_EXIT_TROUBLE;
			bundle_in_free(&bi);
			continue;
		}
		log_output(p, path, bi.bytes.len, -1, bi.id);
		ml_buf_reset(&line);
		if (p->text) {
			if (registered)
				ml_buf_printf(&line, "registered %s\n", short_id(bi.id, sid));
			else
				ml_buf_printf(&line, "%s already registered\n", short_id(bi.id, sid));
		} else {
			ml_buf_printf(&line, "{\"model\":\"%s\",\"path\":", bi.id);
			ml_json_quote_lossy(&line, path, strlen(path));
			ml_buf_printf(&line, ",\"registered\":%s}\n", registered ? "true" : "false");
		}
		ml_out_write_lines(p->out, line.data, line.len);
		free(path);
		bundle_in_free(&bi);
	}
	ml_buf_free(&line);
	return status;
}
