/* The commands that only read: list, show, history, path and verify.  They
 * take no lock (every file they read is immutable or replaced whole) and
 * write no run log line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ml_json.h"
#include "ml_metrics.h"
#include "promote.h"

/* --- list ----------------------------------------------------------------- */

/* The ALGO, TASK and TARGET cells of a stage's model; -1 (after saying
 * why) when its object does not verify. */
static int model_cells(struct promote *p, const char *id, struct manifest_info *mi,
		       const char *cells[3])
{
	struct ml_err err;
	char *path = NULL;
	struct ml_bundle *b = object_bundle(p->reg, id, &path, &err);
	size_t len;

	free(path);
	if (!b) {
		ml_cli_report(p->cli, &err);
		cells[0] = ml_registry_has(p->reg, id, &err) == 0 ? "MISSING" : "CORRUPT";
		cells[1] = cells[2] = "-";
		return -1;
	}
	const char *manifest = ml_bundle_manifest(b, &len);
	if (manifest)
		manifest_read(manifest, len, mi);
	ml_bundle_free(b);
	cells[0] = mi->has_algo ? mi->algo.data : "-";
	cells[1] = mi->has_task ? mi->task.data : "-";
	cells[2] = mi->has_target ? mi->target.data : "-";
	return 0;
}

int cmd_list(struct promote *p)
{
	static const char *const head[] = {"STAGE", "MODEL", "SINCE", "ROLLBACKS", "ALGO", "TASK", "TARGET"};
	struct ml_err err;
	struct table t = {.ncols = 7};
	struct ml_buf line = {0};
	char **names = NULL;
	size_t n = 0;
	int status = ML_EXIT_OK;

	if (open_registry(p, 0, 1, &err) < 0 ||
	    (p->reg && ml_registry_stages(p->reg, &names, &n, &err) < 0))
		return trouble(p, &err);
	if (!n)
		goto out;
	table_row(&t, head);
	for (size_t i = 0; i < n; i++) {
		struct ml_stage st;
		struct manifest_info mi = {0};
		int has = ml_registry_stage(p->reg, names[i], &st, &err);
		if (has < 0) {
			ml_cli_report(p->cli, &err);
			status = ML_EXIT_TROUBLE;
			continue;
		}
		if (!has)
			continue;
		char sid[ML_SHA256_ID_SIZE], since[32], rollbacks[24];
		const char *cells[7] = {st.name, short_id(st.now.model, sid), since, rollbacks};
		short_time(st.time, since);
		snprintf(rollbacks, sizeof rollbacks, "%zu", st.nprev);
		if (model_cells(p, st.now.model, &mi, cells + 4) < 0)
			status = ML_EXIT_TROUBLE;
		if (p->text) {
			table_row(&t, cells);
		} else {
			ml_buf_reset(&line);
			ml_stage_json(&st, &line);
			ml_buf_addc(&line, '\n');
			ml_out_write_lines(p->out, line.data, line.len);
		}
		manifest_info_free(&mi);
		ml_stage_free(&st);
	}
	if (p->text) {
		table_write(&t, &line);
		ml_out_write(p->out, line.data, line.len);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	table_free(&t);
	ml_buf_free(&line);
	return status;
}

/* --- show and path: a stage or an id -------------------------------------- */

/* The model named by arg: the stage's (st filled, 1) or the object's (0). */
static int model_of(struct promote *p, const char *arg, char id[ML_SHA256_ID_SIZE],
		    struct ml_stage *st, struct ml_err *err)
{
	if (looks_like_id(arg))
		return ml_registry_resolve(p->reg, arg, id, err) < 0 ? -1 : 0;
	int has = ml_registry_stage(p->reg, arg, st, err);
	if (has < 0)
		return -1;
	if (!has)
		return ml_err_set(err, ML_ERR_USAGE, "registry %s: stage '%s' holds no model",
				  ml_registry_dir(p->reg), arg);
	memcpy(id, st->now.model, ML_SHA256_ID_SIZE);
	return 1;
}

/* "key: value\n" for each metric with a direction, as written. */
static void metric_lines(const struct metrics *m, struct ml_buf *out)
{
	struct ml_buf key = {0};
	size_t n;
	ssize_t i = ml_rec_find(m->rec, "records", 7);

	if (i >= 0) {
		const char *raw = ml_rec_value_raw(m->rec, (size_t)i, &n);
		ml_buf_printf(out, "records: %.*s\n", (int)n, raw);
	}
	for (size_t k = 0; k < ml_rec_count(m->rec); k++) {
		ml_buf_reset(&key);
		if (ml_rec_key(m->rec, k, &key) < 0 || ml_buf_terminate(&key) < 0 ||
		    !ml_metric_direction(key.data))
			continue;
		const char *raw = ml_rec_value_raw(m->rec, k, &n);
		ml_buf_printf(out, "%s: %.*s\n", key.data, (int)n, raw);
	}
	ml_buf_free(&key);
}

static void show_text(struct ml_buf *out, const char *stage, const char *id, const char *path,
		      const struct manifest_info *mi, const struct ml_stage *st, const struct metrics *m)
{
	char since[32];

	if (stage)
		ml_buf_printf(out, "stage: %s\n", stage);
	ml_buf_printf(out, "model: %s\npath: %s\n", id, path);
	ml_buf_printf(out, "algo: %s\n", mi->has_algo ? mi->algo.data : "-");
	ml_buf_printf(out, "task: %s\n", mi->has_task ? mi->task.data : "-");
	ml_buf_printf(out, "target: %s\n", mi->has_target ? mi->target.data : "-");
	ml_buf_printf(out, "training data: %s\n", mi->nsources ? mi->sources.data : "-");
	if (st) {
		short_time(st->time, since);
		ml_buf_printf(out, "since: %s\n", since);
	}
	if (m)
		metric_lines(m, out);
}

int cmd_show(struct promote *p)
{
	const char *arg = p->args[0];
	struct ml_err err;
	struct ml_stage st;
	struct metrics m = {0};
	struct manifest_info mi = {0};
	struct ml_buf out = {0};
	struct ml_bundle *b = NULL;
	char id[ML_SHA256_ID_SIZE], *path = NULL;
	int is_stage = 0, have_metrics = 0, status = ML_EXIT_TROUBLE;
	struct stat sb;
	size_t len;

	if (open_registry(p, 0, 0, &err) < 0 || (is_stage = model_of(p, arg, id, &st, &err)) < 0 ||
	    !(b = object_bundle(p->reg, id, &path, &err)))
		goto fail;
	if (is_stage && st.now.metrics[0]) {
		if (metrics_from_object(&m, p->reg, st.now.metrics, &err) < 0)
			goto fail;
		have_metrics = 1;
	}
	const char *manifest = ml_bundle_manifest(b, &len);
	if (manifest && manifest_read(manifest, len, &mi) < 0) {
		ml_err_set(&err, ML_ERR_IO, "out of memory");
		goto fail;
	}
	if (p->text) {
		show_text(&out, is_stage ? arg : NULL, id, path, &mi, is_stage ? &st : NULL,
			  have_metrics ? &m : NULL);
	} else {
		ml_buf_adds(&out, "{\"stage\":");
		if (is_stage)
			ml_json_quote(&out, arg, strlen(arg));
		else
			ml_buf_adds(&out, "null");
		ml_buf_printf(&out, ",\"model\":\"%s\",\"path\":", id);
		ml_json_quote_lossy(&out, path, strlen(path));
		ml_buf_printf(&out, ",\"bytes\":%llu,\"manifest\":",
			      stat(path, &sb) == 0 ? (unsigned long long)sb.st_size : 0ULL);
		/* a manifest is one JSON object, maybe not on one line */
		if (manifest)
			ml_json_minify(&out, manifest, len);
		else
			ml_buf_adds(&out, "null");
		ml_buf_adds(&out, ",\"metrics\":");
		if (have_metrics)
			ml_buf_add(&out, m.line.data, m.line.len);
		else
			ml_buf_adds(&out, "null");
		ml_buf_adds(&out, ",\"state\":");
		if (is_stage)
			ml_stage_json(&st, &out);
		else
			ml_buf_adds(&out, "null");
		ml_buf_adds(&out, "}\n");
	}
	ml_out_write_lines(p->out, out.data, out.len);
	status = ML_EXIT_OK;
	goto out;
fail:
	status = trouble(p, &err);
out:
	if (is_stage > 0)
		ml_stage_free(&st);
	ml_bundle_free(b);
	free(path);
	metrics_free(&m);
	manifest_info_free(&mi);
	ml_buf_free(&out);
	return status;
}

int cmd_path(struct promote *p)
{
	const char *arg = p->args[0];
	struct ml_err err;
	struct ml_stage st;
	struct ml_buf out = {0};
	char id[ML_SHA256_ID_SIZE], *path = NULL;
	int is_stage = 0, status = ML_EXIT_TROUBLE;

	/* an id may name a metrics object: only a bundle is a model's file */
	if (open_registry(p, 0, 0, &err) < 0 || (is_stage = model_of(p, arg, id, &st, &err)) < 0 ||
	    !(path = ml_registry_object_path(p->reg, id, &err)) ||
	    (!is_stage && object_is_bundle(p->reg, id, path, &err) < 0))
		goto fail;
	ml_buf_adds(&out, path);
	ml_buf_addc(&out, '\n');
	ml_out_write_lines(p->out, out.data, out.len);
	status = ML_EXIT_OK;
	goto out;
fail:
	status = trouble(p, &err);
out:
	if (is_stage > 0)
		ml_stage_free(&st);
	free(path);
	ml_buf_free(&out);
	return status;
}

/* --- history --------------------------------------------------------------- */

struct history {
	struct promote *p;
	const char *stage;
	struct ml_rec *rec, *gate;
	struct table t;
	struct ml_buf a, b;
	uint64_t lineno;
	int status;
};

/* A string field decoded into out ("-" when absent or not a string). */
static const char *str(const struct ml_rec *r, const char *key, struct ml_buf *out)
{
	return string_field(r, key, out) ? out->data : "-";
}

/* The texts of a reject's failed gates, ", "-joined: why it was refused. */
static void failed_gates(struct history *h, struct ml_buf *out)
{
	ssize_t i = ml_rec_find(h->rec, "gates", 5);
	struct ml_buf text = {0};
	struct ml_err err;
	struct json_elems it;
	enum ml_json_type type;
	const char *v;
	size_t n, k = 0;

	if (i < 0 || ml_rec_type(h->rec, (size_t)i) != ML_JSON_ARRAY)
		return;
	const char *raw = ml_rec_value_raw(h->rec, (size_t)i, &n);
	json_elems_start(&it, raw, n);
	while (json_elems_next(&it, &v, &n, &type)) {
		if (type == ML_JSON_OBJECT && ml_rec_parse(h->gate, v, n, &err) == 0) {
			ssize_t pass = ml_rec_find(h->gate, "pass", 4);
			if (pass >= 0 && ml_rec_type(h->gate, (size_t)pass) == ML_JSON_FALSE)
				ml_buf_printf(out, "%s%s", k++ ? ", " : "", str(h->gate, "gate", &text));
		}
	}
	ml_buf_free(&text);
}

static void history_row(struct history *h)
{
	const struct ml_rec *r = h->rec;
	struct ml_buf seq = {0}, time = {0}, event = {0}, stage = {0}, user = {0}, last = {0};
	char tbuf[32], sa[ML_SHA256_ID_SIZE], sb[ML_SHA256_ID_SIZE];
	ssize_t i = ml_rec_find(r, "seq", 3);
	size_t n;

	if (i >= 0) {
		const char *raw = ml_rec_value_raw(r, (size_t)i, &n);
		ml_buf_add(&seq, raw, n);
	}
	ml_buf_terminate(&seq);
	short_time(str(r, "time", &time), tbuf);
	const char *ev = str(r, "event", &event);
	/* "-" for what an event has not: a stage that held nothing, a reason */
	ml_buf_reset(&h->b);
	const char *before = strcmp(ev, "register") ? str(r, "before", &h->a) : "-";
	ml_buf_printf(&h->b, "%s -> ", strcmp(before, "-") ? short_id(before, sa) : "-");
	const char *after = str(r, strcmp(ev, "register") ? "after" : "model", &h->a);
	ml_buf_adds(&h->b, strcmp(after, "-") ? short_id(after, sb) : "-");
	ml_buf_terminate(&h->b);
	if (!strcmp(ev, "reject"))
		failed_gates(h, &last);
	else
		ml_buf_adds(&last, str(r, "reason", &h->a));
	ml_buf_terminate(&last);
	const char *cells[] = {seq.data ? seq.data : "-", tbuf, ev, str(r, "stage", &stage), h->b.data,
			       str(r, "user", &user), last.len ? last.data : "-"};
	table_row(&h->t, cells);
	ml_buf_free(&seq);
	ml_buf_free(&time);
	ml_buf_free(&event);
	ml_buf_free(&stage);
	ml_buf_free(&user);
	ml_buf_free(&last);
}

static int on_event(void *ctx, const char *line, size_t len, struct ml_err *err)
{
	struct history *h = ctx;
	struct ml_buf s = {0};

	(void)err;
	h->lineno++;
	if (!h->stage && !h->p->text) {
		/* as stored, byte for byte */
		ml_out_write(h->p->out, line, len);
		ml_out_end_record(h->p->out);
		return 0;
	}
	if (ml_rec_parse(h->rec, line, len, err) < 0) {
		ml_warn("registry %s: history line %llu: %s", ml_registry_dir(h->p->reg),
			(unsigned long long)h->lineno, err->msg);
		h->status = ML_EXIT_TROUBLE;
		return 0;
	}
	int match = !h->stage || !strcmp(str(h->rec, "stage", &s), h->stage);
	ml_buf_free(&s);
	if (!match)
		return 0;
	if (h->p->text) {
		history_row(h);
	} else {
		ml_out_write(h->p->out, line, len);
		ml_out_end_record(h->p->out);
	}
	return 0;
}

int cmd_history(struct promote *p)
{
	static const char *const head[] = {"SEQ", "TIME", "EVENT", "STAGE", "BEFORE -> AFTER", "USER",
					   "REASON"};
	struct history h = {.p = p, .stage = p->nargs ? p->args[0] : NULL, .t = {.ncols = 7},
			    .status = ML_EXIT_OK};
	struct ml_err err;
	struct ml_buf text = {0};

	if (open_registry(p, 0, 1, &err) < 0)
		return trouble(p, &err);
	if (!p->reg)
		return ML_EXIT_OK;
	if (!(h.rec = ml_rec_new()) || !(h.gate = ml_rec_new())) {
		ml_err_set(&err, ML_ERR_IO, "out of memory");
		h.status = trouble(p, &err);
		goto out;
	}
	table_row(&h.t, head);
	if (ml_registry_history(p->reg, on_event, &h, &err) < 0) {
		ml_cli_report(p->cli, &err);
		h.status = ML_EXIT_TROUBLE;
	}
	/* a heading over no events says nothing */
	if (p->text && h.t.nrows > 1) {
		table_write(&h.t, &text);
		ml_out_write(p->out, text.data, text.len);
	}
out:
	ml_rec_free(h.rec);
	ml_rec_free(h.gate);
	table_free(&h.t);
	ml_buf_free(&h.a);
	ml_buf_free(&h.b);
	ml_buf_free(&text);
	return h.status;
}

/* --- verify ---------------------------------------------------------------- */

static void on_problem(void *ctx, const char *text)
{
	(void)ctx;
	ml_warn("%s", text);
}

int cmd_verify(struct promote *p)
{
	struct ml_registry_tally tally;
	struct ml_err err;
	long problems;

	if (open_registry(p, 0, 0, &err) < 0 ||
	    (problems = ml_registry_verify_tally(p->reg, on_problem, p, &tally, &err)) < 0)
		return trouble(p, &err);
	if (p->cli->verbose) {
		char verdict[64] = "consistent";
		if (problems)
			snprintf(verdict, sizeof verdict, "%ld problem%s", problems, problems == 1 ? "" : "s");
		ml_warn("registry %s: %zu object%s, %zu stage%s, %llu event%s, %s", ml_registry_dir(p->reg),
			tally.objects, tally.objects == 1 ? "" : "s", tally.stages,
			tally.stages == 1 ? "" : "s", (unsigned long long)tally.events,
			tally.events == 1 ? "" : "s", verdict);
	}
	return problems ? ML_EXIT_FAIL : ML_EXIT_OK;
}
