/* The metrics ml-train reports (training, cross-validation, the grid): a
 * few per task, by scikit-learn's definitions (ml_metrics.h). */
#include <math.h>
#include <stdlib.h>

#include "ml_json.h"
#include "ml_metrics.h"
#include "train.h"

const char *score_main_name(enum ml_task t)
{
	return t == ML_TASK_BINARY ? "roc_auc" : t == ML_TASK_MULTICLASS ? "accuracy" : "r2";
}

static void put(struct ml_buf *b, const char *key, double x, int *first)
{
	ml_buf_printf(b, "%s\"%s\":", *first ? "" : ",", key);
	ml_json_put_double(b, x);
	*first = 0;
}

int score(enum ml_task t, size_t nclass, const double *y, const double *pred, const double *w,
	  size_t n, struct ml_buf *json, double *main_metric, struct ml_err *err)
{
	int first = 1;

	ml_buf_addc(json, '{');
	if (t == ML_TASK_BINARY) {
		struct ml_binary_metrics m;
		if (ml_metrics_binary_parallel(y, pred, w, n, 0.5, 10, &m, err) < 0)
			return -1;
		put(json, "roc_auc", m.roc_auc, &first);
		put(json, "accuracy", m.accuracy, &first);
		put(json, "log_loss", m.log_loss, &first);
		put(json, "f1", m.f1, &first);
		put(json, "brier", m.brier, &first);
		*main_metric = m.roc_auc;
	} else if (t == ML_TASK_MULTICLASS) {
		struct ml_multiclass_metrics m;
		int *cls = malloc((n ? n : 1) * sizeof *cls);
		if (!cls)
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		for (size_t i = 0; i < n; i++)
			cls[i] = (int)y[i];
		int rc = ml_metrics_multiclass(cls, pred, w, n, nclass, &m, NULL, NULL, err);
		free(cls);
		if (rc < 0)
			return -1;
		put(json, "accuracy", m.accuracy, &first);
		put(json, "log_loss", m.log_loss, &first);
		put(json, "f1_macro", m.f1_macro, &first);
		*main_metric = m.accuracy;
	} else {
		struct ml_regression_metrics m;
		if (ml_metrics_regression(y, pred, w, n, &m, err) < 0)
			return -1;
		put(json, "r2", m.r2, &first);
		put(json, "rmse", m.rmse, &first);
		put(json, "mae", m.mae, &first);
		*main_metric = m.r2;
	}
	ml_buf_printf(json, ",\"records\":%zu}", n);
	return ml_buf_terminate(json) < 0 ? ml_err_set(err, ML_ERR_IO, "out of memory") : 0;
}
