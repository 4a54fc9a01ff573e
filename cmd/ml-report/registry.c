/* The registry section: a timeline of the history's events, one lane per
 * stage, and a table of them with the gates that failed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define TIMELINE_MAX 60		/* events on the timeline; the table has them all */
#define LANES_MAX 12
#define NO_STAGE "(registered)"

static const struct {
	const char *event, *symbol, *cls;
	enum svg_shape shape;
} kinds[] = {
	{"register", "○", "m-register", SHAPE_CIRCLE},
	{"promote", "▲", "m-promote", SHAPE_TRIANGLE},
	{"reject", "✕", "m-reject", SHAPE_CROSS},
	{"rollback", "↺", "m-rollback", SHAPE_ROLLBACK},
};
#define NKINDS (int)(sizeof kinds / sizeof *kinds)

static int kind_of(const char *event)
{
	for (int k = 0; k < NKINDS; k++)
		if (event && !strcmp(event, kinds[k].event))
			return k;
	return -1;
}

/* Every event of an event kind, even one this reader does not know,
 * gets a mark: a grey square. */
static void mark(struct page *p, double x, double y, int k)
{
	if (k < 0)
		svg_mark(p, x, y, SHAPE_SQUARE, "m-other");
	else
		svg_mark(p, x, y, kinds[k].shape, kinds[k].cls);
}

static const char *lane_of(jv e)
{
	return j_strk(e, "stage") ? j_strk(e, "stage") : NO_STAGE;
}

static void timeline(struct report *r, struct page *p, jv events)
{
	int total = j_len(events), first = total > TIMELINE_MAX ? total - TIMELINE_MAX : 0, n = total - first;
	const char *lanes[LANES_MAX];
	int nlanes = 0;
	char id[16], t[300], buf[64];
	struct ml_buf d = {0};

	if (!n)
		return;
	/* lanes in order of first appearance, registrations first */
	for (int pass = 0; pass < 2; pass++)
		for (int i = first; i < total; i++) {
			const char *l = lane_of(j_at(events, i));
			int have = 0;
			if ((pass == 0) != !strcmp(l, NO_STAGE))
				continue;
			for (int k = 0; k < nlanes && !have; k++)
				have = !strcmp(lanes[k], l);
			if (!have && nlanes < LANES_MAX)
				lanes[nlanes++] = l;
		}
	double left = 118, spacing = fmin(64, fmax(14, 860.0 / n)), top = 40, laneh = 46;
	double W = fmax(560, left + 30 + spacing * (n - 1) + 40), bottom = top + nlanes * laneh, H = bottom + 100;
	char day[16] = "";
	snprintf(t, sizeof t, "Registry timeline: %d event%s in %d lane%s%s", n, n == 1 ? "" : "s", nlanes,
		 nlanes == 1 ? "" : "s", first ? " (the latest)" : "");
	for (int i = first; i < total; i++) {
		jv e = j_at(events, i);
		ml_buf_printf(&d, "%s#%s %s", i > first ? "; " : "", fmt_num(j_numk(e, "seq", NAN), buf),
			      j_strk(e, "event") ? j_strk(e, "event") : "?");
		if (j_strk(e, "stage"))
			ml_buf_printf(&d, " %s", j_strk(e, "stage"));
		ml_buf_printf(&d, " at %s", j_strk(e, "time") ? j_strk(e, "time") : "?");
	}
	ml_buf_adds(&d, ".");
	ml_buf_terminate(&d);
	svg_open(p, chart_id(r, id), (int)ceil(W), (int)ceil(H), t, d.data ? d.data : "");
	/* legend: each kind's shape and name */
	double lx = left;
	for (int k = 0; k < NKINDS; k++) {
		mark(p, lx + 7, 14, k);
		svg_text(p, lx + 18, 18, "start", NULL, kinds[k].event);
		lx += 18 + 6.2 * (double)strlen(kinds[k].event) + 22;
	}
	for (int l = 0; l < nlanes; l++) {
		double y = top + laneh * (l + 0.5);
		svg_line(p, left, y, W - 20, y, "lane");
		svg_text(p, left - 8, y + 4, "end", NULL, lanes[l]);
	}
	svg_line(p, left, bottom, W - 20, bottom, "axis");
	int every = (int)ceil(16 / spacing);
	for (int i = first; i < total; i++) {
		jv e = j_at(events, i);
		const char *l = lane_of(e);
		int lane = 0;
		while (lane < nlanes - 1 && strcmp(lanes[lane], l))
			lane++;
		double x = left + 30 + spacing * (i - first), y = top + laneh * (lane + 0.5);
		mark(p, x, y, kind_of(j_strk(e, "event")));
		if (spacing >= 24 || (i - first) % every == 0) {
			snprintf(buf, sizeof buf, "#%.0f", j_numk(e, "seq", NAN));
			svg_text(p, x, y - 11, "middle", "tick", buf);
		}
		svg_line(p, x, bottom, x, bottom + 4, "axis");
		if ((i - first) % every == 0) {
			/* the date where it changes, then the time to the millisecond */
			const char *tm = j_strk(e, "time");
			if (!tm || strlen(tm) < 20)
				snprintf(buf, sizeof buf, "%s", tm ? tm : "?");
			else if (strncmp(day, tm, 10))
				snprintf(buf, sizeof buf, "%.10s %.12s", tm, tm + 11);
			else
				snprintf(buf, sizeof buf, "%.12s", tm + 11);
			if (tm)
				snprintf(day, sizeof day, "%.10s", tm);
			p_puts(p, "<text transform=\"translate(");
			svg_coord(p, x + 3);
			p_puts(p, " ");
			svg_coord(p, bottom + 12);
			p_puts(p, ") rotate(-35)\" text-anchor=\"end\" class=\"tick\">");
			p_esc(p, buf);
			p_puts(p, "</text>");
		}
	}
	svg_text(p, left + (W - 20 - left) / 2, H - 6, "middle", "axis-label",
		 "time (UTC): the events in order, each at its time");
	svg_close(p);
	ml_buf_free(&d);
}

static void events_table(struct page *p, jv events)
{
	char a[16], b[16];

	p_puts(p, "<div class=\"wide\"><table><thead><tr><th scope=\"col\" class=\"n\">seq</th><th scope=\"col\">time"
		  "</th><th scope=\"col\">event</th><th scope=\"col\">stage</th><th scope=\"col\">before → after"
		  "</th><th scope=\"col\">user</th><th scope=\"col\">reason</th><th scope=\"col\">gates</th>"
		  "</tr></thead><tbody>\n");
	for (int i = 0; i < j_len(events); i++) {
		jv e = j_at(events, i), gates = j_get(e, "gates");
		const char *ev = j_strk(e, "event");
		int k = kind_of(ev);
		p_puts(p, "<tr><td class=\"n\">");
		p_num(p, j_numk(e, "seq", NAN));
		p_puts(p, "</td><td class=\"nw\">");
		p_esc(p, j_strk(e, "time"));
		p_printf(p, "</td><td class=\"nw\">%s ", k >= 0 ? kinds[k].symbol : "■");
		p_esc(p, ev ? ev : "?");
		p_puts(p, "</td><td>");
		p_esc(p, j_strk(e, "stage") ? j_strk(e, "stage") : "–");
		p_puts(p, "</td><td class=\"id nw\">");
		if (j_strk(e, "after") || j_strk(e, "before")) {
			p_esc(p, j_strk(e, "before") ? short_id(j_strk(e, "before"), a) : "(empty)");
			p_puts(p, " → ");
			p_esc(p, j_strk(e, "after") ? short_id(j_strk(e, "after"), b) : "(empty)");
		} else if (j_strk(e, "model")) {
			p_esc(p, short_id(j_strk(e, "model"), a));
		}
		p_puts(p, "</td><td>");
		p_esc(p, j_strk(e, "user"));
		p_puts(p, "</td><td>");
		p_esc(p, j_strk(e, "reason"));
		p_puts(p, "</td><td>");
		int failed = 0;
		for (int g = 0; g < j_len(gates); g++) {
			jv gate = j_at(gates, g);
			if (j_kind(j_get(gate, "pass")) == JV_KIND_TRUE)
				continue;
			p_puts(p, failed++ ? "<br>" : "");
			html_badge(p, "bad", "✗ failed");
			p_puts(p, " <code>");
			p_esc(p, j_strk(gate, "gate"));
			p_puts(p, "</code>: ");
			p_esc(p, j_strk(gate, "detail"));
		}
		if (!failed && j_len(gates))
			p_printf(p, "✓ all %d passed", j_len(gates));
		p_puts(p, "</td></tr>\n");
	}
	p_puts(p, "</tbody></table></div>\n");
}

void section_registry(struct report *r, struct page *p)
{
	for (size_t i = 0; i < r->nart; i++) {
		struct artifact *a = &r->art[i];
		if (a->kind != ART_EVENTS)
			continue;
		p_puts(p, "<h3>");
		p_esc(p, art_source(r, a));
		p_printf(p, "</h3>\n<p>%d event%s.</p>\n", j_len(a->lines), j_len(a->lines) == 1 ? "" : "s");
		if (!j_len(a->lines))
			continue;
		html_figure_open(p, "timeline");
		p_puts(p, "<strong>Timeline</strong><span class=\"sub\">one lane per stage: ○ register, ▲ promote, "
			  "✕ reject, ↺ rollback, each with its sequence number</span>");
		html_caption_end(p);
		p_puts(p, "<div class=\"wide\">");
		timeline(r, p, a->lines);
		p_puts(p, "</div>");
		html_figure_close(p);
		events_table(p, a->lines);
	}
}
