/* The runs section (the run log: counts per tool and exit status, and the
 * latest runs) and the lineage section (ml-log's edges as a tree). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define RUNS_SHOWN 100	/* the latest runs listed: a log grows without end */
#define TOOLS_MAX 64

struct tally {
	const char *tool;
	int runs, exit[3], other;
	double seconds;
};

static void counts(struct page *p, jv runs)
{
	struct tally t[TOOLS_MAX];
	int n = 0;

	for (int i = 0; i < j_len(runs); i++) {
		jv run = j_at(runs, i);
		const char *tool = j_strk(run, "tool") ? j_strk(run, "tool") : "?";
		int k = 0;
		while (k < n && strcmp(t[k].tool, tool))
			k++;
		if (k == n) {
			if (n == TOOLS_MAX)
				continue;
			memset(&t[n], 0, sizeof t[n]);
			t[n++].tool = tool;
		}
		double ex = j_numk(run, "exit", NAN);
		t[k].runs++;
		if (ex == 0 || ex == 1 || ex == 2)
			t[k].exit[(int)ex]++;
		else
			t[k].other++;
		t[k].seconds += j_numk(run, "duration_s", 0);
	}
	p_puts(p, "<h4>Runs per tool</h4>\n<table><thead><tr><th scope=\"col\">tool</th><th scope=\"col\" class=\"n\">"
		  "runs</th><th scope=\"col\" class=\"n\">exit 0 (ok)</th><th scope=\"col\" class=\"n\">exit 1 "
		  "(check failed)</th><th scope=\"col\" class=\"n\">exit 2 (trouble)</th><th scope=\"col\" "
		  "class=\"n\">other</th><th scope=\"col\" class=\"n\">time (s)</th></tr></thead><tbody>\n");
	for (int k = 0; k < n; k++) {
		p_puts(p, "<tr><th scope=\"row\">");
		p_esc(p, t[k].tool);
		p_printf(p, "</th><td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
			    "<td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">%.2f</td></tr>\n",
			 t[k].runs, t[k].exit[0], t[k].exit[1], t[k].exit[2], t[k].other, t[k].seconds);
	}
	p_puts(p, "</tbody></table>\n");
}

static void io_list(struct page *p, jv list)
{
	char id[16];

	for (int i = 0; i < j_len(list); i++) {
		jv io = j_at(list, i);
		p_puts(p, i ? "<br>" : "");
		p_esc(p, j_strk(io, "path") ? j_strk(io, "path") : "?");
		if (j_strk(io, "sha256")) {
			p_puts(p, " <span class=\"id muted\">");
			p_esc(p, short_id(j_strk(io, "sha256"), id));
			p_puts(p, "</span>");
		}
	}
}

void section_runs(struct report *r, struct page *p)
{
	for (size_t i = 0; i < r->nart; i++) {
		struct artifact *a = &r->art[i];
		if (a->kind != ART_RUNS)
			continue;
		int total = j_len(a->lines), first = total > RUNS_SHOWN ? total - RUNS_SHOWN : 0;
		p_puts(p, "<h3>");
		p_esc(p, art_source(r, a));
		p_printf(p, "</h3>\n<p>%d run%s.</p>\n", total, total == 1 ? "" : "s");
		counts(p, a->lines);
		p_printf(p, "<h4>%s</h4>\n", first ? "The latest runs" : "Every run");
		p_puts(p, "<div class=\"wide\"><table><thead><tr><th scope=\"col\">start (UTC)</th><th scope=\"col\">tool"
			  "</th><th scope=\"col\">exit</th><th scope=\"col\" class=\"n\">seconds</th><th scope=\"col\">"
			  "outputs</th></tr></thead><tbody>\n");
		for (int k = first; k < total; k++) {
			jv run = j_at(a->lines, k);
			double ex = j_numk(run, "exit", NAN);
			p_puts(p, "<tr><td class=\"nw\">");
			p_esc(p, j_strk(run, "start"));
			p_puts(p, "</td><td class=\"nw\">");
			p_esc(p, j_strk(run, "tool"));
			p_puts(p, "</td><td class=\"nw\">");
			if (ex == 0)
				p_puts(p, "0 ok");
			else if (isfinite(ex)) {
				char w[32];
				snprintf(w, sizeof w, "%.0f %s", ex, ex == 1 ? "check failed" : "trouble");
				html_badge(p, ex == 1 ? "warn" : "bad", w);
			} else
				p_puts(p, "– (running or killed)");
			p_puts(p, "</td><td class=\"n\">");
			p_num(p, j_numk(run, "duration_s", NAN));
			p_puts(p, "</td><td>");
			io_list(p, j_get(run, "outputs"));
			p_puts(p, "</td></tr>\n");
		}
		p_puts(p, "</tbody></table></div>\n");
	}
}

void section_lineage(struct report *r, struct page *p)
{
	for (size_t i = 0; i < r->nart; i++) {
		struct artifact *a = &r->art[i];
		char id[16];
		if (a->kind != ART_LINEAGE)
			continue;
		p_puts(p, "<h3>");
		p_esc(p, art_source(r, a));
		p_puts(p, "</h3>\n<p class=\"muted\">Each artifact, the run that made it, and that run's inputs, "
			  "deeper levels indented.</p>\n<ul class=\"lineage\">\n");
		for (int k = 0; k < j_len(a->lines); k++) {
			jv e = j_at(a->lines, k), out = j_get(e, "output"), run = j_get(e, "run"), in = j_get(e, "input");
			int depth = (int)j_numk(e, "depth", 1);
			/* depth as indentation: a nested list would need the edges regrouped */
			p_printf(p, "<li style=\"margin-left:%dem\">", depth > 1 ? (depth - 1) * 2 : 0);
			p_esc(p, j_strk(out, "path") ? j_strk(out, "path") : short_id(j_strk(out, "sha256"), id));
			p_puts(p, " ← <strong>");
			p_esc(p, j_strk(run, "tool"));
			p_puts(p, "</strong> <span class=\"muted\">");
			p_esc(p, j_strk(run, "start"));
			p_puts(p, "</span> ← ");
			if (!j_strk(in, "path") && !j_strk(in, "sha256"))
				p_puts(p, "(no input named)");
			p_esc(p, j_strk(in, "path") ? j_strk(in, "path") : short_id(j_strk(in, "sha256"), id));
			p_puts(p, " <span class=\"id muted\">");
			p_esc(p, short_id(j_strk(in, "sha256"), id));
			p_puts(p, "</span></li>\n");
		}
		p_puts(p, "</ul>\n");
	}
}
