/* The model section: what a bundle holds, how it was trained and on what,
 * and which features it leans on. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* A JSON value in a cell: strings bare, the rest as written. */
static void value(struct page *p, jv v)
{
	if (j_str(v)) {
		p_esc(p, j_str(v));
	} else if (j_kind(v) == JV_KIND_NUMBER) {
		p_num(p, j_num(v, NAN));
	} else if (j_kind(v) != JV_KIND_INVALID) {
		jv s = jv_dump_string(jv_copy(v), 0);
		p_esc(p, jv_string_value(s));
		jv_free(s);
	} else {
		p_puts(p, "–");
	}
}

static void kv(struct page *p, const char *key, jv v)
{
	if (j_kind(v) == JV_KIND_INVALID)
		return;
	p_puts(p, "<dt>");
	p_esc(p, key);
	p_puts(p, "</dt><dd>");
	value(p, v);
	p_puts(p, "</dd>");
}

static jv preprocess_of(jv pre, const char *name)
{
	jv feats = j_get(pre, "features");

	for (int i = 0; i < j_len(feats); i++) {
		const char *n = j_strk(j_at(feats, i), "name");
		if (n && name && !strcmp(n, name))
			return j_at(feats, i);
	}
	return jv_invalid();
}

static void features(struct page *p, jv man, jv pre)
{
	jv feats = j_get(man, "features");
	int standardize = j_kind(j_get(pre, "standardize")) == JV_KIND_TRUE;

	p_puts(p, "<h4>Features</h4>\n<div class=\"wide\"><table><thead><tr><th scope=\"col\">feature</th>"
		  "<th scope=\"col\">kind</th><th scope=\"col\" class=\"n\">model columns</th>"
		  "<th scope=\"col\">encoding</th></tr></thead><tbody>\n");
	for (int i = 0; i < j_len(feats); i++) {
		jv f = j_at(feats, i), e = preprocess_of(pre, j_strk(f, "name")), vals = j_get(e, "values");
		const char *kind = j_strk(f, "kind");
		p_puts(p, "<tr><th scope=\"row\">");
		p_esc(p, j_strk(f, "name"));
		p_puts(p, "</th><td>");
		p_esc(p, kind ? kind : "–");
		p_puts(p, "</td><td class=\"n\">");
		p_num(p, j_numk(f, "columns", NAN));
		p_puts(p, "</td><td>");
		if (j_kind(vals) == JV_KIND_ARRAY) {
			p_printf(p, "one-hot over %d values: ", j_len(vals));
			for (int k = 0; k < j_len(vals) && k < 12; k++) {
				p_puts(p, k ? ", " : "");
				value(p, j_at(vals, k));
			}
			p_puts(p, j_len(vals) > 12 ? ", …" : "");
			p_puts(p, " (and one column for any other)");
		} else if (isfinite(j_numk(e, "mean", NAN))) {
			p_puts(p, standardize ? "standardised: mean " : "as is (mean ");
			p_num(p, j_numk(e, "mean", NAN));
			p_puts(p, ", std ");
			p_num(p, j_numk(e, "std", NAN));
			p_puts(p, standardize ? "" : ")");
		} else {
			p_puts(p, kind && !strcmp(kind, "number") ? "as is" : "–");
		}
		p_puts(p, "</td></tr>\n");
	}
	p_puts(p, "</tbody></table></div>\n");
}

static void training(struct page *p, jv met, jv man)
{
	jv tr = j_get(met, "training"), cv = j_get(met, "cv"), search = j_get(met, "search");

	if (j_kind(tr) == JV_KIND_OBJECT) {
		p_puts(p, "<h4>Training metrics</h4>\n<p class=\"muted\">On the training records: optimistic, "
			  "a check that the model learned, not how well it will do.</p>\n<table><tbody>\n");
		for (int i = 0; i < j_nkeys(tr); i++) {
			jv v;
			const char *k = j_key(tr, i, &v);
			p_puts(p, "<tr><th scope=\"row\">");
			p_esc(p, k);
			p_puts(p, "</th><td class=\"n\">");
			value(p, v);
			p_puts(p, "</td></tr>\n");
		}
		p_puts(p, "</tbody></table>\n");
	}
	if (j_kind(cv) == JV_KIND_OBJECT) {
		p_puts(p, "<p><strong>Cross-validation:</strong> ");
		p_num(p, j_numk(cv, "folds", NAN));
		p_puts(p, " folds, ");
		p_esc(p, j_strk(cv, "metric"));
		p_puts(p, " ");
		p_num(p, j_numk(cv, "mean", NAN));
		p_puts(p, " ± ");
		p_num(p, j_numk(cv, "std", NAN));
		p_puts(p, " (mean ± standard deviation over the folds).</p>\n");
	}
	if (j_len(search)) {
		jv chosen = j_get(man, "params");
		jv cs = jv_dump_string(jv_copy(chosen), JV_PRINT_SORTED);
		p_puts(p, "<h4>Parameter search</h4>\n<div class=\"wide\"><table><thead><tr><th scope=\"col\">"
			  "parameters</th><th scope=\"col\">metric</th><th scope=\"col\" class=\"n\">mean</th>"
			  "<th scope=\"col\" class=\"n\">std</th><th scope=\"col\">chosen</th></tr></thead><tbody>\n");
		for (int i = 0; i < j_len(search); i++) {
			jv s = j_at(search, i), ps = j_get(s, "params");
			jv d = jv_dump_string(jv_copy(ps), JV_PRINT_SORTED);
			int is = !strcmp(jv_string_value(d), jv_string_value(cs));
			p_puts(p, "<tr><td><code>");
			for (int k = 0; k < j_nkeys(ps); k++) {
				jv v;
				const char *key = j_key(ps, k, &v);
				p_puts(p, k ? ", " : "");
				p_esc(p, key);
				p_puts(p, "=");
				value(p, v);
			}
			p_puts(p, "</code></td><td>");
			p_esc(p, j_strk(s, "metric"));
			p_puts(p, "</td><td class=\"n\">");
			p_num(p, j_numk(s, "mean", NAN));
			p_puts(p, "</td><td class=\"n\">");
			p_num(p, j_numk(s, "std", NAN));
			p_puts(p, "</td><td>");
			if (is)
				html_badge(p, "ok", "✓ chosen");
			p_puts(p, "</td></tr>\n");
			jv_free(d);
		}
		p_puts(p, "</tbody></table></div>\n");
		jv_free(cs);
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

static void importance(struct report *r, struct page *p, jv met, const char *key, const char *what,
		       const char *unit)
{
	jv imp = j_get(met, "importance");
	int n = 0, total = j_len(imp);
	struct imp *v = calloc((size_t)total + 1, sizeof *v);
	const char **labels = calloc((size_t)total + 1, sizeof *labels);
	double *vals = calloc((size_t)total + 1, sizeof *vals);
	struct ml_buf d = {0};
	char t[200], a[40];

	if (!v || !labels || !vals) {
		p->oom = 1;
		goto out;
	}
	for (int i = 0; i < total; i++) {
		jv e = j_at(imp, i);
		if (!j_strk(e, "feature") || !isfinite(j_numk(e, key, NAN)))
			continue;
		v[n].name = j_strk(e, "feature");
		v[n].v = j_numk(e, key, NAN);
		n++;
	}
	if (!n)
		goto out;
	qsort(v, (size_t)n, sizeof *v, by_value);
	for (int i = 0; i < n; i++) {
		labels[i] = v[i].name;
		vals[i] = v[i].v;
		ml_buf_printf(&d, "%s%s %s", i ? ", " : "", v[i].name, fmt_num(v[i].v, a));
	}
	ml_buf_adds(&d, ".");
	ml_buf_terminate(&d);
	snprintf(t, sizeof t, "Feature importance: %s of %d features", what, n);
	html_figure_open(p, "importance");
	p_printf(p, "<strong>Feature importance: %s</strong><span class=\"sub\">%s</span>", what, unit);
	html_caption_end(p);
	struct hbars c = {.title = t, .desc = d.data ? d.data : "", .xlabel = what, .n = n, .labels = labels,
			  .v = vals, .cls = "bar", .ref = NAN};
	chart_hbars(r, p, &c);
	if (n <= 50) {
		const char *heads[] = {"feature", what};
		html_data_open(p, "data", heads, 2);
		for (int i = 0; i < n; i++) {
			p_puts(p, "<tr><td>");
			p_esc(p, v[i].name);
			p_puts(p, "</td><td class=\"n\">");
			p_num(p, v[i].v);
			p_puts(p, "</td></tr>\n");
		}
		html_data_close(p);
	}
	html_figure_close(p);
out:
	ml_buf_free(&d);
	free(v);
	free(labels);
	free(vals);
}

void section_model(struct report *r, struct page *p)
{
	char a[40], b[40];

	for (size_t i = 0; i < r->nart; i++) {
		struct artifact *art = &r->art[i];
		if (art->kind != ART_BUNDLE)
			continue;
		jv man = art->manifest, tr = j_get(man, "training"), params = j_get(man, "params");
		p_puts(p, "<h3>");
		p_esc(p, art_source(r, art));
		p_puts(p, "</h3>\n<dl class=\"kv\">");
		kv(p, "algorithm", j_get(man, "algorithm"));
		kv(p, "backend", j_get(man, "backend"));
		kv(p, "task", j_get(man, "task"));
		kv(p, "target", j_get(man, "target"));
		if (j_kind(j_get(man, "classes")) == JV_KIND_ARRAY)
			kv(p, "classes", j_get(man, "classes"));
		if (j_kind(j_get(man, "weight")) == JV_KIND_STRING)
			kv(p, "weights", j_get(man, "weight"));
		kv(p, "seed", j_get(man, "seed"));
		kv(p, "rounds", j_get(man, "rounds"));
		kv(p, "categories kept", j_get(man, "max_categories"));
		kv(p, "training records", j_get(tr, "records"));
		kv(p, "training bytes", j_get(tr, "bytes"));
		kv(p, "made by", j_get(man, "mlpipe_version"));
		p_puts(p, "<dt>parameters</dt><dd>");
		if (!j_nkeys(params))
			p_puts(p, "the algorithm's defaults");
		for (int k = 0; k < j_nkeys(params); k++) {
			jv v;
			const char *key = j_key(params, k, &v);
			p_puts(p, k ? ", <code>" : "<code>");
			p_esc(p, key);
			p_puts(p, "=");
			value(p, v);
			p_puts(p, "</code>");
		}
		p_puts(p, "</dd></dl>\n");
		features(p, man, art->preprocess);
		training(p, art->metrics, man);
		p_puts(p, "<div class=\"grid\">\n");
		importance(r, p, art->metrics, "mean_abs_contribution", "mean |contribution|",
			   "the average absolute change each feature makes to a prediction's score, over the "
			   "training records (in the model's output units)");
		importance(r, p, art->metrics, "gain", "gain",
			   "the total loss reduction of the splits on each feature (trees)");
		p_puts(p, "</div>\n");
		/* lineage: the data's hash names what the model was made from */
		p_puts(p, "<h4>Lineage</h4>\n<ul>\n");
		jv sources = j_get(tr, "sources");
		for (int k = 0; k < j_len(sources); k++) {
			p_puts(p, "<li>training data <code class=\"id\">");
			p_esc(p, j_str(j_at(sources, k)));
			p_puts(p, "</code></li>\n");
		}
		p_printf(p, "<li>→ ml-train (%s", j_strk(man, "algorithm") ? "" : "?");
		p_esc(p, j_strk(man, "algorithm"));
		p_puts(p, ") → this bundle <code class=\"id\">");
		p_esc(p, art->sha256);
		p_puts(p, "</code></li>\n</ul>\n");
		if (j_len(art->lines) > 1) {
			jv head = j_at(art->lines, 0);
			p_printf(p, "<details><summary>Training profile: %s records, %s columns</summary>\n",
				 fmt_num(j_numk(head, "records", NAN), a), fmt_num(j_numk(head, "columns", NAN), b));
			profile_table(r, p, art->lines);
			p_puts(p, "</details>\n");
		}
	}
}
