/* -f text: the report for a terminal or a cron mail, with Unicode bars. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_json.h"
#include "report.h"

#define BAR_W 20

/* s padded with spaces to width characters (not bytes), or cut. */
static void pad(struct page *p, const char *s, size_t width)
{
	size_t n = 0, i = 0;

	if (!s)
		s = "";
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80 && n++ == width)
			break;
	}
	p_putn(p, s, i);
	for (; n < width; n++)
		p_puts(p, " ");
}

/* A bar of v over [0, max] in eighths of a character. */
static void bar(struct page *p, double v, double max, int width)
{
	static const char *const part[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
	long eighths = max > 0 && isfinite(v) && v > 0 ? lround(fmin(v / max, 1) * width * 8) : 0;
	int used = 0;

	for (long i = 0; i < eighths / 8; i++, used++)
		p_puts(p, "█");
	if (eighths % 8) {
		p_puts(p, part[eighths % 8]);
		used++;
	}
	for (; used < width; used++)
		p_puts(p, " ");
}

static void sparkline(struct page *p, jv counts)
{
	static const char *const level[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	double max = 0;

	for (int i = 0; i < j_len(counts); i++)
		max = fmax(max, j_num(j_at(counts, i), 0));
	for (int i = 0; i < j_len(counts); i++) {
		double c = j_num(j_at(counts, i), 0);
		p_puts(p, c <= 0 || max <= 0 ? " " : level[(int)fmin(7, floor(c / max * 7.999))]);
	}
}

static void heading(struct page *p, const char *title, const char *source)
{
	size_t n = ml_utf8_chars(title, strlen(title)) + (source ? 2 + ml_utf8_chars(source, strlen(source)) : 0);

	p_printf(p, "\n%s%s%s\n", title, source ? ": " : "", source ? source : "");
	for (size_t i = 0; i < n; i++)
		p_puts(p, "-");
	p_puts(p, "\n");
}

static void profile(struct report *r, struct page *p, const struct artifact *a)
{
	jv head = j_at(a->lines, 0);
	char x[40], y[40];

	heading(p, "Data profile", art_source(r, a));
	p_printf(p, "%s records, %s columns\n", fmt_num(j_numk(head, "records", NAN), x),
		 fmt_num(j_numk(head, "columns", NAN), y));
	for (int i = 1; i < j_len(a->lines); i++) {
		jv c = j_at(a->lines, i), num = j_get(c, "number"), str = j_get(c, "string"), b = j_get(c, "boolean");
		const char *name = j_strk(c, "column");
		if (!name || !report_wants_column(r, name))
			continue;
		double rec = j_numk(c, "records", 0), miss = j_numk(c, "missing", 0);
		p_puts(p, "  ");
		pad(p, name, 20);
		p_printf(p, " missing %5.1f%%  ", rec > 0 ? miss / rec * 100 : 0);
		if (j_kind(num) == JV_KIND_OBJECT && j_numk(num, "count", 0) > 0) {
			sparkline(p, j_get(j_get(num, "histogram"), "counts"));
			p_printf(p, "  mean %s", fmt_num(j_numk(num, "mean", NAN), x));
		} else if (j_kind(str) == JV_KIND_OBJECT && j_numk(str, "count", 0) > 0) {
			jv top = j_at(j_get(str, "top"), 0);
			p_printf(p, "%s distinct, top \"", fmt_num(j_numk(str, "distinct", NAN), x));
			p_puts(p, j_strk(top, "value") ? j_strk(top, "value") : "?");
			p_printf(p, "\" %s", fmt_num(j_numk(top, "count", NAN), y));
		} else if (j_kind(b) == JV_KIND_OBJECT) {
			p_printf(p, "true %s, false %s", fmt_num(j_numk(b, "true", 0), x), fmt_num(j_numk(b, "false", 0), y));
		} else {
			p_puts(p, "no values");
		}
		p_puts(p, "\n");
	}
}

static void drift(struct report *r, struct page *p, const struct artifact *a)
{
	int n;
	int *order = drift_order(a->lines, &n);
	char x[40], y[40];

	heading(p, "Drift", art_source(r, a));
	for (int i = j_len(a->lines) - 1; i >= 0; i--) {
		jv s = j_at(a->lines, i);
		const char *kind = j_strk(s, "kind");
		if (!kind || strcmp(kind, "summary"))
			continue;
		p_printf(p, "%s: %s of %s columns drifted", j_kind(j_get(s, "drift")) == JV_KIND_TRUE ? "DRIFT" : "no drift",
			 fmt_num(j_numk(s, "drifted", NAN), x), fmt_num(j_numk(s, "columns", NAN), y));
		if (isfinite(j_numk(s, "share", NAN)))
			p_printf(p, " (limit %.0f%%)", j_numk(s, "share", NAN) * 100);
		p_puts(p, "\n");
		break;
	}
	if (!order) {
		p->oom = 1;
		return;
	}
	/* the bar's middle is the threshold: past the middle is drifted.  A
	 * test decides by its p-value (drift when below the threshold), so
	 * its bar is -log10 p against -log10 of the threshold. */
	p_puts(p, "  column               method    decided by   threshold  bar (threshold: half)  drifted\n");
	for (int k = 0; k < n; k++) {
		jv l = j_at(a->lines, order[k]);
		if (!report_wants_column(r, j_strk(l, "column")))
			continue;
		double pv = j_numk(l, "p_value", NAN), st = isfinite(pv) ? pv : j_numk(l, "statistic", NAN),
		       th = j_numk(l, "threshold", NAN);
		p_puts(p, "  ");
		pad(p, j_strk(l, "column"), 20);
		p_puts(p, " ");
		pad(p, j_strk(l, "method") ? j_strk(l, "method") : "-", 8);
		if (isfinite(pv)) {
			char pvs[48];
			snprintf(pvs, sizeof pvs, "p %s", fmt_num(pv, x));
			p_printf(p, " %11s %11s  ", pvs, fmt_num(th, y));
			double lp = -log10(pv > 1e-300 ? pv : 1e-300), lt = -log10(th);
			bar(p, lp, isfinite(lt) && lt > 0 ? lt * 2 : lp, BAR_W);
		} else {
			p_printf(p, " %11s %11s  ", fmt_num(st, x), fmt_num(th, y));
			bar(p, st, isfinite(th) && th > 0 ? th * 2 : st, BAR_W);
		}
		p_printf(p, "   %s\n", j_kind(j_get(l, "drifted")) == JV_KIND_TRUE ? "DRIFTED" : "ok");
	}
	free(order);
}

static void evaluation(struct report *r, struct page *p, const struct artifact *a)
{
	jv o = j_at(a->lines, 0);
	const char *metric = main_metric(o);
	char x[40], y[40], key[80];

	heading(p, "Evaluation", art_source(r, a));
	p_printf(p, "%s, label %s, %s records\n", j_strk(o, "task") ? j_strk(o, "task") : "?",
		 j_strk(o, "label") ? j_strk(o, "label") : "?", fmt_num(j_numk(o, "records", NAN), x));
	for (int i = 0; i < j_nkeys(o); i++) {
		jv v;
		const char *k = j_key(o, i, &v);
		size_t n = k ? strlen(k) : 0;
		if (!k || j_kind(v) != JV_KIND_NUMBER || !strcmp(k, "version") || !strcmp(k, "records") ||
		    !strcmp(k, "threshold") || !strcmp(k, "bootstrap") || !strcmp(k, "confidence") ||
		    (n > 3 && !strcmp(k + n - 3, "_ci")))
			continue;
		snprintf(key, sizeof key, "%s_ci", k);
		jv ci = j_get(o, key);
		p_puts(p, "  ");
		pad(p, k, 20);
		p_printf(p, " %10s", fmt_num(j_num(v, NAN), x));
		if (j_len(ci) == 2)
			p_printf(p, "  [%s, %s]", fmt_num(j_num(j_at(ci, 0), NAN), x), fmt_num(j_num(j_at(ci, 1), NAN), y));
		p_puts(p, "\n");
	}
	double max = 0;
	for (int i = 1; i < j_len(a->lines); i++)
		max = fmax(max, j_numk(j_at(a->lines, i), metric, 0));
	const char *by = NULL;
	for (int i = 1; i < j_len(a->lines); i++) {
		jv l = j_at(a->lines, i);
		const char *b = j_strk(l, "by");
		if (!b)
			continue;
		if (!by || strcmp(by, b))
			p_printf(p, "  %s by %s:\n", metric, b);
		by = b;
		p_puts(p, "    ");
		pad(p, j_strk(l, "value"), 18);
		p_puts(p, " ");
		bar(p, j_numk(l, metric, NAN), max, BAR_W);
		p_printf(p, " %s  (%s records)\n", fmt_num(j_numk(l, metric, NAN), x), fmt_num(j_numk(l, "records", NAN), y));
	}
}

struct imp {
	const char *name;
	double v;
};

static int by_value(const void *a, const void *b)
{
	const struct imp *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void model(struct report *r, struct page *p, const struct artifact *a)
{
	jv m = a->manifest, imp = j_get(a->metrics, "importance"), cv = j_get(a->metrics, "cv");
	char x[40], y[40], id[16];
	int n = 0;

	heading(p, "Model", art_source(r, a));
	p_printf(p, "%s %s model of %s, trained on %s records; bundle %s\n",
		 j_strk(m, "algorithm") ? j_strk(m, "algorithm") : "?", j_strk(m, "task") ? j_strk(m, "task") : "?",
		 j_strk(m, "target") ? j_strk(m, "target") : "?",
		 fmt_num(j_numk(j_get(m, "training"), "records", NAN), x), short_id(a->sha256, id));
	if (j_kind(cv) == JV_KIND_OBJECT)
		p_printf(p, "cross-validation: %s %s ± %s over %.0f folds\n", j_strk(cv, "metric") ? j_strk(cv, "metric") : "?",
			 fmt_num(j_numk(cv, "mean", NAN), x), fmt_num(j_numk(cv, "std", NAN), y), j_numk(cv, "folds", 0));
	struct imp *v = calloc((size_t)j_len(imp) + 1, sizeof *v);
	if (!v) {
		p->oom = 1;
		return;
	}
	for (int i = 0; i < j_len(imp); i++) {
		jv e = j_at(imp, i);
		if (j_strk(e, "feature") && isfinite(j_numk(e, "mean_abs_contribution", NAN))) {
			v[n].name = j_strk(e, "feature");
			v[n++].v = j_numk(e, "mean_abs_contribution", NAN);
		}
	}
	qsort(v, (size_t)n, sizeof *v, by_value);
	if (n)
		p_puts(p, "importance (mean |contribution|), the top 10:\n");
	for (int i = 0; i < n && i < 10; i++) {
		p_puts(p, "  ");
		pad(p, v[i].name, 20);
		p_puts(p, " ");
		bar(p, v[i].v, v[0].v, BAR_W);
		p_printf(p, " %s\n", fmt_num(v[i].v, x));
	}
	free(v);
}

static void registry(struct report *r, struct page *p, const struct artifact *a)
{
	static const char *const ev[][2] = {{"register", "○"}, {"promote", "▲"}, {"reject", "✕"}, {"rollback", "↺"}};
	int total = j_len(a->lines);
	char x[16], y[16];

	heading(p, "Registry", art_source(r, a));
	p_printf(p, "%d events%s\n", total, total > 20 ? ", the last 20:" : "");
	for (int i = total > 20 ? total - 20 : 0; i < total; i++) {
		jv e = j_at(a->lines, i), gates = j_get(e, "gates");
		const char *name = j_strk(e, "event"), *sym = "■";
		for (size_t k = 0; k < sizeof ev / sizeof *ev; k++)
			if (name && !strcmp(name, ev[k][0]))
				sym = ev[k][1];
		p_printf(p, "  #%-4.0f %s %s ", j_numk(e, "seq", NAN), j_strk(e, "time") ? j_strk(e, "time") : "?", sym);
		pad(p, name ? name : "?", 9);
		p_puts(p, " ");
		pad(p, j_strk(e, "stage") ? j_strk(e, "stage") : "-", 12);
		if (j_strk(e, "before") || j_strk(e, "after"))
			p_printf(p, " %s → %s", j_strk(e, "before") ? short_id(j_strk(e, "before"), x) : "(empty)",
				 j_strk(e, "after") ? short_id(j_strk(e, "after"), y) : "(empty)");
		else if (j_strk(e, "model"))
			p_printf(p, " %s", short_id(j_strk(e, "model"), x));
		if (j_strk(e, "reason"))
			p_printf(p, "  \"%s\"", j_strk(e, "reason"));
		for (int g = 0; g < j_len(gates); g++)
			if (j_kind(j_get(j_at(gates, g), "pass")) != JV_KIND_TRUE)
				p_printf(p, "  failed %s", j_strk(j_at(gates, g), "gate") ? j_strk(j_at(gates, g), "gate") : "?");
		p_puts(p, "\n");
	}
}

static void runs(struct report *r, struct page *p, const struct artifact *a)
{
	int total = j_len(a->lines);
	const char *tools[64];
	int n = 0, count[64] = {0}, failed[64] = {0};

	heading(p, "Runs", art_source(r, a));
	for (int i = 0; i < total; i++) {
		jv run = j_at(a->lines, i);
		const char *t = j_strk(run, "tool") ? j_strk(run, "tool") : "?";
		int k = 0;
		while (k < n && strcmp(tools[k], t))
			k++;
		if (k == n && n < 64)
			tools[n++] = t;
		if (k < n) {
			count[k]++;
			failed[k] += j_numk(run, "exit", -1) != 0;
		}
	}
	for (int k = 0; k < n; k++) {
		p_puts(p, "  ");
		pad(p, tools[k], 14);
		p_printf(p, " %5d run%s, %d with an exit status other than 0\n", count[k], count[k] == 1 ? " " : "s",
			 failed[k]);
	}
	p_printf(p, "the last %d:\n", total < 10 ? total : 10);
	for (int i = total > 10 ? total - 10 : 0; i < total; i++) {
		jv run = j_at(a->lines, i);
		double ex = j_numk(run, "exit", NAN);
		p_printf(p, "  %s  ", j_strk(run, "start") ? j_strk(run, "start") : "?");
		pad(p, j_strk(run, "tool"), 12);
		if (isfinite(ex))
			p_printf(p, " exit %.0f", ex);
		else
			p_puts(p, " exit -");
		p_printf(p, "  %.3fs\n", j_numk(run, "duration_s", 0));
	}
}

void text_report(struct report *r, struct page *p)
{
	static const enum art_kind order[] = {ART_PROFILE, ART_DRIFT, ART_METRICS, ART_BUNDLE, ART_EVENTS, ART_RUNS};

	p_puts(p, r->title);
	p_puts(p, "\n");
	for (size_t i = 0; i < ml_utf8_chars(r->title, strlen(r->title)); i++)
		p_puts(p, "=");
	p_puts(p, "\n");
	for (size_t k = 0; k < sizeof order / sizeof *order; k++)
		for (size_t i = 0; i < r->nart; i++) {
			const struct artifact *a = &r->art[i];
			if (a->kind != order[k])
				continue;
			switch (a->kind) {
			case ART_PROFILE: profile(r, p, a); break;
			case ART_DRIFT: drift(r, p, a); break;
			case ART_METRICS: evaluation(r, p, a); break;
			case ART_BUNDLE: model(r, p, a); break;
			case ART_EVENTS: registry(r, p, a); break;
			case ART_RUNS: runs(r, p, a); break;
			default: break;
			}
		}
}
