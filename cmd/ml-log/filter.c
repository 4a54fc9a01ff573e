/* Which runs a query looks at: by tool, start time, exit status, pipeline
 * and run id; times as ISO 8601 instants or ages. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mllog.h"

#define NS 1000000000LL

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil): no time zone, no libc state. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Exactly width digits at *p, as a number; advances *p.  -1 when not. */
static int digits(const char **p, const char *end, int width)
{
	int v = 0;

	if (end - *p < width)
		return -1;
	for (int i = 0; i < width; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += width;
	return v;
}

int time_parse_instant(const char *s, size_t n, int64_t *out)
{
	const char *p = s, *end = s + n;
	int year, mon, day, hour = 0, min = 0, sec = 0;
	int64_t frac_ns = 0, offset_s = 0;

	if ((year = digits(&p, end, 4)) < 0 || p == end || *p++ != '-' ||
	    (mon = digits(&p, end, 2)) < 0 || p == end || *p++ != '-' ||
	    (day = digits(&p, end, 2)) < 0)
		return -1;
	if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon))
		return -1;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		if ((hour = digits(&p, end, 2)) < 0 || p == end || *p++ != ':' ||
		    (min = digits(&p, end, 2)) < 0 || hour > 23 || min > 59)
			return -1;
		if (p < end && *p == ':') {
			p++;
			if ((sec = digits(&p, end, 2)) < 0 || sec > 60)
				return -1;
			if (p < end && (*p == '.' || *p == ',')) {
				int64_t scale = NS / 10;
				if (++p == end || *p < '0' || *p > '9')
					return -1;
				for (; p < end && *p >= '0' && *p <= '9'; p++, scale /= 10)
					frac_ns += (*p - '0') * scale;
			}
		}
		/* a zone only after a time of day: 2026-11-26-05 is no date */
		if (p < end && (*p == 'Z' || *p == 'z')) {
			p++;
		} else if (p < end && (*p == '+' || *p == '-')) {
			int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
			if ((oh = digits(&p, end, 2)) < 0 || oh > 23)
				return -1;
			if (p < end && *p == ':')
				p++;
			if (p < end && (om = digits(&p, end, 2)) < 0)
				return -1;
			if (om > 59)
				return -1;
			offset_s = sign * (oh * 3600 + om * 60);
		}
	}
	if (p != end)
		return -1;
	int64_t secs = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec - offset_s;
	*out = secs * NS + frac_ns;
	return 0;
}

/* "90m", "12h", "7d" (also s and w), optionally followed by " ago". */
static int parse_age(const char *s, int64_t now_ns, int64_t *out)
{
	const char *p = s;
	int64_t count = 0, unit;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (count > 1000000000)
			return -1;
		count = count * 10 + (*p - '0');
	}
	switch (*p++) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return -1;
	}
	if (*p && strcmp(p, " ago") != 0)
		return -1;
	int64_t back = count * unit;
	/* further back than the clock counts: before every run */
	*out = back > now_ns / NS ? INT64_MIN : now_ns - back * NS;
	return 0;
}

int time_parse_option(const char *s, int64_t now_ns, int64_t *out)
{
	if (parse_age(s, now_ns, out) == 0)
		return 0;
	return time_parse_instant(s, strlen(s), out);
}

int filter_match(const struct log_filter *f, const struct log_run *r)
{
	if (f->ntools) {
		size_t i = 0;
		while (i < f->ntools && !(r->tool && strcmp(r->tool, f->tools[i]) == 0))
			i++;
		if (i == f->ntools)
			return 0;
	}
	if ((f->has_since || f->has_until) && !r->has_start)
		return 0;
	if (f->has_since && r->start_ns < f->since_ns)
		return 0;
	if (f->has_until && r->start_ns >= f->until_ns)
		return 0;
	if (f->status == STATUS_FAILED && r->exit_status <= 0)
		return 0;
	if (f->status >= 0 && r->exit_status != f->status)
		return 0;
	if (f->pipeline && !(r->pipeline_id && strcmp(r->pipeline_id, f->pipeline) == 0))
		return 0;
	if (f->run_prefix[0] &&
	    !(r->run_id && strncasecmp(r->run_id, f->run_prefix, strlen(f->run_prefix)) == 0))
		return 0;
	return 1;
}

size_t *filter_select(const struct log_filter *f, const struct runlog *log, size_t *n)
{
	size_t *sel = malloc((log->n ? log->n : 1) * sizeof *sel), k = 0;

	if (!sel)
		return NULL;
	for (size_t i = 0; i < log->n; i++)
		if (filter_match(f, &log->runs[i]))
			sel[k++] = i;
	if (f->has_last && k > f->last) {
		memmove(sel, sel + (k - f->last), (size_t)f->last * sizeof *sel);
		k = (size_t)f->last;
	}
	*n = k;
	return sel;
}
