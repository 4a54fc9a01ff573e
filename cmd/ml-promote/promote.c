/* promote: a stage points at a candidate only when every gate holds; a
 * rejection is recorded with its reasons and changes nothing else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "promote.h"

/* Everything one promotion looks at. */
struct candidate {
	struct metrics metrics, current_file, stored;
	const struct metrics *current;	/* NULL: none to compare with */
	struct bundle_in bundle;
	struct ml_stage old;
	int has_old;
	struct gate_result *res;
	size_t nres;
	int pass;
};

/* The event's own keys, without the closing brace: the caller ends it. */
static void event_keys(const struct promote *p, const struct candidate *c, struct ml_buf *ev)
{
	const struct manifest_info *mi = &c->bundle.info;
	const char *before = c->has_old ? c->old.now.model : NULL;

	ml_buf_printf(ev, "{\"event\":\"%s\",\"stage\":", c->pass ? "promote" : "reject");
	ml_json_quote(ev, p->to, strlen(p->to));
	ml_buf_printf(ev, ",\"model\":\"%s\",\"before\":", c->bundle.id);
	ml_buf_adds(ev, before ? "\"" : "");
	ml_buf_adds(ev, before ? before : "null");
	ml_buf_adds(ev, before ? "\"" : "");
	ml_buf_adds(ev, ",\"after\":");
	if (c->pass)
		ml_buf_printf(ev, "\"%s\"", c->bundle.id);
	else
		ml_buf_printf(ev, before ? "\"%s\"" : "%s", before ? before : "null");
	ml_buf_adds(ev, ",\"reason\":");
	if (p->reason)
		ml_json_quote_lossy(ev, p->reason, strlen(p->reason));
	else
		ml_buf_adds(ev, "null");
	ml_buf_adds(ev, ",\"bundle\":{\"path\":");
	ml_json_quote_lossy(ev, c->bundle.path, strlen(c->bundle.path));
	ml_buf_adds(ev, ",\"algo\":");
	json_string_or_null(ev, mi->has_algo, &mi->algo);
	ml_buf_adds(ev, ",\"task\":");
	json_string_or_null(ev, mi->has_task, &mi->task);
	ml_buf_adds(ev, ",\"target\":");
	json_string_or_null(ev, mi->has_target, &mi->target);
	ml_buf_adds(ev, "},\"candidate\":");
	ml_buf_add(ev, c->metrics.line.data, c->metrics.line.len);
	ml_buf_adds(ev, ",\"current\":");
	if (c->current)
		ml_buf_add(ev, c->current->line.data, c->current->line.len);
	else
		ml_buf_adds(ev, "null");
	ml_buf_adds(ev, ",\"gates\":[");
	for (size_t i = 0; i < p->gates.n; i++) {
		const struct gate_result *r = &c->res[i];
		ml_buf_adds(ev, i ? ",{\"gate\":" : "{\"gate\":");
		ml_json_quote_lossy(ev, r->gate->text, strlen(r->gate->text));
		ml_buf_printf(ev, ",\"kind\":\"%s\",\"pass\":%s,\"detail\":", gate_kind_name(r->gate),
			      r->pass ? "true" : "false");
		ml_json_quote_lossy(ev, r->detail.data ? r->detail.data : "", r->detail.len);
		ml_buf_addc(ev, '}');
	}
	ml_buf_addc(ev, ']');
}

/* Step 1: everything that can be checked before the registry is touched. */
static int read_inputs(struct promote *p, struct candidate *c, struct ml_err *err)
{
	struct metrics *m = &c->metrics;

	if (metrics_read(m, p->metrics_path, err) < 0)
		return -1;
	if (bundle_load(&c->bundle, p->args[0], err) < 0) {
		log_input(p, m->path, m->bytes, -1, m->sha256);
		return -1;
	}
	/* the model first, then what it was measured with; the metrics file is
	 * hashed whole but only its overall line is read, so its records are
	 * not counted (-1) rather than said to be one */
	log_input(p, c->bundle.path, c->bundle.bytes.len, -1, c->bundle.id);
	log_input(p, m->path, m->bytes, -1, m->sha256);
	if (m->bundle && strcmp(m->bundle, c->bundle.id))
		return ml_err_set(err, ML_ERR_DATA, "%s: these metrics are of model %s, not of %s (%s)",
				  m->name, m->bundle, c->bundle.path, c->bundle.id);
	if (metrics_check_gates(m, &p->gates, err) < 0)
		return -1;
	if (p->current_metrics_path) {
		if (metrics_read(&c->current_file, p->current_metrics_path, err) < 0)
			return -1;
		log_input(p, c->current_file.path, c->current_file.bytes, -1, c->current_file.sha256);
	}
	return 0;
}

/* Step 3: the model the stage holds and the metrics to compare with. */
static int read_current(struct promote *p, struct candidate *c, struct ml_err *err)
{
	if (p->reg && (c->has_old = ml_registry_stage(p->reg, p->to, &c->old, err)) < 0) {
		c->has_old = 0;
		return -1;
	}
	const char *model = c->has_old ? c->old.now.model : NULL;
	if (p->current_metrics_path) {
		struct metrics *m = &c->current_file;
		if (!model)
			return ml_err_set(err, ML_ERR_USAGE, "%s: no current model to compare with: %s holds none",
					  m->name, p->to);
		if (m->bundle && strcmp(m->bundle, model))
			return ml_err_set(err, ML_ERR_DATA,
					  "%s: these metrics are of model %s, not of the model in %s (%s)",
					  m->name, m->bundle, p->to, model);
		c->current = m;
		return 0;
	}
	if (!model || !c->old.now.metrics[0])
		return 0;
	if (metrics_from_object(&c->stored, p->reg, c->old.now.metrics, err) < 0)
		return -1;
	c->current = &c->stored;
	return 0;
}

/* Step 5, all gates held: store the bundle and its metrics, move the stage. */
static int commit_promote(struct promote *p, struct candidate *c, const struct ml_buf *ev,
			  struct ml_err *err)
{
	struct ml_stage st = {0};
	char id[ML_SHA256_ID_SIZE], mid[ML_SHA256_ID_SIZE];
	int created, registered, rc;

	if (store_bundle(p->reg, &c->bundle, id, &registered, err) < 0 ||
	    ml_registry_put(p->reg, c->metrics.line.data, c->metrics.line.len, mid, &created, err) < 0)
		return -1;
	snprintf(st.name, sizeof st.name, "%s", p->to);
	memcpy(st.now.model, id, sizeof id);
	memcpy(st.now.metrics, mid, sizeof mid);
	/* what the stage held goes on top of the versions a rollback returns to */
	st.nprev = c->has_old ? c->old.nprev + 1 : 0;
	if (!(st.prev = malloc((st.nprev ? st.nprev : 1) * sizeof *st.prev)))
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (c->has_old) {
		if (c->old.nprev)
			memcpy(st.prev, c->old.prev, c->old.nprev * sizeof *st.prev);
		st.prev[c->old.nprev] = c->old.now;
	}
	rc = ml_registry_commit(p->reg, ev->data, ev->len, &st, err);
	free(st.prev);
	return rc;
}

/* The output: the event line, or the verdict and the gates for people. */
static void report(struct promote *p, const struct candidate *c, const struct ml_buf *line)
{
	struct ml_buf text = {0}, verdict = {0};
	char a[ML_SHA256_ID_SIZE], b[ML_SHA256_ID_SIZE];
	const char *before = c->has_old ? c->old.now.model : NULL;

	if (!p->text) {
		ml_out_write_lines(p->out, line->data, line->len);
		return;
	}
	if (c->pass)
		ml_buf_printf(&verdict, "promoted %s to %s (was %s)", short_id(c->bundle.id, a), p->to,
			      short_id(before, b));
	else
		ml_buf_printf(&verdict, "rejected %s for %s (stays %s)", short_id(c->bundle.id, a), p->to,
			      short_id(before, b));
	/* the same verdict as the real run would print, marked */
	ml_buf_adds(&verdict, p->dry_run ? "; dry run, nothing changed" : "");
	ml_buf_terminate(&verdict);
	text_decision(&text, verdict.data, c->res, p->gates.n);
	ml_out_write(p->out, text.data, text.len);
	ml_buf_free(&text);
	ml_buf_free(&verdict);
}

static void candidate_free(struct candidate *c)
{
	metrics_free(&c->metrics);
	metrics_free(&c->current_file);
	metrics_free(&c->stored);
	bundle_in_free(&c->bundle);
	if (c->has_old)
		ml_stage_free(&c->old);
	gate_results_free(c->res, c->nres);
}

int cmd_promote(struct promote *p)
{
	struct candidate c = {0};
	struct ml_err err;
	struct ml_buf ev = {0}, line = {0};
	char sid[ML_SHA256_ID_SIZE];
	int status = ML_EXIT_TROUBLE, locked = 0;

	if (read_inputs(p, &c, &err) < 0 ||
	    open_registry(p, !p->dry_run, p->dry_run, &err) < 0 ||
	    (!p->dry_run && (ml_registry_lock(p->reg, &err) < 0 || !(locked = 1))) ||
	    read_current(p, &c, &err) < 0)
		goto fail;
	if (c.has_old && !strcmp(c.old.now.model, c.bundle.id)) {
		/* nothing to decide, nothing to record */
		if (p->text) {
			ml_buf_printf(&line, "%s already holds %s\n", p->to, short_id(c.bundle.id, sid));
			ml_out_write(p->out, line.data, line.len);
		}
		p->decision = "unchanged";
		status = ML_EXIT_OK;
		goto out;
	}
	c.nres = p->gates.n;
	if (!(c.res = calloc(p->gates.n ? p->gates.n : 1, sizeof *c.res))) {
		ml_err_set(&err, ML_ERR_IO, "out of memory");
		goto fail;
	}
	if (gates_eval(&p->gates, &c.metrics, c.current, c.has_old ? c.old.now.model : NULL, p->to,
		       c.res, &err) < 0)
		goto fail;
	c.pass = 1;
	for (size_t i = 0; i < p->gates.n; i++)
		c.pass &= c.res[i].pass;
	event_keys(p, &c, &ev);
	if (event_end(&ev, p->dry_run, &line, &err) < 0 ||
	    (!p->dry_run && ((c.pass ? commit_promote(p, &c, &ev, &err)
				     : ml_registry_commit(p->reg, ev.data, ev.len, NULL, &err)) < 0 ||
			     last_event(p->reg, &line, &err) < 0)))
		goto fail;
	if (locked)
		ml_registry_unlock(p->reg);
	locked = 0;
	for (size_t i = 0; i < p->gates.n; i++)
		if (!c.res[i].pass)
			ml_warn("%s: rejected %s: gate '%s' failed (%s)", p->to, short_id(c.bundle.id, sid),
				c.res[i].gate->text, c.res[i].detail.data ? c.res[i].detail.data : "");
	report(p, &c, &line);
	if (c.pass && !p->dry_run) {
		char *path = ml_registry_object_path(p->reg, c.bundle.id, &err);
		if (!path)
			goto fail;
		log_output(p, path, c.bundle.bytes.len, -1, c.bundle.id);
		free(path);
	}
	p->decision = c.pass ? "promoted" : "rejected";
	status = c.pass ? ML_EXIT_OK : ML_EXIT_FAIL;
	goto out;
fail:
	status = trouble(p, &err);
out:
	if (locked)
		ml_registry_unlock(p->reg);
	candidate_free(&c);
	ml_buf_free(&ev);
	ml_buf_free(&line);
	return status;
}
