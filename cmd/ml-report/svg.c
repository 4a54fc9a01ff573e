/* Chart primitives: frames, axes, bars, lines and marks, written as small
 * inline SVG.  Coordinates carry at most one decimal and styling is by
 * class (see html.c), so a page of many charts stays small and follows
 * the reader's theme. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "report.h"

double svg_x(const struct svg_frame *f, double v)
{
	double span = f->xmax - f->xmin;
	return f->left + (span > 0 ? (v - f->xmin) / span : 0.5) * (f->right - f->left);
}

double svg_y(const struct svg_frame *f, double v)
{
	double span = f->ymax - f->ymin;
	return f->bottom - (span > 0 ? (v - f->ymin) / span : 0.5) * (f->bottom - f->top);
}

void svg_coord(struct page *p, double v)
{
	long tenths = lround(v * 10);

	if (!isfinite(v))
		tenths = 0;
	if (tenths % 10 == 0)
		p_printf(p, "%ld", tenths / 10);
	else
		p_printf(p, "%s%ld.%ld", tenths < 0 ? "-" : "", labs(tenths) / 10, labs(tenths) % 10);
}

void svg_open(struct page *p, const char *id, int w, int h, const char *title, const char *desc)
{
	p_printf(p, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
		    "aria-labelledby=\"%s-t %s-d\"><title id=\"%s-t\">", w, h, w, h, id, id, id);
	p_esc(p, title);
	p_printf(p, "</title><desc id=\"%s-d\">", id);
	p_esc(p, desc);
	p_puts(p, "</desc>\n");
}

void svg_close(struct page *p)
{
	p_puts(p, "</svg>\n");
}

static double nice_step(double range, int n)
{
	double raw = range / (n > 0 ? n : 1), mag = pow(10, floor(log10(raw))), f = raw / mag;

	return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

int svg_ticks(double lo, double hi, int n, double *t)
{
	int k = 0;

	if (!(hi > lo) || !isfinite(lo) || !isfinite(hi)) {
		t[0] = isfinite(lo) ? lo : 0;
		return 1;
	}
	double step = nice_step(hi - lo, n);
	for (double v = ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9 && k < 16; v += step)
		t[k++] = fabs(v) < step * 1e-9 ? 0 : v;
	return k;
}

void svg_nice_range(double *lo, double *hi, int n)
{
	if (!(*hi > *lo)) {
		double pad = *lo ? fabs(*lo) * 0.5 : 0.5;
		*lo -= pad;
		*hi += pad;
	}
	double step = nice_step(*hi - *lo, n);
	*lo = floor(*lo / step + 1e-9) * step;
	*hi = ceil(*hi / step - 1e-9) * step;
}

char *svg_tick_label(double v, char buf[32])
{
	double a = fabs(v);

	if (a >= 1e9)
		snprintf(buf, 32, "%.3gG", v / 1e9);
	else if (a >= 1e6)
		snprintf(buf, 32, "%.3gM", v / 1e6);
	else if (a >= 1e4)
		snprintf(buf, 32, "%.3gk", v / 1e3);
	else
		snprintf(buf, 32, "%.4g", v);
	return buf;
}

void svg_text(struct page *p, double x, double y, const char *anchor, const char *cls, const char *text)
{
	p_puts(p, "<text x=\"");
	svg_coord(p, x);
	p_puts(p, "\" y=\"");
	svg_coord(p, y);
	p_puts(p, "\"");
	if (anchor && strcmp(anchor, "start"))
		p_printf(p, " text-anchor=\"%s\"", anchor);
	if (cls)
		p_printf(p, " class=\"%s\"", cls);
	p_puts(p, ">");
	p_esc(p, text);
	p_puts(p, "</text>");
}

void svg_line(struct page *p, double x1, double y1, double x2, double y2, const char *cls)
{
	p_puts(p, "<line x1=\"");
	svg_coord(p, x1);
	p_puts(p, "\" y1=\"");
	svg_coord(p, y1);
	p_puts(p, "\" x2=\"");
	svg_coord(p, x2);
	p_puts(p, "\" y2=\"");
	svg_coord(p, y2);
	p_printf(p, "\" class=\"%s\"/>", cls);
}

void svg_rect(struct page *p, double x, double y, double w, double h, const char *cls)
{
	if (w < 0) {
		x += w;
		w = -w;
	}
	if (h < 0) {
		y += h;
		h = -h;
	}
	p_puts(p, "<rect x=\"");
	svg_coord(p, x);
	p_puts(p, "\" y=\"");
	svg_coord(p, y);
	p_puts(p, "\" width=\"");
	svg_coord(p, w);
	p_puts(p, "\" height=\"");
	svg_coord(p, h);
	p_printf(p, "\" class=\"%s\"/>", cls);
}

void svg_circle(struct page *p, double x, double y, double r, const char *cls)
{
	p_puts(p, "<circle cx=\"");
	svg_coord(p, x);
	p_puts(p, "\" cy=\"");
	svg_coord(p, y);
	p_puts(p, "\" r=\"");
	svg_coord(p, r);
	p_printf(p, "\" class=\"%s\"/>", cls);
}

void svg_xaxis(const struct svg_frame *f, int nticks, const char *label)
{
	double t[16];
	char buf[32];
	int n = svg_ticks(f->xmin, f->xmax, nticks, t);

	svg_line(f->p, f->left, f->bottom, f->right, f->bottom, "axis");
	for (int i = 0; i < n; i++) {
		double x = svg_x(f, t[i]);
		svg_line(f->p, x, f->bottom, x, f->bottom + 4, "axis");
		svg_text(f->p, x, f->bottom + 15, "middle", "tick", svg_tick_label(t[i], buf));
	}
	if (label)
		svg_text(f->p, (f->left + f->right) / 2, f->bottom + 31, "middle", "axis-label", label);
	p_puts(f->p, "\n");
}

void svg_yaxis(const struct svg_frame *f, int nticks, const char *label)
{
	double t[16];
	char buf[32];
	int n = svg_ticks(f->ymin, f->ymax, nticks, t);

	for (int i = 0; i < n; i++) {
		double y = svg_y(f, t[i]);
		svg_line(f->p, f->left, y, f->right, y, "grid");
		svg_text(f->p, f->left - 5, y + 4, "end", "tick", svg_tick_label(t[i], buf));
	}
	svg_line(f->p, f->left, f->top, f->left, f->bottom, "axis");
	if (label) {
		double x = 12, y = (f->top + f->bottom) / 2;
		p_puts(f->p, "<text transform=\"translate(");
		svg_coord(f->p, x);
		p_puts(f->p, " ");
		svg_coord(f->p, y);
		p_puts(f->p, ") rotate(-90)\" text-anchor=\"middle\" class=\"axis-label\">");
		p_esc(f->p, label);
		p_puts(f->p, "</text>");
	}
	p_puts(f->p, "\n");
}

void svg_xbands(const struct svg_frame *f, int n, const char *const *labels, const char *label)
{
	double w = (f->right - f->left) / (n > 0 ? n : 1);

	svg_line(f->p, f->left, f->bottom, f->right, f->bottom, "axis");
	for (int i = 0; i < n; i++)
		svg_text(f->p, f->left + w * (i + 0.5), f->bottom + 15, "middle", "tick", labels[i]);
	if (label)
		svg_text(f->p, (f->left + f->right) / 2, f->bottom + 31, "middle", "axis-label", label);
	p_puts(f->p, "\n");
}

void svg_ybands(const struct svg_frame *f, int n, const char *const *labels, const char *label)
{
	double h = (f->bottom - f->top) / (n > 0 ? n : 1);

	svg_line(f->p, f->left, f->top, f->left, f->bottom, "axis");
	for (int i = 0; i < n; i++)
		svg_text(f->p, f->left - 6, f->top + h * (i + 0.5) + 4, "end", "tick", labels[i]);
	if (label) {
		p_puts(f->p, "<text transform=\"translate(12 ");
		svg_coord(f->p, (f->top + f->bottom) / 2);
		p_puts(f->p, ") rotate(-90)\" text-anchor=\"middle\" class=\"axis-label\">");
		p_esc(f->p, label);
		p_puts(f->p, "</text>");
	}
	p_puts(f->p, "\n");
}

/* Points at a tenth of a pixel; a point on the line through its two
 * predecessors when all three share an x or a y is dropped, which is most
 * of a ROC or precision-recall curve's staircase. */
void svg_series(const struct svg_frame *f, const double *x, const double *y, int n, const char *cls)
{
	long px[3], py[3];
	int have = 0, first = 1;

	p_printf(f->p, "<path class=\"%s\" d=\"", cls);
	for (int i = 0; i <= n; i++) {
		long cx = 0, cy = 0;
		if (i < n) {
			if (!isfinite(x[i]) || !isfinite(y[i]))
				continue;
			cx = lround(svg_x(f, x[i]) * 10);
			cy = lround(svg_y(f, y[i]) * 10);
			if (have && cx == px[have - 1] && cy == py[have - 1])
				continue;
			if (have == 2 && ((px[0] == px[1] && px[1] == cx) || (py[0] == py[1] && py[1] == cy))) {
				px[1] = cx;
				py[1] = cy;
				continue;
			}
		}
		/* the oldest point is now fixed: write it */
		if (have == 2 || (i == n && have)) {
			int upto = i == n ? have : 1;
			for (int k = 0; k < upto; k++) {
				p_puts(f->p, first ? "M" : " L");
				first = 0;
				svg_coord(f->p, px[k] / 10.0);
				p_puts(f->p, " ");
				svg_coord(f->p, py[k] / 10.0);
			}
			if (i == n)
				break;
			px[0] = px[1];
			py[0] = py[1];
			have = 1;
		}
		px[have] = cx;
		py[have] = cy;
		have++;
	}
	p_puts(f->p, "\"/>\n");
}

void svg_mark(struct page *p, double x, double y, enum svg_shape s, const char *cls)
{
	switch (s) {
	case SHAPE_CIRCLE:
		svg_circle(p, x, y, 6, cls);
		return;
	case SHAPE_SQUARE:
		svg_rect(p, x - 5, y - 5, 10, 10, cls);
		return;
	case SHAPE_TRIANGLE:
		p_puts(p, "<path d=\"M");
		svg_coord(p, x);
		p_puts(p, " ");
		svg_coord(p, y - 7);
		p_puts(p, " L");
		svg_coord(p, x + 7);
		p_puts(p, " ");
		svg_coord(p, y + 5);
		p_puts(p, " L");
		svg_coord(p, x - 7);
		p_puts(p, " ");
		svg_coord(p, y + 5);
		p_printf(p, " Z\" class=\"%s\"/>", cls);
		return;
	case SHAPE_CROSS:
		p_puts(p, "<path d=\"M");
		svg_coord(p, x - 5.5);
		p_puts(p, " ");
		svg_coord(p, y - 5.5);
		p_puts(p, " L");
		svg_coord(p, x + 5.5);
		p_puts(p, " ");
		svg_coord(p, y + 5.5);
		p_puts(p, " M");
		svg_coord(p, x + 5.5);
		p_puts(p, " ");
		svg_coord(p, y - 5.5);
		p_puts(p, " L");
		svg_coord(p, x - 5.5);
		p_puts(p, " ");
		svg_coord(p, y + 5.5);
		p_printf(p, "\" class=\"%s\"/>", cls);
		return;
	case SHAPE_ROLLBACK:
		/* an open circle turning anticlockwise, with its arrowhead: ↺ */
		p_puts(p, "<path d=\"M");
		svg_coord(p, x - 2.5);
		p_puts(p, " ");
		svg_coord(p, y - 5.5);
		p_puts(p, " A6 6 0 1 0 ");
		svg_coord(p, x + 5.2);
		p_puts(p, " ");
		svg_coord(p, y - 3);
		p_puts(p, " M");
		svg_coord(p, x - 2.5);
		p_puts(p, " ");
		svg_coord(p, y - 5.5);
		p_puts(p, " l4.5 -3.2 M");
		svg_coord(p, x - 2.5);
		p_puts(p, " ");
		svg_coord(p, y - 5.5);
		p_printf(p, " l3.2 4.2\" class=\"%s\"/>", cls);
		return;
	}
}

void svg_legend(struct page *p, double x, double y, int n, const char *const *cls, const char *const *labels,
		char kind)
{
	for (int i = 0; i < n; i++) {
		if (kind == 'l')
			svg_line(p, x, y - 4, x + 22, y - 4, cls[i]);
		else
			svg_rect(p, x, y - 10, 12, 12, cls[i]);
		double sw = kind == 'l' ? 27 : 17;
		svg_text(p, x + sw, y, "start", NULL, labels[i]);
		/* about 6.2 px a character at 11 px: room enough, never overlapping */
		x += sw + 6.2 * (double)ml_utf8_chars(labels[i], strlen(labels[i])) + 16;
	}
	p_puts(p, "\n");
}
