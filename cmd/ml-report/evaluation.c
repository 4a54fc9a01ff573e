/* The evaluation section: the metrics table, ROC and precision-recall
 * curves, calibration, the confusion matrix, per-slice bars with their
 * confidence intervals, and the fairness gaps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define SERIES_MAX 7	/* curves drawn on one chart: beyond that, a tangle */
#define CLASSES_MAX 30	/* a bigger confusion matrix is not readable as a picture */

const char *main_metric(jv line)
{
	const char *task = j_strk(line, "task");

	if (task && !strcmp(task, "regression"))
		return "r2";
	if (task && !strcmp(task, "binary") && j_kind(j_get(line, "auc")) == JV_KIND_NUMBER)
		return "auc";
	return "accuracy";
}

/* Keys of a metrics line that are not metrics. */
static int not_a_metric(const char *key)
{
	static const char *const skip[] = {"version", "records", "threshold", "bootstrap", "confidence", NULL};
	size_t n = strlen(key);

	for (size_t i = 0; skip[i]; i++)
		if (!strcmp(key, skip[i]))
			return 1;
	return n > 3 && !strcmp(key + n - 3, "_ci");
}

/* A class label as text: strings as they are, other JSON as written. */
static void class_label(jv v, char *buf, size_t size)
{
	if (j_str(v)) {
		snprintf(buf, size, "%s", j_str(v));
	} else {
		jv s = jv_dump_string(jv_copy(v), 0);
		snprintf(buf, size, "%s", jv_string_value(s));
		jv_free(s);
	}
}

static void metrics_table(struct page *p, jv o)
{
	jv base = j_get(o, "baseline");
	int has_ci = 0, has_base = j_kind(base) == JV_KIND_OBJECT;
	char key[80];

	for (int i = 0; i < j_nkeys(o); i++) {
		jv v;
		const char *k = j_key(o, i, &v);
		size_t n = k ? strlen(k) : 0;
		has_ci |= n > 3 && !strcmp(k + n - 3, "_ci");
	}
	p_puts(p, "<div class=\"wide\"><table><thead><tr><th scope=\"col\">metric</th><th scope=\"col\" class=\"n\">"
		  "value</th>");
	if (has_ci)
		p_printf(p, "<th scope=\"col\" class=\"n\">%s%% interval</th>",
			 fmt_num(j_numk(o, "confidence", 0.95) * 100, key));
	if (has_base)
		p_puts(p, "<th scope=\"col\" class=\"n\">baseline</th><th scope=\"col\" class=\"n\">difference</th>"
			  "<th scope=\"col\" class=\"n\">p-value</th>");
	p_puts(p, "</tr></thead><tbody>\n");
	for (int i = 0; i < j_nkeys(o); i++) {
		jv v;
		const char *k = j_key(o, i, &v);
		if (!k || j_kind(v) != JV_KIND_NUMBER || not_a_metric(k))
			continue;
		p_puts(p, "<tr><th scope=\"row\">");
		p_esc(p, k);
		p_puts(p, "</th><td class=\"n\">");
		p_num(p, j_num(v, NAN));
		if (has_ci) {
			snprintf(key, sizeof key, "%s_ci", k);
			jv ci = j_get(o, key);
			p_puts(p, "</td><td class=\"n\">");
			if (j_len(ci) == 2) {
				p_num(p, j_num(j_at(ci, 0), NAN));
				p_puts(p, " – ");
				p_num(p, j_num(j_at(ci, 1), NAN));
			}
		}
		if (has_base) {
			p_puts(p, "</td><td class=\"n\">");
			p_num(p, j_numk(base, k, NAN));
			p_puts(p, "</td><td class=\"n\">");
			double diff = j_numk(j_get(base, "diff"), k, NAN);
			if (diff > 0)
				p_puts(p, "+");
			p_num(p, diff);
			p_puts(p, "</td><td class=\"n\">");
			p_num(p, j_numk(j_get(base, "p_value"), k, NAN));
		}
		p_puts(p, "</td></tr>\n");
	}
	p_puts(p, "</tbody></table></div>\n");
	jv req = j_get(o, "requirements");
	if (j_len(req)) {
		p_puts(p, "<ul class=\"requirements\">\n");
		for (int i = 0; i < j_len(req); i++) {
			int holds = j_kind(j_get(j_at(req, i), "holds")) == JV_KIND_TRUE;
			p_puts(p, "<li>");
			html_badge(p, holds ? "ok" : "bad", holds ? "✓ holds" : "✗ fails");
			p_puts(p, " <code>");
			p_esc(p, j_strk(j_at(req, i), "expr"));
			p_puts(p, "</code></li>\n");
		}
		p_puts(p, "</ul>\n");
	}
}

/* The slices' metrics line for a slice name ("region_west"), when given. */
static jv slice_line(const struct artifact *m, const char *slice)
{
	if (!m || !slice)
		return jv_invalid();
	for (int i = 0; i < j_len(m->lines); i++) {
		const char *s = j_strk(j_at(m->lines, i), "slice");
		if (s && !strcmp(s, slice))
			return j_at(m->lines, i);
	}
	return jv_invalid();
}

/* Area under the points (trapezoids): the AUC when no metrics line gives it. */
static double area(const double *x, const double *y, int n)
{
	double a = 0;

	for (int i = 1; i < n; i++)
		a += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
	return fabs(a);
}

/* Average precision as scikit-learn defines it: precision weighted by
 * each step in recall. */
static double step_area(const double *recall, const double *precision, int n)
{
	double a = 0;

	for (int i = 1; i < n; i++)
		a += fabs(recall[i] - recall[i - 1]) * precision[i];
	return a;
}

static double *numbers(jv arr, int *n)
{
	*n = j_len(arr);
	double *v = calloc((size_t)*n + 1, sizeof *v);
	for (int i = 0; v && i < *n; i++)
		v[i] = j_num(j_at(arr, i), NAN);
	return v;
}

struct series_set {
	int n;
	double *x[SERIES_MAX], *y[SERIES_MAX];
	int np[SERIES_MAX];
	char names[SERIES_MAX][160];
	const char *np_names[SERIES_MAX];
};

static void set_free(struct series_set *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->x[i]);
		free(s->y[i]);
	}
}

/* ROC or precision-recall curves of every slice (overall first). */
static void curve_chart(struct report *r, struct page *p, const struct artifact *c, const struct artifact *m,
			int roc)
{
	struct series_set s = {0};
	int skipped = 0;
	struct ml_buf d = {0};
	char a[40];
	const char *kind = roc ? "roc" : "precision_recall", *xk = roc ? "fpr" : "recall",
		   *yk = roc ? "tpr" : "precision", *score = roc ? "AUC" : "AP",
		   *mk = roc ? "auc" : "average_precision";

	for (int i = 0; i < j_len(c->lines); i++) {
		jv l = j_at(c->lines, i);
		const char *ck = j_strk(l, "curve"), *slice = j_strk(l, "slice");
		if (!ck || strcmp(ck, kind))
			continue;
		if (s.n == SERIES_MAX) {
			skipped++;
			continue;
		}
		int nx, ny;
		double *x = numbers(j_get(l, xk), &nx), *y = numbers(j_get(l, yk), &ny);
		if (!x || !y || nx != ny || !nx) {
			free(x);
			free(y);
			continue;
		}
		double v = j_numk(slice_line(m, slice), mk, NAN);
		if (isnan(v))
			v = roc ? area(x, y, nx) : step_area(x, y, nx);
		s.x[s.n] = x;
		s.y[s.n] = y;
		s.np[s.n] = nx;
		snprintf(s.names[s.n], sizeof s.names[s.n], "%s (%s %s)", slice ? slice : "?", score, fmt_num(v, a));
		s.np_names[s.n] = s.names[s.n];
		s.n++;
	}
	if (!s.n)
		return;
	char title[400];
	snprintf(title, sizeof title, "%s curve%s, %s%s", roc ? "ROC" : "Precision-recall", s.n > 1 ? "s" : "",
		 s.names[0], s.n > 1 ? " and by slice" : "");
	ml_buf_printf(&d, "%s against %s for ", roc ? "True positive rate" : "Precision",
		      roc ? "false positive rate" : "recall");
	for (int i = 0; i < s.n; i++)
		ml_buf_printf(&d, "%s%s", i ? ", " : "", s.names[i]);
	ml_buf_printf(&d, ". %s", roc ? "The diagonal is chance (AUC 0.5)."
				     : "The dashed level line is the share of positives, a chance classifier's precision.");
	if (skipped)
		ml_buf_printf(&d, " %d more slices are not drawn.", skipped);
	ml_buf_terminate(&d);
	double base = NAN;
	jv conf = j_get(slice_line(m, "overall"), "confusion");
	if (!roc && j_kind(conf) == JV_KIND_OBJECT) {
		double tn = j_numk(conf, "tn", 0), fp = j_numk(conf, "fp", 0), fn = j_numk(conf, "fn", 0),
		       tp = j_numk(conf, "tp", 0);
		if (tn + fp + fn + tp > 0)
			base = (tp + fn) / (tn + fp + fn + tp);
	}
	struct curves_chart cc = {
		.title = title, .desc = d.data ? d.data : "", .ns = s.n, .np = s.np, .names = s.np_names,
		.xlabel = roc ? "false positive rate (0–1)" : "recall (0–1)",
		.ylabel = roc ? "true positive rate (0–1)" : "precision (0–1)",
		.diagonal = roc ? 1 : 2, .base = base,
	};
	cc.x = (const double *const *)s.x;
	cc.y = (const double *const *)s.y;
	html_figure_open(p, "curve");
	p_printf(p, "<strong>%s</strong><span class=\"sub\">", roc ? "ROC curve" : "Precision-recall curve");
	p_esc(p, roc ? "how many positives are found (y) for how many negatives taken for positives (x), at "
		       "every threshold"
		     : "how many of those called positive are (y) for how many positives are found (x)");
	if (skipped)
		p_printf(p, "; %d more slices not drawn", skipped);
	p_puts(p, "</span>");
	html_caption_end(p);
	chart_curves(r, p, &cc);
	html_figure_close(p);
	ml_buf_free(&d);
	set_free(&s);
}

static void calibration(struct report *r, struct page *p, const struct artifact *c, const struct artifact *m)
{
	for (int i = 0; i < j_len(c->lines); i++) {
		jv l = j_at(c->lines, i), bins = j_get(l, "bins");
		const char *ck = j_strk(l, "curve"), *slice = j_strk(l, "slice");
		if (!ck || strcmp(ck, "calibration") || !slice || strcmp(slice, "overall"))
			continue;
		int n = j_len(bins);
		double *mp = calloc((size_t)n + 1, sizeof *mp), *fp = calloc((size_t)n + 1, sizeof *fp),
		       *cnt = calloc((size_t)n + 1, sizeof *cnt);
		struct ml_buf d = {0};
		char t[200], a[40], b[40];
		if (!mp || !fp || !cnt) {
			p->oom = 1;
			free(mp);
			free(fp);
			free(cnt);
			return;
		}
		ml_buf_adds(&d, "Per bin of predicted probability: mean predicted probability, fraction positive "
				"(records). ");
		for (int k = 0; k < n; k++) {
			jv bin = j_at(bins, k);
			cnt[k] = j_numk(bin, "count", 0);
			mp[k] = cnt[k] > 0 ? j_numk(bin, "mean_probability", NAN) : NAN;
			fp[k] = cnt[k] > 0 ? j_numk(bin, "fraction_positive", NAN) : NAN;
			if (cnt[k] > 0)
				ml_buf_printf(&d, "%s, %s (%.0f); ", fmt_num(mp[k], a), fmt_num(fp[k], b), cnt[k]);
		}
		ml_buf_adds(&d, "the diagonal is perfect calibration.");
		ml_buf_terminate(&d);
		double ece = j_numk(slice_line(m, "overall"), "ece", NAN);
		if (isfinite(ece))
			snprintf(t, sizeof t, "Calibration, overall (ECE %s)", fmt_num(ece, a));
		else
			snprintf(t, sizeof t, "Calibration, overall");
		html_figure_open(p, "curve");
		p_puts(p, "<strong>Calibration</strong><span class=\"sub\">predicted probability against how often "
			  "the positive class occurred; on the diagonal, probabilities mean what they say</span>");
		html_caption_end(p);
		chart_calibration(r, p, t, d.data ? d.data : "", mp, fp, cnt, n);
		static const char *const heads[] = {"from", "to", "records", "mean probability", "fraction positive"};
		html_data_open(p, "data", heads, 5);
		for (int k = 0; k < n; k++) {
			jv bin = j_at(bins, k);
			p_puts(p, "<tr><td class=\"n\">");
			p_num(p, j_numk(bin, "lo", NAN));
			p_puts(p, "</td><td class=\"n\">");
			p_num(p, j_numk(bin, "hi", NAN));
			p_puts(p, "</td><td class=\"n\">");
			p_num(p, cnt[k]);
			p_puts(p, "</td><td class=\"n\">");
			p_num(p, mp[k]);
			p_puts(p, "</td><td class=\"n\">");
			p_num(p, fp[k]);
			p_puts(p, "</td></tr>\n");
		}
		html_data_close(p);
		html_figure_close(p);
		ml_buf_free(&d);
		free(mp);
		free(fp);
		free(cnt);
		return;
	}
}

static void confusion(struct report *r, struct page *p, jv o)
{
	jv conf = j_get(o, "confusion"), classes = j_get(o, "classes");
	int n;

	if (j_kind(conf) == JV_KIND_OBJECT)
		n = 2;
	else if (j_kind(conf) == JV_KIND_ARRAY)
		n = j_len(conf);
	else
		return;
	if (n < 1 || n > CLASSES_MAX) {
		if (n > CLASSES_MAX)
			p_printf(p, "<p class=\"muted\">The confusion matrix has %d classes: too many to draw.</p>\n", n);
		return;
	}
	double *cells = calloc((size_t)n * (size_t)n, sizeof *cells);
	char (*names)[64] = calloc((size_t)n, sizeof *names);
	const char **labels = calloc((size_t)n, sizeof *labels);
	struct ml_buf d = {0};
	char t[200], a[40];
	if (!cells || !names || !labels) {
		p->oom = 1;
		goto out;
	}
	if (n == 2 && j_kind(conf) == JV_KIND_OBJECT) {
		cells[0] = j_numk(conf, "tn", 0);
		cells[1] = j_numk(conf, "fp", 0);
		cells[2] = j_numk(conf, "fn", 0);
		cells[3] = j_numk(conf, "tp", 0);
	} else {
		for (int i = 0; i < n; i++)
			for (int k = 0; k < n; k++)
				cells[i * n + k] = j_num(j_at(j_at(conf, i), k), 0);
	}
	double total = 0, right = 0;
	for (int i = 0; i < n; i++) {
		if (j_len(classes) == n)
			class_label(j_at(classes, i), names[i], sizeof names[i]);
		else
			snprintf(names[i], sizeof names[i], "%d", i);
		labels[i] = names[i];
		for (int k = 0; k < n; k++)
			total += cells[i * n + k];
		right += cells[i * n + i];
	}
	snprintf(t, sizeof t, "Confusion matrix, overall (%s records, %d classes)", fmt_num(total, a), n);
	ml_buf_adds(&d, "Rows are the true class, columns the predicted one. ");
	for (int i = 0; i < n; i++)
		for (int k = 0; k < n; k++)
			if (n <= 8 || i == k)
				ml_buf_printf(&d, "true %s, predicted %s: %.0f; ", names[i], names[k], cells[i * n + k]);
	ml_buf_printf(&d, "%.0f of %.0f on the diagonal (right).", right, total);
	ml_buf_terminate(&d);
	html_figure_open(p, "confusion");
	p_puts(p, "<strong>Confusion matrix</strong><span class=\"sub\">records by true class (rows) and predicted "
		  "class (columns); the stronger the colour, the more records</span>");
	html_caption_end(p);
	chart_heatmap(r, p, t, d.data ? d.data : "", n, labels, cells);
	if (n * n <= 50) {
		static const char *const heads[] = {"true class", "predicted class", "records"};
		html_data_open(p, "data", heads, 3);
		for (int i = 0; i < n; i++)
			for (int k = 0; k < n; k++) {
				p_puts(p, "<tr><td>");
				p_esc(p, names[i]);
				p_puts(p, "</td><td>");
				p_esc(p, names[k]);
				p_puts(p, "</td><td class=\"n\">");
				p_num(p, cells[i * n + k]);
				p_puts(p, "</td></tr>\n");
			}
		html_data_close(p);
	}
	html_figure_close(p);
out:
	ml_buf_free(&d);
	free(cells);
	free(names);
	free(labels);
}

/* A bar per slice value of one slicer, with whiskers when the metrics
 * have intervals, and the overall value as a line. */
static void slice_bars(struct report *r, struct page *p, const struct artifact *m, const char *by)
{
	jv o = j_at(m->lines, 0);
	const char *metric = main_metric(o);
	int n = 0, total = j_len(m->lines);
	char key[80], t[300], a[40], refl[80];
	const char **labels = calloc((size_t)total + 1, sizeof *labels);
	double *v = calloc((size_t)total + 1, sizeof *v), *lo = calloc((size_t)total + 1, sizeof *lo),
	       *hi = calloc((size_t)total + 1, sizeof *hi);
	struct ml_buf d = {0};
	int any_ci = 0;

	if (!labels || !v || !lo || !hi) {
		p->oom = 1;
		goto out;
	}
	snprintf(key, sizeof key, "%s_ci", metric);
	for (int i = 0; i < total; i++) {
		jv l = j_at(m->lines, i), ci = j_get(l, key);
		const char *b = j_strk(l, "by");
		if (!b || strcmp(b, by))
			continue;
		labels[n] = j_strk(l, "value") ? j_strk(l, "value") : "?";
		v[n] = j_numk(l, metric, NAN);
		lo[n] = j_len(ci) == 2 ? j_num(j_at(ci, 0), NAN) : NAN;
		hi[n] = j_len(ci) == 2 ? j_num(j_at(ci, 1), NAN) : NAN;
		any_ci |= isfinite(lo[n]);
		ml_buf_printf(&d, "%s%s %s", n ? "; " : "", labels[n], fmt_num(v[n], a));
		if (isfinite(lo[n]))
			ml_buf_printf(&d, " (%s", fmt_num(lo[n], a)), ml_buf_printf(&d, " to %s)", fmt_num(hi[n], a));
		ml_buf_printf(&d, ", %.0f records", j_numk(l, "records", NAN));
		n++;
	}
	if (!n)
		goto out;
	double overall = j_numk(o, metric, NAN);
	ml_buf_printf(&d, ". Overall: %s.", fmt_num(overall, a));
	if (any_ci)
		ml_buf_printf(&d, " Whiskers: %s%% bootstrap intervals.", fmt_num(j_numk(o, "confidence", 0.95) * 100, a));
	ml_buf_terminate(&d);
	snprintf(t, sizeof t, "%s by %s: %d slices", metric, by, n);
	snprintf(refl, sizeof refl, "overall %s", fmt_num(overall, a));
	html_figure_open(p, "slices");
	p_printf(p, "<strong>%s by ", metric);
	p_esc(p, by);
	p_puts(p, "</strong><span class=\"sub\">the main metric per slice");
	if (any_ci)
		p_printf(p, ", with %s%% confidence intervals", fmt_num(j_numk(o, "confidence", 0.95) * 100, a));
	p_puts(p, "; the dashed line is the overall value</span>");
	html_caption_end(p);
	char xl[120];
	snprintf(xl, sizeof xl, "%s (%s)", metric, strcmp(metric, "r2") ? "0–1" : "coefficient of determination");
	struct hbars c = {.title = t, .desc = d.data ? d.data : "", .xlabel = xl, .n = n, .labels = labels, .v = v,
			  .lo = any_ci ? lo : NULL, .hi = any_ci ? hi : NULL, .cls = "bar", .ref = overall,
			  .ref_label = refl};
	chart_hbars(r, p, &c);
	static const char *const heads[] = {"slice", "records", "metric", "low", "high"};
	html_data_open(p, "data", heads, 5);
	for (int i = 0, k = 0; i < total && k < 50; i++) {
		jv l = j_at(m->lines, i);
		const char *b = j_strk(l, "by");
		if (!b || strcmp(b, by))
			continue;
		p_puts(p, "<tr><td>");
		p_esc(p, labels[k]);
		p_puts(p, "</td><td class=\"n\">");
		p_num(p, j_numk(l, "records", NAN));
		p_puts(p, "</td><td class=\"n\">");
		p_num(p, v[k]);
		p_puts(p, "</td><td class=\"n\">");
		p_num(p, lo[k]);
		p_puts(p, "</td><td class=\"n\">");
		p_num(p, hi[k]);
		p_puts(p, "</td></tr>\n");
		k++;
	}
	html_data_close(p);
	html_figure_close(p);
out:
	ml_buf_free(&d);
	free(labels);
	free(v);
	free(lo);
	free(hi);
}

static void fairness(struct report *r, struct page *p, jv o)
{
	jv f = j_get(o, "fairness"), groups = j_get(f, "groups");
	static const char *const keys[3] = {"demographic_parity_difference", "equal_opportunity_difference",
					    "accuracy_difference"};
	static const char *const labels[3] = {"positive rate gap", "true positive rate gap", "accuracy gap"};
	double v[3];
	char t[200], d[600], a[40], b[40], c[40];

	if (j_kind(f) != JV_KIND_OBJECT)
		return;
	for (int k = 0; k < 3; k++)
		v[k] = j_numk(f, keys[k], NAN);
	snprintf(t, sizeof t, "Fairness gaps between %s groups", j_strk(f, "by") ? j_strk(f, "by") : "?");
	snprintf(d, sizeof d, "The largest difference between groups in positive rate (demographic parity) %s, in "
			      "true positive rate (equal opportunity) %s, in accuracy %s.",
		 fmt_num(v[0], a), fmt_num(v[1], b), fmt_num(v[2], c));
	html_figure_open(p, "fairness");
	p_puts(p, "<strong>Fairness by ");
	p_esc(p, j_strk(f, "by"));
	p_puts(p, "</strong><span class=\"sub\">the largest gap between any two groups; 0 is parity</span>");
	html_caption_end(p);
	struct hbars h = {.title = t, .desc = d, .xlabel = "gap (difference of rates, 0–1)", .n = 3, .labels = labels,
			  .v = v, .cls = "bar2", .ref = NAN};
	chart_hbars(r, p, &h);
	p_puts(p, "<table><thead><tr><th scope=\"col\">group</th><th scope=\"col\" class=\"n\">records</th>"
		  "<th scope=\"col\" class=\"n\">positive rate</th><th scope=\"col\" class=\"n\">true positive rate"
		  "</th><th scope=\"col\" class=\"n\">accuracy</th></tr></thead><tbody>\n");
	for (int i = 0; i < j_nkeys(groups); i++) {
		jv g;
		const char *name = j_key(groups, i, &g);
		p_puts(p, "<tr><th scope=\"row\">");
		p_esc(p, name);
		static const char *const cols[] = {"records", "positive_rate", "tpr", "accuracy"};
		for (int k = 0; k < 4; k++) {
			p_puts(p, k ? "</td><td class=\"n\">" : "</th><td class=\"n\">");
			p_num(p, j_numk(g, cols[k], NAN));
		}
		p_puts(p, "</td></tr>\n");
	}
	p_puts(p, "</tbody></table>\n");
	html_figure_close(p);
}

static void one_evaluation(struct report *r, struct page *p, const struct artifact *m, const struct artifact *c)
{
	const struct artifact *head = m ? m : c;
	jv o = m ? j_at(m->lines, 0) : jv_invalid();
	char a[40];

	p_puts(p, "<h3>");
	p_esc(p, art_source(r, head));
	if (head->line > 1)
		p_printf(p, ", line %llu", (unsigned long long)head->line);
	if (m && c)
		p_puts(p, " with the curves of "), p_esc(p, art_source(r, c));
	p_puts(p, "</h3>\n");
	if (m) {
		p_puts(p, "<dl class=\"kv\"><dt>task</dt><dd>");
		p_esc(p, j_strk(o, "task") ? j_strk(o, "task") : "–");
		p_puts(p, "</dd><dt>label</dt><dd>");
		p_esc(p, j_strk(o, "label") ? j_strk(o, "label") : "–");
		p_printf(p, "</dd><dt>records</dt><dd>%s", fmt_num(j_numk(o, "records", NAN), a));
		if (isfinite(j_numk(o, "threshold", NAN)))
			p_printf(p, "</dd><dt>threshold</dt><dd>%s", fmt_num(j_numk(o, "threshold", NAN), a));
		p_puts(p, "</dd><dt>model</dt><dd class=\"id\">");
		p_esc(p, j_strk(o, "bundle") ? j_strk(o, "bundle") : "– (scored records)");
		p_puts(p, "</dd><dt>data</dt><dd class=\"id\">");
		jv data = j_get(o, "data");
		for (int i = 0; i < j_len(data); i++) {
			p_puts(p, i ? "<br>" : "");
			p_esc(p, j_str(j_at(data, i)));
		}
		if (isfinite(j_numk(o, "bootstrap", NAN)))
			p_printf(p, "</dd><dt>intervals</dt><dd>%s bootstrap resamples",
				 fmt_num(j_numk(o, "bootstrap", NAN), a));
		p_puts(p, "</dd></dl>\n");
		metrics_table(p, o);
		const char *notes = j_str(j_at(j_get(o, "notes"), 0));
		if (notes) {
			p_puts(p, "<p class=\"muted\">Note: ");
			p_esc(p, notes);
			p_puts(p, "</p>\n");
		}
	}
	p_puts(p, "<div class=\"grid\">\n");
	if (c) {
		curve_chart(r, p, c, m, 1);
		curve_chart(r, p, c, m, 0);
		calibration(r, p, c, m);
	}
	if (m) {
		confusion(r, p, o);
		/* one chart per slicer, in the order the slices come */
		for (int i = 1; i < j_len(m->lines); i++) {
			const char *by = j_strk(j_at(m->lines, i), "by");
			int seen = 0;
			for (int k = 1; k < i && by && !seen; k++) {
				const char *b = j_strk(j_at(m->lines, k), "by");
				seen = b && !strcmp(b, by);
			}
			if (by && !seen)
				slice_bars(r, p, m, by);
		}
		fairness(r, p, o);
	}
	p_puts(p, "</div>\n");
}

void section_evaluation(struct report *r, struct page *p)
{
	size_t nm = 0, nc = 0;

	for (size_t i = 0; i < r->nart; i++) {
		nm += r->art[i].kind == ART_METRICS;
		nc += r->art[i].kind == ART_CURVES;
	}
	/* the k-th metrics go with the k-th curves: ml-eval writes them as a pair */
	for (size_t k = 0; k < (nm > nc ? nm : nc); k++) {
		const struct artifact *m = NULL, *c = NULL;
		size_t im = 0, ic = 0;
		for (size_t i = 0; i < r->nart; i++) {
			if (r->art[i].kind == ART_METRICS && im++ == k)
				m = &r->art[i];
			if (r->art[i].kind == ART_CURVES && ic++ == k)
				c = &r->art[i];
		}
		one_evaluation(r, p, m, c);
	}
}
