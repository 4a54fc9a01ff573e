/* The metrics of a set of rows, by scikit-learn's definitions (ml_metrics.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "ml_json.h"
#include "ml_metrics.h"

/* The rows' labels and scores gathered into arrays (and weights, when w). */
struct gathered {
	double *y, *p, *w;
	int *cls;
	size_t n;
};

static void gathered_free(struct gathered *g)
{
	free(g->y);
	free(g->p);
	free(g->w);
	free(g->cls);
}

static int gather(const struct eval *e, const struct rows *rows, const double *w, struct gathered *g,
		  struct ml_err *err)
{
	size_t n = rows->n, k = e->task == ML_TASK_MULTICLASS ? eval_nclass(e) : 1;

	memset(g, 0, sizeof *g);
	g->n = n;
	g->y = malloc((n ? n : 1) * sizeof *g->y);
	g->p = malloc((n ? n : 1) * k * sizeof *g->p);
	g->w = w ? malloc((n ? n : 1) * sizeof *g->w) : NULL;
	g->cls = e->task == ML_TASK_MULTICLASS ? malloc((n ? n : 1) * sizeof *g->cls) : NULL;
	if (!g->y || !g->p || (w && !g->w) || (e->task == ML_TASK_MULTICLASS && !g->cls)) {
		gathered_free(g);
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	for (size_t j = 0; j < n; j++) {
		size_t i = rows->idx ? rows->idx[j] : j;
		g->y[j] = e->y[i];
		if (w)
			g->w[j] = w[i];
		if (e->task == ML_TASK_MULTICLASS) {
			g->cls[j] = (int)e->y[i];
			if (e->have_prob)
				memcpy(g->p + j * k, e->probs + i * k, k * sizeof *g->p);
			else
				for (size_t c = 0; c < k; c++)
					g->p[j * k + c] = c == e->pred_class[i];
		} else if (e->task == ML_TASK_BINARY) {
			g->p[j] = e->have_prob ? e->score[i] : e->pred_class[i];
		} else {
			g->p[j] = e->score[i];
		}
	}
	return 0;
}

int metrics_values(const struct eval *e, const struct rows *rows, const double *w, int parallel,
		   double *v, struct ml_err *err)
{
	struct gathered g;
	int rc = 0;

	if (gather(e, rows, w, &g, err) < 0)
		return -1;
	if (e->task == ML_TASK_BINARY) {
		struct ml_binary_metrics m;
		double thr = e->have_prob ? e->threshold : 0.5;
		if ((rc = (parallel ? ml_metrics_binary_parallel : ml_metrics_binary)(
			     g.y, g.p, g.w, g.n, thr, e->bins ? e->bins : 10, &m, err)) == 0) {
			double vals[] = {m.accuracy, m.precision, m.recall, m.f1, m.roc_auc, m.average_precision,
					 m.log_loss, m.brier, m.mcc, m.ece, (m.tp + m.fp) / m.weight};
			memcpy(v, vals, sizeof vals);
			if (!e->have_prob)
				for (size_t i = 4; i <= 9; i++)
					if (i != 8)
						v[i] = NAN;
		}
	} else if (e->task == ML_TASK_MULTICLASS) {
		struct ml_multiclass_metrics m;
		if ((rc = ml_metrics_multiclass(g.cls, g.p, g.w, g.n, eval_nclass(e), &m, NULL, NULL, err)) == 0) {
			double vals[] = {m.accuracy, m.precision_macro, m.recall_macro, m.f1_macro,
					 m.precision_micro, m.recall_micro, m.f1_micro, m.precision_weighted,
					 m.recall_weighted, m.f1_weighted, e->have_prob ? m.log_loss : NAN, m.mcc};
			memcpy(v, vals, sizeof vals);
		}
	} else {
		struct ml_regression_metrics m;
		if ((rc = ml_metrics_regression(g.y, g.p, g.w, g.n, &m, err)) == 0) {
			double vals[] = {m.mae, m.mse, m.rmse, m.r2, m.mape, m.medae, m.explained_variance};
			memcpy(v, vals, sizeof vals);
		}
	}
	gathered_free(&g);
	return rc;
}

static void put(struct ml_buf *b, const char *key, double x)
{
	ml_buf_printf(b, ",\"%s\":", key);
	ml_json_put_double(b, x);
}

int metrics_json(const struct eval *e, const struct rows *rows, const double *w,
		 struct ml_buf *out, double *vals, struct ml_err *err)
{
	const char *const *names;
	size_t nm = ml_metrics_names(e->task, &names);
	double own[16], *v = vals ? vals : own;

	if (metrics_values(e, rows, w, 1, v, err) < 0)
		return -1;
	for (size_t i = 0; i < nm; i++)
		put(out, names[i], v[i]);
	if (e->task == ML_TASK_REGRESSION)
		return 0;
	/* the confusion matrix: rows are the true classes */
	struct gathered g;
	size_t k = e->task == ML_TASK_MULTICLASS ? eval_nclass(e) : 2;
	double *conf = calloc(k * k, sizeof *conf);
	if (!conf || gather(e, rows, w, &g, err) < 0) {
		free(conf);
		return conf ? -1 : ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	if (e->task == ML_TASK_BINARY) {
		double thr = e->have_prob ? e->threshold : 0.5;
		for (size_t j = 0; j < g.n; j++)
			conf[(size_t)g.y[j] * 2 + (g.p[j] >= thr)] += g.w ? g.w[j] : 1;
		ml_buf_adds(out, ",\"confusion\":{\"tn\":");
		ml_json_put_double(out, conf[0]);
		ml_buf_adds(out, ",\"fp\":");
		ml_json_put_double(out, conf[1]);
		ml_buf_adds(out, ",\"fn\":");
		ml_json_put_double(out, conf[2]);
		ml_buf_adds(out, ",\"tp\":");
		ml_json_put_double(out, conf[3]);
		ml_buf_addc(out, '}');
	} else {
		struct ml_multiclass_metrics m;
		if (ml_metrics_multiclass(g.cls, g.p, g.w, g.n, k, &m, NULL, conf, err) < 0) {
			free(conf);
			gathered_free(&g);
			return -1;
		}
		ml_buf_adds(out, ",\"confusion\":[");
		for (size_t a = 0; a < k; a++) {
			ml_buf_adds(out, a ? ",[" : "[");
			for (size_t b = 0; b < k; b++) {
				if (b)
					ml_buf_addc(out, ',');
				ml_json_put_double(out, conf[a * k + b]);
			}
			ml_buf_addc(out, ']');
		}
		ml_buf_addc(out, ']');
	}
	free(conf);
	gathered_free(&g);
	return 0;
}

static void put_array(struct ml_buf *b, const char *key, const double *x, size_t n)
{
	ml_buf_printf(b, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			ml_buf_addc(b, ',');
		/* an infinite threshold (nothing predicted positive) is null */
		ml_json_put_double(b, x[i]);
	}
	ml_buf_addc(b, ']');
}

/* Each curve line names its format, so that a reader (ml-report) can
 * tell a curves file from a metrics file. */
#define CURVES_HEAD "\"format\":\"mlpipe.curves\",\"version\":1"

int curves_json(const struct eval *e, const struct rows *rows, const char *slice, size_t bins,
		struct ml_buf *out, struct ml_err *err)
{
	struct gathered g;
	struct ml_curve c;
	int rc = 0;

	if (e->task != ML_TASK_BINARY || !e->have_prob)
		return 0;
	if (gather(e, rows, NULL, &g, err) < 0)
		return -1;
	for (int kind = 0; kind < 2 && rc == 0; kind++) {
		rc = kind ? ml_metrics_pr_curve(g.y, g.p, NULL, g.n, &c, err)
			  : ml_metrics_roc_curve(g.y, g.p, NULL, g.n, 1, &c, err);
		if (rc < 0)
			break;
		ml_buf_adds(out, "{" CURVES_HEAD ",\"slice\":");
		ml_json_quote(out, slice, strlen(slice));
		ml_buf_printf(out, ",\"curve\":\"%s\"", kind ? "precision_recall" : "roc");
		put_array(out, kind ? "recall" : "fpr", c.x, c.n);
		put_array(out, kind ? "precision" : "tpr", c.y, c.n);
		put_array(out, "thresholds", c.thr, c.n);
		ml_buf_adds(out, "}\n");
		ml_metrics_curve_free(&c);
	}
	struct ml_calib_bin *cb = rc == 0 ? calloc(bins, sizeof *cb) : NULL;
	if (rc == 0 && !cb)
		rc = ml_err_set(err, ML_ERR_IO, "out of memory");
	if (rc == 0 && (rc = ml_metrics_calibration(g.y, g.p, NULL, g.n, bins, cb, err)) == 0) {
		ml_buf_adds(out, "{" CURVES_HEAD ",\"slice\":");
		ml_json_quote(out, slice, strlen(slice));
		ml_buf_adds(out, ",\"curve\":\"calibration\",\"bins\":[");
		for (size_t i = 0; i < bins; i++) {
			ml_buf_adds(out, i ? ",{\"lo\":" : "{\"lo\":");
			ml_json_put_double(out, cb[i].lo);
			ml_buf_adds(out, ",\"hi\":");
			ml_json_put_double(out, cb[i].hi);
			ml_buf_printf(out, ",\"count\":%zu,\"mean_probability\":", cb[i].count);
			ml_json_put_double(out, cb[i].mean_p);
			ml_buf_adds(out, ",\"fraction_positive\":");
			ml_json_put_double(out, cb[i].frac_pos);
			ml_buf_addc(out, '}');
		}
		ml_buf_adds(out, "]}\n");
	}
	free(cb);
	gathered_free(&g);
	return rc;
}
