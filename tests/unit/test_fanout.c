/* Unit tests of common/ml_fanout: lines dealt to worker threads in blocks,
 * every line once, in order per worker, errors at their exact place when
 * the reader leaves the numbering to the fanout, buffers given back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml_fanout.h"
#include "tap.h"

/* What one worker saw: the records, and the numbers they carry. */
struct seen {
	uint64_t records, sum, last;
	int in_order;
	long fail_at[2];	/* records ("n":N) to fail on, or -1 */
};

/* Lines are {"n":N} (N counting records from 1) or blank. */
static int see(void *ctx, const char *line, size_t len, struct ml_err *err)
{
	struct seen *s = ctx;
	unsigned long long n = 0;
	char copy[64];

	/* The line is not NUL-terminated (it lies inside the block), so
	 * sscanf reads a bounded copy of it. */
	if (len < 6 || len >= sizeof copy)
		return ml_err_set(err, ML_ERR_DATA, "not a record");
	memcpy(copy, line, len);
	copy[len] = '\0';
	if (sscanf(copy, "{\"n\":%llu}", &n) != 1)
		return ml_err_set(err, ML_ERR_DATA, "not a record");
	if ((long)n == s->fail_at[0] || (long)n == s->fail_at[1])
		return ml_err_set(err, ML_ERR_DATA, "record %llu is bad", n);
	s->records++;
	s->sum += n;
	if (n <= s->last)
		s->in_order = 0;
	s->last = n;
	return 0;
}

/* An input of records records, a blank line after every seventh and a
 * CRLF end on every third; *lines gets its line count. */
static char *make_input(uint64_t records, size_t *len, uint64_t *lines)
{
	size_t cap = records * 32 + 1;
	char *p = malloc(cap);
	size_t n = 0;

	*lines = 0;
	for (uint64_t i = 1; i <= records; i++) {
		n += (size_t)snprintf(p + n, cap - n, "{\"n\":%llu}%s\n", (unsigned long long)i,
				      i % 3 ? "" : "\r");
		++*lines;
		if (i % 7 == 0) {
			p[n++] = '\n';
			++*lines;
		}
	}
	*len = n;
	return p;
}

/* The line number (from 1) of record n in make_input's text. */
static uint64_t line_of(const char *text, size_t len, uint64_t n)
{
	char want[40];
	int k = snprintf(want, sizeof want, "{\"n\":%llu}", (unsigned long long)n);
	uint64_t line = 1;

	for (const char *p = text, *end = text + len; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!strncmp(p, want, (size_t)k) && (p[k] == '\n' || p[k] == '\r'))
			return line;
		p = nl + 1;
	}
	return 0;
}

/* Deals text in blocks of about block bytes cut after a newline, as
 * ml-stats does: the first numbered 1, the others left to the fanout. */
static int deal_blocks(struct ml_fanout *f, const char *file, const char *text, size_t len,
		       size_t block, uint64_t *records)
{
	size_t at = 0;

	while (at < len) {
		size_t end = at + block < len ? at + block : len;
		while (end < len && text[end - 1] != '\n')
			end++;
		size_t cap;
		char *data = ml_fanout_buffer(f, end - at, &cap);
		if (!data)
			return -1;
		memcpy(data, text + at, end - at);
		if (ml_fanout_block(f, data, end - at, cap, file, at ? ML_FANOUT_NEXT_LINE : 1, records) < 0)
			return -1;
		at = end;
	}
	return 0;
}

struct run {
	struct seen seen[3];
	void *ctxs[3];
	uint64_t records;
	struct ml_err err;
	int rc;
};

/* Deals text (and text2, a second file, when not NULL) to n workers, which
 * fail on the records fail_at and fail_at2. */
static void run_fanout(struct run *r, size_t n, long fail_at, long fail_at2, const char *text,
		       size_t len, const char *text2, size_t len2, size_t block)
{
	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < n; i++) {
		r->seen[i] = (struct seen){.in_order = 1, .fail_at = {fail_at, fail_at2}};
		r->ctxs[i] = &r->seen[i];
	}
	struct ml_fanout *f = ml_fanout_start(n, see, r->ctxs);
	if (!f) {
		r->rc = -2;
		return;
	}
	deal_blocks(f, "a.ndjson", text, len, block, &r->records);
	if (text2)
		deal_blocks(f, "b.ndjson", text2, len2, block, &r->records);
	r->rc = ml_fanout_finish(f, &r->err);
	ml_fanout_free(f);
}

static void test_every_line_once(void)
{
	size_t len;
	uint64_t lines;
	char *text = make_input(200000, &len, &lines);
	struct run r;

	for (size_t n = 1; n <= 3; n++) {
		run_fanout(&r, n, -1, -1, text, len, NULL, 0, 65536);
		uint64_t records = 0, sum = 0;
		int in_order = 1;
		for (size_t i = 0; i < n; i++) {
			records += r.seen[i].records;
			sum += r.seen[i].sum;
			in_order &= r.seen[i].in_order;
		}
		ok(r.rc == 0 && records == 200000 && r.records == 200000 &&
		   sum == 200000ull * 200001 / 2 && in_order,
		   "%zu worker(s) see every record once, each in input order, blank lines skipped", n);
	}
	free(text);
}

static void test_error_places(void)
{
	size_t len, len2;
	uint64_t lines, lines2;
	char *text = make_input(100000, &len, &lines);
	char *text2 = make_input(50000, &len2, &lines2);
	char want[200];
	struct run r;

	/* a small block, so the bad records are many blocks in */
	run_fanout(&r, 2, 77777, -1, text, len, NULL, 0, 4096);
	snprintf(want, sizeof want, "a.ndjson:%llu: record 77777 is bad",
		 (unsigned long long)line_of(text, len, 77777));
	ok(r.rc == -1 && !strcmp(r.err.msg, want),
	   "a bad record many blocks in is named by its exact line (%s)", r.err.msg);

	/* two bad records a block apart, so on two workers: whichever fails
	 * first in time, the one a single pass meets first is named */
	run_fanout(&r, 2, 30400, 30001, text, len, NULL, 0, 4096);
	snprintf(want, sizeof want, "a.ndjson:%llu: record 30001 is bad",
		 (unsigned long long)line_of(text, len, 30001));
	ok(r.rc == -1 && !strcmp(r.err.msg, want),
	   "of two bad records on two workers, the one a single pass meets first is named (%s)", r.err.msg);

	/* the second file is numbered from its own first line */
	run_fanout(&r, 3, 40000, 40000, text, len, text2, len2, 5000);
	snprintf(want, sizeof want, "a.ndjson:%llu: record 40000 is bad",
		 (unsigned long long)line_of(text, len, 40000));
	ok(r.rc == -1 && !strcmp(r.err.msg, want), "an error in the first file names that file (%s)",
	   r.err.msg);
	free(text);
	text = make_input(1000, &len, &lines);
	run_fanout(&r, 3, -1, 33333, text, len, text2, len2, 5000);
	snprintf(want, sizeof want, "b.ndjson:%llu: record 33333 is bad",
		 (unsigned long long)line_of(text2, len2, 33333));
	ok(r.rc == -1 && !strcmp(r.err.msg, want),
	   "an error in a second file gives that file's own line number (%s)", r.err.msg);
	free(text);
	free(text2);
}

static void test_buffers_come_back(void)
{
	struct seen s = {.in_order = 1, .fail_at = {-1, -1}};
	void *ctxs[1] = {&s};
	struct ml_fanout *f = ml_fanout_start(1, see, ctxs);
	size_t cap = 0, cap2 = 0;
	char *data = ml_fanout_buffer(f, 100, &cap);
	struct ml_err err;

	ok(data && cap == 100, "a first buffer is a new one of the size asked for");
	memcpy(data, "{\"n\":1}\n", 8);
	ml_fanout_block(f, data, 8, cap, "c.ndjson", 1, NULL);
	ok(ml_fanout_finish(f, &err) == 0 && s.records == 1, "its block is dealt and seen");
	char *again = ml_fanout_buffer(f, 50, &cap2);
	ok(again == data && cap2 == 100, "once the worker is through, the same buffer comes back");
	free(again);
	char *bigger = ml_fanout_buffer(f, 1000, &cap2);
	ok(bigger && cap2 == 1000, "a buffer bigger than any given back is a new one");
	free(bigger);
	ml_fanout_free(f);
}

static void test_lines_given_one_by_one(void)
{
	struct seen s[2] = {{.in_order = 1, .fail_at = {5000, -1}}, {.in_order = 1, .fail_at = {5000, -1}}};
	void *ctxs[2] = {&s[0], &s[1]};
	struct ml_fanout *f = ml_fanout_start(2, see, ctxs);
	struct ml_err err;
	char line[40];

	/* the numbers given by the reader (here after 100 lines it skipped)
	 * are the ones used */
	for (int i = 1; i <= 300000; i++) {
		int n = snprintf(line, sizeof line, "{\"n\":%d}", i);
		ml_fanout_line(f, "d.ndjson", (uint64_t)i + 100, line, (size_t)n);
	}
	ok(ml_fanout_finish(f, &err) == -1 && !strcmp(err.msg, "d.ndjson:5100: record 5000 is bad"),
	   "lines given one by one are placed by the numbers given (%s)", err.msg);
	ml_fanout_free(f);
}

int main(void)
{
	test_every_line_once();
	test_error_places();
	test_buffers_come_back();
	test_lines_given_one_by_one();
	return tap_done();
}
