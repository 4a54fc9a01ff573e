/* ml-report's parts: the artifacts read (artifact.c), the text being
 * written (html.c), chart primitives (svg.c), one file per section, and the
 * plain-text summary (text.c).
 *
 * Artifacts are kept as libjq values: they are small next to the data they
 * describe, and each section reads a handful of nested keys.  The j_*
 * accessors borrow: what they return lives as long as the value it came
 * from and is never freed by the caller. */
#ifndef REPORT_H
#define REPORT_H

#include <jv.h>
#include <stddef.h>
#include <stdint.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_sha256.h"

enum art_kind {
	ART_PROFILE,
	ART_DRIFT,
	ART_METRICS,
	ART_CURVES,
	ART_BUNDLE,
	ART_EVENTS,
	ART_RUNS,
	ART_LINEAGE,
	ART_KINDS
};

struct artifact {
	enum art_kind kind;
	size_t input;		/* the input it came from: its index in struct report's in */
	uint64_t line;		/* where it starts in source; 0 for a bundle or a registry */
	jv lines;		/* its NDJSON lines (objects); a bundle's: its training profile */
	jv manifest, metrics, preprocess;	/* a bundle's members; else null */
	char sha256[ML_SHA256_ID_SIZE];		/* a bundle's */
};

/* One FILE argument, as the run log and the page's footer name it. */
struct input {
	char *path;		/* as given; "-" for standard input */
	char *name;		/* for people: the path, or "<stdin>" */
	uint64_t bytes;
	int64_t records;	/* lines read; -1 for a bundle */
	char sha256[ML_SHA256_ID_SIZE];
};

struct report {
	struct artifact *art;
	size_t nart;
	struct input *in;
	size_t nin;
	const char *title;
	char **columns;		/* --columns, or none */
	size_t ncolumns;
	unsigned chart_seq;	/* numbers the charts' ids, so the page is deterministic */
};

/* artifact.c */
/* Reads one FILE argument ("-": standard input; a directory: a registry)
 * and appends its artifacts and its input; 0, -1 with err naming the place
 * (FILE:LINE) of what is wrong, or 1 with err when the file could not be
 * opened or read from its start (nothing is appended: the caller may name
 * it and go on). */
int report_read(struct report *r, const char *path, struct ml_err *err);
void report_free(struct report *r);
/* The format name of a kind: "mlpipe.profile", ... */
const char *art_format(enum art_kind k);
/* The name for people of the input an artifact came from. */
const char *art_source(const struct report *r, const struct artifact *a);
/* Whether any artifact is of kind k (a bundle counts for ART_BUNDLE only). */
int report_has(const struct report *r, enum art_kind k);
/* Whether --columns lets column name through. */
int report_wants_column(const struct report *r, const char *name);
/* Checks that every --columns name is a column of some profile or drift
 * result (a typo is not a quiet empty section); 0, or -1 with err. */
int report_check_columns(const struct report *r, struct ml_err *err);

/* Borrowed access to libjq values; a missing key or a wrong kind gives
 * jv_invalid(), NULL, 0 or the default. */
jv j_get(jv obj, const char *key);
jv j_at(jv arr, int i);
int j_len(jv arr);
int j_kind(jv v);
double j_num(jv v, double dflt);
const char *j_str(jv v);
double j_numk(jv obj, const char *key, double dflt);
const char *j_strk(jv obj, const char *key);
/* The i-th key of an object, in the order written, and its value. */
int j_nkeys(jv obj);
const char *j_key(jv obj, int i, jv *value);

/* html.c: the growing page (or text), which remembers running out of memory. */
struct page {
	struct ml_buf b;
	int oom;
};
void p_puts(struct page *p, const char *s);
void p_putn(struct page *p, const char *s, size_t n);
void p_printf(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s with & < > " ' escaped, for text and attribute values alike. */
void p_esc(struct page *p, const char *s);
/* A number for people: integers whole, others to about 4 digits. */
void p_num(struct page *p, double v);
char *fmt_num(double v, char buf[40]);
/* A short form of a "sha256:HEX" id: its first 12 hex digits. */
char *short_id(const char *id, char buf[16]);
/* Writes the whole HTML page of r into p. */
void html_page(struct report *r, struct page *p);
/* Section frame: <section id=ID><h2>TITLE</h2> ... </section>. */
void html_section_open(struct page *p, const char *id, const char *title);
void html_section_close(struct page *p);
/* <figure class=CLS><figcaption>: the caller writes the caption, then
 * html_caption_end, the chart and its data, then html_figure_close. */
void html_figure_open(struct page *p, const char *cls);
void html_caption_end(struct page *p);
void html_figure_close(struct page *p);
/* A badge: a word in a coloured box, so colour is never alone. */
void html_badge(struct page *p, const char *cls, const char *word);
/* Starts/ends a <details><summary>data</summary><table> of plotted numbers. */
void html_data_open(struct page *p, const char *summary, const char *const *heads, int n);
void html_data_close(struct page *p);
/* A new chart id ("c12") in buf. */
const char *chart_id(struct report *r, char buf[16]);

/* svg.c: chart primitives.  A frame maps data to the plot area. */
struct svg_frame {
	struct page *p;
	double left, top, right, bottom;	/* the plot area, in px */
	double xmin, xmax, ymin, ymax;		/* the data it shows */
};
double svg_x(const struct svg_frame *f, double v);
double svg_y(const struct svg_frame *f, double v);
/* <svg role="img"> with its <title> and <desc> (plain text, escaped here). */
void svg_open(struct page *p, const char *id, int w, int h, const char *title, const char *desc);
void svg_close(struct page *p);
/* Nice tick values over [lo, hi]: about n of them into t (at most 16). */
int svg_ticks(double lo, double hi, int n, double *t);
/* Widens [*lo, *hi] to tick values, so bars and lines end on the grid. */
void svg_nice_range(double *lo, double *hi, int n);
/* Axes with ticks, tick labels, grid lines and a label (units included). */
void svg_xaxis(const struct svg_frame *f, int nticks, const char *label);
void svg_yaxis(const struct svg_frame *f, int nticks, const char *label);
/* Category axes: n equal bands, labels centred on them. */
void svg_xbands(const struct svg_frame *f, int n, const char *const *labels, const char *label);
void svg_ybands(const struct svg_frame *f, int n, const char *const *labels, const char *label);
void svg_rect(struct page *p, double x, double y, double w, double h, const char *cls);
void svg_line(struct page *p, double x1, double y1, double x2, double y2, const char *cls);
void svg_text(struct page *p, double x, double y, const char *anchor, const char *cls, const char *text);
/* A line through data points, skipping those that land on the same pixel. */
void svg_series(const struct svg_frame *f, const double *x, const double *y, int n, const char *cls);
void svg_circle(struct page *p, double x, double y, double r, const char *cls);
enum svg_shape { SHAPE_CIRCLE, SHAPE_TRIANGLE, SHAPE_CROSS, SHAPE_ROLLBACK, SHAPE_SQUARE };
void svg_mark(struct page *p, double x, double y, enum svg_shape s, const char *cls);
/* A legend row at (x, y): swatch classes and labels; kind 'l' line, 'b' box. */
void svg_legend(struct page *p, double x, double y, int n, const char *const *cls,
		const char *const *labels, char kind);
/* A number as an SVG coordinate: at most one decimal. */
void svg_coord(struct page *p, double v);
/* A tick label: compact (12k, 1.5M). */
char *svg_tick_label(double v, char buf[32]);

/* charts.c: the charts the sections draw, over svg.c's primitives.  Each
 * writes one <svg> with its title and text alternative. */
struct hbars {
	const char *title, *desc, *xlabel, *ylabel;
	int n;
	const char *const *labels;
	const double *v;		/* bar lengths */
	const double *lo, *hi;		/* confidence whiskers, or NULL */
	const char *const *notes;	/* text after each bar; NULL: the value */
	const char *cls;		/* the bars' class ("bar") */
	const double *v2;		/* a second bar per row (drift's current), or NULL */
	const char *cls2, *legend1, *legend2;
	double ref;			/* a reference line (NAN: none) and its label */
	const char *ref_label;
	int percent;			/* values are shares: axis in % */
};
void chart_hbars(struct report *r, struct page *p, const struct hbars *c);
/* A histogram over nb bins with edges[nb + 1]; nq quantile markers. */
void chart_histogram(struct report *r, struct page *p, const char *title, const char *desc,
		     const double *edges, const double *counts, int nb, const double *qv,
		     const char *const *qlabels, int nq, const char *xlabel);
/* Reference and current shares over n bins cut at edges[n - 1] (drift). */
void chart_bins(struct report *r, struct page *p, const char *title, const char *desc, const double *edges,
		const double *ref, const double *cur, int n, const char *xlabel);
/* Curves on [0, 1] x [0, 1]: ns series of np[i] points; diagonal: the
 * chance line y = x (1) or y = base (2, at *base). */
struct curves_chart {
	const char *title, *desc, *xlabel, *ylabel;
	int ns;
	const double *const *x, *const *y;
	const int *np;
	const char *const *names;
	int diagonal;
	double base;
};
void chart_curves(struct report *r, struct page *p, const struct curves_chart *c);
/* Calibration: mean predicted probability against fraction positive, a
 * point per bin sized by its count. */
void chart_calibration(struct report *r, struct page *p, const char *title, const char *desc, const double *mp,
		       const double *fp, const double *count, int n);
/* A confusion matrix: n x n counts, rows true, columns predicted. */
void chart_heatmap(struct report *r, struct page *p, const char *title, const char *desc, int n,
		   const char *const *labels, const double *counts);
/* A statistic against its threshold: a bullet bar. */
void chart_bullet(struct report *r, struct page *p, const char *title, const char *desc, double stat,
		  double threshold, int drifted, const char *method);

/* The sections (html), each given the whole report. */
void section_profile(struct report *r, struct page *p);
void section_drift(struct report *r, struct page *p);
void section_evaluation(struct report *r, struct page *p);
void section_model(struct report *r, struct page *p);
void section_registry(struct report *r, struct page *p);
void section_runs(struct report *r, struct page *p);
void section_lineage(struct report *r, struct page *p);
/* profile.c: a profile's overview table, also used for a bundle's. */
void profile_table(struct report *r, struct page *p, jv lines);

/* evaluation.c: the main metric of a task ("auc", "accuracy", "r2"). */
const char *main_metric(jv line);
/* drift.c: the order drift results are shown in (drifted first, then by
 * statistic over threshold); an array of line indices, malloc'd. */
int *drift_order(jv lines, int *n);

/* text.c */
void text_report(struct report *r, struct page *p);

#endif
