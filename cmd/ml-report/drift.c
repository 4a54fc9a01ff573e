/* The drift section: the verdict, then each column's reference and current
 * distributions and its statistic against the threshold, drifted first. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define CATEGORIES_SHOWN 20

struct rank {
	int idx, drifted;
	double severity;
};

/* How far past its threshold a column is: the statistic over the
 * threshold for a distance, the threshold over the p-value for a test
 * (a smaller p-value is further). */
static double severity(jv line)
{
	double stat = j_numk(line, "statistic", NAN), thr = j_numk(line, "threshold", NAN),
	       pv = j_numk(line, "p_value", NAN);

	if (isfinite(pv) && isfinite(thr))
		return pv > 0 ? thr / pv : INFINITY;
	if (isfinite(stat) && thr > 0)
		return stat / thr;
	return isfinite(stat) ? stat : -INFINITY;
}

static int by_rank(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->drifted != y->drifted)
		return y->drifted - x->drifted;
	if (x->severity != y->severity)
		return x->severity < y->severity ? 1 : -1;
	return x->idx - y->idx;
}

int *drift_order(jv lines, int *n)
{
	int total = j_len(lines), k = 0;
	struct rank *rk = calloc((size_t)total + 1, sizeof *rk);
	int *idx = calloc((size_t)total + 1, sizeof *idx);

	*n = 0;
	if (!rk || !idx) {
		free(rk);
		free(idx);
		return NULL;
	}
	for (int i = 0; i < total; i++) {
		jv l = j_at(lines, i);
		const char *kind = j_strk(l, "kind");
		if (!kind || strcmp(kind, "column"))
			continue;
		rk[k].idx = i;
		rk[k].drifted = j_kind(j_get(l, "drifted")) == JV_KIND_TRUE;
		rk[k].severity = severity(l);
		k++;
	}
	qsort(rk, (size_t)k, sizeof *rk, by_rank);
	for (int i = 0; i < k; i++)
		idx[i] = rk[i].idx;
	free(rk);
	*n = k;
	return idx;
}

static jv summary_of(jv lines)
{
	for (int i = j_len(lines) - 1; i >= 0; i--) {
		const char *kind = j_strk(j_at(lines, i), "kind");
		if (kind && !strcmp(kind, "summary"))
			return j_at(lines, i);
	}
	return jv_invalid();
}

static void names_list(struct page *p, jv arr)
{
	for (int i = 0; i < j_len(arr); i++) {
		p_puts(p, i ? ", " : "");
		p_esc(p, j_str(j_at(arr, i)) ? j_str(j_at(arr, i)) : "?");
	}
}

static void verdict(struct page *p, jv s)
{
	char a[40];

	if (j_kind(s) == JV_KIND_INVALID) {
		p_puts(p, "<p class=\"verdict\">No summary line: the verdict is unknown.</p>\n");
		return;
	}
	int drift = j_kind(j_get(s, "drift")) == JV_KIND_TRUE;
	p_printf(p, "<p class=\"verdict%s\">", drift ? " bad" : "");
	html_badge(p, drift ? "bad" : "ok", drift ? "drift" : "no drift");
	p_printf(p, " <strong>%s of ", fmt_num(j_numk(s, "drifted", NAN), a));
	p_printf(p, "%s columns drifted</strong>", fmt_num(j_numk(s, "columns", NAN), a));
	double share = j_numk(s, "drifted_share", NAN), limit = j_numk(s, "share", NAN);
	if (isfinite(share))
		p_printf(p, " (a share of %.0f%%", share * 100);
	if (isfinite(limit))
		p_printf(p, "; the dataset drifts at %.0f%%", limit * 100);
	if (isfinite(share))
		p_puts(p, ")");
	if (j_len(j_get(s, "critical"))) {
		p_puts(p, ". Critical columns: ");
		names_list(p, j_get(s, "critical"));
		p_puts(p, j_len(j_get(s, "critical_drifted")) ? "; drifted among them: " : "; none drifted");
		names_list(p, j_get(s, "critical_drifted"));
	}
	if (isfinite(j_numk(s, "fdr", NAN)))
		p_printf(p, ". Tests corrected for a false discovery rate of %s", fmt_num(j_numk(s, "fdr", NAN), a));
	p_printf(p, ". Reference: %s records", fmt_num(j_numk(j_get(s, "reference"), "records", NAN), a));
	p_printf(p, "; current: %s records.</p>\n", fmt_num(j_numk(j_get(s, "current"), "records", NAN), a));
}

static void overview(struct report *r, struct page *p, jv lines, const int *order, int n)
{
	p_puts(p, "<div class=\"wide\"><table><thead><tr><th scope=\"col\">column</th><th scope=\"col\">type</th>"
		  "<th scope=\"col\">method</th><th scope=\"col\" class=\"n\">statistic</th>"
		  "<th scope=\"col\" class=\"n\">p-value</th><th scope=\"col\" class=\"n\">threshold</th>"
		  "<th scope=\"col\">drifted</th><th scope=\"col\" class=\"n\">missing (reference → current)</th>"
		  "</tr></thead><tbody>\n");
	for (int i = 0; i < n; i++) {
		jv l = j_at(lines, order[i]), mr = j_get(l, "missing_rate");
		const char *name = j_strk(l, "column");
		if (!report_wants_column(r, name))
			continue;
		int drifted = j_kind(j_get(l, "drifted")) == JV_KIND_TRUE;
		p_puts(p, "<tr><th scope=\"row\">");
		p_esc(p, name);
		p_puts(p, "</th><td>");
		p_esc(p, j_strk(l, "type") ? j_strk(l, "type") : "–");
		p_puts(p, "</td><td>");
		p_esc(p, j_strk(l, "method") ? j_strk(l, "method") : "–");
		p_puts(p, "</td><td class=\"n\">");
		p_num(p, j_numk(l, "statistic", NAN));
		p_puts(p, "</td><td class=\"n\">");
		p_num(p, j_numk(l, "p_value", NAN));
		p_puts(p, "</td><td class=\"n\">");
		p_num(p, j_numk(l, "threshold", NAN));
		p_puts(p, "</td><td>");
		html_badge(p, drifted ? "bad" : "ok", drifted ? "drifted" : "ok");
		p_printf(p, "</td><td class=\"n\">%.1f%% → %.1f%%</td></tr>\n", j_numk(mr, "reference", 0) * 100,
			 j_numk(mr, "current", 0) * 100);
	}
	p_puts(p, "</tbody></table></div>\n");
}

static double sum(jv arr)
{
	double s = 0;

	for (int i = 0; i < j_len(arr); i++)
		s += j_num(j_at(arr, i), 0);
	return s;
}

/* Bins over the reference's deciles: shares of each side. */
static void numeric_bins(struct report *r, struct page *p, const char *name, jv bins)
{
	jv je = j_get(bins, "edges"), jr = j_get(bins, "reference"), jc = j_get(bins, "current");
	int n = j_len(jr);
	char a[40], b[40], t[400];
	struct ml_buf d = {0};

	if (n < 1 || j_len(jc) != n || j_len(je) != n - 1)
		return;
	double *edges = calloc((size_t)n, sizeof *edges), *ref = calloc((size_t)n, sizeof *ref),
	       *cur = calloc((size_t)n, sizeof *cur), sr = sum(jr), sc = sum(jc);
	if (!edges || !ref || !cur) {
		p->oom = 1;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (i < n - 1)
			edges[i] = j_num(j_at(je, i), NAN);
		ref[i] = sr > 0 ? j_num(j_at(jr, i), 0) / sr : 0;
		cur[i] = sc > 0 ? j_num(j_at(jc, i), 0) / sc : 0;
	}
	snprintf(t, sizeof t, "%s: reference and current shares over %d bins", name, n);
	ml_buf_printf(&d, "Bins cut at the reference's deciles (a value on an edge falls in the lower bin). ");
	for (int i = 0; i < n; i++) {
		if (i == 0)
			ml_buf_printf(&d, "up to %s", n > 1 ? fmt_num(edges[0], a) : "any");
		else if (i == n - 1)
			ml_buf_printf(&d, "; above %s", fmt_num(edges[n - 2], a));
		else
			ml_buf_printf(&d, "; %s to %s", fmt_num(edges[i - 1], a), fmt_num(edges[i], b));
		ml_buf_printf(&d, ": reference %.1f%%, current %.1f%%", ref[i] * 100, cur[i] * 100);
	}
	ml_buf_adds(&d, ".");
	ml_buf_terminate(&d);
	struct ml_buf xl = {0};
	ml_buf_printf(&xl, "%s (value; bins cut at the reference's deciles)", name);
	ml_buf_terminate(&xl);
	if (d.data && xl.data)
		chart_bins(r, p, t, d.data, edges, ref, cur, n, xl.data);
	else
		p->oom = 1;
	ml_buf_free(&xl);
	static const char *const heads[] = {"bin", "reference", "current", "reference %", "current %"};
	html_data_open(p, "data", heads, 5);
	for (int i = 0; i < n; i++) {
		p_puts(p, "<tr><td>");
		if (n == 1)
			p_puts(p, "all");
		else if (i == 0)
			p_printf(p, "≤ %s", fmt_num(edges[0], a));
		else if (i == n - 1)
			p_printf(p, "&gt; %s", fmt_num(edges[n - 2], a));
		else
			p_printf(p, "%s – %s", fmt_num(edges[i - 1], a), fmt_num(edges[i], b));
		p_puts(p, "</td><td class=\"n\">");
		p_num(p, j_num(j_at(jr, i), NAN));
		p_puts(p, "</td><td class=\"n\">");
		p_num(p, j_num(j_at(jc, i), NAN));
		p_printf(p, "</td><td class=\"n\">%.1f</td><td class=\"n\">%.1f</td></tr>\n", ref[i] * 100,
			 cur[i] * 100);
	}
	html_data_close(p);
out:
	ml_buf_free(&d);
	free(edges);
	free(ref);
	free(cur);
}

/* Categories as paired horizontal bars of each side's share. */
static void categories(struct report *r, struct page *p, const char *name, jv cats)
{
	jv jv_ = j_get(cats, "values"), jr = j_get(cats, "reference"), jc = j_get(cats, "current");
	int total = j_len(jr), n = total < CATEGORIES_SHOWN ? total : CATEGORIES_SHOWN;
	char t[400];
	struct ml_buf d = {0};

	if (n < 1 || j_len(jc) != total)
		return;
	const char **labels = calloc((size_t)n, sizeof *labels), **np = calloc((size_t)n, sizeof *np);
	char (*notes)[40] = calloc((size_t)n, sizeof *notes);
	double *ref = calloc((size_t)n, sizeof *ref), *cur = calloc((size_t)n, sizeof *cur), sr = sum(jr), sc = sum(jc);
	if (!labels || !np || !notes || !ref || !cur) {
		p->oom = 1;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		labels[i] = j_str(j_at(jv_, i)) ? j_str(j_at(jv_, i)) : "(the rest)";
		ref[i] = sr > 0 ? j_num(j_at(jr, i), 0) / sr : 0;
		cur[i] = sc > 0 ? j_num(j_at(jc, i), 0) / sc : 0;
		/* both shares: a note after the longer bar must not pass for either */
		snprintf(notes[i], sizeof notes[i], "%.1f%% → %.1f%%", ref[i] * 100, cur[i] * 100);
		np[i] = notes[i];
		ml_buf_printf(&d, "%s%s: reference %.1f%%, current %.1f%%", i ? "; " : "", labels[i], ref[i] * 100,
			      cur[i] * 100);
	}
	ml_buf_adds(&d, ".");
	if (total > n)
		ml_buf_printf(&d, " %d more categories are in the data table only.", total - n);
	ml_buf_terminate(&d);
	snprintf(t, sizeof t, "%s: reference and current shares of %d categor%s", name, n, n == 1 ? "y" : "ies");
	struct hbars c = {.title = t, .desc = d.data ? d.data : "", .xlabel = "share of records (%)", .n = n,
			  .labels = labels, .v = ref, .v2 = cur, .notes = np, .cls = "ref", .cls2 = "cur",
			  .legend1 = "reference (solid)", .legend2 = "current (dashed outline)", .ref = NAN,
			  .percent = 1};
	chart_hbars(r, p, &c);
	static const char *const heads[] = {"category", "reference", "current"};
	html_data_open(p, "data", heads, 3);
	for (int i = 0; i < total && i < 50; i++) {
		p_puts(p, "<tr><td>");
		p_esc(p, j_str(j_at(jv_, i)) ? j_str(j_at(jv_, i)) : "(the rest)");
		p_puts(p, "</td><td class=\"n\">");
		p_num(p, j_num(j_at(jr, i), NAN));
		p_puts(p, "</td><td class=\"n\">");
		p_num(p, j_num(j_at(jc, i), NAN));
		p_puts(p, "</td></tr>\n");
	}
	html_data_close(p);
out:
	ml_buf_free(&d);
	free(labels);
	free(np);
	free(notes);
	free(ref);
	free(cur);
}

static void column_figure(struct report *r, struct page *p, jv l)
{
	const char *name = j_strk(l, "column"), *method = j_strk(l, "method"), *unit = j_strk(l, "unit");
	int drifted = j_kind(j_get(l, "drifted")) == JV_KIND_TRUE;
	double pv = j_numk(l, "p_value", NAN), stat = j_numk(l, "statistic", NAN), thr = j_numk(l, "threshold", NAN);
	jv mr = j_get(l, "missing_rate");
	char t[400], d[600], m[80], a[40], b[40];

	html_figure_open(p, "column");
	p_puts(p, "<strong>");
	p_esc(p, name);
	p_puts(p, "</strong> ");
	html_badge(p, drifted ? "bad" : "ok", drifted ? "drifted" : "ok");
	p_puts(p, "<span class=\"sub\">");
	if (method) {
		p_esc(p, method);
		p_puts(p, ": ");
		p_esc(p, unit ? unit : "");
	} else {
		p_esc(p, j_strk(l, "note") ? j_strk(l, "note") : "no statistic");
	}
	p_printf(p, " · missing %.1f%% → %.1f%%", j_numk(mr, "reference", 0) * 100, j_numk(mr, "current", 0) * 100);
	if (j_numk(l, "new_count", 0) > 0) {
		p_printf(p, " · new: %s (", fmt_num(j_numk(l, "new_count", 0), a));
		names_list(p, j_get(l, "new"));
		p_puts(p, ")");
	}
	if (j_numk(l, "vanished_count", 0) > 0) {
		p_printf(p, " · vanished: %s (", fmt_num(j_numk(l, "vanished_count", 0), a));
		names_list(p, j_get(l, "vanished"));
		p_puts(p, ")");
	}
	p_puts(p, "</span>");
	html_caption_end(p);
	if (method && (isfinite(stat) || isfinite(pv))) {
		/* a test is decided by its p-value, a distance by itself */
		int test = isfinite(pv);
		double shown = test ? pv : stat;
		snprintf(m, sizeof m, "%s%s", method, test ? " p-value" : "");
		snprintf(t, sizeof t, "%s: %s %s against the threshold %s", name, m, fmt_num(shown, a), fmt_num(thr, b));
		snprintf(d, sizeof d, "%s: %s. %s is %s; the threshold is %s: %s.", method, unit ? unit : "", m, a, b,
			 drifted ? "drifted" : "not drifted");
		chart_bullet(r, p, t, d, shown, thr, drifted, m);
	}
	if (j_kind(j_get(l, "bins")) == JV_KIND_OBJECT)
		numeric_bins(r, p, name, j_get(l, "bins"));
	else if (j_kind(j_get(l, "categories")) == JV_KIND_OBJECT)
		categories(r, p, name, j_get(l, "categories"));
	html_figure_close(p);
}

void section_drift(struct report *r, struct page *p)
{
	for (size_t i = 0; i < r->nart; i++) {
		struct artifact *a = &r->art[i];
		int n;
		if (a->kind != ART_DRIFT)
			continue;
		p_puts(p, "<h3>");
		p_esc(p, art_source(r, a));
		if (a->line > 1)
			p_printf(p, ", line %llu", (unsigned long long)a->line);
		p_puts(p, "</h3>\n");
		verdict(p, summary_of(a->lines));
		int *order = drift_order(a->lines, &n);
		if (!order) {
			p->oom = 1;
			return;
		}
		overview(r, p, a->lines, order, n);
		p_puts(p, "<div class=\"grid\">\n");
		for (int k = 0; k < n; k++) {
			jv l = j_at(a->lines, order[k]);
			if (report_wants_column(r, j_strk(l, "column")))
				column_figure(r, p, l);
		}
		p_puts(p, "</div>\n");
		free(order);
	}
}
