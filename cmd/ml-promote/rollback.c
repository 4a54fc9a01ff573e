/* rollback: a stage goes back to the version it held before its last
 * change; each rollback takes one more step back. */
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "promote.h"

/* The version to go back to must still be whole, or nothing changes. */
static int check_objects(struct ml_registry *reg, const struct ml_stage_entry *e, struct ml_err *err)
{
	struct ml_buf obj = {0};
	char *path = ml_registry_object_path(reg, e->model, err);
	int rc = path ? 0 : -1;

	free(path);
	if (rc == 0 && e->metrics[0])
		rc = ml_registry_get(reg, e->metrics, &obj, err);
	ml_buf_free(&obj);
	return rc;
}

int cmd_rollback(struct promote *p)
{
	const char *stage = p->args[0];
	struct ml_stage st;
	struct ml_err err;
	struct ml_buf ev = {0}, line = {0};
	char a[ML_SHA256_ID_SIZE], b[ML_SHA256_ID_SIZE];
	int has = 0, locked = 0, status = ML_EXIT_TROUBLE;

	if (open_registry(p, 0, 0, &err) < 0 ||
	    (!p->dry_run && (ml_registry_lock(p->reg, &err) < 0 || !(locked = 1))) ||
	    (has = ml_registry_stage(p->reg, stage, &st, &err)) < 0) {
		has = 0;
		goto fail;
	}
	if (!has) {
		ml_err_set(&err, ML_ERR_USAGE, "registry %s: no stage '%s'", ml_registry_dir(p->reg), stage);
		goto fail;
	}
	if (!st.nprev) {
		ml_err_set(&err, ML_ERR_USAGE, "registry %s: stage '%s' has no earlier version to go back to",
			   ml_registry_dir(p->reg), stage);
		goto fail;
	}
	struct ml_stage_entry was = st.now, back = st.prev[st.nprev - 1];
	if (check_objects(p->reg, &back, &err) < 0)
		goto fail;

	ml_buf_adds(&ev, "{\"event\":\"rollback\",\"stage\":");
	ml_json_quote(&ev, stage, strlen(stage));
	ml_buf_printf(&ev, ",\"before\":\"%s\",\"after\":\"%s\",\"reason\":", was.model, back.model);
	if (p->reason)
		ml_json_quote_lossy(&ev, p->reason, strlen(p->reason));
	else
		ml_buf_adds(&ev, "null");
	if (event_end(&ev, p->dry_run, &line, &err) < 0)
		goto fail;
	if (!p->dry_run) {
		/* the new state: the version below the top, the rest of the stack */
		st.now = back;
		st.nprev--;
		if (ml_registry_commit(p->reg, ev.data, ev.len, &st, &err) < 0 ||
		    last_event(p->reg, &line, &err) < 0)
			goto fail;
		st.nprev++;
		ml_registry_unlock(p->reg);
		locked = 0;
	}
	if (p->text) {
		ml_buf_reset(&line);
		ml_buf_printf(&line, "%s: rolled back to %s (was %s)%s\n", stage, short_id(back.model, a),
			      short_id(was.model, b), p->dry_run ? "; dry run, nothing changed" : "");
	}
	ml_out_write_lines(p->out, line.data, line.len);
	status = ML_EXIT_OK;
	goto out;
fail:
	status = trouble(p, &err);
out:
	if (locked)
		ml_registry_unlock(p->reg);
	if (has)
		ml_stage_free(&st);
	ml_buf_free(&ev);
	ml_buf_free(&line);
	return status;
}
