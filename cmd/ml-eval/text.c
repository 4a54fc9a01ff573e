/* ml-eval -f text: a table of the main metrics, a line per slice. */
#include <jv.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "eval.h"

int text_table(const struct ml_buf *lines, enum ml_task task, struct ml_buf *out);

int text_table(const struct ml_buf *lines, enum ml_task task, struct ml_buf *out)
{
	static const char *const binary[] = {"accuracy", "precision", "recall", "f1", "auc", "log_loss", NULL};
	static const char *const multi[] = {"accuracy", "macro_f1", "weighted_f1", "log_loss", NULL};
	static const char *const regr[] = {"mae", "rmse", "r2", "mape", NULL};
	const char *const *cols = task == ML_TASK_BINARY ? binary : task == ML_TASK_MULTICLASS ? multi : regr;
	const char *p = lines->data, *end = p + lines->len;

	ml_buf_printf(out, "%-24s %9s", "slice", "records");
	for (size_t c = 0; cols[c]; c++)
		ml_buf_printf(out, " %10s", cols[c]);
	ml_buf_addc(out, '\n');
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		jv v = jv_parse_sized(p, (int)n);
		if (jv_get_kind(v) == JV_KIND_OBJECT) {
			jv slice = jv_object_get(jv_copy(v), jv_string("slice"));
			jv records = jv_object_get(jv_copy(v), jv_string("records"));
			ml_buf_printf(out, "%-24.24s %9.0f", jv_get_kind(slice) == JV_KIND_STRING ? jv_string_value(slice) : "?",
				      jv_get_kind(records) == JV_KIND_NUMBER ? jv_number_value(records) : 0.0);
			for (size_t c = 0; cols[c]; c++) {
				jv m = jv_object_get(jv_copy(v), jv_string(cols[c]));
				if (jv_get_kind(m) == JV_KIND_NUMBER)
					ml_buf_printf(out, " %10.4f", jv_number_value(m));
				else
					ml_buf_printf(out, " %10s", "-");
				jv_free(m);
			}
			ml_buf_addc(out, '\n');
			jv_free(slice);
			jv_free(records);
		}
		jv_free(v);
		p += n + 1;
	}
	return 0;
}
