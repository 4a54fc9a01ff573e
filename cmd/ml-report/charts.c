/* The charts the sections draw: each lays out its frame, draws with
 * svg.c's primitives, and says in its title and desc what it shows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "report.h"

#define CHAR_W 6.2	/* about one character of an 11 px label */

static size_t chars(const char *s)
{
	return s ? ml_utf8_chars(s, strlen(s)) : 0;
}

/* s cut to at most max characters, with an ellipsis when cut. */
static const char *clip(const char *s, size_t max, char *buf, size_t size)
{
	size_t n = 0, i = 0;

	if (!s)
		return "";
	if (chars(s) <= max)
		return s;
	for (; s[i] && n < max - 1; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80 && ++n == max)
			break;
	while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
		i++;
	/* i is at the start of character max: keep max - 1 and add "…" */
	snprintf(buf, size, "%.*s…", (int)i, s);
	return buf;
}

static void vgrid(const struct svg_frame *f, int nticks)
{
	double t[16];
	int n = svg_ticks(f->xmin, f->xmax, nticks, t);

	for (int i = 0; i < n; i++)
		svg_line(f->p, svg_x(f, t[i]), f->top, svg_x(f, t[i]), f->bottom, "grid");
}

void chart_hbars(struct report *r, struct page *p, const struct hbars *c)
{
	char id[16], buf[64];
	const int W = 560;
	size_t maxc = 1;
	double scale = c->percent ? 100 : 1;

	char (*cl)[96] = calloc((size_t)c->n + 1, sizeof *cl);
	const char **lp = calloc((size_t)c->n + 1, sizeof *lp);
	if (!cl || !lp) {
		p->oom = 1;
		free(cl);
		free(lp);
		return;
	}
	for (int i = 0; i < c->n; i++) {
		lp[i] = clip(c->labels[i], 24, cl[i], sizeof cl[i]);
		if (chars(lp[i]) > maxc)
			maxc = chars(lp[i]);
	}
	double lw = 10 + CHAR_W * (double)maxc;
	double left = (lw > 170 ? 170 : lw) + (c->ylabel ? 22 : 6), right = W - 92;
	double rowh = c->v2 ? 30 : 20, top = c->v2 || !isnan(c->ref) ? 30 : 10;
	double bottom = top + c->n * rowh, lo = 0, hi = 0;
	for (int i = 0; i < c->n; i++) {
		double vals[4] = {c->v[i], c->v2 ? c->v2[i] : 0, c->lo ? c->lo[i] : 0, c->hi ? c->hi[i] : 0};
		for (int k = 0; k < 4; k++)
			if (isfinite(vals[k])) {
				lo = fmin(lo, vals[k] * scale);
				hi = fmax(hi, vals[k] * scale);
			}
	}
	if (isfinite(c->ref)) {
		lo = fmin(lo, c->ref * scale);
		hi = fmax(hi, c->ref * scale);
	}
	if (hi <= lo)
		hi = lo + 1;
	svg_nice_range(&lo, &hi, 5);
	struct svg_frame f = {p, left, top, right, bottom, lo, hi, 0, 1};
	svg_open(p, chart_id(r, id), W, (int)(bottom + 42), c->title, c->desc);
	vgrid(&f, 5);
	if (c->v2) {
		const char *cls[2] = {c->cls, c->cls2}, *names[2] = {c->legend1, c->legend2};
		svg_legend(p, left, 16, 2, cls, names, 'b');
	}
	double x0 = svg_x(&f, lo > 0 ? lo : hi < 0 ? hi : 0);
	for (int i = 0; i < c->n; i++) {
		double y0 = top + i * rowh, yc = y0 + rowh / 2, end = x0;
		if (isfinite(c->v[i])) {
			double x1 = svg_x(&f, c->v[i] * scale);
			svg_rect(p, x0, c->v2 ? y0 + 3 : y0 + 3, x1 - x0, c->v2 ? 11 : rowh - 6, c->cls);
			end = fmax(end, x1);
		}
		if (c->v2 && isfinite(c->v2[i])) {
			double x1 = svg_x(&f, c->v2[i] * scale);
			svg_rect(p, x0, y0 + 15, x1 - x0, 11, c->cls2);
			end = fmax(end, x1);
		}
		if (c->lo && c->hi && isfinite(c->lo[i]) && isfinite(c->hi[i])) {
			double a = svg_x(&f, c->lo[i] * scale), b = svg_x(&f, c->hi[i] * scale);
			svg_line(p, a, yc, b, yc, "whisker");
			svg_line(p, a, yc - 5, a, yc + 5, "whisker");
			svg_line(p, b, yc - 5, b, yc + 5, "whisker");
			end = fmax(end, b);
		}
		const char *note = c->notes ? c->notes[i] : NULL;
		if (!note && isfinite(c->v[i])) {
			fmt_num(c->v[i] * scale, buf);
			if (c->percent)
				strcat(buf, "%");
			note = buf;
		}
		if (note)
			svg_text(p, end + 4, yc + 4, "start", "tick", note);
	}
	if (isfinite(c->ref)) {
		double x = svg_x(&f, c->ref * scale);
		svg_line(p, x, top - 6, x, bottom, "ref-line");
		svg_text(p, x, top - 9, x > W / 2.0 ? "end" : "start", "tick", c->ref_label ? c->ref_label : "");
	}
	svg_ybands(&f, c->n, lp, c->ylabel);
	svg_xaxis(&f, 5, c->xlabel);
	svg_close(p);
	free(cl);
	free(lp);
}

void chart_histogram(struct report *r, struct page *p, const char *title, const char *desc,
		     const double *edges, const double *counts, int nb, const double *qv,
		     const char *const *qlabels, int nq, const char *xlabel)
{
	char id[16];
	const int W = 560, H = 236;
	double xmin = edges[0], xmax = edges[nb], ymin = 0, ymax = 0;

	for (int i = 0; i < nb; i++)
		ymax = fmax(ymax, counts[i]);
	if (ymax <= 0)
		ymax = 1;
	svg_nice_range(&ymin, &ymax, 4);
	int flat = !(xmax > xmin);
	if (flat) {
		/* every value the same: one bar, centred, over a unit span */
		double pad = xmin ? fabs(xmin) * 0.1 : 0.5;
		xmin -= pad;
		xmax += pad;
	}
	struct svg_frame f = {p, 54, 40, W - 16, H - 42, xmin, xmax, ymin, ymax};
	svg_open(p, chart_id(r, id), W, H, title, desc);
	svg_yaxis(&f, 4, "records (count)");
	for (int i = 0; i < nb; i++) {
		if (counts[i] <= 0)
			continue;
		double x0 = flat ? svg_x(&f, edges[0]) - 20 : svg_x(&f, edges[i]);
		double x1 = flat ? x0 + 40 : svg_x(&f, edges[i + 1]);
		double w = x1 - x0 > 2 ? x1 - x0 - 1 : x1 - x0, y = svg_y(&f, counts[i]);
		svg_rect(p, x0 + (x1 - x0 > 2 ? 0.5 : 0), y, w, f.bottom - y, "bar");
	}
	/* quantile markers: labels on up to three rows, so close ones do not collide */
	double last[3] = {-1e9, -1e9, -1e9};
	for (int q = 0; q < nq; q++) {
		if (!isfinite(qv[q]))
			continue;
		double x = fmin(fmax(svg_x(&f, qv[q]), f.left), f.right), half = CHAR_W * chars(qlabels[q]) / 2 + 3;
		int row = 0;
		while (row < 2 && x - half < last[row])
			row++;
		last[row] = x + half;
		double ty = f.top - 6 - row * 11;
		svg_line(p, x, ty + 2, x, f.bottom, "q");
		/* a label at either end stays inside the picture */
		svg_text(p, fmin(fmax(x, half), W - half), ty, "middle", "tick", qlabels[q]);
	}
	svg_xaxis(&f, 6, xlabel);
	svg_close(p);
}

void chart_bins(struct report *r, struct page *p, const char *title, const char *desc, const double *edges,
		const double *ref, const double *cur, int n, const char *xlabel)
{
	char id[16], buf[32];
	const int W = 560, H = 246;
	double ymin = 0, ymax = 0;
	static const char *const cls[2] = {"ref", "cur"};
	static const char *const names[2] = {"reference (solid)", "current (dashed outline)"};

	for (int i = 0; i < n; i++)
		ymax = fmax(ymax, fmax(ref[i], cur[i]) * 100);
	if (ymax <= 0)
		ymax = 1;
	svg_nice_range(&ymin, &ymax, 4);
	struct svg_frame f = {p, 54, 32, W - 16, H - 44, 0, n, ymin, ymax};
	svg_open(p, chart_id(r, id), W, H, title, desc);
	svg_yaxis(&f, 4, "share of records (%)");
	svg_legend(p, f.left, 16, 2, cls, names, 'b');
	double bw = (f.right - f.left) / (n ? n : 1);
	for (int i = 0; i < n; i++) {
		double x0 = f.left + bw * i;
		double yr = svg_y(&f, ref[i] * 100), yc = svg_y(&f, cur[i] * 100);
		svg_rect(p, x0 + bw * 0.12, yr, bw * 0.36, f.bottom - yr, "ref");
		svg_rect(p, x0 + bw * 0.52, yc, bw * 0.36, f.bottom - yc, "cur");
	}
	svg_line(p, f.left, f.bottom, f.right, f.bottom, "axis");
	/* edges sit between bins; label as many as fit */
	double widest = 0;
	for (int j = 0; j < n - 1; j++)
		widest = fmax(widest, CHAR_W * strlen(svg_tick_label(edges[j], buf)) + 8);
	int step = bw > 0 ? (int)ceil(widest / bw) : 1;
	for (int j = 0; j < n - 1; j++) {
		double x = f.left + bw * (j + 1);
		svg_line(p, x, f.bottom, x, f.bottom + 4, "axis");
		if (j % (step ? step : 1) == 0)
			svg_text(p, x, f.bottom + 15, "middle", "tick", svg_tick_label(edges[j], buf));
	}
	svg_text(p, (f.left + f.right) / 2, f.bottom + 31, "middle", "axis-label", xlabel);
	svg_close(p);
}

static void legend_rows(struct page *p, double x, double y, double width, int n, const char *const *names)
{
	double at = x;

	for (int i = 0; i < n; i++) {
		double w = 27 + CHAR_W * chars(names[i]) + 16;
		if (at > x && at + w > x + width) {
			at = x;
			y += 16;
		}
		char cls[8];
		const char *c = cls, *name = names[i];
		snprintf(cls, sizeof cls, "s%d", i % 7);
		svg_legend(p, at, y, 1, &c, &name, 'l');
		at += w;
	}
}

static int legend_height(double width, int n, const char *const *names)
{
	double at = 0;
	int rows = n ? 1 : 0;

	for (int i = 0; i < n; i++) {
		double w = 27 + CHAR_W * chars(names[i]) + 16;
		if (at > 0 && at + w > width) {
			at = 0;
			rows++;
		}
		at += w;
	}
	return rows * 16;
}

void chart_curves(struct report *r, struct page *p, const struct curves_chart *c)
{
	char id[16], cls[8];
	const int W = 430;
	double left = 52, right = W - 16;
	int lh = legend_height(right - left, c->ns, c->names);
	int H = 12 + 300 + 44 + lh + 6;
	struct svg_frame f = {p, left, 12, right, 312, 0, 1, 0, 1};

	svg_open(p, chart_id(r, id), W, H, c->title, c->desc);
	svg_yaxis(&f, 5, c->ylabel);
	if (c->diagonal == 1)
		svg_line(p, svg_x(&f, 0), svg_y(&f, 0), svg_x(&f, 1), svg_y(&f, 1), "diag");
	else if (c->diagonal == 2 && isfinite(c->base))
		svg_line(p, svg_x(&f, 0), svg_y(&f, c->base), svg_x(&f, 1), svg_y(&f, c->base), "diag");
	for (int s = c->ns - 1; s >= 0; s--) {	/* the first series on top */
		snprintf(cls, sizeof cls, "s%d", s % 7);
		svg_series(&f, c->x[s], c->y[s], c->np[s], cls);
	}
	svg_xaxis(&f, 5, c->xlabel);
	legend_rows(p, left, f.bottom + 50, right - left, c->ns, c->names);
	svg_close(p);
}

void chart_calibration(struct report *r, struct page *p, const char *title, const char *desc, const double *mp,
		       const double *fp, const double *count, int n)
{
	char id[16];
	const int W = 430, H = 12 + 300 + 44 + 22;
	struct svg_frame f = {p, 52, 12, W - 16, 312, 0, 1, 0, 1};
	double most = 0;
	static const char *const cls[2] = {"diag", "pt"};
	static const char *const names[2] = {"perfectly calibrated", "bin (area ∝ records)"};

	for (int i = 0; i < n; i++)
		most = fmax(most, count[i]);
	svg_open(p, chart_id(r, id), W, H, title, desc);
	svg_yaxis(&f, 5, "fraction positive (0–1)");
	svg_line(p, svg_x(&f, 0), svg_y(&f, 0), svg_x(&f, 1), svg_y(&f, 1), "diag");
	svg_series(&f, mp, fp, n, "s0");
	for (int i = 0; i < n; i++)
		if (count[i] > 0 && isfinite(mp[i]) && isfinite(fp[i]))
			svg_circle(p, svg_x(&f, mp[i]), svg_y(&f, fp[i]), 2.5 + 7.5 * sqrt(count[i] / most), "pt");
	svg_xaxis(&f, 5, "mean predicted probability (0–1)");
	svg_line(p, f.left, f.bottom + 46, f.left + 22, f.bottom + 46, cls[0]);
	svg_text(p, f.left + 27, f.bottom + 50, "start", NULL, names[0]);
	double x = f.left + 27 + CHAR_W * chars(names[0]) + 20;
	svg_circle(p, x + 6, f.bottom + 46, 5, cls[1]);
	svg_text(p, x + 16, f.bottom + 50, "start", NULL, names[1]);
	svg_close(p);
}

void chart_heatmap(struct report *r, struct page *p, const char *title, const char *desc, int n,
		   const char *const *labels, const double *counts)
{
	char id[16], buf[40], cl[96], cls[8];
	double most = 0, cell = n <= 2 ? 90 : n <= 6 ? 64 : fmax(24, 420.0 / n);
	size_t maxc = 1, fit = (size_t)(cell / CHAR_W);

	for (int i = 0; i < n * n; i++)
		most = fmax(most, counts[i]);
	for (int i = 0; i < n; i++)
		maxc = chars(labels[i]) > maxc ? chars(labels[i]) : maxc;
	if (maxc > 16)
		maxc = 16;
	double left = 30 + CHAR_W * (double)maxc + 8, top = 8;
	double W = left + n * cell + 12, H = top + n * cell + 46;
	svg_open(p, chart_id(r, id), (int)ceil(W), (int)ceil(H), title, desc);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			double v = counts[i * n + j];
			/* a sequential ramp of eight steps; text dark on light cells, light on dark */
			int level = most > 0 ? (int)floor(7.999 * v / most) : 0;
			double x = left + j * cell, y = top + i * cell;
			snprintf(cls, sizeof cls, "h%d", level);
			svg_rect(p, x, y, cell - 1, cell - 1, cls);
			if (cell >= 22)
				svg_text(p, x + cell / 2, y + cell / 2 + 4, "middle", level >= 4 ? "thi" : "tlo",
					 fmt_num(v, buf));
		}
	for (int i = 0; i < n; i++) {
		svg_text(p, left - 6, top + i * cell + cell / 2 + 4, "end", "tick", clip(labels[i], 16, cl, sizeof cl));
		svg_text(p, left + i * cell + cell / 2, top + n * cell + 15, "middle", "tick",
			 clip(labels[i], fit > 2 ? fit : 2, cl, sizeof cl));
	}
	svg_text(p, left + n * cell / 2, top + n * cell + 33, "middle", "axis-label", "predicted class");
	p_puts(p, "<text transform=\"translate(12 ");
	svg_coord(p, top + n * cell / 2);
	p_puts(p, ") rotate(-90)\" text-anchor=\"middle\" class=\"axis-label\">true class</text>\n");
	svg_close(p);
}

void chart_bullet(struct report *r, struct page *p, const char *title, const char *desc, double stat,
		  double threshold, int drifted, const char *method)
{
	char id[16], buf[40], label[128];
	const int W = 560, H = 84;
	double hi = fmax(isfinite(stat) ? stat : 0, isfinite(threshold) ? threshold : 0) * 1.25, lo = 0;

	if (!(hi > 0))
		hi = 1;
	svg_nice_range(&lo, &hi, 5);
	struct svg_frame f = {p, 14, 18, W - 170, 38, lo, hi, 0, 1};
	svg_open(p, chart_id(r, id), W, H, title, desc);
	svg_rect(p, f.left, 22, f.right - f.left, 12, "track");
	if (isfinite(stat))
		svg_rect(p, f.left, 22, svg_x(&f, stat) - f.left, 12, drifted ? "badbar" : "okbar");
	if (isfinite(threshold)) {
		double x = svg_x(&f, threshold);
		svg_line(p, x, 14, x, 42, "thr");
		snprintf(label, sizeof label, "threshold %s", fmt_num(threshold, buf));
		svg_text(p, x, 10, x > (f.left + f.right) / 2 ? "end" : "start", "tick", label);
	}
	snprintf(label, sizeof label, "%s = %s: %s", method, fmt_num(stat, buf), drifted ? "drifted" : "not drifted");
	svg_text(p, f.right + 10, 32, "start", NULL, label);
	f.bottom = 42;
	snprintf(label, sizeof label, "%s (the decisive statistic)", method);
	svg_xaxis(&f, 5, label);
	svg_close(p);
}
