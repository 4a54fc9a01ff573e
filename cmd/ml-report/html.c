/* The HTML page: its frame, its style sheet, escaping, and the pieces every
 * section uses (figures, badges, data tables). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ml_version.h"
#include "report.h"

void p_putn(struct page *p, const char *s, size_t n)
{
	if (ml_buf_add(&p->b, s, n) < 0)
		p->oom = 1;
}

void p_puts(struct page *p, const char *s)
{
	p_putn(p, s, strlen(s));
}

void p_printf(struct page *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (ml_buf_vprintf(&p->b, fmt, ap) < 0)
		p->oom = 1;
	va_end(ap);
}

void p_esc(struct page *p, const char *s)
{
	const char *run = s;

	if (!s)
		return;
	for (; *s; s++) {
		const char *rep;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			/* control characters are not allowed in HTML text */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') {
				rep = " ";
				break;
			}
			continue;
		}
		p_putn(p, run, (size_t)(s - run));
		p_puts(p, rep);
		run = s + 1;
	}
	p_putn(p, run, (size_t)(s - run));
}

char *fmt_num(double v, char buf[40])
{
	double a = fabs(v);

	if (isnan(v))
		snprintf(buf, 40, "–");
	else if (isinf(v))
		snprintf(buf, 40, v > 0 ? "∞" : "−∞");
	else if (v == floor(v) && a < 1e15)
		snprintf(buf, 40, "%.0f", v);
	else if (a >= 1e12)
		snprintf(buf, 40, "%.4g", v);
	else if (a >= 1e4)
		snprintf(buf, 40, "%.0f", v);
	else if (a >= 100)
		snprintf(buf, 40, "%.1f", v);
	else if (a >= 1e-4)
		snprintf(buf, 40, "%.4g", v);
	else
		snprintf(buf, 40, "%.3g", v);
	return buf;
}

void p_num(struct page *p, double v)
{
	char buf[40];

	p_puts(p, fmt_num(v, buf));
}

char *short_id(const char *id, char buf[16])
{
	if (!id)
		id = "";
	if (!strncmp(id, "sha256:", 7))
		id += 7;
	snprintf(buf, 16, "%.12s", id);
	return buf;
}

const char *chart_id(struct report *r, char buf[16])
{
	snprintf(buf, 16, "c%u", ++r->chart_seq);
	return buf;
}

void html_section_open(struct page *p, const char *id, const char *title)
{
	p_printf(p, "<section id=\"%s\" aria-labelledby=\"%s-h\">\n<h2 id=\"%s-h\">", id, id, id);
	p_esc(p, title);
	p_puts(p, "</h2>\n");
}

void html_section_close(struct page *p)
{
	p_puts(p, "</section>\n");
}

void html_figure_open(struct page *p, const char *cls)
{
	p_printf(p, "<figure class=\"%s\"><figcaption>", cls ? cls : "chart");
}

void html_caption_end(struct page *p)
{
	p_puts(p, "</figcaption>\n");
}

void html_figure_close(struct page *p)
{
	p_puts(p, "</figure>\n");
}

void html_badge(struct page *p, const char *cls, const char *word)
{
	p_printf(p, "<span class=\"badge %s\">", cls);
	p_esc(p, word);
	p_puts(p, "</span>");
}

void html_data_open(struct page *p, const char *summary, const char *const *heads, int n)
{
	p_puts(p, "<details class=\"data\"><summary>");
	p_esc(p, summary ? summary : "data");
	p_puts(p, "</summary><table><thead><tr>");
	for (int i = 0; i < n; i++) {
		p_puts(p, "<th scope=\"col\">");
		p_esc(p, heads[i]);
		p_puts(p, "</th>");
	}
	p_puts(p, "</tr></thead><tbody>\n");
}

void html_data_close(struct page *p)
{
	p_puts(p, "</tbody></table></details>\n");
}

/* Colours are variables, so the dark theme and print only swap values;
 * the charts name classes, never colours.  Okabe–Ito hues throughout.
 * (Pieces, as C limits the length of one string literal.) */
static const char *const style[] = {
	":root{color-scheme:light dark;",
	"--bg:#ffffff;--fg:#1a1a1a;--muted:#595959;--line:#c8c8c8;--panel:#f4f4f2;",
	"--c1:#0072B2;--c2:#E69F00;--c3:#009E73;--c4:#D55E00;--c5:#CC79A7;--c6:#56B4E9;--c7:#F0E442;",
	"--ref:#0072B2;--cur:#E69F00;--ok:#009E73;--bad:#D55E00;",
	"--h0:#f1f6fb;--h1:#d6e6f4;--h2:#b3d1ea;--h3:#84b6dc;--h4:#5597c9;--h5:#2f78b4;--h6:#175a98;--h7:#0b3d73;",
	"--tlo:#1a1a1a;--thi:#ffffff}\n",
	"@media (prefers-color-scheme:dark){:root{",
	"--bg:#141414;--fg:#e8e8e8;--muted:#b0b0b0;--line:#4a4a4a;--panel:#1f1f1f;",
	"--c1:#56B4E9;--c2:#E69F00;--c3:#009E73;--c4:#D55E00;--c5:#CC79A7;--c6:#0072B2;--c7:#F0E442;",
	"--ref:#56B4E9;--cur:#E69F00;--ok:#009E73;--bad:#D55E00;",
	"--h0:#1b232c;--h1:#1d3447;--h2:#1f4766;--h3:#255c85;--h4:#3473a3;--h5:#4f8fc0;--h6:#7bb0da;--h7:#b5d6f0;",
	"--tlo:#e8e8e8;--thi:#101010}}\n",
	"*{box-sizing:border-box}\n",
	"body{margin:0 auto;max-width:1180px;padding:0 18px 40px;background:var(--bg);color:var(--fg);",
	"font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}\n",
	"h1{font-size:1.6em;margin:.8em 0 .2em}h2{font-size:1.3em;margin:1.6em 0 .4em;",
	"border-bottom:1px solid var(--line);padding-bottom:.2em}h3{font-size:1.1em;margin:1.2em 0 .4em}",
	"h4{font-size:1em;margin:1em 0 .3em}\n",
	"nav ul{columns:3 14em;padding-left:1.2em}a{color:var(--c1)}\n",
	"table{border-collapse:collapse;margin:.4em 0 .8em;font-variant-numeric:tabular-nums}",
	"th,td{padding:.15em .6em;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}",
	"td.n,th.n{text-align:right}.nw{white-space:nowrap}thead th{border-bottom:2px solid var(--line)}\n",
	".wide{overflow-x:auto}.muted{color:var(--muted)}code,.id{font-family:ui-monospace,\"SFMono-Regular\",",
	"Menlo,Consolas,monospace;font-size:.92em;overflow-wrap:anywhere}\n",
	".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,520px),1fr));gap:14px}\n",
	"figure{margin:0 0 14px;padding:10px 12px;background:var(--panel);border:1px solid var(--line);",
	"border-radius:6px;break-inside:avoid;page-break-inside:avoid}\n",
	"figcaption{margin-bottom:6px}figcaption .sub{display:block;color:var(--muted);font-size:.92em}\n",
	"svg.chart{display:block;max-width:100%;height:auto;color:var(--fg)}\n",
	"svg text{fill:var(--fg);font-size:11px}svg .tick{fill:var(--muted)}",
	"svg .axis-label{font-size:12px}svg .title{font-weight:600}\n",
	"svg .axis{stroke:var(--fg);stroke-width:1;fill:none}svg .grid{stroke:var(--line);stroke-width:1}\n",
	"svg .bar{fill:var(--c1)}svg .bar2{fill:var(--c2);stroke:var(--fg);stroke-width:.8}",
	"svg .ref{fill:var(--ref)}svg .cur{fill:var(--cur);stroke:var(--fg);stroke-width:1;stroke-dasharray:3 2}\n",
	"svg .okbar{fill:var(--ok)}svg .badbar{fill:var(--bad);stroke:var(--fg);stroke-width:1}",
	"svg .track{fill:var(--line)}svg .thr{stroke:var(--fg);stroke-width:2}\n",
	"svg .q{stroke:var(--fg);stroke-width:1.2;stroke-dasharray:4 3}svg .diag{stroke:var(--muted);",
	"stroke-width:1;stroke-dasharray:3 4;fill:none}svg .ref-line{stroke:var(--fg);stroke-width:1.2;",
	"stroke-dasharray:5 3}\n",
	"svg .whisker{stroke:var(--fg);stroke-width:1.4}\n",
	"svg .s0,svg .s1,svg .s2,svg .s3,svg .s4,svg .s5,svg .s6{fill:none;stroke-width:2;",
	"stroke-linejoin:round}\n",
	"svg .s0{stroke:var(--c1)}svg .s1{stroke:var(--c2);stroke-dasharray:7 3}",
	"svg .s2{stroke:var(--c3);stroke-dasharray:2 2}svg .s3{stroke:var(--c4);stroke-dasharray:9 3 2 3}",
	"svg .s4{stroke:var(--c5);stroke-dasharray:4 4}svg .s5{stroke:var(--c6);stroke-dasharray:12 4}",
	"svg .s6{stroke:var(--fg);stroke-dasharray:1 3}\n",
	"svg .pt{fill:var(--c1);fill-opacity:.75;stroke:var(--fg);stroke-width:.8}\n",
	"svg .m-register{fill:var(--bg);stroke:var(--c1);stroke-width:2}svg .m-promote{fill:var(--ok);",
	"stroke:var(--fg);stroke-width:1}svg .m-reject{stroke:var(--bad);stroke-width:3;fill:none}",
	"svg .m-rollback{stroke:var(--c5);stroke-width:2.2;fill:none}svg .m-other{fill:var(--muted)}",
	"svg .lane{stroke:var(--line);stroke-width:1}\n",
	"svg .h0{fill:var(--h0)}svg .h1{fill:var(--h1)}svg .h2{fill:var(--h2)}svg .h3{fill:var(--h3)}",
	"svg .h4{fill:var(--h4)}svg .h5{fill:var(--h5)}svg .h6{fill:var(--h6)}svg .h7{fill:var(--h7)}",
	"svg text.tlo{fill:var(--tlo)}svg text.thi{fill:var(--thi)}\n",
	".badge{display:inline-block;white-space:nowrap;padding:0 .45em;border-radius:3px;font-size:.85em;font-weight:600;",
	"border:1px solid var(--fg);line-height:1.5}.badge.bad{background:var(--bad);color:#000}",
	".badge.ok{background:transparent;border-color:var(--ok)}.badge.warn{background:var(--c2);color:#000}\n",
	".verdict{font-size:1.1em;padding:.5em .8em;border-left:6px solid var(--ok);background:var(--panel);",
	"margin:.5em 0 1em}.verdict.bad{border-left-color:var(--bad)}\n",
	"details.data{margin-top:4px}details.data summary{cursor:pointer;color:var(--muted)}",
	"details.data table{font-size:.9em}\n",
	"dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;margin:.4em 0 .8em}",
	"dl.kv dt{color:var(--muted)}dl.kv dd{margin:0}\n",
	"footer{margin-top:2.5em;font-size:.9em;color:var(--muted)}\n",
	"@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--line:#bbb;--panel:#fff;",
	"--c1:#0072B2;--ref:#0072B2;--c6:#56B4E9;",
	"--h0:#f1f6fb;--h1:#d6e6f4;--h2:#b3d1ea;--h3:#84b6dc;--h4:#5597c9;--h5:#2f78b4;--h6:#175a98;",
	"--h7:#0b3d73;--tlo:#000;--thi:#fff}",
	"body{max-width:none;font-size:11pt}nav{display:none}section{break-before:auto}",
	"figure,table,.verdict,dl.kv{break-inside:avoid;page-break-inside:avoid}h2,h3,h4{break-after:avoid}",
	".grid{display:block}a{color:inherit;text-decoration:none}}\n",
	NULL,
};

static const struct {
	enum art_kind kind[2];
	const char *id, *title;
	void (*draw)(struct report *, struct page *);
} sections[] = {
	{{ART_PROFILE, ART_PROFILE}, "profile", "Data profile", section_profile},
	{{ART_DRIFT, ART_DRIFT}, "drift", "Drift", section_drift},
	{{ART_METRICS, ART_CURVES}, "evaluation", "Evaluation", section_evaluation},
	{{ART_BUNDLE, ART_BUNDLE}, "model", "Model", section_model},
	{{ART_EVENTS, ART_EVENTS}, "registry", "Registry", section_registry},
	{{ART_RUNS, ART_RUNS}, "runs", "Runs", section_runs},
	{{ART_LINEAGE, ART_LINEAGE}, "lineage", "Lineage", section_lineage},
};
#define NSECTIONS (sizeof sections / sizeof *sections)

void html_page(struct report *r, struct page *p)
{
	p_puts(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		  "<meta name=\"color-scheme\" content=\"light dark\">\n"
		  "<meta name=\"generator\" content=\"ml-report " ML_VERSION "\">\n<title>");
	p_esc(p, r->title);
	p_puts(p, "</title>\n<style>\n");
	for (size_t i = 0; style[i]; i++)
		p_puts(p, style[i]);
	p_puts(p, "</style>\n</head>\n<body>\n<header>\n<h1>");
	p_esc(p, r->title);
	p_puts(p, "</h1>\n<p class=\"muted\">");
	p_printf(p, "%zu artifact%s from %zu input%s: ", r->nart, r->nart == 1 ? "" : "s", r->nin,
		 r->nin == 1 ? "" : "s");
	for (size_t i = 0; i < r->nin; i++) {
		if (i)
			p_puts(p, ", ");
		p_puts(p, "<code>");
		p_esc(p, r->in[i].name);
		p_puts(p, "</code>");
	}
	p_puts(p, ".</p>\n</header>\n<nav aria-label=\"Contents\">\n<h2 id=\"contents\">Contents</h2>\n<ul>\n");
	for (size_t s = 0; s < NSECTIONS; s++)
		if (report_has(r, sections[s].kind[0]) || report_has(r, sections[s].kind[1]))
			p_printf(p, "<li><a href=\"#%s\">%s</a></li>\n", sections[s].id, sections[s].title);
	p_puts(p, "<li><a href=\"#inputs\">Inputs</a></li>\n</ul>\n</nav>\n<main>\n");
	for (size_t s = 0; s < NSECTIONS; s++)
		if (report_has(r, sections[s].kind[0]) || report_has(r, sections[s].kind[1])) {
			html_section_open(p, sections[s].id, sections[s].title);
			sections[s].draw(r, p);
			html_section_close(p);
		}
	/* the inputs by content, so a page can be traced to what it shows;
	 * no time of making: the same inputs give the same page */
	p_puts(p, "</main>\n<footer>\n<h2 id=\"inputs\">Inputs</h2>\n<div class=\"wide\"><table>"
		  "<thead><tr><th scope=\"col\">input</th><th scope=\"col\" class=\"n\">bytes</th>"
		  "<th scope=\"col\" class=\"n\">lines</th><th scope=\"col\">sha256</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < r->nin; i++) {
		const struct input *in = &r->in[i];
		p_puts(p, "<tr><td><code>");
		p_esc(p, in->name);
		p_printf(p, "</code></td><td class=\"n\">%llu</td><td class=\"n\">", (unsigned long long)in->bytes);
		if (in->records >= 0)
			p_printf(p, "%lld", (long long)in->records);
		else
			p_puts(p, "–");
		p_puts(p, "</td><td class=\"id\">");
		p_esc(p, in->sha256);
		p_puts(p, "</td></tr>\n");
	}
	p_puts(p, "</tbody></table></div>\n<p>Made by ml-report " ML_VERSION
		  " (mlpipe): self-contained, no scripts, no network.</p>\n</footer>\n</body>\n</html>\n");
}
