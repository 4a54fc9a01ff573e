/* The data profile section: a profile's summary, a table of its columns,
 * and a chart per column (histogram, top values, true/false). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define TOP_SHOWN 12	/* top values drawn per string column */

static const char *const type_names[] = {"number", "string", "boolean", "null", "array", "object"};

/* "number 3859, null 106": the types a column's values had. */
static void types_seen(struct page *p, jv col)
{
	jv types = j_get(col, "types");
	int any = 0;

	for (size_t t = 0; t < sizeof type_names / sizeof *type_names; t++) {
		double n = j_numk(types, type_names[t], 0);
		if (n <= 0)
			continue;
		p_printf(p, "%s%s ", any++ ? ", " : "", type_names[t]);
		p_num(p, n);
	}
	if (!any)
		p_puts(p, "none");
}

static double missing_share(jv col)
{
	double records = j_numk(col, "records", NAN), missing = j_numk(col, "missing", NAN);
	return records > 0 ? missing / records : NAN;
}

static void pct(struct page *p, double share)
{
	if (isnan(share))
		p_puts(p, "–");
	else if (share > 0 && share < 0.001)
		p_puts(p, "&lt;0.1%");
	else
		p_printf(p, "%.1f%%", share * 100);
}

void profile_table(struct report *r, struct page *p, jv lines)
{
	p_puts(p, "<div class=\"wide\"><table><thead><tr><th scope=\"col\">column</th><th scope=\"col\">types seen"
		  "</th><th scope=\"col\" class=\"n\">missing</th><th scope=\"col\" class=\"n\">mean</th>"
		  "<th scope=\"col\" class=\"n\">std</th><th scope=\"col\" class=\"n\">min</th>"
		  "<th scope=\"col\" class=\"n\">max</th><th scope=\"col\">distinct / top value</th></tr></thead>"
		  "<tbody>\n");
	for (int i = 0; i < j_len(lines); i++) {
		jv col = j_at(lines, i), num = j_get(col, "number"), str = j_get(col, "string");
		const char *name = j_strk(col, "column");
		if (!name || !report_wants_column(r, name))
			continue;
		p_puts(p, "<tr><th scope=\"row\">");
		p_esc(p, name);
		p_puts(p, "</th><td>");
		types_seen(p, col);
		p_puts(p, "</td><td class=\"n\">");
		pct(p, missing_share(col));
		static const char *const stats[] = {"mean", "std", "min", "max"};
		for (int s = 0; s < 4; s++) {
			p_puts(p, "</td><td class=\"n\">");
			p_num(p, j_numk(num, stats[s], NAN));
		}
		p_puts(p, "</td><td>");
		if (j_kind(str) == JV_KIND_OBJECT) {
			jv top = j_at(j_get(str, "top"), 0);
			p_num(p, j_numk(str, "distinct", NAN));
			p_puts(p, j_kind(j_get(str, "distinct_exact")) == JV_KIND_TRUE ? "" : " (about)");
			if (j_strk(top, "value")) {
				p_puts(p, "; top <q>");
				p_esc(p, j_strk(top, "value"));
				p_puts(p, "</q> ");
				p_num(p, j_numk(top, "count", NAN));
			}
		} else if (j_kind(j_get(col, "boolean")) == JV_KIND_OBJECT) {
			p_puts(p, "true ");
			p_num(p, j_numk(j_get(col, "boolean"), "true", 0));
			p_puts(p, ", false ");
			p_num(p, j_numk(j_get(col, "boolean"), "false", 0));
		}
		p_puts(p, "</td></tr>\n");
	}
	p_puts(p, "</tbody></table></div>\n");
}

static void histogram(struct report *r, struct page *p, const char *name, jv col, jv num)
{
	jv hist = j_get(num, "histogram"), je = j_get(hist, "edges"), jc = j_get(hist, "counts"), q = j_get(num, "quantiles");
	int nb = j_len(jc);
	struct ml_buf t = {0}, d = {0};
	char a[40], b[40];

	if (nb < 1 || j_len(je) != nb + 1) {
		p_puts(p, "<p class=\"muted\">no histogram in the profile</p>\n");
		return;
	}
	double *edges = malloc(((size_t)nb + 1) * sizeof *edges), *counts = malloc((size_t)nb * sizeof *counts);
	if (!edges || !counts) {
		p->oom = 1;
		free(edges);
		free(counts);
		return;
	}
	double total = 0;
	int top = 0;
	for (int i = 0; i <= nb; i++)
		edges[i] = j_num(j_at(je, i), NAN);
	for (int i = 0; i < nb; i++) {
		counts[i] = j_num(j_at(jc, i), 0);
		total += counts[i];
		if (counts[i] > counts[top])
			top = i;
	}
	static const char *const qk[3] = {"p5", "p50", "p95"};
	double qv[3];
	for (int k = 0; k < 3; k++)
		qv[k] = j_numk(q, qk[k], NAN);
	ml_buf_printf(&t, "%s: histogram of %s values", name, fmt_num(total, a));
	ml_buf_terminate(&t);
	ml_buf_printf(&d, "%d bins from %s", nb, fmt_num(edges[0], a));
	ml_buf_printf(&d, " to %s; the fullest bin, ", fmt_num(edges[nb], a));
	ml_buf_printf(&d, "%s to ", fmt_num(edges[top], a));
	ml_buf_printf(&d, "%s, holds %s values.", fmt_num(edges[top + 1], a), fmt_num(counts[top], b));
	ml_buf_printf(&d, " Quantiles: p5 %s,", fmt_num(qv[0], a));
	ml_buf_printf(&d, " p50 %s,", fmt_num(qv[1], a));
	ml_buf_printf(&d, " p95 %s.", fmt_num(qv[2], a));
	ml_buf_printf(&d, " Missing: %.1f%%.", isnan(missing_share(col)) ? 0 : missing_share(col) * 100);
	ml_buf_terminate(&d);
	struct ml_buf xl = {0};
	ml_buf_printf(&xl, "%s (value)", name);
	ml_buf_terminate(&xl);
	char ql[3][48], tick[32];
	const char *qlp[3];
	for (int k = 0; k < 3; k++) {
		snprintf(ql[k], sizeof ql[k], "%s %s", qk[k], svg_tick_label(qv[k], tick));
		qlp[k] = ql[k];
	}
	chart_histogram(r, p, t.data, d.data, edges, counts, nb, qv, qlp, 3, xl.data);
	if (nb <= 50) {
		static const char *const heads[] = {"from", "to", "records"};
		html_data_open(p, "data", heads, 3);
		for (int i = 0; i < nb; i++) {
			p_puts(p, "<tr><td class=\"n\">");
			p_num(p, edges[i]);
			p_puts(p, "</td><td class=\"n\">");
			p_num(p, edges[i + 1]);
			p_puts(p, "</td><td class=\"n\">");
			p_num(p, counts[i]);
			p_puts(p, "</td></tr>\n");
		}
		html_data_close(p);
	}
	if (t.len + d.len + xl.len == 0)
		p->oom = 1;
	ml_buf_free(&t);
	ml_buf_free(&d);
	ml_buf_free(&xl);
	free(edges);
	free(counts);
}

/* Top values as horizontal bars; a space-saving count's error bound is
 * written beside it, so an estimate is not read as exact. */
static void top_values(struct report *r, struct page *p, const char *name, jv str)
{
	jv top = j_get(str, "top");
	int n = j_len(top) < TOP_SHOWN ? j_len(top) : TOP_SHOWN;
	struct ml_buf t = {0}, d = {0};
	char a[40], (*notes)[48] = calloc((size_t)n + 1, sizeof *notes);
	const char **labels = calloc((size_t)n + 1, sizeof *labels), **np = calloc((size_t)n + 1, sizeof *np);
	double *v = calloc((size_t)n + 1, sizeof *v), distinct = j_numk(str, "distinct", NAN);

	if (!notes || !labels || !np || !v) {
		p->oom = 1;
		goto out;
	}
	if (!n) {
		p_puts(p, "<p class=\"muted\">no string values</p>\n");
		goto out;
	}
	int exact = j_kind(j_get(str, "distinct_exact")) == JV_KIND_TRUE;
	ml_buf_printf(&t, "%s: top %d of %s%s distinct values", name, n, exact ? "" : "about ", fmt_num(distinct, a));
	ml_buf_terminate(&t);
	for (int i = 0; i < n; i++) {
		jv e = j_at(top, i);
		double err = j_numk(e, "error", 0);
		labels[i] = j_strk(e, "value") ? j_strk(e, "value") : "(not a string)";
		v[i] = j_numk(e, "count", 0);
		fmt_num(v[i], notes[i]);
		if (err > 0)
			snprintf(notes[i] + strlen(notes[i]), 48 - strlen(notes[i]), " (±%s)", fmt_num(err, a));
		np[i] = notes[i];
		ml_buf_printf(&d, "%s%s %s", i ? ", " : "Counts: ", labels[i], notes[i]);
	}
	ml_buf_adds(&d, ".");
	if (distinct > n)
		ml_buf_printf(&d, " %s more distinct values are not drawn.", fmt_num(distinct - n, a));
	ml_buf_terminate(&d);
	struct hbars c = {.title = t.data, .desc = d.data, .xlabel = "records (count)", .n = n, .labels = labels,
			  .v = v, .notes = np, .cls = "bar", .ref = NAN};
	chart_hbars(r, p, &c);
	static const char *const heads[] = {"value", "records", "error bound"};
	html_data_open(p, "data", heads, 3);
	for (int i = 0; i < j_len(top) && i < 50; i++) {
		jv e = j_at(top, i);
		p_puts(p, "<tr><td>");
		p_esc(p, j_strk(e, "value"));
		p_puts(p, "</td><td class=\"n\">");
		p_num(p, j_numk(e, "count", NAN));
		p_puts(p, "</td><td class=\"n\">");
		p_num(p, j_numk(e, "error", 0));
		p_puts(p, "</td></tr>\n");
	}
	html_data_close(p);
out:
	ml_buf_free(&t);
	ml_buf_free(&d);
	free(notes);
	free(labels);
	free(np);
	free(v);
}

static void booleans(struct report *r, struct page *p, const char *name, jv b)
{
	const char *labels[2] = {"true", "false"};
	double v[2] = {j_numk(b, "true", 0), j_numk(b, "false", 0)};
	char t[300], d[200], a[40], c[40];

	snprintf(t, sizeof t, "%s: true and false, %s values", name, fmt_num(v[0] + v[1], a));
	snprintf(d, sizeof d, "true %s, false %s.", fmt_num(v[0], a), fmt_num(v[1], c));
	struct hbars h = {.title = t, .desc = d, .xlabel = "records (count)", .n = 2, .labels = labels, .v = v,
			  .cls = "bar", .ref = NAN};
	chart_hbars(r, p, &h);
	static const char *const heads[] = {"value", "records"};
	html_data_open(p, "data", heads, 2);
	for (int i = 0; i < 2; i++) {
		p_printf(p, "<tr><td>%s</td><td class=\"n\">", labels[i]);
		p_num(p, v[i]);
		p_puts(p, "</td></tr>\n");
	}
	html_data_close(p);
}

static void column_figure(struct report *r, struct page *p, jv col)
{
	const char *name = j_strk(col, "column");
	jv num = j_get(col, "number"), str = j_get(col, "string"), b = j_get(col, "boolean");

	html_figure_open(p, "column");
	p_puts(p, "<strong>");
	p_esc(p, name);
	p_puts(p, "</strong><span class=\"sub\">types: ");
	types_seen(p, col);
	p_puts(p, " · missing ");
	pct(p, missing_share(col));
	if (j_kind(num) == JV_KIND_OBJECT) {
		static const char *const stats[] = {"mean", "std", "min", "max"};
		for (int s = 0; s < 4; s++) {
			p_printf(p, " · %s ", stats[s]);
			p_num(p, j_numk(num, stats[s], NAN));
		}
	}
	p_puts(p, "</span>");
	html_caption_end(p);
	int drawn = 0;
	if (j_kind(num) == JV_KIND_OBJECT && j_numk(num, "count", 0) > 0) {
		histogram(r, p, name, col, num);
		drawn++;
	}
	if (j_kind(str) == JV_KIND_OBJECT && j_numk(str, "count", 0) > 0) {
		top_values(r, p, name, str);
		drawn++;
	}
	if (j_kind(b) == JV_KIND_OBJECT && j_numk(b, "true", 0) + j_numk(b, "false", 0) > 0) {
		booleans(r, p, name, b);
		drawn++;
	}
	if (!drawn)
		p_puts(p, "<p class=\"muted\">no values to draw: every value is missing or nested</p>\n");
	html_figure_close(p);
}

void section_profile(struct report *r, struct page *p)
{
	for (size_t i = 0; i < r->nart; i++) {
		struct artifact *a = &r->art[i];
		if (a->kind != ART_PROFILE)
			continue;
		jv head = j_at(a->lines, 0);
		p_puts(p, "<h3>");
		p_esc(p, art_source(r, a));
		if (a->line > 1)
			p_printf(p, ", line %llu", (unsigned long long)a->line);
		p_puts(p, "</h3>\n<dl class=\"kv\"><dt>records</dt><dd>");
		p_num(p, j_numk(head, "records", NAN));
		p_puts(p, "</dd><dt>columns</dt><dd>");
		p_num(p, j_numk(head, "columns", NAN));
		p_puts(p, "</dd><dt>bytes read</dt><dd>");
		p_num(p, j_numk(head, "bytes", NAN));
		p_puts(p, "</dd><dt>source</dt><dd class=\"id\">");
		jv sources = j_get(head, "sources");
		if (j_len(sources) > 1) {
			for (int s = 0; s < j_len(sources); s++) {
				p_puts(p, s ? "<br>" : "");
				p_esc(p, j_str(j_at(sources, s)));
			}
		} else {
			p_esc(p, j_strk(head, "source") ? j_strk(head, "source") : "–");
		}
		p_puts(p, "</dd></dl>\n");
		/* the dataset line has no "column": tables and figures pass it by */
		profile_table(r, p, a->lines);
		p_puts(p, "<div class=\"grid\">\n");
		for (int l = 0; l < j_len(a->lines); l++) {
			jv col = j_at(a->lines, l);
			if (j_strk(col, "column") && report_wants_column(r, j_strk(col, "column")))
				column_figure(r, p, col);
		}
		p_puts(p, "</div>\n");
	}
}
