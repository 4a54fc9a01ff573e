/* The metrics a promotion is judged by: the overall line of an ml-eval
 * metrics file (its slices are inside it), and the metrics' directions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "ml_metrics.h"
#include "promote.h"

/* A field's raw value for a message, cut short when long. */
static void quote_value(const struct ml_rec *r, size_t i, char *out, size_t size)
{
	size_t n;
	const char *raw = ml_rec_value_raw(r, i, &n);

	if (n > 40)
		snprintf(out, size, "%.37s...", raw);
	else
		snprintf(out, size, "%.*s", (int)n, raw);
}

static int not_metrics(struct ml_err *err, const char *where, const char *why)
{
	return ml_err_set(err, ML_ERR_DATA, "%s: not an ml-eval metrics file (%s)", where, why);
}

int metrics_from_line(struct metrics *m, const char *where, const char *line, size_t len,
		      struct ml_err *err)
{
	char why[sizeof err->msg], val[48];
	ssize_t i;
	double version;

	ml_buf_reset(&m->line);
	if (ml_buf_add(&m->line, line, len) < 0 || ml_buf_terminate(&m->line) < 0 ||
	    (!m->rec && !(m->rec = ml_rec_new())))
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (!len)
		return not_metrics(err, where, "an empty line");
	if (ml_rec_parse(m->rec, m->line.data, m->line.len, err) < 0) {
		snprintf(why, sizeof why, "%s", err->msg);
		return not_metrics(err, where, why);
	}
	const struct ml_rec *r = m->rec;
	if ((i = ml_rec_find(r, "format", 6)) < 0)
		return not_metrics(err, where, "no \"format\"");
	size_t n;
	const char *raw = ml_rec_value_raw(r, (size_t)i, &n);
	if (n != strlen("\"mlpipe.metrics\"") || memcmp(raw, "\"mlpipe.metrics\"", n)) {
		quote_value(r, (size_t)i, val, sizeof val);
		snprintf(why, sizeof why, "its \"format\" is %s, not \"mlpipe.metrics\"", val);
		return not_metrics(err, where, why);
	}
	if ((i = ml_rec_find(r, "version", 7)) < 0)
		return not_metrics(err, where, "no \"version\"");
	if (ml_rec_number(r, (size_t)i, &version) < 0)
		return not_metrics(err, where, "its \"version\" is not a number");
	if (version > 1) {
		quote_value(r, (size_t)i, val, sizeof val);
		snprintf(why, sizeof why, "version %s is newer than this program reads, 1", val);
		return not_metrics(err, where, why);
	}
	if ((i = ml_rec_find(r, "slice", 5)) < 0)
		return not_metrics(err, where, "no \"slice\"");
	raw = ml_rec_value_raw(r, (size_t)i, &n);
	if (n != strlen("\"overall\"") || memcmp(raw, "\"overall\"", n)) {
		quote_value(r, (size_t)i, val, sizeof val);
		snprintf(why, sizeof why, "its first line is the slice %s, not \"overall\"", val);
		return not_metrics(err, where, why);
	}
	free(m->bundle);
	m->bundle = NULL;
	if ((i = ml_rec_find(r, "bundle", 6)) >= 0 && ml_rec_type(r, (size_t)i) == ML_JSON_STRING) {
		struct ml_buf b = {0};
		if (ml_rec_string(r, (size_t)i, &b) < 0 || ml_buf_terminate(&b) < 0) {
			ml_buf_free(&b);
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		}
		m->bundle = b.data;
	}
	return 0;
}

int metrics_from_object(struct metrics *m, struct ml_registry *reg, const char *id,
			struct ml_err *err)
{
	struct ml_buf obj = {0};
	char where[512];

	snprintf(where, sizeof where, "registry %s: object %s", ml_registry_dir(reg), id);
	int rc = ml_registry_get(reg, id, &obj, err);
	if (rc == 0)
		rc = metrics_from_line(m, where, obj.data ? obj.data : "", obj.len, err);
	ml_buf_free(&obj);
	return rc;
}

int metrics_read(struct metrics *m, const char *path, struct ml_err *err)
{
	struct ml_buf file = {0};
	char where[4200];
	int rc = -1;

	memset(m, 0, sizeof *m);
	if (!(m->path = strdup(path)) || !(m->name = strdup(strcmp(path, "-") ? path : "<stdin>")))
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (read_whole(path, &file, m->sha256, err) < 0)
		goto out;
	m->bytes = file.len;
	snprintf(where, sizeof where, "%s:1", m->name);
	if (!file.len) {
		not_metrics(err, where, "the file is empty");
		goto out;
	}
	const char *nl = memchr(file.data, '\n', file.len);
	size_t len = nl ? (size_t)(nl - file.data) : file.len;
	if (len && file.data[len - 1] == '\r')
		len--;
	rc = metrics_from_line(m, where, file.data, len, err);
out:
	ml_buf_free(&file);
	return rc;
}

void metrics_free(struct metrics *m)
{
	free(m->name);
	free(m->path);
	free(m->bundle);
	ml_buf_free(&m->line);
	ml_rec_free(m->rec);
	memset(m, 0, sizeof *m);
}

int metrics_value(const struct metrics *m, const char *metric, double *x)
{
	ssize_t i = ml_rec_find(m->rec, metric, strlen(metric));

	if (i < 0)
		return -1;
	switch (ml_rec_type(m->rec, (size_t)i)) {
	case ML_JSON_NULL:
		return 0;
	case ML_JSON_NUMBER:
		return ml_rec_number(m->rec, (size_t)i, x) < 0 ? -2 : 1;
	default:
		return -2;
	}
}

int metrics_names(const struct metrics *m, struct ml_buf *out)
{
	struct ml_buf key = {0};
	size_t k = 0;

	for (size_t i = 0; i < ml_rec_count(m->rec); i++) {
		ml_buf_reset(&key);
		if (ml_rec_key(m->rec, i, &key) < 0 || ml_buf_terminate(&key) < 0) {
			ml_buf_free(&key);
			return -1;
		}
		if (ml_metric_direction(key.data))
			ml_buf_printf(out, "%s%s", k++ ? ", " : "", key.data);
	}
	ml_buf_free(&key);
	if (!k)
		ml_buf_adds(out, "none");
	return ml_buf_terminate(out);
}

int metrics_check_gates(const struct metrics *m, const struct gates *g, struct ml_err *err)
{
	double x;

	for (size_t i = 0; i < g->n; i++) {
		const struct gate *gt = &g->v[i];
		if (!gt->metric)
			continue;
		int got = metrics_value(m, gt->metric, &x);
		if (got == -1) {
			struct ml_buf have = {0};
			metrics_names(m, &have);
			ml_err_set(err, ML_ERR_DATA, "%s: no metric '%s' in the metrics (have: %s)", m->name,
				   gt->metric, have.data ? have.data : "");
			ml_buf_free(&have);
			return -1;
		}
		if (got == -2)
			return ml_err_set(err, ML_ERR_DATA, "%s: metric '%s' is not a number", m->name,
					  gt->metric);
	}
	return 0;
}
