/* Output for people: short ids, aligned columns, a verdict with its gates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "promote.h"

const char *short_id(const char *id, char buf[ML_SHA256_ID_SIZE])
{
	if (!id || !id[0])
		return "empty";
	snprintf(buf, ML_SHA256_ID_SIZE, "%.*s", looks_like_id(id) ? 7 + SHORT_HEX : ML_SHA256_ID_SIZE - 1, id);
	return buf;
}

void short_time(const char *iso, char out[32])
{
	const char *dot = strchr(iso, '.');

	/* seconds are enough to read; the history keeps the milliseconds */
	if (dot && dot[strcspn(dot, "Z")] == 'Z')
		snprintf(out, 32, "%.*sZ", (int)(dot - iso), iso);
	else
		snprintf(out, 32, "%s", iso);
}

int table_row(struct table *t, const char *const *cells)
{
	char **v = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof *v);

	if (!v)
		return -1;
	t->cells = v;
	for (size_t c = 0; c < t->ncols; c++)
		if (!(v[t->nrows * t->ncols + c] = strdup(cells[c] ? cells[c] : "-")))
			return -1;
	t->nrows++;
	return 0;
}

/* Display width: characters, not bytes (names and reasons may be UTF-8). */
static size_t width(const char *s)
{
	size_t n = strlen(s);

	return ml_utf8_chars(s, ml_utf8_valid_prefix(s, n)) + (n - ml_utf8_valid_prefix(s, n));
}

int table_write(const struct table *t, struct ml_buf *out)
{
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof *w);

	if (!w)
		return -1;
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t n = width(t->cells[r * t->ncols + c]);
			w[c] = n > w[c] ? n : w[c];
		}
	for (size_t r = 0; r < t->nrows; r++) {
		size_t start = out->len;
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			ml_buf_adds(out, s);
			if (c + 1 < t->ncols)
				ml_buf_printf(out, "%*s", (int)(w[c] - width(s) + 2), "");
		}
		/* an empty last column leaves no trailing blanks */
		while (out->len > start && out->data[out->len - 1] == ' ')
			out->len--;
		ml_buf_addc(out, '\n');
	}
	free(w);
	return 0;
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

int text_decision(struct ml_buf *out, const char *verdict_line, const struct gate_result *res,
		  size_t n)
{
	size_t w = 24;

	ml_buf_printf(out, "%s\n", verdict_line);
	for (size_t i = 0; i < n; i++) {
		size_t k = width(res[i].gate->text);
		w = k > w ? k : w;
	}
	for (size_t i = 0; i < n; i++) {
		const char *text = res[i].gate->text;
		ml_buf_printf(out, "  %-4s  %s%*s %s\n", res[i].pass ? "pass" : "FAIL", text,
			      (int)(w - width(text)), "", res[i].detail.data ? res[i].detail.data : "");
	}
	return 0;
}
