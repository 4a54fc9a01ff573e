/* The metrics ml-eval writes, and which way each is better: the one list
 * that ml-eval's output order and ml-promote's gates both read. */
#include <pthread.h>
#include <string.h>

#include "ml_metrics.h"

enum { BIN = 1, MULTI = 2, REGR = 4 };

/* In output order: filtered by a task, each task's order is ml-eval's. */
static const struct metric {
	const char *name;
	signed char direction;
	unsigned char tasks;
} metrics[] = {
	{"accuracy", 1, BIN | MULTI},
	{"precision", 1, BIN},
	{"recall", 1, BIN},
	{"f1", 1, BIN},
	{"auc", 1, BIN},
	{"average_precision", 1, BIN},
	{"macro_precision", 1, MULTI},
	{"macro_recall", 1, MULTI},
	{"macro_f1", 1, MULTI},
	{"micro_precision", 1, MULTI},
	{"micro_recall", 1, MULTI},
	{"micro_f1", 1, MULTI},
	{"weighted_precision", 1, MULTI},
	{"weighted_recall", 1, MULTI},
	{"weighted_f1", 1, MULTI},
	{"log_loss", -1, BIN | MULTI},
	{"brier", -1, BIN},
	{"mcc", 1, BIN | MULTI},
	{"ece", -1, BIN},
	{"positive_rate", 0, BIN},
	{"mae", -1, REGR},
	{"mse", -1, REGR},
	{"rmse", -1, REGR},
	{"r2", 1, REGR},
	{"mape", -1, REGR},
	{"medae", -1, REGR},
	{"explained_variance", 1, REGR},
};
#define NMETRICS (sizeof metrics / sizeof *metrics)

static unsigned task_bit(enum ml_task t)
{
	return t == ML_TASK_BINARY ? BIN : t == ML_TASK_MULTICLASS ? MULTI : REGR;
}

/* Each task's names as an array, filled from the table once (callers
 * index them; the table stays the only list).  pthread_once: ml-eval's
 * bootstrap threads ask too. */
static const char *task_names[3][NMETRICS];
static size_t task_count[3];
static pthread_once_t filled = PTHREAD_ONCE_INIT;

static void fill_task_names(void)
{
	static const enum ml_task tasks[3] = {ML_TASK_BINARY, ML_TASK_MULTICLASS, ML_TASK_REGRESSION};

	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < NMETRICS; i++)
			if (metrics[i].tasks & task_bit(tasks[k]))
				task_names[k][task_count[k]++] = metrics[i].name;
}

size_t ml_metrics_names(enum ml_task t, const char *const **names)
{
	size_t k = t == ML_TASK_BINARY ? 0 : t == ML_TASK_MULTICLASS ? 1 : 2;

	pthread_once(&filled, fill_task_names);
	*names = task_names[k];
	return task_count[k];
}

int ml_metric_direction(const char *name)
{
	for (size_t i = 0; i < NMETRICS; i++)
		if (!strcmp(name, metrics[i].name))
			return metrics[i].direction;
	return 0;
}

void ml_metric_known_names(struct ml_buf *out)
{
	static const int directions[] = {1, -1};
	static const char *const titles[] = {"higher is better: ", "; lower is better: "};

	for (size_t d = 0; d < 2; d++) {
		size_t listed = 0;
		ml_buf_adds(out, titles[d]);
		for (size_t i = 0; i < NMETRICS; i++)
			if (metrics[i].direction == directions[d])
				ml_buf_printf(out, "%s%s", listed++ ? ", " : "", metrics[i].name);
	}
	ml_buf_terminate(out);
}
