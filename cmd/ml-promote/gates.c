/* Gates: what a candidate must satisfy before a stage points at it.  jq
 * conditions on {candidate, current}, and the common cases without jq:
 * a bound on a metric, or no worse than the current model's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "ml_metrics.h"
#include "promote.h"

static struct gate *push(struct gates *g, enum gate_kind kind, const char *option, const char *arg)
{
	struct gate *v = realloc(g->v, (g->n + 1) * sizeof *v);
	struct ml_buf text = {0};

	if (!v)
		ml_usage_error("out of memory");
	g->v = v;
	struct gate *gt = &v[g->n++];
	memset(gt, 0, sizeof *gt);
	gt->kind = kind;
	if (option)
		ml_buf_printf(&text, "%s %s", option, arg);
	else
		ml_buf_adds(&text, arg);
	if (ml_buf_terminate(&text) < 0)
		ml_usage_error("out of memory");
	gt->text = text.data;
	return gt;
}

void gates_add_jq(struct gates *g, const char *expr)
{
	struct ml_err err;
	struct ml_jq *q = ml_jq_compile(expr, &err);

	if (!q)
		ml_usage_error("--gate '%s': %s", expr, err.msg);
	push(g, GATE_JQ, NULL, expr)->jq = q;
}

/* The metric an option names, which must have a direction. */
static char *metric_of(const char *option, const char *arg, size_t len, int *dir)
{
	char *name = strndup(arg, len);

	if (!name)
		ml_usage_error("out of memory");
	if (!(*dir = ml_metric_direction(name))) {
		struct ml_buf known = {0};
		ml_metric_known_names(&known);
		ml_usage_error("%s: '%s' is not a metric with a direction (%s)", option, name,
			       known.data ? known.data : "");
	}
	return name;
}

void gates_add_bound(struct gates *g, enum gate_kind kind, const char *arg)
{
	const char *option = kind == GATE_MIN ? "--min" : "--max";
	const char *eq = strchr(arg, '=');
	int dir;

	if (!eq || eq == arg || !eq[1])
		ml_usage_error("%s: '%s' is not METRIC=VALUE", option, arg);
	char *metric = metric_of(option, arg, (size_t)(eq - arg), &dir);
	double value = ml_cli_parse_number(option, eq + 1);
	struct gate *gt = push(g, kind, option, arg);
	gt->metric = metric;
	gt->higher_better = dir > 0;
	gt->value = value;
}

void gates_add_no_worse(struct gates *g, const char *arg)
{
	const char *colon = strchr(arg, ':');
	size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
	double tol = 0;
	int relative = 0, dir;

	if (!len)
		ml_usage_error("--no-worse: '%s' is not METRIC[:TOLERANCE]", arg);
	char *metric = metric_of("--no-worse", arg, len, &dir);
	if (colon) {
		char *num = strdup(colon + 1);
		size_t n = num ? strlen(num) : 0;
		if (!num)
			ml_usage_error("out of memory");
		if (n && num[n - 1] == '%') {
			relative = 1;
			num[n - 1] = '\0';
		}
		if (ml_decimal(num, &tol) < 0 || tol < 0 || (num[0] != '.' && (num[0] < '0' || num[0] > '9')))
			ml_usage_error("--no-worse: '%s' is not a tolerance of zero or more (an amount such "
				       "as 0.01, or a percentage such as 1%%)", colon + 1);
		free(num);
	}
	struct gate *gt = push(g, GATE_NO_WORSE, "--no-worse", arg);
	gt->metric = metric;
	gt->higher_better = dir > 0;
	gt->value = tol;
	gt->relative = relative;
}

void gates_finish(struct gates *g)
{
	struct gate *v = malloc((g->n + 1) * sizeof *v);
	size_t k = 0;

	if (!v)
		ml_usage_error("out of memory");
	if (g->require_current) {
		memset(&v[k], 0, sizeof v[k]);
		v[k].kind = GATE_REQUIRE_CURRENT;
		if (!(v[k++].text = strdup("--require-current")))
			ml_usage_error("out of memory");
	}
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].kind != GATE_JQ)
			v[k++] = g->v[i];
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].kind == GATE_JQ)
			v[k++] = g->v[i];
	free(g->v);
	g->v = v;
	g->n = k;
}

void gates_free(struct gates *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->v[i].text);
		free(g->v[i].metric);
		ml_jq_free(g->v[i].jq);
	}
	free(g->v);
	g->v = NULL;
	g->n = 0;
}

int gates_texts_json(const struct gates *g, struct ml_buf *out)
{
	ml_buf_addc(out, '[');
	for (size_t i = 0; i < g->n; i++) {
		if (i)
			ml_buf_addc(out, ',');
		ml_json_quote(out, g->v[i].text, strlen(g->v[i].text));
	}
	ml_buf_addc(out, ']');
	return ml_buf_terminate(out);
}

static const char *kind_name(enum gate_kind k)
{
	switch (k) {
	case GATE_REQUIRE_CURRENT: return "require-current";
	case GATE_MIN: return "min";
	case GATE_MAX: return "max";
	case GATE_NO_WORSE: return "no-worse";
	case GATE_JQ: return "jq";
	}
	return "?";
}

const char *gate_kind_name(const struct gate *gt)
{
	return kind_name(gt->kind);
}

/* "A OP B is true" into detail. */
static void comparison(struct ml_buf *d, double a, const char *op, double b, const char *tol_op,
		       double tol, int holds)
{
	ml_json_put_double(d, a);
	ml_buf_printf(d, " %s ", op);
	ml_json_put_double(d, b);
	if (tol_op) {
		ml_buf_printf(d, " %s ", tol_op);
		ml_json_put_double(d, tol);
	}
	ml_buf_adds(d, holds ? " is true" : " is false");
}

static int bound(const struct gate *gt, const struct metrics *cand, struct gate_result *res)
{
	double x;
	int got = metrics_value(cand, gt->metric, &x);

	if (got != 1) {
		ml_buf_printf(&res->detail, got == 0 ? "candidate %s is null" : "candidate has no number %s",
			      gt->metric);
		return 0;
	}
	int holds = gt->kind == GATE_MIN ? x >= gt->value : x <= gt->value;
	comparison(&res->detail, x, gt->kind == GATE_MIN ? ">=" : "<=", gt->value, NULL, 0, holds);
	return holds;
}

static int no_worse(const struct gate *gt, const struct metrics *cand, const struct metrics *cur,
		    const char *current_model, struct gate_result *res)
{
	struct ml_buf *d = &res->detail;
	char sid[ML_SHA256_ID_SIZE];
	double c, was;
	int got;

	/* an empty stage is the policy of --require-current, not of this gate */
	if (!current_model) {
		ml_buf_adds(d, "no current model; not compared");
		return 1;
	}
	if (!cur) {
		ml_buf_printf(d, "no metrics for the current model %s; not compared",
			      short_id(current_model, sid));
		return 0;
	}
	if ((got = metrics_value(cand, gt->metric, &c)) != 1) {
		ml_buf_printf(d, got == 0 ? "candidate %s is null" : "candidate has no number %s", gt->metric);
		return 0;
	}
	if ((got = metrics_value(cur, gt->metric, &was)) != 1) {
		ml_buf_printf(d, got == 0 ? "current %s is null" : "current has no number %s", gt->metric);
		return 0;
	}
	double tol = gt->relative ? gt->value * fabs(was) / 100 : gt->value;
	int holds;
	if (gt->higher_better)
		holds = c >= was - tol;
	else
		holds = c <= was + tol;
	comparison(d, c, gt->higher_better ? ">=" : "<=", was,
		   tol == 0 ? NULL : gt->higher_better ? "-" : "+", tol, holds);
	return holds;
}

int gates_eval(const struct gates *g, const struct metrics *cand, const struct metrics *cur,
	       const char *current_model, const char *stage, struct gate_result *res,
	       struct ml_err *err)
{
	struct ml_buf input = {0}, why = {0};
	struct ml_rec *rec = NULL;
	char sid[ML_SHA256_ID_SIZE];
	int rc = -1;

	for (size_t i = 0; i < g->n; i++) {
		memset(&res[i], 0, sizeof res[i]);
		res[i].gate = &g->v[i];
	}
	/* what jq gates see: {"candidate":<line>,"current":<line>|null} */
	ml_buf_adds(&input, "{\"candidate\":");
	ml_buf_add(&input, cand->line.data, cand->line.len);
	ml_buf_adds(&input, ",\"current\":");
	if (cur)
		ml_buf_add(&input, cur->line.data, cur->line.len);
	else
		ml_buf_adds(&input, "null");
	if (ml_buf_adds(&input, "}") < 0 || ml_buf_terminate(&input) < 0 || !(rec = ml_rec_new())) {
		ml_err_set(err, ML_ERR_IO, "out of memory");
		goto out;
	}
	if (ml_rec_parse(rec, input.data, input.len, err) < 0)
		goto out;
	for (size_t i = 0; i < g->n; i++) {
		const struct gate *gt = &g->v[i];
		struct gate_result *r = &res[i];
		switch (gt->kind) {
		case GATE_REQUIRE_CURRENT:
			r->pass = current_model != NULL;
			if (r->pass)
				ml_buf_printf(&r->detail, "%s holds %s", stage, short_id(current_model, sid));
			else
				ml_buf_printf(&r->detail, "%s holds no model", stage);
			break;
		case GATE_MIN:
		case GATE_MAX:
			r->pass = bound(gt, cand, r);
			break;
		case GATE_NO_WORSE:
			r->pass = no_worse(gt, cand, cur, current_model, r);
			break;
		case GATE_JQ: {
			int holds = ml_jq_test(gt->jq, rec, input.data, input.len, &why, err);
			if (holds < 0)
				goto out;
			r->pass = holds;
			if (holds && ml_jq_value(gt->jq, rec, input.data, input.len, &r->detail, &why, err) < 0)
				goto out;
			if (!r->detail.len)
				ml_buf_add(&r->detail, why.data, why.len);
			break;
		}
		}
		if (ml_buf_terminate(&r->detail) < 0) {
			ml_err_set(err, ML_ERR_IO, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	ml_rec_free(rec);
	ml_buf_free(&input);
	ml_buf_free(&why);
	return rc;
}

void gate_results_free(struct gate_result *res, size_t n)
{
	if (!res)
		return;
	for (size_t i = 0; i < n; i++)
		ml_buf_free(&res[i].detail);
	free(res);
}
