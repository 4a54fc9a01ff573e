#include "text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SPARK_BINS 16

/* Eighths of a block, lowest to highest. */
static const char *const bars[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};

/* A small histogram of a numeric column from its sketch. */
static void sparkline(struct ml_buf *b, const struct ml_numstats *s)
{
	uint64_t counts[SPARK_BINS] = {0}, most = 0, prev = 0;

	if (!s->count || !s->sketch || s->min == s->max) {
		ml_buf_adds(b, s->count ? "█" : "");
		return;
	}
	for (int j = 0; j < SPARK_BINS; j++) {
		double edge = s->min + (s->max - s->min) * (j + 1) / SPARK_BINS;
		uint64_t upto = j == SPARK_BINS - 1 ? s->count
				: (uint64_t)llround(ml_kll_rank(s->sketch, edge) * (double)s->count);
		counts[j] = upto > prev ? upto - prev : 0;
		prev = upto > prev ? upto : prev;
		if (counts[j] > most)
			most = counts[j];
	}
	for (int j = 0; j < SPARK_BINS; j++) {
		int level = counts[j] ? 1 + (int)(7.0 * (double)counts[j] / (double)most) : 0;
		ml_buf_adds(b, bars[level > 8 ? 8 : level]);
	}
}

static const char *main_type(const struct ml_column *c)
{
	static const char *const names[] = {"null", "boolean", "boolean", "number", "string", "array", "object"};
	int best = 0;
	uint64_t most = 0, kinds = 0;

	for (int t = 1; t < 7; t++) {
		uint64_t n = t == 1 ? c->types[1] + c->types[2] : t == 2 ? 0 : c->types[t];
		kinds += n > 0;
		if (n > most) {
			most = n;
			best = t;
		}
	}
	return kinds > 1 ? "mixed" : names[best];
}

/* Characters (code points) of UTF-8 s[0..n). */
static size_t chars(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xC0) != 0x80;
	return k;
}

/* Bytes of the first max characters of UTF-8 s[0..n) (never a part of
 * one); their number in *k. */
static size_t prefix(const char *s, size_t n, size_t max, size_t *k)
{
	size_t end = 0;

	for (*k = 0; end < n && *k < max; (*k)++) {
		end++;
		while (end < n && ((unsigned char)s[end] & 0xC0) == 0x80)
			end++;
	}
	return end;
}

/* s[0..n) with control characters (a newline would start a row) as '?'. */
static void put_plain(struct ml_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ml_buf_addc(b, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i]);
}

/* name[0..n) cut to width characters and padded to width. */
static void put_name(struct ml_buf *b, const char *name, size_t n, size_t width)
{
	size_t k;

	put_plain(b, name, prefix(name, n, width, &k));
	for (; k < width; k++)
		ml_buf_addc(b, ' ');
}

/* A statistic in its column, "-" where it does not exist (the std of one
 * value), as the NDJSON profile has null and the other tools' tables "-". */
static void put_stat(struct ml_buf *b, double x)
{
	if (isfinite(x))
		ml_buf_printf(b, "  %12.6g", x);
	else
		ml_buf_printf(b, "  %12s", "-");
}

int stats_text(const struct ml_profile *p, struct ml_buf *b)
{
	size_t width = 6, shown = 0;

	for (size_t i = 0; i < ml_profile_ncolumns(p); i++) {
		const struct ml_column *c = ml_profile_column(p, i);
		size_t n = chars(c->name, c->name_len);
		if (c->skip)
			continue;
		shown++;
		if (n > width)
			width = n;
	}
	if (width > 24)
		width = 24;
	ml_buf_printf(b, "%llu records, %zu columns\n\n", (unsigned long long)ml_profile_records(p), shown);
	ml_buf_printf(b, "%-*s  %-7s  %8s  %12s  %12s  %12s  %12s  %12s  %s\n", (int)width, "column",
		      "type", "missing", "mean", "std", "min", "median", "max", "distribution");
	for (size_t i = 0; i < ml_profile_ncolumns(p); i++) {
		const struct ml_column *c = ml_profile_column(p, i);
		if (c->skip)
			continue;
		uint64_t missing = ml_column_missing(p, c);
		double share = ml_profile_records(p) ? 100.0 * (double)missing / (double)ml_profile_records(p) : 0;
		put_name(b, c->name, c->name_len, width);
		ml_buf_printf(b, "  %-7s  %7.1f%%", main_type(c), share);
		const struct ml_numstats *s = &c->num;
		if (s->count) {
			put_stat(b, s->mean);
			put_stat(b, ml_numstats_std(s));
			put_stat(b, s->min);
			put_stat(b, ml_kll_quantile(s->sketch, 0.5));
			put_stat(b, s->max);
			ml_buf_adds(b, "  ");
			sparkline(b, s);
		} else if (c->cat) {
			struct ml_cat_item top[3];
			int exact;
			uint64_t total = ml_cat_total(c->cat), distinct = ml_cat_distinct(c->cat, &exact);
			size_t k = ml_cat_top(c->cat, 3, top);
			ml_buf_printf(b, "  %s%llu distinct:", exact ? "" : "~", (unsigned long long)distinct);
			for (size_t j = 0; j < k; j++) {
				size_t nchars, len = prefix(top[j].value, top[j].len, 20, &nchars);
				ml_buf_adds(b, j ? ", " : " ");
				put_plain(b, top[j].value, len);
				/* a summarised count is at most its error above the truth:
				 * shown as a range when the error is not negligible */
				double hi = 100.0 * (double)top[j].count / (double)total;
				double lo = 100.0 * (double)(top[j].count - top[j].error) / (double)total;
				if (top[j].error && hi - lo >= 0.05)
					ml_buf_printf(b, " %.1f-%.1f%%", lo, hi);
				else
					ml_buf_printf(b, " %.1f%%", hi);
			}
		} else if (c->types[1] + c->types[2]) {
			uint64_t n = c->types[1] + c->types[2];
			ml_buf_printf(b, "  true %.1f%%, false %.1f%%", 100.0 * (double)c->types[2] / (double)n,
				      100.0 * (double)c->types[1] / (double)n);
		}
		ml_buf_addc(b, '\n');
	}
	return ml_buf_terminate(b);
}
