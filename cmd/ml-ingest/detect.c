/* Which format a stream is in: by name first, by content otherwise. */
#include <string.h>

#include "ingest.h"
#include "ml_json.h"

enum format format_by_name(const char *s)
{
	if (strcmp(s, "csv") == 0) return FMT_CSV;
	if (strcmp(s, "tsv") == 0) return FMT_TSV;
	if (strcmp(s, "ndjson") == 0 || strcmp(s, "jsonl") == 0) return FMT_NDJSON;
	if (strcmp(s, "json") == 0) return FMT_JSON;
	if (strcmp(s, "libsvm") == 0 || strcmp(s, "svmlight") == 0) return FMT_LIBSVM;
	return FMT_AUTO;
}

/* Whether s[0..n) ends with suffix (n may stop short of the string's end:
 * data.csv.gz is looked at as data.csv). */
static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);
	return n >= m && strncasecmp(s + n - m, suffix, m) == 0;
}

enum format detect_by_name(const char *name)
{
	static const char *const compressed[] = {".gz", ".bz2", ".xz", ".zst", ".zstd"};
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof compressed / sizeof compressed[0]; i++)
		if (ends_with(name, n, compressed[i])) {
			n -= strlen(compressed[i]);
			break;
		}
	if (ends_with(name, n, ".csv")) return FMT_CSV;
	if (ends_with(name, n, ".tsv") || ends_with(name, n, ".tab")) return FMT_TSV;
	if (ends_with(name, n, ".ndjson") || ends_with(name, n, ".jsonl")) return FMT_NDJSON;
	if (ends_with(name, n, ".json")) return FMT_JSON;
	if (ends_with(name, n, ".svm") || ends_with(name, n, ".libsvm")) return FMT_LIBSVM;
	return FMT_AUTO;
}

/* "LABEL IDX:VAL ..." with at least one pair, on the first line (which a
 * CR ends too: CR LF, or a bare CR in old Mac text) */
static int looks_libsvm(const char *p, const char *end)
{
	const char *q = p;
	int pairs = 0;

	while (q < end && *q != ' ' && *q != '\t' && *q != '\n' && *q != '\r')
		q++;
	if (!ml_json_is_number(p, (size_t)(q - p)) && !(q - p > 1 && *p == '+'))
		return 0;
	while (q < end && *q != '\n' && *q != '\r' && *q != '#') {
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q == end || *q == '\n' || *q == '\r' || *q == '#')
			break;
		const char *t = q;
		while (q < end && *q != ' ' && *q != '\t' && *q != '\n' && *q != '\r')
			q++;
		if (q == t)
			continue;
		const char *colon = memchr(t, ':', (size_t)(q - t));
		if (!colon || colon == t)
			return 0;
		pairs++;
	}
	return pairs > 0;
}

enum format detect_format(const char *name, const char *peek, size_t n, int *delimiter)
{
	enum format f = name ? detect_by_name(name) : FMT_AUTO;
	const char *p = peek, *end = peek + n;

	if (f != FMT_AUTO)
		return f;
	p = ml_json_skip_ws(p, end);
	if (p < end && *p == '{')
		return FMT_NDJSON;
	if (p < end && *p == '[')
		return FMT_JSON;
	if (looks_libsvm(p, end))
		return FMT_LIBSVM;
	/* delimited text: the delimiter the first line has most of */
	static const char cands[] = {',', '\t', ';', '|'};
	size_t best = 0;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	*delimiter = ',';
	for (size_t i = 0; i < sizeof cands; i++) {
		size_t count = 0;
		for (const char *q = p; q < eol; q++)
			count += *q == cands[i];
		if (count > best) {
			best = count;
			*delimiter = cands[i];
		}
	}
	return *delimiter == '\t' ? FMT_TSV : FMT_CSV;
}
